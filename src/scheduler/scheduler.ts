/**
 * The scheduler: turns one reserved job into a Kubernetes Job. Fetches the job's command and env,
 * builds the Job (failing the Buildkite job with the reason when it cannot be built), creates it, and
 * maps Kubernetes' answer: AlreadyExists is a duplicate, Invalid fails the job with the API server's
 * message and the Job as YAML, anything else is transient (the job is listed again later).
 */
import { stringify as stringifyYaml } from 'yaml';
import type { JobSource } from '../buildkite/job-source.js';
import type { Config } from '../config/schema.js';
import { describeBuildkiteError } from '../buildkite/types.js';
import type { DispatchOutcome, IntakeJob } from '../intake/types.js';
import type { KubeClient } from '../kube/client.js';
import { describeKubeError } from '../kube/errors.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { buildJob, parseJob, type PodTemplateLookup } from '../podspec/build.js';

export const JOB_CREATED_NOTIFICATION = 'K8s Job created successfully, waiting for Agent to start...';
export const REJECTED_PREFIX = 'Kubernetes rejected the podSpec built by agent-stack-k8s: ';

export interface SchedulerOptions {
  readonly config: Config;
  readonly source: Pick<JobSource, 'getJob' | 'failJob' | 'notify'>;
  readonly kube: Pick<KubeClient, 'jobs' | 'podTemplates'>;
  readonly logger: Logger;
  readonly metrics: Metrics['scheduler'];
  readonly now?: () => number;
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

    metrics.createCalls.inc();
    const created = await kube.jobs.create(config.namespace, built.job);
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
