/** The one interface the intake chain, scheduler and watchers use to talk to Buildkite. */
import type {
  ApiResult,
  JobDetails,
  JobState,
  ReserveResult,
  ScheduledJobsPage,
  StackRegistration,
} from './types.js';

export interface ListScheduledJobsOptions {
  /** Page size, 1..1000; the source's default when absent. */
  readonly limit?: number;
  /** `endCursor` of the previous page; absent to start from the beginning. */
  readonly after?: string;
  readonly signal?: AbortSignal;
}

export interface JobSource {
  /** Announces the stack (Stacks API) or checks the organization (GraphQL). Fatal at start-up when it fails. */
  register(signal?: AbortSignal): Promise<ApiResult<StackRegistration>>;
  /** One page of scheduled jobs; the caller follows `endCursor` up to its depth limit. */
  listScheduledJobs(options: ListScheduledJobsOptions): Promise<ApiResult<ScheduledJobsPage>>;
  /** Reserves jobs (chunked by 1000). Sources without reservations report every job as reserved. */
  reserveJobs(
    jobIds: readonly string[],
    expirySeconds: number,
    signal?: AbortSignal,
  ): Promise<ApiResult<ReserveResult>>;
  getJob(jobId: string, signal?: AbortSignal): Promise<ApiResult<JobDetails>>;
  /** States of known jobs; unknown ids are absent from the map. Batched by 1000. */
  getJobStates(
    jobIds: readonly string[],
    signal?: AbortSignal,
  ): Promise<ApiResult<ReadonlyMap<string, JobState>>>;
  /** Fails a job that no agent has taken, showing `message` to the user. */
  failJob(jobId: string, message: string, signal?: AbortSignal): Promise<ApiResult<void>>;
  /** Queues a short message for the job's page; never blocks, never throws. */
  notify(jobId: string, detail: string): void;
  /** Graceful shutdown: flushes queued notifications, then tells Buildkite the stack is gone. */
  deregister(signal?: AbortSignal): Promise<ApiResult<void>>;
  /** Flushes queued notifications and releases connections. */
  close(): Promise<void>;
}
