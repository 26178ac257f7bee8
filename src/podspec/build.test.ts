/** Upstream's scheduler_test.go catalogue (podspec.md §4.1), against the whole builder. */
import { describe, expect, it } from 'vitest';
import { renderJob, type BuildResult } from './build.js';
import type { Container, Job, PodSpec } from './k8s.js';
import { assemble, jobWith, zeroConfig } from '../../test/podspec/support.js';
import { assembleCase, renderCase } from '../../test/podspec/catalogue.js';

function built(result: BuildResult): Job {
  if (!result.ok) throw new Error(`expected a Job, got failure: ${result.message}`);
  return result.job;
}

function podOf(job: Job): PodSpec {
  const spec = job.spec?.template.spec;
  if (spec === undefined) throw new Error('job has no pod spec');
  return spec;
}

function container(spec: PodSpec, name: string): Container {
  const found = [...spec.containers, ...(spec.initContainers ?? [])].find((c) => c.name === name);
  if (found === undefined) throw new Error(`no container ${name}`);
  return found;
}

function envValue(c: Container, name: string): string | undefined {
  return c.env?.find((e) => e.name === name)?.value;
}

describe('scheduler_test.go', () => {
  it('TestJobPluginConversion', () => {
    const result = built(renderCase('TestJobPluginConversion'));
    const pod = podOf(result);
    expect(pod.containers).toHaveLength(3);
    const agent = container(pod, 'agent');
    expect(agent.env?.find((e) => e.name === 'BUILDKITE_AGENT_TOKEN')?.valueFrom?.secretKeyRef?.name).toBe(
      'token-secret',
    );
    const c0 = container(pod, 'container-0');
    expect(c0.command).toEqual(['/workspace/tini-static']);
    expect(c0.args).toEqual(['--', '/workspace/buildkite-agent', 'kubernetes-bootstrap']);
    expect(envValue(c0, 'BUILDKITE_COMMAND')).toBe('hello world a=b=c');
    const names = (c0.envFrom ?? []).map((e) => e.configMapRef?.name ?? e.secretRef?.name).sort();
    expect(names).toEqual(['git-secret', 'some-configmap']);
    expect(result.metadata?.labels?.['tag.buildkite.com/queue']).toBe('kubernetes');
  });

  it('TestTagEnv', () => {
    const agent = container(podOf(built(renderCase('TestTagEnv'))), 'agent');
    const fieldPath = (name: string) =>
      agent.env?.find((e) => e.name === name)?.valueFrom?.fieldRef?.fieldPath;
    expect(fieldPath('BUILDKITE_K8S_NODE')).toBe('spec.nodeName');
    expect(fieldPath('BUILDKITE_K8S_NAMESPACE')).toBe('metadata.namespace');
    expect(fieldPath('BUILDKITE_K8S_SERVICE_ACCOUNT')).toBe('spec.serviceAccountName');
    expect(envValue(agent, 'BUILDKITE_K8S_NODE')).toBeUndefined();
  });

  it('TestJobWithNoKubernetesPlugin', () => {
    const pod = podOf(built(renderCase('TestJobWithNoKubernetesPlugin')));
    expect(pod.containers).toHaveLength(3);
    const c0 = container(pod, 'container-0');
    expect(envValue(c0, 'BUILDKITE_COMMAND')).toBe('echo hello world');
    expect(envValue(c0, 'BUILDKITE_PLUGINS')).toBeUndefined();
  });

  it('TestBuild', () => {
    // Upstream calls Build directly; its token Secret name is not one the API server accepts.
    const result = built(assembleCase('TestBuild'));
    const pod = podOf(result);
    expect(pod.containers).toHaveLength(3);
    expect(result.metadata?.labels?.['buildkite.com/controller-id']).toBe('controller-1');
    expect(container(pod, 'container-0').image).toBe('alpine:latest');
    expect(container(pod, 'checkout').envFrom).toEqual([{ secretRef: { name: 'git-ssh-key' } }]);
  });

  it('TestBuildStepKeyAnnotationCannotBeOverriddenByPlugin', () => {
    const result = built(renderCase('TestBuildStepKeyAnnotationCannotBeOverriddenByPlugin'));
    expect(result.metadata?.annotations?.['buildkite.com/step-key']).toBe('trusted-step');
    expect(result.spec?.template.metadata?.annotations?.['buildkite.com/step-key']).toBe('trusted-step');
  });

  const allWorkspaceMounts = (pod: PodSpec) =>
    [...pod.containers, ...(pod.initContainers ?? [])].map((c) => ({
      name: c.name,
      mount: c.volumeMounts?.find((m) => m.mountPath === '/workspace'),
    }));

  it('TestBuildWorkspaceMountSubPathExpr', () => {
    const mounts = allWorkspaceMounts(podOf(built(renderCase('TestBuildWorkspaceMountSubPathExpr'))));
    expect(mounts.map((m) => m.name).sort()).toEqual(['agent', 'checkout', 'container-0', 'copy-agent']);
    for (const { mount } of mounts) expect(mount?.subPathExpr).toBe('$(POD_NAME)');
  });

  it('TestBuildWorkspaceMountSubPathExprDefault', () => {
    for (const { mount } of allWorkspaceMounts(
      podOf(built(renderCase('TestBuildWorkspaceMountSubPathExprDefault'))),
    )) {
      expect(mount).toBeDefined();
      expect(mount?.subPathExpr).toBeUndefined();
    }
  });

  it('TestBuildSkipCheckout', () => {
    const pod = podOf(built(renderCase('TestBuildSkipCheckout')));
    expect(pod.containers).toHaveLength(2);
    expect(container(pod, 'container-0').image).toBe('buildkite/agent:latest');
    expect(pod.containers.some((c) => c.name === 'checkout')).toBe(false);
    // Without checkout the command container is container 0 and the agent waits for one container.
    expect(envValue(container(pod, 'container-0'), 'BUILDKITE_CONTAINER_ID')).toBe('0');
    expect(envValue(container(pod, 'agent'), 'BUILDKITE_CONTAINER_COUNT')).toBe('1');
  });

  it('TestBuildCheckoutEmptyConfigEnv', () => {
    const pod = podOf(built(renderCase('TestBuildCheckoutEmptyConfigEnv')));
    expect(envValue(container(pod, 'checkout'), 'BUILDKITE_GIT_SUBMODULE_CLONE_CONFIG')).toBeUndefined();
    expect(envValue(container(pod, 'agent'), 'BUILDKITE_GIT_SUBMODULE_CLONE_CONFIG')).toBeUndefined();
  });

  const expectCheckoutParamsApplied = (pod: PodSpec) => {
    const checkout = container(pod, 'checkout');
    expect(checkout.volumeMounts).toEqual(
      expect.arrayContaining([
        { name: 'git-credentials-ro', mountPath: '/buildkite/git-credentials-ro' },
        { name: 'git-credentials', mountPath: '/buildkite/git-credentials' },
        { name: 'extra-volume-something' },
      ]),
    );
    expect(checkout.envFrom).toEqual([{ secretRef: { name: 'some-secret-env' } }]);
    expect(pod.volumes).toEqual(
      expect.arrayContaining([
        { name: 'git-credentials-ro', secret: { secretName: 'bluh' } },
        { name: 'git-credentials', emptyDir: { medium: 'Memory' } },
      ]),
    );
    expect(checkout.args?.[0]).toBe(
      "set -exuf\ncp /buildkite/git-credentials-ro/.git-credentials /buildkite/git-credentials && git config --global credential.helper 'store --file /buildkite/git-credentials/.git-credentials'\nbuildkite-agent-entrypoint kubernetes-bootstrap",
    );
  };

  it('TestBuildDefaultCheckoutParams', () => {
    expectCheckoutParamsApplied(podOf(built(assembleCase('TestBuildDefaultCheckoutParams'))));
  });

  it('TestBuildCheckoutParams', () => {
    expectCheckoutParamsApplied(podOf(built(assembleCase('TestBuildCheckoutParams'))));
  });

  it('TestFailureJobs', () => {
    const result = renderCase('TestFailureJobs');
    expect(result).toEqual({
      ok: false,
      message:
        'agent-stack-k8s failed to parse the job: failed parsing Kubernetes plugin: json: cannot unmarshal string into Go value of type scheduler.KubernetesPlugin',
    });
  });

  it('TestProhibitKubernetesPlugin', () => {
    expect(renderCase('TestProhibitKubernetesPlugin')).toEqual({
      ok: false,
      message:
        'agent-stack-k8s failed to parse the job: the kubernetes plugin is prohibited by this controller, but was configured on this job',
    });
  });

  it('TestCustomImageSyntax_pluginTakesTopPriority', () => {
    const pod = podOf(built(renderCase('TestCustomImageSyntax_pluginTakesTopPriority')));
    expect(container(pod, 'container-0').image).toBe('x-image:plugin');
  });

  it('TestCustomImageSyntax_jobLevelImagePriority', () => {
    const pod = podOf(built(renderCase('TestCustomImageSyntax_jobLevelImagePriority')));
    expect(container(pod, 'container-0').image).toBe('x-image:job');
  });

  it('TestBuildSafeToEvictDefault', () => {
    const result = built(renderCase('TestBuildSafeToEvictDefault'));
    expect(result.metadata?.annotations?.['cluster-autoscaler.kubernetes.io/safe-to-evict']).toBe('false');
    expect(
      result.spec?.template.metadata?.annotations?.['cluster-autoscaler.kubernetes.io/safe-to-evict'],
    ).toBe('false');
  });

  it('TestBuildSafeToEvictDefaultMetadataOverride', () => {
    const result = built(renderCase('TestBuildSafeToEvictDefaultMetadataOverride'));
    expect(result.metadata?.annotations?.['cluster-autoscaler.kubernetes.io/safe-to-evict']).toBe('true');
    expect(
      result.spec?.template.metadata?.annotations?.['cluster-autoscaler.kubernetes.io/safe-to-evict'],
    ).toBe('true');
  });

  it('TestBuildSafeToEvictPluginMetadataOverride', () => {
    const result = built(renderCase('TestBuildSafeToEvictPluginMetadataOverride'));
    expect(result.metadata?.annotations?.['cluster-autoscaler.kubernetes.io/safe-to-evict']).toBe('true');
    expect(
      result.spec?.template.metadata?.annotations?.['cluster-autoscaler.kubernetes.io/safe-to-evict'],
    ).toBe('true');
  });

  it('TestBuildPodTemplateAnnotation', () => {
    const result = built(renderCase('TestBuildPodTemplateAnnotation'));
    expect(result.metadata?.annotations?.['buildkite.com/pod-template-name']).toBe('my-pod-template');
    expect(result.spec?.template.metadata?.annotations?.['buildkite.com/pod-template-name']).toBe(
      'my-pod-template',
    );
  });

  it('TestBuildNoPodTemplateAnnotationWhenAbsent', () => {
    const result = built(renderCase('TestBuildNoPodTemplateAnnotationWhenAbsent'));
    expect(result.metadata?.annotations?.['buildkite.com/pod-template-name']).toBeUndefined();
    expect(result.spec?.template.metadata?.annotations?.['buildkite.com/pod-template-name']).toBeUndefined();
  });
});

