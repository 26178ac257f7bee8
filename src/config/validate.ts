/** Rules that span keys or need more than a type check (upstream's startup validation, and ours). */
import type { Config } from './schema.js';
import { QUANTITY, type PathSegment } from './shape.js';

export interface ConfigProblem {
  readonly path: readonly PathSegment[];
  readonly message: string;
}

const REQUIRED_TEXT = ['job-prefix', 'namespace', 'agent-token-secret', 'image'] as const;
const HOST_PORT = /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*):(\d{1,5})$/;

export function validateConfig(config: Config): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const problem = (path: readonly PathSegment[], message: string): void => {
    problems.push({ path, message });
  };

  for (const key of REQUIRED_TEXT)
    if (config[key] === '') problem([key], 'is required and must not be empty');

  const profiler = config['profiler-address'];
  if (profiler !== '') {
    const port = HOST_PORT.exec(profiler)?.[1];
    if (port === undefined || Number(port) > 65_535)
      problem(['profiler-address'], `must be host:port, got "${profiler}"`);
  }

  config.tags.forEach((tag, index) => {
    if (!tag.includes('=')) problem(['tags', index], `"${tag}" is not a key=value tag`);
  });
  const queueTags = config.tags.filter((tag) => tag.startsWith('queue='));
  if (queueTags.length > 1)
    problem(['tags'], `the queue tag must be given once, got ${queueTags.join(', ')}`);

  for (const [index, hook] of (config['agent-config']?.['additional-hooks'] ?? []).entries()) {
    const at: PathSegment[] = ['agent-config', 'additional-hooks', index];
    if (hook.path === undefined || hook.path === '') problem([...at, 'path'], 'is required');
    if (hook.volume === undefined) problem([...at, 'volume'], 'is required');
    else if (!hook.volume.name) problem([...at, 'volume', 'name'], 'is required');
  }

  checkPodSpecPatch(config, problem);

  if (!QUANTITY.test(config['image-check-container-cpu-limit'])) {
    problem(
      ['image-check-container-cpu-limit'],
      `invalid CPU resource limit defined: ${config['image-check-container-cpu-limit']}`,
    );
  }
  if (!QUANTITY.test(config['image-check-container-memory-limit'])) {
    problem(
      ['image-check-container-memory-limit'],
      `invalid memory resource limit defined: ${config['image-check-container-memory-limit']}`,
    );
  }

  const defaultClass = config['default-resource-class-name'];
  if (defaultClass !== '') {
    if (Object.keys(config['resource-classes']).length === 0) {
      problem(
        ['default-resource-class-name'],
        `default-resource-class-name "${defaultClass}" specified but no resource-classes defined`,
      );
    } else if (!Object.hasOwn(config['resource-classes'], defaultClass)) {
      problem(
        ['default-resource-class-name'],
        `default-resource-class-name "${defaultClass}" not found in resource-classes`,
      );
    }
  }

  if (config['job-source'] === 'graphql') {
    if (config['buildkite-token'] === '') {
      problem(['buildkite-token'], 'is required when job-source is graphql (env BUILDKITE_TOKEN)');
    }
    if (config.org === '') problem(['org'], 'is required when job-source is graphql');
    if (config.queue === '' && queueTags.length === 0) {
      problem(
        ['tags'],
        'missing required tag: queue (job-source graphql needs a queue tag or the queue key)',
      );
    }
  }
  return problems;
}

/** Upstream: images in the controller patch must be lowercase, and commands may not change. */
function checkPodSpecPatch(
  config: Config,
  problem: (path: readonly PathSegment[], message: string) => void,
): void {
  const containers = config['pod-spec-patch']?.containers ?? [];
  const unsafe = config['allow-pod-spec-patch-unsafe-command-modification'];
  for (const [index, container] of containers.entries()) {
    const image = container.image ?? '';
    if (image !== image.toLowerCase()) {
      problem(
        ['pod-spec-patch', 'containers', index, 'image'],
        `invalid pod spec patch: container image for container at index ${index} contains uppercase letters: ${image}`,
      );
    }
    if (!unsafe && ((container.command?.length ?? 0) > 0 || (container.args?.length ?? 0) > 0)) {
      problem(
        ['pod-spec-patch', 'containers', index],
        `invalid pod spec patch: container at index ${index} (image: ${image}): modifying container commands or args via podSpecPatch is not supported`,
      );
    }
  }
}
