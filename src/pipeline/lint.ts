/**
 * The pipeline linter: checks every `kubernetes` plugin block (in every command step, groups included)
 * strictly against the plugin's shape, the same one the JSON schema is generated from, and flags mistakes
 * the controller would only report when the job runs, or silently ignore.
 */
import '../config/params.js';
import { decode, isPlainObject, shapeOf, type FieldType, type PathSegment } from '../config/shape.js';
import { parsePipelineYaml, type PipelineError } from './document.js';
import { parseImageReference } from '../podspec/image-ref.js';
import { KUBERNETES_PLUGIN_KEY } from '../podspec/plugins.js';
import { jobsOf } from './jobs.js';
import { describePath, type PluginEntry } from './steps.js';
import { editDistance } from '../config/edit-distance.js';

export interface LintFinding extends PipelineError {
  readonly severity: 'error' | 'warning';
}

/** `ok: false` when the file is not YAML at all; otherwise every finding, in file order. */
export type LintResult = { ok: true; findings: LintFinding[] } | { ok: false; errors: PipelineError[] };

export function lintPipeline(text: string, options: { file: string }): LintResult {
  const parsed = parsePipelineYaml(text, options);
  if (!parsed.ok) return parsed;
  const { document } = parsed;
  const { steps, errors } = jobsOf(document);
  const findings: LintFinding[] = errors.map((error) => ({ ...error, severity: 'error' }));
  const report = (severity: LintFinding['severity'], path: readonly PathSegment[], message: string): void => {
    findings.push({
      file: document.file,
      ...document.positionOf(path),
      severity,
      message: `${describePath(path)}${message}`,
    });
  };
  // The step's `image:` (or the pipeline's, which every step inherits) replaces the command containers' image.
  if (isPlainObject(document.value)) lintImage(document.value.image, ['image'], report);
  for (const step of steps) {
    lintImage(step.fields.image, [...step.path, 'image'], report);
    let seen = false;
    for (const plugin of step.plugins) {
      if (plugin.source === KUBERNETES_PLUGIN_KEY) {
        if (seen) {
          report(
            'warning',
            plugin.path,
            'a second kubernetes plugin in this step; its fields overwrite the first',
          );
        }
        seen = true;
        lintKubernetesPlugin(plugin, report);
      } else if (misnamesKubernetes(plugin)) {
        report(
          'warning',
          plugin.path,
          `the controller only recognises the plugin written exactly "kubernetes"; "${plugin.name}" is an ordinary plugin to it and this config is not applied`,
        );
      }
    }
  }
  return { ok: true, findings: findings.sort((a, b) => a.line - b.line || a.col - b.col) };
}

type Report = (severity: LintFinding['severity'], path: readonly PathSegment[], message: string) => void;

function lintKubernetesPlugin(plugin: PluginEntry, report: Report): void {
  const { config, path } = plugin;
  if (config === null) return;
  if (!isPlainObject(config)) {
    report('error', path, `the kubernetes plugin's config must be a mapping, got ${kindOf(config)}`);
    return;
  }
  lintShape(config, path, report);
  lintOverrides(config, path, report);
  lintImages(config, path, report);
  const patch = field(config, 'podSpecPatch');
  if (patch !== undefined && isPlainObject(patch[1])) lintPatch(patch[1], [...path, patch[0]], report);
}

/**
 * Image references of the containers the plugin gives: the controller fails the job on a bad one in podSpec or
 * sidecars, and a bad one set by podSpecPatch leaves the pod stuck with InvalidImageName.
 */
function lintImages(config: Record<string, unknown>, path: readonly PathSegment[], report: Report): void {
  const lists: [string, string][] = [
    ['podSpec', 'containers'],
    ['podSpec', 'initContainers'],
    ['podSpecPatch', 'containers'],
    ['podSpecPatch', 'initContainers'],
  ];
  const containerLists: [readonly PathSegment[], unknown][] = [];
  for (const [specName, listName] of lists) {
    const spec = field(config, specName);
    if (spec === undefined || !isPlainObject(spec[1])) continue;
    const list = field(spec[1], listName);
    if (list !== undefined) containerLists.push([[...path, spec[0], list[0]], list[1]]);
  }
  const sidecars = field(config, 'sidecars');
  if (sidecars !== undefined) containerLists.push([[...path, sidecars[0]], sidecars[1]]);
  for (const [listPath, list] of containerLists) {
    if (!Array.isArray(list)) continue;
    list.forEach((container: unknown, index) => {
      if (!isPlainObject(container)) return;
      const image = field(container, 'image');
      if (image !== undefined) lintImage(image[1], [...listPath, index, image[0]], report);
    });
  }
}

