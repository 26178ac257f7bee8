/**
 * In-memory state of the simulated Buildkite: queues, jobs, stacks, agent sessions. Every state
 * change goes through a method here so the HTTP layer stays a thin translation. Reservation expiry
 * is evaluated lazily against the injected clock, so tests can jump time without timers.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { JobState } from '../../src/buildkite/types.js';

export const DEFAULT_RESERVATION_SECONDS = 900;
export const MAX_RESERVATION_SECONDS = 3600;
/** Queue keys that mean "the cluster's default queue". */
const DEFAULT_QUEUE_ALIASES = new Set(['_default', '__default__']);

export interface SimQueue {
  readonly id: string;
  readonly key: string;
  paused: boolean;
}

export interface SimNotification {
  readonly detail: string;
  readonly timestamp: string;
}

export interface SimJob {
  readonly id: string;
  /** Creation order; breaks ties between equal timestamps. */
  readonly seq: number;
  readonly queueKey: string;
  state: JobState;
  readonly priority: number;
  readonly agentQueryRules: readonly string[];
  readonly command: string;
  readonly env: Readonly<Record<string, string>>;
  readonly createdAt: number;
  readonly scheduledAt: number;
  readonly pipeline: { readonly slug: string; readonly uuid: string };
  readonly build: { readonly uuid: string; readonly number: number; readonly branch: string };
  readonly stepKey: string | null;
  reservation: { stackKey: string; expiresAt: number } | null;
  exitStatus: number | string | null;
  detail: string | null;
  signalReason: string | null;
  finishedBy: 'stack' | 'agent' | 'cancel' | null;
  finishedAt: number | null;
  readonly notifications: SimNotification[];
  /** Log chunks by offset; uploads may arrive out of order. */
  readonly logChunks: Map<number, Buffer>;
  agentId: string | null;
  jobToken: string | null;
}

export interface SimStack {
  readonly key: string;
  readonly id: string;
  readonly type: string;
  readonly queueKey: string;
  metadata: Record<string, string>;
  state: 'connected' | 'disconnected';
  lastConnectedOn: number;
}

export interface SimAgent {
  readonly id: string;
  readonly name: string;
  readonly accessToken: string;
  readonly metaData: readonly string[];
  connected: boolean;
}

export interface NewJob {
  readonly command?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly agentQueryRules?: readonly string[];
  readonly priority?: number;
  /** Queue key; when absent, taken from a `queue=` rule, else the default queue. */
  readonly queue?: string;
  readonly pipelineSlug?: string;
  readonly branch?: string;
  readonly stepKey?: string;
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; status: number; message: string };

export interface BuildkiteModelOptions {
  readonly now: () => number;
  readonly organizationSlug: string;
  readonly defaultQueueKey: string;
}

export class BuildkiteModel {
  readonly jobs = new Map<string, SimJob>();
  readonly queues = new Map<string, SimQueue>();
  readonly stacks = new Map<string, SimStack>();
  readonly agents = new Map<string, SimAgent>();
  private readonly sessions = new Map<string, string>();
  private readonly jobTokens = new Map<string, string>();
  private seq = 0;
  private buildNumber = 0;
  private offsetMs = 0;

  constructor(private readonly options: BuildkiteModelOptions) {
    this.ensureQueue(options.defaultQueueKey);
  }

  now(): number {
    return this.options.now() + this.offsetMs;
  }

  /** Moves simulated time forward (reservation expiry, notification age checks). */
  advance(ms: number): void {
    this.offsetMs += ms;
  }

  get organizationSlug(): string {
    return this.options.organizationSlug;
  }

  ensureQueue(key: string): SimQueue {
    const resolved = this.resolveQueueKey(key);
    let queue = this.queues.get(resolved);
    if (queue === undefined) {
      queue = { id: randomUUID(), key: resolved, paused: false };
      this.queues.set(resolved, queue);
    }
    return queue;
  }

  resolveQueueKey(key: string): string {
    return DEFAULT_QUEUE_ALIASES.has(key) ? this.options.defaultQueueKey : key;
  }

