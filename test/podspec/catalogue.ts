/**
 * Inputs of the pod-builder catalogue: upstream's scheduler_test.go cases and the integration fixtures
 * (podspec.md §4.1, §5). The unit tests (src/podspec/build.test.ts, containers.test.ts, patch.test.ts) assert
 * on what most of these render to; the cluster tier (test/cluster/dry-run.test.ts, smp.test.ts) sends every
 * Job they assemble, and every patch, to a real API server.
 */
import type { Config } from '../../src/config/schema.js';
import {
  renderJob,
  type BuildkiteJob,
  type BuildResult,
  type PodTemplateLookup,
} from '../../src/podspec/build.js';
import { assemble, jobWith, zeroConfig } from './support.js';

export interface CatalogueCase {
  readonly job: BuildkiteJob;
  readonly config: Config;
  readonly podTemplate?: PodTemplateLookup;
}

const podSpecOneContainer = { containers: [{ image: 'alpine:latest', command: ['hello world a=b=c'] }] };

const checkoutParams = {
  gitCredentialsSecret: { secretName: 'bluh' },
  envFrom: [{ secretRef: { name: 'some-secret-env' } }],
  extraVolumeMounts: [{ name: 'extra-volume-something' }],
};

export const CATALOGUE = {
  // scheduler_test.go
  TestJobPluginConversion: {
    job: jobWith({
      plugin: {
        podSpec: {
          containers: [
            {
              image: 'alpine:latest',
              command: ['hello world a=b=c'],
              envFrom: [{ configMapRef: { name: 'some-configmap' } }],
            },
          ],
        },
        gitEnvFrom: [{ secretRef: { name: 'git-secret' } }],
      },
      otherPlugins: [{ 'github.com/buildkite-plugins/some-other-buildkite-plugin': { foo: 'bar' } }],
      agentQueryRules: ['queue=kubernetes'],
    }),
    config: zeroConfig({ 'agent-token-secret': 'token-secret' }),
  },
  TestTagEnv: {
    job: jobWith({ plugin: { podSpec: podSpecOneContainer }, agentQueryRules: ['queue=kubernetes'] }),
    config: zeroConfig({ 'agent-token-secret': 'token-secret' }),
  },
  TestJobWithNoKubernetesPlugin: {
    job: jobWith({ command: 'echo hello world' }),
    config: zeroConfig(),
  },
  TestBuild: {
    job: jobWith({
      command: 'echo hello world',
      plugin: { podSpecPatch: { containers: [{ name: 'container-0', image: 'alpine:latest' }] } },
      agentQueryRules: ['queue=kubernetes'],
    }),
    config: zeroConfig({
      id: 'controller-1',
      namespace: 'buildkite',
      'agent-token-secret': 'bkcq_1234567890',
      'pod-spec-patch': {
        containers: [{ name: 'checkout', envFrom: [{ secretRef: { name: 'git-ssh-key' } }] }],
      },
    }),
  },
  TestBuildStepKeyAnnotationCannotBeOverriddenByPlugin: {
    job: jobWith({
      plugin: { metadata: { annotations: { 'buildkite.com/step-key': 'forged-step' } } },
      env: { BUILDKITE_STEP_KEY: 'trusted-step' },
    }),
    config: zeroConfig(),
  },
  TestBuildWorkspaceMountSubPathExpr: {
    job: jobWith(),
    config: zeroConfig({ namespace: 'buildkite', 'workspace-mount-sub-path-expr': '$(POD_NAME)' }),
  },
  TestBuildWorkspaceMountSubPathExprDefault: { job: jobWith(), config: zeroConfig() },
  TestBuildSkipCheckout: { job: jobWith({ plugin: { checkout: { skip: true } } }), config: zeroConfig() },
  TestBuildCheckoutEmptyConfigEnv: { job: jobWith({ plugin: { checkout: {} } }), config: zeroConfig() },
  TestBuildDefaultCheckoutParams: {
    job: jobWith(),
    config: zeroConfig({ namespace: 'buildkite', 'default-checkout-params': checkoutParams }),
  },
  TestBuildCheckoutParams: {
    job: jobWith({ plugin: { checkout: checkoutParams } }),
    config: zeroConfig({ namespace: 'buildkite' }),
  },
  TestFailureJobs: { job: jobWith({ plugin: 'some-invalid-json' }), config: zeroConfig() },
  TestProhibitKubernetesPlugin: {
    job: jobWith({ plugin: { metadata: { Annotations: null, Labels: null } } }),
    config: zeroConfig({ 'prohibit-kubernetes-plugin': true }),
  },
  TestCustomImageSyntax_pluginTakesTopPriority: {
    job: jobWith({
      plugin: { podSpecPatch: { containers: [{ name: 'container-0', image: 'x-image:plugin' }] } },
      env: { BUILDKITE_IMAGE: 'x-image:job' },
    }),
    config: zeroConfig(),
  },
  TestCustomImageSyntax_jobLevelImagePriority: {
    job: jobWith({ env: { BUILDKITE_IMAGE: 'x-image:job' } }),
    config: zeroConfig({
      'pod-spec-patch': { containers: [{ name: 'container-0', image: 'alpine:controller' }] },
    }),
  },
  TestBuildSafeToEvictDefault: { job: jobWith(), config: zeroConfig() },
  TestBuildSafeToEvictDefaultMetadataOverride: {
    job: jobWith(),
    config: zeroConfig({
      'default-metadata': { annotations: { 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'true' } },
    }),
  },
  TestBuildSafeToEvictPluginMetadataOverride: {
    job: jobWith({
      plugin: { metadata: { annotations: { 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'true' } } },
    }),
    config: zeroConfig(),
  },
  TestBuildPodTemplateAnnotation: {
    job: jobWith({ plugin: { podTemplate: 'my-pod-template' } }),
    config: zeroConfig(),
    podTemplate: { ok: true, spec: { containers: [] } },
  },
  TestBuildNoPodTemplateAnnotationWhenAbsent: { job: jobWith(), config: zeroConfig() },

  // Integration fixtures (internal/integration/fixtures/*.yaml)
  'invalid.yaml': {
    job: jobWith({
      id: 'u1',
      plugin: {
        podSpec: {
          containers: [
            {
              name: 'invalid',
              image: 'alpine:3',
              volumeMounts: [{ name: 'this-doesnt-exist', mountPath: '/x' }],
            },
          ],
        },
      },
    }),
    config: zeroConfig({ 'job-prefix': 'buildkite-' }),
  },
  'interposer-buildkite.yaml': {
    job: jobWith({
      plugin: {
        podSpec: {
          containers: [
            { image: 'bash:5', command: ['set -euo pipefail', 'echo Hello World!', 'echo Goodbye World!'] },
          ],
        },
      },
    }),
    config: zeroConfig(),
  },
  'chown.yaml': {
    job: jobWith({
      plugin: {
        commandParams: { interposer: 'vector' },
        podSpec: {
          securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1001 },
          containers: [
            { image: 'alpine:latest', command: ['pwd'] },
            { image: 'alpine:latest', command: ['ls', '-halt'] },
            { image: 'alpine:latest', command: ['sh', '-c', "echo 'some contents' > some-file"] },
          ],
        },
      },
    }),
    config: zeroConfig(),
  },
  'container-start-timeout.yaml': {
    job: jobWith({
      plugin: {
        podSpecPatch: {
          containers: [{ name: 'agent', env: [{ name: 'BUILDKITE_CONTAINER_COUNT', value: '999' }] }],
        },
      },
    }),
    config: zeroConfig(),
  },
  'never-pull.yaml': {
    job: jobWith({
      plugin: {
        podSpec: { containers: [{ image: 'buildkite/agent-extreme:never', imagePullPolicy: 'Never' }] },
      },
    }),
    config: zeroConfig(),
  },
  'skip-checkout.yaml': {
    job: jobWith({ command: 'echo hello-skip-checkout', plugin: { checkout: { skip: true }, podSpec: {} } }),
    config: zeroConfig(),
  },
  'podspecpatch-agent.yaml': {
    job: jobWith({ plugin: { podSpecPatch: { containers: [{ name: 'agent', command: ['echo'] }] } } }),
    config: zeroConfig(),
  },
  'podspecpatch-command-step.yaml': {
    job: jobWith({
      plugin: {
        podSpec: { containers: [{ name: 'mountains', image: 'alpine:3', command: ['echo $MOUNTAIN'] }] },
        podSpecPatch: { containers: [{ name: 'mountains', command: ['echo "i love quito"'] }] },
      },
    }),
    config: zeroConfig(),
  },
  'mountain.yaml without containers (TestPodSpecPatchWithoutContainers)': {
    job: jobWith(),
    config: zeroConfig({
      'pod-spec-patch': { hostAliases: [{ ip: '127.0.0.1', hostnames: ['agent.buildkite.localhost'] }] },
    }),
  },

  'helloworld.yaml': {
    job: jobWith({
      plugin: {
        podSpec: {
          containers: [
            { image: 'alpine:latest', command: ['cat README.md'] },
            { image: 'buildkite/agent:latest', command: ['buildkite-agent artifact upload "README.md"'] },
          ],
        },
        metadata: { annotations: { 'some-annotation': 'cool' }, labels: { 'some-label': 'wow' } },
      },
    }),
    config: zeroConfig(),
  },
  'podtemplate.yaml': {
    job: jobWith({
      command: 'echo "${TEST_POD_TEMPLATE} is a mountain"',
      plugin: { podTemplate: 'integration-tests-pod-template' },
    }),
    config: zeroConfig(),
    podTemplate: {
      ok: true,
      spec: {
        containers: [
          {
            name: 'templated',
            image: 'alpine:latest',
            env: [{ name: 'TEST_POD_TEMPLATE', value: 'kunanyi' }],
          },
        ],
      },
    },
  },
  'sidecars.yaml': {
    job: jobWith({
      command: 'curl localhost:80',
      env: { BUILDKITE_IMAGE: 'curlimages/curl:latest' },
      plugin: { sidecars: [{ image: 'nginx:latest' }] },
    }),
    config: zeroConfig(),
  },
  'extra-volume-mounts.yaml': {
    job: jobWith({
      plugin: {
        checkout: { gitMirrors: { path: '/tmp/buildkite-git-mirrors' } },
        podSpec: {
          volumes: [
            { name: 'one', hostPath: { path: '/tmp/one', type: 'DirectoryOrCreate' } },
            { name: 'two', hostPath: { path: '/tmp/two', type: 'DirectoryOrCreate' } },
          ],
          containers: [
            { image: 'alpine:latest', command: ['echo hi > /shared/file'] },
            { image: 'alpine:latest', command: ['cat /shared/file'] },
          ],
        },
        extraVolumeMounts: [
          { name: 'one', mountPath: '/shared' },
          { name: 'two', mountPath: '/shared' },
        ],
      },
    }),
    config: zeroConfig(),
  },
  'broken-init-container.yaml': {
    job: jobWith({
      plugin: {
        podSpec: {
          initContainers: [
            { name: 'broken', image: 'alpine:latest', command: ["well this isn't going to work"] },
          ],
          containers: [{ image: 'alpine:latest', command: ['echo unreachable'] }],
        },
      },
    }),
    config: zeroConfig(),
  },
  'create-container-config-error.yaml': {
    job: jobWith({
      plugin: {
        podSpec: {
          initContainers: [
            {
              name: 'needs-config',
              image: 'alpine:latest',
              env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'does-not-exist', key: 'x' } } }],
            },
          ],
          containers: [{ image: 'alpine:latest', command: ['true'] }],
        },
      },
    }),
    config: zeroConfig(),
  },
  'pod-pending-timeout.yaml': {
    job: jobWith({
      plugin: {
        podSpec: { nodeSelector: { 'no-such-label': 'anywhere' }, containers: [{ image: 'alpine:latest' }] },
      },
    }),
    config: zeroConfig(),
  },
  'hooks-and-plugins-volumes.yaml': {
    job: jobWith({ command: 'echo hooks' }),
    config: zeroConfig({
      'agent-config': {
        hooksVolume: {
          name: 'hooks',
          configMap: { name: 'integration-tests-fixture-hooks', defaultMode: 493 },
        },
        'plugins-path': '/my/special/plugins',
        pluginsVolume: { name: 'plugins', emptyDir: {} },
      },
    }),
  },

  // Patches in built Jobs beyond upstream's cases.
  'controller patch changing the checkout command': {
    job: jobWith(),
    config: zeroConfig({ 'pod-spec-patch': { containers: [{ name: 'checkout', args: ['x'] }] } }),
  },
  'patch adding an init container': {
    job: jobWith({ plugin: { podSpecPatch: { initContainers: [{ name: 'early', image: 'alpine:3' }] } } }),
    config: zeroConfig(),
  },
  'patch adding a checkout container with skip': {
    job: jobWith({
      plugin: {
        checkout: { skip: true },
        podSpecPatch: { containers: [{ name: 'checkout', image: 'alpine:3' }] },
      },
    }),
    config: zeroConfig(),
  },
  'patch deleting an init container': {
    job: jobWith({
      plugin: {
        podSpec: {
          initContainers: [{ name: 'slow', image: 'alpine:3' }],
          containers: [{ name: 'main', image: 'alpine:3' }],
        },
        podSpecPatch: { initContainers: [{ name: 'slow', $patch: 'delete' }] },
      },
    }),
    config: zeroConfig(),
  },
} satisfies Record<string, CatalogueCase>;

export type CatalogueName = keyof typeof CATALOGUE;

/** Renders a case the way the controller does, with the pre-flight checks. */
export function renderCase(name: CatalogueName): BuildResult {
  const c: CatalogueCase = CATALOGUE[name];
  return renderJob(c.job, c.config, c.podTemplate);
}

/** Assembles a case without the pre-flight checks, as upstream's `Build` does. */
export function assembleCase(name: CatalogueName): BuildResult {
  const c: CatalogueCase = CATALOGUE[name];
  return assemble(c.job, c.config, c.podTemplate);
}
