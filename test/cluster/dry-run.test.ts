/**
 * Every Job the pod-builder catalogue and the goldens assemble, created with `dryRun=All` on a real API
 * server: accepted, or rejected for exactly the reasons our pre-flight validator (src/podspec/validate.ts)
 * gives. Then a differential over generated plugin configurations, mistakes included: the server rejects a
 * Job if and only if our validator does, with the same field errors.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../src/kube/types.js';
import { renderJob } from '../../src/podspec/build.js';
import { validateJob } from '../../src/podspec/validate.js';
import { assembleCase, CATALOGUE, type CatalogueCase, type CatalogueName } from '../podspec/catalogue.js';
import { GOLDEN_CASES } from '../podspec/golden-cases.js';
import { assemble, defaultConfig, jobWith } from '../podspec/support.js';
import {
  createPodTemplate,
  dryRunJob,
  fieldErrors,
  inBatches,
  openOracleApi,
  type OracleApi,
} from './oracle-api.js';

/** What the server says about a Job: `[]` when it accepts it, else its field errors. */
type Verdict = string[];

let api: OracleApi;

async function verdict(job: Job): Promise<Verdict> {
  const result = await dryRunJob(api, job);
  return result.ok ? [] : fieldErrors(result.error);
}

beforeAll(async () => {
  api = await openOracleApi();
});

afterAll(async () => {
  await api.close();
});

/** Catalogue cases that get as far as a Job (the others fail earlier, with a Buildkite message). */
const catalogueJobs: [string, Job][] = (Object.keys(CATALOGUE) as CatalogueName[]).flatMap((name) => {
  const result = assembleCase(name);
  return result.ok ? [[name, result.job] as [string, Job]] : [];
});

const goldenJobs: [string, Job][] = GOLDEN_CASES.map(({ name, job, config }) => {
  const result = renderJob(job, config);
  if (!result.ok) throw new Error(`golden ${name}: ${result.message}`);
  return [name, result.job];
});

describe('catalogue and golden Jobs, dryRun=All', () => {
  const verdicts = new Map<string, Verdict>();
  beforeAll(async () => {
    const all = [...catalogueJobs, ...goldenJobs.map(([name, job]) => [`golden ${name}`, job] as const)];
    const results = await inBatches(all, 8, ([, job]) => verdict(job));
    all.forEach(([name], i) => verdicts.set(name, results[i] ?? []));
  });

  it('assembles every catalogue case but those that fail before a Job exists', () => {
    const assembled = new Set(catalogueJobs.map(([name]) => name));
    expect(Object.keys(CATALOGUE).filter((name) => !assembled.has(name))).toEqual([
      'TestFailureJobs',
      'TestProhibitKubernetesPlugin',
      'podspecpatch-agent.yaml',
      'controller patch changing the checkout command',
    ]);
  });

  it.each(goldenJobs)('golden %s is accepted', (name) => {
    expect(verdicts.get(`golden ${name}`)).toEqual([]);
  });

  it.each(catalogueJobs)('%s: the server agrees with our pre-flight checks', (name, job) => {
    expect(verdicts.get(name)).toEqual([...validateJob(job)].sort());
  });

  it('rejects only the catalogue Jobs upstream expects rejected, or built from unit-test-only inputs', () => {
    const rejected = catalogueJobs.flatMap(([name]) => ((verdicts.get(name) ?? []).length > 0 ? [name] : []));
    expect(rejected.sort()).toEqual(
      [
        // TestInvalidPodSpec: upstream expects exactly this rejection (message checked below).
        'invalid.yaml',
        // Upstream's unit test uses a token as the token Secret's name: "bkcq_1234567890" is no Secret name.
        'TestBuild',
        // Upstream's unit tests mount `extra-volume-something` with no mountPath and no such volume.
        'TestBuildCheckoutParams',
        'TestBuildDefaultCheckoutParams',
      ].sort(),
    );
    expect(verdicts.get('invalid.yaml')).toEqual([
      'spec.template.spec.containers[0].volumeMounts[0].name: Not found: "this-doesnt-exist"',
    ]);
  });

  it('invalid.yaml: the server’s message is the one upstream’s TestInvalidPodSpec looks for', async () => {
    const job = catalogueJobs.find(([name]) => name === 'invalid.yaml')?.[1];
    if (job === undefined) throw new Error('invalid.yaml did not assemble');
    const result = await dryRunJob(api, job);
    expect(result.ok ? 'accepted' : result.error.message).toContain(
      'is invalid: spec.template.spec.containers[0].volumeMounts[0].name: Not found: "this-doesnt-exist"',
    );
  });
});