  createJob(input: NewJob): SimJob {
    const rules = [...(input.agentQueryRules ?? [])];
    const ruleQueue = rules.find((r) => r.startsWith('queue='))?.slice('queue='.length);
    const queueKey = this.ensureQueue(input.queue ?? ruleQueue ?? this.options.defaultQueueKey).key;
    if (input.queue !== undefined && ruleQueue === undefined && queueKey !== this.options.defaultQueueKey) {
      rules.push(`queue=${queueKey}`);
    }
    const id = randomUUID();
    const now = this.now();
    const pipelineSlug = input.pipelineSlug ?? 'sim-pipeline';
    const branch = input.branch ?? 'main';
    const buildNumber = ++this.buildNumber;
    const buildUuid = randomUUID();
    const buildUrl = `https://buildkite.com/${this.options.organizationSlug}/${pipelineSlug}/builds/${buildNumber}`;
    const job: SimJob = {
      id,
      seq: ++this.seq,
      queueKey,
      state: 'scheduled',
      priority: input.priority ?? 0,
      agentQueryRules: rules,
      command: input.command ?? '',
      env: {
        BUILDKITE: 'true',
        CI: 'true',
        BUILDKITE_JOB_ID: id,
        BUILDKITE_BUILD_ID: buildUuid,
        BUILDKITE_BUILD_NUMBER: String(buildNumber),
        BUILDKITE_BUILD_URL: buildUrl,
        BUILDKITE_ORGANIZATION_SLUG: this.options.organizationSlug,
        BUILDKITE_PIPELINE_SLUG: pipelineSlug,
        BUILDKITE_PIPELINE_PROVIDER: 'git',
        BUILDKITE_REPO: '',
        BUILDKITE_COMMIT: 'HEAD',
        BUILDKITE_BRANCH: branch,
        BUILDKITE_COMMAND: input.command ?? '',
        BUILDKITE_LABEL: input.command ?? '',
        ...(input.stepKey === undefined ? {} : { BUILDKITE_STEP_KEY: input.stepKey }),
        ...(queueKey === this.options.defaultQueueKey ? {} : { BUILDKITE_AGENT_META_DATA_QUEUE: queueKey }),
        ...input.env,
      },
      createdAt: now,
      scheduledAt: now,
      pipeline: { slug: pipelineSlug, uuid: randomUUID() },
      build: { uuid: buildUuid, number: buildNumber, branch },
      stepKey: input.stepKey ?? null,
      reservation: null,
      exitStatus: null,
      detail: null,
      signalReason: null,
      finishedBy: null,
      finishedAt: null,
      notifications: [],
      logChunks: new Map(),
      agentId: null,
      jobToken: null,
    };
    this.jobs.set(id, job);
    return job;
  }

  /** The job with reservation expiry applied. */
  job(id: string): SimJob | undefined {
    const job = this.jobs.get(id);
    if (job !== undefined) this.expireReservation(job);
    return job;
  }

  private expireReservation(job: SimJob): void {
    if (job.state === 'reserved' && job.reservation !== null && job.reservation.expiresAt <= this.now()) {
      job.state = 'scheduled';
      job.reservation = null;
    }
  }

  /** Scheduled jobs of a queue, oldest first; reserved jobs are hidden until their reservation expires. */
  scheduledJobs(queueKey: string): SimJob[] {
    const key = this.resolveQueueKey(queueKey);
    const out: SimJob[] = [];
    for (const job of this.jobs.values()) {
      this.expireReservation(job);
      if (job.queueKey === key && job.state === 'scheduled') out.push(job);
    }
    return out.sort((a, b) => a.scheduledAt - b.scheduledAt || a.seq - b.seq);
  }

  registerStack(input: { key: string; type: string; queueKey: string; metadata: Record<string, string> }): {
    stack: SimStack;
    created: boolean;
  } {
    this.ensureQueue(input.queueKey);
    const existing = this.stacks.get(input.key);
    const stack: SimStack = {
      key: input.key,
      id: existing?.id ?? randomUUID(),
      type: input.type,
      queueKey: input.queueKey,
      metadata: input.metadata,
      state: 'connected',
      lastConnectedOn: this.now(),
    };
    this.stacks.set(input.key, stack);
    return { stack, created: existing === undefined };
  }

  /** Reserves each job that is scheduled (or already reserved by this stack, which extends it). */
  reserve(
    stackKey: string,
    jobIds: readonly string[],
    expirySeconds: number,
  ): { reserved: string[]; notReserved: string[] } {
    const reserved: string[] = [];
    const notReserved: string[] = [];
    const expiresAt = this.now() + expirySeconds * 1000;
    for (const id of jobIds) {
      const job = this.job(id);
      const mine = job?.state === 'reserved' && job.reservation?.stackKey === stackKey;
      if (job !== undefined && (job.state === 'scheduled' || mine)) {
        job.state = 'reserved';
        job.reservation = { stackKey, expiresAt };
        reserved.push(id);
      } else {
        notReserved.push(id);
      }
    }
    return { reserved, notReserved };
  }

