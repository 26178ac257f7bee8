import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { goRoundTrip, strategicMerge, strategicMergePodSpec } from './smp.js';
import { patchMetadataRows, POD_SPEC_TYPES } from './smp-schema.js';
import { SMP_CASES } from '../../test/podspec/smp-cases.js';

function merged(original: unknown, patch: unknown): unknown {
  const result = strategicMergePodSpec(original, patch);
  if (!result.ok) throw new Error(`unexpected error: ${result.error}`);
  return result.value;
}

function failure(original: unknown, patch: unknown): string {
  const result = strategicMergePodSpec(original, patch);
  if (result.ok) throw new Error(`expected an error, got ${JSON.stringify(result.value)}`);
  return result.error;
}

const names = (list: unknown): unknown[] => (list as { name?: string }[]).map((c) => c.name);

describe('upstream TestPatchPodSpec catalogue (the merge part)', () => {
  it('puts a new unmanaged container before the original one', () => {
    const original = { containers: [{ image: 'alpine:latest', command: ['echo hello world'] }] };
    const patch = { containers: [{ name: 'my-cool-container', image: 'debian:latest' }] };
    // Upstream's original container went through a Go struct, so its empty name is present.
    const goOriginal = { containers: [{ name: '', ...original.containers[0] }] };
    expect(merged(goOriginal, patch)).toEqual({
      containers: [
        { name: 'my-cool-container', image: 'debian:latest' },
        { name: '', image: 'alpine:latest', command: ['echo hello world'] },
      ],
    });
  });

  it('merges a sidecar patch into the existing container, replacing its command', () => {
    const original = {
      containers: [{ name: 'sidecar-0', image: 'alpine:latest', command: ['echo hello world'] }],
    };
    const patch = { containers: [{ name: 'sidecar-0', command: ['echo goodbye world'] }] };
    expect(merged(original, patch)).toEqual({
      containers: [{ name: 'sidecar-0', image: 'alpine:latest', command: ['echo goodbye world'] }],
    });
  });

  it('replaces BUILDKITE_COMMAND by env name, leaving command and args alone', () => {
    const container = {
      name: 'my-cool-container',
      image: 'alpine:latest',
      command: ['/workspace/tini-static'],
      args: ['--', '/workspace/buildkite-agent', 'kubernetes-bootstrap'],
      env: [{ name: 'BUILDKITE_COMMAND', value: 'echo hello world' }],
    };
    const patch = {
      containers: [
        {
          name: 'my-cool-container',
          env: [{ name: 'BUILDKITE_COMMAND', value: 'this should work as expected' }],
        },
      ],
    };
    expect(merged({ containers: [container] }, patch)).toEqual({
      containers: [
        { ...container, env: [{ name: 'BUILDKITE_COMMAND', value: 'this should work as expected' }] },
      ],
    });
  });

  it('keeps the containers when the patch has an empty container list', () => {
    // The Go struct always carries `name`; without it Go (and we) reject the list for lacking its merge key.
    const original = { containers: [{ name: '', image: 'alpine:latest', command: ['echo hello world'] }] };
    const hostAliases = [{ ip: '127.0.0.1', hostnames: ['agent.buildkite.localhost'] }];
    expect(merged(original, { containers: [], hostAliases })).toEqual({ ...original, hostAliases });
  });

  it('deletes every container when the patch says containers: null (why upstream sends [])', () => {
    const original = { containers: [{ name: 'a', image: 'alpine' }] };
    expect(merged(original, { containers: null })).toEqual({});
  });

  it('patches an image and keeps the command', () => {
    const original = {
      containers: [{ name: 'container-0', image: 'alpine:a', command: ['echo hello world'] }],
    };
    expect(merged(original, { containers: [{ name: 'container-0', image: 'alpine:b' }] })).toEqual({
      containers: [{ name: 'container-0', image: 'alpine:b', command: ['echo hello world'] }],
    });
  });
});

describe('agrees with apimachinery', () => {
  it.each(SMP_CASES)('%s', (_name, original, patch, expected) => {
    expect(strategicMergePodSpec(original, patch)).toEqual(expected);
  });
});

