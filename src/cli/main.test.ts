import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS, OPTIONS, envName } from '../config/schema.js';
import { VERSION } from '../version.js';
import { main, type CliIO } from './main.js';

async function run(argv: string[], env: Record<string, string> = {}, files: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    env,
    readFile: (path) => {
      const text = files[path];
      if (text === undefined) throw new Error(`ENOENT: ${path}`);
      return text;
    },
  };
  const status = await main(argv, io);
  return { status, stdout, stderr };
}

describe('agent-stack-k8s version', () => {
  it('prints the version, which matches package.json', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(VERSION).toBe(pkg.version);
    const { status, stdout } = await run(['version']);
    expect(status).toBe(0);
    expect(stdout).toBe(`agent-stack-k8s ${VERSION} (buildkite-agent 3.136.2)\n`);
  });
});

describe('agent-stack-k8s config', () => {
  it('prints the effective configuration as one JSON object keyed by file keys', async () => {
    const { status, stdout } = await run(
      ['config', '--config', 'c.yaml', '--max-in-flight=0'],
      { BUILDKITE_TOKEN: 'secret-token', POLL_INTERVAL: '2s' },
      { 'c.yaml': 'namespace: ci\nmax-in-flight: 5\n' },
    );
    expect(status).toBe(0);
    const printed = JSON.parse(stdout) as Record<string, unknown>;
    expect(Object.keys(printed)).toEqual(CONFIG_KEYS);
    expect(printed).toMatchObject({
      namespace: 'ci',
      'max-in-flight': 0,
      'poll-interval': '2s',
      'buildkite-token': '<redacted>',
    });
    expect(stdout).not.toContain('secret-token');
  });

  it('--explain names the layer of each key', async () => {
    const { stdout } = await run(
      ['config', '-f', 'c.yaml', '--explain', '--debug'],
      { MAX_IN_FLIGHT: '3' },
      {
        'c.yaml': 'namespace: ci\n',
      },
    );
    const explained = JSON.parse(stdout) as Record<string, { value: unknown; from: string }>;
    expect(explained.namespace).toEqual({ value: 'ci', from: 'file' });
    expect(explained['max-in-flight']).toEqual({ value: 3, from: 'env' });
    expect(explained.debug).toEqual({ value: true, from: 'flag' });
    expect(explained['job-prefix']).toEqual({ value: 'buildkite-', from: 'default' });
  });

  it('reports every configuration problem, one line each, and exits 2', async () => {
    const { status, stdout, stderr } = await run(
      ['config', '-f', 'c.yaml', '--max-in-flight', 'x'],
      {},
      {
        'c.yaml': 'bogus: 1\njob-ttl: 10\n',
      },
    );
    expect(status).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trimEnd().split('\n')).toEqual([
      'config: bogus: unknown key',
      'config: job-ttl: a bare number is not a duration; write a Go duration string such as "10s" or "1m30s"',
      'config: max-in-flight: expected an integer, got "x" (from flag --max-in-flight)',
    ]);
  });

  it('takes --no-color as a key of its own, not as negation', async () => {
    const { stdout } = await run(['config', '--no-color']);
    expect((JSON.parse(stdout) as Record<string, unknown>)['no-color']).toBe(true);
  });
});

describe('agent-stack-k8s (controller)', () => {
  it('validates the configuration first and exits 2 on problems', async () => {
    const { status, stderr } = await run(['--log-format', 'xml']);
    expect(status).toBe(2);
    expect(stderr).toBe('config: log-format: must be one of logfmt, json (from flag --log-format)\n');
  });

  it('logs through the configured logger and exits 1 with one clear line when there is no cluster to talk to', async () => {
    const { status, stdout } = await run(['--log-format', 'json', '--debug'], {
      BUILDKITE_TOKEN: 'tok-123',
      HOME: '/nonexistent',
    });
    expect(status).toBe(1);
    const records = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.map((r) => [r.level, r.component, r.msg])).toEqual([
      ['debug', 'controller', 'configuration loaded'],
      [
        'error',
        'controller',
        'no Kubernetes configuration found: set KUBECONFIG, create ~/.kube/config, or run inside a cluster',
      ],
    ]);
    expect(stdout).not.toContain('tok-123');
  });

  it('writes logfmt lines by default and names a missing KUBECONFIG file', async () => {
    const { status, stdout } = await run([], { KUBECONFIG: '/nonexistent/config' });
    expect(status).toBe(1);
    expect(stdout).toMatch(
      /^time=\S+ level=error component=controller msg="KUBECONFIG names no existing file: \/nonexistent\/config"\n$/,
    );
  });

  it('exits 2 on an unknown flag', async () => {
    const { status, stderr } = await run(['--max-in-flite', '3']);
    expect(status).toBe(2);
    expect(stderr).toContain("unknown option '--max-in-flite'");
  });
});

describe('--help', () => {
  it.each([[[] as string[]], [['config']]])(
    'lists every flag with its default and env var (%j)',
    async (prefix) => {
      const { status, stdout } = await run([...prefix, '--help']);
      expect(status).toBe(0);
      const flat = stdout.replace(/\s+/g, ' ');
      for (const key of CONFIG_KEYS) {
        const spec = OPTIONS[key];
        if ('fileOnly' in spec || ('hidden' in spec && spec.hidden)) continue;
        expect(flat).toContain(`--${key}`);
        expect(flat).toContain(`env: ${envName(key) ?? ''}`);
      }
      expect(flat).toContain(
        '--max-in-flight <value> Most unfinished Kubernetes Jobs at once; 0 means no limit (default: 25, env: MAX_IN_FLIGHT)',
      );
    },
  );
});
