/** Every pipeline example in docs/plugin.md renders to a Job, and shows what the text around it claims. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { main, type CliIO } from '../../src/cli/main.js';

const page = readFileSync(new URL('../../docs/plugin.md', import.meta.url), 'utf8');
const blocks = [...page.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
const pipelines = blocks.filter((b) => b.startsWith('steps:'));
const podTemplate = blocks.find((b) => b.includes('kind: PodTemplate')) ?? '';
const controllerConfig = blocks.find((b) => b.startsWith('resource-classes:')) ?? '';

interface Step {
  readonly key?: string;
  readonly label?: string;
}

async function render(
  pipeline: string,
  step: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const files: Record<string, string> = {
    'pipeline.yml': pipeline,
    'template.yaml': podTemplate,
    'config.yaml': controllerConfig,
  };
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    env: {},
    readFile: (path) => {
      const text = files[path];
      if (text === undefined) throw new Error(`ENOENT: ${path}`);
      return text;
    },
  };
  const argv = [
    'render',
    '--pipeline',
    'pipeline.yml',
    '--step',
    step,
    '--config',
    'config.yaml',
    '-o',
    'yaml',
  ];
  const code = await main([...argv, '--pod-template', 'ci-large=template.yaml'], io);
  return { code, stdout, stderr };
}

const cases = pipelines.flatMap((pipeline) =>
  (parseYaml(pipeline) as { steps: Step[] }).steps.map((s) => [s.key ?? s.label ?? '', pipeline] as const),
);

describe('docs/plugin.md examples', () => {
  it('has the examples this test expects', () => {
    expect(cases.length).toBeGreaterThanOrEqual(11);
    expect(podTemplate).not.toBe('');
    expect(controllerConfig).not.toBe('');
  });

  it.each(cases)('step %s renders a Job', async (step, pipeline) => {
    const { code, stdout, stderr } = await render(pipeline, step);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect((parseYaml(stdout) as { kind: string }).kind).toBe('Job');
  });

  it('shows the claimed effects', async () => {
    const output = async (step: string): Promise<string> => {
      const found = cases.find(([name]) => name === step);
      if (found === undefined) throw new Error(`no step ${step} in docs/plugin.md`);
      return (await render(found[1], step)).stdout;
    };
    expect(await output('patched')).not.toContain('name: imagecheck-0');
    expect(await output('patched')).toContain('serviceAccountName: ci-deployer');
    expect(await output('nocheckout')).not.toContain('name: checkout');
    expect(await output('lint')).toContain('image: golangci/golangci-lint:v1.61');
    expect(await output('from a template')).toContain('node-pool: ci-large');
    expect(await output('big build')).toContain('node-pool: large');
    expect(await output('integration')).toContain('name: sidecar-0');
    expect(await output('labelled')).toContain('activeDeadlineSeconds: 3600');
    expect(await output('patched-command')).toContain('value: make test-race');
  });
});
