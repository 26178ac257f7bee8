import { describe, expect, it } from 'vitest';
import { loadConfig, printableConfig, type ConfigInput, type LoadResult } from './load.js';
import type { Config } from './schema.js';

function load(file: string | undefined, rest: Omit<ConfigInput, 'readFile' | 'configPath'> = {}): LoadResult {
  return loadConfig({
    ...rest,
    ...(file === undefined ? {} : { configPath: 'config.yaml', readFile: () => file }),
  });
}

function ok(result: LoadResult): { config: Config; sources: Record<string, string> } {
  if (!result.ok) throw new Error(`expected a valid config, got:\n${result.errors.join('\n')}`);
  return result;
}

function errors(result: LoadResult): readonly string[] {
  if (result.ok) throw new Error('expected configuration errors');
  return result.errors;
}

describe('defaults', () => {
  it('match upstream', () => {
    const { config } = ok(load(undefined));
    expect(config).toMatchObject({
      'max-in-flight': 25,
      'job-ttl': 600_000,
      'poll-interval': 1000,
      'http-timeout': 60_000,
      'job-active-deadline-seconds': 21_600,
      'job-prefix': 'buildkite-',
      'default-termination-grace-period-seconds': 60,
      namespace: 'default',
      'agent-token-secret': 'buildkite-agent-token',
      image: 'ghcr.io/buildkite/agent:3.136.2',
      'pagination-page-size': 1000,
      'pagination-depth-limit': 2,
      'query-reset-interval': 10_000,
      'enable-completion-watcher': true,
      'work-queue-limit': 1_000_000,
      'reservation-expiry-seconds': 0,
      'k8s-client-rate-limiter-qps': 10,
      'k8s-client-rate-limiter-burst': 20,
      'image-pull-backoff-grace-period': 30_000,
      'job-cancel-checker-poll-interval': 5000,
      'empty-job-grace-period': 30_000,
      'pod-pending-timeout': 900_000,
      'image-check-container-cpu-limit': '200m',
      'image-check-container-memory-limit': '128Mi',
      'log-format': 'logfmt',
      'log-level': 'info',
      'job-source': 'stacks',
      tags: [],
    });
    expect(config['agent-config']).toBeUndefined();
  });

  it('are frozen', () => {
    const { config } = ok(load(undefined));
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.tags)).toBe(true);
  });
});

