/**
 * Job watcher: fails the Buildkite job when its Kubernetes Job never gets a pod (stalled past
 * `empty-job-grace-period`, or finished without one) or when the pod died before an agent acquired
 * the job; registers podless Jobs with the cancel checker.
 */
import type { Counter } from 'prom-client';
import type { JobSource } from '../buildkite/job-source.js';
import { describeBuildkiteError, type JobState } from '../buildkite/types.js';
import { isJobFinished } from '../intake/ledger.js';
import type { KubeClient } from '../kube/client.js';
import { isTombstone, type InformerHandler } from '../kube/informer.js';
import type { Job } from '../kube/types.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { CancelChecker } from './cancel-checker.js';
import { humanDuration, millisOf } from './format.js';
import { hasPod, jobEventsText, refOf, runEvery, setActiveDeadline } from './kube-actions.js';
import { jobUuidOf } from '../podspec/labels.js';

export const FINISHED_WITHOUT_POD = 'The Kubernetes job ended without starting a pod.\n';
export const FAILED_BEFORE_ACQUIRE =
  'The Kubernetes pod failed before the buildkite-agent acquired this Buildkite job. The pod was likely ' +
  'killed by Kubernetes (eviction, OOM, node failure) or terminated externally before the agent could start.\n';

export function stalledMessage(stalledMs: number): string {
  return `The Kubernetes job spent ${humanDuration(stalledMs)} without starting a pod.\n`;
}

/** States in which an agent is working on the job, so a pod must exist whatever the cache says. */
const AGENT_ACTIVE: ReadonlySet<JobState> = new Set([
  'accepted',
  'assigned',
  'running',
  'canceling',
  'timing_out',
]);

export type StallSkipReason = 'agent_active' | 'job_gone' | 'job_replaced' | 'pod_exists';

export interface JobWatcherOptions {
  readonly kube: KubeClient;
  readonly source: Pick<JobSource, 'getJobStates' | 'failJob'>;
  readonly cancelChecker: CancelChecker;
  /** `empty-job-grace-period`. */
  readonly emptyJobGracePeriodMs: number;
  readonly logger: Logger;
  readonly metrics: Metrics['jobWatcher'];
  /** `Metrics['watcherErrors']`: bugs caught in handlers and passes. */
  readonly errors: Counter<'watcher'>;
  /** Stall check period; 1 s like upstream. */
  readonly checkIntervalMs?: number;
  readonly now?: () => number;
}

export class JobWatcher {
  readonly #options: JobWatcherOptions;
  readonly #now: () => number;
  /** Unfinished Jobs with a start time and no pod yet, by job UUID. */
  readonly #stalling = new Map<string, Job>();
  /** Jobs already failed or cleaned up; forgotten when their Job is deleted. */
  readonly #ignored = new Set<string>();
  readonly #stopper = new AbortController();
  #loop: Promise<void> = Promise.resolve();

  readonly handler: InformerHandler<Job> = {
    onAdd: (job) => {
      this.#options.metrics.onAdd.inc();
      return this.#runChecks(job);
    },
    onUpdate: (_old, job) => {
      this.#options.metrics.onUpdate.inc();
      return this.#runChecks(job);
    },
    onDelete: (object) => {
      this.#options.metrics.onDelete.inc();
      const uuid = jobUuidOf(isTombstone(object) ? object.object : object);
      if (uuid === undefined) return;
      this.#removeStalling(uuid);
      this.#options.cancelChecker.stopChecking(uuid);
      // The Job is gone; if it comes back it deserves fresh checks.
      this.#ignored.delete(uuid);
      this.#updateGauges();
    },
  };

