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

export class AcquireAndFail {
  constructor(private readonly options: AcquireAndFailOptions) {}

  private client(baseUrl: string, token: string): HttpClient {
    return new HttpClient({
      baseUrl,
      timeoutMs: this.options.timeoutMs,
      userAgent: `agent-stack-k8s/${this.options.version}`,
      authorization: `Token ${token}`,
      logger: this.options.logger,
      ...(this.options.retry === undefined ? {} : { retry: this.options.retry }),
      ...(this.options.sleep === undefined ? {} : { sleep: this.options.sleep }),
    });
  }

  async fail(jobId: string, message: string, options: FailOptions = {}): Promise<ApiResult<void>> {
    const { signal } = options;
    const registration = this.client(this.options.endpoint, this.options.agentToken);
    const registered = await (async () => {
      try {
        return decode(
          await registration.send({
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
      } finally {
        await registration.close();
      }
    })();
    if (!registered.ok) return registered;
    const endpoint = registered.value.endpoint ?? '';
    const session = this.client(
      endpoint === '' ? this.options.endpoint : endpoint,
      registered.value.access_token,
    );
    try {
      const connected = await session.send({ method: 'POST', path: '/connect', retry: true, signal });
      if (!connected.ok) return connected;
      try {
        return await this.acquireAndFinish(session, jobId, message, signal);
      } finally {
        const gone = await session.send({ method: 'POST', path: '/disconnect', retry: true, signal });
        if (!gone.ok)
          this.options.logger.warn(
            { jobId, error: gone.error.message },
            'disconnecting the failing agent failed',
          );
      }
    } finally {
      await session.close();
    }
  }

  private async acquireAndFinish(
    session: HttpClient,
    jobId: string,
    message: string,
    signal: AbortSignal | undefined,
  ): Promise<ApiResult<void>> {
    const jobPath = `/jobs/${railsPathEscape(jobId)}`;
    const acquired = decode(
      await session.send({
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
    const job = jobToken === '' ? session : this.client(session.baseUrl, jobToken);
    try {
      const started = await job.send({
        method: 'PUT',
        path: `${jobPath}/start`,
        json: { started_at: new Date().toISOString() },
        retry: true,
        signal,
      });
      if (!started.ok) return started;
      const log = Buffer.from(message.endsWith('\n') ? message : `${message}\n`, 'utf8');
      const chunk = await job.send({
        method: 'POST',
        path: `${jobPath}/chunks`,
        query: { sequence: '0', offset: '0', size: String(log.length) },
        raw: { data: gzipSync(log), headers: { 'content-type': 'text/plain', 'content-encoding': 'gzip' } },
        retry: true,
        signal,
      });
      if (!chunk.ok)
        this.options.logger.warn({ jobId, error: chunk.error.message }, 'uploading the failure log failed');
      const finished = await job.send({
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
    } finally {
      if (job !== session) await job.close();
    }
  }
}
