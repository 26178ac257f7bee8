import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { KUBERNETES_PLUGIN_KEY } from '../podspec/plugins.js';
import { main, type CliIO } from './main.js';

function run(argv: string[], files: Record<string, string>, env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    env,
    readFile: (path) => {
      const text = files[path];
      if (text === undefined) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
      return text;
    },
  };
  return main(argv, io).then((code) => ({ code, stdout, stderr }));
}

const job = (fields: Record<string, unknown>) => JSON.stringify({ id: 'abc', command: 'echo hi', ...fields });
const plugins = (plugin: unknown) => JSON.stringify([{ [KUBERNETES_PLUGIN_KEY]: plugin }]);

describe('render', () => {
  it('prints the complete Job as JSON and exits 0', async () => {
    const { code, stdout, stderr } = await run(['render', '--job', 'job.json'], { 'job.json': job({}) });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const rendered = JSON.parse(stdout) as { apiVersion: string; kind: string; metadata: { name: string } };
    expect(rendered.apiVersion).toBe('batch/v1');
    expect(rendered.kind).toBe('Job');
    expect(rendered.metadata.name).toBe('buildkite-abc');
    expect(stdout.endsWith('}\n')).toBe(true);
  });

  it('prints YAML with -o yaml', async () => {
    const { code, stdout } = await run(['render', '--job', 'j', '-o', 'yaml'], { j: job({}) });
    expect(code).toBe(0);
    expect((parseYaml(stdout) as { kind: string }).kind).toBe('Job');
  });

  it('YAML output has no anchors or aliases, even for objects shared between containers', async () => {
    const env = {
      BUILDKITE_PLUGINS: plugins({ extraVolumeMounts: [{ name: 'workspace', mountPath: '/x' }] }),
    };
    const { code, stdout } = await run(['render', '--job', 'j', '-o', 'yaml'], { j: job({ env }) });
    expect(code).toBe(0);
    expect(stdout).not.toMatch(/[&*]a\d/);
    expect(stdout.match(/mountPath: \/x/g)).toHaveLength(3);
  });

  it('uses the config file and sets the controller queue on the rules', async () => {
    const files = {
      j: job({ agent_query_rules: ['queue=other', 'os=linux'] }),
      'c.yaml': 'job-prefix: ci-\nqueue: kubernetes\nid: ctl\n',
    };
    const { code, stdout } = await run(['render', '--job', 'j', '--config', 'c.yaml'], files);
    expect(code).toBe(0);
    const rendered = JSON.parse(stdout) as { metadata: { name: string; labels: Record<string, string> } };
    expect(rendered.metadata.name).toBe('ci-abc');
    expect(rendered.metadata.labels).toMatchObject({
      'tag.buildkite.com/queue': 'kubernetes',
      'tag.buildkite.com/os': 'linux',
      'buildkite.com/controller-id': 'ctl',
    });
  });

  it('drops the queue rule on the default queue', async () => {
    const { stdout } = await run(['render', '--job', 'j'], {
      j: job({ agent_query_rules: ['queue=x', 'a=b'] }),
    });
    const rendered = JSON.parse(stdout) as { metadata: { labels: Record<string, string> } };
    expect(rendered.metadata.labels['tag.buildkite.com/queue']).toBeUndefined();
    expect(rendered.metadata.labels['tag.buildkite.com/a']).toBe('b');
  });

  it('a job the controller would fail: its Buildkite message on stderr, exit 1', async () => {
    const files = {
      j: job({
        env: {
          BUILDKITE_PLUGINS: plugins({ podSpec: { containers: [{ env: [{ name: 'X', value: 0 }] }] } }),
        },
      }),
    };
    const { code, stdout, stderr } = await run(['render', '--job', 'j'], files);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      'agent-stack-k8s failed to parse the job: failed parsing Kubernetes plugin: json: cannot unmarshal number into Go struct field EnvVar.podSpec.containers.env.value of type string\n',
    );
  });

  it('pod templates come from --pod-template files; a missing one fails like the API would', async () => {
    const files = {
      j: job({ env: { BUILDKITE_PLUGINS: plugins({ podTemplate: 'tpl' }) } }),
      't.yaml':
        'apiVersion: v1\nkind: PodTemplate\nmetadata: {name: tpl}\ntemplate:\n  spec:\n    containers:\n    - name: templated\n      image: alpine:3\n      bogus: 1\n',
    };
    const ok = await run(['render', '--job', 'j', '--pod-template', 'tpl=t.yaml'], files);
    expect(ok.code).toBe(0);
    const rendered = JSON.parse(ok.stdout) as {
      spec: { template: { spec: { containers: { name: string }[] } } };
    };
    expect(rendered.spec.template.spec.containers.map((c) => c.name)).toEqual([
      'templated',
      'agent',
      'checkout',
    ]);
    const missing = await run(['render', '--job', 'j'], files);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('Error fetching podTemplate "tpl": podtemplates "tpl" not found\n');
  });

  it.each([
    [
      ['render', '--job', 'missing.json'],
      "render: cannot read missing.json: ENOENT: no such file or directory, open 'missing.json'\n",
    ],
    [['render', '--job', 'bad'], undefined],
    [['render', '--job', 'noid'], 'render: noid: "id" must be a non-empty string\n'],
    [['render', '--job', 'rules'], 'render: rules: "agent_query_rules" must be a list of strings\n'],
    [
      ['render', '--job', 'j', '--pod-template', 'nofile'],
      'render: --pod-template nofile: expected NAME=FILE\n',
    ],
    [
      ['render', '--job', 'j', '--pod-template', 'x=notpt.yaml'],
      'render: notpt.yaml: expected a PodTemplate with template.spec\n',
    ],
    [['render', '--job', 'j', '--config', 'badconf.yaml'], undefined],
    [['render'], undefined],
    [['render', '--job', 'j', '-o', 'xml'], undefined],
  ])('usage error %j exits 2 with one clear line', async (argv, message) => {
    const files = {
      bad: '{not json',
      noid: '{"command":"x"}',
      rules: job({ agent_query_rules: 'queue=x' }),
      j: job({}),
      'notpt.yaml': 'kind: Pod\n',
      'badconf.yaml': 'no-such-key: 1\n',
    };
    const { code, stdout, stderr } = await run(argv, files);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    if (message !== undefined) expect(stderr).toBe(message);
    else expect(stderr.length).toBeGreaterThan(0);
  });

  describe('--pipeline', () => {
    const pipeline = [
      'steps:',
      '  - key: build',
      '    command: make',
      '    plugins:',
      '      - kubernetes:',
      '          podSpec:',
      '            containers:',
      '              - image: golang:1.23',
      '                command: [go build]',
      '  - label: test',
      '    command: make test',
      '    image: node:22-alpine',
      '',
    ].join('\n');

    it('renders the step chosen by key or label', async () => {
      const build = await run(['render', '--pipeline', 'p.yml', '--step', 'build'], { 'p.yml': pipeline });
      expect(build.code).toBe(0);
      const job = JSON.parse(build.stdout) as {
        spec: {
          template: { spec: { containers: { image: string; env: { name: string; value?: string }[] }[] } };
        };
      };
      const first = job.spec.template.spec.containers[0];
      expect(first?.image).toBe('golang:1.23');
      expect(first?.env.find((e) => e.name === 'BUILDKITE_COMMAND')?.value).toBe('go build');
      const test = await run(['render', '--pipeline', 'p.yml', '--step', 'test'], { 'p.yml': pipeline });
      expect(test.code).toBe(0);
      expect(test.stdout).toContain('"image": "node:22-alpine"');
    });

    it('needs --step when there are several command steps', async () => {
      const { code, stderr } = await run(['render', '--pipeline', 'p.yml'], { 'p.yml': pipeline });
      expect(code).toBe(2);
      expect(stderr).toBe('render: p.yml: 2 command steps (build, test); choose one with --step\n');
    });

    it('an unknown step, both sources, or --step alone are usage errors', async () => {
      const files = { 'p.yml': pipeline, j: job({}) };
      const unknown = await run(['render', '--pipeline', 'p.yml', '--step', 'nope'], files);
      expect([unknown.code, unknown.stderr]).toEqual([
        2,
        'render: p.yml: no command step with key or label "nope"\n',
      ]);
      const both = await run(['render', '--pipeline', 'p.yml', '--job', 'j'], files);
      expect([both.code, both.stderr]).toEqual([
        2,
        'render: give exactly one of --job FILE or --pipeline FILE\n',
      ]);
      const stepOnly = await run(['render', '--job', 'j', '--step', 'x'], files);
      expect([stepOnly.code, stepOnly.stderr]).toEqual([2, 'render: --step needs --pipeline\n']);
    });

    it('a pipeline the controller would fail: the Buildkite message, exit 1', async () => {
      const bad =
        'steps:\n  - command: x\n    plugins:\n      - kubernetes:\n          podSpec:\n            containers:\n              - image: "Bad Image"\n';
      const { code, stderr } = await run(['render', '--pipeline', 'p.yml'], { 'p.yml': bad });
      expect(code).toBe(1);
      expect(stderr).toBe(
        'agent-stack-k8s failed to build a podSpec for the job: invalid reference format "Bad Image" for container "container-0"\n',
      );
    });
  });
});
