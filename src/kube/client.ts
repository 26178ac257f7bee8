/**
 * Kubernetes REST client on undici: one keep-alive pool per cluster, credentials from the kubeconfig on
 * every request (so rotated tokens are picked up), a client-side token bucket, and failures as values.
 * Not @kubernetes/client-node's HTTP layer: it opens a new agent per request and its watch hangs on silent
 * connections (spec/stack-notes.md §1.2).
 */
import type { RequestOptions as HttpsRequestOptions } from 'node:https';
import { Agent, ProxyAgent, errors as undiciErrors, request, type Dispatcher } from 'undici';
import {
  abortedError,
  errorFromResponse,
  failed,
  networkError,
  ok,
  parseRetryAfter,
  type KubeError,
  type KubeResult,
  type KubeStatus,
} from './errors.js';
import { parseKubeJson, stringifyKubeJson } from './json.js';
import { sleep } from '../backoff.js';
import { RateLimiter, type RateLimiterClock } from './rate-limiter.js';
import type { KubeCredentials } from './kubeconfig.js';
import type {
  Job,
  JobList,
  KubeEvent,
  KubeEventList,
  Lease,
  LeaseList,
  Pod,
  PodList,
  PodTemplate,
  PodTemplateList,
  Secret,
  SecretList,
} from './types.js';

export interface KubeClientOptions {
  readonly kubeConfig: KubeCredentials;
  /** Client-side request rate (`k8s-client-rate-limiter-qps`, default 10). */
  readonly qps: number;
  /** Client-side burst (`k8s-client-rate-limiter-burst`, default 20). */
  readonly burst: number;
  /** Headers and body timeout for non-watch requests. */
  readonly requestTimeoutMs?: number;
  /** Retries of a 429/5xx answer that carries Retry-After (client-go's default: 10). */
  readonly maxRetries?: number;
  readonly userAgent?: string;
  readonly clock?: RateLimiterClock;
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
type Query = Readonly<Record<string, string | number | boolean | undefined>>;

export interface KubeRequest {
  readonly method: Method;
  /** Absolute API path, e.g. `/apis/batch/v1/namespaces/ns/jobs`. */
  readonly path: string;
  readonly query?: Query;
  readonly body?: unknown;
  readonly contentType?: string;
  readonly signal?: AbortSignal | undefined;
}

export type WatchEvent<T> =
  | { readonly type: 'ADDED' | 'MODIFIED' | 'DELETED'; readonly object: T }
  | {
      readonly type: 'BOOKMARK';
      readonly object: {
        readonly metadata: {
          readonly resourceVersion: string;
          readonly annotations?: Record<string, string>;
        };
      };
    }
  | { readonly type: 'ERROR'; readonly object: KubeStatus };

/** How a watch stream ended. */
export type WatchEnd =
  /** The server closed the stream (its `timeoutSeconds` ran out) or the reader stopped it. */
  | { readonly kind: 'closed' }
  /** Nothing arrived for `idleTimeoutMs`: a silent or half-open connection. */
  | { readonly kind: 'idle' }
  | { readonly kind: 'aborted' }
  | { readonly kind: 'error'; readonly error: KubeError };

export interface WatchStream<T> {
  /**
   * Reads events until the stream ends; `onEvent` returning `false` stops reading and closes the
   * connection. Never rejects for transport failures; they come back as the `WatchEnd`.
   */
  forEach(onEvent: (event: WatchEvent<T>) => boolean | undefined): Promise<WatchEnd>;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
const DEFAULT_WATCH_IDLE_MS = 150_000;

export class KubeClient {
  readonly jobs: Pick<
    NamespacedResource<Job, JobList>,
    'create' | 'get' | 'list' | 'watch' | 'update' | 'delete'
  >;
  readonly pods: Pick<NamespacedResource<Pod, PodList>, 'get' | 'list' | 'watch' | 'delete'>;
  readonly secrets: Pick<NamespacedResource<Secret, SecretList>, 'get'>;
  readonly podTemplates: Pick<NamespacedResource<PodTemplate, PodTemplateList>, 'get' | 'patch'>;
  readonly events: Pick<NamespacedResource<KubeEvent, KubeEventList>, 'list'>;
  readonly leases: Pick<NamespacedResource<Lease, LeaseList>, 'get' | 'create' | 'update'>;