describe('layering: defaults < file < env < flags', () => {
  const file = [
    'max-in-flight: 5',
    'tags: [queue=file, os=linux]',
    'namespace: from-file',
    'default-metadata:',
    '  labels: {team: file}',
  ].join('\n');

  it('file overrides defaults for scalar, list and nested keys', () => {
    const { config, sources } = ok(load(file));
    expect(config['max-in-flight']).toBe(5);
    expect(config.tags).toEqual(['queue=file', 'os=linux']);
    expect(config['default-metadata']).toEqual({ labels: { team: 'file' } });
    expect(sources['max-in-flight']).toBe('file');
    expect(sources['job-prefix']).toBe('default');
  });

  it('env overrides the file', () => {
    const { config, sources } = ok(
      load(file, { env: { MAX_IN_FLIGHT: '7', TAGS: 'queue=env', NAMESPACE: 'env-ns' } }),
    );
    expect(config['max-in-flight']).toBe(7);
    expect(config.tags).toEqual(['queue=env']);
    expect(config.namespace).toBe('env-ns');
    expect(sources.tags).toBe('env');
  });

  it('flags override env and file', () => {
    const { config, sources } = ok(
      load(file, { env: { MAX_IN_FLIGHT: '7' }, flags: { 'max-in-flight': '9', tags: 'queue=flag,a=b' } }),
    );
    expect(config['max-in-flight']).toBe(9);
    expect(config.tags).toEqual(['queue=flag', 'a=b']);
    expect(sources['max-in-flight']).toBe('flag');
  });

  it('zero, false and empty values in a higher layer still win', () => {
    const fromFile = ok(
      load('max-in-flight: 0\nenable-completion-watcher: false\nreservation-expiry-seconds: 0'),
    );
    expect(fromFile.config['max-in-flight']).toBe(0);
    expect(fromFile.config['enable-completion-watcher']).toBe(false);

    const fromEnv = ok(
      load('debug: true\nmax-in-flight: 3', { env: { DEBUG: 'false', MAX_IN_FLIGHT: '0' } }),
    );
    expect(fromEnv.config.debug).toBe(false);
    expect(fromEnv.config['max-in-flight']).toBe(0);

    const fromFlags = ok(
      load('tags: [queue=a]\nqueue: q\ndebug: true', { flags: { tags: '', queue: '', debug: 'false' } }),
    );
    expect(fromFlags.config.tags).toEqual([]);
    expect(fromFlags.config.queue).toBe('');
    expect(fromFlags.config.debug).toBe(false);
  });

  it('a bare boolean flag means true', () => {
    expect(ok(load(undefined, { flags: { debug: true, 'no-color': true } })).config).toMatchObject({
      debug: true,
      'no-color': true,
    });
  });

  it('uses the upstream env names that do not follow the flag name', () => {
    const { config } = ok(
      load(undefined, {
        env: {
          BUILDKITE_K8S_STACK_CONTROLLER_ID: 'ctl',
          K8S_CLIENT_RATE_LIMITER_QPS: '50',
          K8S_CLIENT_RATE_LIMITER_BURST: '80',
          BUILDKITE_TOKEN: 'api-token',
        },
      }),
    );
    expect(config).toMatchObject({
      id: 'ctl',
      'k8s-client-rate-limiter-qps': 50,
      'k8s-client-rate-limiter-burst': 80,
      'buildkite-token': 'api-token',
    });
  });

  it('reads the file named by env CONFIG, and --config wins over it', () => {
    const read: string[] = [];
    const readFile = (path: string): string => {
      read.push(path);
      return 'max-in-flight: 1';
    };
    ok(loadConfig({ env: { CONFIG: 'from-env.yaml' }, readFile }));
    ok(loadConfig({ env: { CONFIG: 'from-env.yaml' }, configPath: 'from-flag.yaml', readFile }));
    expect(read).toEqual(['from-env.yaml', 'from-flag.yaml']);
  });

  it('ignores file-only keys in the environment', () => {
    const { config } = ok(load(undefined, { env: { POD_SPEC_PATCH: '{}', WORKSPACE_VOLUME: 'x' } }));
    expect(config['pod-spec-patch']).toBeUndefined();
  });
});

describe('YAML parsing', () => {
  it('uses YAML 1.1 scalars like Go (yes/no/on/off are booleans)', () => {
    expect(ok(load('debug: yes\nenable-completion-watcher: off')).config).toMatchObject({
      debug: true,
      'enable-completion-watcher': false,
    });
  });

  it('treats an empty file as no settings', () => {
    expect(ok(load('')).config['max-in-flight']).toBe(25);
  });

  it('keeps the default for a key written with no value', () => {
    expect(ok(load('max-in-flight:')).config['max-in-flight']).toBe(25);
  });

  it('reports invalid YAML and a non-mapping document', () => {
    expect(errors(load('a: [1, 2'))[0]).toMatch(/^config: config\.yaml: invalid YAML: /);
    expect(errors(load('- a\n- b'))).toEqual([
      'config: config.yaml: the config file must be a YAML mapping of keys to values',
    ]);
  });

  it('reports an unreadable file', () => {
    const result = loadConfig({
      configPath: 'missing.yaml',
      readFile: () => {
        throw new Error('ENOENT: no such file');
      },
    });
    expect(errors(result)).toEqual(['config: missing.yaml: cannot read config file: ENOENT: no such file']);
  });
});

