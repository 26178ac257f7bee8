/** Agent tags: the controller's tag map, the queue it serves, and matching a job's query rules to it. */

/** Queue keys that mean "the cluster's default queue". */
export const DEFAULT_QUEUE = '_default';
const DEFAULT_QUEUE_ALIASES = new Set([DEFAULT_QUEUE, '~', '-']);

/** `["queue=k8s", "os=linux"]` -> Map. Config validation guarantees every entry has `=`. */
export function parseTags(tags: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const tag of tags) {
    const at = tag.indexOf('=');
    if (at > 0) map.set(tag.slice(0, at), tag.slice(at + 1));
  }
  return map;
}

/** The queue served: the `queue` key, else the `queue` tag, else the default queue. */
export function resolveQueue(queueKey: string, tags: ReadonlyMap<string, string>): string {
  return queueKey || tags.get('queue') || DEFAULT_QUEUE;
}

/**
 * A job's query rules as the controller sees them: on the default queue the `queue` rule is dropped,
 * otherwise it is set to the served queue (jobs listed for this queue belong to it whatever they say).
 */
export function normaliseRules(rules: readonly string[], queue: string): string[] {
  const isQueueRule = (rule: string): boolean => rule.startsWith('queue=');
  if (DEFAULT_QUEUE_ALIASES.has(queue)) return rules.filter((rule) => !isQueueRule(rule));
  const queueRule = `queue=${queue}`;
  const out: string[] = [];
  for (const rule of rules) {
    if (!isQueueRule(rule)) out.push(rule);
    else if (!out.includes(queueRule)) out.push(queueRule);
  }
  if (!out.includes(queueRule)) out.push(queueRule);
  return out;
}

export type TagMatch = { readonly matches: true } | { readonly matches: false; readonly reason: string };

/**
 * Every job tag except `resource_class` must be one of the controller's tags with an equal value, or
 * the job's value is `*`. Extra controller tags are fine. Rules without `=` are ignored.
 */
export function matchJobTags(
  controllerTags: ReadonlyMap<string, string>,
  rules: readonly string[],
): TagMatch {
  for (const rule of rules) {
    const at = rule.indexOf('=');
    if (at <= 0) continue;
    const key = rule.slice(0, at);
    const value = rule.slice(at + 1);
    if (key === 'resource_class' || value === '*') continue;
    const ours = controllerTags.get(key);
    if (ours === undefined) return { matches: false, reason: `the controller has no tag ${key}` };
    if (ours !== value)
      return { matches: false, reason: `tag ${key}=${value} does not match ${key}=${ours}` };
  }
  return { matches: true };
}
