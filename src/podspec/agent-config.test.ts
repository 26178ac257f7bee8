/** agent_config_test.go and the agent-config cases of scheduler_test.go (podspec.md §4.1, §4.4). */
import { describe, expect, it } from 'vitest';
import { applyToAgentStart, goPathClean, resolveAgentConfig } from './agent-config.js';
import type { AgentConfig, Container, PodSpec } from './k8s.js';
import { assemble, jobWith, zeroConfig } from '../../test/podspec/support.js';

function build(agentConfig: AgentConfig | undefined, rules = ['queue=kubernetes']): PodSpec {
  const config = zeroConfig({
    namespace: 'buildkite',
    'agent-token-secret': 'bkcq_1234567890',
    ...(agentConfig === undefined ? {} : { 'agent-config': agentConfig }),
  });
  const result = assemble(jobWith({ id: '1234', command: 'echo shell', agentQueryRules: rules }), config);
  if (!result.ok) throw new Error(result.message);
  const spec = result.job.spec?.template.spec;
  if (spec === undefined) throw new Error('no pod');
  return spec;
}

const byName = (pod: PodSpec, name: string): Container => {
  const c = pod.containers.find((x) => x.name === name);
  if (c === undefined) throw new Error(`no ${name}`);
  return c;
};
const env = (c: Container, name: string) => c.env?.find((e) => e.name === name)?.value;
const mountOf = (c: Container, volume: string) => c.volumeMounts?.find((m) => m.name === volume)?.mountPath;

