/**
 * Wiring only: builds every part from the configuration, starts them in upstream's order, and shuts
 * them down in reverse on the signal. Startup failures end with one clear log line and a non-zero exit.
 */
import type { KubeCredentials } from './kube/kubeconfig.js';
import { Registry } from 'prom-client';
import { GraphqlJobSource } from './buildkite/graphql/client.js';
import type { JobSource } from './buildkite/job-source.js';
import { StacksJobSource } from './buildkite/stacks/client.js';
import { fetchTokenIdentity } from './buildkite/token.js';
import type { Config } from './config/schema.js';
import { Deduper } from './intake/deduper.js';
import { describeBuildkiteError } from './buildkite/types.js';
import { JobLedger } from './intake/ledger.js';
import { Limiter } from './intake/limiter.js';
import { Monitor } from './intake/monitor.js';
import { Reserver } from './intake/reserver.js';
import { parseTags, resolveQueue } from './intake/tags.js';
import { KubeClient } from './kube/client.js';
import { describeKubeError } from './kube/errors.js';
import { createInformerMetrics, Informer } from './kube/informer.js';
import { projectJob, projectPod } from './kube/projection.js';
import { watchLabelSelector } from './kube/scope.js';
import type { Job, Pod } from './kube/types.js';
import type { Logger } from './observability/logger.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { operationsRoutes, profilerRoutes, serve, type RunningServer } from './observability/server.js';
import { Scheduler } from './scheduler/scheduler.js';
import { CancelChecker } from './watchers/cancel-checker.js';
import { CompletionsWatcher } from './watchers/completions-watcher.js';
import { JobWatcher } from './watchers/job-watcher.js';
import { PodWatcher } from './watchers/pod-watcher.js';

export const DEFAULT_AGENT_ENDPOINT = 'https://agent.buildkite.com/v3';
const DEFAULT_STACK_KEY = 'agent-stack-k8s';

export interface ControllerOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly kubeConfig: KubeCredentials;
  /** Aborts to shut down gracefully. */
  readonly signal: AbortSignal;
  readonly version: string;
  readonly registry?: Registry;
  /** Called once the controller takes jobs (tests and the demo wait for it). */
  readonly onReady?: (info: { readonly operationsPort: number | undefined }) => void;
}

/** 0 after a graceful shutdown; 1 when startup failed or the job source failed permanently. */
export type ControllerExit = { readonly code: 0 } | { readonly code: 1; readonly reason: string };

