import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetrics } from './metrics.js';

/** Upstream's metric names (spec/controller.md §5); dashboards and alerts depend on them. */
const UPSTREAM_NAMES = [
  'buildkite_monitor_monitor_up',
  'buildkite_monitor_job_queries_total',
  'buildkite_monitor_job_query_errors_total',
  'buildkite_monitor_job_query_seconds',
  'buildkite_monitor_jobs_returned_total',
  'buildkite_monitor_jobs_filtered_out_total',
  'buildkite_monitor_jobs_handled_total',
  'buildkite_monitor_jobs_handled_errors_total',
  'buildkite_monitor_job_handler_calls_total',
  'buildkite_monitor_job_handler_errors_total',
  'buildkite_limiter_max_in_flight',
  'buildkite_limiter_tokens_available',
  'buildkite_limiter_work_queue_length',
  'buildkite_limiter_token_wait_duration_seconds',
  'buildkite_limiter_work_wait_duration_seconds',
  'buildkite_limiter_waiting_for_token',
  'buildkite_limiter_waiting_for_work',
  'buildkite_limiter_job_handler_calls_total',
  'buildkite_limiter_job_handler_errors_total',
  'buildkite_limiter_onadd_events_total',
  'buildkite_limiter_onupdate_events_total',
  'buildkite_limiter_ondelete_events_total',
  'buildkite_limiter_token_underflows_total',
  'buildkite_limiter_token_overflows_total',
  'buildkite_deduper_jobs_running',
  'buildkite_deduper_job_handler_calls_total',
  'buildkite_deduper_job_handler_errors_total',
  'buildkite_deduper_onadd_events_total',
  'buildkite_deduper_onupdate_events_total',
  'buildkite_deduper_ondelete_events_total',
  'buildkite_deduper_jobs_marked_running_total',
  'buildkite_deduper_jobs_unmarked_running_total',
  'buildkite_deduper_jobs_already_running_total',
  'buildkite_deduper_jobs_already_not_running_total',
  'buildkite_job_end_to_end_seconds',
  'buildkite_scheduler_job_create_calls_total',
  'buildkite_scheduler_job_create_success_total',
  'buildkite_scheduler_job_create_errors_total',
  'buildkite_scheduler_jobs_failed_on_buildkite_total',
  'buildkite_scheduler_job_fail_on_buildkite_errors_total',
  'buildkite_job_watcher_num_stalling_jobs',
  'buildkite_job_watcher_num_ignored_jobs',
  'buildkite_job_watcher_onadd_events_total',
  'buildkite_job_watcher_onupdate_events_total',
  'buildkite_job_watcher_ondelete_events_total',
  'buildkite_job_watcher_jobs_finished_without_pod_total',
  'buildkite_job_watcher_jobs_failed_before_agent_acquire_total',
  'buildkite_job_watcher_jobs_stalled_without_pod_total',
  'buildkite_job_watcher_stalled_cleanup_skipped_total',
  'buildkite_job_watcher_jobs_failed_on_buildkite_total',
  'buildkite_job_watcher_job_fail_on_buildkite_errors_total',
  'buildkite_job_watcher_cleanups_total',
  'buildkite_job_watcher_cleanup_errors_total',
  'buildkite_job_watcher_jobs_forcefully_deleted_total',
  'buildkite_job_watcher_jobs_forceful_deletion_errors_total',
  'buildkite_completion_watcher_onadd_events_total',
  'buildkite_completion_watcher_onupdate_events_total',
  'buildkite_completion_watcher_cleanups_total',
  'buildkite_completion_watcher_cleanup_errors_total',
  'buildkite_pod_watcher_num_job_cancel_checkers',
  'buildkite_pod_watcher_num_ignored_jobs',
  'buildkite_pod_watcher_num_watching_for_image_failure',
  'buildkite_pod_watcher_onadd_events_total',
  'buildkite_pod_watcher_onupdate_events_total',
  'buildkite_pod_watcher_ondelete_events_total',
  'buildkite_pod_watcher_jobs_failed_on_buildkite_total',
  'buildkite_pod_watcher_job_fail_on_buildkite_errors_total',
  'buildkite_pod_watcher_pods_forcefully_deleted_total',
  'buildkite_pod_watcher_pods_forceful_deletion_errors_total',
];

describe('createMetrics', () => {
  it('registers every upstream metric name, plus our watcher error counter', async () => {
    const registry = new Registry();
    createMetrics(registry, { defaultMetrics: false });
    const names = (await registry.getMetricsAsJSON()).map((m) => m.name);
    expect([...names].sort()).toEqual([...UPSTREAM_NAMES, 'buildkite_watcher_errors_total'].sort());
  });

  it('exposes labelled counters in the text format', async () => {
    const registry = new Registry();
    const metrics = createMetrics(registry, { defaultMetrics: false });
    metrics.scheduler.createErrors.inc({ reason: 'Invalid' });
    metrics.podWatcher.podsForcefullyDeleted.inc({ delete_reason: 'image_pull_failure' });
    const text = await registry.metrics();
    expect(text).toContain('buildkite_scheduler_job_create_errors_total{reason="Invalid"} 1');
    expect(text).toContain(
      'buildkite_pod_watcher_pods_forcefully_deleted_total{delete_reason="image_pull_failure"} 1',
    );
  });

  it('can be created twice on separate registries (no global state)', () => {
    expect(() => {
      createMetrics(new Registry(), { defaultMetrics: false });
      createMetrics(new Registry(), { defaultMetrics: false });
    }).not.toThrow();
  });

  it('adds the process and Node.js metrics by default', async () => {
    const registry = new Registry();
    createMetrics(registry);
    const names = (await registry.getMetricsAsJSON()).map((m) => m.name);
    expect(names).toContain('process_resident_memory_bytes');
    expect(names).toContain('nodejs_eventloop_lag_seconds');
  });
});