describe('upstream integration fixtures (the merge part)', () => {
  it('controller patch overrides an env var by name (TestPodSpecPatchInController)', () => {
    const original = {
      containers: [{ name: 'mountain', image: 'alpine', env: [{ name: 'MOUNTAIN', value: 'cotopaxi' }] }],
    };
    const patch = { containers: [{ name: 'mountain', env: [{ name: 'MOUNTAIN', value: 'antisana' }] }] };
    expect(merged(original, patch)).toEqual({
      containers: [{ name: 'mountain', image: 'alpine', env: [{ name: 'MOUNTAIN', value: 'antisana' }] }],
    });
  });

  it('a patch may change the agent env but keeps its command (container-start-timeout.yaml)', () => {
    const agent = {
      name: 'agent',
      command: ['buildkite-agent', 'start'],
      env: [
        { name: 'BUILDKITE_CONTAINER_COUNT', value: '2' },
        { name: 'BUILDKITE_AGENT_TOKEN', valueFrom: { secretKeyRef: { name: 's', key: 'token' } } },
      ],
    };
    const patch = {
      containers: [{ name: 'agent', env: [{ name: 'BUILDKITE_CONTAINER_COUNT', value: '999' }] }],
    };
    expect(merged({ containers: [agent] }, patch)).toEqual({
      containers: [{ ...agent, env: [{ name: 'BUILDKITE_CONTAINER_COUNT', value: '999' }, agent.env[1]] }],
    });
  });

  it('a checkout patch sets envFrom wholesale (TestBuild)', () => {
    const original = {
      containers: [{ name: 'checkout', envFrom: [{ secretRef: { name: 'old' } }] }, { name: 'agent' }],
    };
    const patch = { containers: [{ name: 'checkout', envFrom: [{ secretRef: { name: 'git-ssh-key' } }] }] };
    expect(merged(original, patch)).toEqual({
      containers: [
        { name: 'checkout', envFrom: [{ secretRef: { name: 'git-ssh-key' } }] },
        { name: 'agent' },
      ],
    });
  });
});

describe('list order (mergeSlice + normalizeElementOrder)', () => {
  it('places a new init container before copy-agent', () => {
    const original = { initContainers: [{ name: 'copy-agent' }, { name: 'imagecheck-0' }] };
    const patch = { initContainers: [{ name: 'setup', image: 'busybox' }] };
    expect(names((merged(original, patch) as { initContainers: unknown }).initContainers)).toEqual([
      'setup',
      'copy-agent',
      'imagecheck-0',
    ]);
  });

  it('places a new env var before the existing ones', () => {
    const original = {
      containers: [
        {
          name: 'container-0',
          env: [
            { name: 'BUILDKITE_COMMAND', value: 'x' },
            { name: 'BUILDKITE_CONTAINER_ID', value: '1' },
          ],
        },
      ],
    };
    const patch = { containers: [{ name: 'container-0', env: [{ name: 'MOUNTAIN', value: 'cotopaxi' }] }] };
    const out = merged(original, patch) as { containers: { env: unknown }[] };
    expect(names(out.containers[0]?.env)).toEqual([
      'MOUNTAIN',
      'BUILDKITE_COMMAND',
      'BUILDKITE_CONTAINER_ID',
    ]);
  });

  it('keeps matched items in place and interleaves by original order', () => {
    const original = { containers: ['a', 'b', 'c', 'd'].map((name) => ({ name })) };
    const patch = { containers: [{ name: 'c', image: 'x' }, { name: 'new' }, { name: 'a', image: 'y' }] };
    // Patch items are sorted by patch order (c, new, a) and interleaved with server-only items (b, d).
    expect(names((merged(original, patch) as { containers: unknown }).containers)).toEqual([
      'b',
      'c',
      'new',
      'a',
      'd',
    ]);
  });

  it('merges ports by containerPort and volumeMounts by mountPath', () => {
    const original = {
      containers: [
        {
          name: 'c',
          ports: [{ containerPort: 80, name: 'http' }],
          volumeMounts: [{ name: 'workspace', mountPath: '/workspace' }],
        },
      ],
    };
    const patch = {
      containers: [
        {
          name: 'c',
          ports: [{ containerPort: 80, protocol: 'TCP' }],
          volumeMounts: [{ name: 'other', mountPath: '/workspace' }],
        },
      ],
    };
    expect(merged(original, patch)).toEqual({
      containers: [
        {
          name: 'c',
          ports: [{ containerPort: 80, name: 'http', protocol: 'TCP' }],
          volumeMounts: [{ name: 'other', mountPath: '/workspace' }],
        },
      ],
    });
  });

  it('merges hostAliases by ip and replaces tolerations wholesale', () => {
    const original = {
      hostAliases: [{ ip: '10.0.0.1', hostnames: ['a'] }],
      tolerations: [{ key: 'a', operator: 'Exists' }],
    };
    const patch = {
      hostAliases: [{ ip: '10.0.0.1', hostnames: ['b'] }],
      tolerations: [{ key: 'b', operator: 'Exists' }],
    };
    expect(merged(original, patch)).toEqual(patch);
  });

  it('merges nested maps key by key and replaces scalars', () => {
    const original = {
      nodeSelector: { a: '1', b: '2' },
      securityContext: { runAsUser: 1000, runAsGroup: 1000 },
      containers: [{ name: 'c', resources: { limits: { cpu: '1' }, requests: { cpu: '1' } } }],
    };
    const patch = {
      nodeSelector: { b: '3', c: '4' },
      securityContext: { runAsUser: 0 },
      containers: [{ name: 'c', resources: { limits: { memory: '1Gi' } } }],
    };
    expect(merged(original, patch)).toEqual({
      nodeSelector: { a: '1', b: '3', c: '4' },
      securityContext: { runAsUser: 0, runAsGroup: 1000 },
      containers: [{ name: 'c', resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '1' } } }],
    });
  });

  it('leaves both sources when a volume of the same name changes type without $retainKeys', () => {
    const original = { volumes: [{ name: 'v', emptyDir: {} }] };
    const patch = { volumes: [{ name: 'v', hostPath: { path: '/tmp' } }] };
    expect(merged(original, patch)).toEqual({
      volumes: [{ name: 'v', emptyDir: {}, hostPath: { path: '/tmp' } }],
    });
  });

  it('merges two patch elements with the same key into one', () => {
    const patch = {
      containers: [
        { name: 'x', image: 'a' },
        { name: 'x', command: ['b'] },
      ],
    };
    expect(merged({ containers: [{ name: 'y' }] }, patch)).toEqual({
      containers: [{ name: 'x', image: 'a', command: ['b'] }, { name: 'y' }],
    });
  });
});

