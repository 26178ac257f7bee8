/** `GET /v3/token`: who the agent token belongs to. Only cluster agent tokens can use the Stacks API. */
import type { Logger } from '../observability/logger.js';
import { HttpClient, type RetryPolicy } from './http.js';
import { z } from 'zod';
import { decode } from './decode.js';
import type { ApiResult, TokenIdentity } from './types.js';

export const UNCLUSTERED_TOKEN_MESSAGE =
  'Detected unclustered agent token, please upgrade to a cluster agent token: https://buildkite.com/organizations/~/clusters/~/tokens';

export interface TokenIdentityOptions {
  /** Agent API base, e.g. `https://agent.buildkite.com/v3`. */
  readonly endpoint: string;
  readonly agentToken: string;
  readonly timeoutMs: number;
  readonly version: string;
  readonly logger: Logger;
  readonly signal?: AbortSignal;
  readonly retry?: RetryPolicy;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

const text = z
  .string()
  .nullish()
  .transform((v) => v ?? '');
const tokenSchema = z.object({
  uuid: text,
  description: text,
  token_type: text,
  organization_slug: text,
  organization_uuid: text,
  cluster_uuid: text,
  cluster_name: text,
  organization_queue_uuid: text,
  organization_queue_key: text,
});

/**
 * Reads the token identity, retrying transient failures (upstream tries once and restarts the pod), and
 * refuses unclustered tokens permanently.
 */
export async function fetchTokenIdentity(options: TokenIdentityOptions): Promise<ApiResult<TokenIdentity>> {
  const http = new HttpClient({
    baseUrl: options.endpoint,
    timeoutMs: options.timeoutMs,
    userAgent: `buildkite/agent-stack-k8s ${options.version}`,
    authorization: `Token ${options.agentToken}`,
    logger: options.logger,
    ...(options.retry === undefined ? {} : { retry: options.retry }),
    ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
  });
  try {
    const res = decode(
      await http.send({ method: 'GET', path: '/token', retry: true, signal: options.signal }),
      tokenSchema,
      'GET /token',
      (body): TokenIdentity => ({
        uuid: body.uuid,
        description: body.description,
        tokenType: body.token_type,
        organizationSlug: body.organization_slug,
        organizationUuid: body.organization_uuid,
        clusterUuid: body.cluster_uuid,
        clusterName: body.cluster_name,
        organizationQueueUuid: body.organization_queue_uuid,
        organizationQueueKey: body.organization_queue_key,
      }),
    );
    if (!res.ok) return res;
    const identity = res.value;
    if (identity.clusterUuid === '') {
      return { ok: false, error: { kind: 'permanent', status: null, message: UNCLUSTERED_TOKEN_MESSAGE } };
    }
    options.logger.info(
      { clusterName: identity.clusterName, organization: identity.organizationSlug },
      'agent token identified',
    );
    return res;
  } finally {
    await http.close();
  }
}
