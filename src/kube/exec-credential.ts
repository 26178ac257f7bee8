/**
 * Kubeconfig `exec` credential plugins (e.g. `aws eks get-token`): run the command, read the
 * ExecCredential JSON it prints, and reuse it until its `expirationTimestamp`. One run is shared by
 * concurrent requests. Without an expiry the credential is kept until the API server answers 401, as
 * client-go does.
 */
import { spawn } from 'node:child_process';
import { z } from 'zod';

export const execConfigSchema = z.object({
  command: z.string().min(1),
  args: z.array(z.string()).nullish(),
  env: z.array(z.object({ name: z.string(), value: z.string() })).nullish(),
  apiVersion: z.string().nullish(),
  provideClusterInfo: z.boolean().nullish(),
});
export type ExecConfig = z.infer<typeof execConfigSchema>;

const execCredentialSchema = z.object({
  kind: z.literal('ExecCredential'),
  status: z.object({
    token: z.string().nullish(),
    clientCertificateData: z.string().nullish(),
    clientKeyData: z.string().nullish(),
    expirationTimestamp: z.string().nullish(),
  }),
});

export interface ExecCredential {
  readonly token?: string;
  readonly clientCertificateData?: string;
  readonly clientKeyData?: string;
}

/** What the plugin may learn of the cluster through KUBERNETES_EXEC_INFO (`provideClusterInfo`). */
export interface ExecClusterInfo {
  readonly server: string;
  readonly 'tls-server-name'?: string;
  readonly 'insecure-skip-tls-verify'?: boolean;
  readonly 'certificate-authority-data'?: string;
  readonly 'proxy-url'?: string;
}

const STDERR_KEPT = 2000;

export class ExecCredentialSource {
  readonly #config: ExecConfig;
  readonly #env: Readonly<Record<string, string | undefined>>;
  readonly #cluster: ExecClusterInfo | undefined;
  readonly #now: () => number;
  #cached: { readonly credential: ExecCredential; readonly expiresAt: number } | undefined;
  #running: Promise<ExecCredential> | undefined;

  constructor(options: {
    readonly config: ExecConfig;
    /** The controller's environment; the plugin's `env` entries are laid over it. */
    readonly env: Readonly<Record<string, string | undefined>>;
    /** Given when the kubeconfig sets `provideClusterInfo`. */
    readonly cluster?: ExecClusterInfo;
    readonly now?: () => number;
  }) {
    this.#config = options.config;
    this.#env = options.env;
    this.#cluster = options.cluster;
    this.#now = options.now ?? Date.now;
  }

  credential(): Promise<ExecCredential> {
    if (this.#cached !== undefined && this.#cached.expiresAt > this.#now()) {
      return Promise.resolve(this.#cached.credential);
    }
    this.#running ??= this.#run().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /** The API server refused the credential: run the plugin again next time. */
  forget(): void {
    this.#cached = undefined;
  }

  async #run(): Promise<ExecCredential> {
    const output = await this.#exec();
    let parsed: unknown;
    try {
      parsed = JSON.parse(output);
    } catch {
      throw new Error(`exec plugin ${this.#name()} printed something other than JSON`);
    }
    const result = execCredentialSchema.safeParse(parsed);
    if (!result.success) {
      throw new Error(
        `exec plugin ${this.#name()} printed no ExecCredential: ${z.prettifyError(result.error)}`,
      );
    }
    const { status } = result.data;
    const credential: ExecCredential = {
      ...(status.token ? { token: status.token } : {}),
      ...(status.clientCertificateData ? { clientCertificateData: status.clientCertificateData } : {}),
      ...(status.clientKeyData ? { clientKeyData: status.clientKeyData } : {}),
    };
    if (credential.token === undefined && credential.clientCertificateData === undefined) {
      throw new Error(`exec plugin ${this.#name()} returned neither a token nor a client certificate`);
    }
    const expiresAt = status.expirationTimestamp ? Date.parse(status.expirationTimestamp) : Infinity;
    if (Number.isNaN(expiresAt)) {
      throw new Error(
        `exec plugin ${this.#name()} returned an invalid expirationTimestamp: ${String(status.expirationTimestamp)}`,
      );
    }
    this.#cached = { credential, expiresAt };
    return credential;
  }

  #exec(): Promise<string> {
    const config = this.#config;
    const env: Record<string, string | undefined> = { ...this.#env };
    for (const { name, value } of config.env ?? []) env[name] = value;
    // client-go tells the plugin it cannot prompt, and the cluster if the kubeconfig allows it.
    env.KUBERNETES_EXEC_INFO = JSON.stringify({
      apiVersion: config.apiVersion ?? 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      spec: {
        interactive: false,
        ...(this.#cluster === undefined ? {} : { cluster: this.#cluster }),
      },
    });
    return new Promise((resolve, reject) => {
      const child = spawn(config.command, config.args ?? [], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
      });
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr = (stderr + chunk).slice(-STDERR_KEPT);
      });
      child.on('error', (error) => {
        reject(new Error(`exec plugin ${this.#name()} could not start: ${error.message}`));
      });
      child.on('close', (code, signal) => {
        if (code === 0) {
          resolve(stdout);
          return;
        }
        const status = signal === null ? `exited with ${String(code)}` : `was killed by ${signal}`;
        const detail = stderr.trim();
        reject(new Error(`exec plugin ${this.#name()} ${status}${detail === '' ? '' : `: ${detail}`}`));
      });
    });
  }

  #name(): string {
    return JSON.stringify(this.#config.command);
  }
}