describe('directives (kubernetes strategic-merge-patch document)', () => {
  it('null deletes a key', () => {
    expect(
      merged(
        { nodeSelector: { a: '1', b: '2' }, hostname: 'h' },
        { nodeSelector: { a: null }, hostname: null },
      ),
    ).toEqual({ nodeSelector: { b: '2' } });
  });

  it('$patch: replace on a map replaces it', () => {
    const original = { securityContext: { runAsUser: 1, runAsGroup: 2 } };
    const patch = { securityContext: { $patch: 'replace', runAsNonRoot: true } };
    expect(merged(original, patch)).toEqual({ securityContext: { runAsNonRoot: true } });
  });

  it('$patch: delete on a map empties it', () => {
    expect(merged({ securityContext: { runAsUser: 1 } }, { securityContext: { $patch: 'delete' } })).toEqual({
      securityContext: {},
    });
  });

  it('$patch: delete in a list removes every element with that key', () => {
    const original = { containers: [{ name: 'a' }, { name: 'b' }, { name: 'a', image: 'dup' }] };
    expect(merged(original, { containers: [{ name: 'a', $patch: 'delete' }] })).toEqual({
      containers: [{ name: 'b' }],
    });
  });

  it('$patch: replace in a list replaces the whole list', () => {
    const original = { containers: [{ name: 'a', image: 'x' }, { name: 'b' }] };
    const patch = { containers: [{ name: 'c', image: 'y' }, { $patch: 'replace' }] };
    expect(merged(original, patch)).toEqual({ containers: [{ name: 'c', image: 'y' }] });
  });

  it('$retainKeys clears the volume source fields not listed', () => {
    const original = { volumes: [{ name: 'v', emptyDir: {} }] };
    const patch = {
      volumes: [{ name: 'v', hostPath: { path: '/tmp' }, $retainKeys: ['name', 'hostPath'] }],
    };
    expect(merged(original, patch)).toEqual({ volumes: [{ name: 'v', hostPath: { path: '/tmp' } }] });
  });

  it('$retainKeys must list every key the patch sets', () => {
    const patch = { volumes: [{ name: 'v', hostPath: { path: '/tmp' }, $retainKeys: ['name'] }] };
    expect(failure({ volumes: [{ name: 'v', emptyDir: {} }] }, patch)).toBe(
      'invalid patch format of retainKeys',
    );
  });

  it('$setElementOrder orders the merged list', () => {
    const original = { containers: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] };
    const patch = {
      '$setElementOrder/containers': [{ name: 'c' }, { name: 'a' }, { name: 'b' }],
      containers: [{ name: 'a', image: 'x' }],
    };
    expect(merged(original, patch)).toEqual({
      containers: [{ name: 'c' }, { name: 'a', image: 'x' }, { name: 'b' }],
    });
  });

  it('an empty $setElementOrder list skips validation and scrambles the patch items as Go sorts them', () => {
    // Checked against apimachinery v0.36.3: Go's comparator answers "less" for elements missing from the
    // order list, and its insertion sort then reverses them.
    const original = { containers: [{ name: 'a' }, { name: 'b' }] };
    const patch = {
      '$setElementOrder/containers': [],
      containers: [{ name: 'c' }, { name: 'b', image: 'x' }, { name: 'd' }],
    };
    expect(names((merged(original, patch) as { containers: unknown }).containers)).toEqual([
      'd',
      'a',
      'b',
      'c',
    ]);
  });

  it('$setElementOrder rejects a patch list in a different order', () => {
    const original = { containers: [{ name: 'a' }, { name: 'b' }] };
    const patch = {
      '$setElementOrder/containers': [{ name: 'a' }, { name: 'b' }],
      containers: [{ name: 'b' }, { name: 'a' }],
    };
    expect(failure(original, patch)).toBe(
      "The order in patch list:\n[map[name:b] map[name:a]]\n doesn't match $setElementOrder list:\n[map[name:a] map[name:b]]\n",
    );
  });

  it('$deleteFromPrimitiveList removes values from a merging primitive list', () => {
    const original = {
      volumes: [
        {
          name: 'v',
          ephemeral: { volumeClaimTemplate: { metadata: { finalizers: ['a', 'b', 'c'] } } },
        },
      ],
    };
    const patch = {
      volumes: [
        {
          name: 'v',
          ephemeral: { volumeClaimTemplate: { metadata: { '$deleteFromPrimitiveList/finalizers': ['b'] } } },
        },
      ],
    };
    expect(merged(original, patch)).toEqual({
      volumes: [{ name: 'v', ephemeral: { volumeClaimTemplate: { metadata: { finalizers: ['a', 'c'] } } } }],
    });
  });

  it('merges a primitive list with strategy merge as a set, with Go’s dedupe order', () => {
    const meta = (finalizers: string[]): unknown => ({
      volumes: [{ name: 'v', ephemeral: { volumeClaimTemplate: { metadata: { finalizers } } } }],
    });
    // Go appends, dedupes by moving the last element into each duplicate's slot, then orders patch items.
    expect(merged(meta(['a', 'b']), meta(['c', 'a']))).toEqual(meta(['c', 'a', 'b']));
  });

  it('a map with $patch that has nothing to merge into is dropped, as on the API server', () => {
    expect(merged({}, { securityContext: { $patch: 'replace', runAsUser: 1 } })).toEqual({});
  });

  it('strips directive keys left in appended elements', () => {
    const patch = {
      containers: [{ name: 'n', securityContext: { $patch: 'replace', runAsUser: 1 }, image: null }],
    };
    expect(merged({ containers: [] }, patch)).toEqual({
      containers: [{ name: 'n', securityContext: { runAsUser: 1 } }],
    });
  });
});