  constructor(options: JobWatcherOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  isStalling(uuid: string): boolean {
    return this.#stalling.has(uuid);
  }

  isIgnored(uuid: string): boolean {
    return this.#ignored.has(uuid);
  }

  start(signal: AbortSignal): Promise<void> {
    const stop = AbortSignal.any([signal, this.#stopper.signal]);
    this.#loop = runEvery(
      this.#options.checkIntervalMs ?? 1000,
      stop,
      () => this.checkStalled(),
      (error) => {
        this.#bug(error, this.#options.logger);
      },
    );
    return this.#loop;
  }

  async stop(): Promise<void> {
    this.#stopper.abort();
    await this.#loop;
  }

  async #runChecks(job: Job): Promise<void> {
    const logger = this.#options.logger.child({ job: job.metadata?.name });
    try {
      const uuid = jobUuidOf(job);
      if (uuid === undefined) {
        logger.error('job UUID label missing or invalid on Job');
        return;
      }
      if (this.#ignored.has(uuid)) return;
      if (isJobFinished(job)) {
        this.#removeStalling(uuid);
        this.#options.cancelChecker.stopChecking(uuid);
        await this.#checkFinished(uuid, job, logger);
        return;
      }
      // Pods register themselves with the cancel checker; a Job held suspended (e.g. by Kueue) has
      // none, and without this registration cancelling its build would do nothing.
      if (!hasPod(job)) this.#options.cancelChecker.addJob(uuid, refOf(job));
      if (hasPod(job)) this.#removeStalling(uuid);
      else if (job.status?.startTime !== undefined) this.#stalling.set(uuid, job);
      this.#updateGauges();
    } catch (error) {
      this.#bug(error, logger);
    }
  }

  async #checkFinished(uuid: string, job: Job, logger: Logger): Promise<void> {
    // Succeeded: the agent ran and reported to Buildkite itself.
    if ((job.status?.succeeded ?? 0) > 0) return;
    // Killed by its active deadline, which the completions watcher or stall clean-up set after the
    // agent (if any) reported; always true for our Jobs, so such Jobs are never failed here.
    const deadlineExceeded = (job.status?.conditions ?? []).some((c) => c.reason === 'DeadlineExceeded');
    if (deadlineExceeded && job.spec?.activeDeadlineSeconds !== undefined) return;
    if ((job.status?.failed ?? 0) > 0) {
      const state = await this.#jobState(uuid);
      if (!state.ok) {
        logger.warn(
          { error: state.error },
          'failed to fetch the Buildkite job state; skipping pre-agent failure check',
        );
        return;
      }
      // Only `reserved` means the agent never acquired it; anything else is Buildkite's business.
      if (state.state !== 'reserved') return;
      this.#options.metrics.failedBeforeAcquire.inc();
      logger.info('pod failed before the agent acquired the job; failing it to release the reservation');
      await this.#fail(uuid, job, FAILED_BEFORE_ACQUIRE, logger);
      this.#ignored.add(uuid);
      this.#updateGauges();
      return;
    }
    this.#options.metrics.finishedWithoutPod.inc();
    logger.info('the Kubernetes job ended without starting a pod; failing the Buildkite job');
    await this.#fail(uuid, job, FINISHED_WITHOUT_POD, logger);
  }

  /** One pass of the stall loop: confirm and clean up Jobs podless past the grace period. */
  async checkStalled(): Promise<void> {
    const now = this.#now();
    const candidates = [...this.#stalling].filter(
      ([, job]) => now - millisOf(job.status?.startTime) >= this.#options.emptyJobGracePeriodMs,
    );
    const stalled: [string, Job][] = [];
    for (const [uuid, job] of candidates) {
      const logger = this.#options.logger.child({ job: job.metadata?.name, 'job-uuid': uuid });
      const verdict = await this.#confirmStalled(uuid, job, logger);
      if (verdict === 'retry') continue;
      if (verdict !== 'stalled') {
        this.#options.metrics.stalledCleanupSkipped.inc({ reason: verdict });
        // A replacement Job added meanwhile keeps its own entry and grace period.
        if (this.#stalling.get(uuid)?.metadata?.uid === job.metadata?.uid) this.#stalling.delete(uuid);
        continue;
      }
      this.#ignored.add(uuid);
      this.#stalling.delete(uuid);
      stalled.push([uuid, job]);
    }
    this.#updateGauges();
    this.#options.metrics.stalledWithoutPod.inc(stalled.length);
    for (const [uuid, job] of stalled) await this.#cleanupStalled(uuid, job);
  }

  async #confirmStalled(
    uuid: string,
    job: Job,
    logger: Logger,
  ): Promise<'stalled' | 'retry' | StallSkipReason> {
    const state = await this.#jobState(uuid);
    if (!state.ok) {
      logger.warn(
        { error: state.error },
        'failed to fetch the Buildkite job state; keeping the stalled Job for the next round',
      );
      return 'retry';
    }
    if (state.state !== undefined && AGENT_ACTIVE.has(state.state)) {
      logger.info({ state: state.state }, 'skipping stalled job clean-up: an agent is working on the job');
      return 'agent_active';
    }
    const { namespace, name } = refOf(job);
    const live = await this.#options.kube.jobs.get(namespace, name);
    if (!live.ok) {
      // Gone: nothing holds a slot, and a still-scheduled Buildkite job may be recreated later.
      if (live.error.kind === 'NotFound') return 'job_gone';
      logger.warn({ error: live.error.message }, 'failed to get the Job; keeping it for the next round');
      return 'retry';
    }
    if (live.value.metadata?.uid !== job.metadata?.uid) return 'job_replaced';
    if (hasPod(live.value)) return 'pod_exists';
    return 'stalled';
  }

  async #cleanupStalled(uuid: string, job: Job): Promise<void> {
    const logger = this.#options.logger.child({ job: job.metadata?.name, 'job-uuid': uuid });
    const stalledMs = this.#now() - millisOf(job.status?.startTime);
    // The zombie Job is reaped even when failing the Buildkite job fails (e.g. it already finished).
    await this.#fail(uuid, job, stalledMessage(stalledMs), logger);
    // A deadline instead of a delete: deleting would clear the deduper's mark and the job could be
    // recreated from a stale listing.
    const updated = await setActiveDeadline(this.#options.kube, refOf(job), 1);
    if (!updated.ok) {
      this.#options.metrics.cleanupErrors.inc({ reason: updated.error.reason });
      logger.error({ error: updated.error.message }, 'failed to update job with activeDeadlineSeconds');
      return;
    }
    this.#options.metrics.cleanups.inc();
  }

  async #fail(uuid: string, job: Job, prefix: string, logger: Logger): Promise<void> {
    const { namespace, name } = refOf(job);
    const message = prefix + (await jobEventsText(this.#options.kube, namespace, name, logger));
    const failed = await this.#options.source.failJob(uuid, message);
    if (!failed.ok) {
      this.#options.metrics.failOnBuildkiteErrors.inc();
      logger.error({ error: describeBuildkiteError(failed.error) }, 'could not fail Buildkite job');
      return;
    }
    this.#options.metrics.jobsFailedOnBuildkite.inc();
  }

  async #jobState(
    uuid: string,
  ): Promise<{ ok: true; state: JobState | undefined } | { ok: false; error: string }> {
    const states = await this.#options.source.getJobStates([uuid]);
    if (!states.ok) return { ok: false, error: describeBuildkiteError(states.error) };
    return { ok: true, state: states.value.get(uuid) };
  }

  #bug(error: unknown, logger: Logger): void {
    this.#options.errors.inc({ watcher: 'job' });
    logger.error({ err: error }, 'job watcher check failed');
  }

  #removeStalling(uuid: string): void {
    this.#stalling.delete(uuid);
    this.#updateGauges();
  }

  #updateGauges(): void {
    this.#options.metrics.stallingJobs.set(this.#stalling.size);
    this.#options.metrics.ignoredJobs.set(this.#ignored.size);
  }
}
