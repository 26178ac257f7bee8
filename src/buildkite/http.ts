/**
 * JSON-over-HTTP transport shared by the Buildkite clients: one keep-alive undici Agent per client,
 * per-request timeout, typed errors, and an optional retry loop (429/5xx/network) with full-jitter
 * backoff that honours `Retry-After`.
 */
import { Agent, request } from 'undici';
import type { Logger } from '../observability/logger.js';
import { backoffDelay, sleep } from '../backoff.js';
import type { BuildkiteError } from './types.js';

export interface RetryPolicy {
  /** Total attempts, including the first. */
  readonly attempts: number;
  readonly baseMs: number;
  readonly maxMs: number;
  /** A longer `Retry-After` is cut to this, so one call cannot stall a worker for an hour. */
  readonly maxRetryAfterMs: number;
}

/** Five attempts, roughly 1 s, 2 s, 4 s, 8 s apart at most, like the Go client's default retrier. */
export const DEFAULT_RETRY: RetryPolicy = {
  attempts: 5,
  baseMs: 1000,
  maxMs: 10_000,
  maxRetryAfterMs: 60_000,
};

export interface HttpClientOptions {
  /** Base URL that paths are appended to, e.g. `https://agent.buildkite.com/v3`. */
  readonly baseUrl: string;
  readonly timeoutMs: number;
  readonly userAgent: string;
  /** Full `Authorization` header value. */
  readonly authorization: string;
  readonly logger: Logger;
  readonly retry?: RetryPolicy;
  readonly random?: () => number;
  /** The wait between attempts; the shared abortable sleep unless a test records the delays. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface HttpRequest {
  readonly method: 'GET' | 'POST' | 'PUT';
  /** Path below the base URL, starting with `/`, already escaped. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  /** JSON body; omitted bodies are sent empty. */
  readonly json?: unknown;
  /** Raw body with its own content headers (log chunks). */
  readonly raw?: { readonly data: Uint8Array; readonly headers: Readonly<Record<string, string>> };
  readonly headers?: Readonly<Record<string, string>>;
  /** Overrides the client's base URL and `Authorization` for this request (an agent session's calls). */
  readonly baseUrl?: string;
  readonly authorization?: string;
  /** Retry 429/5xx/network errors with backoff; otherwise one attempt. */
  readonly retry: boolean;
  readonly signal?: AbortSignal | undefined;
}

export type HttpOutcome =
  | {
      readonly ok: true;
      readonly status: number;
      readonly body: unknown;
      readonly retryAfterMs: number | null;
    }
  | { readonly ok: false; readonly error: BuildkiteError };

export class HttpClient {
  private readonly agent: Agent;
  private readonly options: HttpClientOptions;
  private readonly retry: RetryPolicy;
  private closing: Promise<void> | undefined;

  constructor(options: HttpClientOptions) {
    this.options = options;
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.agent = new Agent({ keepAliveTimeout: 30_000, connections: 32 });
  }

  async send(req: HttpRequest): Promise<HttpOutcome> {
    const attempts = req.retry ? Math.max(1, this.retry.attempts) : 1;
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.once(req);
      if (outcome.ok || outcome.error.kind === 'permanent' || attempt >= attempts - 1) return outcome;
      if (req.signal?.aborted === true) return outcome;
      const delay = Math.min(
        outcome.error.retryAfterMs ?? backoffDelay(attempt, this.retry, this.options.random),
        this.retry.maxRetryAfterMs,
      );
      this.options.logger.debug(
        {
          method: req.method,
          path: req.path,
          attempt: attempt + 1,
          delayMs: delay,
          error: outcome.error.message,
        },
        'retrying Buildkite request',
      );
      try {
        await (this.options.sleep ?? sleep)(delay, req.signal);
      } catch {
        return outcome;
      }
    }
  }

  /** Idempotent: a second close waits for the first. */
  close(): Promise<void> {
    this.closing ??= this.agent.close();
    return this.closing;
  }

  private async once(req: HttpRequest): Promise<HttpOutcome> {
    const url = new URL((req.baseUrl ?? this.options.baseUrl).replace(/\/+$/, '') + req.path);
    for (const [key, value] of Object.entries(req.query ?? {})) url.searchParams.append(key, value);
    const what = `${req.method} ${url.pathname}`;
    const headers: Record<string, string> = {
      'user-agent': this.options.userAgent,
      authorization: req.authorization ?? this.options.authorization,
      accept: 'application/json',
      'content-type': 'application/json',
      ...req.headers,
      ...req.raw?.headers,
    };
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const signal = req.signal === undefined ? timeout : AbortSignal.any([req.signal, timeout]);
    let status: number;
    let text: string;
    let retryAfterHeader: string | string[] | undefined;
    try {
      const res = await request(url, {
        method: req.method,
        headers,
        body: req.raw?.data ?? (req.json === undefined ? '' : JSON.stringify(req.json)),
        signal,
        dispatcher: this.agent,
      });
      status = res.statusCode;
      retryAfterHeader = res.headers['retry-after'];
      text = await res.body.text();
    } catch (err) {
      const reason = timeout.aborted
        ? `timed out after ${this.options.timeoutMs} ms`
        : req.signal?.aborted === true
          ? 'aborted'
          : err instanceof Error
            ? err.message
            : String(err);
      return { ok: false, error: retryable(null, `${what}: ${reason}`, null) };
    }
    const retryAfterMs = parseRetryAfter(
      Array.isArray(retryAfterHeader) ? retryAfterHeader[0] : retryAfterHeader,
      Date.now(),
    );
    if (status >= 200 && status < 300) {
      if (text.trim() === '') return { ok: true, status, body: undefined, retryAfterMs };
      try {
        return { ok: true, status, body: JSON.parse(text) as unknown, retryAfterMs };
      } catch {
        return {
          ok: false,
          error: retryable(status, `${what}: HTTP ${status} with a body that is not JSON`, null),
        };
      }
    }
    const message = `${what}: HTTP ${status}: ${errorMessage(text)}`;
    if (status === 429 || status >= 500)
      return { ok: false, error: retryable(status, message, retryAfterMs) };
    return { ok: false, error: { kind: 'permanent', status, message } };
  }
}

function retryable(status: number | null, message: string, retryAfterMs: number | null): BuildkiteError {
  return { kind: 'retryable', status, message, retryAfterMs };
}

/** The `message` of a Buildkite error body, or the raw text (cropped) when it has none. */
function errorMessage(text: string): string {
  try {
    const body = JSON.parse(text) as unknown;
    if (typeof body === 'object' && body !== null && 'message' in body && typeof body.message === 'string') {
      return body.message;
    }
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.length > 200 ? `${text.slice(0, 200)}…` : text || '(empty body)';
}

/**
 * `Retry-After` in milliseconds: decimal seconds (what Buildkite sends) or an HTTP date.
 * Null when absent or unreadable.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | null {
  if (value === undefined) return null;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date) || !/[a-z]/i.test(trimmed)) return null;
  return Math.max(0, date - nowMs);
}
