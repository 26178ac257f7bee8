/**
 * A counting reverse proxy for the Kubernetes API, so requests per endpoint can be measured for any
 * controller binary and any tier: the controller talks plain HTTP to it on 127.0.0.1, and it forwards
 * every request to the real API server with the credentials of the tier's kubeconfig (token, client
 * certificate, CA), streaming answers (watches included) as they arrive.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type https from 'node:https';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { Agent, request } from 'undici';
import type { KubeConfig } from '@kubernetes/client-node';

export interface CountingProxy {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** A kubeconfig pointing at the proxy, for the controller under test. */
  readonly kubeconfigYaml: string;
  /** Requests forwarded so far, keyed `<verb> <resource>` (e.g. `watch pods`, `create jobs`). */
  requestCounts(): Record<string, number>;
  /** Requests the proxy answered 502 because forwarding failed, keyed `<verb> <resource>: <cause>`. */
  failureCounts(): Record<string, number>;
  close(): Promise<void>;
}

/** Headers that belong to one connection and must not be forwarded (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade']);

/**
 * The API server's name for a request: the verb as in RBAC and audit logs (a GET with `watch` is a watch,
 * a GET without a name a list), and the resource with its subresource (`pods/log`). Paths that are not
 * resources (discovery, /version) are counted by method and path.
 */
export function requestKey(method: string, target: string): string {
  const url = new URL(target, 'http://proxy');
  const segments = url.pathname.split('/').filter((s) => s !== '');
  const prefix = segments[0] === 'api' ? 2 : segments[0] === 'apis' ? 3 : undefined;
  let rest = prefix === undefined ? [] : segments.slice(prefix);
  if (rest[0] === 'namespaces' && rest.length >= 3) rest = rest.slice(2);
  const [resource, name, subresource] = rest;
  if (resource === undefined) return `${method.toLowerCase()} ${url.pathname}`;
  const plural = subresource === undefined ? resource : `${resource}/${subresource}`;
  const watch = url.searchParams.get('watch');
  switch (method) {
    case 'GET':
      if (watch === 'true' || watch === '1') return `watch ${plural}`;
      return `${name === undefined ? 'list' : 'get'} ${plural}`;
    case 'POST':
      return `create ${plural}`;
    case 'PUT':
      return `update ${plural}`;
    case 'PATCH':
      return `patch ${plural}`;
    case 'DELETE':
      return `${name === undefined ? 'deletecollection' : 'delete'} ${plural}`;
    default:
      return `${method.toLowerCase()} ${plural}`;
  }
}

export async function startCountingProxy(options: {
  readonly kubeConfig: KubeConfig;
  readonly namespace: string;
}): Promise<CountingProxy> {
  const cluster = options.kubeConfig.getCurrentCluster();
  if (cluster === null) throw new Error('the tier kubeconfig has no current cluster');
  const upstream = new URL(cluster.server);
  const tls: https.RequestOptions = { headers: {} };
  await options.kubeConfig.applyToHTTPSOptions(tls);
  const credentials: Record<string, string> = {};
  for (const [name, value] of Object.entries(tls.headers ?? {})) {
    if (typeof value === 'string') credentials[name.toLowerCase()] = value;
  }
  // undici, like our controller's client, honours the server's keep-alive timeout hint; node:http's Agent
  // reuses sockets the server is closing and fails requests with "socket hang up".
  const agent = new Agent({
    connect: {
      ca: tls.ca,
      cert: tls.cert,
      key: tls.key,
      ...(tls.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: tls.rejectUnauthorized }),
    },
  });
  const counts = new Map<string, number>();
  const failures = new Map<string, number>();

  const forward = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const key = requestKey(req.method ?? 'GET', req.url ?? '/');
    counts.set(key, (counts.get(key) ?? 0) + 1);
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      const skip = HOP_BY_HOP.has(name) || ['authorization', 'host', 'transfer-encoding'].includes(name);
      if (!skip && value !== undefined) headers[name] = value;
    }
    // The controller ending a watch (or its request) ends the upstream request too.
    const abort = new AbortController();
    res.on('close', () => {
      abort.abort();
    });
    const method = req.method ?? 'GET';
    try {
      const answer = await request(new URL(req.url ?? '/', upstream), {
        method,
        headers: { ...headers, ...credentials },
        ...(method === 'GET' || method === 'HEAD' ? {} : { body: req }),
        dispatcher: agent,
        signal: abort.signal,
        // Watches stay open as long as the controller keeps them; the controller times its own requests.
        headersTimeout: 0,
        bodyTimeout: 0,
      });
      const answerHeaders: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(answer.headers)) {
        if (!HOP_BY_HOP.has(name) && name !== 'transfer-encoding' && value !== undefined) {
          answerHeaders[name] = value;
        }
      }
      res.writeHead(answer.statusCode, answerHeaders);
      // A watch's headers come long before its first event; the controller waits for them.
      res.flushHeaders();
      await pipeline(answer.body, res);
    } catch (error) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const message =
        error instanceof Error ? (error.cause instanceof Error ? error.cause : error).message : String(error);
      failures.set(`${key}: ${message}`, (failures.get(`${key}: ${message}`) ?? 0) + 1);
      res.writeHead(502, { 'content-type': 'text/plain' }).end(`bench proxy: ${message}`);
    }
  };

  const server = http.createServer((req, res) => {
    void forward(req, res);
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const url = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
  const kubeconfig = {
    apiVersion: 'v1',
    kind: 'Config',
    // Plain HTTP on loopback; client-node refuses http:// unless TLS verification is marked off.
    clusters: [{ name: 'bench-proxy', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
    // The proxy adds the real credentials; a token here keeps clients that insist on one content.
    users: [{ name: 'bench-proxy', user: { token: 'bench-proxy' } }],
    contexts: [
      {
        name: 'bench-proxy',
        context: { cluster: 'bench-proxy', user: 'bench-proxy', namespace: options.namespace },
      },
    ],
    'current-context': 'bench-proxy',
  };
  return {
    url,
    kubeconfigYaml: JSON.stringify(kubeconfig, null, 2), // JSON is YAML
    requestCounts: () => Object.fromEntries([...counts.entries()].sort()),
    failureCounts: () => Object.fromEntries([...failures.entries()].sort()),
    close: async () => {
      const closed = new Promise<void>((done) => {
        server.close(() => {
          done();
        });
      });
      server.closeAllConnections();
      await agent.destroy();
      await closed;
    },
  };
}
