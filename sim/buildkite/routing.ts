/** Routing plumbing shared by the simulator's route tables: route shape, matching, authentication. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from './http.js';
import type { BuildkiteModel, SimAgent, SimJob, SimStack } from './model.js';

export type Handler = (ctx: RequestContext) => Promise<void> | void;

export interface RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  readonly params: readonly string[];
  readonly body: () => Promise<Record<string, unknown>>;
  readonly rawBody: () => Promise<Buffer>;
  readonly reply: (status: number, body: unknown, headers?: Record<string, string>) => void;
}

export interface Route {
  readonly method: string;
  /** Path segments; `*` matches one segment, captured into params. */
  readonly pattern: readonly string[];
  /** Endpoint name for request counts, faults and rate-limit scopes. */
  readonly name: string;
  readonly handler: Handler;
}

/** What the route tables share: the state, the tokens, and the rate limiter. */
export interface SimDeps {
  readonly model: BuildkiteModel;
  readonly agentToken: string;
  readonly apiToken: string | undefined;
  readonly clusterUuid: string;
  readonly unclusteredToken: boolean;
  /** Counts a hit for (scope, stack) and returns the RateLimit headers, or throws a 429. */
  readonly rateLimit: (scope: string, stackKey: string) => Record<string, string>;
}

export function matchRoute(
  routes: readonly Route[],
  method: string,
  segments: readonly string[],
): { route: Route; params: string[] } | undefined {
  for (const route of routes) {
    if (route.method !== method || route.pattern.length !== segments.length) continue;
    const params: string[] = [];
    const matches = route.pattern.every((part, i) => {
      const seg = segments[i] ?? '';
      if (part === '*') {
        params.push(seg);
        return true;
      }
      return part === seg;
    });
    if (matches) return { route, params };
  }
  return undefined;
}

export function requireAgentToken(req: IncomingMessage, agentToken: string): void {
  if (req.headers.authorization !== `Token ${agentToken}`) {
    throw new HttpError(401, 'Unauthorized: a valid agent token is required');
  }
}

export function requireStack(model: BuildkiteModel, key: string): SimStack {
  const stack = model.stacks.get(key);
  if (stack === undefined) throw new HttpError(404, `Stack ${key} not found`);
  return stack;
}

function tokenOf(req: IncomingMessage): string {
  const match = /^Token (.+)$/.exec(req.headers.authorization ?? '');
  if (match?.[1] === undefined) throw new HttpError(401, 'Unauthorized');
  return match[1];
}

export function requireSession(model: BuildkiteModel, req: IncomingMessage): SimAgent {
  const agent = model.agentBySession(tokenOf(req));
  if (agent === undefined) throw new HttpError(401, 'Unauthorized: unknown session token');
  return agent;
}

/** Job endpoints take the job token, or the session token of the agent holding the job. */
export function requireJobAccess(model: BuildkiteModel, req: IncomingMessage, jobId: string): SimJob {
  const token = tokenOf(req);
  const job = model.job(jobId);
  if (job === undefined) throw new HttpError(404, 'No job found');
  const agent = model.agentBySession(token);
  if (model.jobIdByToken(token) !== jobId && (agent === undefined || agent.id !== job.agentId)) {
    throw new HttpError(401, 'Unauthorized: this token cannot access the job');
  }
  return job;
}
