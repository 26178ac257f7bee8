/** The Stacks API job source (`/v3/stacks/...`), what upstream agent-stack-k8s uses today. */
import { z } from 'zod';
import type { Logger } from '../../observability/logger.js';
import { chunks, STACK_BATCH_LIMIT } from '../batch.js';
import { decode } from '../decode.js';
import { HttpClient, type RetryPolicy } from '../http.js';
import type { JobSource, ListScheduledJobsOptions } from '../job-source.js';
import { cropUtf8, FINISH_DETAIL_CROPPED, FINISH_DETAIL_MAX_BYTES, railsPathEscape } from '../text.js';
import {
  isJobState,
  type ApiResult,
  type JobDetails,
  type JobState,
  type ReserveResult,
  type ScheduledJob,
  type ScheduledJobsPage,
  type StackRegistration,
} from '../types.js';
import { NotificationBatcher, type NotificationRejection, type StackNotification } from './notifications.js';

/** Go's stacksapi version; kept in the user agent so Buildkite sees the same client family. */
const STACKSAPI_USER_AGENT = 'stackspi/v1.0.0';
const DEREGISTER_TIMEOUT_MS = 5000;

export interface StacksJobSourceOptions {
  /** Agent API base, e.g. `https://agent.buildkite.com/v3`. */
  readonly endpoint: string;
  readonly agentToken: string;
  readonly timeoutMs: number;
  readonly version: string;
  readonly logger: Logger;
  /** Stack key (`--id`, else `agent-stack-k8s`). */
  readonly stackKey: string;
  /** Queue to serve; `_default` for the cluster's default queue. */
  readonly queueKey: string;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly retry?: RetryPolicy;
  readonly random?: () => number;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly notifications?: { readonly intervalMs?: number; readonly capacity?: number };
  readonly now?: () => number;
}

// Go decodes null and absent alike as the zero value; these readers do the same.
const nullableString = z
  .string()
  .nullish()
  .transform((v) => v ?? null);
const stringList = z
  .array(z.string())
  .nullish()
  .transform((v) => v ?? []);
const scheduledJobSchema = z.object({
  id: z.string(),
  priority: z
    .number()
    .int()
    .nullish()
    .transform((v) => v ?? 0),
  agent_query_rules: stringList,
  scheduled_at: nullableString,
  pipeline: z.object({ slug: nullableString, uuid: nullableString }).nullish(),
  build: z
    .object({ uuid: nullableString, number: z.number().int().nullish(), branch: nullableString })
    .nullish(),
  step: z.object({ key: nullableString }).nullish(),
});
const listSchema = z.object({
  jobs: z
    .array(scheduledJobSchema)
    .nullish()
    .transform((v) => v ?? []),
  page_info: z.object({ has_next_page: z.boolean().nullish(), end_cursor: nullableString }).nullish(),
  cluster_queue: z
    .object({ paused: z.boolean().nullish(), dispatch_paused: z.boolean().nullish() })
    .nullish(),
});
const registerSchema = z.object({ key: z.string(), cluster_queue_key: z.string() });
const reserveSchema = z.object({ reserved: stringList, not_reserved: stringList });
const jobSchema = z.object({
  id: z.string(),
  command: z
    .string()
    .nullish()
    .transform((v) => v ?? ''),
  env: z
    .record(z.string(), z.string())
    .nullish()
    .transform((v) => v ?? {}),
});
const statesSchema = z.object({ states: z.record(z.string(), z.string()).nullish() });
const notificationsSchema = z.object({
  errors: z
    .array(z.object({ error: z.string(), indexes: z.array(z.number().int()) }))
    .nullish()
    .transform((v) => v ?? []),
});

export class StacksJobSource implements JobSource {
  private readonly http: HttpClient;
  private readonly batcher: NotificationBatcher;
  private stackKey: string;
  private queueKey: string;

  constructor(private readonly options: StacksJobSourceOptions) {
    this.stackKey = options.stackKey;
    this.queueKey = options.queueKey;
    this.http = new HttpClient({
      baseUrl: options.endpoint,
      timeoutMs: options.timeoutMs,
      userAgent: `agent-stack-k8s/${options.version} ${STACKSAPI_USER_AGENT}`,
      authorization: `Token ${options.agentToken}`,
      logger: options.logger,
      ...(options.retry === undefined ? {} : { retry: options.retry }),
      ...(options.random === undefined ? {} : { random: options.random }),
      ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
    });
    this.batcher = new NotificationBatcher({
      send: (batch) => this.sendNotifications(batch),
      logger: options.logger,
      ...options.notifications,
      ...(options.now === undefined ? {} : { now: options.now }),
    });
  }

  private stackPath(suffix: string): string {
    return `/stacks/${railsPathEscape(this.stackKey)}${suffix}`;
  }

  async register(signal?: AbortSignal): Promise<ApiResult<StackRegistration>> {
    const body: Record<string, unknown> = { type: 'kubernetes', metadata: this.options.metadata ?? {} };
    if (this.options.stackKey !== '') body.key = this.options.stackKey;
    if (this.options.queueKey !== '') body.queue_key = this.options.queueKey;
    const res = decode(
      await this.http.send({ method: 'POST', path: '/stacks/register', json: body, retry: true, signal }),
      registerSchema,
      'register stack',
      (b): StackRegistration => ({ key: b.key, clusterQueueKey: b.cluster_queue_key }),
    );
    if (res.ok) {
      // Later calls use what the server answered, as upstream does.
      this.stackKey = res.value.key;
      this.queueKey = res.value.clusterQueueKey;
    }
    return res;
  }

