/**
 * What Kubernetes says exists: the Buildkite job UUIDs that have a Kubernetes Job, and whether each Job
 * has finished. Fed by the Jobs informer. The limiter counts unfinished Jobs from it (so max-in-flight
 * holds across restarts, with nothing to leak), and the deduper refuses a job that already has one.
 */
import { isTombstone, type DeletedFinalStateUnknown, type InformerHandler } from '../kube/informer.js';
import type { Job } from '../kube/types.js';
import { jobUuidOf } from '../podspec/labels.js';

/** A Job is finished once it has a true `Complete` or `Failed` condition. */
export function isJobFinished(job: Job): boolean {
  return (job.status?.conditions ?? []).some(
    (condition) =>
      (condition.type === 'Complete' || condition.type === 'Failed') && condition.status === 'True',
  );
}

export interface LedgerChange {
  readonly uuid: string;
  /** True when the change freed an in-flight slot (the Job finished or went away unfinished). */
  readonly freedSlot: boolean;
}

export class JobLedger {
  /** uuid -> finished */
  private readonly jobs = new Map<string, boolean>();
  private unfinished = 0;
  private readonly listeners: ((change: LedgerChange) => void)[] = [];

  /** Handlers to register on the Jobs informer. */
  readonly handler: InformerHandler<Job> = {
    onAdd: (job) => {
      this.record(job);
    },
    onUpdate: (_old, job) => {
      this.record(job);
    },
    onDelete: (object) => {
      this.forget(object);
    },
  };

  /** Called after every change, e.g. to start waiting work when a slot frees. */
  onChange(listener: (change: LedgerChange) => void): void {
    this.listeners.push(listener);
  }

  has(uuid: string): boolean {
    return this.jobs.has(uuid);
  }

  /** Jobs that exist and have not finished: what counts against max-in-flight. */
  get unfinishedCount(): number {
    return this.unfinished;
  }

  get size(): number {
    return this.jobs.size;
  }

  private record(job: Job): void {
    const uuid = jobUuidOf(job);
    if (uuid === undefined) return;
    const finished = isJobFinished(job);
    const before = this.jobs.get(uuid);
    this.jobs.set(uuid, finished);
    if (before !== false && !finished) this.unfinished++;
    if (before === false && finished) this.unfinished--;
    this.emit({ uuid, freedSlot: before === false && finished });
  }

  private forget(object: Job | DeletedFinalStateUnknown<Job>): void {
    const job = isTombstone(object) ? object.object : object;
    const uuid = jobUuidOf(job);
    if (uuid === undefined) return;
    const finished = this.jobs.get(uuid);
    if (finished === undefined) return;
    this.jobs.delete(uuid);
    if (!finished) this.unfinished--;
    this.emit({ uuid, freedSlot: !finished });
  }

  private emit(change: LedgerChange): void {
    for (const listener of this.listeners) listener(change);
  }
}
