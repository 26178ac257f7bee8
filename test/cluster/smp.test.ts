/**
 * Strategic merge patch differential: src/podspec/smp.ts against kube-apiserver's own
 * `application/strategic-merge-patch+json` on a PodTemplate.
 *
 * For each (base, patch): create a PodTemplate with the base (for real: a PATCH needs an object), PATCH its
 * `template.spec` with `dryRun=All`, and merge the same patch with smp.ts onto the base *as the server
 * stored it*. Our result then goes through a `dryRun=All` create, so the server's decoding and defaulting
 * (quantities, imagePullPolicy, terminationMessagePath, ...) normalise both sides the same way, and the two
 * `template.spec`s must be equal. When the server rejects the patched object, it must reject ours with the
 * same field errors; when our merge fails, the server's must fail too.
 *
 * Merging onto the stored base (not the base we sent) keeps the comparison exact: the server merges onto
 * its defaulted copy, and a patch that deletes a defaulted field must meet that field on both sides.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/schema.js';
import { assembleJob, parseJob, renderJob } from '../../src/podspec/build.js';
import { goRoundTrip, strategicMergePodSpec } from '../../src/podspec/smp.js';
import { CATALOGUE, type CatalogueCase } from '../podspec/catalogue.js';
import { GOLDEN_CASES } from '../podspec/golden-cases.js';
import { SMP_CASES } from '../podspec/smp-cases.js';
import {
  createPodTemplate,
  fieldErrors,
  inBatches,
  openOracleApi,
  patchPodTemplateSpec,
  type OracleApi,
} from './oracle-api.js';

type JsonObject = Record<string, unknown>;

interface Pair {
  readonly name: string;
  readonly base: unknown;
  readonly patch: unknown;
}

/** Why a pair disagrees, or that the server refused the base (the pair then tests nothing). */
type Difference =
  | { readonly name: string; readonly problem: 'base rejected'; readonly errors: string[] }
  | { readonly name: string; readonly problem: string; readonly ours: unknown; readonly server: unknown };

let api: OracleApi;

beforeAll(async () => {
  api = await openOracleApi();
});

afterAll(async () => {
  await api.close();
});

/** One pair: whether the server accepted the patch, and how we differ from it, if we do. */
interface Comparison {
  readonly accepted: boolean;
  readonly difference?: Difference;
}

async function compare(pair: Pair): Promise<Comparison> {
  const { name, patch } = pair;
  const created = await createPodTemplate(api, pair.base, { dryRun: false });
  if (!created.ok) {
    return {
      accepted: false,
      difference: { name, problem: 'base rejected', errors: fieldErrors(created.error) },
    };
  }
  const stored = created.value.template.spec;
  const server = await patchPodTemplateSpec(api, created.value.metadata.name, patch);
  const accepted = server.ok;
  const differ = (problem: string, ours: unknown, theirs: unknown): Comparison => ({
    accepted,
    difference: { name, problem, ours, server: theirs },
  });
  const ours = strategicMergePodSpec(stored, patch);
  if (!ours.ok) {
    return server.ok ? differ('only our merge failed', ours.error, server.value.template.spec) : { accepted };
  }
  const normalised = await createPodTemplate(api, ours.value, { dryRun: true });
  if (server.ok && normalised.ok) {
    const [a, b] = [normalised.value.template.spec, server.value.template.spec];
    return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b))
      ? { accepted }
      : differ('different results', a, b);
  }
  if (!server.ok && !normalised.ok) {
    if (server.error.kind !== 'Invalid') {
      return differ('only the server merge failed', ours.value, server.error.message);
    }
    const [a, b] = [fieldErrors(normalised.error), fieldErrors(server.error)];
    // A merge that puts a value of the wrong type into a typed field: the server fails to decode its result
    // (422 on the `patch` field) where our create fails to decode ours (400). Same outcome, other wording.
    const undecodable =
      normalised.error.kind === 'BadRequest' && server.error.causes.every((c) => c.field === 'patch');
    return undecodable || a.join('\n') === b.join('\n') ? { accepted } : differ('different rejections', a, b);
  }
  return differ(
    server.ok
      ? 'the server accepted the patch, not our result'
      : 'the server rejected the patch, not our result',
    normalised.ok ? ours.value : fieldErrors(normalised.error),
    server.ok ? server.value.template.spec : fieldErrors(server.error),
  );
}

