import { describe, expect, it } from 'vitest';
import { parseProfile, summariseProfile, type CpuProfile } from './cpu-profile.js';

const frame = (functionName: string, url: string, lineNumber = 0) => ({ functionName, url, lineNumber });
const OURS = 'file:///app/dist/src';

// (root) -> readWatch (ours) -> parseKubeJson (ours) -> JSON.parse (native)
//        -> processTicks (node) -> request (undici)
//        -> (idle)
const profile: CpuProfile = {
  startTime: 0,
  endTime: 2_000_000,
  nodes: [
    { id: 1, callFrame: frame('(root)', ''), children: [2, 5, 7] },
    { id: 2, callFrame: frame('readWatch', `${OURS}/kube/client.js`, 9), children: [3] },
    { id: 3, callFrame: frame('parseKubeJson', `${OURS}/kube/json.js`), children: [4] },
    { id: 4, callFrame: frame('parse', '') },
    { id: 5, callFrame: frame('processTicks', 'node:internal/process/task_queues'), children: [6] },
    { id: 6, callFrame: frame('request', 'file:///app/node_modules/undici/lib/api/api-request.js') },
    { id: 7, callFrame: frame('(idle)', '') },
  ],
  samples: [4, 4, 4, 3, 6, 7, 7, 7, 7, 7],
};

describe('cpu profile summary', () => {
  it('counts samples, not time, and splits idle from busy', () => {
    const summary = summariseProfile(profile, { project: 'dist/src/', top: 10 });
    expect(summary.busySamples).toBe(5);
    expect(summary.idleSamples).toBe(5);
  });

  it('charges self time to functions and modules, and whole stacks to the outermost project frame', () => {
    const summary = summariseProfile(profile, { project: 'dist/src/', top: 10 });
    expect(summary.byFunction).toEqual([
      { name: 'parse', samples: 3, percent: 60 },
      { name: 'parseKubeJson dist/src/kube/json.js:1', samples: 1, percent: 20 },
      { name: 'request node_modules/undici:1', samples: 1, percent: 20 },
    ]);
    expect(summary.byModule.map((share) => [share.name, share.samples])).toEqual([
      ['(native)', 3],
      ['dist/src/kube/json.js', 1],
      ['node_modules/undici', 1],
    ]);
    expect(summary.byEntry.map((share) => [share.name, share.samples])).toEqual([
      ['readWatch dist/src/kube/client.js:10', 4],
      ['not ours: processTicks node:internal/process/task_queues:1 > request node_modules/undici:1', 1],
    ]);
  });

  it('keeps only the top rows', () => {
    const summary = summariseProfile(profile, { project: 'dist/src/', top: 1 });
    expect(summary.byFunction).toHaveLength(1);
  });

  it('says why a file is not a profile', () => {
    const broken = parseProfile('{"nodes":');
    expect(broken.ok).toBe(false);
    expect(broken.ok ? '' : broken.error).toMatch(/^not JSON/);
    expect(parseProfile('{"nodes":[]}')).toEqual({
      ok: false,
      error: 'not a V8 CPU profile (no nodes and samples)',
    });
    expect(parseProfile(JSON.stringify(profile))).toEqual({ ok: true, profile });
  });
});
