import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lintPipeline, type LintFinding } from './lint.js';
import { renderJob } from '../podspec/build.js';
import { defaultConfig, jobWith } from '../../test/podspec/support.js';

function findings(text: string): string[] {
  const result = lintPipeline(text, { file: 'pipeline.yml' });
  if (!result.ok) throw new Error(`not YAML: ${JSON.stringify(result.errors)}`);
  return result.findings.map(
    (f: LintFinding) => `${f.line}:${f.col}: ${f.severity === 'warning' ? 'warning: ' : ''}${f.message}`,
  );
}

describe('lintPipeline', () => {
  it('accepts valid plugin blocks in every form, including null config', () => {
    expect(
      findings(`steps:
  - command: make
    plugins:
      - kubernetes:
          podSpec:
            containers:
              - image: alpine
                resources: {limits: {cpu: 500m, memory: 1Gi}, requests: {cpu: 1}}
                ports: [{containerPort: 8080}]
          checkout: {skip: true}
          commandParams: {interposer: vector}
          metadata: {labels: {team: ci}}
          jobActiveDeadlineSeconds: 600
  - command: other
    plugins:
      kubernetes: ~
      docker#v5.0.0: {image: whatever, unknownToUs: true}
  - wait
`),
    ).toEqual([]);
  });

  it('points at the offending key with the full path, in nested groups too', () => {
    expect(
      findings(`env:
  A: b
steps:
  - group: Tests
    steps:
      - label: unit
        command: make test
        plugins:
          - kubernetes:
              podSpec:
                containers:
                  - image: alpine
                    imagePulPolicy: Always
                    env:
                      - name: N
                        value: 5
                    resources:
                      limits:
                        memory: lots
                    ports:
                      - containerPort: 99999999999
              checkout:
                skip: "yes"
              sidecar: []
`),
    ).toEqual([
      '13:21: steps[0].steps[0].plugins[0].kubernetes.podSpec.containers[0].imagePulPolicy: unknown field; did you mean "imagePullPolicy"?',
      '16:25: steps[0].steps[0].plugins[0].kubernetes.podSpec.containers[0].env[0].value: expected a string, got number',
      '19:25: steps[0].steps[0].plugins[0].kubernetes.podSpec.containers[0].resources.limits.memory: invalid quantity "lots" (expected e.g. "500m", "1", "128Mi")',
      '21:25: steps[0].steps[0].plugins[0].kubernetes.podSpec.containers[0].ports[0].containerPort: expected an integer, got number',
      '23:17: steps[0].steps[0].plugins[0].kubernetes.checkout.skip: expected a boolean, got string',
      '24:15: steps[0].steps[0].plugins[0].kubernetes.sidecar: unknown field; did you mean "sidecars"?',
    ]);
  });

  it('reports a plugin block that is not a mapping, and an invalid interposer', () => {
    expect(
      findings(`steps:
  - command: a
    plugins:
      kubernetes: [podSpec]
  - command: b
    plugins:
      - kubernetes:
          commandParams:
            interposer: bash
`),
    ).toEqual([
      "4:7: steps[0].plugins.kubernetes: the kubernetes plugin's config must be a mapping, got a list",
      '9:13: steps[1].plugins[0].kubernetes.commandParams.interposer: invalid interposer "bash", must be one of: [ buildkite vector legacy]',
    ]);
  });

  it('reports image references the controller or the kubelet would refuse', () => {
    expect(
      findings(`steps:
  - command: a
    plugins:
      - kubernetes:
          podSpec:
            containers:
              - image: Alpine:3
              - image: alpine:3.20
          sidecars:
            - image: "nginx:latest plus junk"
          podSpecPatch:
            containers:
              - name: container-0
                image: "busybox@sha256:abc"
`),
    ).toEqual([
      '7:17: steps[0].plugins[0].kubernetes.podSpec.containers[0].image: repository name must be lowercase "Alpine:3"',
      '10:15: steps[0].plugins[0].kubernetes.sidecars[0].image: invalid reference format "nginx:latest plus junk"',
      '14:17: steps[0].plugins[0].kubernetes.podSpecPatch.containers[0].image: invalid reference format "busybox@sha256:abc"',
    ]);
  });

  it('reports a bad step or pipeline image:, which the controller fails the job over', () => {
    expect(
      findings(`image: "Ubuntu:24.04"
steps:
  - command: a
    image: "nginx:latest plus junk"
  - group: g
    steps:
      - command: b
        image: alpine:3.20
      - command: c
        image: "busybox@sha256:abc"
        plugins:
          - kubernetes: {}
  - command: d
    image: ""
`),
    ).toEqual([
      '1:1: image: repository name must be lowercase "Ubuntu:24.04"',
      '4:5: steps[0].image: invalid reference format "nginx:latest plus junk"',
      '10:9: steps[1].steps[1].image: invalid reference format "busybox@sha256:abc"',
    ]);
    for (const image of ['Ubuntu:24.04', 'nginx:latest plus junk', 'busybox@sha256:abc']) {
      const rendered = renderJob(jobWith({ command: 'a', env: { BUILDKITE_IMAGE: image } }), defaultConfig());
      expect(rendered.ok).toBe(false);
    }
    expect(
      renderJob(jobWith({ command: 'a', env: { BUILDKITE_IMAGE: 'alpine:3.20' } }), defaultConfig()).ok,
    ).toBe(true);
  });

  it('rejects podSpecPatch command changes on the containers the controller guards', () => {
    expect(
      findings(`steps:
  - command: a
    plugins:
      - kubernetes:
          podSpecPatch:
            containers:
              - name: container-0
                command: [fine]
              - name: agent
                args: [--debug]
              - name: checkout
                command: [git]
            initContainers:
              - name: imagecheck-0
                command: [sleep]
              - name: my-init
                command: [fine]
`),
    ).toEqual([
      '10:17: steps[0].plugins[0].kubernetes.podSpecPatch.containers[1].args: for the agent container, modifying container commands or args via podSpecPatch is not supported (the job fails unless the controller sets allow-pod-spec-patch-unsafe-command-modification)',
      '12:17: steps[0].plugins[0].kubernetes.podSpecPatch.containers[2].command: for the checkout container, modifying container commands or args via podSpecPatch is not supported; instead consider configuring a checkout hook or skipping the checkout container entirely (the job fails unless the controller sets allow-pod-spec-patch-unsafe-command-modification)',
      '15:17: steps[0].plugins[0].kubernetes.podSpecPatch.initContainers[0].command: for the imagecheck-0 container, modifying container commands or args via podSpecPatch is not supported (the job fails unless the controller sets allow-pod-spec-patch-unsafe-command-modification)',
    ]);
  });

  it('accepts strategic-merge directives in podSpecPatch only, and checks them', () => {
    expect(
      findings(`steps:
  - plugins:
      - kubernetes:
          podSpecPatch:
            $retainKeys: [containers]
            containers:
              - name: sidecar-x
                $patch: delete
              - name: container-0
                $patch: remove
                $setElementOrder/env: [{name: A}]
                $deleteFromPrimitiveList/args: x
                $merge: true
          podSpec:
            containers:
              - image: a
                $patch: delete
`),
    ).toEqual([
      '10:17: steps[0].plugins[0].kubernetes.podSpecPatch.containers[1].$patch: must be one of merge, replace, delete',
      '12:17: steps[0].plugins[0].kubernetes.podSpecPatch.containers[1].$deleteFromPrimitiveList/args: must be a list',
      '13:17: steps[0].plugins[0].kubernetes.podSpecPatch.containers[1].$merge: unknown strategic-merge directive; use $patch, $retainKeys, $setElementOrder/<field> or $deleteFromPrimitiveList/<field>',
      '17:17: steps[0].plugins[0].kubernetes.podSpec.containers[0].$patch: unknown field',
    ]);
  });

  it('flags restartPolicy values the Job cannot have or the controller overrides', () => {
    expect(
      findings(`steps:
  - plugins:
      - kubernetes:
          podSpec:
            restartPolicy: OnFailure
          podSpecPatch:
            restartPolicy: Always
  - plugins:
      - kubernetes:
          podSpecPatch:
            restartPolicy: OnFailure
`),
    ).toEqual([
      '5:13: warning: steps[0].plugins[0].kubernetes.podSpec.restartPolicy: ignored: the controller always sets restartPolicy: Never (use podSpecPatch to choose OnFailure)',
      "7:13: steps[0].plugins[0].kubernetes.podSpecPatch.restartPolicy: a Job's pod must have restartPolicy OnFailure or Never",
    ]);
  });

  it('warns that a jobActiveDeadlineSeconds of 0 or less changes nothing', () => {
    expect(findings('steps:\n  - plugins:\n      - kubernetes: {jobActiveDeadlineSeconds: 0}\n')).toEqual([
      "3:22: warning: steps[0].plugins[0].kubernetes.jobActiveDeadlineSeconds: ignored: only a value above 0 overrides the controller's job-active-deadline-seconds",
    ]);
    expect(findings('steps:\n  - plugins:\n      - kubernetes: {jobActiveDeadlineSeconds: 60}\n')).toEqual(
      [],
    );
  });

  it('warns when podSpec and podTemplate are both set, and about plugins the controller will not see', () => {
    expect(
      findings(`steps:
  - command: a
    plugins:
      - kubernetes:
          podSpec: {containers: [{image: a}]}
          podTemplate: base
      - kubernetes#v1.2.0:
          podSpec: {}
      - kubernetes:
          checkout: {skip: true}
`),
    ).toEqual([
      '6:11: warning: steps[0].plugins[0].kubernetes.podTemplate: podSpec and podTemplate are both set; podSpec wins and podTemplate is ignored',
      '7:9: warning: steps[0].plugins[1].kubernetes#v1.2.0: the controller only recognises the plugin written exactly "kubernetes"; "kubernetes#v1.2.0" is an ordinary plugin to it and this config is not applied',
      '9:9: warning: steps[0].plugins[2].kubernetes: a second kubernetes plugin in this step; its fields overwrite the first',
    ]);
  });

  it('accepts field names in another letter case, as the controller does, with a warning', () => {
    expect(
      findings(
        'steps:\n  - plugins:\n      - kubernetes:\n          PodSpec: {containers: [{Image: a, imagePullPolicy: Never}]}\n',
      ),
    ).toEqual([
      '4:11: warning: steps[0].plugins[0].kubernetes.PodSpec: write "podSpec": the controller matches field names ignoring case, but the JSON schema and Kubernetes tools do not',
      '4:35: warning: steps[0].plugins[0].kubernetes.PodSpec.containers[0].Image: write "image": the controller matches field names ignoring case, but the JSON schema and Kubernetes tools do not',
    ]);
  });

  it('reports pipeline structure problems as errors and YAML syntax errors separately', () => {
    expect(findings('steps:\n  - command: a\n    plugins: docker\n    image: [x]\n')).toEqual([
      '3:5: steps[0].plugins: plugins must be a list of plugins (or a mapping of plugin name to config)',
      '4:5: steps[0].image: must be a string',
    ]);
    expect(lintPipeline('steps:\n  - command: a: b\n', { file: 'p.yml' })).toMatchObject({
      ok: false,
      errors: [{ line: 2, col: 14 }],
    });
  });

  it('never throws, whatever the plugin config, step or pipeline holds', () => {
    const placements = [
      (v: string) => v,
      (v: string) => `{"steps": [${v}]}`,
      (v: string) => `{"steps": [{"command": "x", "plugins": ${v}}]}`,
      (v: string) => `{"steps": [{"command": "x", "plugins": [{"kubernetes": ${v}}]}]}`,
      (v: string) => `{"steps": [{"plugins": {"kubernetes": {"podSpec": ${v}, "podSpecPatch": ${v}}}}]}`,
    ];
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), fc.nat(placements.length - 1), (value, at) => {
        const text = placements[at]?.(JSON.stringify(value)) ?? '';
        const result = lintPipeline(text, { file: 'p.yml' });
        const located = result.ok ? result.findings : result.errors;
        for (const finding of located) expect(finding.line).toBeGreaterThanOrEqual(1);
      }),
      { numRuns: 400 },
    );
  });
});
