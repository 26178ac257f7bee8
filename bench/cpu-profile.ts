/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`): where the controller's main thread spent its CPU,
 * by module, by function (self time) and by the outermost project frame of each stack (which part of the
 * controller the work belongs to).
 *
 * Counts samples rather than summing their time deltas: on a loaded machine a thread that is descheduled
 * between two samples gets the whole gap charged to whatever it ran next, so deltas measure wall time.
 *
 *   node dist/bench/cpu-profile.js <file.cpuprofile> [--top 25] [--project dist/src/]
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

export interface Share {
  readonly name: string;
  readonly samples: number;
  /** Of the busy (non-idle) samples. */
  readonly percent: number;
}

export interface ProfileSummary {
  readonly busySamples: number;
  readonly idleSamples: number;
  readonly byModule: readonly Share[];
  readonly byFunction: readonly Share[];
  readonly byEntry: readonly Share[];
}

/** A file URL as a short name: `node_modules/<package>`, a path below `root`, or a `node:` builtin. */
function moduleOf(url: string, root: string): string {
  if (url === '') return '(native)';
  const nodeModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nodeModules?.[1] !== undefined) return `node_modules/${nodeModules[1]}`;
  const at = url.indexOf(root);
  return at >= 0 ? url.slice(at) : url;
}

function frameName(node: ProfileNode, root: string): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const name = functionName === '' ? '(anonymous)' : functionName;
  return url === '' ? name : `${name} ${moduleOf(url, root)}:${String(lineNumber + 1)}`;
}

function ranked(counts: Map<string, number>, busy: number, top: number): Share[] {
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, samples]) => ({ name, samples, percent: busy === 0 ? 0 : (100 * samples) / busy }));
}

/** `project` marks the frames that are ours (a path fragment of their URL, e.g. `dist/src/`). */
export function summariseProfile(
  profile: CpuProfile,
  options: { project: string; top: number },
): ProfileSummary {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const hits = new Map<number, number>();
  for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);

  const byModule = new Map<string, number>();
  const byFunction = new Map<string, number>();
  const byEntry = new Map<string, number>();
  let busy = 0;
  let idle = 0;
  const add = (map: Map<string, number>, key: string, n: number): void => {
    map.set(key, (map.get(key) ?? 0) + n);
  };
  for (const [id, n] of hits) {
    const leaf = nodes.get(id);
    if (leaf === undefined) continue;
    if (leaf.callFrame.functionName === '(idle)') {
      idle += n;
      continue;
    }
    busy += n;
    add(byModule, moduleOf(leaf.callFrame.url, options.project), n);
    add(byFunction, frameName(leaf, options.project), n);
    // Root first: the outermost project frame, or else the two frames under the root (GC, stream events, ...).
    const stack: ProfileNode[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parents.get(at)) {
      const frame = nodes.get(at);
      if (frame !== undefined) stack.unshift(frame);
    }
    const entry = stack.find((frame) => frame.callFrame.url.includes(options.project));
    const outside = stack
      .slice(1, 3)
      .map((frame) => frameName(frame, options.project))
      .join(' > ');
    add(byEntry, entry === undefined ? `not ours: ${outside}` : frameName(entry, options.project), n);
  }
  return {
    busySamples: busy,
    idleSamples: idle,
    byModule: ranked(byModule, busy, options.top),
    byFunction: ranked(byFunction, busy, options.top),
    byEntry: ranked(byEntry, busy, options.top),
  };
}

/** The profile in `text`, or why it is not one. */
export function parseProfile(text: string): { ok: true; profile: CpuProfile } | { ok: false; error: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `not JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  const candidate = value as Partial<CpuProfile> | null;
  if (
    candidate === null ||
    typeof candidate !== 'object' ||
    !Array.isArray(candidate.nodes) ||
    !Array.isArray(candidate.samples)
  ) {
    return { ok: false, error: 'not a V8 CPU profile (no nodes and samples)' };
  }
  return { ok: true, profile: candidate as CpuProfile };
}

function printShares(title: string, shares: readonly Share[]): void {
  console.log(`\n${title}`);
  for (const share of shares) {
    console.log(
      `${String(share.samples).padStart(8)} ${share.percent.toFixed(1).padStart(5)} %  ${share.name}`,
    );
  }
}

function main(argv: readonly string[]): void {
  const program = new Command()
    .argument('<profile>', 'a .cpuprofile written by node --cpu-prof')
    .option('--top <n>', 'rows per table', '25')
    .option('--project <fragment>', 'URL fragment of our own frames', 'dist/src/')
    .parse(argv);
  const [file] = program.args;
  const options = program.opts<{ top: string; project: string }>();
  const parsed = parseProfile(readFileSync(file ?? '', 'utf8'));
  if (!parsed.ok) {
    console.error(`${file ?? ''}: ${parsed.error}`);
    process.exitCode = 1;
    return;
  }
  const { profile } = parsed;
  const summary = summariseProfile(profile, { project: options.project, top: Number(options.top) });
  const seconds = (profile.endTime - profile.startTime) / 1e6;
  console.log(
    `${String(summary.busySamples)} busy and ${String(summary.idleSamples)} idle samples over ${seconds.toFixed(1)} s`,
  );
  printShares('self, by module', summary.byModule);
  printShares('self, by function', summary.byFunction);
  printShares('by outermost project frame (the part of the controller the work belongs to)', summary.byEntry);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main(process.argv);
