/**
 * The GraphQL job source (the design of upstream ≤ v0.27): scheduled jobs from the GraphQL API with
 * an API token, no reservations, job failing by a short-lived agent (acquire and fail), and job
 * states and cancellation through GraphQL.
 */
import { z } from 'zod';
import type { Logger } from '../../observability/logger.js';
import { decode } from '../decode.js';
import { HttpClient, type HttpOutcome, type RetryPolicy } from '../http.js';
import type { JobSource, ListScheduledJobsOptions } from '../job-source.js';
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
import { AcquireAndFail } from './acquire-and-fail.js';

export interface GraphqlJobSourceOptions {
  /** e.g. `https://graphql.buildkite.com/v1` */
  readonly graphqlEndpoint: string;
  /** API access token with GraphQL scope (sent as Bearer). */
  readonly apiToken: string;
  readonly organizationSlug: string;
  /** Cluster UUID; empty for an unclustered organization. */
  readonly clusterUuid: string;
  /** Queue to serve; a default-queue alias (`_default`, `~`, `-`, empty) lists without a queue rule. */
  readonly queue: string;
  /** Agent API base and agent token for acquire-and-fail. */
  readonly agentEndpoint: string;
  readonly agentToken: string;
  readonly timeoutMs: number;
  readonly version: string;
  readonly logger: Logger;
  /** Skip polls while the cluster queue is dispatch-paused (`enable-queue-pause`). */
  readonly checkQueuePause?: boolean;
  /** Page size when the caller gives none (`graphql-results-limit`, 1..500). */
  readonly resultsLimit?: number;
  readonly retry?: RetryPolicy;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

const DEFAULT_QUEUE_ALIASES = new Set(['', '_default', '__default__', '~', '-']);
const STATE_LOOKUP_CONCURRENCY = 10;

const JOBS_SELECTION = `count edges { node { __typename ... on JobTypeCommand { uuid env priority { number } agentQueryRules command scheduledAt } } } pageInfo { hasPreviousPage startCursor }`;
const SCHEDULED_JOBS_CLUSTERED = `query GetScheduledJobsClustered($slug: ID!, $agentQueryRules: [String!], $cluster: ID!, $last: Int!, $cursor: String) { organization(slug: $slug) { id jobs(state: [SCHEDULED], type: [COMMAND], last: $last, order: RECENTLY_CREATED, agentQueryRules: $agentQueryRules, cluster: $cluster, before: $cursor) { ${JOBS_SELECTION} } } }`;
const SCHEDULED_JOBS = `query GetScheduledJobs($slug: ID!, $agentQueryRules: [String!], $last: Int!, $cursor: String) { organization(slug: $slug) { id jobs(state: [SCHEDULED], type: [COMMAND], last: $last, order: RECENTLY_CREATED, agentQueryRules: $agentQueryRules, clustered: false, before: $cursor) { ${JOBS_SELECTION} } } }`;
const CLUSTER_QUEUES = `query GetClusterQueues($slug: ID!, $cluster: ID!, $first: Int) { organization(slug: $slug) { id cluster(id: $cluster) { queues(first: $first) { edges { node { key dispatchPaused } } } } } }`;
const ORGANIZATION = `query GetOrganization($slug: ID!) { organization(slug: $slug) { id } }`;
const COMMAND_JOB = `query GetCommandJob($uuid: ID!) { job(uuid: $uuid) { __typename ... on JobTypeCommand { id uuid state env command } } }`;
const CANCEL_JOB = `mutation JobTypeCommandCancel($input: JobTypeCommandCancelInput!) { jobTypeCommandCancel(input: $input) { clientMutationId jobTypeCommand { id state } } }`;

const nodeSchema = z.object({
  __typename: z.string(),
  uuid: z.string().optional(),
  env: z.array(z.string()).nullish(),
  priority: z.object({ number: z.number().int().nullish() }).nullish(),
  agentQueryRules: z.array(z.string()).nullish(),
  command: z.string().nullish(),
  scheduledAt: z.string().nullish(),
  id: z.string().optional(),
  state: z.string().optional(),
});
const jobsSchema = z.object({
  organization: z
    .object({
      id: z.string().nullish(),
      jobs: z.object({
        edges: z.array(z.object({ node: nodeSchema.nullish() })).nullish(),
        pageInfo: z.object({ hasPreviousPage: z.boolean(), startCursor: z.string().nullish() }),
      }),
    })
    .nullish(),
});
const queuesSchema = z.object({
  organization: z
    .object({
      cluster: z
        .object({
          queues: z.object({
            edges: z.array(z.object({ node: z.object({ key: z.string(), dispatchPaused: z.boolean() }) })),
          }),
        })
        .nullish(),
    })
    .nullish(),
});
const organizationSchema = z.object({ organization: z.object({ id: z.string().nullish() }).nullish() });
const jobSchema = z.object({ job: nodeSchema.nullish() });
const graphqlBodySchema = z.object({
  data: z.unknown().optional(),
  errors: z.array(z.object({ message: z.string() })).nullish(),
});

export class GraphqlJobSource implements JobSource {
  private readonly http: HttpClient;
  private readonly acquireAndFail: AcquireAndFail;

