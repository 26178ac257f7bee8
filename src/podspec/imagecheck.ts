/**
 * Pull policies and `imagecheck-N` init containers (upstream scheduler/imagecheck.go): every image a
 * managed container runs is pulled first by a tiny init container, so a bad image fails the job before the
 * agent starts, unless an init container already pulls it with an equal or stronger policy.
 */
import type { Container } from './k8s.js';
import { invalidImageReferences, parseImageReference, type ContainerImage } from './image-ref.js';

export type PullPolicy = '' | 'Always' | 'IfNotPresent' | 'Never';

const PREFERENCE: Readonly<Record<string, number>> = { Never: 1, IfNotPresent: 2, Always: 3 };

function preference(policy: string | undefined): number {
  return PREFERENCE[policy ?? ''] ?? 0;
}

/** `IfNotPresent` for an image pinned by digest (it cannot change), else `Always`. */
export function defaultPullPolicy(image: string): PullPolicy {
  const parsed = parseImageReference(image);
  return parsed.ok && parsed.reference.digest !== undefined ? 'IfNotPresent' : 'Always';
}

function firstSet(...policies: (string | undefined)[]): string {
  for (const policy of policies) if (policy !== undefined && policy !== '') return policy;
  return '';
}

export interface ImageCheckOptions {
  readonly defaultPullPolicy: PullPolicy;
  readonly defaultCheckPullPolicy: PullPolicy;
}

export interface ImageSelection {
  /** Image -> pull policy of its check, in order of first appearance. */
  readonly checks: Map<string, string>;
  /** The build error text (after the build prefix) when any image reference is invalid. */
  readonly invalid: string | null;
}

/**
 * Sets the pull policy of each managed container and picks the images to check. `imageOf` gives the
 * image a container will really run (the step `image:` replaces command-container images later).
 * Containers are replaced in `containers` (never mutated: they may be shared with a template).
 */
export function selectImageChecks(
  containers: Container[],
  initContainers: readonly Container[],
  imageOf: (container: Container) => string,
  options: ImageCheckOptions,
): ImageSelection {
  const images: ContainerImage[] = [];
  const checks = new Map<string, string>();
  let allValid = true;
  for (const [index, container] of containers.entries()) {
    const image = imageOf(container);
    images.push({ container: container.name, image });
    const parsed = parseImageReference(image);
    if (!parsed.ok) {
      allValid = false;
      continue;
    }
    const digestDefault = parsed.reference.digest !== undefined ? 'IfNotPresent' : 'Always';
    const own = container.imagePullPolicy;
    const nominal = firstSet(own, options.defaultCheckPullPolicy, options.defaultPullPolicy, digestDefault);
    let policy = firstSet(own, options.defaultPullPolicy, digestDefault);
    // The check has just pulled the image, so the container need not pull it again.
    if (nominal === 'Always' && policy === 'Always') policy = 'IfNotPresent';
    containers[index] = { ...container, imagePullPolicy: policy };
    const known = checks.get(image);
    if (known === undefined || preference(nominal) > preference(known)) checks.set(image, nominal);
  }
  for (const init of initContainers) {
    images.push({ container: init.name, image: init.image ?? '' });
    if (!parseImageReference(init.image ?? '').ok) {
      allValid = false;
      continue;
    }
    const known = checks.get(init.image ?? '');
    if (known !== undefined && preference(init.imagePullPolicy) >= preference(known)) {
      checks.delete(init.image ?? '');
    }
  }
  return { checks, invalid: allValid ? null : invalidImageReferences(images) };
}

export interface ImageCheckContainerOptions {
  readonly workspaceMount: { name: string; mountPath: string; subPathExpr?: string };
  readonly cpuLimit: string;
  readonly memoryLimit: string;
}

/** One `imagecheck-<n>` init container per image, numbered in order of first appearance. */
export function imageCheckContainers(
  checks: ReadonlyMap<string, string>,
  options: ImageCheckContainerOptions,
): Container[] {
  const out: Container[] = [];
  for (const [image, policy] of checks) {
    out.push({
      name: `imagecheck-${out.length}`,
      image,
      command: ['/workspace/tini-static'],
      args: ['--version'],
      resources: {
        limits: { cpu: options.cpuLimit, memory: options.memoryLimit },
        requests: { cpu: '100m', memory: '64Mi' },
      },
      volumeMounts: [{ ...options.workspaceMount }],
      imagePullPolicy: policy,
    });
  }
  return out;
}
