/**
 * The scheduler: turns one reserved job into a Kubernetes Job. Fetches the job's command and env,
 * builds the Job (failing the Buildkite job with the reason when it cannot be built), creates it, and
 * maps Kubernetes' answer: AlreadyExists is a duplicate, Invalid fails the job with the API server's
 * message and the Job as YAML. A transient failure (5xx, timeout, 429, no answer) is retried a few times at
 * once; after that, or on any other error, the job stays reserved and is listed again once the
 * reservation expires.
 */
import { stringify as stringifyYaml } from 'yaml';
import type { JobSource } from '../buildkite/job-source.js';
import type { Config } from '../config/schema.js';
import { describeBuildkiteError } from '../buildkite/types.js';
import type { DispatchOutcome, IntakeJob } from '../intake/types.js';
import { backoffDelay, sleep, type BackoffPolicy } from '../backoff.js';
import type { KubeClient } from '../kube/client.js';
import { describeKubeError, type KubeErrorKind, type KubeResult } from '../kube/errors.js';
import type { Job } from '../kube/types.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { buildJob, parseJob, type PodTemplateLookup } from '../podspec/build.js';

export const JOB_CREATED_NOTIFICATION = 'K8s Job created successfully, waiting for Agent to start...';
export const REJECTED_PREFIX = 'Kubernetes rejected the podSpec built by agent-stack-k8s: ';

/** Create failures worth another attempt: the API server may answer the next one. */
const TRANSIENT_CREATE_ERRORS: ReadonlySet<KubeErrorKind> = new Set([
  'ServerError',
  'Timeout',
  'TooManyRequests',
  'Network',
]);

export interface SchedulerOptions {
  readonly config: Config;
  readonly source: Pick<JobSource, 'getJob' | 'failJob' | 'notify'>;
  readonly kube: {
    readonly jobs: Pick<KubeClient['jobs'], 'create' | 'get'>;
    readonly podTemplates: Pick<KubeClient['podTemplates'], 'get'>;
  };
  readonly logger: Logger;
  readonly metrics: Metrics['scheduler'];
  readonly now?: () => number;
  /** Attempts at creating a Job when the failures are transient (default 3, backoff 0.5 s to 4 s). */
  readonly createRetry?: BackoffPolicy & { readonly attempts: number };
}

export class Scheduler {
  private readonly now: () => number;

  constructor(private readonly options: SchedulerOptions) {
    this.now = options.now ?? Date.now;
  }

  readonly dispatch = async (job: IntakeJob): Promise<DispatchOutcome> => {
    const { config, source, kube, metrics } = this.options;
    const logger = this.options.logger.child({ 'job-uuid': job.id });
    const details = await source.getJob(job.id);
    if (!details.ok) {
      logger.warn(
        { error: describeBuildkiteError(details.error) },
        "Couldn't get critical job information to run job",
      );
      return { kind: 'failed', message: describeBuildkiteError(details.error) };
    }
    const buildkiteJob = {
      id: job.id,
      command: details.value.command,
      env: details.value.env,
      agentQueryRules: job.agentQueryRules,
      priority: job.priority,
    };
    const parsed = parseJob(buildkiteJob, config);
    if (!parsed.ok) return this.fail(job.id, parsed.message, logger);

    let podTemplate: PodTemplateLookup | undefined;
    const templateName = parsed.parsed.podTemplateName;
    if (templateName !== undefined) {
      const fetched = await kube.podTemplates.get(config.namespace, templateName);
      podTemplate = fetched.ok
        ? { ok: true, spec: fetched.value.template?.spec ?? { containers: [] } }
        : { ok: false, error: fetched.error.message };
    }

    const built = buildJob({ parsed: parsed.parsed, config, ...(podTemplate ? { podTemplate } : {}) });
    if (!built.ok) return this.fail(job.id, built.message, logger);

    const created = await this.create(built.job, logger);
    if (!created.ok) {
      const { error } = created;
      metrics.createErrors.inc({ reason: error.reason });
      if (error.kind === 'AlreadyExists') {
        logger.debug('the Kubernetes Job exists already');
        return { kind: 'duplicate' };
      }
      if (error.kind === 'Invalid') {
        const yaml = stringifyYaml(built.job, { sortMapEntries: true });
        return this.fail(
          job.id,
          `${REJECTED_PREFIX}failed to create job: ${error.message}\n\n${yaml}`,
          logger,
        );
      }
      logger.warn(
        { error: describeKubeError(error) },
        'failed to create the Kubernetes Job; it will be retried',
      );
      return { kind: 'failed', message: describeKubeError(error) };
    }
    metrics.createSuccess.inc();
    metrics.endToEndSeconds.observe((this.now() - job.queriedAt) / 1000);
    source.notify(job.id, JOB_CREATED_NOTIFICATION);
    logger.info({ job: built.job.metadata?.name }, 'created the Kubernetes Job');
    return { kind: 'created' };
  };

  /**
   * Creates the Job, trying again after transient failures. An attempt whose answer was lost may have
   * created it, so AlreadyExists after a failed attempt means the Job is ours.
   */
  private async create(job: Job, logger: Logger): Promise<KubeResult<Job>> {
    const { config, kube, metrics } = this.options;
    const retry = this.options.createRetry ?? { attempts: 3, baseMs: 500, maxMs: 4000 };
    for (let attempt = 1; ; attempt++) {
      metrics.createCalls.inc();
      const created = await kube.jobs.create(config.namespace, job);
      if (created.ok) return created;
      if (attempt > 1 && created.error.kind === 'AlreadyExists') {
        return kube.jobs.get(config.namespace, job.metadata?.name ?? '');
      }
      if (attempt >= retry.attempts || !TRANSIENT_CREATE_ERRORS.has(created.error.kind)) return created;
      metrics.createErrors.inc({ reason: created.error.reason });
      logger.warn(
        { error: describeKubeError(created.error), attempt },
        'failed to create the Kubernetes Job; trying again',
      );
      await sleep(backoffDelay(attempt, retry));
    }
  }

  /** Fails the Buildkite job with `message` (exit status -1), so the user sees why it never ran. */
  private async fail(jobId: string, message: string, logger: Logger): Promise<DispatchOutcome> {
    const { source, metrics } = this.options;
    logger.warn({ reason: message.split('\n')[0] }, 'failing the job on Buildkite');
    const result = await source.failJob(jobId, message);
    if (result.ok) metrics.jobsFailedOnBuildkite.inc();
    else {
      metrics.failOnBuildkiteErrors.inc();
      logger.error({ error: describeBuildkiteError(result.error) }, 'failed to fail the job on Buildkite');
    }
    return { kind: 'failed', message };
  }
}