  constructor(private readonly options: GraphqlJobSourceOptions) {
    this.http = new HttpClient({
      baseUrl: options.graphqlEndpoint,
      timeoutMs: options.timeoutMs,
      userAgent: `buildkite/agent-stack-k8s ${options.version}`,
      authorization: `Bearer ${options.apiToken}`,
      logger: options.logger,
      ...(options.retry === undefined ? {} : { retry: options.retry }),
      ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
    });
    this.acquireAndFail = new AcquireAndFail({
      endpoint: options.agentEndpoint,
      agentToken: options.agentToken,
      timeoutMs: options.timeoutMs,
      version: options.version,
      logger: options.logger,
      ...(options.retry === undefined ? {} : { retry: options.retry }),
      ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
    });
  }

  private get clusterId(): string {
    return Buffer.from(`Cluster---${this.options.clusterUuid}`).toString('base64');
  }

  /** Posts one operation; GraphQL `errors` are permanent (bad query, missing scope, unknown object). */
  private async query<S extends z.ZodType, T>(
    operationName: string,
    query: string,
    variables: Record<string, unknown>,
    schema: S,
    map: (data: z.infer<S>) => T,
    retry: boolean,
    signal?: AbortSignal,
  ): Promise<ApiResult<T>> {
    const outcome: HttpOutcome = await this.http.send({
      method: 'POST',
      path: '',
      json: { operationName, query, variables },
      retry,
      signal,
    });
    const envelope = decode(outcome, graphqlBodySchema, operationName, (b) => b);
    if (!envelope.ok) return envelope;
    const errors = envelope.value.errors ?? [];
    if (errors.length > 0) {
      return {
        ok: false,
        error: {
          kind: 'permanent',
          status: null,
          message: `${operationName}: ${errors.map((e) => e.message).join('; ')}`,
        },
      };
    }
    const parsed = schema.safeParse(envelope.value.data);
    if (!parsed.success) {
      return {
        ok: false,
        error: {
          kind: 'retryable',
          status: null,
          message: `${operationName}: unexpected response data`,
          retryAfterMs: null,
        },
      };
    }
    return { ok: true, value: map(parsed.data), retryAfterMs: envelope.retryAfterMs };
  }

  async register(signal?: AbortSignal): Promise<ApiResult<StackRegistration>> {
    const org = await this.query(
      'GetOrganization',
      ORGANIZATION,
      { slug: this.options.organizationSlug },
      organizationSchema,
      (d) => d.organization?.id ?? null,
      true,
      signal,
    );
    if (!org.ok) return org;
    if (org.value === null) {
      return this.invalidOrganization();
    }
    return {
      ok: true,
      value: { key: this.options.organizationSlug, clusterQueueKey: this.options.queue },
      retryAfterMs: null,
    };
  }

  /** GraphQL answers `organization: null` for an unknown slug (or a token without access to it). */
  private invalidOrganization(): ApiResult<never> {
    return {
      ok: false,
      error: {
        kind: 'permanent',
        status: null,
        message: `invalid organization: ${this.options.organizationSlug}`,
      },
    };
  }

  async listScheduledJobs(options: ListScheduledJobsOptions): Promise<ApiResult<ScheduledJobsPage>> {
    const clustered = this.options.clusterUuid !== '';
    const isDefaultQueue = DEFAULT_QUEUE_ALIASES.has(this.options.queue);
    if (clustered && this.options.checkQueuePause === true && options.after === undefined) {
      const paused = await this.queuePaused(options.signal);
      if (!paused.ok) return paused;
      if (paused.value) {
        return {
          ok: true,
          value: { jobs: [], hasNextPage: false, endCursor: null, queuePaused: true },
          retryAfterMs: null,
        };
      }
    }
    const variables: Record<string, unknown> = {
      slug: this.options.organizationSlug,
      agentQueryRules: isDefaultQueue ? null : [`queue=${this.options.queue}`],
      last: Math.min(500, Math.max(1, options.limit ?? this.options.resultsLimit ?? 100)),
      cursor: options.after ?? null,
    };
    if (clustered) variables.cluster = this.clusterId;
    const res = await this.query(
      clustered ? 'GetScheduledJobsClustered' : 'GetScheduledJobs',
      clustered ? SCHEDULED_JOBS_CLUSTERED : SCHEDULED_JOBS,
      variables,
      jobsSchema,
      (d) => d.organization,
      false,
      options.signal,
    );
    if (!res.ok) return res;
    const org = res.value;
    if (org?.id == null) {
      return this.invalidOrganization();
    }
    const jobs: ScheduledJob[] = [];
    for (const edge of org.jobs.edges ?? []) {
      const node = edge.node;
      if (node?.__typename !== 'JobTypeCommand' || node.uuid === undefined) continue;
      jobs.push({
        id: node.uuid,
        priority: node.priority?.number ?? 0,
        agentQueryRules: node.agentQueryRules ?? [],
        scheduledAt: node.scheduledAt ?? null,
        pipeline: { slug: null, uuid: null },
        build: { uuid: null, number: null, branch: null },
        step: { key: null },
      });
    }
    // The API lists newest first; serve oldest first, then higher priority first (the sort is stable).
    jobs.reverse().sort((a, b) => b.priority - a.priority);
    return {
      ok: true,
      value: {
        jobs,
        // Reverse pagination: the next page holds newer jobs, before startCursor.
        hasNextPage: org.jobs.pageInfo.hasPreviousPage,
        endCursor: org.jobs.pageInfo.startCursor ?? null,
        queuePaused: false,
      },
      retryAfterMs: res.retryAfterMs,
    };
  }