describe('unknown keys', () => {
  it('are rejected with their path, all at once, with a suggestion for near misses', () => {
    const result = load(
      [
        'max-inflight: 3',
        'bogus: 1',
        'pod-spec-patch:',
        '  containers:',
        '  - name: c',
        '    imagePullPolicyy: Always',
        'agent-config:',
        '  hooksVolume: {name: hooks, emptyDirr: {}}',
        'default-checkout-params: {gitMirrors: {pathh: /x}}',
      ].join('\n'),
    );
    expect(errors(result)).toEqual([
      'config: max-inflight: unknown key (did you mean "max-in-flight"?)',
      'config: bogus: unknown key',
      'config: pod-spec-patch.containers[0].imagePullPolicyy: unknown field',
      'config: agent-config.hooksVolume.emptyDirr: unknown field',
      'config: default-checkout-params.gitMirrors.pathh: unknown field',
    ]);
  });

  it('match Kubernetes and params field names case-insensitively, as Go does', () => {
    const { config } = ok(load('default-metadata: {Labels: {a: b}}\npod-spec-patch: {NodeSelector: {x: z}}'));
    expect(config['default-metadata']).toEqual({ labels: { a: 'b' } });
    expect(config['pod-spec-patch']).toEqual({ nodeSelector: { x: 'z' } });
  });
});

describe('types', () => {
  it('reports wrong types with the path and the layer the value came from', () => {
    expect(errors(load('max-in-flight: many\ntags: queue=x\ndebug: maybe'))).toEqual([
      'config: max-in-flight: expected an integer',
      'config: tags: expected a list of key=value strings',
      'config: debug: expected true or false',
    ]);
    expect(errors(load(undefined, { env: { MAX_IN_FLIGHT: '1.5', DEBUG: 'sure' } }))).toEqual([
      'config: debug: expected true or false, got "sure" (from env DEBUG)',
      'config: max-in-flight: expected an integer, got "1.5" (from env MAX_IN_FLIGHT)',
    ]);
    expect(errors(load(undefined, { flags: { 'pagination-page-size': 'x' } }))).toEqual([
      'config: pagination-page-size: expected an integer, got "x" (from flag --pagination-page-size)',
    ]);
  });

  it('reports type errors inside Kubernetes shapes', () => {
    expect(
      errors(
        load(
          'pod-spec-patch: {containers: [{name: c, env: [{name: A, value: 1}]}], activeDeadlineSeconds: x}',
        ),
      ),
    ).toEqual([
      'config: pod-spec-patch.containers[0].env[0].value: expected a string, got number',
      'config: pod-spec-patch.activeDeadlineSeconds: expected an integer, got string',
    ]);
  });

  it('accepts quantities as strings or numbers and rejects malformed ones', () => {
    const { config } = ok(load('resource-classes: {small: {resource: {requests: {cpu: 1, memory: 128Mi}}}}'));
    expect(config['resource-classes'].small?.resource?.requests).toEqual({ cpu: '1', memory: '128Mi' });
    expect(errors(load('resource-classes: {small: {resource: {limits: {cpu: lots}}}}'))[0]).toBe(
      'config: resource-classes.small.resource.limits.cpu: invalid quantity "lots" (expected e.g. "500m", "1", "128Mi")',
    );
  });

  it('rejects an invalid interposer with upstream wording', () => {
    expect(errors(load('default-command-params: {interposer: bash}'))).toEqual([
      'config: default-command-params.interposer: invalid interposer "bash", must be one of: [ buildkite vector legacy]',
    ]);
  });
});