export async function runController(options: ControllerOptions): Promise<ControllerExit> {
  const { config, signal } = options;
  const logger = options.logger;
  const registry = options.registry ?? new Registry();
  const metrics = createMetrics(registry);
  const fail = (reason: string): ControllerExit => {
    logger.error(reason);
    return { code: 1, reason };
  };

  const kube = new KubeClient({
    kubeConfig: options.kubeConfig,
    qps: config['k8s-client-rate-limiter-qps'],
    burst: config['k8s-client-rate-limiter-burst'],
    userAgent: `agent-stack-k8s/${options.version}`,
  });
  const closers: (() => Promise<void> | void)[] = [() => kube.close()];
  const closeAll = async (): Promise<void> => {
    for (const close of closers.reverse()) {
      try {
        await close();
      } catch (error) {
        logger.warn({ err: error }, 'error while shutting down');
      }
    }
  };

  try {
    const agentToken = await readAgentToken(kube, config);
    if (!agentToken.ok) return fail(agentToken.reason);

    const tags = parseTags(config.tags);
    const queue = resolveQueue(config.queue, tags);
    tags.set('queue', queue);
    if (queue === '_default') logger.info('Listening to the default queue...');
    const endpoint = config['agent-config']?.endpoint ?? DEFAULT_AGENT_ENDPOINT;

    const source = await connectJobSource({ ...options, endpoint, agentToken: agentToken.token, queue });
    if (!source.ok) return fail(source.reason);
    closers.push(async () => {
      // Deregister (bounded to 5 s by the source), then flush queued notifications and close.
      if (config['job-source'] === 'stacks') {
        const deregistered = await source.source.deregister();
        if (!deregistered.ok) {
          logger.warn(
            { error: describeBuildkiteError(deregistered.error) },
            'failed to deregister the stack',
          );
        }
      }
      await source.source.close();
    });

    const informerMetrics = createInformerMetrics(registry);
    const selector = watchLabelSelector(config.id);
    const jobs = new Informer<Job>({
      resource: 'jobs',
      namespace: config.namespace,
      source: kube.jobs,
      labelSelector: selector,
      project: projectJob,
      logger: logger.child({ component: 'job-informer' }),
      metrics: informerMetrics,
    });
    const pods = new Informer<Pod>({
      resource: 'pods',
      namespace: config.namespace,
      source: kube.pods,
      labelSelector: selector,
      project: projectPod,
      logger: logger.child({ component: 'pod-informer' }),
      metrics: informerMetrics,
    });
    closers.push(
      () => jobs.stop(),
      () => pods.stop(),
    );

    const ledger = new JobLedger();
    jobs.addHandler(ledger.handler);
    jobs.start(signal);
    pods.start(signal);
    if (!(await jobs.waitForSync(signal)) || !(await pods.waitForSync(signal))) {
      return signal.aborted ? { code: 0 } : fail('the Kubernetes informers stopped before they synced');
    }

    startWatchers({
      config,
      kube,
      source: source.source,
      jobs,
      pods,
      metrics,
      logger,
      signal,
      closers,
    });

    const scheduler = new Scheduler({
      config,
      source: source.source,
      kube,
      logger: logger.child({ component: 'scheduler' }),
      metrics: metrics.scheduler,
    });
    const deduper = new Deduper({ ledger, dispatch: scheduler.dispatch, metrics: metrics.deduper });
    const limiter = new Limiter({
      maxInFlight: config['max-in-flight'],
      concurrency: config['job-creation-concurrency'],
      workQueueLimit: config['work-queue-limit'],
      ...(config['job-source'] === 'graphql' ? { staleAfterMs: config['stale-job-data-timeout'] } : {}),
      ledger,
      dispatch: deduper.handle,
      logger: logger.child({ component: 'limiter' }),
      metrics: metrics.limiter,
    });
    closers.push(() => limiter.stop());
    const reserver = new Reserver({
      source: source.source,
      expirySeconds: config['reservation-expiry-seconds'],
      next: (reservedJobs) => {
        limiter.handle(reservedJobs);
      },
      logger: logger.child({ component: 'reserver' }),
    });
    const monitor = new Monitor({
      source: source.source,
      queue,
      tags,
      pollIntervalMs: config['poll-interval'],
      pageSize:
        config['job-source'] === 'graphql' ? config['graphql-results-limit'] : config['pagination-page-size'],
      depthLimit: config['pagination-depth-limit'],
      queryResetIntervalMs: config['query-reset-interval'],
      enableQueuePause: config['enable-queue-pause'],
      next: (listed, pollSignal) => reserver.handle(listed, pollSignal),
      logger: logger.child({ component: 'monitor' }),
      metrics: metrics.monitor,
    });

    const operations = await startOperations(options, registry, () => {
      if (!jobs.hasSynced() || !pods.hasSynced()) return { ok: false, reason: 'informers not synced' };
      const last = monitor.lastSuccessAt;
      const window = 3 * Math.max(1000, config['poll-interval']);
      if (last === undefined || Date.now() - last > window) {
        return { ok: false, reason: 'no successful poll of Buildkite within 3 poll intervals' };
      }
      return { ok: true };
    });
    closers.push(operations.stop, ...operations.servers.map((server) => () => server.close()));

    options.onReady?.({ operationsPort: operations.servers[0]?.port });
    logger.info({ queue, namespace: config.namespace, 'stack-key': source.stackKey }, 'controller started');
    const end = await monitor.run(signal);
    if (end.kind === 'permanent') return fail(`monitor failed: ${describeBuildkiteError(end.error)}`);
    logger.info('shutting down: finishing Job creations under way, flushing notifications, deregistering');
    return { code: 0 };
  } finally {
    await closeAll();
  }
}

/** The watchers that fail, clean up and cancel what the job flow started (upstream §1.1 step 9 order). */
function startWatchers(options: {
  config: Config;
  kube: KubeClient;
  source: JobSource;
  jobs: Informer<Job>;
  pods: Informer<Pod>;
  metrics: Metrics;
  logger: Logger;
  signal: AbortSignal;
  closers: (() => Promise<void> | void)[];
}): void {
  const { config, kube, source, jobs, pods, metrics, logger, signal } = options;
  const errors = metrics.watcherErrors;
  if (config['enable-completion-watcher']) {
    const completions = new CompletionsWatcher({
      kube,
      terminationGracePeriodSeconds: config['default-termination-grace-period-seconds'],
      logger: logger.child({ component: 'completion-watcher' }),
      metrics: metrics.completionWatcher,
      errors,
    });
    pods.addHandler(completions.handler);
  }
  const cancelChecker = new CancelChecker({
    source,
    kube,
    intervalMs: config['job-cancel-checker-poll-interval'],
    logger: logger.child({ component: 'cancel-checker' }),
    metrics,
    errors,
  });
  const jobWatcher = new JobWatcher({
    kube,
    source,
    cancelChecker,
    emptyJobGracePeriodMs: config['empty-job-grace-period'],
    logger: logger.child({ component: 'job-watcher' }),
    metrics: metrics.jobWatcher,
    errors,
  });
  jobs.addHandler(jobWatcher.handler);
  const podWatcher = new PodWatcher({
    kube,
    source,
    cancelChecker,
    imagePullBackOffGracePeriodMs: config['image-pull-backoff-grace-period'],
    podPendingTimeoutMs: config['pod-pending-timeout'],
    logger: logger.child({ component: 'pod-watcher' }),
    metrics: metrics.podWatcher,
    errors,
  });
  pods.addHandler(podWatcher.handler);
  for (const loop of [jobWatcher, podWatcher, cancelChecker]) {
    loop.start(signal).catch((error: unknown) => {
      logger.error({ err: error }, 'a watcher loop stopped unexpectedly');
    });
    options.closers.push(() => loop.stop());
  }
}

