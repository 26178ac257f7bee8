/**
 * Patch metadata for every Go struct reachable from core/v1 `PodSpec`, as encoded in the struct tags of
 * k8s.io/api v0.36.3 (`core/v1/types.go`) and k8s.io/apimachinery v0.36.3 (`pkg/apis/meta/v1/types.go`), the
 * versions upstream agent-stack-k8s builds with. Embedded structs (`VolumeSource`, `ProbeHandler`,
 * `EphemeralContainerCommon`, ...) are flattened into their parents the way encoding/json promotes them.
 * Checked field by field (kind, struct, pointer, omitempty, strategy, merge key, order) against Go reflection
 * over `corev1.PodSpec{}` from those modules.
 *
 * The strategic merge patch reads `strategy`/`mergeKey`; the Go struct view (`goStructView` in smp.ts) reads
 * `pointer`/`omitEmpty`/`zero`, which decide what survives a decode/encode round trip through the Go type.
 */

export type FieldKind = 'scalar' | 'object' | 'list' | 'map';

export type PatchStrategy = 'merge' | 'retainKeys' | 'merge,retainKeys';

export interface FieldSchema {
  readonly kind: FieldKind;
  /** Struct type of an `object` field, or of the elements of a `list` of structs. */
  readonly ref?: string;
  /** Go field is a pointer: an explicit zero value (false, 0, "") survives encoding. */
  readonly pointer?: true;
  /** `omitempty` tag: zero values (and empty lists/maps, nil pointers) are left out when encoding. */
  readonly omitEmpty?: true;
  readonly strategy?: PatchStrategy;
  readonly mergeKey?: string;
  /**
   * What encoding/json writes for an unset non-pointer scalar without `omitempty`; for a map, what a null
   * value decodes to ("0" for resource quantities, otherwise "").
   */
  readonly zero?: string | number | boolean | null;
  /** A `resource.Quantity` (or, for a map, its values are). */
  readonly quantity?: true;
}

export type StructSchema = Readonly<Record<string, FieldSchema>>;

/** Struct name → JSON field name → metadata. Names from meta/v1 carry a `metav1.` prefix. */
const CONTAINER: StructSchema = {
  name: { kind: 'scalar', zero: '' },
  image: { kind: 'scalar', omitEmpty: true },
  command: { kind: 'list', omitEmpty: true },
  args: { kind: 'list', omitEmpty: true },
  workingDir: { kind: 'scalar', omitEmpty: true },
  ports: {
    kind: 'list',
    ref: 'ContainerPort',
    omitEmpty: true,
    strategy: 'merge',
    mergeKey: 'containerPort',
  },
  envFrom: { kind: 'list', ref: 'EnvFromSource', omitEmpty: true },
  env: { kind: 'list', ref: 'EnvVar', omitEmpty: true, strategy: 'merge', mergeKey: 'name' },
  resources: { kind: 'object', ref: 'ResourceRequirements', omitEmpty: true },
  resizePolicy: { kind: 'list', ref: 'ContainerResizePolicy', omitEmpty: true },
  restartPolicy: { kind: 'scalar', pointer: true, omitEmpty: true },
  restartPolicyRules: { kind: 'list', ref: 'ContainerRestartRule', omitEmpty: true },
  volumeMounts: {
    kind: 'list',
    ref: 'VolumeMount',
    omitEmpty: true,
    strategy: 'merge',
    mergeKey: 'mountPath',
  },
  volumeDevices: {
    kind: 'list',
    ref: 'VolumeDevice',
    omitEmpty: true,
    strategy: 'merge',
    mergeKey: 'devicePath',
  },
  livenessProbe: { kind: 'object', ref: 'Probe', pointer: true, omitEmpty: true },
  readinessProbe: { kind: 'object', ref: 'Probe', pointer: true, omitEmpty: true },
  startupProbe: { kind: 'object', ref: 'Probe', pointer: true, omitEmpty: true },
  lifecycle: { kind: 'object', ref: 'Lifecycle', pointer: true, omitEmpty: true },
  terminationMessagePath: { kind: 'scalar', omitEmpty: true },
  terminationMessagePolicy: { kind: 'scalar', omitEmpty: true },
  imagePullPolicy: { kind: 'scalar', omitEmpty: true },
  securityContext: { kind: 'object', ref: 'SecurityContext', pointer: true, omitEmpty: true },
  stdin: { kind: 'scalar', omitEmpty: true },
  stdinOnce: { kind: 'scalar', omitEmpty: true },
  tty: { kind: 'scalar', omitEmpty: true },
};

