/** Shared pieces of the intake tests: quiet logger, fresh metrics, Job objects. */
import { createHash } from 'node:crypto';
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

const names = new Map<string, string>();

/** A stable job UUID for a readable test name (Buildkite job ids are UUIDs, and labels are checked). */
export function uuidOf(name: string): string {
  const hex = createHash('sha1').update(name).digest('hex');
  const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  names.set(uuid, name);
  return uuid;
}

/** The test name a UUID was made from. */
export function nameOf(uuid: string): string {
  return names.get(uuid) ?? uuid;
}

export function kubeJob(name: string, state: 'running' | 'Complete' | 'Failed' = 'running'): Job {
  return {
    metadata: {
      name: `buildkite-${uuidOf(name)}`,
      namespace: 'default',
      labels: { [UUID_LABEL]: uuidOf(name) },
    },
    status: state === 'running' ? { active: 1 } : { conditions: [{ type: state, status: 'True' }] },
  };
}

export function intakeJob(name: string, priority = 0): IntakeJob {
  return { id: uuidOf(name), priority, agentQueryRules: [], queriedAt: 0 };
}
