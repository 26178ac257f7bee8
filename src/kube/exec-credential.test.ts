import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExecCredentialSource, type ExecConfig } from './exec-credential.js';

const cluster = { server: 'https://k.example:6443', 'certificate-authority-data': 'Q0E=' };

describe('ExecCredentialSource', () => {
  let dir: string;
  let runs: string;
  let now: number;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'exec-credential-'));
    runs = join(dir, 'runs');
    now = Date.parse('2026-01-01T00:00:00Z');
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** A plugin that notes each run in `runs` and prints `status` as its ExecCredential. */
  function plugin(status: Record<string, unknown>, extra: Partial<ExecConfig> = {}): ExecCredentialSource {
    const credential = JSON.stringify({
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      status,
    });
    return new ExecCredentialSource({
      config: {
        command: '/bin/sh',
        args: ['-c', `echo run >> '${runs}'; printf '%s' '${credential}'`],
        ...extra,
      },
      env: { PATH: '/usr/bin:/bin' },
      now: () => now,
    });
  }
  const runCount = (): number => readFileSync(runs, 'utf8').split('\n').filter(Boolean).length;

  it('keeps the credential until its expirationTimestamp, then runs the plugin again', async () => {
    const source = plugin({ token: 'abc', expirationTimestamp: '2026-01-01T00:10:00Z' });
    expect(await source.credential()).toEqual({ token: 'abc' });
    now += 9 * 60_000;
    await source.credential();
    expect(runCount()).toBe(1);
    now += 60_000;
    await source.credential();
    expect(runCount()).toBe(2);
  });

  it('keeps a credential without expiry until the server refuses it', async () => {
    const source = plugin({ token: 'abc' });
    await source.credential();
    now += 24 * 3_600_000;
    await source.credential();
    expect(runCount()).toBe(1);
    source.forget();
    await source.credential();
    expect(runCount()).toBe(2);
  });

  it('runs the plugin once for concurrent requests', async () => {
    const source = plugin({ token: 'abc' });
    const credentials = await Promise.all([source.credential(), source.credential(), source.credential()]);
    expect(credentials).toEqual([{ token: 'abc' }, { token: 'abc' }, { token: 'abc' }]);
    expect(runCount()).toBe(1);
  });

  it('returns a client certificate and key', async () => {
    expect(
      await plugin({ clientCertificateData: 'PEM CERT', clientKeyData: 'PEM KEY' }).credential(),
    ).toEqual({
      clientCertificateData: 'PEM CERT',
      clientKeyData: 'PEM KEY',
    });
  });

  it('passes the env entries and KUBERNETES_EXEC_INFO, with the cluster when given', async () => {
    const script = `printf '{"kind":"ExecCredential","status":{"token":"%s|%s"}}' "$REGION" "$(printf %s "$KUBERNETES_EXEC_INFO" | base64 -w0)"`;
    const info = async (withCluster: boolean): Promise<[string, unknown]> => {
      const source = new ExecCredentialSource({
        config: {
          command: '/bin/sh',
          args: ['-c', script],
          env: [{ name: 'REGION', value: 'eu-west-1' }],
          apiVersion: 'client.authentication.k8s.io/v1beta1',
        },
        env: { PATH: '/usr/bin:/bin', REGION: 'us-east-1' },
        ...(withCluster ? { cluster } : {}),
      });
      const [region = '', encoded = ''] = ((await source.credential()).token ?? '').split('|');
      return [region, JSON.parse(Buffer.from(encoded, 'base64').toString())];
    };
    expect(await info(false)).toEqual([
      'eu-west-1',
      {
        apiVersion: 'client.authentication.k8s.io/v1beta1',
        kind: 'ExecCredential',
        spec: { interactive: false },
      },
    ]);
    expect((await info(true))[1]).toMatchObject({ spec: { interactive: false, cluster } });
  });

  it('says why a plugin gave no credential', async () => {
    const failing = (args: string[], command = '/bin/sh') =>
      new ExecCredentialSource({ config: { command, args }, env: {} }).credential();
    await expect(failing(['-c', 'echo "token expired, run aws sso login" >&2; exit 3'])).rejects.toThrow(
      'exec plugin "/bin/sh" exited with 3: token expired, run aws sso login',
    );
    await expect(failing(['-c', 'echo hello'])).rejects.toThrow(
      'exec plugin "/bin/sh" printed something other than JSON',
    );
    await expect(failing(['-c', `printf '{"kind":"Other"}'`])).rejects.toThrow(
      'exec plugin "/bin/sh" printed no ExecCredential',
    );
    await expect(failing(['-c', `printf '{"kind":"ExecCredential","status":{}}'`])).rejects.toThrow(
      'exec plugin "/bin/sh" returned neither a token nor a client certificate',
    );
    await expect(
      failing([
        '-c',
        `printf '{"kind":"ExecCredential","status":{"token":"t","expirationTimestamp":"soon"}}'`,
      ]),
    ).rejects.toThrow('exec plugin "/bin/sh" returned an invalid expirationTimestamp: soon');
    await expect(failing([], join(dir, 'no-such-plugin'))).rejects.toThrow(/could not start: .*ENOENT/);
  });

  it('recovers once the plugin works again', async () => {
    const source = new ExecCredentialSource({
      config: {
        command: '/bin/sh',
        args: [
          '-c',
          `test -f '${runs}' && printf '{"kind":"ExecCredential","status":{"token":"ok"}}' || exit 1`,
        ],
      },
      env: {},
    });
    await expect(source.credential()).rejects.toThrow('exited with 1');
    writeFileSync(runs, '');
    expect(await source.credential()).toEqual({ token: 'ok' });
  });
});
