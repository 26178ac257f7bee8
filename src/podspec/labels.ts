/** Agent tags from query rules, and the Job's labels and annotations (upstream §2.10 order). */
import type { ObjectMeta } from '../kube/types.js';
import { VERSION } from '../version.js';
import { isLabelValue, isQualifiedName } from './validate.js';

export const UUID_LABEL = 'buildkite.com/job-uuid';
export const CONTROLLER_ID_LABEL = 'buildkite.com/controller-id';
const TAG_LABEL_PREFIX = 'tag.buildkite.com/';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The Buildkite job UUID from the object's label, or undefined when missing or not a UUID. */
export function jobUuidOf(object: { metadata?: ObjectMeta }): string | undefined {
  const value = object.metadata?.labels?.[UUID_LABEL];
  return value !== undefined && UUID_PATTERN.test(value) ? value.toLowerCase() : undefined;
}

/**
 * `k=v` rules as a map (split at the first `=`, rules without `=` skipped, later duplicates win but keep
 * the first position), so output built from it is in the job's own order.
 */
export function tagMap(rules: readonly string[]): Map<string, string> {
  const tags = new Map<string, string>();
  for (const rule of rules) {
    const eq = rule.indexOf('=');
    if (eq !== -1) tags.set(rule.slice(0, eq), rule.slice(eq + 1));
  }
  return tags;
}

/**
 * `BUILDKITE_AGENT_TAGS`: the stack version first, then the job's tags in rule order (upstream iterates a Go
 * map, so its order is random; a job tag with the same key replaces the version value).
 */
export function agentTagsEnv(tags: ReadonlyMap<string, string>): string {
  const all = new Map<string, string>([['k8s:agent-stack-version', VERSION]]);
  for (const [key, value] of tags) all.set(key, value);
  return [...all].map(([key, value]) => `${key}=${value}`).join(',');
}

/** Tag labels; tags whose key or value is not a valid label are skipped (upstream only logs them). */
export function tagLabels(tags: ReadonlyMap<string, string>): [string, string][] {
  const out: [string, string][] = [];
  for (const [key, value] of tags) {
    const label = TAG_LABEL_PREFIX + key;
    if (isQualifiedName(label).length > 0 || isLabelValue(value).length > 0) continue;
    out.push([label, value]);
  }
  return out;
}

/** Go `url.Parse(buildURL)` with the fragment set to the job uuid, for the common cases. */
export function jobUrl(buildUrl: string, uuid: string): string | undefined {
  for (let i = 0; i < buildUrl.length; i++) {
    const code = buildUrl.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return undefined;
  }
  const hash = buildUrl.indexOf('#');
  return `${hash === -1 ? buildUrl : buildUrl.slice(0, hash)}#${uuid}`;
}

/** A map with keys in sorted order, as Go's JSON encoder writes maps. */
export function sortedRecord(entries: Iterable<[string, string]>): Record<string, string> {
  const map = new Map(entries);
  const out: Record<string, string> = {};
  for (const key of [...map.keys()].sort()) out[key] = map.get(key) ?? '';
  return out;
}
