/**
 * Every Prometheus metric of the controller, under upstream's names so existing dashboards and alerts
 * keep working. Upstream's histograms are native-only; prom-client has no native histograms, so ours use
 * classic buckets (listed in docs/compatibility.md).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Latency buckets in seconds: 10 ms to 5 min, roughly doubling. */
const SECONDS_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

export type Metrics = ReturnType<typeof createMetrics>;

/** Creates the metrics on `registry` (a fresh one per controller; tests make their own). */
export function createMetrics(registry: Registry, options: { defaultMetrics?: boolean } = {}) {
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const counter = <L extends string = never>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Counter<L>({ name, help, labelNames, registers: [registry] });
  const gauge = (name: string, help: string) => new Gauge({ name, help, registers: [registry] });
  const histogram = (name: string, help: string) =>
    new Histogram({ name, help, buckets: SECONDS_BUCKETS, registers: [registry] });
  const informerEvents = (prefix: string) => ({
    onAdd: counter(`${prefix}_onadd_events_total`, 'Informer add events handled'),
    onUpdate: counter(`${prefix}_onupdate_events_total`, 'Informer update events handled'),
    onDelete: counter(`${prefix}_ondelete_events_total`, 'Informer delete events handled'),
  });

  return {
    registry,
    monitor: {
      up: gauge('buildkite_monitor_monitor_up', 'Whether the monitor poll loop is running (1) or not (0)'),
      queries: counter('buildkite_monitor_job_queries_total', 'Polls for scheduled jobs'),
      queryErrors: counter(
        'buildkite_monitor_job_query_errors_total',
        'Polls for scheduled jobs that failed',
      ),
      querySeconds: histogram(
        'buildkite_monitor_job_query_seconds',
        'Duration of one poll for scheduled jobs',
      ),
      jobsReturned: counter('buildkite_monitor_jobs_returned_total', 'Scheduled jobs returned by polls'),
      jobsFilteredOut: counter(
        'buildkite_monitor_jobs_filtered_out_total',
        'Jobs skipped because their tags do not match',
      ),
      jobsHandled: counter('buildkite_monitor_jobs_handled_total', 'Jobs passed on to the reserver'),
      jobsHandledErrors: counter(
        'buildkite_monitor_jobs_handled_errors_total',
        'Jobs in hand-offs that failed',
      ),
      handlerCalls: counter('buildkite_monitor_job_handler_calls_total', 'Hand-offs to the reserver'),
      handlerErrors: counter(
        'buildkite_monitor_job_handler_errors_total',
        'Hand-offs to the reserver that failed',
      ),
    },
    limiter: {
      maxInFlight: gauge('buildkite_limiter_max_in_flight', 'Configured max-in-flight'),
      tokensAvailable: gauge('buildkite_limiter_tokens_available', 'Free in-flight slots'),
      workQueueLength: gauge('buildkite_limiter_work_queue_length', 'Jobs waiting for an in-flight slot'),
      tokenWaitSeconds: histogram(
        'buildkite_limiter_token_wait_duration_seconds',
        'Time spent waiting for a slot',
      ),
      workWaitSeconds: histogram(
        'buildkite_limiter_work_wait_duration_seconds',
        'Time workers spent waiting for work',
      ),
      waitingForToken: gauge('buildkite_limiter_waiting_for_token', 'Workers waiting for a slot'),
      waitingForWork: gauge('buildkite_limiter_waiting_for_work', 'Workers waiting for work'),
      handlerCalls: counter('buildkite_limiter_job_handler_calls_total', 'Jobs passed on to the deduper'),
      handlerErrors: counter(
        'buildkite_limiter_job_handler_errors_total',
        'Hand-offs to the deduper that failed',
        ['reason'],
      ),
      ...informerEvents('buildkite_limiter'),
      tokenUnderflows: counter(
        'buildkite_limiter_token_underflows_total',
        'Slots taken while none was free',
        ['source'],
      ),
      tokenOverflows: counter(
        'buildkite_limiter_token_overflows_total',
        'Slots returned while all were free',
        ['source'],
      ),
    },
    deduper: {
      jobsRunning: gauge('buildkite_deduper_jobs_running', 'Jobs known to have a Kubernetes Job'),
      handlerCalls: counter('buildkite_deduper_job_handler_calls_total', 'Jobs passed on to the scheduler'),
      handlerErrors: counter(
        'buildkite_deduper_job_handler_errors_total',
        'Hand-offs to the scheduler that failed',
      ),
      ...informerEvents('buildkite_deduper'),
      markedRunning: counter('buildkite_deduper_jobs_marked_running_total', 'Jobs marked running', [
        'source',
      ]),
      unmarkedRunning: counter('buildkite_deduper_jobs_unmarked_running_total', 'Jobs unmarked running', [
        'source',
      ]),
      alreadyRunning: counter('buildkite_deduper_jobs_already_running_total', 'Jobs found already running', [
        'source',
      ]),
      alreadyNotRunning: counter(
        'buildkite_deduper_jobs_already_not_running_total',
        'Jobs found already not running',
        ['source'],
      ),
    },
    scheduler: {
      endToEndSeconds: histogram(
        'buildkite_job_end_to_end_seconds',
        'Time from receiving the scheduled-jobs listing to the Kubernetes Job being created',
      ),
      createCalls: counter('buildkite_scheduler_job_create_calls_total', 'Kubernetes Job create calls'),
      createSuccess: counter('buildkite_scheduler_job_create_success_total', 'Kubernetes Jobs created'),
      createErrors: counter(
        'buildkite_scheduler_job_create_errors_total',
        'Kubernetes Job creations that failed',
        ['reason'],
      ),
      jobsFailedOnBuildkite: counter(
        'buildkite_scheduler_jobs_failed_on_buildkite_total',
        'Jobs failed on Buildkite',
      ),
      failOnBuildkiteErrors: counter(
        'buildkite_scheduler_job_fail_on_buildkite_errors_total',
        'Attempts to fail a job on Buildkite that errored',
      ),
    },
    jobWatcher: {
      stallingJobs: gauge(
        'buildkite_job_watcher_num_stalling_jobs',
        'Kubernetes Jobs without a pod being watched',
      ),
      ignoredJobs: gauge('buildkite_job_watcher_num_ignored_jobs', 'Jobs the job watcher ignores'),
      ...informerEvents('buildkite_job_watcher'),
      finishedWithoutPod: counter(
        'buildkite_job_watcher_jobs_finished_without_pod_total',
        'Jobs that ended without a pod',
      ),
      failedBeforeAcquire: counter(
        'buildkite_job_watcher_jobs_failed_before_agent_acquire_total',
        'Jobs whose pod failed before the agent acquired the job',
      ),
      stalledWithoutPod: counter(
        'buildkite_job_watcher_jobs_stalled_without_pod_total',
        'Jobs stalled without a pod',
      ),
      stalledCleanupSkipped: counter(
        'buildkite_job_watcher_stalled_cleanup_skipped_total',
        'Stalled-job clean-ups skipped',
        ['reason'],
      ),
      jobsFailedOnBuildkite: counter(
        'buildkite_job_watcher_jobs_failed_on_buildkite_total',
        'Jobs failed on Buildkite',
      ),
      failOnBuildkiteErrors: counter(
        'buildkite_job_watcher_job_fail_on_buildkite_errors_total',
        'Attempts to fail a job on Buildkite that errored',
      ),
      cleanups: counter('buildkite_job_watcher_cleanups_total', 'Stalled Jobs cleaned up'),
      cleanupErrors: counter(
        'buildkite_job_watcher_cleanup_errors_total',
        'Stalled Job clean-ups that failed',
        ['reason'],
      ),
      forcefullyDeleted: counter(
        'buildkite_job_watcher_jobs_forcefully_deleted_total',
        'Kubernetes Jobs deleted',
        ['delete_reason'],
      ),
      forcefulDeletionErrors: counter(
        'buildkite_job_watcher_jobs_forceful_deletion_errors_total',
        'Kubernetes Job deletions that failed',
        ['delete_reason', 'error_reason'],
      ),
    },
    completionWatcher: {
      onAdd: counter('buildkite_completion_watcher_onadd_events_total', 'Informer add events handled'),
      onUpdate: counter(
        'buildkite_completion_watcher_onupdate_events_total',
        'Informer update events handled',
      ),
      cleanups: counter(
        'buildkite_completion_watcher_cleanups_total',
        'Pods stopped after their agent finished',
      ),
      cleanupErrors: counter(
        'buildkite_completion_watcher_cleanup_errors_total',
        'Pod clean-ups that failed',
        ['reason'],
      ),
    },
    /** Not upstream's: bugs (exceptions) caught in watcher handlers and periodic passes. */
    watcherErrors: counter(
      'buildkite_watcher_errors_total',
      'Unexpected errors (bugs) caught in watcher handlers and periodic checks',
      ['watcher'],
    ),
    podWatcher: {
      jobCancelCheckers: gauge(
        'buildkite_pod_watcher_num_job_cancel_checkers',
        'Pods and Jobs checked for cancellation',
      ),
      ignoredJobs: gauge('buildkite_pod_watcher_num_ignored_jobs', 'Jobs the pod watcher ignores'),
      watchingForImageFailure: gauge(
        'buildkite_pod_watcher_num_watching_for_image_failure',
        'Pods watched for image pull failures',
      ),
      ...informerEvents('buildkite_pod_watcher'),
      jobsFailedOnBuildkite: counter(
        'buildkite_pod_watcher_jobs_failed_on_buildkite_total',
        'Jobs failed on Buildkite',
      ),
      failOnBuildkiteErrors: counter(
        'buildkite_pod_watcher_job_fail_on_buildkite_errors_total',
        'Attempts to fail a job on Buildkite that errored',
      ),
      podsForcefullyDeleted: counter('buildkite_pod_watcher_pods_forcefully_deleted_total', 'Pods deleted', [
        'delete_reason',
      ]),
      podsForcefulDeletionErrors: counter(
        'buildkite_pod_watcher_pods_forceful_deletion_errors_total',
        'Pod deletions that failed',
        ['delete_reason', 'error_reason'],
      ),
    },
  };
}
