/**
 * podSpecPatch (controller `pod-spec-patch` and the plugin's): the command/args guard for the stack's own
 * containers, conversion of command-container commands into BUILDKITE_COMMAND, then the strategic merge.
 */
import { containersOf, type Container, type EnvVar, type PodSpec } from './k8s.js';
import type { Interposer } from '../config/params.js';
import { interposedCommand } from './shellquote.js';
import { goRoundTrip, strategicMergePodSpec } from './smp.js';

export const BOOTSTRAP_COMMAND: readonly string[] = ['/workspace/tini-static'];
export const BOOTSTRAP_ARGS: readonly string[] = ['--', '/workspace/buildkite-agent', 'kubernetes-bootstrap'];

const NOT_SUPPORTED = 'modifying container commands or args via podSpecPatch is not supported';

export interface PatchOptions {
  /** The interposer for converted commands: the plugin's if set, else the controller default. */
  readonly interposer: Interposer | undefined;
  readonly allowUnsafeCommandModification: boolean;
}

export type PatchResult =
  { readonly ok: true; readonly spec: PodSpec } | { readonly ok: false; readonly error: string };

function sameList(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

function changesCommand(patch: Container, original: Container | undefined): boolean {
  if ((patch.command?.length ?? 0) === 0 && (patch.args?.length ?? 0) === 0) return false;
  return !(original && sameList(patch.command, original.command) && sameList(patch.args, original.args));
}

/** Applies `patch` to `original`; neither is modified. `error` is the text upstream wraps. */
export function patchPodSpec(original: PodSpec, patch: PodSpec, options: PatchOptions): PatchResult {
  const unsafe = options.allowUnsafeCommandModification;
  const originalInit = new Map((original.initContainers ?? []).map((c) => [c.name, c]));
  for (const c of patch.initContainers ?? []) {
    if (!changesCommand(c, originalInit.get(c.name)) || unsafe) continue;
    if (c.name === 'copy-agent' || c.name.startsWith('imagecheck-')) {
      return { ok: false, error: `for the ${c.name} container, ${NOT_SUPPORTED}` };
    }
  }
  const originalContainers = new Map(original.containers.map((c) => [c.name, c]));
  // A patch without containers must not delete them (upstream gives it an empty list).
  const containers: Container[] = [];
  for (const c of containersOf(patch)) {
    const before = originalContainers.get(c.name);
    if (!changesCommand(c, before)) {
      containers.push(c);
      continue;
    }
    if (c.name === 'agent') {
      if (!unsafe) return { ok: false, error: `for the agent container, ${NOT_SUPPORTED}` };
      containers.push(c);
      continue;
    }
    if (c.name === 'checkout') {
      if (!unsafe) {
        return {
          ok: false,
          error: `for the checkout container, ${NOT_SUPPORTED}; instead consider configuring a checkout hook or skipping the checkout container entirely`,
        };
      }
      containers.push(c);
      continue;
    }
    const isCommandContainer =
      before !== undefined &&
      sameList(before.command, BOOTSTRAP_COMMAND) &&
      sameList(before.args, BOOTSTRAP_ARGS);
    if (!isCommandContainer) {
      containers.push(c);
      continue;
    }
    // The bootstrap stays the entrypoint; the new command reaches it as BUILDKITE_COMMAND.
    const command = interposedCommand(options.interposer, c.command ?? [], c.args ?? []);
    const { command: _command, args: _args, ...rest } = c;
    const env: EnvVar[] = [...(c.env ?? []), { name: 'BUILDKITE_COMMAND', value: command }];
    containers.push({ ...rest, env });
  }
  // The patch as upstream's Go struct sees it (zero values it cannot hold dropped), directives kept.
  const goPatch = goRoundTrip({ ...patch, containers }, { keepDirectives: true });
  const merged = strategicMergePodSpec(original, goPatch);
  if (!merged.ok) return { ok: false, error: `error applying strategic patch: ${merged.error}` };
  return { ok: true, spec: merged.value };
}