  readonly #kubeConfig: KubeCredentials;
  readonly #server: URL;
  readonly #limiter: RateLimiter;
  readonly #requestTimeoutMs: number;
  readonly #maxRetries: number;
  readonly #userAgent: string;
  #dispatcher: Promise<Dispatcher> | undefined;
  #closed = false;

  constructor(options: KubeClientOptions) {
    const cluster = options.kubeConfig.getCurrentCluster();
    if (cluster === null) {
      throw new Error('kubeconfig has no current cluster; set a current-context or run in a cluster');
    }
    this.#kubeConfig = options.kubeConfig;
    this.#server = new URL(cluster.server);
    this.#limiter = new RateLimiter({
      qps: options.qps,
      burst: options.burst,
      ...(options.clock ? { clock: options.clock } : {}),
    });
    this.#requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.#maxRetries = options.maxRetries ?? 10;
    this.#userAgent = options.userAgent ?? 'agent-stack-k8s';
    const core = '/api/v1';
    this.jobs = new NamespacedResource({
      client: this,
      apiPath: '/apis/batch/v1',
      plural: 'jobs',
      kind: 'Job',
    });
    this.pods = new NamespacedResource({ client: this, apiPath: core, plural: 'pods', kind: 'Pod' });
    this.secrets = new NamespacedResource({ client: this, apiPath: core, plural: 'secrets', kind: 'Secret' });
    this.podTemplates = new NamespacedResource({
      client: this,
      apiPath: core,
      plural: 'podtemplates',
      kind: 'PodTemplate',
    });
    this.events = new NamespacedResource({ client: this, apiPath: core, plural: 'events', kind: 'Event' });
    this.leases = new NamespacedResource({
      client: this,
      apiPath: '/apis/coordination.k8s.io/v1',
      plural: 'leases',
      kind: 'Lease',
    });
  }

  /** Sends one request and parses the JSON answer. */
  async request<T>(req: KubeRequest): Promise<KubeResult<T>> {
    const sent = await this.#send(req, this.#requestTimeoutMs);
    if (!sent.ok) return sent;
    const { statusCode, headers, body } = sent.value;
    let text: string;
    try {
      text = await body.text();
    } catch (error) {
      return failed(transportError(error, req.signal));
    }
    let parsed: unknown = undefined;
    if (text !== '') {
      try {
        parsed = parseKubeJson(text);
      } catch {
        if (statusCode < 300) {
          return failed({ kind: 'Unknown', code: statusCode, reason: '', message: 'response is not JSON' });
        }
        parsed = text.slice(0, 500);
      }
    }
    if (statusCode >= 200 && statusCode < 300) return ok(parsed as T);
    return failed(errorFromResponse(statusCode, parsed, headerValue(headers['retry-after'])));
  }

  /**
   * Opens a watch; the stream must be read with `forEach` (which releases the connection). A watch
   * silent for `idleTimeoutMs` (no headers, no events, no bookmarks) is cut by our own timer: undici's
   * body timeout ticks in half-second steps, too coarse for short test timeouts.
   */
  async watch<T>(
    req: KubeRequest & { readonly idleTimeoutMs?: number },
  ): Promise<KubeResult<WatchStream<T>>> {
    const idle = new IdleWatchdog(req.idleTimeoutMs ?? DEFAULT_WATCH_IDLE_MS, req.signal);
    const sent = await this.#send({ ...req, signal: idle.signal }, 0);
    if (!sent.ok) {
      idle.stop();
      return idle.fired ? failed(idleError()) : sent;
    }
    const { statusCode, headers, body } = sent.value;
    if (statusCode !== 200) {
      let parsed: unknown = undefined;
      try {
        const text = await body.text();
        parsed = text === '' ? undefined : parseKubeJson(text);
      } catch {
        // A garbled error body still yields an error typed from the status code.
      }
      idle.stop();
      return failed(errorFromResponse(statusCode, parsed, headerValue(headers['retry-after'])));
    }
    return ok({ forEach: (onEvent) => readWatch(body, onEvent, idle) });
  }

  /** Closes the connection pool; in-flight requests fail. */
  async close(): Promise<void> {
    this.#closed = true;
    const dispatcher = this.#dispatcher;
    this.#dispatcher = undefined;
    if (dispatcher) {
      await dispatcher.then((d) => d.destroy()).catch(() => undefined);
    }
  }

