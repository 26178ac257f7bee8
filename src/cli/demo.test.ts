import { describe, expect, it } from 'vitest';
import { samplePipeline } from '../demo/demo.js';
import { main, type CliIO } from './main.js';

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: {} };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

describe('demo', () => {
  it('--jobs 6 --json: one JSON object, every job created once, nothing lost', async () => {
    const { code, stdout, stderr } = await run(['demo', '--jobs', '6', '--json']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout.trim().split('\n')).toHaveLength(1);
    const summary = JSON.parse(stdout) as Record<string, unknown> & {
      dispatch_latency_seconds: { p50: number; p99: number };
    };
    // Six jobs: bad image, cancelled, and four that run to exit 0.
    expect(summary).toMatchObject({
      jobs: 6,
      created: 6,
      succeeded: 4,
      failed: 1,
      cancelled: 1,
      duplicates: 0,
      lost: 0,
    });
    expect(Object.keys(summary)).toEqual([
      'jobs',
      'created',
      'succeeded',
      'failed',
      'cancelled',
      'duplicates',
      'lost',
      'dispatch_latency_seconds',
    ]);
    const { p50, p99 } = summary.dispatch_latency_seconds;
    expect(p50).toBeGreaterThan(0);
    expect(p99).toBeGreaterThanOrEqual(p50);
  });

  it('prints a line per event and a summary without --json', async () => {
    const { code, stdout } = await run(['demo', '--jobs', '2']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/controller ready/);
    expect(stdout).toMatch(/kubernetes Job buildkite-[0-9a-f-]+ created/);
    expect(stdout).toMatch(/agent {6}finished [0-9a-f]{8}: exit 0/);
    expect(stdout).toContain(
      'jobs 2: 2 Kubernetes Jobs created, 2 succeeded, 0 failed, 0 cancelled; 0 duplicates, 0 lost',
    );
    expect(stdout).toContain('every job ended as expected');
  });

  it('rejects a job count that is not a positive integer, starting nothing', async () => {
    const { code, stderr } = await run(['demo', '--jobs', 'none']);
    expect(code).toBe(2);
    expect(stderr).toContain(
      "option '--jobs <n>' argument 'none' is invalid. must be an integer from 1 to 10000",
    );
  });
});

describe('samplePipeline', () => {
  it('has the bad-image and cancelled jobs once, then cycles the kubernetes plugin steps', () => {
    const roles = samplePipeline(9).map((s) => s.role);
    expect(roles).toEqual([
      'badImage',
      'cancelled',
      'plain',
      'podSpec',
      'sidecar',
      'resourceClass',
      'failing',
      'plain',
      'podSpec',
    ]);
    expect(samplePipeline(2).map((s) => s.role)).toEqual(['plain', 'podSpec']);
  });
});
