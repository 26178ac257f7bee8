import { describe, expect, it } from 'vitest';
import { fullPluginSource } from './plugins.js';
import { KUBERNETES_PLUGIN_KEY } from '../podspec/plugins.js';

describe('fullPluginSource', () => {
  it.each([
    ['kubernetes', KUBERNETES_PLUGIN_KEY],
    ['kubernetes#v1', `${KUBERNETES_PLUGIN_KEY}#v1`],
    ['docker#v5.0.0', 'github.com/buildkite-plugins/docker-buildkite-plugin#v5.0.0'],
    ['docker-compose', 'github.com/buildkite-plugins/docker-compose-buildkite-plugin'],
    ['my-org/cache#main', 'github.com/my-org/cache-buildkite-plugin#main'],
    ['github.com/my-org/cache-buildkite-plugin#v1', 'github.com/my-org/cache-buildkite-plugin#v1'],
    ['https://gitlab.example/org/thing.git#v2', 'https://gitlab.example/org/thing.git#v2'],
    ['ssh://git@github.com/org/repo.git', 'ssh://git@github.com/org/repo.git'],
    ['git@github.com:org/repo.git#v1', 'git@github.com:org/repo.git#v1'],
    ['./plugins/local', './plugins/local'],
    ['/abs/plugin', '/abs/plugin'],
    ['docker#', 'github.com/buildkite-plugins/docker-buildkite-plugin'],
    ['', ''],
  ])('%s -> %s', (name, source) => {
    expect(fullPluginSource(name)).toBe(source);
  });
});