describe('TestApplyToAgentStart', () => {
  it('TestApplyToAgentStart_Tracing', () => {
    const container: Container = { name: 'agent' };
    applyToAgentStart(
      resolveAgentConfig({
        'tracing-backend': 'opentelemetry',
        'tracing-service-name': 'my-service',
        'tracing-propagate-traceparent': true,
      }),
      container,
    );
    expect(env(container, 'BUILDKITE_TRACING_BACKEND')).toBe('opentelemetry');
    expect(env(container, 'BUILDKITE_TRACING_SERVICE_NAME')).toBe('my-service');
    expect(env(container, 'BUILDKITE_TRACING_PROPAGATE_TRACEPARENT')).toBe('true');
  });

  it('TestApplyToAgentStart_TracingUnset', () => {
    const container: Container = { name: 'agent' };
    applyToAgentStart(resolveAgentConfig({}), container);
    expect(container.env).toEqual([
      { name: 'BUILDKITE_AGENT_JOB_VERIFICATION_NO_SIGNATURE_BEHAVIOR', value: 'warn' },
    ]);
  });

  it('maps every setting to its env var, in upstream order, replacing the defaults in place', () => {
    const container: Container = {
      name: 'agent',
      env: [
        { name: 'BUILDKITE_HOOKS_PATH', value: '/workspace/hooks' },
        { name: 'BUILDKITE_SHELL', value: '/bin/sh -ec' },
      ],
    };
    applyToAgentStart(
      resolveAgentConfig({
        endpoint: 'http://127.0.0.1:1/v3',
        'no-http2': true,
        experiment: ['a', 'b'],
        shell: '/bin/bash -e',
        'no-color': false,
        'strict-single-hooks': true,
        'no-multipart-artifact-upload': true,
        'trace-context-encoding': 'json',
        'disable-warnings-for': ['x'],
        'debug-signing': true,
        'git-skip-fetch-existing-commits': true,
        'container-start-timeout': '60s',
        'hooks-path': '/h',
        'plugins-path': '/p',
        'no-pty': true,
        'no-command-eval': true,
        'no-local-hooks': true,
        'no-plugins': false,
        'plugin-validation': true,
        'signing-jwks-key-id': 'kid',
        'verification-failure-behavior': 'block',
      }),
      container,
    );
    expect(container.env?.map((e) => `${e.name}=${e.value ?? ''}`)).toEqual([
      'BUILDKITE_HOOKS_PATH=/h',
      'BUILDKITE_SHELL=/bin/bash -e',
      'BUILDKITE_AGENT_ENDPOINT=http://127.0.0.1:1/v3',
      'BUILDKITE_NO_HTTP2=true',
      'BUILDKITE_AGENT_EXPERIMENT=a,b',
      'BUILDKITE_AGENT_NO_COLOR=false',
      'BUILDKITE_STRICT_SINGLE_HOOKS=true',
      'BUILDKITE_NO_MULTIPART_ARTIFACT_UPLOAD=true',
      'BUILDKITE_TRACE_CONTEXT_ENCODING=json',
      'BUILDKITE_AGENT_DISABLE_WARNINGS_FOR=x',
      'BUILDKITE_AGENT_DEBUG_SIGNING=true',
      'BUILDKITE_GIT_SKIP_FETCH_EXISTING_COMMITS=true',
      'BUILDKITE_KUBERNETES_CONTAINER_START_TIMEOUT=1m0s',
      'BUILDKITE_PLUGINS_PATH=/p',
      'BUILDKITE_NO_PTY=true',
      'BUILDKITE_NO_COMMAND_EVAL=true',
      'BUILDKITE_NO_LOCAL_HOOKS=true',
      'BUILDKITE_NO_PLUGINS=false',
      'BUILDKITE_NO_PLUGIN_VALIDATION=false',
      'BUILDKITE_AGENT_SIGNING_JWKS_KEY_ID=kid',
      'BUILDKITE_AGENT_JOB_VERIFICATION_NO_SIGNATURE_BEHAVIOR=block',
    ]);
  });

  it('does nothing without agent-config (no verification default either)', () => {
    const agent = byName(build(undefined), 'agent');
    expect(env(agent, 'BUILDKITE_AGENT_JOB_VERIFICATION_NO_SIGNATURE_BEHAVIOR')).toBeUndefined();
  });

  it('hooks and plugins volumes mount on command, checkout and agent at the default paths', () => {
    const pod = build({
      hooksVolume: { name: 'hooks', configMap: { name: 'hooks', defaultMode: 0o755 } },
      pluginsVolume: { name: 'plugins', emptyDir: {} },
    });
    expect(pod.volumes?.map((v) => v.name)).toEqual(['workspace', 'hooks', 'plugins']);
    for (const name of ['container-0', 'checkout', 'agent']) {
      const c = byName(pod, name);
      expect(mountOf(c, 'hooks')).toBe('/workspace/hooks');
      expect(mountOf(c, 'plugins')).toBe('/workspace/plugins');
    }
    expect(env(byName(pod, 'agent'), 'BUILDKITE_HOOKS_PATH')).toBe('/workspace/hooks');
    expect(env(byName(pod, 'agent'), 'BUILDKITE_PLUGINS_PATH')).toBe('/workspace/plugins');
  });
});

describe('TestAdditionalHooksOptions', () => {
  const V = { name: 'additional-hooks', emptyDir: {} };
  const cases: [string, AgentConfig | undefined, string | undefined, boolean][] = [
    [
      'image paths only',
      { 'additional-hooks-paths': ['/image/hooks', '/image/more-hooks'] },
      '/image/hooks,/image/more-hooks',
      false,
    ],
    [
      'volume hook',
      { 'additional-hooks': [{ path: '/buildkite/additional-hooks', volume: V }] },
      '/buildkite/additional-hooks',
      true,
    ],
    [
      'both',
      {
        'additional-hooks-paths': ['/image/hooks'],
        'additional-hooks': [{ path: '/buildkite/additional-hooks', volume: V }],
      },
      '/image/hooks,/buildkite/additional-hooks',
      true,
    ],
    ['nil agent config', undefined, undefined, false],
    ['empty agent config', {}, undefined, false],
  ];
  it.each(cases)('%s', (_name, agentConfig, expectedEnv, withVolume) => {
    const pod = build(agentConfig);
    expect(env(byName(pod, 'agent'), 'BUILDKITE_ADDITIONAL_HOOKS_PATHS')).toBe(expectedEnv);
    expect(pod.volumes?.some((v) => v.name === 'additional-hooks')).toBe(withVolume);
    for (const name of ['agent', 'checkout', 'container-0']) {
      expect(mountOf(byName(pod, name), 'additional-hooks')).toBe(
        withVolume ? '/buildkite/additional-hooks' : undefined,
      );
    }
  });
});