/** An image reference the controller would fail the job over (other types are reported elsewhere). */
function lintImage(image: unknown, path: readonly PathSegment[], report: Report): void {
  if (typeof image !== 'string' || image === '') return;
  const parsed = parseImageReference(image);
  if (!parsed.ok) report('error', path, `${parsed.error} ${JSON.stringify(image)}`);
}

/** The config against the plugin's shape, as strictly as the JSON schema. */
function lintShape(config: Record<string, unknown>, path: readonly PathSegment[], report: Report): void {
  const decoded = decode({ kind: 'object', shape: 'KubernetesPlugin' }, config, { mode: 'strict', path });
  if (!decoded.ok) {
    for (const issue of decoded.issues) {
      // Strategic-merge directives inside podSpecPatch are honoured by the controller; checked below.
      if (isPatchDirective(issue.path.slice(path.length))) continue;
      const hint = issue.message === 'unknown field' ? suggestion(issue.path.slice(path.length)) : '';
      report('error', issue.path, `${issue.message}${hint}`);
    }
  }
  for (const [at, canonical] of miscasedFields({ kind: 'object', shape: 'KubernetesPlugin' }, config, path)) {
    report(
      'warning',
      at,
      `write "${canonical}": the controller matches field names ignoring case, but the JSON schema and Kubernetes tools do not`,
    );
  }
}

/** Settings that are valid but that the controller ignores or overrides. */
function lintOverrides(config: Record<string, unknown>, path: readonly PathSegment[], report: Report): void {
  const podSpec = field(config, 'podSpec');
  const podTemplate = field(config, 'podTemplate');
  if (podSpec?.[1] != null && podTemplate?.[1] != null) {
    report(
      'warning',
      [...path, podTemplate[0]],
      'podSpec and podTemplate are both set; podSpec wins and podTemplate is ignored',
    );
  }

  const deadline = field(config, 'jobActiveDeadlineSeconds');
  if (typeof deadline?.[1] === 'number' && deadline[1] <= 0) {
    report(
      'warning',
      [...path, deadline[0]],
      "ignored: only a value above 0 overrides the controller's job-active-deadline-seconds",
    );
  }

  // The controller sets restartPolicy: Never after building the pod and before applying podSpecPatch.
  const podSpecRestart =
    podSpec !== undefined && isPlainObject(podSpec[1]) ? field(podSpec[1], 'restartPolicy') : undefined;
  if (podSpecRestart !== undefined && podSpecRestart[1] !== null && podSpecRestart[1] !== '') {
    report(
      'warning',
      [...path, podSpec?.[0] ?? 'podSpec', podSpecRestart[0]],
      'ignored: the controller always sets restartPolicy: Never (use podSpecPatch to choose OnFailure)',
    );
  }
}

/** What the controller or Kubernetes would refuse in podSpecPatch. */
function lintPatch(patch: Record<string, unknown>, path: readonly PathSegment[], report: Report): void {
  const restart = field(patch, 'restartPolicy');
  if (restart?.[1] === 'Always') {
    report('error', [...path, restart[0]], "a Job's pod must have restartPolicy OnFailure or Never");
  }
  for (const [at, message] of directiveProblems(patch, path)) report('error', at, message);
  for (const [listName, guarded] of [
    ['containers', (name: string) => name === 'agent' || name === 'checkout'],
    ['initContainers', (name: string) => name === 'copy-agent' || name.startsWith('imagecheck-')],
  ] as const) {
    const list = field(patch, listName);
    if (list === undefined || !Array.isArray(list[1])) continue;
    for (const [index, container] of list[1].entries()) {
      if (!isPlainObject(container)) continue;
      const name = field(container, 'name')?.[1];
      if (typeof name !== 'string' || !guarded(name)) continue;
      const changed = ['command', 'args'].map((key) => field(container, key)).find(isNonEmptyList);
      if (changed === undefined) continue;
      report('error', [...path, list[0], index, changed[0]], guardMessage(name));
    }
  }
}

/** The controller's own refusal (podSpecPatch guard), plus how an operator can lift it. */
function guardMessage(name: string): string {
  const hint =
    name === 'checkout'
      ? '; instead consider configuring a checkout hook or skipping the checkout container entirely'
      : '';
  return `for the ${name} container, modifying container commands or args via podSpecPatch is not supported${hint} (the job fails unless the controller sets allow-pod-spec-patch-unsafe-command-modification)`;
}

