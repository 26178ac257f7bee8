/**
 * Semantic checks of a built Job that the Kubernetes API server would otherwise reject with 422 Invalid, run
 * before anything is sent. Each problem reads like the server's field error (`<path>: <type>: <value>: <detail>`,
 * from k8s.io/apimachinery `field.Error`), with the server's own wording, so users recognise it. This is a subset
 * of the server's validation: the rules our builder, plugins and patches can plausibly break.
 */
import { goQuote } from './image-ref.js';

type JsonObject = Record<string, unknown>;

// Messages and patterns of k8s.io/apimachinery/pkg/util/validation (v0.36.3).
const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const LABEL_KEY_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const LABEL_VALUE_FMT = `(${LABEL_KEY_FMT})?`;
const dns1123Label = new RegExp(`^${DNS1123_LABEL_FMT}$`);
const dns1123Subdomain = new RegExp(`^${DNS1123_SUBDOMAIN_FMT}$`);
const labelKeyName = new RegExp(`^${LABEL_KEY_FMT}$`);
const labelValue = new RegExp(`^${LABEL_VALUE_FMT}$`);
const portNameCharset = /^[-a-z0-9]+$/;
const portNameLetter = /[a-z]/;
const relaxedEnvVarName = /^[\x20-\x3c\x3e-\x7e]+$/; // printable ASCII except '='
const CONFIG_KEY_FMT = '[-._a-zA-Z0-9]+';
const configKey = new RegExp(`^${CONFIG_KEY_FMT}$`);

function regexError(message: string, fmt: string, ...examples: string[]): string {
  // Go's RegexError writes "'a', " then " or " between examples: two spaces before each "or".
  const shown = examples.map((e) => `'${e}', `).join(' or ');
  return `${message} (e.g. ${shown}regex used for validation is '${fmt}')`;
}

function maxLenError(length: number): string {
  return `must be no more than ${String(length)} characters`;
}

const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const LABEL_KEY_MSG =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

export function isDNS1123Label(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push(maxLenError(63));
  if (!dns1123Label.test(value)) {
    errs.push(
      dns1123Subdomain.test(value)
        ? 'must not contain dots'
        : regexError(LABEL_MSG, DNS1123_LABEL_FMT, 'my-name', '123-abc'),
    );
  }
  return errs;
}

export function isDNS1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 253) errs.push(maxLenError(253));
  if (!dns1123Subdomain.test(value)) {
    errs.push(regexError(SUBDOMAIN_MSG, DNS1123_SUBDOMAIN_FMT, 'example.com'));
  }
  return errs;
}

export function isValidPortName(port: string): string[] {
  const errs: string[] = [];
  if (port.length > 15) errs.push(maxLenError(15));
  if (!portNameCharset.test(port)) {
    errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  }
  if (!portNameLetter.test(port)) errs.push('must contain at least one letter (a-z)');
  if (port.includes('--')) errs.push('must not contain consecutive hyphens');
  if (port.startsWith('-') || port.endsWith('-')) errs.push('must not begin or end with a hyphen');
  return errs;
}

/** The relaxed rule the API server applies since RelaxedEnvironmentVariableValidation went GA. */
export function isEnvVarName(value: string): string[] {
  if (value === '') return ['environment variable name must be non-empty'];
  return relaxedEnvVarName.test(value)
    ? []
    : ["a valid environment variable name must consist only of printable ASCII characters other than '='"];
}

/** IsConfigMapKey: a key of a ConfigMap or Secret. */
export function isConfigMapKey(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 253) errs.push(maxLenError(253));
  if (!configKey.test(value)) {
    errs.push(
      regexError(
        "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
        CONFIG_KEY_FMT,
        'key.name',
        'KEY_NAME',
        'key-name',
      ),
    );
  }
  if (value === '.') errs.push("must not be '.'");
  else if (value === '..') errs.push("must not be '..'");
  else if (value.startsWith('..')) errs.push("must not start with '..'");
  return errs;
}

