/**
 * The limiter: a priority work queue (higher priority first, FIFO among equals) drained by up to
 * `job-creation-concurrency` parallel dispatches, never letting more than `max-in-flight` Kubernetes
 * Jobs be unfinished at once.
 *
 * Unlike upstream's token bucket, the count is derived from what Kubernetes shows (the ledger's
 * unfinished Jobs) plus the jobs being created right now, so it is right after a restart and cannot
 * drift or leak tokens.
 */
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { JobLedger } from './ledger.js';
import type { Dispatch, DispatchOutcome, IntakeJob } from './types.js';

export interface LimiterOptions {
  /** 0 means no limit. */
  readonly maxInFlight: number;
  readonly concurrency: number;
  readonly workQueueLimit: number;
  /** Jobs that waited longer than this are dropped as stale (GraphQL source); none by default. */
  readonly staleAfterMs?: number;
  /** How long a created Job may stay unseen by the informer before its slot is released anyway. */
  readonly unseenCreationTimeoutMs?: number;
  readonly ledger: JobLedger;
  readonly dispatch: Dispatch;
  readonly logger: Logger;
  readonly metrics: Metrics['limiter'];
  readonly now?: () => number;
}

interface Queued {
  readonly job: IntakeJob;
  readonly seq: number;
  readonly enqueuedAt: number;
}

export class Limiter {
  private queue: Queued[] = [];
  private readonly queuedIds = new Set<string>();
  /** Jobs being created, or created but not yet seen by the informer: uuid -> since when. */
  private readonly launching = new Map<string, number>();
  private running = 0;
  private seq = 0;
  private stopped = false;
  private readonly idle = new Set<() => void>();
  private readonly now: () => number;
  private readonly unseenTimeoutMs: number;

  constructor(private readonly options: LimiterOptions) {
    this.now = options.now ?? Date.now;
    this.unseenTimeoutMs = options.unseenCreationTimeoutMs ?? 120_000;
    options.metrics.maxInFlight.set(options.maxInFlight);
    options.ledger.onChange((change) => {
      // A Job first seen already finished (created and done while the watch was down) frees its launch slot.
      const wasLaunching = this.launching.delete(change.uuid);
      if (change.freedSlot || wasLaunching) this.pump();
      else this.updateGauges();
    });
  }

  /** Adds jobs to the queue (ignoring ones already queued or being created) and starts what fits. */
  handle(jobs: readonly IntakeJob[]): void {
    if (this.stopped) return;
    const enqueuedAt = this.now();
    for (const job of jobs) {
      if (this.queuedIds.has(job.id) || this.launching.has(job.id)) continue;
      this.queue.push({ job, seq: this.seq++, enqueuedAt });
      this.queuedIds.add(job.id);
    }
    this.queue.sort((a, b) => b.job.priority - a.job.priority || a.seq - b.seq);
    if (this.queue.length > this.options.workQueueLimit) {
      const dropped = this.queue.splice(this.options.workQueueLimit);
      for (const { job } of dropped) this.queuedIds.delete(job.id);
      this.options.logger.warn(
        { dropped: dropped.length, limit: this.options.workQueueLimit },
        'work queue full: dropped the lowest-priority jobs; they will be listed again',
      );
    }
    this.pump();
  }

  /** Free in-flight slots (Infinity when unlimited). */
  get available(): number {
    if (this.options.maxInFlight === 0) return Number.POSITIVE_INFINITY;
    const now = this.now();
    let launching = 0;
    for (const [uuid, since] of this.launching) {
      if (this.options.ledger.has(uuid)) continue;
      if (now - since > this.unseenTimeoutMs) {
        // The informer never showed this Job (deleted at once, or the watch is failing): stop holding its slot.
        this.launching.delete(uuid);
        continue;
      }
      launching++;
    }
    return this.options.maxInFlight - this.options.ledger.unfinishedCount - launching;
  }

  get queueLength(): number {
    return this.queue.length;
  }

  /** Stops taking work and waits for the dispatches under way (creations in flight finish). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.queue = [];
    this.queuedIds.clear();
    if (this.running === 0) return;
    await new Promise<void>((resolve) => this.idle.add(resolve));
  }

  private pump(): void {
    let available = this.available;
    while (!this.stopped && this.running < this.options.concurrency && available > 0) {
      const next = this.queue.shift();
      if (next === undefined) break;
      this.queuedIds.delete(next.job.id);
      const { staleAfterMs } = this.options;
      if (staleAfterMs !== undefined && this.now() - next.enqueuedAt > staleAfterMs) {
        this.options.metrics.handlerErrors.inc({ reason: 'stale' });
        continue;
      }
      available--;
      this.start(next);
    }
    this.updateGauges();
  }

  private start({ job, enqueuedAt }: Queued): void {
    this.running++;
    this.launching.set(job.id, this.now());
    this.options.metrics.tokenWaitSeconds.observe((this.now() - enqueuedAt) / 1000);
    this.options.metrics.handlerCalls.inc();
    this.options.dispatch(job).then(
      (outcome) => {
        this.finish(job, outcome);
      },
      (error: unknown) => {
        this.options.logger.error(
          { err: error, 'job-uuid': job.id },
          'dispatching the job failed unexpectedly',
        );
        this.finish(job, { kind: 'failed', message: String(error) });
      },
    );
  }

  private finish(job: IntakeJob, outcome: DispatchOutcome): void {
    this.running--;
    if (outcome.kind !== 'created') {
      this.launching.delete(job.id);
      this.options.metrics.handlerErrors.inc({ reason: outcome.kind === 'failed' ? 'other' : outcome.kind });
    }
    if (this.stopped && this.running === 0) {
      for (const resolve of this.idle) resolve();
      this.idle.clear();
    }
    this.pump();
  }

  private updateGauges(): void {
    const available = this.available;
    this.options.metrics.tokensAvailable.set(Number.isFinite(available) ? Math.max(0, available) : 0);
    this.options.metrics.workQueueLength.set(this.queue.length);
    this.options.metrics.waitingForToken.set(available <= 0 ? this.queue.length : 0);
    this.options.metrics.waitingForWork.set(this.options.concurrency - this.running);
  }
}
