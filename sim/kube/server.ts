/**
 * HTTP front of the fake API server: kube-apiserver's REST paths, list pagination, watches with
 * bookmarks, Status bodies for failures, dry runs and fault injection. JSON only (an Accept header
 * preferring protobuf still gets JSON, as a real server does for types without protobuf).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import type { FaultAction, FaultVerb, Faults } from './faults.js';
import { mergePatch, prepareForCreate, prepareForUpdate } from './registry.js';
import { parseFieldSelector, parseLabelSelector, type Labels, type Selector } from './selectors.js';
import {
  RESOURCES,
  type Change,
  type FakeStore,
  type KubeObject,
  type ResourceInfo,
  type StoreFailure,
} from './store.js';
import { invalidMessage, type Cause } from './validation.js';

export interface FakeApiServerOptions {
  readonly store: FakeStore;
  readonly faults: Faults;
  /** When set, requests must carry `Authorization: Bearer <token>`. */
  readonly token?: string;
  /** How often open watches that asked for bookmarks get one. */
  readonly bookmarkIntervalMs?: number;
  /** Serve HTTPS; with `clientCa`, a client certificate it signed also authenticates. */
  readonly tls?: FakeTls;
}

export interface FakeTls {
  readonly key: string;
  readonly cert: string;
  readonly clientCa?: string;
}

interface Route {
  readonly info: ResourceInfo;
  readonly namespace: string | undefined;
  readonly name: string | undefined;
}

interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: Record<string, unknown>;
  code: number;
}

function failure(
  code: number,
  reason: string,
  message: string,
  details?: Record<string, unknown>,
): StatusBody {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  };
}

const REASON_BY_CODE: Readonly<Record<number, string>> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Expired',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

function qualified(info: ResourceInfo): string {
  return info.group === '' ? info.plural : `${info.plural}.${info.group}`;
}

