/**
 * Pod watcher: fails the Buildkite job when the pod cannot start — failed init containers, image
 * pull or container create errors past `image-pull-backoff-grace-period`, Pending beyond
 * `pod-pending-timeout` — deletes such pods, and registers pending pods with the cancel checker.
 */
import type { V1ContainerStatus } from '@kubernetes/client-node';
import type { Counter } from 'prom-client';
import { backoffDelay, sleep, type BackoffPolicy } from '../backoff.js';
import type { JobSource } from '../buildkite/job-source.js';
import {
  describeBuildkiteError,
  isPermanentError,
  type ApiResult,
  type JobState,
} from '../buildkite/types.js';
import type { KubeClient } from '../kube/client.js';
import { isTombstone, type InformerHandler } from '../kube/informer.js';
import type { Plain, Pod } from '../kube/types.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { CancelChecker } from './cancel-checker.js';
import {
  formatImageFailureNotification,
  formatImageFailures,
  formatInitContainerFailures,
  formatPendingTimeout,
  millisOf,
  type TerminatedInitContainer,
  type WaitingContainer,
} from './format.js';
import { deletePodNow, refOf, runEvery } from './kube-actions.js';
import { jobUuidOf } from '../podspec/labels.js';

type ContainerStatus = Plain<V1ContainerStatus>;

/**
 * Waiting reasons that mean a container cannot start (kubelet's container-create and image-manager
 * errors), mapped to whether they fail at once: an invalid image name can never be pulled.
 */
const FAILING_WAITING_REASONS: ReadonlyMap<string, boolean> = new Map([
  ['CreateContainerError', false],
  ['CreateContainerConfigError', false],
  ['PreCreateHookError', false],
  ['PreStartHookError', false],
  ['ErrImageNeverPull', false],
  ['ErrImagePull', false],
  ['ImagePullBackOff', false],
  ['ImageInspectError', false],
  ['InvalidImageName', true],
]);

/**
 * Containers whose start the agent tracks: agent, copy-agent, checkout and command containers.
 * The pattern is unanchored like upstream's, so `my-container-1` counts too.
 */
export function isSystemContainer(name: string): boolean {
  return ['agent', 'copy-agent', 'checkout'].includes(name) || /container-\d+/.test(name);
}

/** Native sidecars (init containers with `restartPolicy: Always`) may exit non-zero on shutdown. */
export function isSidecarInitContainer(pod: Pod, name: string): boolean {
  return pod.spec?.initContainers?.find((c) => c.name === name)?.restartPolicy === 'Always';
}

const DEFAULT_IMAGE_GRACE_MS = 30_000;
const DEFAULT_PENDING_TIMEOUT_MS = 15 * 60_000;
/** State lookups before acting on an image failure: 5 tries, like upstream's GetJobToRun retry. */
const STATE_ATTEMPTS = 5;

export interface PodWatcherOptions {
  readonly kube: KubeClient;
  readonly source: Pick<JobSource, 'getJobStates' | 'failJob' | 'notify'>;
  readonly cancelChecker: CancelChecker;
  /** `image-pull-backoff-grace-period`; <= 0 means 30 s. */
  readonly imagePullBackOffGracePeriodMs: number;
  /** `pod-pending-timeout`; <= 0 means 15 min. */
  readonly podPendingTimeoutMs: number;
  readonly logger: Logger;
  readonly metrics: Metrics['podWatcher'];
  /** `Metrics['watcherErrors']`: bugs caught in handlers and passes. */
  readonly errors: Counter<'watcher'>;
  /** Period of the image-failure and pending-timeout loops; 1 s like upstream. */
  readonly checkIntervalMs?: number;
  /** Backoff between job-state lookups for image failures. */
  readonly stateRetry?: BackoffPolicy;
  readonly now?: () => number;
}

export class PodWatcher {
  readonly #options: PodWatcherOptions;
  readonly #now: () => number;
  readonly #imageGraceMs: number;
  readonly #pendingTimeoutMs: number;
  /** Jobs failed, cleaned up or found over; forgotten when the pod is deleted. */
  readonly #ignored = new Set<string>();
  /** Last-seen Pending or Running pods, by job UUID. */
  readonly #imageWatch = new Map<string, Pod>();
  /** Jobs told once (by notification) that an image failed while an agent owns them. */
  readonly #notified = new Set<string>();
  readonly #pendingWatch = new Map<string, Pod>();
  readonly #stopper = new AbortController();
  #loops: Promise<unknown> = Promise.resolve();

