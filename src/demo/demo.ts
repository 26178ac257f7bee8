/**
 * The demo: the Buildkite simulator, the fake Kubernetes API with its Job controller, and the real
 * controller in-process, fed a sample pipeline that uses the kubernetes plugin. A pod agent plays the
 * agent in each pod; the demo reports every event and a summary of where each job ended.
 */
import { KUBERNETES_PLUGIN_KEY as KUBERNETES_PLUGIN } from '../podspec/plugins.js';
import { randomBytes } from 'node:crypto';
import { startBuildkiteSim, type BuildkiteSim } from '../../sim/buildkite/server.js';
import type { SimJob } from '../../sim/buildkite/model.js';
import { loadConfig } from '../config/load.js';
import { runController } from '../controller.js';
import { UUID_LABEL } from '../podspec/labels.js';
import { createLogger } from '../observability/logger.js';
import { startFakeTier } from './fake-cluster.js';
import { PodAgent, type AgentPlan, type PodAgentEvent } from './pod-agent.js';

const QUEUE = 'demo';
const BAD_IMAGE = 'registry.invalid/does-not-exist:1.0';

export interface DemoSummary {
  readonly jobs: number;
  readonly created: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly cancelled: number;
  readonly duplicates: number;
  readonly lost: number;
  readonly dispatch_latency_seconds: { readonly p50: number; readonly p99: number };
}

export interface DemoResult {
  readonly summary: DemoSummary;
  /** Every job reached the end state expected of it. */
  readonly ok: boolean;
  /** Jobs that did not, one line each. */
  readonly unexpected: readonly string[];
}

export interface DemoOptions {
  readonly jobs: number;
  /** One line per event; not called when absent. */
  readonly print?: (line: string) => void;
  /** Upper bound on the run. */
  readonly timeoutMs?: number;
}

type Role = 'plain' | 'podSpec' | 'sidecar' | 'resourceClass' | 'failing' | 'badImage' | 'cancelled';

interface SampleStep {
  readonly role: Role;
  readonly label: string;
  readonly priority: number;
  readonly agentQueryRules: readonly string[];
  readonly plugin: object | undefined;
}

/** The sample pipeline, cycled to fill N jobs; the bad-image and cancelled steps come once each. */
export function samplePipeline(jobs: number): SampleStep[] {
  const special: SampleStep[] = [
    step('badImage', ':boom: bad image', 0, {
      podSpec: { containers: [{ image: BAD_IMAGE, command: ['make test'] }] },
    }),
    step('cancelled', ':no_entry: cancelled before it starts', 0, undefined),
  ];
  const cycle: SampleStep[] = [
    step('plain', ':hammer: build', 5, undefined),
    step('podSpec', ':golang: go test (podSpec)', 3, {
      podSpec: { containers: [{ image: 'golang:1.26', command: ['go test ./...'] }] },
    }),
    step('sidecar', ':postgres: integration (sidecar)', 3, {
      sidecars: [{ image: 'postgres:17', env: [{ name: 'POSTGRES_PASSWORD', value: 'demo' }] }],
    }),
    {
      ...step('resourceClass', ':muscle: large (resource class)', 1, undefined),
      agentQueryRules: [`queue=${QUEUE}`, 'resource_class=large'],
    },
    step('failing', ':x: flaky test (exits 1)', 0, undefined),
  ];
  const steps = jobs >= special.length + 1 ? [...special] : [];
  for (let i = 0; steps.length < jobs; i++) steps.push(cycle[i % cycle.length] as SampleStep);
  return steps;
}

function step(role: Role, label: string, priority: number, plugin: object | undefined): SampleStep {
  return { role, label, priority, agentQueryRules: [`queue=${QUEUE}`], plugin };
}

const CONFIG = (sim: BuildkiteSim): string =>
  [
    `agent-config: {endpoint: "${sim.agentEndpoint}"}`,
    `queue: ${QUEUE}`,
    'poll-interval: 1s',
    'max-in-flight: 10',
    'image-pull-backoff-grace-period: 1s',
    'job-cancel-checker-poll-interval: 1s',
    'resource-classes:',
    '  large: {resource: {requests: {cpu: "4", memory: 8Gi}, limits: {memory: 8Gi}}}',
  ].join('\n');

