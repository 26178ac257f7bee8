/** How Buildkite names plugins in `BUILDKITE_PLUGINS`. */

/**
 * The full source Buildkite records for a plugin name as written in a pipeline (the agent's pipeline parser
 * does this at upload): `foo#v1` -> `github.com/buildkite-plugins/foo-buildkite-plugin#v1`,
 * `org/foo` -> `github.com/org/foo-buildkite-plugin`; paths, URLs and longer names are kept as written.
 */
export function fullPluginSource(name: string): string {
  if (name === '' || /^[/.\\]/.test(name)) return name;
  // A scheme (`https://…`, `ssh://…`, `C:\…`) means the author wrote the whole location.
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(name)) return name;
  const hash = name.indexOf('#');
  const ref = hash === -1 ? '' : name.slice(hash + 1);
  // Go's URL parser drops a query and refuses a colon in the first path segment (scp-style git remotes).
  const path = (hash === -1 ? name : name.slice(0, hash)).replace(/\?.*$/, '');
  const parts = path.split('/');
  if (parts[0]?.includes(':') === true) return name;
  const repo = (plugin: string): string => `${plugin}-buildkite-plugin${ref === '' ? '' : `#${ref}`}`;
  const [first = '', second = ''] = parts;
  if (parts.length === 1) return `github.com/buildkite-plugins/${repo(first)}`;
  if (parts.length === 2) return `github.com/${first}/${repo(second)}`;
  return name;
}