  readonly handler: InformerHandler<Pod> = {
    onAdd: (pod) => {
      this.#options.metrics.onAdd.inc();
      return this.#runChecks(pod);
    },
    onUpdate: (_old, pod) => {
      this.#options.metrics.onUpdate.inc();
      return this.#runChecks(pod);
    },
    onDelete: (object) => {
      this.#options.metrics.onDelete.inc();
      const uuid = jobUuidOf(isTombstone(object) ? object.object : object);
      if (uuid === undefined) {
        this.#options.logger.error('job UUID label missing or invalid on pod');
        return;
      }
      this.#stopImageWatch(uuid);
      this.#pendingWatch.delete(uuid);
      this.#options.cancelChecker.stopChecking(uuid);
      // The pod is gone; a retried pod for the job gets fresh checks.
      this.#ignored.delete(uuid);
      this.#updateGauges();
    },
  };

  constructor(options: PodWatcherOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#imageGraceMs =
      options.imagePullBackOffGracePeriodMs > 0
        ? options.imagePullBackOffGracePeriodMs
        : DEFAULT_IMAGE_GRACE_MS;
    this.#pendingTimeoutMs =
      options.podPendingTimeoutMs > 0 ? options.podPendingTimeoutMs : DEFAULT_PENDING_TIMEOUT_MS;
  }

  isIgnored(uuid: string): boolean {
    return this.#ignored.has(uuid);
  }

  isWatchingForImageFailure(uuid: string): boolean {
    return this.#imageWatch.has(uuid);
  }

  isWatchingForPendingTimeout(uuid: string): boolean {
    return this.#pendingWatch.has(uuid);
  }

  start(signal: AbortSignal): Promise<void> {
    const stop = AbortSignal.any([signal, this.#stopper.signal]);
    const interval = this.#options.checkIntervalMs ?? 1000;
    const onError = (error: unknown): void => {
      this.#bug(error, this.#options.logger);
    };
    this.#loops = Promise.all([
      runEvery(interval, stop, () => this.checkImageFailures(), onError),
      runEvery(interval, stop, () => this.checkPendingTimeouts(), onError),
    ]);
    return this.#loops.then(() => undefined);
  }

  async stop(): Promise<void> {
    this.#stopper.abort();
    await this.#loops;
  }