describe('durations', () => {
  it('parse Go duration strings at the top level and inside agent-config', () => {
    const { config } = ok(
      load(
        'job-ttl: 1m30s\npoll-interval: 500ms\npod-pending-timeout: 1h\nagent-config: {container-start-timeout: 90s}',
      ),
    );
    expect(config['job-ttl']).toBe(90_000);
    expect(config['poll-interval']).toBe(500);
    expect(config['pod-pending-timeout']).toBe(3_600_000);
    expect(config['agent-config']?.['container-start-timeout']).toBe('90s');
  });

  it('from env and flags too', () => {
    const { config } = ok(load(undefined, { env: { JOB_TTL: '2m' }, flags: { 'poll-interval': '3s' } }));
    expect(config['job-ttl']).toBe(120_000);
    expect(config['poll-interval']).toBe(3000);
  });

  it('reject a bare number with a hint instead of reading nanoseconds', () => {
    expect(errors(load('job-ttl: 600'))).toEqual([
      'config: job-ttl: a bare number is not a duration; write a Go duration string such as "600s" or "1m30s"',
    ]);
    expect(errors(load('agent-config: {container-start-timeout: 30}'))).toEqual([
      'config: agent-config.container-start-timeout: a bare number is not a duration; write a Go duration string such as "30s" or "1m30s"',
    ]);
  });

  it('reject unparsable and negative durations', () => {
    expect(errors(load('job-ttl: soon\nhttp-timeout: -5s'))).toEqual([
      'config: job-ttl: invalid duration "soon" (expected a Go duration such as "90s", "1m30s", "500ms")',
      'config: http-timeout: invalid duration "-5s" (expected a Go duration such as "90s", "1m30s", "500ms")',
    ]);
  });
});