function isNonEmptyList(entry: [string, unknown] | undefined): entry is [string, unknown[]] {
  return entry !== undefined && Array.isArray(entry[1]) && entry[1].length > 0;
}

/** A field by its canonical name, matched as Go does: exactly first, then ignoring case. */
function field(object: Record<string, unknown>, name: string): [string, unknown] | undefined {
  if (name in object) return [name, object[name]];
  const key = Object.keys(object).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : [key, object[key]];
}

function misnamesKubernetes(plugin: PluginEntry): boolean {
  return plugin.source.toLowerCase().replace(/#.*$/, '') === KUBERNETES_PLUGIN_KEY;
}

function kindOf(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'string' ? 'a string' : `a ${typeof value}`;
}

/** `; did you mean "imagePullPolicy"?` for a misspelt field at `path` inside the plugin config, or nothing. */
function suggestion(path: readonly PathSegment[]): string {
  let type: FieldType = { kind: 'object', shape: 'KubernetesPlugin' };
  for (const segment of path.slice(0, -1)) {
    const next: FieldType | undefined =
      type.kind === 'object'
        ? shapeOf(type.shape).fields.get(String(segment))
        : type.kind === 'array' || type.kind === 'map'
          ? type.of
          : undefined;
    if (next === undefined) return '';
    type = next;
  }
  const written = String(path.at(-1)).toLowerCase();
  if (type.kind !== 'object') return '';
  let best: { name: string; distance: number } | undefined;
  for (const name of shapeOf(type.shape).fields.keys()) {
    const distance = editDistance(written, name.toLowerCase());
    if (distance <= Math.max(2, Math.floor(name.length / 4)) && distance < (best?.distance ?? Infinity)) {
      best = { name, distance };
    }
  }
  return best === undefined ? '' : `; did you mean "${best.name}"?`;
}

/** Fields written in another letter case than their canonical name (`PodSpec` for `podSpec`). */
function miscasedFields(
  type: FieldType,
  value: unknown,
  path: readonly PathSegment[],
): [PathSegment[], string][] {
  if (type.kind === 'array' && Array.isArray(value)) {
    return value.flatMap((item, index) => miscasedFields(type.of, item, [...path, index]));
  }
  if (!isPlainObject(value)) return [];
  if (type.kind === 'map') {
    return Object.entries(value).flatMap(([key, item]) => miscasedFields(type.of, item, [...path, key]));
  }
  if (type.kind !== 'object') return [];
  const fields = shapeOf(type.shape).fields;
  const found: [PathSegment[], string][] = [];
  for (const [key, item] of Object.entries(value)) {
    const canonical = fields.has(key)
      ? key
      : [...fields.keys()].find((f) => f.toLowerCase() === key.toLowerCase());
    const fieldType = canonical === undefined ? undefined : fields.get(canonical);
    if (canonical === undefined || fieldType === undefined) continue;
    if (canonical !== key) found.push([[...path, key], canonical]);
    found.push(...miscasedFields(fieldType, item, [...path, key]));
  }
  return found;
}

const PATCH_VALUES = ['merge', 'replace', 'delete'];

function isPatchDirective(path: readonly PathSegment[]): boolean {
  const last = path.at(-1);
  return path[0] === 'podSpecPatch' && typeof last === 'string' && last.startsWith('$');
}

/** Malformed strategic-merge directives (`$patch`, `$retainKeys`, …) anywhere inside podSpecPatch. */
function directiveProblems(value: unknown, path: readonly PathSegment[]): [PathSegment[], string][] {
  if (Array.isArray(value)) return value.flatMap((item, index) => directiveProblems(item, [...path, index]));
  if (!isPlainObject(value)) return [];
  const problems: [PathSegment[], string][] = [];
  for (const [key, item] of Object.entries(value)) {
    const at = [...path, key];
    if (!key.startsWith('$')) problems.push(...directiveProblems(item, at));
    else if (key === '$patch') {
      if (typeof item !== 'string' || !PATCH_VALUES.includes(item)) {
        problems.push([at, `must be one of ${PATCH_VALUES.join(', ')}`]);
      }
    } else if (key === '$retainKeys' || /^\$(setElementOrder|deleteFromPrimitiveList)\/./.test(key)) {
      if (!Array.isArray(item)) problems.push([at, 'must be a list']);
    } else {
      problems.push([
        at,
        'unknown strategic-merge directive; use $patch, $retainKeys, $setElementOrder/<field> or $deleteFromPrimitiveList/<field>',
      ]);
    }
  }
  return problems;
}
