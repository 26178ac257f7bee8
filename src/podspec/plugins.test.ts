/** BUILDKITE_PLUGINS parsing (ParseJob, podspec.md §1.1, §3.2). */
import { describe, expect, it } from 'vitest';
import { goJsonSyntaxError } from './go-json.js';
import { KUBERNETES_PLUGIN_KEY, parsePlugins } from './plugins.js';

const k8s = (value: unknown) => JSON.stringify([{ [KUBERNETES_PLUGIN_KEY]: value }]);

describe('parsePlugins', () => {
  it('no BUILDKITE_PLUGINS means no plugin', () => {
    expect(parsePlugins(undefined, false)).toEqual({ ok: true, plugin: undefined });
    expect(parsePlugins('', true)).toEqual({ ok: true, plugin: undefined });
    expect(parsePlugins('null', false)).toEqual({ ok: true, plugin: undefined });
  });

  it('other plugins are ignored', () => {
    expect(parsePlugins(JSON.stringify([{ 'github.com/x/y#v1': { a: 1 } }]), true)).toEqual({
      ok: true,
      plugin: undefined,
    });
  });

  it('a versioned kubernetes key is an ordinary plugin', () => {
    expect(parsePlugins(JSON.stringify([{ [`${KUBERNETES_PLUGIN_KEY}#v1`]: {} }]), true)).toEqual({
      ok: true,
      plugin: undefined,
    });
  });

  it('decodes leniently: unknown fields dropped, field names case-insensitive', () => {
    const result = parsePlugins(
      k8s({ PodSpec: { containers: [{ image: 'a', bogus: 1 }] }, typo: true }),
      false,
    );
    expect(result).toEqual({ ok: true, plugin: { podSpec: { containers: [{ image: 'a' }] } } });
  });

  it('a null kubernetes config behaves like no plugin', () => {
    expect(parsePlugins(k8s(null), false)).toEqual({ ok: true, plugin: undefined });
  });

  it('prohibited even when null', () => {
    expect(parsePlugins(k8s(null), true)).toEqual({
      ok: false,
      error: 'the kubernetes plugin is prohibited by this controller, but was configured on this job',
    });
  });

  it('TestInvalidPodJSON: wrong env value type', () => {
    const result = parsePlugins(
      k8s({ podSpec: { containers: [{ env: [{ name: 'CGO_ENABLED', value: 0 }] }] } }),
      false,
    );
    expect(result).toEqual({
      ok: false,
      error:
        'failed parsing Kubernetes plugin: json: cannot unmarshal number into Go struct field EnvVar.podSpec.containers.env.value of type string',
    });
  });

  it('bad interposer', () => {
    expect(parsePlugins(k8s({ commandParams: { interposer: 'x' } }), false)).toEqual({
      ok: false,
      error:
        'failed parsing Kubernetes plugin: invalid interposer "x", must be one of: [ buildkite vector legacy]',
    });
  });

  it('an entry with two keys', () => {
    expect(parsePlugins('[{"a":1,"b":{}}]', false)).toEqual({
      ok: false,
      error: 'found invalid plugin: map[a:[49] b:[123 125]]',
    });
    expect(parsePlugins('[{}]', false)).toEqual({ ok: false, error: 'found invalid plugin: map[]' });
    expect(parsePlugins('[null]', false)).toEqual({ ok: false, error: 'found invalid plugin: map[]' });
  });

  it('not an array of objects', () => {
    expect(parsePlugins('{"a":1}', false)).toEqual({
      ok: false,
      error:
        'failed parsing plugins: json: cannot unmarshal object into Go value of type []map[string]json.RawMessage',
    });
    expect(parsePlugins('["a"]', false)).toEqual({
      ok: false,
      error:
        'failed parsing plugins: json: cannot unmarshal string into Go value of type map[string]json.RawMessage',
    });
  });

  it('invalid JSON reads like Go', () => {
    expect(parsePlugins('[{"a":', false)).toEqual({
      ok: false,
      error: 'failed parsing plugins: unexpected end of JSON input',
    });
    expect(parsePlugins('nope', false)).toEqual({
      ok: false,
      error: "failed parsing plugins: invalid character 'o' in literal null (expecting 'u')",
    });
  });

  it('several kubernetes entries merge like decoding into one struct', () => {
    const json = JSON.stringify([
      {
        [KUBERNETES_PLUGIN_KEY]: {
          checkout: { skip: true },
          metadata: { labels: { a: '1' } },
          gitEnvFrom: [{ prefix: 'A' }],
        },
      },
      {
        [KUBERNETES_PLUGIN_KEY]: {
          checkout: { cloneFlags: '-v' },
          metadata: { labels: { b: '2' } },
          gitEnvFrom: [{ prefix: 'B' }],
        },
      },
    ]);
    expect(parsePlugins(json, false)).toEqual({
      ok: true,
      plugin: {
        checkout: { skip: true, cloneFlags: '-v' },
        metadata: { labels: { a: '1', b: '2' } },
        gitEnvFrom: [{ prefix: 'B' }],
      },
    });
  });
});

describe('goJsonSyntaxError', () => {
  it.each([
    ['', 'unexpected end of JSON input'],
    ['x', "invalid character 'x' looking for beginning of value"],
    ['[1 2]', "invalid character '2' after array element"],
    ['{"a" 1}', "invalid character '1' after object key"],
    ['{"a":1 "b"}', "invalid character '\"' after object key:value pair"],
    ['{1:2}', "invalid character '1' looking for beginning of object key string"],
    ['[-x]', "invalid character 'x' in numeric literal"],
    ['[1.]', "invalid character ']' after decimal point in numeric literal"],
    ['[1e]', "invalid character ']' in exponent of numeric literal"],
    ['["\\q"]', "invalid character 'q' in string escape code"],
    ['["\\u12x4"]', "invalid character 'x' in \\u hexadecimal character escape"],
    ['["a\nb"]', "invalid character '\\n' in string literal"],
    ['[] x', "invalid character 'x' after top-level value"],
    ["['a']", "invalid character '\\'' looking for beginning of value"],
    ['[tru]', "invalid character ']' in literal true (expecting 'e')"],
    ['[1,2]', undefined],
  ])('%j', (text, expected) => {
    expect(goJsonSyntaxError(text)).toBe(expected);
  });
});

describe('podSpecPatch directives', () => {
  it('are kept where the user wrote them (upstream drops them)', () => {
    const patch = {
      containers: [{ name: 'sidecar', $patch: 'delete' }],
      $retainKeys: ['volumes'],
      volumes: [{ name: 'v', emptyDir: {}, $retainKeys: ['name', 'emptyDir'] }],
      '$setElementOrder/containers': [{ name: 'a' }],
    };
    const result = parsePlugins(
      k8s({ PodSpecPatch: patch, podSpec: { containers: [{ name: 'x', $patch: 'delete' }] } }),
      false,
    );
    expect(result).toEqual({
      ok: true,
      plugin: { podSpecPatch: patch, podSpec: { containers: [{ name: 'x' }] } },
    });
  });
});

describe('Go field names in type errors', () => {
  it('metadata fields have no JSON tags upstream, so Go names them Labels/Annotations', () => {
    expect(parsePlugins(k8s({ metadata: { labels: { a: 1 } } }), false)).toEqual({
      ok: false,
      error:
        'failed parsing Kubernetes plugin: json: cannot unmarshal number into Go struct field Metadata.metadata.Labels of type string',
    });
  });
});
