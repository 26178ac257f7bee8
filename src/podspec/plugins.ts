/**
 * Reading the `kubernetes` plugin out of a job's `BUILDKITE_PLUGINS` env, leniently like upstream's
 * `ParseJob`: unknown fields are ignored, type errors fail the job with Go's wording.
 */
import type { KubernetesPlugin } from './k8s.js';
import '../config/params.js';
import { decode, isPlainObject } from '../config/shape.js';
import { goJsonSyntaxError } from './go-json.js';

/** The key Buildkite gives the `kubernetes` plugin once it has normalised the pipeline. */
export const KUBERNETES_PLUGIN_KEY = 'github.com/buildkite-plugins/kubernetes-buildkite-plugin';

export const PROHIBITED_MESSAGE =
  'the kubernetes plugin is prohibited by this controller, but was configured on this job';

export type PluginParse =
  | { readonly ok: true; readonly plugin: KubernetesPlugin | undefined }
  | { readonly ok: false; readonly error: string };

/**
 * Finds and decodes the kubernetes plugin. `error` is the text after `agent-stack-k8s failed to parse the
 * job: `. Several kubernetes entries merge into one (later fields win, a `null` entry resets), as Go's
 * decoder does when it decodes each into the same struct.
 */
export function parsePlugins(pluginsJson: string | undefined, prohibited: boolean): PluginParse {
  if (pluginsJson === undefined || pluginsJson === '') return { ok: true, plugin: undefined };
  let entries: unknown;
  try {
    entries = JSON.parse(pluginsJson);
  } catch {
    const syntax = goJsonSyntaxError(pluginsJson) ?? 'unexpected end of JSON input';
    return { ok: false, error: `failed parsing plugins: ${syntax}` };
  }
  if (entries === null) return { ok: true, plugin: undefined };
  if (!Array.isArray(entries)) {
    return {
      ok: false,
      error: `failed parsing plugins: ${typeError(entries, '[]map[string]json.RawMessage')}`,
    };
  }
  for (const entry of entries) {
    if (entry !== null && !isPlainObject(entry)) {
      return {
        ok: false,
        error: `failed parsing plugins: ${typeError(entry, 'map[string]json.RawMessage')}`,
      };
    }
  }
  let plugin: KubernetesPlugin | undefined;
  for (const entry of entries as (Record<string, unknown> | null)[]) {
    const keys = entry === null ? [] : Object.keys(entry);
    if (keys.length !== 1) return { ok: false, error: `found invalid plugin: ${goMapText(entry ?? {})}` };
    if (entry === null || !(KUBERNETES_PLUGIN_KEY in entry)) continue;
    if (prohibited) return { ok: false, error: PROHIBITED_MESSAGE };
    const value = entry[KUBERNETES_PLUGIN_KEY];
    if (value === null) {
      plugin = undefined;
      continue;
    }
    const decoded = decode({ kind: 'object', shape: 'KubernetesPlugin' }, value, { mode: 'go' });
    if (!decoded.ok) {
      const message = decoded.issues[0]?.message ?? 'invalid plugin';
      return { ok: false, error: `failed parsing Kubernetes plugin: ${message}` };
    }
    keepPatchDirectives(value, decoded.value);
    plugin =
      plugin === undefined
        ? (decoded.value as KubernetesPlugin)
        : (mergeDecoded(plugin, decoded.value) as KubernetesPlugin);
  }
  return { ok: true, plugin };
}

function typeError(value: unknown, goType: string): string {
  const kind = Array.isArray(value)
    ? 'array'
    : typeof value === 'boolean'
      ? 'bool'
      : typeof value === 'object'
        ? 'object'
        : typeof value;
  return `json: cannot unmarshal ${kind} into Go value of type ${goType}`;
}

/** Go's `%v` of a `map[string]json.RawMessage`: sorted keys, each value as its bytes in decimal. */
function goMapText(entry: Record<string, unknown>): string {
  const encoder = new TextEncoder();
  const parts = Object.keys(entry)
    .sort()
    .map((key) => `${key}:[${encoder.encode(JSON.stringify(entry[key])).join(' ')}]`);
  return `map[${parts.join(' ')}]`;
}

/** Decoding into an already-filled struct: objects merge key by key, everything else is replaced. */
function mergeDecoded(target: unknown, source: unknown): unknown {
  if (!isPlainObject(target) || !isPlainObject(source)) return source;
  const out: Record<string, unknown> = { ...target };
  for (const [key, value] of Object.entries(source)) out[key] = mergeDecoded(out[key], value);
  return out;
}

/**
 * Puts the strategic-merge directives (`$patch`, `$retainKeys`, `$setElementOrder/…`,
 * `$deleteFromPrimitiveList/…`) of the raw `podSpecPatch` back into the decoded one, where the lenient
 * decoder dropped them as unknown fields. Upstream loses them the same way; we honour them.
 */
function keepPatchDirectives(raw: unknown, decoded: unknown): void {
  if (!isPlainObject(raw) || !isPlainObject(decoded)) return;
  const key = Object.keys(raw).find((k) => k.toLowerCase() === 'podspecpatch');
  if (key !== undefined) copyDirectives(raw[key], decoded.podSpecPatch);
}

function copyDirectives(raw: unknown, decoded: unknown): void {
  if (Array.isArray(raw) && Array.isArray(decoded)) {
    raw.forEach((item, i) => {
      copyDirectives(item, decoded[i]);
    });
    return;
  }
  if (!isPlainObject(raw) || !isPlainObject(decoded)) return;
  for (const [key, value] of Object.entries(raw)) {
    if (key.startsWith('$')) {
      decoded[key] = value;
      continue;
    }
    const folded = key.toLowerCase();
    const target =
      Object.keys(decoded).find((k) => k === key) ??
      Object.keys(decoded).find((k) => k.toLowerCase() === folded);
    if (target !== undefined) copyDirectives(value, decoded[target]);
  }
}
