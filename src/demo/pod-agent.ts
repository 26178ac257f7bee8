/**
 * Plays the `buildkite-agent` that runs inside each pod the controller creates: when a pod of a
 * Buildkite job appears it registers, acquires exactly that job, starts it, finishes it through the
 * agent REST API, and moves the pod to Succeeded or Failed. Used by the demo and the scenario suite,
 * against any Kubernetes tier that can report and drive pods ({@link PodLifecycle}).
 */
import { backoffDelay, sleep } from '../backoff.js';
import { UUID_LABEL } from '../podspec/labels.js';

/** Tries per agent API call when the connection itself fails, as the real agent retries. */
const CALL_ATTEMPTS = 5;

export interface PodInfo {
  readonly namespace: string;
  readonly name: string;
  /** The `buildkite.com/job-uuid` label. */
  readonly jobUuid: string;
  readonly phase: string;
}

/** What a Kubernetes tier offers for pods: a listing, and kubelet-like phase changes. */
export interface PodLifecycle {
  list(): Promise<readonly PodInfo[]>;
  run(pod: PodInfo): Promise<void>;
  succeed(pod: PodInfo): Promise<void>;
  fail(pod: PodInfo, exitCode: number): Promise<void>;
  /** A container cannot get its image; the pod stays Pending. */
  imagePullFailure(pod: PodInfo, container: string, reason: ImageFailureReason): Promise<void>;
  /** An init container exits non-zero; the pod fails. */
  failInit(pod: PodInfo, container: string, exitCode: number): Promise<void>;
}

export type ImageFailureReason = 'ErrImagePull' | 'ImagePullBackOff' | 'InvalidImageName';

/** What the agent in a pod does with its job: run it to this exit status, or never start. */
export type AgentPlan = { readonly kind: 'run'; readonly exitStatus: number } | { readonly kind: 'absent' };

export type PodAgentEvent =
  | { readonly kind: 'pod'; readonly pod: PodInfo }
  | { readonly kind: 'acquired'; readonly pod: PodInfo }
  | { readonly kind: 'finished'; readonly pod: PodInfo; readonly exitStatus: number }
  | { readonly kind: 'refused'; readonly pod: PodInfo; readonly reason: string };

export interface PodAgentOptions {
  /** Agent API base, e.g. `http://127.0.0.1:1234/v3`. */
  readonly endpoint: string;
  readonly agentToken: string;
  readonly pods: PodLifecycle;
  /** Per job; every job runs to exit 0 when absent. */
  readonly plan?: (jobUuid: string) => AgentPlan;
  readonly pollMs?: number;
  readonly onEvent?: (event: PodAgentEvent) => void;
}

export class PodAgent {
  readonly #options: PodAgentOptions;
  readonly #handled = new Set<string>();
  readonly #work = new Set<Promise<void>>();
  /** Job UUIDs in the order their first pod was seen. */
  readonly seen: string[] = [];
  /** Pods seen per job UUID (a second pod for one job would be a duplicate). */
  readonly podsPerJob = new Map<string, number>();
  /** Errors talking to Buildkite or Kubernetes; a scenario expects none. */
  readonly errors: string[] = [];
  #gate: { promise: Promise<void>; open: () => void } | undefined;

  constructor(options: PodAgentOptions) {
    this.#options = options;
  }