/** Object keys sorted (list order kept), so key order cannot make equal specs differ. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value === 'object' && value !== null) {
    const object = value as JsonObject;
    return Object.fromEntries(
      Object.keys(object)
        .sort()
        .map((k) => [k, sortKeys(object[k])]),
    );
  }
  return value;
}

/** The differences found, and how many patches the server accepted (the rest it rejected). */
async function differences(pairs: readonly Pair[]): Promise<{ found: Difference[]; accepted: number }> {
  const compared = await inBatches(pairs, 8, compare);
  return {
    found: compared.flatMap((c) => (c.difference === undefined ? [] : [c.difference])),
    accepted: compared.filter((c) => c.accepted).length,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Catalogue patches.

/**
 * The smp-cases originals are minimal (containers without images, sometimes no containers); give them what
 * a PodTemplate needs so the server takes them. Patches are sent unchanged.
 */
function asPodTemplateSpec(original: unknown): JsonObject {
  const spec = structuredClone((original ?? {}) as JsonObject);
  for (const field of ['containers', 'initContainers']) {
    const list = spec[field];
    if (!Array.isArray(list)) continue;
    for (const container of list as JsonObject[]) container.image ??= 'busybox:1.36';
  }
  // Mounts need their volumes.
  const volumes = (Array.isArray(spec.volumes) ? spec.volumes : []) as JsonObject[];
  for (const field of ['containers', 'initContainers']) {
    const list = spec[field];
    if (!Array.isArray(list)) continue;
    for (const container of list as JsonObject[]) {
      for (const mount of (container.volumeMounts ?? []) as JsonObject[]) {
        if (!volumes.some((v) => v.name === mount.name)) volumes.push({ name: mount.name, emptyDir: {} });
      }
    }
  }
  if (volumes.length > 0) spec.volumes = volumes;
  if (!Array.isArray(spec.containers) || spec.containers.length === 0) {
    spec.containers = [{ name: 'filler', image: 'busybox:1.36' }];
  }
  return spec;
}

/** A patch as the pod builder hands it to smp.ts: through upstream's Go struct, with a containers list. */
function builderPatch(patch: unknown): unknown {
  const object = patch as JsonObject;
  return goRoundTrip({ ...object, containers: object.containers ?? [] }, { keepDirectives: true });
}

/**
 * Each catalogue or golden Job with a patch: the pod spec the builder has before patching (the same inputs
 * without the patches), and each patch on its own.
 */
function jobPatchPairs(): Pair[] {
  const cases: [string, CatalogueCase][] = [
    ...Object.entries(CATALOGUE),
    ...GOLDEN_CASES.map(
      ({ name, job, config }) => [`golden ${name}`, { job, config }] as [string, CatalogueCase],
    ),
  ];
  return cases.flatMap(([name, c]) => {
    // A token Secret name the server takes: upstream's TestBuild uses a token as the name.
    const config = { ...c.config, 'agent-token-secret': 'buildkite-agent-token' } as Config;
    const parsed = parseJob(c.job, config);
    if (!parsed.ok) return [];
    const { plugin } = parsed.parsed;
    const patches = [
      ['controller', config['pod-spec-patch']],
      ['plugin', plugin?.podSpecPatch],
    ] as const;
    if (patches.every(([, patch]) => patch === undefined)) return [];
    const unpatched = assembleJob({
      parsed: {
        ...parsed.parsed,
        plugin: plugin === undefined ? undefined : { ...plugin, podSpecPatch: undefined },
      },
      config: { ...config, 'pod-spec-patch': undefined },
      ...(c.podTemplate === undefined ? {} : { podTemplate: c.podTemplate }),
    });
    if (!unpatched.ok) throw new Error(`${name}: ${unpatched.message}`);
    const base = unpatched.job.spec?.template.spec;
    return patches.flatMap(([which, patch]) =>
      patch === undefined ? [] : [{ name: `${name} (${which} patch)`, base, patch: builderPatch(patch) }],
    );
  });
}

describe('catalogue patches', () => {
  it('smp-cases: every patch merges as on the API server', async () => {
    const pairs = SMP_CASES.map(([name, original, patch]) => ({
      name,
      base: asPodTemplateSpec(original),
      patch,
    }));
    const { found, accepted } = await differences(pairs);
    expect(found).toEqual([]);
    expect(accepted).toBeGreaterThan(pairs.length / 2);
  });

  it('catalogue and golden Jobs: every podSpecPatch and pod-spec-patch merges as on the API server', async () => {
    const pairs = jobPatchPairs();
    expect(pairs.length).toBeGreaterThanOrEqual(12);
    const { found, accepted } = await differences(pairs);
    expect(found).toEqual([]);
    expect(accepted).toBe(pairs.length);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Generated patches.

const containerNames = ['a', 'b', 'c'] as const;
const image = fc.constantFrom('alpine:3', 'busybox:1.36');
const envVar = fc.record({ name: fc.constantFrom('A', 'B', 'C', 'D'), value: fc.constantFrom('1', '2', '') });
const env = fc.uniqueArray(envVar, { selector: (e) => e.name, maxLength: 3 });
const mounts = fc.uniqueArray(
  fc.record(
    {
      name: fc.constantFrom('v1', 'v2'),
      mountPath: fc.constantFrom('/m1', '/m2', '/m3'),
      readOnly: fc.boolean(),
    },
    { requiredKeys: ['name', 'mountPath'] },
  ),
  { selector: (m) => m.mountPath, maxLength: 2 },
);
const ports = fc.uniqueArray(
  fc.record(
    { containerPort: fc.constantFrom(80, 81, 82), protocol: fc.constantFrom('TCP', 'UDP') },
    { requiredKeys: ['containerPort'] },
  ),
  { selector: (p) => p.containerPort, maxLength: 2 },
);
const resources = fc.record(
  {
    limits: fc.record({ cpu: fc.constantFrom('1', '500m', '0.5') }, { requiredKeys: [] }),
    requests: fc.record({ memory: fc.constantFrom('64Mi', '1Gi') }, { requiredKeys: [] }),
  },
  { requiredKeys: [] },
);
const securityContext = fc.record(
  { runAsUser: fc.constantFrom(0, 1000), privileged: fc.boolean(), readOnlyRootFilesystem: fc.boolean() },
  { requiredKeys: [] },
);
const containerFields = {
  command: fc.array(fc.constantFrom('sh', '-c', 'true'), { maxLength: 2 }),
  env,
  volumeMounts: mounts,
  ports,
  resources,
  securityContext,
  imagePullPolicy: fc.constantFrom('Always', 'IfNotPresent'),
};
const baseContainer = (names: readonly string[]) =>
  fc.record(
    { name: fc.constantFrom(...names), image, ...containerFields },
    { requiredKeys: ['name', 'image'] },
  );
const toleration = fc.record({
  key: fc.constantFrom('k1', 'k2'),
  operator: fc.constant('Exists'),
  effect: fc.constantFrom('NoSchedule', 'NoExecute'),
});
const hostAlias = fc.record({
  ip: fc.constantFrom('10.0.0.1', '10.0.0.2'),
  hostnames: fc.array(fc.constantFrom('a.example', 'b.example'), { minLength: 1, maxLength: 2 }),
});
const podFields = {
  nodeSelector: fc.dictionary(fc.constantFrom('zone', 'disk'), fc.constantFrom('a', 'b'), { maxKeys: 2 }),
  tolerations: fc.array(toleration, { maxLength: 2 }),
  hostAliases: fc.uniqueArray(hostAlias, { selector: (h) => h.ip, maxLength: 2 }),
  imagePullSecrets: fc.uniqueArray(fc.record({ name: fc.constantFrom('s1', 's2') }), {
    selector: (s) => s.name,
    maxLength: 2,
  }),
  terminationGracePeriodSeconds: fc.constantFrom(0, 30, 60),
  hostname: fc.constantFrom('h1', 'h2'),
  securityContext: fc.record(
    { runAsUser: fc.constantFrom(1000, 2000), fsGroup: fc.constant(3000) },
    { requiredKeys: [] },
  ),
};
const baseSpec = fc.record(
  {
    containers: fc.uniqueArray(baseContainer(containerNames), {
      selector: (c) => c.name,
      minLength: 1,
      maxLength: 3,
    }),
    initContainers: fc.uniqueArray(baseContainer(['i1', 'i2']), { selector: (c) => c.name, maxLength: 2 }),
    volumes: fc.constant([
      { name: 'v1', emptyDir: {} },
      { name: 'v2', configMap: { name: 'cfg' } },
    ]),
    ...podFields,
  },
  { requiredKeys: ['containers', 'volumes'] },
);

/** A patch element for a container: a merge (image optional), or a `$patch: delete`. */
const patchContainer = (names: readonly string[]) =>
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record(
        { name: fc.constantFrom(...names), image, ...containerFields },
        { requiredKeys: ['name'] },
      ),
    },
    { weight: 1, arbitrary: fc.record({ name: fc.constantFrom(...names), $patch: fc.constant('delete') }) },
  );

/** Directives and nulls the server honours: replace lists and maps, delete keys, swap a volume source. */
const patchSpec = fc
  .record(
    {
      containers: fc.uniqueArray(patchContainer([...containerNames, 'd']), {
        selector: (c) => c.name,
        maxLength: 3,
      }),
      initContainers: fc.uniqueArray(patchContainer(['i1', 'i3']), { selector: (c) => c.name, maxLength: 2 }),
      ...podFields,
      volumes: fc.constantFrom(
        [{ name: 'v2', secret: { secretName: 'sec' }, $retainKeys: ['name', 'secret'] }],
        [{ name: 'v3', emptyDir: {} }],
        [{ name: 'v1', emptyDir: { medium: 'Memory' } }],
      ),
    },
    { requiredKeys: [] },
  )
  .chain((patch) =>
    fc
      .record(
        {
          replaceContainers: fc.boolean(),
          nullHostname: fc.boolean(),
          nullNodeSelectorKey: fc.boolean(),
          replaceSecurityContext: fc.boolean(),
          order: fc.shuffledSubarray(['a', 'b', 'c', 'd'], { minLength: 4 }),
          setOrder: fc.boolean(),
        },
        { requiredKeys: [] },
      )
      .map((twist) => {
        const out: JsonObject = { ...patch };
        const containers = [...(patch.containers ?? [])] as JsonObject[];
        if (twist.setOrder === true && containers.length > 0 && twist.order !== undefined) {
          // The directive lists every element the result should order; patch elements in the same order.
          const order = twist.order;
          const rank = (c: JsonObject): number => order.indexOf(String(c.name));
          containers.sort((x, y) => rank(x) - rank(y));
          out['$setElementOrder/containers'] = order.map((name) => ({ name }));
        }
        if (twist.replaceContainers === true) containers.push({ $patch: 'replace' });
        if (containers.length > 0) out.containers = containers;
        if (twist.nullHostname === true) out.hostname = null;
        if (twist.nullNodeSelectorKey === true)
          out.nodeSelector = { ...(patch.nodeSelector ?? {}), zone: null };
        if (twist.replaceSecurityContext === true)
          out.securityContext = { $patch: 'replace', runAsNonRoot: true };
        return out;
      }),
  );

/** Patches of the kind users write against a built Job: the stack's containers, by name. */
const jobPatch = fc.record(
  {
    containers: fc.uniqueArray(
      fc.record(
        {
          name: fc.constantFrom('container-0', 'agent', 'checkout', 'extra'),
          image,
          env: fc.uniqueArray(
            fc.record({
              name: fc.constantFrom('BUILDKITE_COMMAND', 'BUILDKITE_CONTAINER_COUNT', 'MINE'),
              value: fc.constantFrom('1', 'echo hi'),
            }),
            { selector: (e) => e.name, maxLength: 2 },
          ),
          volumeMounts: fc.uniqueArray(
            fc.record({ name: fc.constant('workspace'), mountPath: fc.constantFrom('/workspace', '/extra') }),
            { selector: (m) => m.mountPath, maxLength: 2 },
          ),
          resources,
          securityContext,
        },
        { requiredKeys: ['name'] },
      ),
      { selector: (c) => c.name, maxLength: 3 },
    ),
    initContainers: fc.uniqueArray(
      fc.record(
        { name: fc.constantFrom('copy-agent', 'imagecheck-0', 'early'), image, resources },
        { requiredKeys: ['name', 'image'] },
      ),
      { selector: (c) => c.name, maxLength: 2 },
    ),
    ...podFields,
  },
  { requiredKeys: [] },
);

/** Generated (base, patch) pairs merge as on the API server; a failure names the seed to replay. */
async function expectSameAsServer(pairsOf: fc.Arbitrary<[unknown, unknown]>, numRuns: number) {
  const seed = Date.now();
  const samples = fc.sample(pairsOf, { numRuns, seed });
  const pairs = samples.map(([base, patch], i) => ({ name: `sample ${String(i)}`, base, patch }));
  const { found, accepted } = await differences(pairs);
  // The sample is mostly patches the server takes, so results (not just rejections) are compared.
  expect(accepted).toBeGreaterThan(pairs.length / 2);
  expect({ seed, differences: found.slice(0, 3), count: found.length }).toEqual({
    seed,
    differences: [],
    count: 0,
  });
}

describe('generated patches', () => {
  it('a few hundred generated PodSpec patches merge as on the API server', async () => {
    await expectSameAsServer(fc.tuple(baseSpec, patchSpec), 300);
  });

  it('generated patches onto the golden Jobs’ pod specs merge as on the API server', async () => {
    const bases = GOLDEN_CASES.map(({ name, job, config }) => {
      const result = renderJob(job, config);
      if (!result.ok) throw new Error(`golden ${name}: ${result.message}`);
      return result.job.spec?.template.spec;
    });
    await expectSameAsServer(fc.tuple(fc.constantFrom(...bases), jobPatch), 100);
  });
});