export const POD_SPEC_TYPES: Readonly<Record<string, StructSchema>> = {
  AWSElasticBlockStoreVolumeSource: {
    volumeID: { kind: 'scalar', zero: '' },
    fsType: { kind: 'scalar', omitEmpty: true },
    partition: { kind: 'scalar', omitEmpty: true },
    readOnly: { kind: 'scalar', omitEmpty: true },
  },
  Affinity: {
    nodeAffinity: { kind: 'object', ref: 'NodeAffinity', pointer: true, omitEmpty: true },
    podAffinity: { kind: 'object', ref: 'PodAffinity', pointer: true, omitEmpty: true },
    podAntiAffinity: { kind: 'object', ref: 'PodAntiAffinity', pointer: true, omitEmpty: true },
  },
  AppArmorProfile: {
    type: { kind: 'scalar', zero: '' },
    localhostProfile: { kind: 'scalar', pointer: true, omitEmpty: true },
  },
  AzureDiskVolumeSource: {
    diskName: { kind: 'scalar', zero: '' },
    diskURI: { kind: 'scalar', zero: '' },
    cachingMode: { kind: 'scalar', pointer: true, omitEmpty: true },
    fsType: { kind: 'scalar', pointer: true, omitEmpty: true },
    readOnly: { kind: 'scalar', pointer: true, omitEmpty: true },
    kind: { kind: 'scalar', pointer: true, omitEmpty: true },
  },
  AzureFileVolumeSource: {
    secretName: { kind: 'scalar', zero: '' },
    shareName: { kind: 'scalar', zero: '' },
    readOnly: { kind: 'scalar', omitEmpty: true },
  },
  CSIVolumeSource: {
    driver: { kind: 'scalar', zero: '' },
    readOnly: { kind: 'scalar', pointer: true, omitEmpty: true },
    fsType: { kind: 'scalar', pointer: true, omitEmpty: true },
    volumeAttributes: { kind: 'map', omitEmpty: true },
    nodePublishSecretRef: { kind: 'object', ref: 'LocalObjectReference', pointer: true, omitEmpty: true },
  },
  Capabilities: {
    add: { kind: 'list', omitEmpty: true },
    drop: { kind: 'list', omitEmpty: true },
  },
  CephFSVolumeSource: {
    monitors: { kind: 'list' },
    path: { kind: 'scalar', omitEmpty: true },
    user: { kind: 'scalar', omitEmpty: true },
    secretFile: { kind: 'scalar', omitEmpty: true },
    secretRef: { kind: 'object', ref: 'LocalObjectReference', pointer: true, omitEmpty: true },
    readOnly: { kind: 'scalar', omitEmpty: true },
  },
  CinderVolumeSource: {
    volumeID: { kind: 'scalar', zero: '' },
    fsType: { kind: 'scalar', omitEmpty: true },
    readOnly: { kind: 'scalar', omitEmpty: true },
    secretRef: { kind: 'object', ref: 'LocalObjectReference', pointer: true, omitEmpty: true },
  },
  ClusterTrustBundleProjection: {
    name: { kind: 'scalar', pointer: true, omitEmpty: true },
    signerName: { kind: 'scalar', pointer: true, omitEmpty: true },
    labelSelector: { kind: 'object', ref: 'metav1.LabelSelector', pointer: true, omitEmpty: true },
    optional: { kind: 'scalar', pointer: true, omitEmpty: true },
    path: { kind: 'scalar', zero: '' },
  },
  ConfigMapEnvSource: {
    name: { kind: 'scalar', omitEmpty: true },
    optional: { kind: 'scalar', pointer: true, omitEmpty: true },
  },
  ConfigMapKeySelector: {
    name: { kind: 'scalar', omitEmpty: true },
    key: { kind: 'scalar', zero: '' },
    optional: { kind: 'scalar', pointer: true, omitEmpty: true },
  },
  ConfigMapProjection: {
    name: { kind: 'scalar', omitEmpty: true },
    items: { kind: 'list', ref: 'KeyToPath', omitEmpty: true },
    optional: { kind: 'scalar', pointer: true, omitEmpty: true },
  },
  ConfigMapVolumeSource: {
    name: { kind: 'scalar', omitEmpty: true },
    items: { kind: 'list', ref: 'KeyToPath', omitEmpty: true },
    defaultMode: { kind: 'scalar', pointer: true, omitEmpty: true },
    optional: { kind: 'scalar', pointer: true, omitEmpty: true },
  },
  Container: CONTAINER,
  ContainerPort: {
    name: { kind: 'scalar', omitEmpty: true },
    hostPort: { kind: 'scalar', omitEmpty: true },
    containerPort: { kind: 'scalar', zero: 0 },
    protocol: { kind: 'scalar', omitEmpty: true },
    hostIP: { kind: 'scalar', omitEmpty: true },
  },
  ContainerResizePolicy: {
    resourceName: { kind: 'scalar', zero: '' },
    restartPolicy: { kind: 'scalar', zero: '' },
  },
  ContainerRestartRule: {
    action: { kind: 'scalar', omitEmpty: true },
    exitCodes: { kind: 'object', ref: 'ContainerRestartRuleOnExitCodes', pointer: true, omitEmpty: true },
  },
  ContainerRestartRuleOnExitCodes: {
    operator: { kind: 'scalar', omitEmpty: true },
    values: { kind: 'list', omitEmpty: true },
  },
  DownwardAPIProjection: {
    items: { kind: 'list', ref: 'DownwardAPIVolumeFile', omitEmpty: true },
  },
  DownwardAPIVolumeFile: {
    path: { kind: 'scalar', zero: '' },
    fieldRef: { kind: 'object', ref: 'ObjectFieldSelector', pointer: true, omitEmpty: true },
    resourceFieldRef: { kind: 'object', ref: 'ResourceFieldSelector', pointer: true, omitEmpty: true },
    mode: { kind: 'scalar', pointer: true, omitEmpty: true },
  },
  DownwardAPIVolumeSource: {
    items: { kind: 'list', ref: 'DownwardAPIVolumeFile', omitEmpty: true },
    defaultMode: { kind: 'scalar', pointer: true, omitEmpty: true },
  },
  EmptyDirVolumeSource: {
    medium: { kind: 'scalar', omitEmpty: true },
    sizeLimit: { kind: 'scalar', pointer: true, omitEmpty: true, quantity: true },
  },
  EnvFromSource: {
    prefix: { kind: 'scalar', omitEmpty: true },
    configMapRef: { kind: 'object', ref: 'ConfigMapEnvSource', pointer: true, omitEmpty: true },
    secretRef: { kind: 'object', ref: 'SecretEnvSource', pointer: true, omitEmpty: true },
  },
  EnvVar: {
    name: { kind: 'scalar', zero: '' },
    value: { kind: 'scalar', omitEmpty: true },
    valueFrom: { kind: 'object', ref: 'EnvVarSource', pointer: true, omitEmpty: true },
  },
  EnvVarSource: {
    fieldRef: { kind: 'object', ref: 'ObjectFieldSelector', pointer: true, omitEmpty: true },
    resourceFieldRef: { kind: 'object', ref: 'ResourceFieldSelector', pointer: true, omitEmpty: true },
    configMapKeyRef: { kind: 'object', ref: 'ConfigMapKeySelector', pointer: true, omitEmpty: true },
    secretKeyRef: { kind: 'object', ref: 'SecretKeySelector', pointer: true, omitEmpty: true },
    fileKeyRef: { kind: 'object', ref: 'FileKeySelector', pointer: true, omitEmpty: true },
  },
  // EphemeralContainerCommon is Container's field list, inlined, then the target container.
  EphemeralContainer: { ...CONTAINER, targetContainerName: { kind: 'scalar', omitEmpty: true } },
  EphemeralVolumeSource: {
    volumeClaimTemplate: {
      kind: 'object',
      ref: 'PersistentVolumeClaimTemplate',
      pointer: true,
      omitEmpty: true,
    },
  },
  ExecAction: {
    command: { kind: 'list', omitEmpty: true },
  },
  FCVolumeSource: {
    targetWWNs: { kind: 'list', omitEmpty: true },
    lun: { kind: 'scalar', pointer: true, omitEmpty: true },
    fsType: { kind: 'scalar', omitEmpty: true },
    readOnly: { kind: 'scalar', omitEmpty: true },
    wwids: { kind: 'list', omitEmpty: true },
  },
  FileKeySelector: {
    volumeName: { kind: 'scalar', zero: '' },
    path: { kind: 'scalar', zero: '' },
    key: { kind: 'scalar', zero: '' },
    optional: { kind: 'scalar', pointer: true, omitEmpty: true },
  },
  FlexVolumeSource: {
    driver: { kind: 'scalar', zero: '' },
    fsType: { kind: 'scalar', omitEmpty: true },
    secretRef: { kind: 'object', ref: 'LocalObjectReference', pointer: true, omitEmpty: true },
    readOnly: { kind: 'scalar', omitEmpty: true },
    options: { kind: 'map', omitEmpty: true },
  },
  FlockerVolumeSource: {
    datasetName: { kind: 'scalar', omitEmpty: true },
    datasetUUID: { kind: 'scalar', omitEmpty: true },
  },
  GCEPersistentDiskVolumeSource: {
    pdName: { kind: 'scalar', zero: '' },
    fsType: { kind: 'scalar', omitEmpty: true },
    partition: { kind: 'scalar', omitEmpty: true },
    readOnly: { kind: 'scalar', omitEmpty: true },
  },
  GRPCAction: {
    port: { kind: 'scalar', zero: 0 },
    service: { kind: 'scalar', pointer: true },
  },
  GitRepoVolumeSource: {
    repository: { kind: 'scalar', zero: '' },
    revision: { kind: 'scalar', omitEmpty: true },
    directory: { kind: 'scalar', omitEmpty: true },
  },
  GlusterfsVolumeSource: {
    endpoints: { kind: 'scalar', zero: '' },
    path: { kind: 'scalar', zero: '' },
    readOnly: { kind: 'scalar', omitEmpty: true },
  },
  HTTPGetAction: {
    path: { kind: 'scalar', omitEmpty: true },
    port: { kind: 'scalar', zero: 0 },
    host: { kind: 'scalar', omitEmpty: true },
    scheme: { kind: 'scalar', omitEmpty: true },
    httpHeaders: { kind: 'list', ref: 'HTTPHeader', omitEmpty: true },
  },
  HTTPHeader: {
    name: { kind: 'scalar', zero: '' },
    value: { kind: 'scalar', zero: '' },
  },
  HostAlias: {
    ip: { kind: 'scalar', zero: '' },
    hostnames: { kind: 'list', omitEmpty: true },
  },
  HostPathVolumeSource: {
    path: { kind: 'scalar', zero: '' },
    type: { kind: 'scalar', pointer: true, omitEmpty: true },
  },
  ISCSIVolumeSource: {
    targetPortal: { kind: 'scalar', zero: '' },
    iqn: { kind: 'scalar', zero: '' },
    lun: { kind: 'scalar', zero: 0 },
    iscsiInterface: { kind: 'scalar', omitEmpty: true },
    fsType: { kind: 'scalar', omitEmpty: true },
    readOnly: { kind: 'scalar', omitEmpty: true },
    portals: { kind: 'list', omitEmpty: true },
    chapAuthDiscovery: { kind: 'scalar', omitEmpty: true },
    chapAuthSession: { kind: 'scalar', omitEmpty: true },
    secretRef: { kind: 'object', ref: 'LocalObjectReference', pointer: true, omitEmpty: true },
    initiatorName: { kind: 'scalar', pointer: true, omitEmpty: true },
  },
  ImageVolumeSource: {
    reference: { kind: 'scalar', omitEmpty: true },
    pullPolicy: { kind: 'scalar', omitEmpty: true },
  },
  KeyToPath: {
    key: { kind: 'scalar', zero: '' },
    path: { kind: 'scalar', zero: '' },
    mode: { kind: 'scalar', pointer: true, omitEmpty: true },
  },
  Lifecycle: {
    postStart: { kind: 'object', ref: 'LifecycleHandler', pointer: true, omitEmpty: true },
    preStop: { kind: 'object', ref: 'LifecycleHandler', pointer: true, omitEmpty: true },
    stopSignal: { kind: 'scalar', pointer: true, omitEmpty: true },
  },
  LifecycleHandler: {
    exec: { kind: 'object', ref: 'ExecAction', pointer: true, omitEmpty: true },
    httpGet: { kind: 'object', ref: 'HTTPGetAction', pointer: true, omitEmpty: true },
    tcpSocket: { kind: 'object', ref: 'TCPSocketAction', pointer: true, omitEmpty: true },
    sleep: { kind: 'object', ref: 'SleepAction', pointer: true, omitEmpty: true },
  },
  LocalObjectReference: {
    name: { kind: 'scalar', omitEmpty: true },
  },
  NFSVolumeSource: {
    server: { kind: 'scalar', zero: '' },
    path: { kind: 'scalar', zero: '' },
    readOnly: { kind: 'scalar', omitEmpty: true },
  },
  NodeAffinity: {
    requiredDuringSchedulingIgnoredDuringExecution: {
      kind: 'object',
      ref: 'NodeSelector',
      pointer: true,
      omitEmpty: true,
    },
    preferredDuringSchedulingIgnoredDuringExecution: {
      kind: 'list',
      ref: 'PreferredSchedulingTerm',
      omitEmpty: true,
    },
  },
  NodeSelector: {
    nodeSelectorTerms: { kind: 'list', ref: 'NodeSelectorTerm' },
  },
  NodeSelectorRequirement: {
    key: { kind: 'scalar', zero: '' },
    operator: { kind: 'scalar', zero: '' },
    values: { kind: 'list', omitEmpty: true },
  },
  NodeSelectorTerm: {
    matchExpressions: { kind: 'list', ref: 'NodeSelectorRequirement', omitEmpty: true },
    matchFields: { kind: 'list', ref: 'NodeSelectorRequirement', omitEmpty: true },
  },
  ObjectFieldSelector: {
    apiVersion: { kind: 'scalar', omitEmpty: true },
    fieldPath: { kind: 'scalar', zero: '' },
  },
  PersistentVolumeClaimSpec: {
    accessModes: { kind: 'list', omitEmpty: true },
    selector: { kind: 'object', ref: 'metav1.LabelSelector', pointer: true, omitEmpty: true },
    resources: { kind: 'object', ref: 'VolumeResourceRequirements', omitEmpty: true },
    volumeName: { kind: 'scalar', omitEmpty: true },
    storageClassName: { kind: 'scalar', pointer: true, omitEmpty: true },
    volumeMode: { kind: 'scalar', pointer: true, omitEmpty: true },
    dataSource: { kind: 'object', ref: 'TypedLocalObjectReference', pointer: true, omitEmpty: true },
    dataSourceRef: { kind: 'object', ref: 'TypedObjectReference', pointer: true, omitEmpty: true },
    volumeAttributesClassName: { kind: 'scalar', pointer: true, omitEmpty: true },
  },
  PersistentVolumeClaimTemplate: {
    metadata: { kind: 'object', ref: 'metav1.ObjectMeta', omitEmpty: true },
    spec: { kind: 'object', ref: 'PersistentVolumeClaimSpec' },
  },
  PersistentVolumeClaimVolumeSource: {
    claimName: { kind: 'scalar', zero: '' },
    readOnly: { kind: 'scalar', omitEmpty: true },
  },
  PhotonPersistentDiskVolumeSource: {
    pdID: { kind: 'scalar', zero: '' },
    fsType: { kind: 'scalar', omitEmpty: true },
  },
  PodAffinity: {
    requiredDuringSchedulingIgnoredDuringExecution: { kind: 'list', ref: 'PodAffinityTerm', omitEmpty: true },
    preferredDuringSchedulingIgnoredDuringExecution: {
      kind: 'list',
      ref: 'WeightedPodAffinityTerm',
      omitEmpty: true,
    },
  },
  PodAffinityTerm: {
    labelSelector: { kind: 'object', ref: 'metav1.LabelSelector', pointer: true, omitEmpty: true },
    namespaces: { kind: 'list', omitEmpty: true },
    topologyKey: { kind: 'scalar', zero: '' },
    namespaceSelector: { kind: 'object', ref: 'metav1.LabelSelector', pointer: true, omitEmpty: true },
    matchLabelKeys: { kind: 'list', omitEmpty: true },
    mismatchLabelKeys: { kind: 'list', omitEmpty: true },
  },
  PodAntiAffinity: {
    requiredDuringSchedulingIgnoredDuringExecution: { kind: 'list', ref: 'PodAffinityTerm', omitEmpty: true },
    preferredDuringSchedulingIgnoredDuringExecution: {
      kind: 'list',
      ref: 'WeightedPodAffinityTerm',
      omitEmpty: true,
    },
  },
  PodCertificateProjection: {
    signerName: { kind: 'scalar', omitEmpty: true },
    keyType: { kind: 'scalar', omitEmpty: true },
    maxExpirationSeconds: { kind: 'scalar', pointer: true, omitEmpty: true },
    credentialBundlePath: { kind: 'scalar', omitEmpty: true },
    keyPath: { kind: 'scalar', omitEmpty: true },
    certificateChainPath: { kind: 'scalar', omitEmpty: true },
    userAnnotations: { kind: 'map', omitEmpty: true },
  },
  PodDNSConfig: {
    nameservers: { kind: 'list', omitEmpty: true },
    searches: { kind: 'list', omitEmpty: true },
    options: { kind: 'list', ref: 'PodDNSConfigOption', omitEmpty: true },
  },
  PodDNSConfigOption: {
    name: { kind: 'scalar', omitEmpty: true },
    value: { kind: 'scalar', pointer: true, omitEmpty: true },
  },
  PodOS: {
    name: { kind: 'scalar', zero: '' },
  },
  PodReadinessGate: {
    conditionType: { kind: 'scalar', zero: '' },
  },
  PodResourceClaim: {
    name: { kind: 'scalar', zero: '' },
    resourceClaimName: { kind: 'scalar', pointer: true, omitEmpty: true },
    resourceClaimTemplateName: { kind: 'scalar', pointer: true, omitEmpty: true },
  },
  PodSchedulingGate: {
    name: { kind: 'scalar', zero: '' },
  },
  PodSchedulingGroup: {
    podGroupName: { kind: 'scalar', pointer: true, omitEmpty: true },
  },
  PodSecurityContext: {
    seLinuxOptions: { kind: 'object', ref: 'SELinuxOptions', pointer: true, omitEmpty: true },
    windowsOptions: { kind: 'object', ref: 'WindowsSecurityContextOptions', pointer: true, omitEmpty: true },
    runAsUser: { kind: 'scalar', pointer: true, omitEmpty: true },
    runAsGroup: { kind: 'scalar', pointer: true, omitEmpty: true },
    runAsNonRoot: { kind: 'scalar', pointer: true, omitEmpty: true },
    supplementalGroups: { kind: 'list', omitEmpty: true },
    supplementalGroupsPolicy: { kind: 'scalar', pointer: true, omitEmpty: true },
    fsGroup: { kind: 'scalar', pointer: true, omitEmpty: true },
    sysctls: { kind: 'list', ref: 'Sysctl', omitEmpty: true },
    fsGroupChangePolicy: { kind: 'scalar', pointer: true, omitEmpty: true },
    seccompProfile: { kind: 'object', ref: 'SeccompProfile', pointer: true, omitEmpty: true },
    appArmorProfile: { kind: 'object', ref: 'AppArmorProfile', pointer: true, omitEmpty: true },
    seLinuxChangePolicy: { kind: 'scalar', pointer: true, omitEmpty: true },
  },
  PodSpec: {
    volumes: { kind: 'list', ref: 'Volume', omitEmpty: true, strategy: 'merge,retainKeys', mergeKey: 'name' },
    initContainers: { kind: 'list', ref: 'Container', omitEmpty: true, strategy: 'merge', mergeKey: 'name' },
    containers: { kind: 'list', ref: 'Container', strategy: 'merge', mergeKey: 'name' },
    ephemeralContainers: {
      kind: 'list',
      ref: 'EphemeralContainer',
      omitEmpty: true,
      strategy: 'merge',
      mergeKey: 'name',
    },
    restartPolicy: { kind: 'scalar', omitEmpty: true },
    terminationGracePeriodSeconds: { kind: 'scalar', pointer: true, omitEmpty: true },
    activeDeadlineSeconds: { kind: 'scalar', pointer: true, omitEmpty: true },
    dnsPolicy: { kind: 'scalar', omitEmpty: true },
    nodeSelector: { kind: 'map', omitEmpty: true },
    serviceAccountName: { kind: 'scalar', omitEmpty: true },
    serviceAccount: { kind: 'scalar', omitEmpty: true },
    automountServiceAccountToken: { kind: 'scalar', pointer: true, omitEmpty: true },
    nodeName: { kind: 'scalar', omitEmpty: true },
    hostNetwork: { kind: 'scalar', omitEmpty: true },
    hostPID: { kind: 'scalar', omitEmpty: true },
    hostIPC: { kind: 'scalar', omitEmpty: true },
    shareProcessNamespace: { kind: 'scalar', pointer: true, omitEmpty: true },
    securityContext: { kind: 'object', ref: 'PodSecurityContext', pointer: true, omitEmpty: true },
    imagePullSecrets: {
      kind: 'list',
      ref: 'LocalObjectReference',
      omitEmpty: true,
      strategy: 'merge',
      mergeKey: 'name',
    },
    hostname: { kind: 'scalar', omitEmpty: true },
    subdomain: { kind: 'scalar', omitEmpty: true },
    affinity: { kind: 'object', ref: 'Affinity', pointer: true, omitEmpty: true },
    schedulerName: { kind: 'scalar', omitEmpty: true },
    tolerations: { kind: 'list', ref: 'Toleration', omitEmpty: true },
    hostAliases: { kind: 'list', ref: 'HostAlias', omitEmpty: true, strategy: 'merge', mergeKey: 'ip' },
    priorityClassName: { kind: 'scalar', omitEmpty: true },
    priority: { kind: 'scalar', pointer: true, omitEmpty: true },
    dnsConfig: { kind: 'object', ref: 'PodDNSConfig', pointer: true, omitEmpty: true },
    readinessGates: { kind: 'list', ref: 'PodReadinessGate', omitEmpty: true },
    runtimeClassName: { kind: 'scalar', pointer: true, omitEmpty: true },
    enableServiceLinks: { kind: 'scalar', pointer: true, omitEmpty: true },
    preemptionPolicy: { kind: 'scalar', pointer: true, omitEmpty: true },
    overhead: { kind: 'map', omitEmpty: true, zero: '0', quantity: true },
    topologySpreadConstraints: {
      kind: 'list',
      ref: 'TopologySpreadConstraint',
      omitEmpty: true,
      strategy: 'merge',
      mergeKey: 'topologyKey',
    },
    setHostnameAsFQDN: { kind: 'scalar', pointer: true, omitEmpty: true },
    os: { kind: 'object', ref: 'PodOS', pointer: true, omitEmpty: true },
    hostUsers: { kind: 'scalar', pointer: true, omitEmpty: true },
    schedulingGates: {
      kind: 'list',
      ref: 'PodSchedulingGate',
      omitEmpty: true,
      strategy: 'merge',
      mergeKey: 'name',
    },
    resourceClaims: {
      kind: 'list',
      ref: 'PodResourceClaim',
      omitEmpty: true,
      strategy: 'merge,retainKeys',
      mergeKey: 'name',
    },
    resources: { kind: 'object', ref: 'ResourceRequirements', pointer: true, omitEmpty: true },
    hostnameOverride: { kind: 'scalar', pointer: true, omitEmpty: true },
    schedulingGroup: { kind: 'object', ref: 'PodSchedulingGroup', pointer: true, omitEmpty: true },
  },
  PortworxVolumeSource: {
    volumeID: { kind: 'scalar', zero: '' },
    fsType: { kind: 'scalar', omitEmpty: true },
    readOnly: { kind: 'scalar', omitEmpty: true },
  },
  PreferredSchedulingTerm: {
    weight: { kind: 'scalar', zero: 0 },
    preference: { kind: 'object', ref: 'NodeSelectorTerm' },
  },
  Probe: {
    exec: { kind: 'object', ref: 'ExecAction', pointer: true, omitEmpty: true },
    httpGet: { kind: 'object', ref: 'HTTPGetAction', pointer: true, omitEmpty: true },
    tcpSocket: { kind: 'object', ref: 'TCPSocketAction', pointer: true, omitEmpty: true },
    grpc: { kind: 'object', ref: 'GRPCAction', pointer: true, omitEmpty: true },
    initialDelaySeconds: { kind: 'scalar', omitEmpty: true },
    timeoutSeconds: { kind: 'scalar', omitEmpty: true },
    periodSeconds: { kind: 'scalar', omitEmpty: true },
    successThreshold: { kind: 'scalar', omitEmpty: true },
    failureThreshold: { kind: 'scalar', omitEmpty: true },
    terminationGracePeriodSeconds: { kind: 'scalar', pointer: true, omitEmpty: true },
  },
  ProjectedVolumeSource: {
    sources: { kind: 'list', ref: 'VolumeProjection' },
    defaultMode: { kind: 'scalar', pointer: true, omitEmpty: true },
  },
  QuobyteVolumeSource: {
    registry: { kind: 'scalar', zero: '' },
    volume: { kind: 'scalar', zero: '' },
    readOnly: { kind: 'scalar', omitEmpty: true },
    user: { kind: 'scalar', omitEmpty: true },
    group: { kind: 'scalar', omitEmpty: true },
    tenant: { kind: 'scalar', omitEmpty: true },
  },
  RBDVolumeSource: {
    monitors: { kind: 'list' },
    image: { kind: 'scalar', zero: '' },
    fsType: { kind: 'scalar', omitEmpty: true },
    pool: { kind: 'scalar', omitEmpty: true },
    user: { kind: 'scalar', omitEmpty: true },
    keyring: { kind: 'scalar', omitEmpty: true },
    secretRef: { kind: 'object', ref: 'LocalObjectReference', pointer: true, omitEmpty: true },
    readOnly: { kind: 'scalar', omitEmpty: true },
  },
  ResourceClaim: {
    name: { kind: 'scalar', zero: '' },
    request: { kind: 'scalar', omitEmpty: true },
  },
  ResourceFieldSelector: {
    containerName: { kind: 'scalar', omitEmpty: true },
    resource: { kind: 'scalar', zero: '' },
    divisor: { kind: 'scalar', omitEmpty: true, quantity: true },
  },
  ResourceRequirements: {
    limits: { kind: 'map', omitEmpty: true, zero: '0', quantity: true },
    requests: { kind: 'map', omitEmpty: true, zero: '0', quantity: true },
    claims: { kind: 'list', ref: 'ResourceClaim', omitEmpty: true },
  },
  SELinuxOptions: {
    user: { kind: 'scalar', omitEmpty: true },
    role: { kind: 'scalar', omitEmpty: true },
    type: { kind: 'scalar', omitEmpty: true },
    level: { kind: 'scalar', omitEmpty: true },
  },
  ScaleIOVolumeSource: {
    gateway: { kind: 'scalar', zero: '' },
    system: { kind: 'scalar', zero: '' },
    secretRef: { kind: 'object', ref: 'LocalObjectReference', pointer: true },
    sslEnabled: { kind: 'scalar', omitEmpty: true },
    protectionDomain: { kind: 'scalar', omitEmpty: true },
    storagePool: { kind: 'scalar', omitEmpty: true },
    storageMode: { kind: 'scalar', omitEmpty: true },
    volumeName: { kind: 'scalar', omitEmpty: true },
    fsType: { kind: 'scalar', omitEmpty: true },
    readOnly: { kind: 'scalar', omitEmpty: true },
  },
  SeccompProfile: {
    type: { kind: 'scalar', zero: '' },
    localhostProfile: { kind: 'scalar', pointer: true, omitEmpty: true },
  },
  SecretEnvSource: {
    name: { kind: 'scalar', omitEmpty: true },
    optional: { kind: 'scalar', pointer: true, omitEmpty: true },
  },
  SecretKeySelector: {
    name: { kind: 'scalar', omitEmpty: true },
    key: { kind: 'scalar', zero: '' },
    optional: { kind: 'scalar', pointer: true, omitEmpty: true },
  },
  SecretProjection: {
    name: { kind: 'scalar', omitEmpty: true },
    items: { kind: 'list', ref: 'KeyToPath', omitEmpty: true },
    optional: { kind: 'scalar', pointer: true, omitEmpty: true },
  },
  SecretVolumeSource: {
    secretName: { kind: 'scalar', omitEmpty: true },
    items: { kind: 'list', ref: 'KeyToPath', omitEmpty: true },
    defaultMode: { kind: 'scalar', pointer: true, omitEmpty: true },
    optional: { kind: 'scalar', pointer: true, omitEmpty: true },
  },
  SecurityContext: {
    capabilities: { kind: 'object', ref: 'Capabilities', pointer: true, omitEmpty: true },
    privileged: { kind: 'scalar', pointer: true, omitEmpty: true },
    seLinuxOptions: { kind: 'object', ref: 'SELinuxOptions', pointer: true, omitEmpty: true },
    windowsOptions: { kind: 'object', ref: 'WindowsSecurityContextOptions', pointer: true, omitEmpty: true },
    runAsUser: { kind: 'scalar', pointer: true, omitEmpty: true },
    runAsGroup: { kind: 'scalar', pointer: true, omitEmpty: true },
    runAsNonRoot: { kind: 'scalar', pointer: true, omitEmpty: true },
    readOnlyRootFilesystem: { kind: 'scalar', pointer: true, omitEmpty: true },
    allowPrivilegeEscalation: { kind: 'scalar', pointer: true, omitEmpty: true },
    procMount: { kind: 'scalar', pointer: true, omitEmpty: true },
    seccompProfile: { kind: 'object', ref: 'SeccompProfile', pointer: true, omitEmpty: true },
    appArmorProfile: { kind: 'object', ref: 'AppArmorProfile', pointer: true, omitEmpty: true },
  },
  ServiceAccountTokenProjection: {
    audience: { kind: 'scalar', omitEmpty: true },
    expirationSeconds: { kind: 'scalar', pointer: true, omitEmpty: true },
    path: { kind: 'scalar', zero: '' },
  },
  SleepAction: {
    seconds: { kind: 'scalar', zero: 0 },
  },
  StorageOSVolumeSource: {
    volumeName: { kind: 'scalar', omitEmpty: true },
    volumeNamespace: { kind: 'scalar', omitEmpty: true },
    fsType: { kind: 'scalar', omitEmpty: true },
    readOnly: { kind: 'scalar', omitEmpty: true },
    secretRef: { kind: 'object', ref: 'LocalObjectReference', pointer: true, omitEmpty: true },
  },
  Sysctl: {
    name: { kind: 'scalar', zero: '' },
    value: { kind: 'scalar', zero: '' },
  },
  TCPSocketAction: {
    port: { kind: 'scalar', zero: 0 },
    host: { kind: 'scalar', omitEmpty: true },
  },
  Toleration: {
    key: { kind: 'scalar', omitEmpty: true },
    operator: { kind: 'scalar', omitEmpty: true },
    value: { kind: 'scalar', omitEmpty: true },
    effect: { kind: 'scalar', omitEmpty: true },
    tolerationSeconds: { kind: 'scalar', pointer: true, omitEmpty: true },
  },
  TopologySpreadConstraint: {
    maxSkew: { kind: 'scalar', zero: 0 },
    topologyKey: { kind: 'scalar', zero: '' },
    whenUnsatisfiable: { kind: 'scalar', zero: '' },
    labelSelector: { kind: 'object', ref: 'metav1.LabelSelector', pointer: true, omitEmpty: true },
    minDomains: { kind: 'scalar', pointer: true, omitEmpty: true },
    nodeAffinityPolicy: { kind: 'scalar', pointer: true, omitEmpty: true },
    nodeTaintsPolicy: { kind: 'scalar', pointer: true, omitEmpty: true },
    matchLabelKeys: { kind: 'list', omitEmpty: true },
  },
  TypedLocalObjectReference: {
    apiGroup: { kind: 'scalar', pointer: true },
    kind: { kind: 'scalar', zero: '' },
    name: { kind: 'scalar', zero: '' },
  },
  TypedObjectReference: {
    apiGroup: { kind: 'scalar', pointer: true },
    kind: { kind: 'scalar', zero: '' },
    name: { kind: 'scalar', zero: '' },
    namespace: { kind: 'scalar', pointer: true, omitEmpty: true },
  },
  Volume: {
    name: { kind: 'scalar', zero: '' },
    hostPath: { kind: 'object', ref: 'HostPathVolumeSource', pointer: true, omitEmpty: true },
    emptyDir: { kind: 'object', ref: 'EmptyDirVolumeSource', pointer: true, omitEmpty: true },
    gcePersistentDisk: {
      kind: 'object',
      ref: 'GCEPersistentDiskVolumeSource',
      pointer: true,
      omitEmpty: true,
    },
    awsElasticBlockStore: {
      kind: 'object',
      ref: 'AWSElasticBlockStoreVolumeSource',
      pointer: true,
      omitEmpty: true,
    },
    gitRepo: { kind: 'object', ref: 'GitRepoVolumeSource', pointer: true, omitEmpty: true },
    secret: { kind: 'object', ref: 'SecretVolumeSource', pointer: true, omitEmpty: true },
    nfs: { kind: 'object', ref: 'NFSVolumeSource', pointer: true, omitEmpty: true },
    iscsi: { kind: 'object', ref: 'ISCSIVolumeSource', pointer: true, omitEmpty: true },
    glusterfs: { kind: 'object', ref: 'GlusterfsVolumeSource', pointer: true, omitEmpty: true },
    persistentVolumeClaim: {
      kind: 'object',
      ref: 'PersistentVolumeClaimVolumeSource',
      pointer: true,
      omitEmpty: true,
    },
    rbd: { kind: 'object', ref: 'RBDVolumeSource', pointer: true, omitEmpty: true },
    flexVolume: { kind: 'object', ref: 'FlexVolumeSource', pointer: true, omitEmpty: true },
    cinder: { kind: 'object', ref: 'CinderVolumeSource', pointer: true, omitEmpty: true },
    cephfs: { kind: 'object', ref: 'CephFSVolumeSource', pointer: true, omitEmpty: true },
    flocker: { kind: 'object', ref: 'FlockerVolumeSource', pointer: true, omitEmpty: true },
    downwardAPI: { kind: 'object', ref: 'DownwardAPIVolumeSource', pointer: true, omitEmpty: true },
    fc: { kind: 'object', ref: 'FCVolumeSource', pointer: true, omitEmpty: true },
    azureFile: { kind: 'object', ref: 'AzureFileVolumeSource', pointer: true, omitEmpty: true },
    configMap: { kind: 'object', ref: 'ConfigMapVolumeSource', pointer: true, omitEmpty: true },
    vsphereVolume: { kind: 'object', ref: 'VsphereVirtualDiskVolumeSource', pointer: true, omitEmpty: true },
    quobyte: { kind: 'object', ref: 'QuobyteVolumeSource', pointer: true, omitEmpty: true },
    azureDisk: { kind: 'object', ref: 'AzureDiskVolumeSource', pointer: true, omitEmpty: true },
    photonPersistentDisk: {
      kind: 'object',
      ref: 'PhotonPersistentDiskVolumeSource',
      pointer: true,
      omitEmpty: true,
    },
    projected: { kind: 'object', ref: 'ProjectedVolumeSource', pointer: true, omitEmpty: true },
    portworxVolume: { kind: 'object', ref: 'PortworxVolumeSource', pointer: true, omitEmpty: true },
    scaleIO: { kind: 'object', ref: 'ScaleIOVolumeSource', pointer: true, omitEmpty: true },
    storageos: { kind: 'object', ref: 'StorageOSVolumeSource', pointer: true, omitEmpty: true },
    csi: { kind: 'object', ref: 'CSIVolumeSource', pointer: true, omitEmpty: true },
    ephemeral: { kind: 'object', ref: 'EphemeralVolumeSource', pointer: true, omitEmpty: true },
    image: { kind: 'object', ref: 'ImageVolumeSource', pointer: true, omitEmpty: true },
  },
  VolumeDevice: {
    name: { kind: 'scalar', zero: '' },
    devicePath: { kind: 'scalar', zero: '' },
  },
  VolumeMount: {
    name: { kind: 'scalar', zero: '' },
    readOnly: { kind: 'scalar', omitEmpty: true },
    recursiveReadOnly: { kind: 'scalar', pointer: true, omitEmpty: true },
    mountPath: { kind: 'scalar', zero: '' },
    subPath: { kind: 'scalar', omitEmpty: true },
    mountPropagation: { kind: 'scalar', pointer: true, omitEmpty: true },
    subPathExpr: { kind: 'scalar', omitEmpty: true },
  },
  VolumeProjection: {
    secret: { kind: 'object', ref: 'SecretProjection', pointer: true, omitEmpty: true },
    downwardAPI: { kind: 'object', ref: 'DownwardAPIProjection', pointer: true, omitEmpty: true },
    configMap: { kind: 'object', ref: 'ConfigMapProjection', pointer: true, omitEmpty: true },
    serviceAccountToken: {
      kind: 'object',
      ref: 'ServiceAccountTokenProjection',
      pointer: true,
      omitEmpty: true,
    },
    clusterTrustBundle: {
      kind: 'object',
      ref: 'ClusterTrustBundleProjection',
      pointer: true,
      omitEmpty: true,
    },
    podCertificate: { kind: 'object', ref: 'PodCertificateProjection', pointer: true, omitEmpty: true },
  },
  VolumeResourceRequirements: {
    limits: { kind: 'map', omitEmpty: true, zero: '0', quantity: true },
    requests: { kind: 'map', omitEmpty: true, zero: '0', quantity: true },
  },
  VsphereVirtualDiskVolumeSource: {
    volumePath: { kind: 'scalar', zero: '' },
    fsType: { kind: 'scalar', omitEmpty: true },
    storagePolicyName: { kind: 'scalar', omitEmpty: true },
    storagePolicyID: { kind: 'scalar', omitEmpty: true },
  },
  WeightedPodAffinityTerm: {
    weight: { kind: 'scalar', zero: 0 },
    podAffinityTerm: { kind: 'object', ref: 'PodAffinityTerm' },
  },
  WindowsSecurityContextOptions: {
    gmsaCredentialSpecName: { kind: 'scalar', pointer: true, omitEmpty: true },
    gmsaCredentialSpec: { kind: 'scalar', pointer: true, omitEmpty: true },
    runAsUserName: { kind: 'scalar', pointer: true, omitEmpty: true },
    hostProcess: { kind: 'scalar', pointer: true, omitEmpty: true },
  },
  'metav1.LabelSelector': {
    matchLabels: { kind: 'map', omitEmpty: true },
    matchExpressions: { kind: 'list', ref: 'metav1.LabelSelectorRequirement', omitEmpty: true },
  },
  'metav1.LabelSelectorRequirement': {
    key: { kind: 'scalar', zero: '' },
    operator: { kind: 'scalar', zero: '' },
    values: { kind: 'list', omitEmpty: true },
  },
  'metav1.ManagedFieldsEntry': {
    manager: { kind: 'scalar', omitEmpty: true },
    operation: { kind: 'scalar', omitEmpty: true },
    apiVersion: { kind: 'scalar', omitEmpty: true },
    time: { kind: 'scalar', pointer: true, omitEmpty: true },
    fieldsType: { kind: 'scalar', omitEmpty: true },
    fieldsV1: { kind: 'scalar', pointer: true, omitEmpty: true },
    subresource: { kind: 'scalar', omitEmpty: true },
  },
  'metav1.ObjectMeta': {
    name: { kind: 'scalar', omitEmpty: true },
    generateName: { kind: 'scalar', omitEmpty: true },
    namespace: { kind: 'scalar', omitEmpty: true },
    selfLink: { kind: 'scalar', omitEmpty: true },
    uid: { kind: 'scalar', omitEmpty: true },
    resourceVersion: { kind: 'scalar', omitEmpty: true },
    generation: { kind: 'scalar', omitEmpty: true },
    creationTimestamp: { kind: 'scalar', omitEmpty: true },
    deletionTimestamp: { kind: 'scalar', pointer: true, omitEmpty: true },
    deletionGracePeriodSeconds: { kind: 'scalar', pointer: true, omitEmpty: true },
    labels: { kind: 'map', omitEmpty: true },
    annotations: { kind: 'map', omitEmpty: true },
    ownerReferences: {
      kind: 'list',
      ref: 'metav1.OwnerReference',
      omitEmpty: true,
      strategy: 'merge',
      mergeKey: 'uid',
    },
    finalizers: { kind: 'list', omitEmpty: true, strategy: 'merge' },
    managedFields: { kind: 'list', ref: 'metav1.ManagedFieldsEntry', omitEmpty: true },
  },
  'metav1.OwnerReference': {
    apiVersion: { kind: 'scalar', zero: '' },
    kind: { kind: 'scalar', zero: '' },
    name: { kind: 'scalar', zero: '' },
    uid: { kind: 'scalar', zero: '' },
    controller: { kind: 'scalar', pointer: true, omitEmpty: true },
    blockOwnerDeletion: { kind: 'scalar', pointer: true, omitEmpty: true },
  },
};