describe('a PodTemplate as the API server returns it', () => {
  it('podtemplate.yaml with the server-defaulted template spec builds a Job the server accepts', async () => {
    const c: CatalogueCase = CATALOGUE['podtemplate.yaml'];
    if (c.podTemplate?.ok !== true) throw new Error('podtemplate.yaml has no template');
    // Stored, the template carries the server's defaults (restartPolicy Always, terminationMessagePath, ...).
    const created = await createPodTemplate(api, c.podTemplate.spec, { dryRun: false });
    if (!created.ok) throw new Error(created.error.message);
    const stored = created.value.template.spec;
    expect(stored.restartPolicy).toBe('Always');
    const result = assemble(c.job, c.config, { ok: true, spec: stored });
    if (!result.ok) throw new Error(result.message);
    expect(validateJob(result.job)).toEqual([]);
    expect(await verdict(result.job)).toEqual([]);
  });
});

describe('differential: the server rejects a Job exactly when our validator does', () => {
  /** One of `good` most of the time, now and then one of `bad`: most Jobs valid, many with one mistake. */
  const mostly = <T>(good: readonly T[], bad: readonly T[]): fc.Arbitrary<T> =>
    fc.oneof(
      { weight: 20, arbitrary: fc.constantFrom(...good) },
      { weight: 1, arbitrary: fc.constantFrom(...bad) },
    );
  // Plugin configurations with the mistakes users make (bad names, missing images, mounts of undeclared
  // volumes, bad key selectors, labels), built with the shipped defaults.
  const containerName = mostly(['main', 'tests'], ['Bad_Name', 'a.b', 'agent']);
  const image = fc.constantFrom('alpine:3', 'busybox:1.36');
  const envVar = fc.oneof(
    fc.record({
      name: mostly(['A', 'B_2', 'with space'], ['', 'X=Y']),
      value: fc.constantFrom('v', ''),
    }),
    fc.record({
      name: fc.constant('S'),
      valueFrom: fc.record({
        secretKeyRef: fc.record({
          name: mostly(['token'], ['Bad_Secret', 'ends-']),
          key: mostly(['key'], ['', '..x', 'a b']),
        }),
      }),
    }),
    fc.record({
      name: fc.constant('C'),
      valueFrom: fc.record({
        configMapKeyRef: fc.record({
          name: mostly(['cfg'], ['Bad.Cfg']),
          key: mostly(['k'], ['.']),
        }),
      }),
    }),
  );
  const envFrom = fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({ secretRef: fc.record({ name: mostly(['git'], ['Bad_Git', 'prefix-', '']) }) }),
    },
    {
      weight: 6,
      arbitrary: fc.record({
        configMapRef: fc.record({ name: mostly(['cfg'], ['-cfg']) }),
        prefix: mostly(['P_'], ['a=b']),
      }),
    },
    { weight: 1, arbitrary: fc.record({ prefix: fc.constant('ONLY_') }) },
  );
  const mountTarget = {
    name: mostly(['data'], ['missing', 'Bad_Vol']),
    mountPath: mostly(['/data', '/cache'], ['']),
  };
  const mount = fc.oneof(
    { weight: 4, arbitrary: fc.record(mountTarget) },
    {
      weight: 1,
      arbitrary: fc.record({ ...mountTarget, subPath: mostly(['sub', 'a/b'], ['/abs', '../up', 'a/../b']) }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ ...mountTarget, subPathExpr: mostly(['$(POD_NAME)'], ['/$(POD_NAME)', '..']) }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        ...mountTarget,
        subPath: fc.constant('sub'),
        subPathExpr: fc.constant('$(POD_NAME)'),
      }),
    },
  );
  const port = fc.record(
    { containerPort: mostly([80, 8080], [0, 70000]), name: mostly(['http'], ['BAD', 'a--b', 'x']) },
    { requiredKeys: ['containerPort'] },
  );
  const containerFields = {
    image,
    command: fc.constant(['make']),
    env: fc.array(envVar, { maxLength: 2 }),
    envFrom: fc.array(envFrom, { maxLength: 2 }),
    volumeMounts: fc.array(mount, { maxLength: 2 }),
    ports: fc.array(port, { maxLength: 1 }),
  };
  // The podSpec's containers have images (else the build fails before any Job); a patch's may not.
  const container = fc.record(
    { name: containerName, ...containerFields },
    { requiredKeys: ['name', 'image'] },
  );
  const patchContainer = fc.oneof(
    { weight: 6, arbitrary: container },
    {
      weight: 1,
      arbitrary: fc.record({ name: containerName, ...containerFields }, { requiredKeys: ['name'] }),
    },
  );
  // Besides `data`, which is always there.
  const volume = fc.constantFrom(
    { name: 'Bad_Vol', emptyDir: {} },
    { name: 'nosource' },
    { name: 'extra', emptyDir: {} },
  );
  const labelKey = mostly(['ok', 'example.com/x'], ['has space', '-dash', 'a/b/c', '']);
  const labelValue = mostly(['ok', ''], ['has space', '-dash', 'a/b']);
  const plugin = fc.record(
    {
      podSpec: fc.record(
        {
          containers: fc.uniqueArray(container, { selector: (c) => c.name, maxLength: 2 }),
          volumes: fc
            .option(volume, { freq: 2 })
            .map((extra) => [{ name: 'data', emptyDir: {} }, ...(extra === null ? [] : [extra])]),
        },
        { requiredKeys: ['containers'] },
      ),
      sidecars: fc.array(
        fc.oneof(
          {
            weight: 6,
            arbitrary: fc.record({
              name: mostly(['side'], ['main']),
              image,
              volumeMounts: fc.array(mount, { maxLength: 1 }),
            }),
          },
          { weight: 1, arbitrary: fc.record({ volumeMounts: fc.array(mount, { maxLength: 1 }) }) },
        ),
        { maxLength: 1 },
      ),
      podSpecPatch: fc.record(
        {
          containers: fc.array(patchContainer, { maxLength: 2 }),
          initContainers: fc.array(
            fc.record(
              { name: mostly(['init'], ['main']), ...containerFields },
              { requiredKeys: ['name', 'image'] },
            ),
            { maxLength: 1 },
          ),
          restartPolicy: mostly(['Never'], ['Always', 'OnFailure', 'Sometimes']),
          terminationGracePeriodSeconds: mostly([0, 30], [-1]),
          ephemeralContainers: mostly([[]], [[{ name: 'debug', image: 'busybox:1.36' }]]),
        },
        { requiredKeys: [] },
      ),
      gitEnvFrom: fc.array(envFrom, { maxLength: 1 }),
      extraVolumeMounts: fc.array(mount, { maxLength: 1 }),
      metadata: fc.record(
        {
          labels: fc.dictionary(labelKey, labelValue, { maxKeys: 2 }),
          annotations: fc.dictionary(labelKey, fc.constant('x'), { maxKeys: 2 }),
        },
        { requiredKeys: [] },
      ),
    },
    { requiredKeys: ['podSpec'] },
  );

  it('agrees on a sample of generated Jobs', async () => {
    const config = defaultConfig({ queue: 'kubernetes', image: 'ghcr.io/buildkite/agent:3.136.2' });
    const seed = Date.now();
    const jobs = fc.sample(plugin, { numRuns: 200, seed }).flatMap((p, i) => {
      const id = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
      const result = assemble(
        jobWith({ id, plugin: p, command: 'echo hi', agentQueryRules: ['queue=kubernetes'] }),
        config,
      );
      return result.ok ? [result.job] : [];
    });
    const verdicts = await inBatches(jobs, 8, verdict);
    const disagreements = jobs.flatMap((job, i) => {
      const ours = [...validateJob(job)].sort();
      const server = verdicts[i] ?? [];
      const onlyServer = server.filter((p) => !ours.includes(p));
      const onlyOurs = ours.filter((p) => !server.includes(p));
      return onlyServer.length + onlyOurs.length === 0
        ? []
        : [{ job: job.metadata?.name, onlyServer, onlyOurs }];
    });
    expect({ seed, disagreements: disagreements.slice(0, 3) }).toEqual({ seed, disagreements: [] });
    // The sample is not trivially valid or trivially broken.
    const rejected = verdicts.filter((v) => v.length > 0).length;
    expect(rejected).toBeGreaterThan(jobs.length / 10);
    expect(rejected).toBeLessThan(jobs.length * 0.95);
  });
});