describe('pre-flight validation', () => {
  it('TestInvalidPodSpec: a mount of an undeclared volume fails before Kubernetes sees it', () => {
    const result = renderCase('invalid.yaml');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const [head = '', yaml = ''] = result.message.split('\n\n');
    expect(head).toBe(
      'agent-stack-k8s failed to build a podSpec for the job: Kubernetes would reject the Job: Job.batch "buildkite-u1" is invalid: spec.template.spec.containers[0].volumeMounts[0].name: Not found: "this-doesnt-exist"',
    );
    expect(yaml).toMatch(/^apiVersion: batch\/v1\nkind: Job\n/);
  });

  it('the Job YAML in the message spells out shared objects (no YAML aliases)', () => {
    const job = jobWith({
      plugin: { extraVolumeMounts: [{ name: 'missing', mountPath: '/x' }] },
    });
    const result = renderJob(job, zeroConfig());
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.message).toContain('volumeMounts[1].name: Not found: "missing"');
    expect(result.message).not.toMatch(/[&*]a\d/);
  });

  it('the same Job assembles without the checks (upstream Build)', () => {
    const job = jobWith({
      plugin: {
        podSpec: {
          containers: [{ name: 'c', image: 'alpine:3', volumeMounts: [{ name: 'nope', mountPath: '/x' }] }],
        },
      },
    });
    expect(assemble(job, zeroConfig()).ok).toBe(true);
  });
});
