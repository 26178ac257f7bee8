/**
 * Batch Buildkite job checker: every interval, one batched job-state lookup for every registered
 * pending pod or podless Job; a job cancelled in Buildkite gets its pod (or Job) deleted at once.
 */
import type { JobSource } from '../buildkite/job-source.js';
import { describeBuildkiteError, type JobState } from '../buildkite/types.js';
import type { KubeClient } from '../kube/client.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Counter } from 'prom-client';
import { deleteJobNow, deletePodNow, runEvery, type ObjectRef } from './kube-actions.js';

/** What to delete once the job turns out cancelled: the pending pod, or the Job that has none. */
export interface CancelTarget extends ObjectRef {
  readonly kind: 'pod' | 'job';
}

export interface CancelCheckerOptions {
  readonly source: Pick<JobSource, 'getJobStates'>;
  readonly kube: KubeClient;
  /** `job-cancel-checker-poll-interval`; <= 0 means 5 s. */
  readonly intervalMs: number;
  readonly logger: Logger;
  readonly metrics: Pick<Metrics, 'jobWatcher' | 'podWatcher'>;
  /** `Metrics['watcherErrors']`: bugs caught in handlers and passes. */
  readonly errors: Counter<'watcher'>;
}

const DEFAULT_INTERVAL_MS = 5000;

export class CancelChecker {
  readonly #options: CancelCheckerOptions;
  readonly #targets = new Map<string, CancelTarget>();
  readonly #stopper = new AbortController();
  #loop: Promise<void> = Promise.resolve();

  constructor(options: CancelCheckerOptions) {
    this.#options = options;
  }

  get intervalMs(): number {
    return this.#options.intervalMs > 0 ? this.#options.intervalMs : DEFAULT_INTERVAL_MS;
  }

  /** A pending pod is the preferred target, so it replaces a Job registration. */
  addPod(uuid: string, pod: ObjectRef): void {
    this.#set(uuid, { kind: 'pod', namespace: pod.namespace, name: pod.name });
  }

  /** Never downgrades a pod target: pod and Job events arrive independently, a stale Job event must lose. */
  addJob(uuid: string, job: ObjectRef): void {
    if (this.#targets.get(uuid)?.kind === 'pod') return;
    this.#set(uuid, { kind: 'job', namespace: job.namespace, name: job.name });
  }

  stopChecking(uuid: string): void {
    this.#targets.delete(uuid);
    this.#updateGauge();
  }

  target(uuid: string): CancelTarget | undefined {
    return this.#targets.get(uuid);
  }

  get size(): number {
    return this.#targets.size;
  }

  start(signal: AbortSignal): Promise<void> {
    const stop = AbortSignal.any([signal, this.#stopper.signal]);
    this.#loop = runEvery(
      this.intervalMs,
      stop,
      () => this.checkOnce(stop),
      (error) => {
        this.#options.errors.inc({ watcher: 'cancel_checker' });
        this.#options.logger.error({ err: error }, 'cancel check failed');
      },
    );
    return this.#loop;
  }

  async stop(): Promise<void> {
    this.#stopper.abort();
    await this.#loop;
  }

  /** One round: states for every registered job (batched by the source), then act on each. */
  async checkOnce(signal?: AbortSignal): Promise<void> {
    if (this.#targets.size === 0) return;
    const snapshot = new Map(this.#targets);
    const states = await this.#options.source.getJobStates([...snapshot.keys()], signal);
    if (!states.ok) {
      this.#options.logger.error(
        { error: describeBuildkiteError(states.error), jobs: snapshot.size },
        "couldn't fetch states of jobs",
      );
      return;
    }
    await Promise.all(
      [...states.value].map(async ([uuid, state]) => {
        const target = snapshot.get(uuid);
        if (target !== undefined) await this.#handle(uuid, state, target);
      }),
    );
  }

  async #handle(uuid: string, state: JobState, target: CancelTarget): Promise<void> {
    const logger = this.#options.logger.child({ 'job-uuid': uuid, jobState: state });
    switch (state) {
      case 'canceled':
      case 'canceling': {
        logger.info({ [target.kind]: target.name }, `deleting the ${target.kind} of a cancelled job`);
        if (await this.#delete(target, logger)) this.stopChecking(uuid);
        return;
      }
      case 'scheduled':
      case 'reserved':
        // Still waiting for resources or initialising; check again next round.
        return;
      default:
        // An agent has it (it handles cancellation itself) or it is over.
        this.stopChecking(uuid);
    }
  }

  async #delete(target: CancelTarget, logger: Logger): Promise<boolean> {
    const { kube, metrics } = this.#options;
    const reason = 'job_cancelled';
    if (target.kind === 'pod') {
      const deleted = await deletePodNow(kube, target);
      if (deleted.ok) {
        metrics.podWatcher.podsForcefullyDeleted.inc({ delete_reason: reason });
        return true;
      }
      metrics.podWatcher.podsForcefulDeletionErrors.inc({
        delete_reason: reason,
        error_reason: deleted.error.reason,
      });
      logger.error({ error: deleted.error.message }, "couldn't forcefully delete pod");
      return false;
    }
    const deleted = await deleteJobNow(kube, target);
    if (deleted.ok) {
      metrics.jobWatcher.forcefullyDeleted.inc({ delete_reason: reason });
      return true;
    }
    metrics.jobWatcher.forcefulDeletionErrors.inc({
      delete_reason: reason,
      error_reason: deleted.error.reason,
    });
    logger.error({ error: deleted.error.message }, "couldn't forcefully delete job");
    return false;
  }

  #set(uuid: string, target: CancelTarget): void {
    this.#targets.set(uuid, target);
    this.#updateGauge();
  }

  #updateGauge(): void {
    this.#options.metrics.podWatcher.jobCancelCheckers.set(this.#targets.size);
  }
}