describe('errors', () => {
  it('reports a list element without its merge key like Go', () => {
    expect(failure({ containers: [{ name: 'a' }] }, { containers: [{ image: 'x' }] })).toBe(
      'map: map[image:x] does not contain declared merge key: name',
    );
  });

  it('reports unknown patch types', () => {
    expect(failure({ containers: [{ name: 'a' }] }, { containers: [{ name: 'a', $patch: 'bogus' }] })).toBe(
      'unknown patch type: bogus in map: map[$patch:bogus name:a]',
    );
    expect(failure({}, { $patch: 7 })).toBe('unknown patch type: %!s(int64=7) in map: map[$patch:7]');
  });

  it('reports merging into an unknown field', () => {
    expect(failure({ bogus: { a: 1 } }, { bogus: { b: 2 } })).toBe(
      'unable to find api field in struct PodSpec for the json field "bogus"',
    );
  });

  it('reports mixed element types', () => {
    expect(failure({ containers: [{ name: 'a' }] }, { containers: ['b'] })).toBe(
      'list element types are not identical: [[map[name:a]] [b]]',
    );
  });

  it('rejects documents that are not JSON objects without throwing', () => {
    expect(failure([], {})).toBe('invalid JSON document');
    expect(failure({}, 'x')).toBe('invalid JSON document');
    expect(failure({ a: new Date(0) }, {})).toBe('invalid JSON document');
    expect(failure({ a: Number.NaN }, {})).toBe('invalid JSON document');
  });

  it('rejects documents nested too deeply, or cyclic, without overflowing the stack', () => {
    let deep: unknown = {};
    for (let i = 0; i < 20_000; i++) deep = { securityContext: deep };
    expect(failure({}, deep)).toBe('invalid JSON document');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(failure(cyclic, {})).toBe('invalid JSON document');
  });

  it('treats a null patch like an empty one, as Go decodes it to a nil map', () => {
    expect(merged({ hostname: 'h' }, null)).toEqual({ hostname: 'h' });
  });
});

