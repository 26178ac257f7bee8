/**
 * The reserver: reserves listed jobs for this stack so no other stack takes them, and passes on the
 * ones Buildkite granted, in listing order. Jobs it did not grant are usually reserved elsewhere.
 */
import type { JobSource } from '../buildkite/job-source.js';
import { describeBuildkiteError } from '../buildkite/types.js';
import type { Logger } from '../observability/logger.js';
import type { IntakeJob } from './types.js';

export interface ReserverOptions {
  readonly source: Pick<JobSource, 'reserveJobs'>;
  /** 0 leaves the lifetime to the server (15 minutes). */
  readonly expirySeconds: number;
  readonly next: (jobs: readonly IntakeJob[]) => void;
  readonly logger: Logger;
}

export class Reserver {
  constructor(private readonly options: ReserverOptions) {}

  /** Returns false when the reservation call failed (the jobs are listed again on a later poll). */
  async handle(jobs: readonly IntakeJob[], signal?: AbortSignal): Promise<boolean> {
    if (jobs.length === 0) return true;
    const result = await this.options.source.reserveJobs(
      jobs.map((job) => job.id),
      this.options.expirySeconds,
      signal,
    );
    if (!result.ok) {
      this.options.logger.warn(
        { error: describeBuildkiteError(result.error), jobs: jobs.length },
        'error when reserving jobs',
      );
      return false;
    }
    const granted = new Set(result.value.reserved);
    if (result.value.notReserved.length > 0) {
      this.options.logger.debug(
        { 'job-uuids': result.value.notReserved },
        'jobs not reserved, likely because they were already reserved or assigned',
      );
    }
    this.options.next(jobs.filter((job) => granted.has(job.id)));
    return true;
  }
}
