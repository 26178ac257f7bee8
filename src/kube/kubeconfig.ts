/**
 * Finds the Kubernetes credentials in upstream's order (controller-runtime's `GetConfig`): `KUBECONFIG`,
 * else the in-cluster service account, else `~/.kube/config`. Unlike client-node's `loadFromDefault`, it
 * never falls back to an unauthenticated `localhost:8080`: with nothing found it says so.
 *
 * Our own reader rather than client-node's `KubeConfig`, because loading that library costs the controller
 * ~75 MiB of memory. Only `auth-provider` users (gcp, azure, oidc: deprecated plugins) still load it, lazily.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { RequestOptions as HttpsRequestOptions } from 'node:https';
import { isIPv6 } from 'node:net';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ExecCredentialSource, execConfigSchema, type ExecClusterInfo } from './exec-credential.js';

export interface KubeCluster {
  readonly server: string;
  readonly proxyUrl?: string | undefined;
}

/**
 * What KubeClient needs from a kubeconfig. client-node's `KubeConfig` has the same shape, so tests and the
 * simulators can hand one in.
 */
export interface KubeCredentials {
  getCurrentCluster(): KubeCluster | null;
  /** Sets TLS material and the authentication header on `options`; called per request so tokens rotate. */
  applyToHTTPSOptions(options: HttpsRequestOptions): Promise<void>;
  /** The API server answered 401: fetch the credential afresh next time. */
  credentialsRejected?(): void;
}

export type KubeConfigResult =
  | { readonly ok: true; readonly kubeConfig: KubeCredentials }
  | { readonly ok: false; readonly reason: string };

export interface KubeConfigOptions {
  /** Where the in-cluster service account is mounted. */
  readonly serviceAccountDir?: string;
  readonly now?: () => number;
}

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/** client-go re-reads token files once a minute, so a rotated service account token is picked up. */
const TOKEN_FILE_TTL_MS = 60_000;

export function loadKubeConfig(
  env: Readonly<Record<string, string | undefined>>,
  options: KubeConfigOptions = {},
): KubeConfigResult {
  const fromEnv = env.KUBECONFIG;
  const defaultFile = join(env.HOME ?? homedir(), '.kube', 'config');
  try {
    if (fromEnv !== undefined && fromEnv !== '') {
      const first = fromEnv.split(':').find((file) => existsSync(file));
      if (first === undefined) return { ok: false, reason: `KUBECONFIG names no existing file: ${fromEnv}` };
      return loadKubeConfigFile(first, env, options);
    }
    if (env.KUBERNETES_SERVICE_HOST !== undefined) return loadInCluster(env, options);
    if (existsSync(defaultFile)) return loadKubeConfigFile(defaultFile, env, options);
  } catch (error) {
    return { ok: false, reason: `cannot load the Kubernetes configuration: ${(error as Error).message}` };
  }
  return {
    ok: false,
    reason:
      'no Kubernetes configuration found: set KUBECONFIG, create ~/.kube/config, or run inside a cluster',
  };
}

const optionalString = z.string().nullish();

const clusterSchema = z.object({
  server: z.string().min(1),
  'certificate-authority': optionalString,
  'certificate-authority-data': optionalString,
  'insecure-skip-tls-verify': z.boolean().nullish(),
  'tls-server-name': optionalString,
  'proxy-url': optionalString,
});

const userSchema = z.object({
  token: optionalString,
  'token-file': optionalString,
  'client-certificate': optionalString,
  'client-certificate-data': optionalString,
  'client-key': optionalString,
  'client-key-data': optionalString,
  username: optionalString,
  password: optionalString,
  as: optionalString,
  exec: execConfigSchema.nullish(),
  'auth-provider': z.object({ name: z.string() }).nullish(),
});

const kubeconfigSchema = z.object({
  clusters: z.array(z.object({ name: z.string().min(1), cluster: clusterSchema })).nullish(),
  users: z.array(z.object({ name: z.string().min(1), user: userSchema.nullish() })).nullish(),
  contexts: z
    .array(
      z.object({
        name: z.string().min(1),
        context: z.object({ cluster: z.string().min(1), user: optionalString }),
      }),
    )
    .nullish(),
  'current-context': optionalString,
});

type UserEntry = z.infer<typeof userSchema>;