  async listScheduledJobs(options: ListScheduledJobsOptions): Promise<ApiResult<ScheduledJobsPage>> {
    const query: Record<string, string> = { queue_key: this.queueKey };
    if (options.limit !== undefined && options.limit > 0) query.limit = String(options.limit);
    if (options.after !== undefined && options.after !== '') query.after = options.after;
    return decode(
      await this.http.send({
        method: 'GET',
        path: this.stackPath('/scheduled-jobs'),
        query,
        retry: false,
        signal: options.signal,
      }),
      listSchema,
      'list scheduled jobs',
      (b): ScheduledJobsPage => ({
        jobs: b.jobs.map((j): ScheduledJob => ({
          id: j.id,
          priority: j.priority,
          agentQueryRules: j.agent_query_rules,
          scheduledAt: j.scheduled_at,
          pipeline: { slug: j.pipeline?.slug ?? null, uuid: j.pipeline?.uuid ?? null },
          build: {
            uuid: j.build?.uuid ?? null,
            number: j.build?.number ?? null,
            branch: j.build?.branch ?? null,
          },
          step: { key: j.step?.key ?? null },
        })),
        hasNextPage: b.page_info?.has_next_page ?? false,
        endCursor: b.page_info?.end_cursor ?? null,
        // The docs name it dispatch_paused, the Go client reads paused: honour either.
        queuePaused: b.cluster_queue?.paused === true || b.cluster_queue?.dispatch_paused === true,
      }),
    );
  }

  async reserveJobs(
    jobIds: readonly string[],
    expirySeconds: number,
    signal?: AbortSignal,
  ): Promise<ApiResult<ReserveResult>> {
    const reserved: string[] = [];
    const notReserved: string[] = [];
    let retryAfterMs: number | null = null;
    for (const chunk of chunks(jobIds, STACK_BATCH_LIMIT)) {
      const json: Record<string, unknown> = { job_uuids: chunk };
      if (expirySeconds > 0) json.reservation_expiry_seconds = expirySeconds;
      const res = decode(
        await this.http.send({
          method: 'PUT',
          path: this.stackPath('/scheduled-jobs/batch-reserve'),
          json,
          retry: false,
          signal,
        }),
        reserveSchema,
        'reserve jobs',
        (b) => b,
      );
      if (!res.ok) return res;
      reserved.push(...res.value.reserved);
      notReserved.push(...res.value.not_reserved);
      retryAfterMs = res.retryAfterMs ?? retryAfterMs;
    }
    return { ok: true, value: { reserved, notReserved }, retryAfterMs };
  }

  async getJob(jobId: string, signal?: AbortSignal): Promise<ApiResult<JobDetails>> {
    return decode(
      await this.http.send({
        method: 'GET',
        path: this.stackPath(`/jobs/${railsPathEscape(jobId)}`),
        retry: true,
        signal,
      }),
      jobSchema,
      'get job',
      (b): JobDetails => ({ id: b.id, command: b.command, env: b.env }),
    );
  }

  async getJobStates(
    jobIds: readonly string[],
    signal?: AbortSignal,
  ): Promise<ApiResult<ReadonlyMap<string, JobState>>> {
    const results = await Promise.all(
      chunks(jobIds, STACK_BATCH_LIMIT).map(async (chunk) =>
        decode(
          await this.http.send({
            method: 'POST',
            path: this.stackPath('/jobs/get-states'),
            json: { job_uuids: chunk },
            retry: true,
            signal,
          }),
          statesSchema,
          'get job states',
          (b) => b.states ?? {},
        ),
      ),
    );
    const states = new Map<string, JobState>();
    for (const res of results) {
      if (!res.ok) return res;
      for (const [id, state] of Object.entries(res.value)) {
        if (isJobState(state)) states.set(id, state);
        else this.options.logger.warn({ jobId: id, state }, 'ignoring unknown Buildkite job state');
      }
    }
    return { ok: true, value: states, retryAfterMs: null };
  }

  async failJob(jobId: string, message: string, signal?: AbortSignal): Promise<ApiResult<void>> {
    const res = await this.http.send({
      method: 'POST',
      path: this.stackPath(`/jobs/${railsPathEscape(jobId)}/finish`),
      // exit_status is always sent: the Go client omits 0, and the server reads absence as -1.
      json: { exit_status: -1, detail: cropUtf8(message, FINISH_DETAIL_MAX_BYTES, FINISH_DETAIL_CROPPED) },
      retry: true,
      signal,
    });
    return res.ok ? { ok: true, value: undefined, retryAfterMs: res.retryAfterMs } : res;
  }

  notify(jobId: string, detail: string): void {
    this.batcher.enqueue(jobId, detail);
  }

  /** Sends the queued notifications first (the stack is going away), then deregisters. */
  async deregister(signal?: AbortSignal): Promise<ApiResult<void>> {
    await this.batcher.close();
    const timeout = AbortSignal.timeout(DEREGISTER_TIMEOUT_MS);
    const res = await this.http.send({
      method: 'POST',
      path: this.stackPath('/deregister'),
      retry: false,
      signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
    });
    return res.ok ? { ok: true, value: undefined, retryAfterMs: res.retryAfterMs } : res;
  }

  /** Notifications dropped because the queue was full. */
  get droppedNotifications(): number {
    return this.batcher.dropped;
  }

  async close(): Promise<void> {
    await this.batcher.close();
    await this.http.close();
  }

  private async sendNotifications(
    batch: readonly StackNotification[],
  ): Promise<ApiResult<readonly NotificationRejection[]>> {
    return decode(
      await this.http.send({
        method: 'POST',
        path: this.stackPath('/notifications'),
        json: { notifications: batch },
        retry: false,
      }),
      notificationsSchema,
      'send stack notifications',
      (b) => b.errors,
    );
  }
}
