import { describe, expect, it } from 'vitest';
import { startBuildkiteSim } from '../../sim/buildkite/server.js';
import { createLogger } from '../observability/logger.js';
import { fetchTokenIdentity, UNCLUSTERED_TOKEN_MESSAGE } from './token.js';
import type { ApiResult } from './types.js';

const logger = createLogger({ format: 'json', level: 'error', write: () => undefined });
const TOKEN = 'bkct_test';

function value<T>(res: ApiResult<T>): T {
  if (!res.ok) throw new Error(`expected success, got ${res.error.kind}: ${res.error.message}`);
  return res.value;
}

describe('fetchTokenIdentity', () => {
  it('reads a cluster token and refuses an unclustered one', async () => {
    const clustered = await startBuildkiteSim({ agentToken: TOKEN, clusterUuid: 'c-1' });
    const unclustered = await startBuildkiteSim({ agentToken: TOKEN, unclusteredToken: true });
    try {
      const base = { agentToken: TOKEN, timeoutMs: 2000, version: '9.9.9', logger };
      const ok = value(await fetchTokenIdentity({ ...base, endpoint: clustered.agentEndpoint }));
      expect(ok.clusterUuid).toBe('c-1');
      expect(ok.organizationSlug).toBe('sim-org');
      expect(clustered.requests[0]?.headers['user-agent']).toBe('buildkite/agent-stack-k8s 9.9.9');

      clustered.injectFault({ endpoint: 'token', status: 503 });
      const retried = await fetchTokenIdentity({
        ...base,
        endpoint: clustered.agentEndpoint,
        sleep: () => Promise.resolve(),
      });
      expect(retried.ok).toBe(true);
      expect(clustered.requestCounts().token).toBe(3);

      const refused = await fetchTokenIdentity({ ...base, endpoint: unclustered.agentEndpoint });
      expect(refused).toEqual({
        ok: false,
        error: { kind: 'permanent', status: null, message: UNCLUSTERED_TOKEN_MESSAGE },
      });
    } finally {
      await clustered.close();
      await unclustered.close();
    }
  });
});
