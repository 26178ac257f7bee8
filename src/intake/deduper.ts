/**
 * The deduper: a Buildkite job never gets a second Kubernetes Job from this controller while one with
 * its UUID exists (including the job-ttl window after it finished) or is being created.
 */
import type { Metrics } from '../observability/metrics.js';
import type { JobLedger } from './ledger.js';
import type { Dispatch, DispatchOutcome, IntakeJob } from './types.js';

export interface DeduperOptions {
  readonly ledger: JobLedger;
  readonly dispatch: Dispatch;
  readonly metrics: Metrics['deduper'];
}

export class Deduper {
  private readonly creating = new Set<string>();

  constructor(private readonly options: DeduperOptions) {}

  readonly handle = async (job: IntakeJob): Promise<DispatchOutcome> => {
    const { ledger, metrics } = this.options;
    if (ledger.has(job.id) || this.creating.has(job.id)) {
      metrics.alreadyRunning.inc({ source: 'Handle' });
      return { kind: 'duplicate' };
    }
    this.creating.add(job.id);
    metrics.markedRunning.inc({ source: 'Handle' });
    metrics.jobsRunning.set(ledger.size + this.creating.size);
    metrics.handlerCalls.inc();
    try {
      const outcome = await this.options.dispatch(job);
      if (outcome.kind === 'failed' || outcome.kind === 'stale') metrics.handlerErrors.inc();
      return outcome;
    } finally {
      this.creating.delete(job.id);
      metrics.unmarkedRunning.inc({ source: 'Handle' });
      metrics.jobsRunning.set(ledger.size + this.creating.size);
    }
  };
}
