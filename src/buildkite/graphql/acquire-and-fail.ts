/**
 * Fails a job the way the GraphQL-era controller did: a short-lived agent registers with the agent
 * token, acquires the job, starts it, writes the message as the job log, finishes it with exit
 * status 1, and disconnects.
 */
import { hostname } from 'node:os';
import { gzipSync } from 'node:zlib';
import { z } from 'zod';
import type { Logger } from '../../observability/logger.js';
import { decode } from '../decode.js';
import { HttpClient, type RetryPolicy } from '../http.js';
import { railsPathEscape } from '../text.js';
import type { ApiResult } from '../types.js';

export interface AcquireAndFailOptions {
  /** Agent API base, e.g. `https://agent.buildkite.com/v3`. */
  readonly endpoint: string;
  readonly agentToken: string;
  readonly timeoutMs: number;
  readonly version: string;
  readonly logger: Logger;
  readonly retry?: RetryPolicy;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface FailOptions {
  /** Agent name; the k8s Job name (`buildkite-<uuid>`) upstream. */
  readonly agentName?: string;
  /** `k=v` agent tags. */
  readonly tags?: readonly string[];
  readonly signal?: AbortSignal;
}

const registerSchema = z.object({
  access_token: z.string().min(1),
  endpoint: z.string().nullish(),
});
const acquireSchema = z.object({ token: z.string().nullish() });

/** A session's base URL and `Authorization` header, passed per request on the one shared connection pool. */
interface Credentials {
  readonly baseUrl: string;
  readonly authorization: string;
}

export class AcquireAndFail {
  private readonly http: HttpClient;

  constructor(private readonly options: AcquireAndFailOptions) {
    this.http = new HttpClient({
      baseUrl: options.endpoint,
      timeoutMs: options.timeoutMs,
      userAgent: `agent-stack-k8s/${options.version}`,
      authorization: `Token ${options.agentToken}`,
      logger: options.logger,
      ...(options.retry === undefined ? {} : { retry: options.retry }),
      ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
    });
  }

  async fail(jobId: string, message: string, options: FailOptions = {}): Promise<ApiResult<void>> {
    const { signal } = options;
    const registered = decode(
      await this.http.send({
        method: 'POST',
        path: '/register',
        json: {
          name: options.agentName ?? `buildkite-${jobId}`,
          hostname: hostname(),
          os: process.platform,
          arch: process.arch,
          script_eval_enabled: false,
          ignore_in_dispatches: true,
          version: this.options.version,
          build: '',
          meta_data: options.tags ?? [],
          pid: process.pid,
          features: ['agent-core'],
        },
        retry: true,
        signal,
      }),
      registerSchema,
      'register agent',
      (b) => b,
    );
    if (!registered.ok) return registered;
    const endpoint = registered.value.endpoint ?? '';
    const session: Credentials = {
      // A non-empty endpoint in the answer re-points every later call, as for a real agent.
      baseUrl: endpoint === '' ? this.options.endpoint : endpoint,
      authorization: `Token ${registered.value.access_token}`,
    };
    const connected = await this.http.send({
      ...session,
      method: 'POST',
      path: '/connect',
      retry: true,
      signal,
    });
    if (!connected.ok) return connected;
    try {
      return await this.acquireAndFinish(session, jobId, message, signal);
    } finally {
      const gone = await this.http.send({
        ...session,
        method: 'POST',
        path: '/disconnect',
        retry: true,
        signal,
      });
      if (!gone.ok) {
        this.options.logger.warn(
          { jobId, error: gone.error.message },
          'disconnecting the failing agent failed',
        );
      }
    }
  }

  private async acquireAndFinish(
    session: Credentials,
    jobId: string,
    message: string,
    signal: AbortSignal | undefined,
  ): Promise<ApiResult<void>> {
    const jobPath = `/jobs/${railsPathEscape(jobId)}`;
    const acquired = decode(
      await this.http.send({
        ...session,
        method: 'PUT',
        path: `${jobPath}/acquire`,
        headers: { 'x-buildkite-lock-acquire-job': '1' },
        retry: true,
        signal,
      }),
      acquireSchema,
      'acquire job',
      (b) => b,
    );
    if (!acquired.ok) {
      const { error } = acquired;
      return error.kind === 'permanent'
        ? { ok: false, error: { ...error, message: `job acquisition rejected: ${error.message}` } }
        : acquired;
    }
    // The job token when the server issued one; the session token otherwise (as the agent core does).
    const jobToken = acquired.value.token ?? '';
    const job: Credentials = jobToken === '' ? session : { ...session, authorization: `Token ${jobToken}` };
    const started = await this.http.send({
      ...job,
      method: 'PUT',
      path: `${jobPath}/start`,
      json: { started_at: new Date().toISOString() },
      retry: true,
      signal,
    });
    if (!started.ok) return started;
    const log = Buffer.from(message.endsWith('\n') ? message : `${message}\n`, 'utf8');
    const chunk = await this.http.send({
      ...job,
      method: 'POST',
      path: `${jobPath}/chunks`,
      query: { sequence: '0', offset: '0', size: String(log.length) },
      raw: { data: gzipSync(log), headers: { 'content-type': 'text/plain', 'content-encoding': 'gzip' } },
      retry: true,
      signal,
    });
    if (!chunk.ok) {
      this.options.logger.warn({ jobId, error: chunk.error.message }, 'uploading the failure log failed');
    }
    const finished = await this.http.send({
      ...job,
      method: 'PUT',
      path: `${jobPath}/finish`,
      json: {
        exit_status: '1',
        signal_reason: 'stack_error',
        finished_at: new Date().toISOString(),
        chunks_failed_count: chunk.ok ? 0 : 1,
      },
      retry: true,
      signal,
    });
    return finished.ok ? { ok: true, value: undefined, retryAfterMs: null } : finished;
  }

  close(): Promise<void> {
    return this.http.close();
  }
}