describe('inputs and schema', () => {
  it('does not modify its inputs', () => {
    const original = { containers: [{ name: 'a', env: [{ name: 'X', value: '1' }] }] };
    const patch = { containers: [{ name: 'a', env: [{ name: 'X', value: null }], $patch: undefined }] };
    const before = JSON.stringify([original, patch]);
    merged(original, patch);
    expect(JSON.stringify([original, patch])).toBe(before);
  });

  it('treats __proto__ as an ordinary key', () => {
    const patch = JSON.parse('{"nodeSelector": {"__proto__": "x"}}') as unknown;
    const out = merged({ nodeSelector: {} }, patch) as { nodeSelector: object };
    expect(Object.getPrototypeOf(out.nodeSelector)).toBe(Object.prototype);
    expect(Object.keys(out.nodeSelector)).toEqual(['__proto__']);
  });

  it('refuses a type it has no schema for', () => {
    expect(strategicMerge({}, {}, 'Deployment')).toEqual({ ok: false, error: 'unknown type Deployment' });
  });

  it('merges sub-structs directly', () => {
    const result = strategicMerge({ name: 'a', env: [{ name: 'A' }] }, { env: [{ name: 'B' }] }, 'Container');
    expect(result).toEqual({ ok: true, value: { name: 'a', env: [{ name: 'B' }, { name: 'A' }] } });
  });

  it('has a schema for every struct it refers to, and merge keys only on merging lists', () => {
    for (const [type, fields] of Object.entries(POD_SPEC_TYPES)) {
      for (const [name, field] of Object.entries(fields)) {
        if (field.ref !== undefined) expect(POD_SPEC_TYPES, `${type}.${name}`).toHaveProperty([field.ref]);
        if (field.mergeKey !== undefined) {
          expect(field.kind, `${type}.${name}`).toBe('list');
          expect(field.strategy, `${type}.${name}`).toMatch(/^merge/);
          expect(POD_SPEC_TYPES[field.ref ?? ''], `${type}.${name}`).toHaveProperty([field.mergeKey]);
        }
      }
    }
  });

  it('exports the PodSpec merge keys in OpenAPI terms', () => {
    const rows = patchMetadataRows();
    const find = (definition: string, field: string): unknown =>
      rows.find((r) => r.definition === `io.k8s.api.core.v1.${definition}` && r.field === field);
    expect(find('PodSpec', 'containers')).toEqual({
      definition: 'io.k8s.api.core.v1.PodSpec',
      field: 'containers',
      strategy: 'merge',
      mergeKey: 'name',
    });
    expect(find('PodSpec', 'volumes')).toMatchObject({ strategy: 'merge,retainKeys', mergeKey: 'name' });
    expect(find('Container', 'volumeMounts')).toMatchObject({ mergeKey: 'mountPath' });
    expect(find('Container', 'ports')).toMatchObject({ mergeKey: 'containerPort' });
    expect(find('EphemeralContainer', 'env')).toMatchObject({ mergeKey: 'name' });
    expect(find('PodSpec', 'tolerations')).toBeUndefined();
    expect(POD_SPEC_TYPES.Probe?.httpGet).toEqual({
      kind: 'object',
      ref: 'HTTPGetAction',
      pointer: true,
      omitEmpty: true,
    });
  });
});