  private async queuePaused(signal?: AbortSignal): Promise<ApiResult<boolean>> {
    const queue = DEFAULT_QUEUE_ALIASES.has(this.options.queue) ? null : this.options.queue;
    return this.query(
      'GetClusterQueues',
      CLUSTER_QUEUES,
      { slug: this.options.organizationSlug, cluster: this.clusterId, first: 100 },
      queuesSchema,
      (d) =>
        (d.organization?.cluster?.queues.edges ?? []).some(
          (e) => e.node.key === queue && e.node.dispatchPaused,
        ),
      false,
      signal,
    );
  }

  /** No reservations in this design: every job continues, and agents settle races at acquisition. */
  reserveJobs(jobIds: readonly string[], _expirySeconds: number): Promise<ApiResult<ReserveResult>> {
    return Promise.resolve({
      ok: true,
      value: { reserved: [...jobIds], notReserved: [] },
      retryAfterMs: null,
    });
  }

  async getJob(jobId: string, signal?: AbortSignal): Promise<ApiResult<JobDetails>> {
    const res = await this.commandJob(jobId, signal);
    if (!res.ok) return res;
    const node = res.value;
    if (node === null) {
      return {
        ok: false,
        error: { kind: 'permanent', status: 404, message: `GetCommandJob: job ${jobId} not found` },
      };
    }
    const env: Record<string, string> = {};
    for (const line of node.env ?? []) {
      const eq = line.indexOf('=');
      if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
    }
    return { ok: true, value: { id: jobId, command: node.command ?? '', env }, retryAfterMs: null };
  }

  private async commandJob(jobId: string, signal?: AbortSignal) {
    return this.query(
      'GetCommandJob',
      COMMAND_JOB,
      { uuid: jobId },
      jobSchema,
      (d) => (d.job?.__typename === 'JobTypeCommand' ? d.job : null),
      true,
      signal,
    );
  }

  /** One query per job (GraphQL has no batch lookup by UUID), a few at a time. */
  async getJobStates(
    jobIds: readonly string[],
    signal?: AbortSignal,
  ): Promise<ApiResult<ReadonlyMap<string, JobState>>> {
    const states = new Map<string, JobState>();
    let failure: ApiResult<never> | undefined;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (failure === undefined && next < jobIds.length) {
        const id = jobIds[next++] ?? '';
        const res = await this.commandJob(id, signal);
        if (!res.ok) {
          failure = res;
          return;
        }
        const state = res.value?.state?.toLowerCase();
        if (state !== undefined && isJobState(state)) states.set(id, state);
      }
    };
    await Promise.all(Array.from({ length: Math.min(STATE_LOOKUP_CONCURRENCY, jobIds.length) }, worker));
    return failure ?? { ok: true, value: states, retryAfterMs: null };
  }

  failJob(jobId: string, message: string, signal?: AbortSignal): Promise<ApiResult<void>> {
    return this.acquireAndFail.fail(jobId, message, signal === undefined ? {} : { signal });
  }

  /** Cancels a job an agent already holds (the GraphQL-era fallback when acquisition is rejected). */
  async cancelJob(jobId: string, clientMutationId: string, signal?: AbortSignal): Promise<ApiResult<void>> {
    const res = await this.query(
      'JobTypeCommandCancel',
      CANCEL_JOB,
      { input: { clientMutationId, id: jobId } },
      z.unknown(),
      () => undefined,
      true,
      signal,
    );
    return res;
  }

  /** Stack notifications do not exist in the GraphQL design. */
  notify(jobId: string): void {
    this.options.logger.debug({ jobId }, 'stack notifications are not available with the GraphQL job source');
  }

  deregister(): Promise<ApiResult<void>> {
    return Promise.resolve({ ok: true, value: undefined, retryAfterMs: null });
  }

  async close(): Promise<void> {
    await Promise.all([this.http.close(), this.acquireAndFail.close()]);
  }
}