export const POD_SPEC_ROOT = 'PodSpec';

/** One field with a patch strategy, named the way OpenAPI definitions are. */
export interface PatchMetadataRow {
  /** OpenAPI definition name, e.g. `io.k8s.api.core.v1.PodSpec`. */
  readonly definition: string;
  readonly field: string;
  /** Value of `x-kubernetes-patch-strategy`. */
  readonly strategy: PatchStrategy;
  /** Value of `x-kubernetes-patch-merge-key`, absent for primitive lists. */
  readonly mergeKey?: string;
}

/**
 * Every field of the PodSpec subtree that carries a patch strategy, in the shape of the
 * `x-kubernetes-patch-*` extensions served at `/openapi/v3/api/v1`, so a cluster test can compare both ways.
 */
export function patchMetadataRows(): PatchMetadataRow[] {
  const rows: PatchMetadataRow[] = [];
  for (const [type, fields] of Object.entries(POD_SPEC_TYPES)) {
    const definition = type.startsWith('metav1.')
      ? `io.k8s.apimachinery.pkg.apis.meta.v1.${type.slice('metav1.'.length)}`
      : `io.k8s.api.core.v1.${type}`;
    for (const [field, schema] of Object.entries(fields)) {
      if (schema.strategy === undefined) continue;
      rows.push(
        schema.mergeKey === undefined
          ? { definition, field, strategy: schema.strategy }
          : { definition, field, strategy: schema.strategy, mergeKey: schema.mergeKey },
      );
    }
  }
  return rows;
}
