/**
 * Completions watcher: once the `agent` container has exited but the pod keeps running (containers
 * the agent does not manage, legacy sidecars), sets the Job's active deadline so Kubernetes stops it.
 */
import type { Counter } from 'prom-client';
import type { InformerHandler } from '../kube/informer.js';
import type { KubeClient } from '../kube/client.js';
import type { Pod } from '../kube/types.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { JOB_NAME_LABEL, setActiveDeadline } from './kube-actions.js';
import { jobUuidOf } from '../podspec/labels.js';

export interface CompletionsWatcherOptions {
  readonly kube: KubeClient;
  /** `default-termination-grace-period-seconds`, used as the Job's `activeDeadlineSeconds`. */
  readonly terminationGracePeriodSeconds: number;
  readonly logger: Logger;
  readonly metrics: Metrics['completionWatcher'];
  /** `Metrics['watcherErrors']`: bugs caught in handlers and passes. */
  readonly errors: Counter<'watcher'>;
}

function agentTerminated(pod: Pod): boolean {
  return (pod.status?.containerStatuses ?? []).some(
    (s) => s.name === 'agent' && s.state?.terminated !== undefined,
  );
}

export class CompletionsWatcher {
  readonly #options: CompletionsWatcherOptions;

  readonly handler: InformerHandler<Pod> = {
    // Also catches pods whose agent finished while the controller was down.
    onAdd: (pod) => {
      this.#options.metrics.onAdd.inc();
      return this.#cleanup(pod);
    },
    onUpdate: (old, pod) => {
      this.#options.metrics.onUpdate.inc();
      // Handled when the agent first terminated; later updates need nothing.
      if (agentTerminated(old)) return;
      return this.#cleanup(pod);
    },
  };

  constructor(options: CompletionsWatcherOptions) {
    this.#options = options;
  }

  async #cleanup(pod: Pod): Promise<void> {
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed' || phase === 'Unknown') return;
    if (!agentTerminated(pod)) return;
    const logger = this.#options.logger.child({ pod: pod.metadata?.name, 'job-uuid': jobUuidOf(pod) });
    logger.debug('agent finished; setting the Job deadline so remaining containers stop');
    const jobName = pod.metadata?.labels?.[JOB_NAME_LABEL];
    if (jobName === undefined || jobName === '') {
      // Only the Kubernetes Job controller sets this label; without it there is no Job to update.
      this.#options.metrics.cleanupErrors.inc({ reason: 'NotFound' });
      logger.error(`pod has no ${JOB_NAME_LABEL} label; cannot find its Job`);
      return;
    }
    try {
      const updated = await setActiveDeadline(
        this.#options.kube,
        { namespace: pod.metadata?.namespace ?? '', name: jobName },
        this.#options.terminationGracePeriodSeconds,
      );
      if (!updated.ok) {
        this.#options.metrics.cleanupErrors.inc({ reason: updated.error.reason });
        logger.error({ error: updated.error.message }, 'failed to update job with activeDeadlineSeconds');
        return;
      }
      this.#options.metrics.cleanups.inc();
    } catch (error) {
      this.#options.errors.inc({ watcher: 'completions' });
      logger.error({ err: error }, 'completions watcher check failed');
    }
  }
}