  /** Jobs acquired from now on run but do not finish until {@link release}. */
  hold(): void {
    if (this.#gate !== undefined) return;
    let open = (): void => undefined;
    const promise = new Promise<void>((resolve) => {
      open = resolve;
    });
    this.#gate = { promise, open };
  }

  release(): void {
    this.#gate?.open();
    this.#gate = undefined;
  }

  /** Watches pods until the signal aborts, then waits for the pods under way. */
  async run(signal: AbortSignal): Promise<void> {
    const pollMs = this.#options.pollMs ?? 20;
    while (!signal.aborted) {
      try {
        await this.poll();
      } catch (error) {
        this.errors.push(`listing pods: ${String(error)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
    this.release();
    await Promise.all([...this.#work]);
  }

  /** One look at the pods: every new Pending pod gets its agent. */
  async poll(): Promise<void> {
    for (const pod of await this.#options.pods.list()) {
      const key = `${pod.namespace}/${pod.name}`;
      if (this.#handled.has(key) || pod.phase !== 'Pending') continue;
      this.#handled.add(key);
      if (!this.podsPerJob.has(pod.jobUuid)) this.seen.push(pod.jobUuid);
      this.podsPerJob.set(pod.jobUuid, (this.podsPerJob.get(pod.jobUuid) ?? 0) + 1);
      this.#options.onEvent?.({ kind: 'pod', pod });
      const work = this.#runPod(pod).catch((error: unknown) => {
        this.errors.push(`${key}: ${String(error)}`);
      });
      this.#work.add(work);
      void work.finally(() => this.#work.delete(work));
    }
  }

  async #runPod(pod: PodInfo): Promise<void> {
    const plan = this.#options.plan?.(pod.jobUuid) ?? { kind: 'run', exitStatus: 0 };
    if (plan.kind === 'absent') return;
    const registered = await this.#call('POST', '/register', this.#options.agentToken, {
      name: pod.name,
      meta_data: [],
    });
    const session = stringField(registered.body, 'access_token');
    if (!registered.ok || session === undefined) {
      throw new Error(`agent registration answered ${registered.status}`);
    }
    const acquired = await this.#call('PUT', `/jobs/${pod.jobUuid}/acquire`, session, {});
    if (!acquired.ok) {
      // The real agent exits non-zero when its job is no longer to be had (cancelled, taken).
      this.#options.onEvent?.({ kind: 'refused', pod, reason: stringField(acquired.body, 'message') ?? '' });
      await this.#options.pods.fail(pod, 1);
      return;
    }
    this.#options.onEvent?.({ kind: 'acquired', pod });
    await this.#options.pods.run(pod);
    const jobToken = stringField(acquired.body, 'token') ?? session;
    await this.#expectOk(this.#call('PUT', `/jobs/${pod.jobUuid}/start`, jobToken, {}));
    await this.#gate?.promise;
    await this.#expectOk(
      this.#call('PUT', `/jobs/${pod.jobUuid}/finish`, jobToken, { exit_status: String(plan.exitStatus) }),
    );
    this.#options.onEvent?.({ kind: 'finished', pod, exitStatus: plan.exitStatus });
    if (plan.exitStatus === 0) await this.#options.pods.succeed(pod);
    else await this.#options.pods.fail(pod, plan.exitStatus);
  }

  async #expectOk(call: Promise<{ ok: boolean; status: number; body: unknown }>): Promise<void> {
    const answer = await call;
    if (!answer.ok) throw new Error(`agent API answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  }

  async #call(
    method: string,
    path: string,
    token: string,
    body: object,
  ): Promise<{ ok: boolean; status: number; body: unknown }> {
    let response: Response;
    for (let attempt = 1; ; attempt++) {
      try {
        response = await fetch(`${this.#options.endpoint}${path}`, {
          method,
          headers: { authorization: `Token ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        break;
      } catch (error) {
        // Thousands of agents starting at once can overrun the server's accept backlog.
        if (attempt >= CALL_ATTEMPTS) throw error;
        await sleep(backoffDelay(attempt - 1, { baseMs: 100, maxMs: 2000 }));
      }
    }
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text) as unknown;
    } catch {
      // Not JSON: keep the text for the error message.
    }
    return { ok: response.ok, status: response.status, body: parsed };
  }
}

function stringField(body: unknown, key: string): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const value = (body as Record<string, unknown>)[key];
  return typeof value === 'string' ? value : undefined;
}

/** The pod's Buildkite job, from the label every pod the controller creates carries. */
export function jobUuidOf(labels: Readonly<Record<string, string>> | undefined): string | undefined {
  return labels?.[UUID_LABEL];
}
