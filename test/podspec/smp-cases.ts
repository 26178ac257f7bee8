/**
 * PodSpec strategic merge cases: (original, patch, result) triples. The results were produced by
 * apimachinery v0.36.3's StrategicMergePatch(original, patch, corev1.PodSpec{}); src/podspec/smp.test.ts checks
 * smp.ts against them and test/cluster/smp.test.ts sends the same patches to a real API server.
 */
export const SMP_CASES: readonly (readonly [
  name: string,
  original: unknown,
  patch: unknown,
  expected: unknown,
])[] = [
  [
    'new container goes first',
    { containers: [{ name: 'container-0', image: 'alpine' }, { name: 'agent' }, { name: 'checkout' }] },
    { containers: [{ name: 'sidecar', image: 'nginx' }] },
    {
      ok: true,
      value: {
        containers: [
          { image: 'nginx', name: 'sidecar' },
          { image: 'alpine', name: 'container-0' },
          { name: 'agent' },
          { name: 'checkout' },
        ],
      },
    },
  ],
  [
    'patch items interleave with server-only items',
    { containers: [{ name: 'a' }, { name: 'b' }, { name: 'c' }, { name: 'd' }, { name: 'e' }] },
    { containers: [{ name: 'd', image: '1' }, { name: 'x' }, { name: 'b', image: '2' }] },
    {
      ok: true,
      value: {
        containers: [
          { name: 'a' },
          { name: 'c' },
          { image: '1', name: 'd' },
          { name: 'x' },
          { image: '2', name: 'b' },
          { name: 'e' },
        ],
      },
    },
  ],
  [
    'env merge by name keeps positions',
    {
      containers: [
        {
          name: 'c',
          env: [
            { name: 'A', value: '1' },
            { name: 'B', value: '2' },
            { name: 'C', value: '3' },
          ],
        },
      ],
    },
    {
      containers: [
        {
          name: 'c',
          env: [
            { name: 'C', value: '30' },
            { name: 'Z', value: '26' },
            { name: 'A', value: '10' },
          ],
        },
      ],
    },
    {
      ok: true,
      value: {
        containers: [
          {
            env: [
              { name: 'B', value: '2' },
              { name: 'C', value: '30' },
              { name: 'Z', value: '26' },
              { name: 'A', value: '10' },
            ],
            name: 'c',
          },
        ],
      },
    },
  ],
  [
    'volumeMounts merge by mountPath',
    {
      containers: [
        {
          name: 'c',
          volumeMounts: [
            { name: 'workspace', mountPath: '/workspace' },
            { name: 'hooks', mountPath: '/hooks' },
          ],
        },
      ],
    },
    { containers: [{ name: 'c', volumeMounts: [{ name: 'other', mountPath: '/workspace', subPath: 'x' }] }] },
    {
      ok: true,
      value: {
        containers: [
          {
            name: 'c',
            volumeMounts: [
              { mountPath: '/workspace', name: 'other', subPath: 'x' },
              { mountPath: '/hooks', name: 'hooks' },
            ],
          },
        ],
      },
    },
  ],
  [
    'ports merge by containerPort',
    { containers: [{ name: 'c', ports: [{ containerPort: 80, protocol: 'TCP' }, { containerPort: 443 }] }] },
    { containers: [{ name: 'c', ports: [{ containerPort: 80, protocol: 'UDP', name: 'dns' }] }] },
    {
      ok: true,
      value: {
        containers: [
          { name: 'c', ports: [{ containerPort: 80, name: 'dns', protocol: 'UDP' }, { containerPort: 443 }] },
        ],
      },
    },
  ],
  [
    'volumes merge without retainKeys keeps both sources',
    { volumes: [{ name: 'workspace', emptyDir: {} }] },
    { volumes: [{ name: 'workspace', hostPath: { path: '/tmp' } }] },
    { ok: true, value: { volumes: [{ emptyDir: {}, hostPath: { path: '/tmp' }, name: 'workspace' }] } },
  ],
  [
    'volumes retainKeys swaps the source',
    { volumes: [{ name: 'workspace', emptyDir: { medium: 'Memory' } }] },
    { volumes: [{ name: 'workspace', hostPath: { path: '/tmp' }, $retainKeys: ['name', 'hostPath'] }] },
    { ok: true, value: { volumes: [{ hostPath: { path: '/tmp' }, name: 'workspace' }] } },
  ],
  [
    'tolerations replace',
    { tolerations: [{ key: 'a', operator: 'Exists' }] },
    { tolerations: [{ key: 'b', operator: 'Exists' }] },
    { ok: true, value: { tolerations: [{ key: 'b', operator: 'Exists' }] } },
  ],
  [
    'affinity maps merge, term lists replace',
    {
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: 'a', operator: 'Exists' }] }],
          },
        },
        podAntiAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            { weight: 1, podAffinityTerm: { topologyKey: 'zone' } },
          ],
        },
      },
    },
    {
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: 'b', operator: 'Exists' }] }],
          },
        },
      },
    },
    {
      ok: true,
      value: {
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [{ matchExpressions: [{ key: 'b', operator: 'Exists' }] }],
            },
          },
          podAntiAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              { podAffinityTerm: { topologyKey: 'zone' }, weight: 1 },
            ],
          },
        },
      },
    },
  ],
  [
    'topologySpreadConstraints merge by topologyKey',
    { topologySpreadConstraints: [{ topologyKey: 'zone', maxSkew: 1, whenUnsatisfiable: 'DoNotSchedule' }] },
    {
      topologySpreadConstraints: [
        { topologyKey: 'zone', maxSkew: 2 },
        { topologyKey: 'host', maxSkew: 1, whenUnsatisfiable: 'ScheduleAnyway' },
      ],
    },
    {
      ok: true,
      value: {
        topologySpreadConstraints: [
          { maxSkew: 2, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' },
          { maxSkew: 1, topologyKey: 'host', whenUnsatisfiable: 'ScheduleAnyway' },
        ],
      },
    },
  ],
  [
    'imagePullSecrets and hostAliases merge',
    { imagePullSecrets: [{ name: 'a' }], hostAliases: [{ ip: '10.0.0.1', hostnames: ['x'] }] },
    {
      imagePullSecrets: [{ name: 'b' }],
      hostAliases: [
        { ip: '10.0.0.1', hostnames: ['y'] },
        { ip: '10.0.0.2', hostnames: ['z'] },
      ],
    },
    {
      ok: true,
      value: {
        hostAliases: [
          { hostnames: ['y'], ip: '10.0.0.1' },
          { hostnames: ['z'], ip: '10.0.0.2' },
        ],
        imagePullSecrets: [{ name: 'b' }, { name: 'a' }],
      },
    },
  ],
  [
    'resources limits merge',
    {
      containers: [
        { name: 'c', resources: { limits: { cpu: '1' }, requests: { cpu: '500m', memory: '1Gi' } } },
      ],
    },
    { containers: [{ name: 'c', resources: { limits: { memory: '2Gi' }, requests: { memory: null } } }] },
    {
      ok: true,
      value: {
        containers: [
          { name: 'c', resources: { limits: { cpu: '1', memory: '2Gi' }, requests: { cpu: '500m' } } },
        ],
      },
    },
  ],
  [
    'securityContext replace directive',
    { securityContext: { runAsUser: 1000, fsGroup: 1000 } },
    { securityContext: { $patch: 'replace', runAsNonRoot: true } },
    { ok: true, value: { securityContext: { runAsNonRoot: true } } },
  ],
  [
    'element delete directive',
    { initContainers: [{ name: 'copy-agent' }, { name: 'user-init' }] },
    { initContainers: [{ name: 'user-init', $patch: 'delete' }] },
    { ok: true, value: { initContainers: [{ name: 'copy-agent' }] } },
  ],
  [
    'list replace directive',
    { containers: [{ name: 'a', image: '1' }, { name: 'b' }] },
    { containers: [{ name: 'b', image: '2' }, { $patch: 'replace' }] },
    { ok: true, value: { containers: [{ image: '2', name: 'b' }] } },
  ],
  [
    'setElementOrder reorders',
    { containers: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] },
    {
      '$setElementOrder/containers': [{ name: 'c' }, { name: 'b' }, { name: 'a' }],
      containers: [{ name: 'b', image: 'x' }],
    },
    { ok: true, value: { containers: [{ name: 'c' }, { image: 'x', name: 'b' }, { name: 'a' }] } },
  ],
  [
    'null deletes keys',
    {
      nodeSelector: { a: '1', b: '2' },
      hostname: 'h',
      containers: [{ name: 'c', image: 'x', workingDir: '/w' }],
    },
    { nodeSelector: { a: null }, hostname: null, containers: [{ name: 'c', workingDir: null }] },
    { ok: true, value: { containers: [{ image: 'x', name: 'c' }], nodeSelector: { b: '2' } } },
  ],
  [
    'type change replaces',
    { nodeSelector: { a: '1' }, containers: [{ name: 'c', command: ['a'] }] },
    { nodeSelector: 'x', containers: [{ name: 'c', command: { x: 1 } }] },
    { ok: true, value: { containers: [{ command: { x: 1 }, name: 'c' }], nodeSelector: 'x' } },
  ],
  [
    'duplicate keys in original merge into first',
    {
      containers: [
        {
          name: 'c',
          env: [
            { name: 'A', value: '1' },
            { name: 'A', value: '2' },
          ],
        },
      ],
    },
    { containers: [{ name: 'c', env: [{ name: 'A', value: '3' }] }] },
    {
      ok: true,
      value: {
        containers: [
          {
            env: [
              { name: 'A', value: '3' },
              { name: 'A', value: '2' },
            ],
            name: 'c',
          },
        ],
      },
    },
  ],
  [
    'error: missing merge key',
    { containers: [{ name: 'a' }] },
    { containers: [{ image: 'x' }] },
    { ok: false, error: 'map: map[image:x] does not contain declared merge key: name' },
  ],
  [
    'error: retainKeys not covering patch',
    { volumes: [{ name: 'v', emptyDir: {} }] },
    { volumes: [{ name: 'v', hostPath: { path: '/x' }, $retainKeys: ['name'] }] },
    { ok: false, error: 'invalid patch format of retainKeys' },
  ],
  [
    'error: merge directive in list',
    { containers: [{ name: 'a' }] },
    { containers: [{ name: 'a', $patch: 'merge' }] },
    { ok: false, error: 'merging lists cannot yet be specified in the patch' },
  ],
  [
    'unknown field only in the patch is taken as is',
    { securityContext: { runAsUser: 1 } },
    { securityContext: { nope: { x: 1 } } },
    { ok: true, value: { securityContext: { nope: { x: 1 }, runAsUser: 1 } } },
  ],
  [
    'error: setElementOrder mismatch',
    { containers: [{ name: 'a' }, { name: 'b' }] },
    { '$setElementOrder/containers': [{ name: 'a' }], containers: [{ name: 'b' }] },
    {
      ok: false,
      error:
        "The order in patch list:\n[map[name:b]]\n doesn't match $setElementOrder list:\n[map[name:a]]\n",
    },
  ],
  [
    'error: mixed element types',
    { containers: [{ name: 'a' }] },
    { containers: [1] },
    { ok: false, error: 'list element types are not identical: [[map[name:a]] [1]]' },
  ],
  [
    'error: bad setElementOrder key',
    {},
    { '$setElementOrderX/containers': [] },
    { ok: false, error: 'invalid patch format of setElementOrder list' },
  ],
];
