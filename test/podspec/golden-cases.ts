/**
 * Inputs of the golden Jobs under test/golden/ (compared byte for byte by src/podspec/golden.test.ts; rewritten by
 * `npx tsx scripts/update-golden.ts` after a deliberate change).
 */
import type { Config } from '../../src/config/schema.js';
import type { BuildkiteJob } from '../../src/podspec/build.js';
import { defaultConfig, jobWith } from './support.js';

export interface GoldenCase {
  readonly name: string;
  readonly job: BuildkiteJob;
  readonly config: Config;
}

const UUID = '01234567-89ab-cdef-0123-456789abcdef';
const stepEnv = {
  BUILDKITE_BUILD_URL: 'https://buildkite.com/acme/app/builds/42',
  BUILDKITE_BRANCH: 'main',
  BUILDKITE_REPO: 'git@github.com:acme/app.git',
  BUILDKITE_PIPELINE_SLUG: 'app',
  BUILDKITE_STEP_KEY: 'test',
};

export const GOLDEN_CASES: readonly GoldenCase[] = [
  {
    name: 'default',
    job: jobWith({
      id: UUID,
      command: 'echo hello world',
      agentQueryRules: ['queue=kubernetes'],
      priority: 3,
      env: stepEnv,
    }),
    config: defaultConfig({ queue: 'kubernetes', image: 'ghcr.io/buildkite/agent:3.136.2' }),
  },
  {
    name: 'podspec-sidecars-checkout',
    job: jobWith({
      id: UUID,
      command: 'make test',
      agentQueryRules: ['queue=kubernetes', 'os=linux'],
      env: stepEnv,
      plugin: {
        podSpec: {
          securityContext: { runAsUser: 1000, runAsGroup: 1001, runAsNonRoot: true },
          volumes: [{ name: 'cache', emptyDir: {} }],
          containers: [
            {
              name: 'tests',
              image: 'golang:1.23.5',
              command: ['go test ./...'],
              args: ['-run', 'Test It'],
              env: [{ name: 'CGO_ENABLED', value: '0' }],
              volumeMounts: [{ name: 'cache', mountPath: '/root/.cache' }],
            },
            { image: 'golang:1.23.5', command: ['go vet ./...'] },
          ],
        },
        sidecars: [{ image: 'postgres:16', env: [{ name: 'POSTGRES_PASSWORD', value: 'x' }] }],
        gitEnvFrom: [{ secretRef: { name: 'git-ssh' } }],
        extraVolumeMounts: [{ name: 'cache', mountPath: '/cache' }],
        checkout: {
          cloneFlags: '--depth=1',
          fetchFlags: '-v --prune',
          submoduleCloneConfig: ['url.https://github.com/.insteadOf=git@github.com:'],
          gitMirrors: {
            volume: { name: 'git-mirrors', persistentVolumeClaim: { claimName: 'mirrors' } },
            lockTimeout: 300,
          },
          gitCredentialsSecret: { secretName: 'git-creds' },
        },
        commandParams: { interposer: 'vector' },
        metadata: { labels: { team: 'platform' }, annotations: { 'example.com/owner': 'ci' } },
        jobActiveDeadlineSeconds: 3600,
      },
    }),
    config: defaultConfig({ queue: 'kubernetes', id: 'ci', image: 'ghcr.io/buildkite/agent:3.136.2' }),
  },
  {
    name: 'agent-config-hooks-signing',
    job: jobWith({ id: UUID, command: 'echo signed', agentQueryRules: ['queue=kubernetes'], env: stepEnv }),
    config: defaultConfig({
      queue: 'kubernetes',
      image: 'ghcr.io/buildkite/agent:3.136.2',
      'agent-config': {
        endpoint: 'https://agent.buildkite.com/v3',
        experiment: ['polyglot-hooks'],
        'container-start-timeout': '90s',
        hooksVolume: { name: 'hooks', configMap: { name: 'agent-hooks', defaultMode: 493 } },
        'additional-hooks': [
          { path: '/buildkite/more-hooks', volume: { name: 'more-hooks', configMap: { name: 'more' } } },
        ],
        pluginsVolume: { name: 'plugins', emptyDir: {} },
        'plugins-path': '/buildkite/plugins',
        signingJWKSVolume: { name: 'signing-jwks', secret: { secretName: 'signing' } },
        'signing-jwks-key-id': 'my-key',
        verificationJWKSVolume: { name: 'verification-jwks', secret: { secretName: 'verification' } },
        'verification-jwks-file': 'public.jwks',
      },
      'additional-redacted-vars': ['ELEVEN_HERBS_AND_SPICES'],
    }),
  },
  {
    name: 'resource-class',
    job: jobWith({
      id: UUID,
      command: 'make build',
      agentQueryRules: ['queue=kubernetes', 'resource_class=large'],
      env: { ...stepEnv, BUILDKITE_IMAGE: 'node:22-alpine' },
    }),
    config: defaultConfig({
      queue: 'kubernetes',
      image: 'ghcr.io/buildkite/agent:3.136.2',
      'resource-classes': {
        small: { resource: { requests: { cpu: '250m', memory: '256Mi' } } },
        large: {
          resource: { requests: { cpu: '2', memory: '4Gi' }, limits: { memory: '8Gi' } },
          podResource: { limits: { cpu: '4' } },
          nodeSelector: { 'node.kubernetes.io/instance-type': 'm7i.2xlarge' },
        },
      },
      'default-resource-class-name': 'small',
    }),
  },
  {
    name: 'podspecpatch',
    job: jobWith({
      id: UUID,
      command: 'echo $MOUNTAIN',
      agentQueryRules: ['queue=kubernetes'],
      env: stepEnv,
      plugin: {
        podSpec: {
          containers: [
            { name: 'mountains', image: 'alpine:3.20', env: [{ name: 'MOUNTAIN', value: 'antisana' }] },
          ],
        },
        podSpecPatch: {
          containers: [
            {
              name: 'mountains',
              command: ['echo "i love quito"'],
              env: [{ name: 'MOUNTAIN', value: 'cotopaxi' }],
            },
            { name: 'agent', resources: { requests: { cpu: '100m' } } },
          ],
          initContainers: [{ name: 'warmup', image: 'busybox:1.36', command: ['true'] }],
          tolerations: [{ key: 'ci', operator: 'Exists', effect: 'NoSchedule' }],
        },
      },
    }),
    config: defaultConfig({
      queue: 'kubernetes',
      image: 'ghcr.io/buildkite/agent:3.136.2',
      'pod-spec-patch': {
        containers: [{ name: 'checkout', envFrom: [{ secretRef: { name: 'git-ssh-key' } }] }],
        hostAliases: [{ ip: '127.0.0.1', hostnames: ['agent.buildkite.localhost'] }],
      },
    }),
  },
];
