import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBench } from './run.js';

const ENTRY = resolve(import.meta.dirname, '../src/cli/entry.ts');

// Keeps the benchmark harness alive in the unit suite: a small steady run of the real controller as a
// child process (from source through tsx, so no build is needed). No timing is asserted.
describe('dispatch benchmark smoke run', () => {
  it('dispatches 20 jobs exactly once each and reports every figure', { timeout: 60_000 }, async () => {
    const result = await runBench({
      scenario: 'steady',
      jobs: 20,
      rate: 20,
      maxInFlight: 25,
      command: `${process.execPath} --import tsx ${ENTRY}`,
      active: 0,
      jobSeconds: 0,
      failEvery: 0,
      jobTtlSeconds: 0,
    });
    expect(result).toMatchObject({ scenario: 'steady', jobs: 20, duplicates: 0, lost: 0 });
    for (const value of Object.values(result.latencySeconds)) expect(value).toBeGreaterThan(0);
    expect(result.allDispatchedSeconds).toBeGreaterThan(0);
    expect(result.controller.peakRssMiB).toBeGreaterThan(0);
    expect(result.controller.cpuSeconds).toBeGreaterThanOrEqual(0);
    expect(result.harnessCpuSeconds).toBeGreaterThan(0);
    expect(result.kube).toBe('fake');
    // Counted by the proxy in front of the fake API server: one create per job, whatever else.
    expect(result.kubernetesRequestsPerJob['create jobs']).toBe(1);
    expect(result.buildkiteRequestsPerJob['show-job']).toBeGreaterThan(0);
    expect(result.podAgentRequestsPerJob['agent-finish']).toBe(1);
  });

  it('fails with the controller output when the controller cannot start', { timeout: 30_000 }, async () => {
    await expect(
      runBench({
        scenario: 'steady',
        jobs: 1,
        rate: 1,
        maxInFlight: 25,
        command: `sh -c 'echo no config for me >&2; exit 3'`,
        active: 0,
        jobSeconds: 0,
        failEvery: 0,
        jobTtlSeconds: 0,
      }),
    ).rejects.toThrow(/controller exited with 3:\nno config for me/);
  });
});