function loadKubeConfigFile(
  file: string,
  env: Readonly<Record<string, string | undefined>>,
  options: KubeConfigOptions,
): KubeConfigResult {
  const parsed = kubeconfigSchema.safeParse(parseYaml(readFileSync(file, 'utf8')) ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
    return { ok: false, reason: `cannot load the Kubernetes configuration: ${file}: ${issues.join('; ')}` };
  }
  const config = parsed.data;
  const contextName = config['current-context'] ?? '';
  if (contextName === '') {
    return { ok: false, reason: 'the Kubernetes configuration has no current cluster; set current-context' };
  }
  const contexts = config.contexts ?? [];
  const context = contexts.find((c) => c.name === contextName)?.context;
  if (context === undefined) {
    const known = contexts.map((c) => c.name).join(', ');
    return {
      ok: false,
      reason: `${file}: current-context "${contextName}" is not among its contexts (${known === '' ? 'none' : known})`,
    };
  }
  const cluster = config.clusters?.find((c) => c.name === context.cluster)?.cluster;
  if (cluster === undefined) {
    return {
      ok: false,
      reason: `${file}: context "${contextName}" names cluster "${context.cluster}", which is not defined`,
    };
  }
  const userName = context.user ?? '';
  const userEntry = userName === '' ? { user: {} } : config.users?.find((u) => u.name === userName);
  if (userEntry === undefined) {
    return {
      ok: false,
      reason: `${file}: context "${contextName}" names user "${userName}", which is not defined`,
    };
  }
  const user: UserEntry = userEntry.user ?? {};
  const base = dirname(file);
  // Relative paths are relative to the kubeconfig, as for kubectl.
  const resolve = (path: string | null | undefined): string | undefined =>
    path === null || path === undefined || path === ''
      ? undefined
      : isAbsolute(path)
        ? path
        : join(base, path);
  const exec = user.exec;
  return {
    ok: true,
    kubeConfig: new KubeConfigCredentials({
      cluster: {
        server: cluster.server.replace(/\/$/, ''),
        caFile: resolve(cluster['certificate-authority']),
        caData: cluster['certificate-authority-data'] ?? undefined,
        skipTlsVerify: cluster['insecure-skip-tls-verify'] === true,
        tlsServerName: cluster['tls-server-name'] ?? undefined,
        proxyUrl: cluster['proxy-url'] ?? undefined,
      },
      user: {
        token: user.token ?? undefined,
        tokenFile: resolve(user['token-file']),
        certFile: resolve(user['client-certificate']),
        certData: user['client-certificate-data'] ?? undefined,
        keyFile: resolve(user['client-key']),
        keyData: user['client-key-data'] ?? undefined,
        username: user.username ?? undefined,
        password: user.password ?? undefined,
        impersonate: user.as ?? undefined,
        exec:
          exec === null || exec === undefined
            ? undefined
            : {
                ...exec,
                // A relative command with a slash is relative to the kubeconfig; a bare name is looked up on PATH.
                command: exec.command.includes('/') ? (resolve(exec.command) ?? exec.command) : exec.command,
              },
      },
      ...(user['auth-provider'] ? { authProvider: { file, context: contextName } } : {}),
      env,
      now: options.now ?? Date.now,
    }),
  };
}

function loadInCluster(
  env: Readonly<Record<string, string | undefined>>,
  options: KubeConfigOptions,
): KubeConfigResult {
  const host = env.KUBERNETES_SERVICE_HOST ?? '';
  const port = env.KUBERNETES_SERVICE_PORT ?? '';
  if (host === '' || port === '') {
    return {
      ok: false,
      reason: 'in-cluster configuration needs both KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT',
    };
  }
  const dir = options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  return {
    ok: true,
    kubeConfig: new KubeConfigCredentials({
      cluster: {
        server: `https://${isIPv6(host) ? `[${host}]` : host}:${port}`,
        caFile: join(dir, 'ca.crt'),
        skipTlsVerify: false,
      },
      user: { tokenFile: join(dir, 'token') },
      env,
      now: options.now ?? Date.now,
    }),
  };
}

interface Cluster {
  readonly server: string;
  readonly caFile?: string | undefined;
  readonly caData?: string | undefined;
  readonly skipTlsVerify: boolean;
  readonly tlsServerName?: string | undefined;
  readonly proxyUrl?: string | undefined;
}

interface User {
  readonly token?: string | undefined;
  readonly tokenFile?: string | undefined;
  readonly certFile?: string | undefined;
  readonly certData?: string | undefined;
  readonly keyFile?: string | undefined;
  readonly keyData?: string | undefined;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  readonly impersonate?: string | undefined;
  readonly exec?: z.infer<typeof execConfigSchema> | undefined;
}

/**
 * The credentials of one context. CA, certificate and key files are read once, at load, as client-go does
 * (the client builds its connection pool from them once); tokens from token files and exec plugins are
 * fetched afresh as they expire.
 */
class KubeConfigCredentials implements KubeCredentials {
  readonly #cluster: Cluster;
  readonly #user: User;
  readonly #tls: { readonly ca?: Buffer; readonly cert?: Buffer; readonly key?: Buffer };
  readonly #now: () => number;
  readonly #exec: ExecCredentialSource | undefined;
  readonly #authProvider: { readonly file: string; readonly context: string } | undefined;
  #library: Promise<KubeCredentials> | undefined;
  #token: { readonly value: string; readonly readAt: number } | undefined;

