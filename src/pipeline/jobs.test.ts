import { describe, expect, it } from 'vitest';
import { pipelineJobs, type PipelineJob } from './jobs.js';
import { KUBERNETES_PLUGIN_KEY } from '../podspec/plugins.js';

function jobs(text: string, file = '.buildkite/pipeline.yml'): PipelineJob[] {
  const result = pipelineJobs(text, { file });
  if (!result.ok) throw new Error(result.errors.map((e) => `${e.line}:${e.col}: ${e.message}`).join('\n'));
  return result.jobs;
}

function only(text: string): PipelineJob {
  const [job, ...rest] = jobs(text);
  if (job === undefined || rest.length > 0) throw new Error('expected exactly one job');
  return job;
}

const plugins = (job: PipelineJob): unknown => JSON.parse(job.job.env.BUILDKITE_PLUGINS ?? 'null');

describe('pipelineJobs', () => {
  it.each([
    ['command string', 'steps:\n  - command: make test\n', 'make test'],
    ['commands list joined by newlines', 'steps:\n  - commands: [make, make test]\n', 'make\nmake test'],
    ['command given as a list', 'steps:\n  - command:\n      - a\n      - b\n', 'a\nb'],
    ['commands given as a string', 'steps:\n  - commands: only\n', 'only'],
    ['plugins-only step has an empty command', 'steps:\n  - plugins: [docker#v1]\n', ''],
  ])('%s', (_, text, command) => {
    const job = only(text);
    expect(job.job.command).toBe(command);
    expect(job.job.env.BUILDKITE_COMMAND).toBe(command);
  });

  it('normalises plugins given as a list, with config, without config and as bare names', () => {
    const job = only(`steps:
  - command: x
    plugins:
      - kubernetes:
          podSpec: {containers: [{image: alpine}]}
      - docker#v5.0.0: ~
      - my-org/cache#v1
      - https://example.com/plugin.git#v2: {zeta: 1, alpha: {b: 2, a: 1}}
`);
    expect(plugins(job)).toEqual([
      { [KUBERNETES_PLUGIN_KEY]: { podSpec: { containers: [{ image: 'alpine' }] } } },
      { 'github.com/buildkite-plugins/docker-buildkite-plugin#v5.0.0': null },
      { 'github.com/my-org/cache-buildkite-plugin#v1': null },
      { 'https://example.com/plugin.git#v2': { alpha: { a: 1, b: 2 }, zeta: 1 } },
    ]);
    // Keys are sorted, as Go's JSON encoder writes them.
    expect(job.job.env.BUILDKITE_PLUGINS).toContain('{"alpha":{"a":1,"b":2},"zeta":1}');
  });

  it('normalises plugins given as a mapping, keeping their order', () => {
    const job = only(`steps:
  - command: x
    plugins:
      kubernetes: {checkout: {skip: true}}
      docker#v5.0.0: null
`);
    expect(plugins(job)).toEqual([
      { [KUBERNETES_PLUGIN_KEY]: { checkout: { skip: true } } },
      { 'github.com/buildkite-plugins/docker-buildkite-plugin#v5.0.0': null },
    ]);
  });

  it('sets no BUILDKITE_PLUGINS when the step has no plugins', () => {
    expect(only('steps:\n  - command: x\n').job.env).not.toHaveProperty('BUILDKITE_PLUGINS');
  });

  it.each([
    ['a mapping', 'agents: {queue: k8s, os: linux, big: true}', ['queue=k8s', 'os=linux', 'big=true']],
    ['a list', 'agents: ["queue=k8s", "os=linux"]', ['queue=k8s', 'os=linux']],
    ['absent', 'key: x', []],
  ])('turns agents given as %s into query rules', (_, agents, rules) => {
    expect(only(`steps:\n  - command: x\n    ${agents}\n`).job.agent_query_rules).toEqual(rules);
  });

  it('merges pipeline agents under step agents, the step winning per tag', () => {
    const job = only(
      'agents: {queue: default, os: linux}\nsteps:\n  - command: x\n    agents: [queue=k8s]\n',
    );
    expect(job.job.agent_query_rules).toEqual(['queue=k8s', 'os=linux']);
  });

  it('merges step env over pipeline env, stringifying scalars, with Buildkite variables last', () => {
    const job = only(`env:
  SHARED: pipeline
  ONLY_PIPELINE: 1
  BUILDKITE_BRANCH: forged
steps:
  - command: x
    env:
      SHARED: step
      FLAG: true
`);
    expect(job.job.env).toMatchObject({
      SHARED: 'step',
      ONLY_PIPELINE: '1',
      FLAG: 'true',
      BUILDKITE_BRANCH: 'main',
    });
  });

  it('sets the env the pod builder reads', () => {
    const job = only('steps:\n  - command: x\n    key: build\n    label: Build it\n    image: ruby:3\n');
    expect(job).toMatchObject({ key: 'build', label: 'Build it', line: 2 });
    expect(job.job.env).toMatchObject({
      BUILDKITE_STEP_KEY: 'build',
      BUILDKITE_LABEL: 'Build it',
      BUILDKITE_IMAGE: 'ruby:3',
      BUILDKITE_PIPELINE_SLUG: 'pipeline',
      BUILDKITE_BUILD_URL: 'https://buildkite.com/local/pipeline/builds/1',
      BUILDKITE_BRANCH: 'main',
      BUILDKITE_REPO: 'https://git.invalid/pipeline.git',
      BUILDKITE_JOB_ID: job.job.id,
    });
  });

  it('takes the image from the pipeline unless the step sets one', () => {
    const [first, second] = jobs('image: base:1\nsteps:\n  - command: a\n  - command: b\n    image: own:2\n');
    expect(first?.job.env.BUILDKITE_IMAGE).toBe('base:1');
    expect(second?.job.env.BUILDKITE_IMAGE).toBe('own:2');
  });

  it.each([
    ['key', 'key: k'],
    ['identifier', 'identifier: k'],
    ['id', 'id: k'],
  ])('reads the step key from %s', (_, line) => {
    expect(only(`steps:\n  - command: x\n    ${line}\n`).key).toBe('k');
  });

  it('reads the priority, 0 when absent', () => {
    const [high, plain] = jobs('steps:\n  - command: a\n    priority: 5\n  - command: b\n');
    expect(high?.job.priority).toBe(5);
    expect(plain?.job.priority).toBe(0);
  });

  it('flattens groups and skips wait, block, input and trigger steps', () => {
    const found = jobs(`steps:
  - command: one
  - wait
  - block: Release?
  - input: Info
  - trigger: other-pipeline
  - wait: ~
    continue_on_failure: true
  - group: Tests
    key: tests
    steps:
      - command: two
      - wait
      - label: three
        command: three
  - type: script
    command: four
  - type: trigger
    trigger: skip
`);
    expect(found.map((job) => [job.job.command, job.line])).toEqual([
      ['one', 2],
      ['two', 12],
      ['three', 14],
      ['four', 16],
    ]);
  });

  it('makes no job for skipped steps, but still checks them', () => {
    const text =
      'steps:\n  - command: a\n    skip: true\n  - command: b\n    skip: flaky\n  - command: c\n    skip: false\n';
    expect(jobs(text).map((job) => job.job.command)).toEqual(['c']);
    expect(pipelineJobs('steps:\n  - command: [{}]\n    skip: true\n', { file: 'p.yml' }).ok).toBe(false);
  });

  it('accepts a pipeline that is only a list of steps, and an empty file', () => {
    expect(jobs('- command: a\n- wait\n').map((job) => job.job.command)).toEqual(['a']);
    expect(jobs('')).toEqual([]);
  });

  it('derives stable job ids from the file and the step position', () => {
    const text = 'steps:\n  - command: a\n  - command: b\n';
    const [a, b] = jobs(text);
    expect(a?.job.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a?.job.id).not.toBe(b?.job.id);
    expect(jobs(text).map((job) => job.job.id)).toEqual([a?.job.id, b?.job.id]);
    expect(jobs(text, 'other.yml')[0]?.job.id).not.toBe(a?.job.id);
  });

  it('reports malformed steps with their position and loses none of the other problems', () => {
    const result = pipelineJobs(
      `steps:
  - command: {a: 1}
    env: [A=1]
  - 42
  - command: ok
    plugins: docker
    priority: high
  - type: bogus
`,
      { file: 'p.yml' },
    );
    expect(result).toEqual({
      ok: false,
      errors: [
        {
          file: 'p.yml',
          line: 4,
          col: 5,
          message: 'steps[1]: a step must be a mapping or one of "wait", "block", "input"',
        },
        {
          file: 'p.yml',
          line: 6,
          col: 5,
          message:
            'steps[2].plugins: plugins must be a list of plugins (or a mapping of plugin name to config)',
        },
        { file: 'p.yml', line: 8, col: 5, message: 'steps[3].type: unknown step type "bogus"' },
        {
          file: 'p.yml',
          line: 2,
          col: 5,
          message: 'steps[0].command: must be a string or a list of strings',
        },
        {
          file: 'p.yml',
          line: 3,
          col: 5,
          message: 'steps[0].env: must be a mapping of variable names to values',
        },
        { file: 'p.yml', line: 7, col: 5, message: 'steps[2].priority: must be an integer' },
      ],
    });
  });

  it('reports a bad pipeline-level setting once, not once per step', () => {
    expect(pipelineJobs('env: [A=1]\nsteps:\n  - command: a\n  - command: b\n', { file: 'p.yml' })).toEqual({
      ok: false,
      errors: [
        { file: 'p.yml', line: 1, col: 1, message: 'env: must be a mapping of variable names to values' },
      ],
    });
  });

  it('reads an env value of null as an empty string and keeps any variable name', () => {
    const env = only('steps:\n  - command: a\n    env: {EMPTY: ~, __proto__: odd}\n').job.env;
    expect(env.EMPTY).toBe('');
    expect(Object.entries(env)).toContainEqual(['__proto__', 'odd']);
  });

  it('reports invalid YAML with its line', () => {
    expect(pipelineJobs('steps:\n  - command: a: b\n', { file: 'p.yml' })).toEqual({
      ok: false,
      errors: [
        {
          file: 'p.yml',
          line: 2,
          col: 14,
          message: 'invalid YAML: Nested mappings are not allowed in compact mappings',
        },
      ],
    });
  });
});
