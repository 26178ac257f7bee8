/** What flows through the intake chain: monitor -> reserver -> limiter -> deduper -> scheduler. */

/** A scheduled Buildkite job on its way to becoming a Kubernetes Job. */
export interface IntakeJob {
  readonly id: string;
  readonly priority: number;
  /** The job's agent query rules, normalised for the served queue. */
  readonly agentQueryRules: readonly string[];
  /** When the listing that returned the job was received (ms since the epoch): end-to-end latency starts here. */
  readonly queriedAt: number;
}

/** How handing one job to the next stage ended. */
export type DispatchOutcome =
  | { readonly kind: 'created' }
  /** A Kubernetes Job for it exists already (or is being created). */
  | { readonly kind: 'duplicate' }
  /** The job waited too long and its data may be out of date (GraphQL source); it will be listed again. */
  | { readonly kind: 'stale' }
  /** Not created: failed on Buildkite with a reason, or a transient error (it will be listed again). */
  | { readonly kind: 'failed'; readonly message: string };

export type Dispatch = (job: IntakeJob) => Promise<DispatchOutcome>;