  async #runChecks(pod: Pod): Promise<void> {
    const uuid = jobUuidOf(pod);
    const logger = this.#options.logger.child({ pod: pod.metadata?.name, 'job-uuid': uuid });
    try {
      if (uuid === undefined) {
        logger.error('job UUID label missing or invalid on pod');
        return;
      }
      const phase = pod.status?.phase;
      // Bookkeeping happens whether or not the job is ignored.
      if (phase === 'Running') {
        // The agent is starting and handles cancellation itself.
        this.#options.cancelChecker.stopChecking(uuid);
        this.#pendingWatch.delete(uuid);
      } else if (phase !== 'Pending') {
        // Succeeded, Failed: over. Unknown: better not interfere.
        this.#stopImageWatch(uuid);
        this.#options.cancelChecker.stopChecking(uuid);
        this.#pendingWatch.delete(uuid);
      }
      if (!this.#ignored.has(uuid)) {
        await this.#failOnInitContainerFailure(uuid, pod, logger);
        if (phase === 'Pending') {
          this.#imageWatch.set(uuid, pod);
          this.#pendingWatch.set(uuid, pod);
          this.#options.cancelChecker.addPod(uuid, refOf(pod));
        } else if (phase === 'Running') {
          this.#imageWatch.set(uuid, pod);
        }
      }
      this.#updateGauges();
    } catch (error) {
      this.#bug(error, logger);
    }
  }

  async #failOnInitContainerFailure(uuid: string, pod: Pod, logger: Logger): Promise<void> {
    const failures: TerminatedInitContainer[] = [];
    for (const status of pod.status?.initContainerStatuses ?? []) {
      const terminated = status.state?.terminated;
      if (terminated === undefined || terminated.exitCode === 0) continue;
      if (isSidecarInitContainer(pod, status.name)) continue;
      failures.push({
        name: status.name,
        exitCode: terminated.exitCode,
        signal: terminated.signal ?? 0,
        reason: terminated.reason ?? '',
        message: terminated.message ?? '',
      });
    }
    if (failures.length === 0) return;
    // No state check first: init containers finish before the agent starts, so the job is ours.
    logger.info('one or more init containers failed; failing the job');
    const failed = await this.#options.source.failJob(uuid, formatInitContainerFailures(failures));
    if (!failed.ok) {
      this.#options.metrics.failOnBuildkiteErrors.inc();
      logger.error({ error: describeBuildkiteError(failed.error) }, 'could not fail Buildkite job');
      // E.g. 404: the job is gone from Buildkite; stop retrying on every pod update.
      if (isPermanentError(failed.error)) this.#ignored.add(uuid);
      return;
    }
    // No pod deletion: with restartPolicy Never the pod has failed already, and so will the Job.
    this.#options.metrics.jobsFailedOnBuildkite.inc();
    // A real pod keeps changing after it failed (the Job controller drops its finalizer, the pod is
    // deleted); failing the job again on each change would only earn a 422 and an error log.
    this.#ignore(uuid);
  }

  /** Containers in a failing waiting state long enough to act on; empty when the pod is fine (yet). */
  failingContainers(pod: Pod, logger: Logger = this.#options.logger): ContainerStatus[] {
    let immediate = false;
    const failing: ContainerStatus[] = [];
    for (const status of pod.status?.initContainerStatuses ?? []) {
      const instant = FAILING_WAITING_REASONS.get(status.state?.waiting?.reason ?? '');
      if (instant === undefined) continue;
      failing.push(status);
      immediate ||= instant;
    }
    for (const status of pod.status?.containerStatuses ?? []) {
      const reason = status.state?.waiting?.reason ?? '';
      const instant = FAILING_WAITING_REASONS.get(reason);
      if (instant === undefined) continue;
      if (!instant && !isSystemContainer(status.name)) {
        logger.info(
          { container: status.name, reason },
          'ignoring sidecar or other container while watching for failing statuses',
        );
        continue;
      }
      failing.push(status);
      immediate ||= instant;
    }
    if (failing.length === 0 || immediate) return failing;
    const startTime = pod.status?.startTime;
    if (startTime === undefined) return [];
    return this.#now() - millisOf(startTime) >= this.#imageGraceMs ? failing : [];
  }

  /** One pass of the image-failure loop. */
  async checkImageFailures(): Promise<void> {
    const failing: [string, Pod, ContainerStatus[]][] = [];
    for (const [uuid, pod] of this.#imageWatch) {
      const statuses = this.failingContainers(pod);
      if (statuses.length === 0) continue;
      failing.push([uuid, pod, statuses]);
      this.#imageWatch.delete(uuid);
    }
    this.#updateGauges();
    for (const [uuid, pod, statuses] of failing) await this.#failForImageFailure(uuid, pod, statuses);
  }

  async #failForImageFailure(uuid: string, pod: Pod, statuses: ContainerStatus[]): Promise<void> {
    const logger = this.#options.logger.child({ pod: pod.metadata?.name, 'job-uuid': uuid });
    const state = await this.#jobStateWithRetry(uuid);
    if (!state.ok) {
      // Re-watched only when a new pod event arrives.
      logger.warn({ error: describeBuildkiteError(state.error) }, 'failed to fetch state of job');
      return;
    }
    const jobState = state.value.get(uuid);
    const containers: WaitingContainer[] = statuses.map((s) => ({
      name: s.name,
      image: s.image,
      reason: s.state?.waiting?.reason ?? '',
      message: s.state?.waiting?.message ?? '',
    }));
    switch (jobState) {
      case 'scheduled':
      case 'reserved': {
        logger.info(
          { state: jobState },
          'containers cannot be created or their images pulled; failing the job',
        );
        const failed = await this.#options.source.failJob(uuid, formatImageFailures(containers));
        if (!failed.ok) {
          // Acquired or cancelled meanwhile, most likely; nothing more to do here.
          this.#options.metrics.failOnBuildkiteErrors.inc();
          logger.error({ error: describeBuildkiteError(failed.error) }, 'could not fail Buildkite job');
          return;
        }
        this.#options.metrics.jobsFailedOnBuildkite.inc();
        // The pod would never die on its own.
        if (await this.#deletePod(pod, 'image_pull_failure', logger)) this.#ignore(uuid);
        return;
      }
      case 'accepted':
      case 'assigned':
      case 'running':
        // An agent owns the job and will fail it on its container-start timeout, without knowing
        // why; tell the build page once.
        if (!this.#notified.has(uuid)) {
          this.#notified.add(uuid);
          this.#options.source.notify(uuid, formatImageFailureNotification(containers));
        }
        return;
      case 'canceling':
      case 'canceled':
      case 'finished':
      case 'skipped':
        // Neither ours to fail nor cancellable, now or later.
        this.#ignore(uuid);
        return;
      default:
        logger.warn({ state: jobState ?? 'unknown' }, 'job not in an actionable state');
    }
  }

  async #jobStateWithRetry(uuid: string): Promise<ApiResult<ReadonlyMap<string, JobState>>> {
    const policy = this.#options.stateRetry ?? { baseMs: 1000, maxMs: 8000 };
    let result = await this.#options.source.getJobStates([uuid]);
    for (
      let attempt = 1;
      attempt < STATE_ATTEMPTS && !result.ok && !isPermanentError(result.error);
      attempt++
    ) {
      await sleep(backoffDelay(attempt - 1, policy), this.#stopper.signal).catch(() => undefined);
      if (this.#stopper.signal.aborted) break;
      result = await this.#options.source.getJobStates([uuid]);
    }
    return result;
  }

  /**
   * Pending past the timeout, measured from creation (unschedulable pods never get a start time),
   * and not already an image failure, which the other loop handles.
   */
  hasExceededPendingTimeout(pod: Pod): boolean {
    if (pod.status?.phase !== 'Pending') return false;
    const statuses = [...(pod.status.initContainerStatuses ?? []), ...(pod.status.containerStatuses ?? [])];
    if (statuses.some((s) => FAILING_WAITING_REASONS.has(s.state?.waiting?.reason ?? ''))) return false;
    return this.#now() - millisOf(pod.metadata?.creationTimestamp) >= this.#pendingTimeoutMs;
  }

  /** One pass of the pending-timeout loop. */
  async checkPendingTimeouts(): Promise<void> {
    const timedOut: [string, Pod][] = [];
    for (const [uuid, pod] of this.#pendingWatch) {
      if (!this.hasExceededPendingTimeout(pod)) continue;
      timedOut.push([uuid, pod]);
      this.#pendingWatch.delete(uuid);
    }
    for (const [uuid, pod] of timedOut) await this.#failForPendingTimeout(uuid, pod);
  }

  async #failForPendingTimeout(uuid: string, pod: Pod): Promise<void> {
    const logger = this.#options.logger.child({ pod: pod.metadata?.name, 'job-uuid': uuid });
    logger.info('pod has been pending too long; failing the job');
    const pendingMs = this.#now() - millisOf(pod.metadata?.creationTimestamp);
    const conditions = (pod.status?.conditions ?? []).map((c) => ({
      type: c.type,
      status: c.status,
      reason: c.reason,
      message: c.message,
    }));
    const failed = await this.#options.source.failJob(uuid, formatPendingTimeout(pendingMs, conditions));
    if (!failed.ok) {
      this.#options.metrics.failOnBuildkiteErrors.inc();
      logger.error({ error: describeBuildkiteError(failed.error) }, 'could not fail Buildkite job');
      if (isPermanentError(failed.error)) this.#ignore(uuid);
      return;
    }
    this.#options.metrics.jobsFailedOnBuildkite.inc();
    if (await this.#deletePod(pod, 'pending_timeout', logger)) this.#ignore(uuid);
  }

  async #deletePod(pod: Pod, reason: string, logger: Logger): Promise<boolean> {
    const deleted = await deletePodNow(this.#options.kube, refOf(pod));
    if (!deleted.ok) {
      this.#options.metrics.podsForcefulDeletionErrors.inc({
        delete_reason: reason,
        error_reason: deleted.error.reason,
      });
      logger.error({ error: deleted.error.message }, "couldn't forcefully delete pod");
      return false;
    }
    this.#options.metrics.podsForcefullyDeleted.inc({ delete_reason: reason });
    return true;
  }

  #bug(error: unknown, logger: Logger): void {
    this.#options.errors.inc({ watcher: 'pod' });
    logger.error({ err: error }, 'pod watcher check failed');
  }

  #ignore(uuid: string): void {
    this.#ignored.add(uuid);
    this.#updateGauges();
  }

  #stopImageWatch(uuid: string): void {
    this.#imageWatch.delete(uuid);
    // A retried pod for the same job may notify again.
    this.#notified.delete(uuid);
  }

  #updateGauges(): void {
    this.#options.metrics.ignoredJobs.set(this.#ignored.size);
    this.#options.metrics.watchingForImageFailure.set(this.#imageWatch.size);
  }
}