  /**
   * Sends with client-go's `checkWait` retries: a 429 or 5xx that carries Retry-After is retried after
   * that many seconds, up to `maxRetries` times (each retry takes a rate-limiter token too).
   */
  async #send(req: KubeRequest, timeoutMs: number): Promise<KubeResult<Dispatcher.ResponseData>> {
    for (let retry = 0; ; retry++) {
      const sent = await this.#sendOnce(req, timeoutMs);
      if (!sent.ok || retry >= this.#maxRetries) return sent;
      const { statusCode, headers, body } = sent.value;
      const retryAfter =
        statusCode === 429 || statusCode >= 500
          ? parseRetryAfter(headerValue(headers['retry-after']))
          : undefined;
      if (retryAfter === undefined) return sent;
      await body.dump().catch(() => undefined);
      try {
        await sleep(retryAfter * 1000, req.signal);
      } catch {
        return failed(abortedError());
      }
    }
  }

  async #sendOnce(req: KubeRequest, timeoutMs: number): Promise<KubeResult<Dispatcher.ResponseData>> {
    if (this.#closed) return failed(networkError('Kubernetes client is closed'));
    try {
      await this.#limiter.acquire(req.signal);
    } catch {
      return failed(abortedError());
    }
    const prepared = await this.#prepare();
    if (!prepared.ok) return prepared;
    const { dispatcher, headers } = prepared.value;
    const url = new URL(req.path, this.#server);
    for (const [key, value] of Object.entries(req.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    // Keep a path prefix from the server URL (e.g. a proxy at https://host/k8s).
    if (this.#server.pathname !== '/') url.pathname = this.#server.pathname.replace(/\/$/, '') + req.path;
    const requestHeaders: Record<string, string> = {
      ...headers,
      accept: 'application/json',
      'user-agent': this.#userAgent,
    };
    let body: string | undefined;
    if (req.body !== undefined) {
      body = stringifyKubeJson(req.body);
      requestHeaders['content-type'] = req.contentType ?? 'application/json';
    }
    try {
      const response = await request(url, {
        dispatcher,
        method: req.method,
        headers: requestHeaders,
        body,
        signal: req.signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      // An expired exec or token-file credential: fetch it afresh for the next request.
      if (response.statusCode === 401) this.#kubeConfig.credentialsRejected?.();
      return ok(response);
    } catch (error) {
      return failed(transportError(error, req.signal));
    }
  }

  async #prepare(): Promise<KubeResult<{ dispatcher: Dispatcher; headers: Record<string, string> }>> {
    let dispatcher: Dispatcher;
    try {
      this.#dispatcher ??= this.#createDispatcher();
      dispatcher = await this.#dispatcher;
    } catch (error) {
      // An unreadable CA or key file is retried on the next call rather than remembered.
      this.#dispatcher = undefined;
      return failed(credentialError(error));
    }
    try {
      return ok({ dispatcher, headers: await this.#authHeaders() });
    } catch (error) {
      return failed(credentialError(error));
    }
  }

  async #createDispatcher(): Promise<Dispatcher> {
    const options: HttpsRequestOptions = {};
    await this.#kubeConfig.applyToHTTPSOptions(options);
    const tls = {
      ca: options.ca,
      cert: options.cert,
      key: options.key,
      pfx: options.pfx,
      passphrase: options.passphrase,
      servername: options.servername,
      ...(options.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: options.rejectUnauthorized }),
    };
    const proxyUrl = this.#kubeConfig.getCurrentCluster()?.proxyUrl;
    if (proxyUrl !== undefined && proxyUrl !== '') {
      if (!proxyUrl.startsWith('http')) throw new Error(`unsupported proxy-url scheme: ${proxyUrl}`);
      return new ProxyAgent({ uri: proxyUrl, requestTls: tls });
    }
    return new Agent({ connect: tls, keepAliveTimeout: 30_000 });
  }

  /** Per request, so exec plugins and token files can rotate credentials. */
  async #authHeaders(): Promise<Record<string, string>> {
    const options: HttpsRequestOptions = { headers: {} };
    await this.#kubeConfig.applyToHTTPSOptions(options);
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(options.headers ?? {})) {
      if (typeof value === 'string' || typeof value === 'number') headers[key.toLowerCase()] = String(value);
      else if (Array.isArray(value)) headers[key.toLowerCase()] = value.join(', ');
    }
    if (typeof options.auth === 'string' && options.auth !== '') {
      headers.authorization = `Basic ${Buffer.from(options.auth).toString('base64')}`;
    }
    return headers;
  }
}

function credentialError(error: unknown): KubeError {
  return {
    kind: 'Unauthorized',
    code: 0,
    reason: '',
    message: `cannot get credentials from the kubeconfig: ${errorMessage(error)}`,
  };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function transportError(error: unknown, signal: AbortSignal | undefined): KubeError {
  if (signal?.aborted === true) return abortedError();
  if (error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError) {
    return {
      kind: 'Timeout',
      code: 0,
      reason: '',
      message: `Kubernetes API did not answer in time: ${error.message}`,
    };
  }
  return networkError(`Kubernetes API request failed: ${errorMessage(error)}`);
}

/** Aborts a watch when nothing arrives for `timeoutMs`; follows the caller's signal too. */
class IdleWatchdog {
  readonly #controller = new AbortController();
  readonly #timer: NodeJS.Timeout;
  readonly #caller: AbortSignal | undefined;
  readonly #onCallerAbort = (): void => {
    this.#controller.abort();
  };
  fired = false;

  constructor(timeoutMs: number, caller: AbortSignal | undefined) {
    this.#caller = caller;
    this.#timer = setTimeout(() => {
      this.fired = true;
      this.#controller.abort();
    }, timeoutMs);
    if (caller?.aborted === true) this.#controller.abort();
    caller?.addEventListener('abort', this.#onCallerAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get callerAborted(): boolean {
    return this.#caller?.aborted === true;
  }

  /** Something arrived: restart the countdown. */
  touch(): void {
    this.#timer.refresh();
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#caller?.removeEventListener('abort', this.#onCallerAbort);
  }
}

function idleError(): KubeError {
  return { kind: 'Timeout', code: 0, reason: '', message: 'watch sent nothing within the idle timeout' };
}

async function readWatch<T>(
  body: Dispatcher.ResponseData['body'],
  onEvent: (event: WatchEvent<T>) => boolean | undefined,
  idle: IdleWatchdog,
): Promise<WatchEnd> {
  const decoder = new TextDecoder();
  let buffered = '';
  idle.touch();
  try {
    for await (const chunk of body as AsyncIterable<Uint8Array>) {
      idle.touch();
      buffered += decoder.decode(chunk, { stream: true });
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        newline = buffered.indexOf('\n');
        if (line === '') continue;
        const event = parseWatchLine<T>(line);
        if (event === undefined) {
          return {
            kind: 'error',
            error: { kind: 'Unknown', code: 200, reason: '', message: 'malformed watch event' },
          };
        }
        if (onEvent(event) === false) return { kind: 'closed' };
      }
    }
    return { kind: 'closed' };
  } catch (error) {
    if (idle.callerAborted) return { kind: 'aborted' };
    if (idle.fired) return { kind: 'idle' };
    return { kind: 'error', error: transportError(error, undefined) };
  } finally {
    idle.stop();
    body.destroy();
  }
}

function parseWatchLine<T>(line: string): WatchEvent<T> | undefined {
  let event: unknown;
  try {
    event = parseKubeJson(line);
  } catch {
    return undefined;
  }
  if (typeof event !== 'object' || event === null) return undefined;
  const { type, object } = event as { type?: unknown; object?: unknown };
  if (typeof object !== 'object' || object === null) return undefined;
  switch (type) {
    case 'ADDED':
    case 'MODIFIED':
    case 'DELETED':
    case 'BOOKMARK':
    case 'ERROR':
      return event as WatchEvent<T>;
    default:
      return undefined;
  }
}

export interface CallOptions {
  readonly signal?: AbortSignal;
}
export interface WriteOptions extends CallOptions {
  /** Server-side dry run (`dryRun=All`): validated and defaulted, not persisted. */
  readonly dryRun?: boolean;
}
export interface ListOptions extends CallOptions {
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly limit?: number;
  readonly continue?: string;
  readonly resourceVersion?: string;
  readonly resourceVersionMatch?: 'Exact' | 'NotOlderThan';
}
export interface WatchOptions extends CallOptions {
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly resourceVersion?: string;
  readonly timeoutSeconds?: number;
  readonly allowWatchBookmarks?: boolean;
  /** Client-side: give up on a watch that sends nothing (not even a bookmark) for this long. */
  readonly idleTimeoutMs?: number;
}
export interface DeleteOptions extends WriteOptions {
  readonly propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  readonly gracePeriodSeconds?: number;
}
export type PatchType = 'merge' | 'strategic-merge' | 'json';

const PATCH_CONTENT_TYPES: Readonly<Record<PatchType, string>> = {
  merge: 'application/merge-patch+json',
  'strategic-merge': 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
};

interface ResourceOptions {
  readonly client: KubeClient;
  /** `/api/v1` or `/apis/<group>/<version>`. */
  readonly apiPath: string;
  readonly plural: string;
  readonly kind: string;
}

interface Named {
  metadata?: { name?: string };
}

/** The verbs of one namespaced resource type. */
export class NamespacedResource<T extends object, L> {
  readonly #client: KubeClient;
  readonly #apiPath: string;
  readonly #plural: string;
  readonly #apiVersion: string;
  readonly #kind: string;