describe('validation rules (upstream §2.3 and ours)', () => {
  const cases: [string, string, string[]][] = [
    [
      'required job-active-deadline-seconds',
      'job-active-deadline-seconds: 0',
      ['config: job-active-deadline-seconds: must be at least 1'],
    ],
    ['required job-prefix', 'job-prefix: ""', ['config: job-prefix: is required and must not be empty']],
    [
      'required default-termination-grace-period-seconds',
      'default-termination-grace-period-seconds: 0',
      ['config: default-termination-grace-period-seconds: must be at least 1'],
    ],
    ['required namespace', 'namespace: ""', ['config: namespace: is required and must not be empty']],
    [
      'required agent-token-secret',
      'agent-token-secret: ""',
      ['config: agent-token-secret: is required and must not be empty'],
    ],
    ['required image', 'image: ""', ['config: image: is required and must not be empty']],
    ['max-in-flight >= 0', 'max-in-flight: -1', ['config: max-in-flight: must be at least 0']],
    [
      'pagination-page-size >= 1',
      'pagination-page-size: 0',
      ['config: pagination-page-size: must be at least 1'],
    ],
    [
      'pagination-page-size <= 1000',
      'pagination-page-size: 1001',
      ['config: pagination-page-size: must be at most 1000'],
    ],
    [
      'pagination-depth-limit >= 1',
      'pagination-depth-limit: 0',
      ['config: pagination-depth-limit: must be at least 1'],
    ],
    [
      'pagination-depth-limit <= 20',
      'pagination-depth-limit: 21',
      ['config: pagination-depth-limit: must be at most 20'],
    ],
    [
      'reservation-expiry-seconds <= 3600',
      'reservation-expiry-seconds: 3601',
      ['config: reservation-expiry-seconds: must be at most 3600'],
    ],
    [
      'reservation-expiry-seconds >= 0',
      'reservation-expiry-seconds: -1',
      ['config: reservation-expiry-seconds: must be at least 0'],
    ],
    [
      'profiler-address host:port',
      'profiler-address: localhost',
      ['config: profiler-address: must be host:port, got "localhost"'],
    ],
    ['log-format', 'log-format: text', ['config: log-format: must be one of logfmt, json']],
    ['log-level', 'log-level: verbose', ['config: log-level: must be one of debug, info, warn, error']],
    ['prometheus-port range', 'prometheus-port: 70000', ['config: prometheus-port: must be at most 65535']],
    [
      'pull policy',
      'default-image-pull-policy: Sometimes',
      ['config: default-image-pull-policy: must be one of Always, IfNotPresent, Never'],
    ],
    ['tag without =', 'tags: [queue=a, linux]', ['config: tags[1]: "linux" is not a key=value tag']],
    [
      'two queue tags',
      'tags: [queue=a, queue=b]',
      ['config: tags: the queue tag must be given once, got queue=a, queue=b'],
    ],
    [
      'additional hook without path, volume, volume name',
      'agent-config: {additional-hooks: [{volume: {name: h, emptyDir: {}}}, {path: /x}, {path: /y, volume: {emptyDir: {}}}]}',
      [
        'config: agent-config.additional-hooks[0].path: is required',
        'config: agent-config.additional-hooks[1].volume: is required',
        'config: agent-config.additional-hooks[2].volume.name: is required',
      ],
    ],
    [
      'pod-spec-patch uppercase image',
      'pod-spec-patch: {containers: [{name: c, image: Alpine}]}',
      [
        'config: pod-spec-patch.containers[0].image: invalid pod spec patch: container image for container at index 0 contains uppercase letters: Alpine',
      ],
    ],
    [
      'pod-spec-patch command',
      'pod-spec-patch: {containers: [{name: c, image: alpine, command: [sh]}]}',
      [
        'config: pod-spec-patch.containers[0]: invalid pod spec patch: container at index 0 (image: alpine): modifying container commands or args via podSpecPatch is not supported',
      ],
    ],
    [
      'image check cpu limit',
      'image-check-container-cpu-limit: lots',
      ['config: image-check-container-cpu-limit: invalid CPU resource limit defined: lots'],
    ],
    [
      'image check memory limit',
      'image-check-container-memory-limit: 12XB',
      ['config: image-check-container-memory-limit: invalid memory resource limit defined: 12XB'],
    ],
    [
      'default resource class without classes',
      'default-resource-class-name: small',
      [
        'config: default-resource-class-name: default-resource-class-name "small" specified but no resource-classes defined',
      ],
    ],
    [
      'default resource class not defined',
      'default-resource-class-name: huge\nresource-classes: {small: {nodeSelector: {a: b}}}',
      [
        'config: default-resource-class-name: default-resource-class-name "huge" not found in resource-classes',
      ],
    ],
    [
      'graphql source requirements',
      'job-source: graphql',
      [
        'config: buildkite-token: is required when job-source is graphql (env BUILDKITE_TOKEN)',
        'config: org: is required when job-source is graphql',
        'config: tags: missing required tag: queue (job-source graphql needs a queue tag or the queue key)',
      ],
    ],
  ];

  it.each(cases)('%s', (_name, file, expected) => {
    expect(errors(load(file))).toEqual(expected);
  });

  it('lets the unsafe flag allow command changes in pod-spec-patch', () => {
    ok(
      load(
        'allow-pod-spec-patch-unsafe-command-modification: true\npod-spec-patch: {containers: [{name: c, command: [sh]}]}',
      ),
    );
  });

  it('accepts a complete graphql setup', () => {
    const { config } = ok(
      load('job-source: graphql\norg: acme\ntags: [queue=k8s]', { env: { BUILDKITE_TOKEN: 't' } }),
    );
    expect(config['graphql-results-limit']).toBe(100);
  });

  it('treats a non-positive job-creation-concurrency as the default, like upstream', () => {
    expect(ok(load('job-creation-concurrency: 0')).config['job-creation-concurrency']).toBe(25);
  });
});

describe('printableConfig', () => {
  it('redacts secrets, shows durations as Go strings and keeps file keys', () => {
    const { config } = ok(
      load('job-ttl: 90s', {
        env: { BUILDKITE_TOKEN: 'bkua_secret', INTEGRATION_TEST_BUILDKITE_TOKEN: 'x' },
      }),
    );
    const printed = printableConfig(config);
    expect(printed['buildkite-token']).toBe('<redacted>');
    expect(printed['integration-test-buildkite-token']).toBe('<redacted>');
    expect(JSON.stringify(printed)).not.toContain('bkua_secret');
    expect(printed['job-ttl']).toBe('1m30s');
    expect(printed['max-in-flight']).toBe(25);
  });

  it('shows an unset secret as empty', () => {
    expect(printableConfig(ok(load(undefined)).config)['buildkite-token']).toBe('');
  });
});
