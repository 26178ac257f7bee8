/**
 * Moves fake pods through their lifecycle the way kubelet reports it: scheduling, image pull errors,
 * running, and termination with chosen exit codes, for init and app containers alike.
 */
import { randomBytes } from 'node:crypto';
import { timestamp, type FakeStore, type KubeObject } from './store.js';

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';
export type ImagePullReason = 'ErrImagePull' | 'ImagePullBackOff' | 'InvalidImageName';

export type ContainerStateSpec =
  | { readonly waiting: { readonly reason: string; readonly message?: string } }
  | { readonly running: Record<string, never> }
  | {
      readonly terminated: { readonly exitCode: number; readonly reason?: string; readonly message?: string };
    };

export interface PodTransition {
  readonly phase?: PodPhase;
  /** States of app containers by name; containers not named keep their state. */
  readonly containers?: Readonly<Record<string, ContainerStateSpec>>;
  readonly initContainers?: Readonly<Record<string, ContainerStateSpec>>;
  readonly reason?: string;
  readonly message?: string;
}

interface ContainerSpec {
  name: string;
  image?: string;
}
interface ContainerStatus {
  name: string;
  image: string;
  imageID: string;
  ready: boolean;
  restartCount: number;
  started: boolean;
  state: Record<string, unknown>;
  lastState: Record<string, unknown>;
  containerID?: string;
}
interface PodStatus {
  phase?: string;
  reason?: string;
  message?: string;
  startTime?: string;
  hostIP?: string;
  podIP?: string;
  conditions?: {
    type: string;
    status: string;
    lastProbeTime: null;
    lastTransitionTime: string;
    reason?: string;
  }[];
  initContainerStatuses?: ContainerStatus[];
  containerStatuses?: ContainerStatus[];
}

export interface EventInput {
  readonly namespace: string;
  readonly involvedObject: {
    readonly kind: string;
    readonly name: string;
    readonly uid?: string;
    readonly apiVersion?: string;
  };
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
  readonly component?: string;
}

export class PodDriver {
  readonly #store: FakeStore;

  constructor(options: { readonly store: FakeStore }) {
    this.#store = options.store;
  }