describe('TestPipelineSigningOptions', () => {
  const verification = { name: 'verification-key-volume' };
  const signing = { name: 'signing-key-volume' };
  type Case = [string, AgentConfig | undefined, string | undefined, string | undefined];
  const cases: Case[] = [
    ['nil config', undefined, undefined, undefined],
    ['no keys', {}, undefined, undefined],
    [
      'verification key only',
      { 'verification-jwks-file': '/path/to/verification.jwks', verificationJWKSVolume: verification },
      undefined,
      '/path/to/verification.jwks',
    ],
    [
      'signing key only',
      { 'signing-jwks-file': '/path/to/signing.jwks', signingJWKSVolume: signing },
      '/path/to/signing.jwks',
      undefined,
    ],
    [
      'both keys',
      {
        'verification-jwks-file': '/verification/path/verification.jwks',
        verificationJWKSVolume: verification,
        'signing-jwks-file': '/signing/path/signing.jwks',
        signingJWKSVolume: signing,
      },
      '/signing/path/signing.jwks',
      '/verification/path/verification.jwks',
    ],
    [
      'both volumes only',
      { verificationJWKSVolume: verification, signingJWKSVolume: signing },
      '/buildkite/signing-jwks/key',
      '/buildkite/verification-jwks/key',
    ],
    [
      'relative paths',
      {
        'verification-jwks-file': 'my-awesome-key',
        verificationJWKSVolume: verification,
        'signing-jwks-file': 'my-special-key',
        signingJWKSVolume: signing,
      },
      '/buildkite/signing-jwks/my-special-key',
      '/buildkite/verification-jwks/my-awesome-key',
    ],
  ];
  it.each(cases)('%s', (_name, agentConfig, signingFile, verificationFile) => {
    const pod = build(agentConfig, ['queue=bernetes']);
    const agent = byName(pod, 'agent');
    const c0 = byName(pod, 'container-0');
    const checkout = byName(pod, 'checkout');
    expect(env(agent, 'BUILDKITE_AGENT_SIGNING_JWKS_FILE')).toBe(signingFile);
    expect(env(agent, 'BUILDKITE_AGENT_VERIFICATION_JWKS_FILE')).toBe(verificationFile);
    const volumes = pod.volumes?.map((v) => v.name) ?? [];
    expect(volumes.includes('signing-key-volume')).toBe(signingFile !== undefined);
    expect(volumes.includes('verification-key-volume')).toBe(verificationFile !== undefined);
    const dir = (file: string | undefined) =>
      file === undefined ? undefined : file.slice(0, file.lastIndexOf('/'));
    expect(mountOf(agent, 'signing-key-volume')).toBe(dir(signingFile));
    expect(mountOf(c0, 'signing-key-volume')).toBe(dir(signingFile));
    expect(mountOf(checkout, 'signing-key-volume')).toBeUndefined();
    expect(mountOf(agent, 'verification-key-volume')).toBe(dir(verificationFile));
    expect(mountOf(c0, 'verification-key-volume')).toBeUndefined();
    // A verification file (or volume) means no default behaviour is forced.
    const behaviour = env(agent, 'BUILDKITE_AGENT_JOB_VERIFICATION_NO_SIGNATURE_BEHAVIOR');
    expect(behaviour).toBe(agentConfig === undefined || verificationFile !== undefined ? undefined : 'warn');
  });
});

describe('goPathClean', () => {
  it.each([
    ['/a/b/../c', '/a/c'],
    ['/a//b/./', '/a/b'],
    ['', '.'],
    ['a/../..', '..'],
    ['/..', '/'],
  ])('%j -> %j', (input, expected) => {
    expect(goPathClean(input)).toBe(expected);
  });
});