describe('goRoundTrip (a document as upstream Go structs see it)', () => {
  it('drops unknown keys and omitempty zero values, and matches keys case-insensitively', () => {
    expect(
      goRoundTrip({
        Containers: [{ NAME: 'a', image: '', unknown: 1, securityContext: { privileged: false } }],
        hostNetwork: false,
        automountServiceAccountToken: false,
        terminationGracePeriodSeconds: 0,
        tolerations: [],
        nodeSelector: {},
        bogus: { x: 1 },
      }),
    ).toEqual({
      containers: [{ name: 'a', resources: {}, securityContext: { privileged: false } }],
      terminationGracePeriodSeconds: 0,
      automountServiceAccountToken: false,
    });
  });

  it('writes unset non-omitempty fields as Go zero values', () => {
    expect(goRoundTrip({})).toEqual({ containers: null });
    expect(
      goRoundTrip({ volumes: [{ hostPath: {} }], containers: [{ volumeMounts: [{}], ports: [{}] }] }),
    ).toEqual({
      volumes: [{ name: '', hostPath: { path: '' } }],
      containers: [
        {
          name: '',
          ports: [{ containerPort: 0 }],
          resources: {},
          volumeMounts: [{ name: '', mountPath: '' }],
        },
      ],
    });
  });

  it('decodes null map values to the zero value', () => {
    expect(goRoundTrip({ containers: [], nodeSelector: { a: null }, overhead: { cpu: null } })).toEqual({
      containers: [],
      nodeSelector: { a: '' },
      overhead: { cpu: '0' },
    });
  });

  it('keeps directives and explicit nulls when asked, so patches can use them', () => {
    const patch = {
      containers: [{ name: 'a', image: null, $patch: 'delete' }],
      '$setElementOrder/containers': [{ name: 'a' }],
      nodeSelector: { gone: null },
      hostname: null,
    };
    expect(goRoundTrip(patch, { keepDirectives: true })).toEqual({
      containers: [{ name: 'a', image: null, resources: {}, $patch: 'delete' }],
      hostname: null,
      nodeSelector: { gone: null },
      '$setElementOrder/containers': [{ name: 'a' }],
    });
    expect(goRoundTrip(patch)).toEqual({
      containers: [{ name: 'a', resources: {} }],
      nodeSelector: { gone: '' },
    });
  });

  it('emits fields in Go struct order', () => {
    expect(
      Object.keys(
        goRoundTrip({ hostname: 'h', containers: [], volumes: [{ name: 'v', emptyDir: {} }] }) as object,
      ),
    ).toEqual(['volumes', 'containers', 'hostname']);
  });

  it('makes the merge give upstream’s result: a patch cannot set a non-pointer bool to false', () => {
    const original = goRoundTrip({ hostNetwork: true, containers: [{ name: 'a', image: 'x' }] });
    const patch = goRoundTrip(
      { hostNetwork: false, containers: [{ name: 'a', image: '' }] },
      { keepDirectives: true },
    );
    expect(merged(original, patch)).toEqual({
      containers: [{ name: 'a', image: 'x', resources: {} }],
      hostNetwork: true,
    });
  });
});

// ---------------------------------------------------------------------------------------------------------
// Properties.

