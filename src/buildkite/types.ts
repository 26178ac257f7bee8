/** Shapes shared by every job source: scheduled jobs, job details, job states, and typed API errors. */

/** Job states as lower-case strings (Stacks `get-states`, agent `GET jobs/{id}`). */
export const JOB_STATES = [
  'pending',
  'waiting',
  'waiting_failed',
  'blocked',
  'blocked_failed',
  'unblocked',
  'unblocked_failed',
  'limiting',
  'limited',
  'platform_limiting',
  'platform_limited',
  'scheduled',
  'reserved',
  'assigned',
  'accepted',
  'running',
  'finished',
  'canceling',
  'canceled',
  'timing_out',
  'timed_out',
  'skipped',
  'broken',
  'expired',
] as const;
export type JobState = (typeof JOB_STATES)[number];

export function isJobState(value: string): value is JobState {
  return (JOB_STATES as readonly string[]).includes(value);
}

/** A job waiting in the cluster queue, as listed by the monitor. */
export interface ScheduledJob {
  readonly id: string;
  readonly priority: number;
  readonly agentQueryRules: readonly string[];
  /** When Buildkite scheduled the job (RFC 3339), or null when the source does not say. */
  readonly scheduledAt: string | null;
  readonly pipeline: { readonly slug: string | null; readonly uuid: string | null };
  readonly build: {
    readonly uuid: string | null;
    readonly number: number | null;
    readonly branch: string | null;
  };
  readonly step: { readonly key: string | null };
}

export interface ScheduledJobsPage {
  readonly jobs: readonly ScheduledJob[];
  readonly hasNextPage: boolean;
  /** Pass as `after` to read the next page; null when the page was empty. */
  readonly endCursor: string | null;
  /** Whether dispatch is paused on the cluster queue. */
  readonly queuePaused: boolean;
}

/** What the scheduler needs to build a pod. */
export interface JobDetails {
  readonly id: string;
  readonly command: string;
  readonly env: Readonly<Record<string, string>>;
}

export interface ReserveResult {
  readonly reserved: readonly string[];
  readonly notReserved: readonly string[];
}

export interface StackRegistration {
  readonly key: string;
  /** The queue key to list from, as the server returned it. */
  readonly clusterQueueKey: string;
}

/** `GET /v3/token` response. */
export interface TokenIdentity {
  readonly uuid: string;
  readonly description: string;
  readonly tokenType: string;
  readonly organizationSlug: string;
  readonly organizationUuid: string;
  readonly clusterUuid: string;
  readonly clusterName: string;
  readonly organizationQueueUuid: string;
  readonly organizationQueueKey: string;
}

/**
 * A failed call. `permanent` is a 4xx other than 429 (or an answer we can never accept, such as an
 * unclustered token): retrying cannot help. `retryable` covers 429, 5xx, network errors, timeouts
 * and undecodable 2xx bodies; `retryAfterMs` is the server's `Retry-After` when it sent one.
 */
export type BuildkiteError =
  | {
      readonly kind: 'permanent';
      readonly status: number | null;
      readonly message: string;
    }
  | {
      readonly kind: 'retryable';
      readonly status: number | null;
      readonly message: string;
      readonly retryAfterMs: number | null;
    };

/** Outcome of a call. A success may carry `retryAfterMs` (the monitor waits that long before polling again). */
export type ApiResult<T> =
  | { readonly ok: true; readonly value: T; readonly retryAfterMs: number | null }
  | { readonly ok: false; readonly error: BuildkiteError };

export function isPermanentError(error: BuildkiteError): boolean {
  return error.kind === 'permanent';
}

/** One-line description of a Buildkite API error for logs. */
export function describeBuildkiteError(error: BuildkiteError): string {
  return `${error.status === null ? 'network error' : `HTTP ${error.status}`}: ${error.message}`;
}