function storeFailure(info: ResourceInfo, name: string, namespace: string, result: StoreFailure): StatusBody {
  const details = { name, ...(info.group === '' ? {} : { group: info.group }), kind: info.plural };
  switch (result.reason) {
    case 'AlreadyExists':
      return failure(409, 'AlreadyExists', `${qualified(info)} "${name}" already exists`, details);
    case 'Conflict':
      return failure(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${qualified(info)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        details,
      );
    case 'NotFound':
      return result.what === 'namespace'
        ? failure(404, 'NotFound', `namespaces "${namespace}" not found`, {
            name: namespace,
            kind: 'namespaces',
          })
        : failure(404, 'NotFound', `${qualified(info)} "${name}" not found`, details);
  }
}

function invalidStatus(info: ResourceInfo, name: string, causes: readonly Cause[]): StatusBody {
  const kindWithGroup = info.group === '' ? info.kind : `${info.kind}.${info.group}`;
  return failure(422, 'Invalid', invalidMessage(kindWithGroup, name, causes), {
    name,
    ...(info.group === '' ? {} : { group: info.group }),
    kind: info.kind,
    causes,
  });
}

function expiredStatus(message: string): StatusBody {
  return failure(410, 'Expired', message);
}

function send(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function sendStatus(res: ServerResponse, status: StatusBody, headers: Record<string, string> = {}): void {
  send(res, status.code, status, headers);
}

function parseRoute(pathname: string): Route | undefined {
  const parts = pathname
    .split('/')
    .filter((p) => p !== '')
    .map(decodeURIComponent);
  let apiVersion: string;
  let rest: string[];
  if (parts[0] === 'api' && parts[1] === 'v1') {
    apiVersion = 'v1';
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 3) {
    apiVersion = `${parts[1] ?? ''}/${parts[2] ?? ''}`;
    rest = parts.slice(3);
  } else {
    return undefined;
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const info = RESOURCES[rest[0] ?? ''];
  if (info === undefined || info.apiVersion !== apiVersion || rest.length > 2) return undefined;
  return { info, namespace, name: rest[1] };
}

function verbFor(method: string, route: Route, url: URL): FaultVerb | undefined {
  const watch = url.searchParams.get('watch');
  switch (method) {
    case 'GET':
      if (route.name !== undefined) return 'get';
      return watch === 'true' || watch === '1' ? 'watch' : 'list';
    case 'POST':
      return route.name === undefined && route.namespace !== undefined ? 'create' : undefined;
    case 'PUT':
      return route.name === undefined ? undefined : 'update';
    case 'PATCH':
      return route.name === undefined ? undefined : 'patch';
    case 'DELETE':
      return route.name === undefined ? undefined : 'delete';
    default:
      return undefined;
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

type Parsed = { ok: true; value: unknown } | { ok: false };

function parseJson(text: string): Parsed {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

function isObject(value: unknown): value is KubeObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface ContinueToken {
  rv: number;
  start: string;
}

function decodeContinue(token: string): ContinueToken | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<ContinueToken>;
    return typeof parsed.rv === 'number' && typeof parsed.start === 'string'
      ? { rv: parsed.rv, start: parsed.start }
      : undefined;
  } catch {
    return undefined;
  }
}

function stripTypeMeta(object: KubeObject): KubeObject {
  const { apiVersion: _apiVersion, kind: _kind, ...rest } = object;
  return rest;
}

export class FakeApiServer {
  readonly #store: FakeStore;
  readonly #faults: Faults;
  readonly #token: string | undefined;
  readonly #bookmarkIntervalMs: number;
  readonly #server: Server;
  readonly #counts = new Map<string, number>();
  readonly #tls: boolean;

  constructor(options: FakeApiServerOptions) {
    this.#store = options.store;
    this.#faults = options.faults;
    this.#token = options.token;
    this.#bookmarkIntervalMs = options.bookmarkIntervalMs ?? 1000;
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      this.#handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) sendStatus(res, failure(500, 'InternalError', String(error)));
        else res.destroy();
      });
    };
    const tls = options.tls;
    this.#tls = tls !== undefined;
    this.#server =
      tls === undefined
        ? createServer(handler)
        : createTlsServer(
            {
              key: tls.key,
              cert: tls.cert,
              ...(tls.clientCa === undefined ? {} : { ca: tls.clientCa, requestCert: true }),
              rejectUnauthorized: false,
            },
            handler,
          );
  }

  /** Binds 127.0.0.1 on a free port; resolves to the base URL. */
  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(0, '127.0.0.1', () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    const scheme = this.#tls ? 'https' : 'http';
    return `${scheme}://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** Requests served, keyed `<verb> <resource>` (e.g. `create jobs`). */
  requestCounts(): Record<string, number> {
    return Object.fromEntries([...this.#counts.entries()].sort());
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) =>
      this.#server.close(() => {
        resolve();
      }),
    );
    this.#server.closeAllConnections();
    await closed;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const certified = (req.socket as Partial<TLSSocket>).authorized === true;
    if (this.#token !== undefined && !certified && req.headers.authorization !== `Bearer ${this.#token}`) {
      sendStatus(res, failure(401, 'Unauthorized', 'Unauthorized'));
      return;
    }
    if (url.pathname === '/version') {
      send(res, 200, { major: '1', minor: '34', gitVersion: 'v1.34.0-fake', platform: 'linux/amd64' });
      return;
    }
    const route = parseRoute(url.pathname);
    if (route === undefined) {
      sendStatus(res, failure(404, 'NotFound', 'the server could not find the requested resource'));
      return;
    }
    const verb = verbFor(req.method ?? 'GET', route, url);
    if (verb === undefined) {
      sendStatus(
        res,
        failure(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`),
      );
      return;
    }
    const countKey = `${verb} ${route.info.plural}`;
    this.#counts.set(countKey, (this.#counts.get(countKey) ?? 0) + 1);
    const body = req.method === 'GET' ? '' : await readBody(req);
    const fault = this.#faults.take(verb, route.info.plural);
    if (fault !== undefined && (await this.#applyFault(fault, verb, res))) return;
    switch (verb) {
      case 'list':
        this.#list(route, url, res);
        return;
      case 'watch':
        this.#watch(route, url, req, res);
        return;
      case 'get':
        this.#get(route, res);
        return;
      case 'create':
        this.#create(route, url, body, res);
        return;
      case 'update':
        this.#update(route, url, body, res);
        return;
      case 'patch':
        this.#patch(route, url, body, req.headers['content-type'] ?? '', res);
        return;
      case 'delete':
        this.#delete(route, url, body, res);
        return;
    }
  }

  /** Returns true when the fault answered (or swallowed) the request. */
  async #applyFault(fault: FaultAction, verb: FaultVerb, res: ServerResponse): Promise<boolean> {
    switch (fault.kind) {
      case 'delay':
        await new Promise((resolve) => setTimeout(resolve, fault.ms));
        return false;
      case 'drop':
        res.socket?.destroy();
        return true;
      case 'stall':
        if (verb === 'watch') {
          res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
          res.flushHeaders();
        }
        return true;
      case 'expired':
        if (verb === 'watch') {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(
            `${JSON.stringify({ type: 'ERROR', object: expiredStatus('too old resource version: 1 (2)') })}\n`,
          );
        } else {
          sendStatus(res, expiredStatus('The resourceVersion for the provided list is too old.'));
        }
        return true;
      case 'status': {
        const reason = REASON_BY_CODE[fault.code] ?? 'InternalError';
        const message =
          fault.code === 429
            ? 'Too many requests, please try again later.'
            : `injected fault (${fault.code})`;
        const retryAfter = fault.retryAfterSeconds;
        sendStatus(
          res,
          failure(
            fault.code,
            reason,
            message,
            retryAfter === undefined ? undefined : { retryAfterSeconds: retryAfter },
          ),
          retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) },
        );
        return true;
      }
    }
  }

  #selectors(
    url: URL,
    res: ServerResponse,
  ): { labels: Selector<Labels>; fields: Selector<object> } | undefined {
    const labels = parseLabelSelector(url.searchParams.get('labelSelector'));
    const fields = parseFieldSelector(url.searchParams.get('fieldSelector'));
    if (!labels.ok || !fields.ok) {
      const message = !labels.ok ? labels.message : !fields.ok ? fields.message : '';
      sendStatus(res, failure(400, 'BadRequest', message));
      return undefined;
    }
    return { labels: labels.selector, fields: fields.selector };
  }

  #list(route: Route, url: URL, res: ServerResponse): void {
    const selectors = this.#selectors(url, res);
    if (selectors === undefined) return;
    const limit = Number(url.searchParams.get('limit') ?? '0');
    const continueParam = url.searchParams.get('continue');
    let listRv = this.#store.resourceVersion;
    let start = '';
    if (continueParam !== null && continueParam !== '') {
      const token = decodeContinue(continueParam);
      if (token === undefined) {
        sendStatus(
          res,
          failure(400, 'BadRequest', 'continue key is not valid: incorrect encoded start resourceVersion'),
        );
        return;
      }
      if (!this.#store.isRetained(token.rv)) {
        sendStatus(
          res,
          expiredStatus(
            'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
          ),
        );
        return;
      }
      listRv = token.rv;
      start = token.start;
    }
    const page = this.#store.page(route.info.plural, {
      namespace: route.namespace,
      after: start,
      limit,
      matches: (o) => selectors.labels(o.metadata.labels) && selectors.fields(o),
    });
    const metadata: Record<string, unknown> = { resourceVersion: String(listRv) };
    if (page.remaining > 0 && page.lastKey !== undefined) {
      metadata.continue = Buffer.from(JSON.stringify({ rv: listRv, start: page.lastKey })).toString(
        'base64url',
      );
      metadata.remainingItemCount = page.remaining;
    }
    send(res, 200, {
      kind: `${route.info.kind}List`,
      apiVersion: route.info.apiVersion,
      metadata,
      items: page.items.map(stripTypeMeta),
    });
  }

  #watch(route: Route, url: URL, req: IncomingMessage, res: ServerResponse): void {
    const selectors = this.#selectors(url, res);
    if (selectors === undefined) return;
    const { info, namespace } = route;
    const inScope = (o: KubeObject | undefined): o is KubeObject =>
      o !== undefined &&
      (namespace === undefined || o.metadata.namespace === namespace) &&
      selectors.labels(o.metadata.labels) &&
      selectors.fields(o);
    const bookmarks = url.searchParams.get('allowWatchBookmarks') === 'true';
    const rvParam = url.searchParams.get('resourceVersion') ?? '';
    const timeoutSeconds = Number(url.searchParams.get('timeoutSeconds') ?? '1800');
    let stalled = false;
    const write = (type: string, object: unknown): void => {
      if (!stalled && !res.writableEnded) res.write(`${JSON.stringify({ type, object })}\n`);
    };
    const bookmark = (annotations?: Record<string, string>): void => {
      write('BOOKMARK', {
        kind: info.kind,
        apiVersion: info.apiVersion,
        metadata: {
          resourceVersion: String(this.#store.resourceVersion),
          ...(annotations ? { annotations } : {}),
        },
      });
    };
    const deliver = (change: Change): void => {
      if (change.resource !== info.plural) return;
      const now = inScope(change.type === 'DELETED' ? undefined : change.object);
      const before = inScope(change.previous);
      if (change.type === 'DELETED') {
        if (before) write('DELETED', change.object);
      } else if (now && before) write('MODIFIED', change.object);
      else if (now) write('ADDED', change.object);
      else if (before) write('DELETED', change.object);
    };

    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    let backlog: Change[] = [];
    if (rvParam === '' || rvParam === '0') {
      for (const object of this.#store.list(info.plural, namespace)) {
        if (inScope(object)) write('ADDED', object);
      }
      if (bookmarks && url.searchParams.get('sendInitialEvents') === 'true') {
        bookmark({ 'k8s.io/initial-events-end': 'true' });
      }
    } else {
      const since = Number(rvParam);
      const changes = Number.isInteger(since) ? this.#store.changesSince(since) : 'expired';
      if (changes === 'expired') {
        write(
          'ERROR',
          expiredStatus(`too old resource version: ${rvParam} (${this.#store.resourceVersion})`),
        );
        res.end();
        return;
      }
      backlog = changes;
    }
    backlog.forEach(deliver);
    const unsubscribe = this.#store.subscribe(deliver);
    const bookmarkTimer = bookmarks
      ? setInterval(() => {
          bookmark();
        }, this.#bookmarkIntervalMs)
      : undefined;
    const timeout = setTimeout(() => res.end(), timeoutSeconds * 1000);
    const untrack = this.#faults.track({
      resource: info.plural,
      drop: () => res.socket?.destroy(),
      stall: () => {
        stalled = true;
        clearInterval(bookmarkTimer);
        clearTimeout(timeout);
      },
    });
    const cleanUp = (): void => {
      unsubscribe();
      untrack();
      clearInterval(bookmarkTimer);
      clearTimeout(timeout);
    };
    res.on('close', cleanUp);
    req.on('close', cleanUp);
  }

  #get(route: Route, res: ServerResponse): void {
    const namespace = route.namespace ?? '';
    const name = route.name ?? '';
    const object = this.#store.get(route.info.plural, namespace, name);
    if (object === undefined) {
      sendStatus(res, storeFailure(route.info, name, namespace, { reason: 'NotFound', what: 'object' }));
      return;
    }
    send(res, 200, object);
  }

  #bodyObject(body: string, res: ServerResponse): KubeObject | undefined {
    const parsed = parseJson(body);
    if (!parsed.ok || !isObject(parsed.value)) {
      sendStatus(res, failure(400, 'BadRequest', 'the request body is not a JSON object'));
      return undefined;
    }
    const object = parsed.value;
    if (!isObject(object.metadata)) object.metadata = {};
    return object;
  }

  #create(route: Route, url: URL, body: string, res: ServerResponse): void {
    const object = this.#bodyObject(body, res);
    if (object === undefined) return;
    const namespace = route.namespace ?? 'default';
    if (object.metadata.namespace !== undefined && object.metadata.namespace !== namespace) {
      sendStatus(
        res,
        failure(
          400,
          'BadRequest',
          'the namespace of the provided object does not match the namespace sent on the request',
        ),
      );
      return;
    }
    object.metadata.namespace = namespace;
    const causes = prepareForCreate(route.info.plural, object);
    const name = object.metadata.name ?? '';
    if (causes.length > 0) {
      sendStatus(res, invalidStatus(route.info, name, causes));
      return;
    }
    const dryRun = url.searchParams.get('dryRun') === 'All';
    const result = this.#store.create(route.info.plural, object, { dryRun });
    if (!result.ok) {
      sendStatus(res, storeFailure(route.info, name, namespace, result));
      return;
    }
    send(res, 201, result.object);
  }

  #replace(route: Route, url: URL, object: KubeObject, res: ServerResponse): void {
    const namespace = route.namespace ?? '';
    const name = route.name ?? '';
    if ((object.metadata.name ?? name) !== name) {
      sendStatus(
        res,
        failure(400, 'BadRequest', 'the name of the object does not match the name on the URL'),
      );
      return;
    }
    object.metadata.name = name;
    object.metadata.namespace = namespace;
    const current = this.#store.get(route.info.plural, namespace, name);
    if (current === undefined) {
      sendStatus(res, storeFailure(route.info, name, namespace, { reason: 'NotFound', what: 'object' }));
      return;
    }
    const causes = prepareForUpdate(route.info.plural, object, current);
    if (causes.length > 0) {
      sendStatus(res, invalidStatus(route.info, name, causes));
      return;
    }
    const result = this.#store.update(route.info.plural, object, {
      dryRun: url.searchParams.get('dryRun') === 'All',
    });
    if (!result.ok) {
      sendStatus(res, storeFailure(route.info, name, namespace, result));
      return;
    }
    send(res, 200, result.object);
  }

  #update(route: Route, url: URL, body: string, res: ServerResponse): void {
    const object = this.#bodyObject(body, res);
    if (object !== undefined) this.#replace(route, url, object, res);
  }

  #patch(route: Route, url: URL, body: string, contentType: string, res: ServerResponse): void {
    if (!contentType.startsWith('application/merge-patch+json')) {
      sendStatus(
        res,
        failure(
          415,
          'UnsupportedMediaType',
          `the fake API server supports only merge patches, not ${contentType}`,
        ),
      );
      return;
    }
    const parsed = parseJson(body);
    if (!parsed.ok || !isObject(parsed.value)) {
      sendStatus(res, failure(400, 'BadRequest', 'the patch is not a JSON object'));
      return;
    }
    const namespace = route.namespace ?? '';
    const name = route.name ?? '';
    const current = this.#store.get(route.info.plural, namespace, name);
    if (current === undefined) {
      sendStatus(res, storeFailure(route.info, name, namespace, { reason: 'NotFound', what: 'object' }));
      return;
    }
    const patched = mergePatch(current, parsed.value) as KubeObject;
    if (!isObject(patched.metadata)) patched.metadata = {};
    this.#replace(route, url, patched, res);
  }

  #delete(route: Route, url: URL, body: string, res: ServerResponse): void {
    const parsed = body === '' ? { ok: true as const, value: {} } : parseJson(body);
    if (!parsed.ok || !isObject(parsed.value)) {
      sendStatus(res, failure(400, 'BadRequest', 'the request body is not DeleteOptions'));
      return;
    }
    const options = parsed.value as { propagationPolicy?: string; dryRun?: string[] };
    const policy = options.propagationPolicy ?? url.searchParams.get('propagationPolicy') ?? 'Orphan';
    const dryRun = options.dryRun?.includes('All') === true || url.searchParams.get('dryRun') === 'All';
    const namespace = route.namespace ?? '';
    const name = route.name ?? '';
    const current = this.#store.get(route.info.plural, namespace, name);
    if (current === undefined || dryRun) {
      if (current === undefined) {
        sendStatus(res, storeFailure(route.info, name, namespace, { reason: 'NotFound', what: 'object' }));
      } else {
        send(res, 200, current);
      }
      return;
    }
    // The garbage collector's part: dependents of a Job go with it unless orphaned.
    const dependents =
      route.info.plural === 'jobs'
        ? this.#store.page('pods', {
            namespace,
            matches: (pod) =>
              pod.metadata.ownerReferences?.some((ref) => ref.uid === current.metadata.uid) === true,
          }).items
        : [];
    if (policy === 'Foreground') this.#deletePods(dependents);
    const deleted = this.#store.delete(route.info.plural, namespace, name);
    if (policy === 'Background') this.#deletePods(dependents);
    if (policy === 'Orphan') {
      for (const pod of dependents) {
        this.#store.mutate('pods', namespace, pod.metadata.name ?? '', (p) => {
          p.metadata.ownerReferences = p.metadata.ownerReferences?.filter(
            (r) => r.uid !== current.metadata.uid,
          );
        });
      }
    }
    // Like kube-apiserver: the pod registry returns the deleted pod, the others a Success Status.
    if (route.info.plural === 'pods' && deleted.ok) {
      send(res, 200, deleted.object);
      return;
    }
    send(res, 200, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: {
        name,
        ...(route.info.group === '' ? {} : { group: route.info.group }),
        kind: route.info.plural,
        uid: current.metadata.uid,
      },
    });
  }

  #deletePods(pods: readonly KubeObject[]): void {
    for (const pod of pods) this.#store.delete('pods', pod.metadata.namespace ?? '', pod.metadata.name ?? '');
  }
}