/**
 * A ConfigMap or Secret name (NameIsDNSSubdomain). As a prefix (envFrom), a trailing dash is allowed:
 * the server masks it before checking.
 */
function objectNameProblems(name: string, prefix: boolean): string[] {
  return isDNS1123Subdomain(prefix && name.endsWith('-') ? `${name.slice(0, -1)}a` : name);
}

export function isQualifiedName(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split('/');
  if (parts.length > 2) {
    return [
      `a valid label key ${regexError(LABEL_KEY_MSG, LABEL_KEY_FMT, 'MyName', 'my.name', '123-abc')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  const name = parts.length === 2 ? (parts[1] ?? '') : value;
  if (parts.length === 2) {
    const prefix = parts[0] ?? '';
    if (prefix === '') errs.push('prefix part must be non-empty');
    else errs.push(...isDNS1123Subdomain(prefix).map((m) => `prefix part ${m}`));
  }
  if (name === '') errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push(`name part ${maxLenError(63)}`);
  if (!labelKeyName.test(name)) {
    errs.push(`name part ${regexError(LABEL_KEY_MSG, LABEL_KEY_FMT, 'MyName', 'my.name', '123-abc')}`);
  }
  return errs;
}

export function isLabelValue(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push(maxLenError(63));
  if (!labelValue.test(value)) {
    errs.push(regexError(LABEL_VALUE_MSG, LABEL_VALUE_FMT, 'MyValue', 'my_value', '12345'));
  }
  return errs;
}

// ---------------------------------------------------------------------------------------------------------
// field.Error formatting.

/** `%q` for strings, `%v` for numbers and booleans, JSON for anything else, as field.Error prints values. */
function badValue(value: unknown): string {
  if (typeof value === 'string') return goQuote(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const json = JSON.stringify(value) as string | undefined; // undefined for undefined, despite the typing
  return json ?? 'null';
}

const invalid = (path: string, value: unknown, detail: string): string =>
  `${path}: Invalid value: ${badValue(value)}: ${detail}`;
const required = (path: string, detail = ''): string =>
  `${path}: Required value${detail === '' ? '' : `: ${detail}`}`;
const duplicate = (path: string, value: unknown): string => `${path}: Duplicate value: ${badValue(value)}`;
const notFound = (path: string, value: unknown): string => `${path}: Not found: ${badValue(value)}`;
const forbidden = (path: string, detail: string): string => `${path}: Forbidden: ${detail}`;
const notSupported = (path: string, value: unknown, supported: string[]): string =>
  `${path}: Unsupported value: ${badValue(value)}: supported values: ${supported.map(goQuote).join(', ')}`;

/**
 * The message the API server would give for a Job it rejects with these problems (a StatusError's text), for
 * reporting our own pre-flight rejection in the same shape.
 */
export function invalidJobMessage(name: string, problems: readonly string[]): string {
  const detail = problems.length === 1 ? (problems[0] ?? '') : `[${problems.join(', ')}]`;
  return `Job.batch ${goQuote(name)} is invalid: ${detail}`;
}

// ---------------------------------------------------------------------------------------------------------
// Reading possibly malformed JSON without trusting its shape: a patch may have put anything anywhere.

function asObject(value: unknown): JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : {};
}

function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function asString(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/**
 * Volume source fields in the order the server's validateVolumeSource counts them, with the path it reports a
 * surplus source under (two of which are misspelt upstream).
 */
const VOLUME_SOURCES: readonly (readonly [field: string, reportedAs: string])[] = [
  ['emptyDir', 'emptyDir'],
  ['hostPath', 'hostPath'],
  ['gitRepo', 'gitRepo'],
  ['gcePersistentDisk', 'gcePersistentDisk'],
  ['awsElasticBlockStore', 'awsElasticBlockStore'],
  ['secret', 'secret'],
  ['nfs', 'nfs'],
  ['iscsi', 'iscsi'],
  ['glusterfs', 'glusterfs'],
  ['flocker', 'flocker'],
  ['persistentVolumeClaim', 'persistentVolumeClaim'],
  ['rbd', 'rbd'],
  ['cinder', 'cinder'],
  ['cephfs', 'cephFS'],
  ['quobyte', 'quobyte'],
  ['downwardAPI', 'downwarAPI'],
  ['fc', 'fc'],
  ['flexVolume', 'flexVolume'],
  ['configMap', 'configMap'],
  ['azureFile', 'azureFile'],
  ['vsphereVolume', 'vsphereVolume'],
  ['photonPersistentDisk', 'photonPersistentDisk'],
  ['portworxVolume', 'portworxVolume'],
  ['azureDisk', 'azureDisk'],
  ['storageos', 'storageos'],
  ['projected', 'projected'],
  ['scaleIO', 'scaleIO'],
  ['csi', 'csi'],
  ['ephemeral', 'ephemeral'],
  ['image', 'image'],
];

// ---------------------------------------------------------------------------------------------------------

/**
 * Problems in a Job (a `V1Job` as plain JSON), in roughly the order the API server reports them; empty when
 * none of our checks fail. Never throws, whatever the Job holds.
 */
export function validateJob(job: unknown): string[] {
  const problems: string[] = [];
  const root = asObject(job);
  const metadata = asObject(root.metadata);
  const spec = asObject(root.spec);
  const template = asObject(spec.template);
  const templateMeta = asObject(template.metadata);
  const podSpec = asObject(template.spec);

  const name = asString(metadata.name);
  if (name === '' && asString(metadata.generateName) === '') {
    problems.push(required('metadata.name', 'name or generateName is required'));
  } else if (name !== '') {
    for (const msg of isDNS1123Subdomain(name)) problems.push(invalid('metadata.name', name, msg));
  }
  validateMetadataMaps(metadata, 'metadata', problems);

  for (const field of ['backoffLimit', 'ttlSecondsAfterFinished'] as const) {
    const value = spec[field];
    if (typeof value === 'number' && value < 0) {
      problems.push(invalid(`spec.${field}`, value, 'must be greater than or equal to 0'));
    }
  }

  // The server reports a template's metadata without the `metadata` step (ObjectMeta is embedded in Go).
  validateMetadataMaps(templateMeta, 'spec.template', problems);
  // The API server copies the Job name into the pods' job-name labels, whose values are limited to 63.
  if (name.length > 63) {
    problems.push(invalid('spec.template.labels', name, maxLenError(63)));
  }

  validatePodSpec(podSpec, 'spec.template.spec', problems);

  // Batch validation: unset (defaulted to Always) or Always is "required", anything else unknown is
  // rejected twice, by the pod template rules and by the Job rules.
  const restartPolicy = asString(podSpec.restartPolicy);
  const path = 'spec.template.spec.restartPolicy';
  if (restartPolicy === '' || restartPolicy === 'Always') {
    problems.push(required(path, 'valid values: "OnFailure", "Never"'));
  } else if (restartPolicy !== 'OnFailure' && restartPolicy !== 'Never') {
    problems.push(notSupported(path, restartPolicy, ['Always', 'OnFailure', 'Never']));
    problems.push(notSupported(path, restartPolicy, ['OnFailure', 'Never']));
  }
  return problems;
}

function validateMetadataMaps(metadata: JsonObject, path: string, problems: string[]): void {
  for (const [key, value] of Object.entries(asObject(metadata.labels))) {
    for (const msg of isQualifiedName(key)) problems.push(invalid(`${path}.labels`, key, msg));
    for (const msg of isLabelValue(asString(value))) {
      problems.push(invalid(`${path}.labels`, value, msg));
    }
  }
  for (const key of Object.keys(asObject(metadata.annotations))) {
    for (const msg of isQualifiedName(key.toLowerCase())) {
      problems.push(invalid(`${path}.annotations`, key, msg));
    }
  }
}

function validatePodSpec(podSpec: JsonObject, path: string, problems: string[]): void {
  const volumes = validateVolumes(asList(podSpec.volumes), `${path}.volumes`, problems);

  const containers = asList(podSpec.containers);
  if (containers.length === 0) problems.push(required(`${path}.containers`));
  const names = new Set<string>();
  containers.forEach((container, i) => {
    const at = `${path}.containers[${String(i)}]`;
    const containerName = validateContainer(asObject(container), at, volumes, problems);
    if (names.has(containerName)) problems.push(duplicate(`${at}.name`, containerName));
    else names.add(containerName);
  });
  asList(podSpec.initContainers).forEach((container, i) => {
    const at = `${path}.initContainers[${String(i)}]`;
    const containerName = validateContainer(asObject(container), at, volumes, problems);
    if (names.has(containerName)) problems.push(duplicate(`${at}.name`, containerName));
    else if (containerName !== '') names.add(containerName);
  });
  if (asList(podSpec.ephemeralContainers).length > 0) {
    problems.push(
      forbidden(`${path}.ephemeralContainers`, 'ephemeral containers not allowed in pod template'),
    );
  }
  // A negative terminationGracePeriodSeconds is no mistake here: the server keeps it in a pod template and
  // turns it into 1 when the pod is created.
}

/** Returns the names of the volumes that passed, the only ones a mount may refer to (as on the server). */
function validateVolumes(volumes: unknown[], path: string, problems: string[]): Set<string> {
  const valid = new Set<string>();
  volumes.forEach((entry, i) => {
    const volume = asObject(entry);
    const at = `${path}[${String(i)}]`;
    const name = asString(volume.name);
    const found: string[] = [];
    const sources = VOLUME_SOURCES.filter(([field]) => volume[field] !== undefined && volume[field] !== null);
    // A volume without a source is no mistake: the API server defaults it to emptyDir before validating.
    for (const [, reportedAs] of sources.slice(1)) {
      found.push(forbidden(`${at}.${reportedAs}`, 'may not specify more than 1 volume type'));
    }
    if (name === '') found.push(required(`${at}.name`));
    else for (const msg of isDNS1123Label(name)) found.push(invalid(`${at}.name`, name, msg));
    if (valid.has(name)) found.push(duplicate(`${at}.name`, name));
    if (found.length === 0) valid.add(name);
    problems.push(...found);
  });
  return valid;
}

function validateContainer(
  container: JsonObject,
  path: string,
  volumes: ReadonlySet<string>,
  problems: string[],
): string {
  const name = asString(container.name);
  if (name === '') problems.push(required(`${path}.name`));
  else for (const msg of isDNS1123Label(name)) problems.push(invalid(`${path}.name`, name, msg));

  const portNames = new Set<string>();
  asList(container.ports).forEach((entry, i) => {
    const port = asObject(entry);
    const at = `${path}.ports[${String(i)}]`;
    const portName = asString(port.name);
    if (portName !== '') {
      const msgs = isValidPortName(portName);
      for (const msg of msgs) problems.push(invalid(`${at}.name`, portName, msg));
      if (msgs.length === 0 && portNames.has(portName)) problems.push(duplicate(`${at}.name`, portName));
      else portNames.add(portName);
    }
    const number = port.containerPort;
    if (number === undefined || number === 0) problems.push(required(`${at}.containerPort`));
    else if (typeof number !== 'number' || !Number.isInteger(number) || number < 1 || number > 65535) {
      problems.push(invalid(`${at}.containerPort`, number, 'must be between 1 and 65535, inclusive'));
    }
  });

  if (asString(container.image) === '') problems.push(required(`${path}.image`));

  asList(container.env).forEach((entry, i) => {
    const env = asObject(entry);
    const envName = asString(env.name);
    const at = `${path}.env[${String(i)}]`;
    if (envName === '') problems.push(required(`${at}.name`));
    else for (const msg of isEnvVarName(envName)) problems.push(invalid(`${at}.name`, envName, msg));
    const valueFrom = asObject(env.valueFrom);
    for (const source of ['configMapKeyRef', 'secretKeyRef'] as const) {
      if (valueFrom[source] !== undefined) {
        problems.push(...keySelectorProblems(asObject(valueFrom[source]), `${at}.valueFrom.${source}`));
      }
    }
  });

  asList(container.envFrom).forEach((entry, i) => {
    const envFrom = asObject(entry);
    const at = `${path}.envFrom[${String(i)}]`;
    const prefix = asString(envFrom.prefix);
    if (prefix !== '') {
      for (const msg of isEnvVarName(prefix)) problems.push(invalid(`${at}.prefix`, prefix, msg));
    }
    const sources = (['configMapRef', 'secretRef'] as const).filter((s) => envFrom[s] !== undefined);
    for (const source of sources) {
      const name = asString(asObject(envFrom[source]).name);
      if (name === '') problems.push(required(`${at}.${source}.name`));
      else
        for (const msg of objectNameProblems(name, true))
          problems.push(invalid(`${at}.${source}.name`, name, msg));
    }
    // The server reports these under the list path, without the index.
    if (sources.length === 0) {
      problems.push(invalid(`${path}.envFrom`, '', 'must specify one of: `configMapRef` or `secretRef`'));
    } else if (sources.length > 1) {
      problems.push(invalid(`${path}.envFrom`, '', 'may not have more than one field specified at a time'));
    }
  });

  const mountPaths = new Set<string>();
  asList(container.volumeMounts).forEach((entry, i) => {
    const mount = asObject(entry);
    const at = `${path}.volumeMounts[${String(i)}]`;
    const volume = asString(mount.name);
    const mountPath = asString(mount.mountPath);
    if (volume === '') problems.push(required(`${at}.name`));
    if (!volumes.has(volume)) problems.push(notFound(`${at}.name`, volume));
    if (mountPath === '') problems.push(required(`${at}.mountPath`));
    if (mountPaths.has(mountPath)) problems.push(invalid(`${at}.mountPath`, mountPath, 'must be unique'));
    mountPaths.add(mountPath);
    const subPath = asString(mount.subPath);
    const subPathExpr = asString(mount.subPathExpr);
    // The server reports these two under the list path, without the index.
    if (subPath !== '') problems.push(...descendingPath(subPath, `${path}.volumeMounts.subPath`));
    if (subPathExpr !== '') {
      if (subPath !== '') {
        problems.push(
          invalid(`${at}.subPathExpr`, subPathExpr, 'subPathExpr and subPath are mutually exclusive'),
        );
      }
      problems.push(...descendingPath(subPathExpr, `${path}.volumeMounts.subPathExpr`));
    }
  });
  return name;
}

/** validateSecretKeySelector / validateConfigMapKeySelector. */
function keySelectorProblems(selector: JsonObject, path: string): string[] {
  const problems: string[] = [];
  const name = asString(selector.name);
  for (const msg of objectNameProblems(name, false)) problems.push(invalid(`${path}.name`, name, msg));
  const key = asString(selector.key);
  if (key === '') problems.push(required(`${path}.key`));
  else for (const msg of isConfigMapKey(key)) problems.push(invalid(`${path}.key`, key, msg));
  return problems;
}

/** validateLocalDescendingPath: relative, and no `..` element. */
function descendingPath(target: string, path: string): string[] {
  const problems: string[] = [];
  if (target.startsWith('/')) problems.push(invalid(path, target, 'must be a relative path'));
  if (target.split('/').includes('..')) problems.push(invalid(path, target, "must not contain '..'"));
  return problems;
}