  /** Pods of a Job (by the `job-name` label), in name order. */
  podsOfJob(namespace: string, jobName: string): KubeObject[] {
    return this.#store.page('pods', {
      namespace,
      matches: (p) => p.metadata.labels?.['job-name'] === jobName,
    }).items;
  }

  /** Applies a phase and container states; returns false when the pod does not exist. */
  transition(namespace: string, name: string, transition: PodTransition): boolean {
    const result = this.#store.mutate('pods', namespace, name, (pod) => {
      const spec = (pod.spec ?? {}) as { containers?: ContainerSpec[]; initContainers?: ContainerSpec[] };
      const status = (pod.status ?? {}) as PodStatus;
      const now = timestamp(this.#store.now());
      if (transition.phase !== undefined) status.phase = transition.phase;
      if (transition.reason !== undefined) status.reason = transition.reason;
      if (transition.message !== undefined) status.message = transition.message;
      status.initContainerStatuses = statuses(
        spec.initContainers,
        status.initContainerStatuses,
        transition.initContainers,
        now,
      );
      status.containerStatuses = statuses(
        spec.containers,
        status.containerStatuses,
        transition.containers,
        now,
      );
      if (status.initContainerStatuses.length === 0) delete status.initContainerStatuses;
      if (
        status.phase !== 'Pending' ||
        transition.containers !== undefined ||
        transition.initContainers !== undefined
      ) {
        status.startTime ??= now;
        status.hostIP ??= '10.0.0.1';
        status.podIP ??= `10.1.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
      }
      status.conditions = conditions(status, now);
      pod.status = status;
      (pod.spec as { nodeName?: string }).nodeName ??= 'fake-node';
    });
    return result.ok;
  }

  /** Scheduled, containers waiting for their images. */
  schedule(namespace: string, name: string): boolean {
    return this.transition(namespace, name, { phase: 'Pending' });
  }

  /** A container (init or app, found by name) cannot pull its image; the pod stays Pending. */
  imagePullFailure(
    namespace: string,
    name: string,
    container: string,
    reason: ImagePullReason,
    message?: string,
  ): boolean {
    const pod = this.#store.get('pods', namespace, name);
    if (pod === undefined) return false;
    const spec = (pod.spec ?? {}) as { initContainers?: ContainerSpec[] };
    const image = [
      ...(spec.initContainers ?? []),
      ...((pod.spec as { containers?: ContainerSpec[] }).containers ?? []),
    ].find((c) => c.name === container)?.image;
    const state: ContainerStateSpec = {
      waiting: { reason, message: message ?? `Failed to pull image "${image ?? ''}": ${reason}` },
    };
    const isInit = spec.initContainers?.some((c) => c.name === container) === true;
    return this.transition(namespace, name, {
      phase: 'Pending',
      ...(isInit ? { initContainers: { [container]: state } } : { containers: { [container]: state } }),
    });
  }

  /** Init containers completed, all app containers running. */
  run(namespace: string, name: string): boolean {
    return this.transition(namespace, name, {
      phase: 'Running',
      initContainers: this.#all(namespace, name, 'initContainers', {
        terminated: { exitCode: 0, reason: 'Completed' },
      }),
      containers: this.#all(namespace, name, 'containers', { running: {} }),
    });
  }

  /** All containers exited 0. */
  succeed(namespace: string, name: string): boolean {
    return this.transition(namespace, name, {
      phase: 'Succeeded',
      initContainers: this.#all(namespace, name, 'initContainers', {
        terminated: { exitCode: 0, reason: 'Completed' },
      }),
      containers: this.#all(namespace, name, 'containers', {
        terminated: { exitCode: 0, reason: 'Completed' },
      }),
    });
  }

  /** App containers exit with the given codes (0 for those not named); the pod fails. */
  fail(namespace: string, name: string, exitCodes: Readonly<Record<string, number>>): boolean {
    const containers: Record<string, ContainerStateSpec> = {};
    for (const container of Object.keys(this.#all(namespace, name, 'containers', { running: {} }))) {
      const exitCode = exitCodes[container] ?? 0;
      containers[container] = { terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error' } };
    }
    return this.transition(namespace, name, {
      phase: 'Failed',
      initContainers: this.#all(namespace, name, 'initContainers', {
        terminated: { exitCode: 0, reason: 'Completed' },
      }),
      containers,
    });
  }

  /** An init container exits non-zero: the pod fails, app containers never start. */
  failInit(namespace: string, name: string, container: string, exitCode: number): boolean {
    return this.transition(namespace, name, {
      phase: 'Failed',
      initContainers: { [container]: { terminated: { exitCode, reason: 'Error' } } },
      containers: this.#all(namespace, name, 'containers', { waiting: { reason: 'PodInitializing' } }),
    });
  }

  /** Records an Event, as kubelet or a controller would (e.g. a FailedCreate warning on a Job). */
  addEvent(input: EventInput): KubeObject | undefined {
    return recordEvent(this.#store, input);
  }

  #all(
    namespace: string,
    name: string,
    list: 'containers' | 'initContainers',
    state: ContainerStateSpec,
  ): Record<string, ContainerStateSpec> {
    const pod = this.#store.get('pods', namespace, name);
    const containers = ((pod?.spec ?? {}) as Record<string, ContainerSpec[] | undefined>)[list] ?? [];
    return Object.fromEntries(containers.map((c) => [c.name, state]));
  }
}

function stateObject(spec: ContainerStateSpec, now: string): Record<string, unknown> {
  if ('waiting' in spec) return { waiting: { ...spec.waiting } };
  if ('running' in spec) return { running: { startedAt: now } };
  return {
    terminated: {
      exitCode: spec.terminated.exitCode,
      reason: spec.terminated.reason ?? 'Error',
      startedAt: now,
      finishedAt: now,
      ...(spec.terminated.message ? { message: spec.terminated.message } : {}),
    },
  };
}

function statuses(
  containers: ContainerSpec[] | undefined,
  existing: ContainerStatus[] | undefined,
  changes: Readonly<Record<string, ContainerStateSpec>> | undefined,
  now: string,
): ContainerStatus[] {
  return (containers ?? []).map((container) => {
    const previous = existing?.find((s) => s.name === container.name);
    const change = changes?.[container.name];
    const state = change
      ? stateObject(change, now)
      : (previous?.state ?? { waiting: { reason: 'ContainerCreating' } });
    const running = 'running' in state;
    return {
      name: container.name,
      image: container.image ?? '',
      imageID: running || 'terminated' in state ? `${container.image ?? ''}@sha256:${'0'.repeat(64)}` : '',
      ready: running,
      restartCount: 0,
      started: running,
      state,
      lastState: {},
      ...(running || 'terminated' in state ? { containerID: `containerd://${container.name}` } : {}),
    };
  });
}

function conditions(status: PodStatus, now: string): NonNullable<PodStatus['conditions']> {
  const initDone = (status.initContainerStatuses ?? []).every((s) => 'terminated' in s.state);
  const ready = status.phase === 'Running' && (status.containerStatuses ?? []).every((s) => s.ready);
  const condition = (type: string, value: boolean, reason?: string) => ({
    type,
    status: value ? 'True' : 'False',
    lastProbeTime: null,
    lastTransitionTime: now,
    ...(value || reason === undefined ? {} : { reason }),
  });
  return [
    condition('PodReadyToStartContainers', status.phase !== 'Pending' || status.startTime !== undefined),
    condition('Initialized', initDone, 'ContainersNotInitialized'),
    condition('Ready', ready, 'ContainersNotReady'),
    condition('ContainersReady', ready, 'ContainersNotReady'),
    condition('PodScheduled', true),
  ];
}

/** Stores an Event, as kubelet or a controller would (e.g. a FailedCreate warning on a Job). */
export function recordEvent(store: FakeStore, input: EventInput): KubeObject | undefined {
  const now = timestamp(store.now());
  const result = store.create('events', {
    metadata: {
      name: `${input.involvedObject.name}.${randomBytes(8).toString('hex')}`,
      namespace: input.namespace,
    },
    involvedObject: { namespace: input.namespace, ...input.involvedObject },
    reason: input.reason,
    message: input.message,
    type: input.type,
    count: 1,
    firstTimestamp: now,
    lastTimestamp: now,
    source: { component: input.component ?? 'fake' },
    reportingComponent: input.component ?? 'fake',
    reportingInstance: '',
  });
  return result.ok ? result.object : undefined;
}