const keyName = fc.constantFrom('a', 'b', 'c', 'd', 'e');
const scalar = fc.oneof(fc.string({ maxLength: 4 }), fc.integer({ min: 0, max: 9 }), fc.boolean());
const envList = fc.uniqueArray(fc.record({ name: keyName, value: fc.string({ maxLength: 3 }) }), {
  selector: (e) => e.name,
  maxLength: 4,
});
const container = fc.record(
  {
    name: keyName,
    image: fc.string({ maxLength: 5 }),
    command: fc.array(fc.string({ maxLength: 3 }), { maxLength: 3 }),
    env: envList,
    securityContext: fc.record(
      { runAsUser: fc.integer({ min: 0, max: 5 }), privileged: fc.boolean() },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: ['name'] },
);
const podSpec = fc.record(
  {
    containers: fc.uniqueArray(container, { selector: (c) => c.name, maxLength: 4 }),
    initContainers: fc.uniqueArray(container, { selector: (c) => c.name, maxLength: 3 }),
    nodeSelector: fc.dictionary(keyName, fc.string({ maxLength: 3 }), { maxKeys: 3 }),
    hostname: fc.string({ maxLength: 4 }),
    terminationGracePeriodSeconds: fc.integer({ min: 0, max: 100 }),
    tolerations: fc.array(fc.record({ key: keyName, value: scalar }), { maxLength: 2 }),
  },
  { requiredKeys: [] },
);

describe('properties', () => {
  it('an empty patch is the identity', () => {
    fc.assert(
      fc.property(podSpec, (spec) => {
        expect(merged(spec, {})).toEqual(spec);
      }),
    );
  });

  it('merge-only patches are idempotent', () => {
    fc.assert(
      fc.property(podSpec, podSpec, (spec, patch) => {
        const once = merged(spec, patch);
        expect(merged(once, patch)).toEqual(once);
      }),
    );
  });

  it('$patch: replace yields the patch without its directives', () => {
    fc.assert(
      fc.property(podSpec, podSpec, (spec, patch) => {
        expect(merged(spec, { ...patch, $patch: 'replace' })).toEqual(patch);
      }),
    );
  });

  it('a list element $patch: replace yields exactly the patch elements', () => {
    fc.assert(
      fc.property(podSpec, podSpec, (spec, patch) => {
        const containers = patch.containers ?? [];
        const out = merged(spec, { containers: [...containers, { $patch: 'replace' }] }) as {
          containers?: unknown;
        };
        expect(out.containers).toEqual(containers);
      }),
    );
  });

  it('$setElementOrder yields the requested order', () => {
    const permutation = fc.shuffledSubarray(['a', 'b', 'c', 'd', 'e'], { minLength: 5 });
    fc.assert(
      fc.property(podSpec, podSpec, permutation, (spec, patch, ranking) => {
        const present = new Set<string>(
          [...(spec.containers ?? []), ...(patch.containers ?? [])].map((c) => c.name),
        );
        if (present.size === 0) return; // Go refuses to order two empty lists
        const order = ranking.filter((name) => present.has(name));
        // The directive must list the patch's own elements in the patch's order, so sort the patch by it.
        const rank = (name: string): number => order.indexOf(name);
        const patchContainers = [...(patch.containers ?? [])].sort((x, y) => rank(x.name) - rank(y.name));
        const out = merged(spec, {
          '$setElementOrder/containers': order.map((name) => ({ name })),
          containers: patchContainers,
        }) as { containers?: unknown };
        expect(names(out.containers)).toEqual(order);
      }),
    );
  });

  it('goRoundTrip is idempotent and never throws', () => {
    fc.assert(
      fc.property(fc.oneof(podSpec, fc.jsonValue({ maxDepth: 4 })), fc.boolean(), (doc, keepDirectives) => {
        const once = goRoundTrip(doc, { keepDirectives });
        expect(goRoundTrip(once, { keepDirectives })).toEqual(once);
      }),
    );
  });

  it('never throws on arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), fc.jsonValue({ maxDepth: 5 }), (a, b) => {
        const result = strategicMergePodSpec(a, b);
        expect(typeof result.ok).toBe('boolean');
      }),
    );
  });

  it('never throws on PodSpec-shaped documents with random directives', () => {
    const directive = fc.constantFrom('replace', 'delete', 'merge', 'bogus', null, 3);
    const noisy = fc.record(
      {
        containers: fc.array(
          fc.record({ name: fc.option(keyName), $patch: directive, env: envList }, { requiredKeys: [] }),
          { maxLength: 3 },
        ),
        '$setElementOrder/containers': fc.array(fc.record({ name: keyName }), { maxLength: 3 }),
        $retainKeys: fc.array(fc.constantFrom('containers', 'hostname'), { maxLength: 2 }),
        hostname: fc.option(scalar),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(podSpec, noisy, (spec, patch) => {
        const result = strategicMergePodSpec(spec, patch);
        expect(typeof result.ok).toBe('boolean');
      }),
    );
  });
});
