/**
 * The monitor: polls the queue for scheduled jobs every poll interval, up to `pagination-depth-limit`
 * pages per poll, keeps only jobs whose tags match the controller's, and hands each page to the
 * reserver.
 *
 * Beyond upstream: the pagination cursor is kept across polls and reset every `query-reset-interval`
 * (upstream never wires the interval and re-reads from the start on every poll), `Retry-After` is
 * honoured on errors too, and with `enable-queue-pause` a paused queue is not dispatched from.
 */
import { sleep } from '../backoff.js';
import type { JobSource } from '../buildkite/job-source.js';
import { describeBuildkiteError, type BuildkiteError } from '../buildkite/types.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { matchJobTags, normaliseRules } from './tags.js';
import type { IntakeJob } from './types.js';

export interface MonitorOptions {
  readonly source: Pick<JobSource, 'listScheduledJobs'>;
  readonly queue: string;
  readonly tags: ReadonlyMap<string, string>;
  readonly pollIntervalMs: number;
  readonly pageSize: number;
  readonly depthLimit: number;
  readonly queryResetIntervalMs: number;
  readonly enableQueuePause: boolean;
  /** The reserver. Resolves when the page has been handed on. */
  readonly next: (jobs: readonly IntakeJob[], signal: AbortSignal) => Promise<unknown>;
  readonly logger: Logger;
  readonly metrics: Metrics['monitor'];
  readonly now?: () => number;
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** Why the monitor stopped: asked to, or an error that retrying cannot fix (bad token, removed queue). */
export type MonitorEnd =
  { readonly kind: 'stopped' } | { readonly kind: 'permanent'; readonly error: BuildkiteError };

export const MIN_POLL_INTERVAL_MS = 1000;

export class Monitor {
  private cursor: string | undefined;
  private passStartedAt = 0;
  private lastSuccess: number | undefined;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  private readonly pollIntervalMs: number;

  constructor(private readonly options: MonitorOptions) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? sleep;
    this.pollIntervalMs = Math.max(MIN_POLL_INTERVAL_MS, options.pollIntervalMs);
    if (options.pollIntervalMs < MIN_POLL_INTERVAL_MS) {
      options.logger.warn(
        { 'poll-interval-ms': options.pollIntervalMs },
        'poll-interval is below the 1s minimum; polling every 1s',
      );
    }
  }

  /** When a poll last succeeded (ms since the epoch), for readiness. */
  get lastSuccessAt(): number | undefined {
    return this.lastSuccess;
  }

  /** Polls until `signal` aborts or a permanent error occurs. Never throws. */
  async run(signal: AbortSignal): Promise<MonitorEnd> {
    const { metrics } = this.options;
    metrics.up.set(1);
    try {
      let waitMs = 0;
      while (!signal.aborted) {
        if (waitMs > 0 && !(await this.pause(waitMs, signal))) break;
        const startedAt = this.now();
        const result = await this.poll(signal);
        if (result.kind === 'permanent') return result;
        const elapsed = this.now() - startedAt;
        waitMs = Math.max(this.pollIntervalMs - elapsed, result.retryAfterMs ?? 0);
      }
      return { kind: 'stopped' };
    } finally {
      metrics.up.set(0);
    }
  }

  private async pause(ms: number, signal: AbortSignal): Promise<boolean> {
    try {
      await this.sleep(ms, signal);
      return true;
    } catch {
      return false;
    }
  }

  /** One poll: up to depthLimit pages. */
  private async poll(
    signal: AbortSignal,
  ): Promise<{ kind: 'ok'; retryAfterMs: number | null } | { kind: 'permanent'; error: BuildkiteError }> {
    const { metrics, logger } = this.options;
    const started = this.now();
    if (this.cursor !== undefined && started - this.passStartedAt > this.options.queryResetIntervalMs) {
      this.cursor = undefined;
    }
    if (this.cursor === undefined) this.passStartedAt = started;
    metrics.queries.inc();
    let retryAfterMs: number | null = null;
    try {
      for (let depth = 0; depth < this.options.depthLimit && !signal.aborted; depth++) {
        const page = await this.options.source.listScheduledJobs({
          limit: this.options.pageSize,
          ...(this.cursor === undefined ? {} : { after: this.cursor }),
          signal,
        });
        if (!page.ok) {
          this.cursor = undefined;
          metrics.queryErrors.inc();
          if (page.error.kind === 'permanent') {
            logger.error(
              { error: describeBuildkiteError(page.error) },
              'listing scheduled jobs failed permanently',
            );
            return { kind: 'permanent', error: page.error };
          }
          logger.warn({ error: describeBuildkiteError(page.error) }, 'failed to get scheduled command jobs');
          return { kind: 'ok', retryAfterMs: page.error.retryAfterMs };
        }
        this.lastSuccess = this.now();
        const receivedAt = this.now();
        const { jobs, hasNextPage, endCursor, queuePaused } = page.value;
        this.cursor = hasNextPage && endCursor !== null ? endCursor : undefined;
        metrics.jobsReturned.inc(jobs.length);
        if (queuePaused && this.options.enableQueuePause) {
          logger.info({ queue: this.options.queue }, 'the queue is paused in Buildkite; not taking jobs');
          this.cursor = undefined;
          return { kind: 'ok', retryAfterMs: page.retryAfterMs };
        }
        await this.handOn(jobs, receivedAt, signal);
        retryAfterMs = page.retryAfterMs;
        if (retryAfterMs !== null || this.cursor === undefined) break;
      }
      return { kind: 'ok', retryAfterMs };
    } finally {
      metrics.querySeconds.observe((this.now() - started) / 1000);
    }
  }

  private async handOn(
    jobs: readonly { id: string; priority: number; agentQueryRules: readonly string[] }[],
    queriedAt: number,
    signal: AbortSignal,
  ): Promise<void> {
    const { metrics, logger, queue, tags } = this.options;
    const matching: IntakeJob[] = [];
    for (const job of jobs) {
      const rules = normaliseRules(job.agentQueryRules, queue);
      const match = matchJobTags(tags, rules);
      if (!match.matches) {
        metrics.jobsFilteredOut.inc();
        logger.info({ 'job-uuid': job.id, reason: match.reason }, "skipping a job whose tags don't match");
        continue;
      }
      matching.push({ id: job.id, priority: job.priority, agentQueryRules: rules, queriedAt });
    }
    metrics.handlerCalls.inc();
    try {
      await this.options.next(matching, signal);
      metrics.jobsHandled.inc(matching.length);
    } catch (error) {
      metrics.handlerErrors.inc();
      metrics.jobsHandledErrors.inc(matching.length);
      logger.error({ err: error }, 'failed to create jobs');
    }
  }
}