interface Tracked {
  readonly step: SampleStep;
  readonly job: SimJob;
  kubeJobs: number;
  createdAt: number | undefined;
  podPending: string | undefined;
}

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const started = Date.now();
  const print = (text: string): void => {
    options.print?.(`+${((Date.now() - started) / 1000).toFixed(2).padStart(6)}s  ${text}`);
  };
  const agentToken = `bkct_demo_${randomBytes(8).toString('hex')}`;
  const sim = await startBuildkiteSim({ agentToken, rateLimits: false });
  const kube = await startFakeTier({ agentToken });
  const shutdown = new AbortController();
  const agentStop = new AbortController();
  try {
    const tracked = new Map<string, Tracked>();
    const short = (id: string): string => id.slice(0, 8);
    for (const sample of samplePipeline(options.jobs)) {
      const job = sim.createJob({
        command: sample.role === 'failing' ? 'exit 1' : 'make test',
        agentQueryRules: sample.agentQueryRules,
        priority: sample.priority,
        queue: QUEUE,
        ...(sample.plugin === undefined
          ? {}
          : { env: { BUILDKITE_PLUGINS: JSON.stringify([{ [KUBERNETES_PLUGIN]: sample.plugin }]) } }),
      });
      tracked.set(job.id, { step: sample, job, kubeJobs: 0, createdAt: undefined, podPending: undefined });
      print(`buildkite  job ${short(job.id)} scheduled: ${sample.label} (priority ${sample.priority})`);
    }

    const unsubscribe = kube.onJobChange(({ type, job }) => {
      const entry = tracked.get(job.metadata.labels?.[UUID_LABEL] ?? '');
      if (entry === undefined || type !== 'ADDED') return;
      entry.kubeJobs++;
      entry.createdAt ??= Date.now();
      print(`kubernetes Job ${job.metadata.name ?? ''} created for ${short(entry.job.id)}`);
    });

    const agent = new PodAgent({
      endpoint: sim.agentEndpoint,
      agentToken,
      pods: kube.pods,
      plan: (uuid): AgentPlan => {
        const role = tracked.get(uuid)?.step.role;
        if (role === 'badImage' || role === 'cancelled') return { kind: 'absent' };
        return { kind: 'run', exitStatus: role === 'failing' ? 1 : 0 };
      },
      onEvent: (event) => {
        onPodEvent(event);
      },
    });
    const onPodEvent = (event: PodAgentEvent): void => {
      const entry = tracked.get(event.pod.jobUuid);
      const id = short(event.pod.jobUuid);
      if (event.kind === 'pod') {
        print(`kubernetes pod ${event.pod.name} Pending`);
        if (entry === undefined) return;
        entry.podPending = event.pod.name;
        // Kubelet's side of the two special jobs: the image never arrives; the user cancels.
        if (entry.step.role === 'badImage') {
          void kube.pods
            .imagePullFailure(event.pod, 'container-0', 'ErrImagePull')
            .then(() => {
              print(`kubernetes pod ${event.pod.name}: container-0 ErrImagePull (${BAD_IMAGE})`);
            })
            .catch((error: unknown) => {
              print(`demo: could not mark the image pull failure: ${String(error)}`);
            });
        } else if (entry.step.role === 'cancelled') {
          sim.cancelJob(entry.job.id);
          print(`buildkite  job ${id} cancelled by a user while its pod is Pending`);
        }
      } else if (event.kind === 'acquired') print(`agent      acquired ${id} in pod ${event.pod.name}`);
      else if (event.kind === 'finished') print(`agent      finished ${id}: exit ${event.exitStatus}`);
      else print(`agent      could not acquire ${id}: ${event.reason}`);
    };
    const agentRun = agent.run(agentStop.signal);

    const loaded = loadConfig({ configPath: 'demo.yaml', readFile: () => CONFIG(sim) });
    if (!loaded.ok) throw new Error(`demo config is invalid: ${loaded.errors.join('; ')}`);
    const logs: string[] = [];
    const controller = runController({
      config: loaded.config,
      logger: createLogger({ format: 'json', level: 'warn', write: (line) => logs.push(line) }),
      kubeConfig: kube.kubeConfig,
      signal: shutdown.signal,
      version: 'demo',
      onReady: () => {
        print('controller ready: polling the demo queue');
      },
    });

    const reported = new Set<string>();
    /** Pod phase by job, from one listing per round (listing per job would be quadratic). */
    const podPhases = async (): Promise<ReadonlyMap<string, string>> =>
      new Map((await kube.pods.list()).map((p) => [p.jobUuid, p.phase]));
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    let pending: Tracked[] = [...tracked.values()];
    while (Date.now() < deadline) {
      for (const entry of tracked.values()) reportEnd(entry, reported, print);
      const phases = await podPhases();
      pending = [...tracked.values()].filter((entry) => expected(entry, phases) !== undefined);
      if (pending.length === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    shutdown.abort();
    const end = await controller;
    agentStop.abort();
    await agentRun;
    unsubscribe();

    const unexpected: string[] = [];
    const phases = await podPhases();
    for (const entry of pending) {
      unexpected.push(`${short(entry.job.id)} ${entry.step.label}: ${expected(entry, phases) ?? ''}`);
    }
    if (end.code !== 0) unexpected.push(`controller exited ${end.code}: ${end.reason}`);
    for (const error of agent.errors) unexpected.push(`agent: ${error}`);
    return { summary: summarise(tracked), ok: unexpected.length === 0, unexpected };
  } finally {
    shutdown.abort();
    agentStop.abort();
    await kube.close();
    await sim.close();
  }
}

/** Undefined when the job is where it should end; else what is still missing. */
function expected(entry: Tracked, podPhases: ReadonlyMap<string, string>): string | undefined {
  const job = entry.job;
  switch (entry.step.role) {
    case 'badImage':
      return job.state === 'finished' && job.detail !== null ? undefined : 'not failed with a reason yet';
    case 'cancelled':
      if (job.state !== 'canceled') return `state ${job.state}, not canceled`;
      if (entry.kubeJobs !== 1) return 'no Kubernetes Job';
      return podPhases.has(job.id) ? 'pod not deleted' : undefined;
    case 'failing':
      return job.state === 'finished' && job.exitStatus === '1' ? undefined : `state ${job.state}`;
    default:
      return job.state === 'finished' && job.exitStatus === '0' ? undefined : `state ${job.state}`;
  }
}

function reportEnd(entry: Tracked, reported: Set<string>, print: (line: string) => void): void {
  const job = entry.job;
  if (reported.has(job.id) || (job.state !== 'finished' && job.state !== 'canceled')) return;
  reported.add(job.id);
  const id = job.id.slice(0, 8);
  if (job.state === 'canceled') print(`buildkite  job ${id} canceled`);
  else if (job.finishedBy === 'stack') {
    print(`buildkite  job ${id} failed by the controller: ${(job.detail ?? '').split('\n')[0] ?? ''}`);
  } else print(`buildkite  job ${id} finished: exit ${String(job.exitStatus)}`);
}

function summarise(tracked: ReadonlyMap<string, Tracked>): DemoSummary {
  const entries = [...tracked.values()];
  const latencies = entries
    .flatMap((e) => (e.createdAt === undefined ? [] : [(e.createdAt - e.job.createdAt) / 1000]))
    .sort((a, b) => a - b);
  return {
    jobs: entries.length,
    created: entries.filter((e) => e.kubeJobs > 0).length,
    succeeded: entries.filter((e) => e.job.state === 'finished' && e.job.exitStatus === '0').length,
    failed: entries.filter((e) => e.job.state === 'finished' && e.job.exitStatus !== '0').length,
    cancelled: entries.filter((e) => e.job.state === 'canceled').length,
    duplicates: entries.filter((e) => e.kubeJobs > 1).length,
    lost: entries.filter((e) => e.kubeJobs === 0 && e.job.detail === null).length,
    dispatch_latency_seconds: { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) },
  };
}

/** Nearest-rank quantile; 0 for no samples. */
function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return Math.round((sorted[index] ?? 0) * 1000) / 1000;
}