async function readAgentToken(
  kube: KubeClient,
  config: Config,
): Promise<{ ok: true; token: string } | { ok: false; reason: string }> {
  const secretName = config['agent-token-secret'];
  const secret = await kube.secrets.get(config.namespace, secretName);
  if (!secret.ok) {
    return {
      ok: false,
      reason: `cannot read the agent token Secret ${config.namespace}/${secretName}: ${describeKubeError(secret.error)}`,
    };
  }
  const encoded = secret.value.data?.BUILDKITE_AGENT_TOKEN ?? '';
  const token = Buffer.from(encoded, 'base64').toString('utf8').trim();
  if (token === '') {
    return {
      ok: false,
      reason: `the Secret ${config.namespace}/${secretName} has no BUILDKITE_AGENT_TOKEN value; put the cluster agent token there`,
    };
  }
  return { ok: true, token };
}

async function connectJobSource(
  options: ControllerOptions & { endpoint: string; agentToken: string; queue: string },
): Promise<{ ok: true; source: JobSource; stackKey: string } | { ok: false; reason: string }> {
  const { config, logger, version, endpoint, agentToken, queue } = options;
  const sourceLogger = logger.child({ component: 'buildkite' });
  const timeoutMs = config['http-timeout'];
  if (config['job-source'] === 'graphql') {
    const source = new GraphqlJobSource({
      graphqlEndpoint: config['graphql-endpoint'],
      apiToken: config['buildkite-token'],
      organizationSlug: config.org,
      clusterUuid: config['cluster-uuid'],
      queue,
      agentEndpoint: endpoint,
      agentToken,
      timeoutMs,
      version,
      logger: sourceLogger,
      checkQueuePause: config['enable-queue-pause'],
      resultsLimit: config['graphql-results-limit'],
    });
    const checked = await source.register(options.signal);
    if (!checked.ok) {
      await source.close();
      return { ok: false, reason: `GraphQL job source: ${describeBuildkiteError(checked.error)}` };
    }
    return { ok: true, source, stackKey: config.org };
  }

  const identity = await fetchTokenIdentity({
    endpoint,
    agentToken,
    timeoutMs,
    version,
    logger: sourceLogger,
    signal: options.signal,
  });
  if (!identity.ok)
    return { ok: false, reason: `agent token check failed: ${describeBuildkiteError(identity.error)}` };
  logger.info(
    { cluster: identity.value.clusterName, organization: identity.value.organizationSlug },
    'agent token identified',
  );
  const stackKey = config.id || DEFAULT_STACK_KEY;
  const source = new StacksJobSource({
    endpoint,
    agentToken,
    timeoutMs,
    version,
    logger: sourceLogger,
    stackKey,
    queueKey: queue,
  });
  const registered = await source.register(options.signal);
  if (!registered.ok) {
    await source.close();
    return { ok: false, reason: `registering the stack failed: ${describeBuildkiteError(registered.error)}` };
  }
  return { ok: true, source, stackKey };
}

/** The operations server on prometheus-port, and the profiler on profiler-address (shared when equal). */
async function startOperations(
  options: ControllerOptions,
  registry: Registry,
  ready: Parameters<typeof operationsRoutes>[0]['ready'],
): Promise<{ servers: RunningServer[]; stop: () => void }> {
  const { config, logger } = options;
  const servers: RunningServer[] = [];
  const ops = operationsRoutes({ registry, logger, ready });
  const port = config['prometheus-port'];
  const profiler = config['profiler-address'];
  const profilerAt = profiler === '' ? undefined : splitHostPort(profiler);
  const shared =
    profilerAt !== undefined &&
    profilerAt.port === port &&
    (profilerAt.host === '' || profilerAt.host === '0.0.0.0');
  if (port > 0) {
    servers.push(
      await serve({ ...ops.routes, ...(shared ? profilerRoutes : {}) }, { host: '0.0.0.0', port }, logger),
    );
  }
  if (profilerAt !== undefined && !shared) {
    servers.push(
      await serve(profilerRoutes, { host: profilerAt.host || '0.0.0.0', port: profilerAt.port }, logger),
    );
  }
  return { servers, stop: ops.stop };
}

function splitHostPort(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  return { host: address.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(address.slice(at + 1)) };
}
