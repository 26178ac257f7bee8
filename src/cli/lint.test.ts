import { describe, expect, it } from 'vitest';
import { main, type CliIO } from './main.js';

const files: Record<string, string> = {
  'clean.yml': `steps:
  - command: make
    plugins:
      - kubernetes:
          podSpec:
            containers:
              - image: alpine
`,
  'warn.yml': `steps:
  - command: make
    plugins:
      - kubernetes:
          podSpec: {containers: [{image: a}]}
          podTemplate: base
`,
  'bad.yml': `steps:
  - command: make
    plugins:
      - kubernetes:
          podSpec:
            containers:
              - image: alpine
                imagePullPolicy: always
`,
  'broken.yml': 'steps:\n  - command: a: b\n',
  '-': 'steps:\n  - plugins: {kubernetes: {podspec: {}, sidecar: []}}\n',
};

async function run(...argv: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    env: {},
    readFile: (path) => {
      const text = files[path];
      if (text === undefined) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
      return text;
    },
  };
  const status = await main(argv, io);
  return { status, stdout, stderr };
}

describe('agent-stack-k8s lint', () => {
  it('exits 0 and prints nothing for a clean pipeline', async () => {
    expect(await run('lint', 'clean.yml')).toEqual({ status: 0, stdout: '', stderr: '' });
  });

  it('exits 0 with warnings only', async () => {
    expect(await run('lint', 'warn.yml')).toEqual({
      status: 0,
      stdout:
        'warn.yml:6:11: warning: steps[0].plugins[0].kubernetes.podTemplate: podSpec and podTemplate are both set; podSpec wins and podTemplate is ignored\n' +
        '0 errors, 1 warning\n',
      stderr: '',
    });
  });

  it('exits 1 on errors and lints every file given', async () => {
    expect(await run('lint', 'bad.yml', 'warn.yml', 'clean.yml')).toEqual({
      status: 1,
      stdout:
        'bad.yml:8:17: steps[0].plugins[0].kubernetes.podSpec.containers[0].imagePullPolicy: must be one of Always, IfNotPresent, Never; got "always"\n' +
        'warn.yml:6:11: warning: steps[0].plugins[0].kubernetes.podTemplate: podSpec and podTemplate are both set; podSpec wins and podTemplate is ignored\n' +
        '1 error, 1 warning\n',
      stderr: '',
    });
  });

  it('exits 2 on invalid YAML, reporting its line, and still lints the other files', async () => {
    const result = await run('lint', 'broken.yml', 'bad.yml');
    expect(result.status).toBe(2);
    expect(result.stdout.split('\n')).toEqual([
      'broken.yml:2:14: invalid YAML: Nested mappings are not allowed in compact mappings',
      'bad.yml:8:17: steps[0].plugins[0].kubernetes.podSpec.containers[0].imagePullPolicy: must be one of Always, IfNotPresent, Never; got "always"',
      '2 errors, 0 warnings',
      '',
    ]);
  });

  it('reads standard input for "-"', async () => {
    expect(await run('lint', '-')).toMatchObject({
      status: 1,
      stdout: expect.stringContaining(
        '<stdin>:2:41: steps[0].plugins.kubernetes.sidecar: unknown field; did you mean "sidecars"?\n',
      ) as unknown,
    });
  });

  it('exits 2 on an unreadable file', async () => {
    expect(await run('lint', 'missing.yml', 'clean.yml')).toEqual({
      status: 2,
      stdout: '',
      stderr:
        "agent-stack-k8s lint: cannot read missing.yml: ENOENT: no such file or directory, open 'missing.yml'\n",
    });
  });

  it('exits 2 without files and documents the output and exit status in --help', async () => {
    const missing = await run('lint');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("missing required argument 'files'");
    const help = await run('lint', '--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain(
      'Exit status: 0 no errors (warnings allowed), 1 errors found, 2 usage error',
    );
  });
});
