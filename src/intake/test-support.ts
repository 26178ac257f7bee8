/** Shared pieces of the intake tests: quiet logger, fresh metrics, Job objects. */
import { Registry } from 'prom-client';
import type { Job } from '../kube/types.js';
import { createLogger } from '../observability/logger.js';
import { createMetrics } from '../observability/metrics.js';
import { UUID_LABEL } from '../podspec/labels.js';
import type { IntakeJob } from './types.js';

export const quietLogger = createLogger({ format: 'json', level: 'error', write: () => undefined });

export function testMetrics() {
  return createMetrics(new Registry(), { defaultMetrics: false });
}

export function kubeJob(uuid: string, state: 'running' | 'Complete' | 'Failed' = 'running'): Job {
  return {
    metadata: { name: `buildkite-${uuid}`, namespace: 'default', labels: { [UUID_LABEL]: uuid } },
    status: state === 'running' ? { active: 1 } : { conditions: [{ type: state, status: 'True' }] },
  };
}

export function intakeJob(id: string, priority = 0): IntakeJob {
  return { id, priority, agentQueryRules: [], queriedAt: 0 };
}