  constructor(options: {
    readonly cluster: Cluster;
    readonly user: User;
    readonly env: Readonly<Record<string, string | undefined>>;
    readonly now: () => number;
    /** The user has an `auth-provider`: client-node's KubeConfig, loaded from this file, does the work. */
    readonly authProvider?: { readonly file: string; readonly context: string };
  }) {
    this.#cluster = options.cluster;
    this.#user = options.user;
    this.#now = options.now;
    this.#authProvider = options.authProvider;
    // Read now: every request asks for its headers, and none should read these files again.
    const ca = fileOrData(options.cluster.caFile, options.cluster.caData);
    const cert = fileOrData(options.user.certFile, options.user.certData);
    const key = fileOrData(options.user.keyFile, options.user.keyData);
    this.#tls = {
      ...(ca === undefined ? {} : { ca }),
      ...(cert === undefined ? {} : { cert }),
      ...(key === undefined ? {} : { key }),
    };
    // Read now so that a missing token file is reported at start-up, not on the first request.
    if (this.#user.tokenFile !== undefined) this.#tokenFromFile(this.#user.tokenFile);
    this.#exec =
      options.user.exec === undefined
        ? undefined
        : new ExecCredentialSource({
            config: options.user.exec,
            env: options.env,
            ...(options.user.exec.provideClusterInfo === true
              ? { cluster: execClusterInfo(options.cluster, this.#tls.ca) }
              : {}),
            now: options.now,
          });
  }

  getCurrentCluster(): KubeCluster {
    return { server: this.#cluster.server, proxyUrl: this.#cluster.proxyUrl };
  }

  async applyToHTTPSOptions(options: HttpsRequestOptions): Promise<void> {
    if (this.#authProvider !== undefined) {
      this.#library ??= loadWithClientNode(this.#authProvider.file, this.#authProvider.context);
      await (await this.#library).applyToHTTPSOptions(options);
      return;
    }
    const cluster = this.#cluster;
    const user = this.#user;
    if (cluster.skipTlsVerify) options.rejectUnauthorized = false;
    if (cluster.tlsServerName !== undefined) options.servername = cluster.tlsServerName;
    const { ca, cert, key } = this.#tls;
    if (ca !== undefined) options.ca = ca;
    if (cert !== undefined) options.cert = cert;
    if (key !== undefined) options.key = key;
    const headers: Record<string, string> = {};
    if (user.impersonate !== undefined) headers['Impersonate-User'] = user.impersonate;
    if (this.#exec !== undefined) {
      const credential = await this.#exec.credential();
      if (credential.clientCertificateData !== undefined) options.cert = credential.clientCertificateData;
      if (credential.clientKeyData !== undefined) options.key = credential.clientKeyData;
      if (credential.token !== undefined) headers.Authorization = `Bearer ${credential.token}`;
    }
    // A literal token wins over a token file and an exec plugin, as with client-node before.
    const token =
      user.token ?? (user.tokenFile === undefined ? undefined : this.#tokenFromFile(user.tokenFile));
    if (token !== undefined && token !== '') headers.Authorization = `Bearer ${token}`;
    const existing = options.headers;
    options.headers = { ...(existing instanceof Array ? {} : existing), ...headers };
    if (user.username !== undefined && user.username !== '') {
      options.auth = `${user.username}:${user.password ?? ''}`;
    }
  }

  credentialsRejected(): void {
    this.#exec?.forget();
    this.#token = undefined;
  }

  #tokenFromFile(file: string): string {
    const now = this.#now();
    if (this.#token === undefined || now - this.#token.readAt >= TOKEN_FILE_TTL_MS) {
      this.#token = { value: readFileSync(file, 'utf8').trim(), readAt: now };
    }
    return this.#token.value;
  }
}

function fileOrData(file: string | undefined, data: string | undefined): Buffer | undefined {
  if (file !== undefined) return readFileSync(file);
  if (data !== undefined && data !== '') return Buffer.from(data, 'base64');
  return undefined;
}

function execClusterInfo(cluster: Cluster, ca: Buffer | undefined): ExecClusterInfo {
  return {
    server: cluster.server,
    ...(cluster.tlsServerName === undefined ? {} : { 'tls-server-name': cluster.tlsServerName }),
    ...(cluster.skipTlsVerify ? { 'insecure-skip-tls-verify': true } : {}),
    ...(ca === undefined ? {} : { 'certificate-authority-data': ca.toString('base64') }),
    ...(cluster.proxyUrl === undefined ? {} : { 'proxy-url': cluster.proxyUrl }),
  };
}

async function loadWithClientNode(file: string, context: string): Promise<KubeCredentials> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(file);
  kubeConfig.setCurrentContext(context);
  return kubeConfig;
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return 'the document';
  return path
    .map((segment) => (typeof segment === 'number' ? `[${String(segment)}]` : `.${String(segment)}`))
    .join('')
    .replace(/^\./, '');
}