  constructor(options: ResourceOptions) {
    this.#client = options.client;
    this.#apiPath = options.apiPath;
    this.#plural = options.plural;
    this.#apiVersion = options.apiPath.replace(/^\/apis?\//, '');
    this.#kind = options.kind;
  }

  get(namespace: string, name: string, options: CallOptions = {}): Promise<KubeResult<T>> {
    return this.#client.request({ method: 'GET', path: this.#path(namespace, name), signal: options.signal });
  }

  list(namespace: string, options: ListOptions = {}): Promise<KubeResult<L>> {
    const { signal, ...query } = options;
    return this.#client.request({ method: 'GET', path: this.#path(namespace), query, signal });
  }

  watch(namespace: string, options: WatchOptions = {}): Promise<KubeResult<WatchStream<T>>> {
    const { signal, idleTimeoutMs, ...query } = options;
    return this.#client.watch<T>({
      method: 'GET',
      path: this.#path(namespace),
      query: { ...query, watch: true },
      signal,
      ...(idleTimeoutMs === undefined ? {} : { idleTimeoutMs }),
    });
  }

  create(namespace: string, object: T, options: WriteOptions = {}): Promise<KubeResult<T>> {
    return this.#client.request({
      method: 'POST',
      path: this.#path(namespace),
      query: dryRunQuery(options),
      body: { apiVersion: this.#apiVersion, kind: this.#kind, ...object },
      signal: options.signal,
    });
  }

  /** PUT of the whole object; a stale `metadata.resourceVersion` fails with Conflict. */
  update(namespace: string, object: T, options: WriteOptions = {}): Promise<KubeResult<T>> {
    const name = (object as Named).metadata?.name ?? '';
    return this.#client.request({
      method: 'PUT',
      path: this.#path(namespace, name),
      query: dryRunQuery(options),
      body: { apiVersion: this.#apiVersion, kind: this.#kind, ...object },
      signal: options.signal,
    });
  }

  patch(
    namespace: string,
    name: string,
    patch: unknown,
    options: WriteOptions & { readonly type: PatchType },
  ): Promise<KubeResult<T>> {
    return this.#client.request({
      method: 'PATCH',
      path: this.#path(namespace, name),
      query: dryRunQuery(options),
      body: patch,
      contentType: PATCH_CONTENT_TYPES[options.type],
      signal: options.signal,
    });
  }

  /** Resolves to the object (when deletion is pending, e.g. finalizers) or a `Status`. */
  delete(namespace: string, name: string, options: DeleteOptions = {}): Promise<KubeResult<T | KubeStatus>> {
    return this.#client.request({
      method: 'DELETE',
      path: this.#path(namespace, name),
      body: {
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        ...(options.propagationPolicy === undefined ? {} : { propagationPolicy: options.propagationPolicy }),
        ...(options.gracePeriodSeconds === undefined
          ? {}
          : { gracePeriodSeconds: options.gracePeriodSeconds }),
        ...(options.dryRun === true ? { dryRun: ['All'] } : {}),
      },
      signal: options.signal,
    });
  }

  #path(namespace: string, name?: string): string {
    const base = `${this.#apiPath}/namespaces/${encodeURIComponent(namespace)}/${this.#plural}`;
    return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
  }
}

function dryRunQuery(options: WriteOptions): Query {
  return options.dryRun === true ? { dryRun: 'All' } : {};
}