  /** A stack gives up on a job it cannot run: only while no agent has it. */
  finishByStack(id: string, exitStatus: number, detail: string): Outcome<SimJob> {
    const job = this.job(id);
    if (job === undefined) return { ok: false, status: 404, message: 'Job not found' };
    if (job.state !== 'scheduled' && job.state !== 'reserved') {
      return {
        ok: false,
        status: 422,
        message: `Job is ${job.state} and can no longer be finished by a stack`,
      };
    }
    job.state = 'finished';
    job.reservation = null;
    job.exitStatus = exitStatus;
    job.detail = detail;
    job.signalReason = 'stack_error';
    job.finishedBy = 'stack';
    job.finishedAt = this.now();
    return { ok: true, value: job };
  }

  /** Cancels a job as the UI would: immediately when no agent has it, else via `canceling`. */
  cancel(id: string): Outcome<SimJob> {
    const job = this.job(id);
    if (job === undefined) return { ok: false, status: 404, message: 'Job not found' };
    if (job.state === 'scheduled' || job.state === 'reserved' || job.state === 'assigned') {
      job.state = 'canceled';
      job.reservation = null;
      job.finishedBy = 'cancel';
      job.finishedAt = this.now();
    } else if (job.state === 'accepted' || job.state === 'running') {
      job.state = 'canceling';
    } else {
      return { ok: false, status: 422, message: `Job is ${job.state} and cannot be canceled` };
    }
    return { ok: true, value: job };
  }

  pauseQueue(key: string, paused: boolean): SimQueue {
    const queue = this.ensureQueue(key);
    queue.paused = paused;
    return queue;
  }

  registerAgent(name: string, metaData: readonly string[]): SimAgent {
    const id = randomUUID();
    const agent: SimAgent = {
      id,
      name: name === '' ? `sim-agent-${this.agents.size + 1}` : name,
      accessToken: `bkaa_${randomBytes(16).toString('hex')}`,
      metaData,
      connected: false,
    };
    this.agents.set(id, agent);
    this.sessions.set(agent.accessToken, id);
    return agent;
  }

  agentBySession(token: string): SimAgent | undefined {
    const id = this.sessions.get(token);
    return id === undefined ? undefined : this.agents.get(id);
  }

  jobIdByToken(token: string): string | undefined {
    return this.jobTokens.get(token);
  }

  disconnectAgent(agent: SimAgent): void {
    agent.connected = false;
  }

  acquire(agent: SimAgent, id: string): Outcome<SimJob> {
    const job = this.job(id);
    if (job === undefined) return { ok: false, status: 404, message: 'No job found' };
    if (job.state !== 'scheduled' && job.state !== 'reserved') {
      return { ok: false, status: 422, message: `Job ${id} is ${job.state} and cannot be acquired` };
    }
    job.state = 'accepted';
    job.reservation = null;
    job.agentId = agent.id;
    job.jobToken = `bkaj_${randomBytes(16).toString('hex')}`;
    this.jobTokens.set(job.jobToken, job.id);
    return { ok: true, value: job };
  }

  start(id: string): Outcome<SimJob> {
    const job = this.job(id);
    if (job === undefined) return { ok: false, status: 404, message: 'No job found' };
    if (job.state === 'canceling') return { ok: true, value: job };
    if (job.state !== 'accepted')
      return { ok: false, status: 422, message: `Job is ${job.state} and cannot be started` };
    job.state = 'running';
    return { ok: true, value: job };
  }

  finishByAgent(id: string, exitStatus: string, signalReason: string | null): Outcome<SimJob> {
    const job = this.job(id);
    if (job === undefined) return { ok: false, status: 404, message: 'No job found' };
    if (job.state !== 'accepted' && job.state !== 'running' && job.state !== 'canceling') {
      return { ok: false, status: 422, message: `Job is ${job.state} and cannot be finished` };
    }
    job.state = job.state === 'canceling' ? 'canceled' : 'finished';
    job.exitStatus = exitStatus;
    job.signalReason = signalReason;
    job.finishedBy = 'agent';
    job.finishedAt = this.now();
    return { ok: true, value: job };
  }

  /** The job log so far: chunks in offset order. */
  log(job: SimJob): string {
    return Buffer.concat(
      [...job.logChunks.entries()].sort((a, b) => a[0] - b[0]).map(([, data]) => data),
    ).toString('utf8');
  }
}
