/**
 * Resource classes (upstream scheduler/resource.go, config/resource_class.go): the job's `resource_class`
 * tag, or the configured default, names container resources, pod resources and a node selector.
 */
import type { Container, PodSpec, ResourceRequirements } from './k8s.js';
import type { ResourceClass } from './k8s.js';
import { hasEnv } from './env.js';

export type ResourceClassChoice =
  | { readonly ok: true; readonly resourceClass: ResourceClass | undefined }
  | { readonly ok: false; readonly error: string };

/** Picks the class for the job's tags; errors are the build error texts upstream uses. */
export function chooseResourceClass(
  classes: Readonly<Record<string, ResourceClass>> | undefined,
  defaultName: string,
  tags: ReadonlyMap<string, string>,
): ResourceClassChoice {
  const configured = classes !== undefined && Object.keys(classes).length > 0;
  const tagged = tags.get('resource_class');
  if (tagged !== undefined) {
    if (!configured)
      return { ok: false, error: 'resource classes not configured but resource_class tag specified' };
    const found = Object.hasOwn(classes, tagged) ? classes[tagged] : undefined;
    return found
      ? { ok: true, resourceClass: found }
      : { ok: false, error: `resource class not found: ${tagged}` };
  }
  if (defaultName === '') return { ok: true, resourceClass: undefined };
  if (!configured)
    return { ok: false, error: 'resource classes not configured but default-resource-class-name is set' };
  const found = Object.hasOwn(classes, defaultName) ? classes[defaultName] : undefined;
  return found
    ? { ok: true, resourceClass: found }
    : { ok: false, error: `default resource class not found: ${defaultName}` };
}

/**
 * Applies a class to the pod: node selector keys merged (class wins), `resource` onto every command
 * container (those with a BUILDKITE_COMMAND env var), `podResource` onto the pod. Returns a new spec.
 */
export function applyResourceClass(podSpec: PodSpec, resourceClass: ResourceClass | undefined): PodSpec {
  if (resourceClass === undefined) return podSpec;
  const out: PodSpec = { ...podSpec };
  const selector = resourceClass.nodeSelector;
  if (selector !== undefined && Object.keys(selector).length > 0) {
    out.nodeSelector = { ...podSpec.nodeSelector, ...selector };
  }
  const resource = resourceClass.resource;
  if (resource !== undefined) {
    out.containers = podSpec.containers.map((c: Container) =>
      hasEnv(c, 'BUILDKITE_COMMAND') ? { ...c, resources: mergeResources(c.resources, resource) } : c,
    );
  }
  if (resourceClass.podResource !== undefined) {
    out.resources = mergeResources(podSpec.resources, resourceClass.podResource);
  }
  return out;
}

// Both maps exist afterwards (possibly empty), as upstream initialises them before copying keys.
function mergeResources(
  current: ResourceRequirements | undefined,
  from: ResourceRequirements,
): ResourceRequirements {
  return {
    ...current,
    limits: { ...current?.limits, ...from.limits },
    requests: { ...current?.requests, ...from.requests },
  };
}
