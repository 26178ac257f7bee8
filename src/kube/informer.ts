/**
 * Reflector and informer: a paginated list, then a watch resumed from the last resourceVersion, into
 * a cache of projected objects, with add/update/delete handlers. Unlike @kubernetes/client-node 1.4.0's
 * informer it never stops on an error, cuts silent watches, and keeps handler failures inside.
 *
 * Recovery: a watch that ends normally (server timeout) is resumed at once; any failure (transport
 * error, idle watch, error status, ERROR event) waits a jittered exponential backoff, the attempt count
 * reset by the first event of a healthy watch. 410 Expired and ERROR events force a relist, which
 * replaces the cache: objects seen again are updates (not duplicate adds), vanished ones are deleted
 * with a `DeletedFinalStateUnknown` tombstone, as client-go does.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { backoffDelay, sleep, type BackoffPolicy } from '../backoff.js';
import type { Logger } from '../observability/logger.js';
import type { ListOptions, WatchEnd, WatchEvent, WatchOptions, WatchStream } from './client.js';
import { describeKubeError, errorFromStatus, type KubeError, type KubeResult } from './errors.js';
import type { ListOf, ObjectMeta } from './types.js';

export interface InformerObject {
  metadata?: ObjectMeta;
}

/** The list and watch calls of one resource type (a `KubeClient` resource fits). */
export interface ListWatchSource<T> {
  list(namespace: string, options?: ListOptions): Promise<KubeResult<ListOf<T>>>;
  watch(namespace: string, options?: WatchOptions): Promise<KubeResult<WatchStream<T>>>;
}

/** The last known state of an object deleted while the informer was not watching (found on relist). */
export interface DeletedFinalStateUnknown<T> {
  readonly kind: 'DeletedFinalStateUnknown';
  readonly key: string;
  readonly object: T;
}

export function isTombstone<T>(
  object: T | DeletedFinalStateUnknown<T>,
): object is DeletedFinalStateUnknown<T> {
  return (object as { kind?: unknown }).kind === 'DeletedFinalStateUnknown' && 'key' in (object as object);
}

export interface InformerHandler<T> {
  /** `isInInitialList` is true for objects of the first list, and for the replay a late handler gets. */
  onAdd?(object: T, isInInitialList: boolean): void | Promise<void>;
  onUpdate?(oldObject: T, newObject: T): void | Promise<void>;
  onDelete?(object: T | DeletedFinalStateUnknown<T>): void | Promise<void>;
}

export interface HandlerRegistration {
  remove(): void;
}

export interface InformerMetrics {
  readonly watchRestarts: Counter<'resource' | 'reason'>;
  readonly relists: Counter<'resource' | 'reason'>;
  readonly events: Counter<'resource' | 'type'>;
  readonly cacheObjects: Gauge<'resource'>;
  readonly lastEvent: Gauge<'resource'>;
  readonly handlerErrors: Counter<'resource' | 'event'>;
}

/** Registers the informer metrics once per registry; every informer on it shares them by `resource`. */
export function createInformerMetrics(registry: Registry): InformerMetrics {
  const registers = [registry];
  return {
    watchRestarts: new Counter({
      name: 'buildkite_informer_watch_restarts_total',
      help: 'Kubernetes watches re-opened, by why the previous one ended',
      labelNames: ['resource', 'reason'],
      registers,
    }),
    relists: new Counter({
      name: 'buildkite_informer_relists_total',
      help: 'Full lists of a resource (initial, after 410 Expired, after a watch ERROR event)',
      labelNames: ['resource', 'reason'],
      registers,
    }),
    events: new Counter({
      name: 'buildkite_informer_events_total',
      help: 'Watch events received, by type',
      labelNames: ['resource', 'type'],
      registers,
    }),
    cacheObjects: new Gauge({
      name: 'buildkite_informer_cache_objects',
      help: 'Objects in the informer cache',
      labelNames: ['resource'],
      registers,
    }),
    lastEvent: new Gauge({
      name: 'buildkite_informer_last_event_timestamp_seconds',
      help: 'When the last watch event (bookmarks included) arrived, Unix seconds',
      labelNames: ['resource'],
      registers,
    }),
    handlerErrors: new Counter({
      name: 'buildkite_informer_handler_errors_total',
      help: 'Informer event handlers that threw or rejected',
      labelNames: ['resource', 'event'],
      registers,
    }),
  };
}

export interface InformerOptions<T> {
  /** Names the resource in logs and metric labels (`jobs`, `pods`). */
  readonly resource: string;
  readonly namespace: string;
  readonly source: ListWatchSource<T>;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** Applied to every object before it is cached or handed to handlers (keep what you read). */
  readonly project?: (object: T) => T;
  readonly logger: Logger;
  readonly metrics: InformerMetrics;
  /** List page size; client-go's 500 by default. */
  readonly pageSize?: number;
  /** Backoff between failed attempts; client-go's 800 ms to 30 s by default. */
  readonly backoff?: BackoffPolicy;
  /** Server-side watch timeout drawn from [min, max) seconds; client-go's [300, 600) by default. */
  readonly watchTimeoutSeconds?: { readonly min: number; readonly max: number };
  /** A watch silent this long (no event, no bookmark) is abandoned and re-opened. */
  readonly idleTimeoutMs?: number;
  readonly random?: () => number;
}

type Dispatch<T> =
  | { readonly type: 'add'; readonly object: T; readonly initial: boolean }
  | { readonly type: 'update'; readonly oldObject: T; readonly newObject: T }
  | { readonly type: 'delete'; readonly object: T | DeletedFinalStateUnknown<T> };

/** Why a watch ended, in the reflector's terms. */
type WatchOutcome =
  | { readonly next: 'watch'; readonly failed: boolean }
  | { readonly next: 'relist'; readonly reason: 'expired' | 'error' };

const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 800, maxMs: 30_000 };
/** About twice kube-apiserver's one-minute bookmark period. */
const DEFAULT_IDLE_TIMEOUT_MS = 150_000;

/** Read through a call so the compiler does not assume an earlier check still holds after an await. */
function stopped(signal: AbortSignal): boolean {
  return signal.aborted;
}

export function objectKey(object: InformerObject): string {
  const namespace = object.metadata?.namespace ?? '';
  const name = object.metadata?.name ?? '';
  return namespace === '' ? name : `${namespace}/${name}`;
}

export class Informer<T extends InformerObject> {
  readonly #options: InformerOptions<T>;
  readonly #logger: Logger;
  readonly #cache = new Map<string, T>();
  readonly #handlers = new Set<InformerHandler<T>>();
  readonly #syncWaiters = new Set<() => void>();
  #synced = false;
  #stopped = false;
  #controller: AbortController | undefined;
  #running: Promise<void> | undefined;
  #attempt = 0;

  constructor(options: InformerOptions<T>) {
    this.#options = options;
    this.#logger = options.logger.child({ informer: options.resource, namespace: options.namespace });
  }

  /** Starts listing and watching in the background; stop with `stop()` or the given signal. */
  start(signal?: AbortSignal): void {
    if (this.#running !== undefined) return;
    const controller = new AbortController();
    this.#controller = controller;
    signal?.addEventListener(
      'abort',
      () => {
        controller.abort();
      },
      { once: true },
    );
    this.#running = this.#run(controller.signal).catch((error: unknown) => {
      // A bug, not an API failure: those are values handled in the loop.
      this.#logger.error({ err: error }, 'informer loop crashed');
    });
  }

  /** Stops watching and resolves once no request, timer or socket of this informer remains. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#controller?.abort();
    await this.#running;
    for (const wake of this.#syncWaiters) wake();
  }

  /** True once the first full list is in the cache (and has been handed to the handlers). */
  hasSynced(): boolean {
    return this.#synced;
  }

  /** Resolves true when synced, false if the informer stops or the signal aborts first. */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.#synced || this.#stopped || signal?.aborted === true) return Promise.resolve(this.#synced);
    return new Promise((resolve) => {
      const wake = (): void => {
        this.#syncWaiters.delete(wake);
        signal?.removeEventListener('abort', wake);
        resolve(this.#synced);
      };
      this.#syncWaiters.add(wake);
      signal?.addEventListener('abort', wake, { once: true });
    });
  }

  /**
   * Adds a handler. If the cache already holds objects it first receives them all as adds flagged
   * `isInInitialList` (client-go behaviour, which the limiter relies on to count running Jobs).
   */
  addHandler(handler: InformerHandler<T>): HandlerRegistration {
    this.#handlers.add(handler);
    for (const object of this.#cache.values()) this.#invoke(handler, { type: 'add', object, initial: true });
    return {
      remove: () => {
        this.#handlers.delete(handler);
      },
    };
  }

  get(namespace: string, name: string): T | undefined {
    return this.#cache.get(namespace === '' ? name : `${namespace}/${name}`);
  }

  list(): T[] {
    return [...this.#cache.values()];
  }

  get size(): number {
    return this.#cache.size;
  }

  async #run(signal: AbortSignal): Promise<void> {
    let relistReason = 'initial';
    while (!stopped(signal)) {
      const listed = await this.#listAll(signal);
      if (stopped(signal)) return;
      if (!listed.ok) {
        this.#logger.warn({ error: describeKubeError(listed.error) }, 'list failed');
        await this.#backoff(listed.error, signal);
        continue;
      }
      this.#options.metrics.relists.inc({ resource: this.#options.resource, reason: relistReason });
      this.#replace(listed.value.items, listed.value.resourceVersion);
      let resourceVersion = listed.value.resourceVersion;
      let outcome: WatchOutcome = { next: 'watch', failed: false };
      while (outcome.next === 'watch' && !stopped(signal)) {
        if (outcome.failed) await this.#backoff(undefined, signal);
        outcome = await this.#watchOnce(resourceVersion, signal, (rv) => {
          resourceVersion = rv;
        });
      }
      if (outcome.next === 'relist') {
        relistReason = outcome.reason;
        await this.#backoff(undefined, signal);
      }
    }
  }

  async #listAll(signal: AbortSignal): Promise<KubeResult<{ items: T[]; resourceVersion: string }>> {
    const items: T[] = [];
    let continueToken: string | undefined;
    let resourceVersion = '';
    do {
      const page = await this.#options.source.list(this.#options.namespace, {
        signal,
        limit: this.#options.pageSize ?? 500,
        ...(continueToken === undefined ? {} : { continue: continueToken }),
        ...this.#selectors(),
      });
      if (!page.ok) return page;
      for (const item of page.value.items) items.push(this.#project(item));
      resourceVersion = page.value.metadata?.resourceVersion ?? resourceVersion;
      continueToken = page.value.metadata?.continue === '' ? undefined : page.value.metadata?.continue;
    } while (continueToken !== undefined);
    return { ok: true, value: { items, resourceVersion } };
  }

  /** Runs one watch to its end; `onResourceVersion` tracks the newest resourceVersion seen. */
  async #watchOnce(
    resourceVersion: string,
    signal: AbortSignal,
    onResourceVersion: (rv: string) => void,
  ): Promise<WatchOutcome> {
    const { resource } = this.#options;
    const timeout = this.#options.watchTimeoutSeconds ?? { min: 300, max: 600 };
    const random = this.#options.random ?? Math.random;
    const opened = await this.#options.source.watch(this.#options.namespace, {
      signal,
      resourceVersion,
      allowWatchBookmarks: true,
      timeoutSeconds: Math.floor(timeout.min + random() * (timeout.max - timeout.min)),
      idleTimeoutMs: this.#options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
      ...this.#selectors(),
    });
    if (!opened.ok) {
      if (signal.aborted) return { next: 'watch', failed: false };
      const { error } = opened;
      this.#logger.warn({ error: describeKubeError(error) }, 'watch failed to open');
      this.#options.metrics.watchRestarts.inc({
        resource,
        reason: error.kind === 'Gone' ? 'expired' : 'error',
      });
      if (error.kind === 'Gone') return { next: 'relist', reason: 'expired' };
      await this.#backoff(error, signal);
      return { next: 'watch', failed: false };
    }
    let events = 0;
    let relist: KubeError | undefined;
    const end = await opened.value.forEach((event) => {
      this.#options.metrics.events.inc({ resource, type: event.type });
      this.#options.metrics.lastEvent.setToCurrentTime({ resource });
      if (event.type === 'ERROR') {
        relist = errorFromStatus(event.object);
        return false;
      }
      events++;
      this.#attempt = 0;
      const rv = this.#apply(event);
      if (rv !== undefined && rv !== '') onResourceVersion(rv);
      return undefined;
    });
    if (relist !== undefined) {
      this.#logger.info({ error: describeKubeError(relist) }, 'watch ERROR event; relisting');
      const reason = relist.kind === 'Gone' ? 'expired' : 'error';
      this.#options.metrics.watchRestarts.inc({ resource, reason });
      return { next: 'relist', reason };
    }
    return this.#ended(end, events);
  }

  #ended(end: WatchEnd, events: number): WatchOutcome {
    const { resource } = this.#options;
    this.#options.metrics.watchRestarts.inc({ resource, reason: end.kind === 'error' ? 'error' : end.kind });
    switch (end.kind) {
      case 'aborted':
        return { next: 'watch', failed: false };
      case 'closed':
        // A watch closed before any event (not even a bookmark) is treated as failing, so a server or
        // proxy that keeps closing at once cannot make us spin.
        return { next: 'watch', failed: events === 0 };
      case 'idle':
        this.#logger.warn('watch went silent; re-opening');
        return { next: 'watch', failed: true };
      case 'error':
        this.#logger.warn({ error: describeKubeError(end.error) }, 'watch broke; re-opening');
        return { next: 'watch', failed: true };
    }
  }

  /** Applies one event to the cache; returns its resourceVersion. */
  #apply(event: Exclude<WatchEvent<T>, { type: 'ERROR' }>): string | undefined {
    if (event.type === 'BOOKMARK') return event.object.metadata.resourceVersion;
    const object = this.#project(event.object);
    const key = objectKey(object);
    const previous = this.#cache.get(key);
    if (event.type === 'DELETED') {
      this.#cache.delete(key);
      if (previous !== undefined) this.#dispatch({ type: 'delete', object });
    } else {
      this.#cache.set(key, object);
      this.#dispatch(
        previous === undefined
          ? { type: 'add', object, initial: false }
          : { type: 'update', oldObject: previous, newObject: object },
      );
    }
    this.#options.metrics.cacheObjects.set({ resource: this.#options.resource }, this.#cache.size);
    return object.metadata?.resourceVersion;
  }

  /** Swaps in a full list: new objects are adds, known ones updates, missing ones tombstoned deletes. */
  #replace(items: readonly T[], resourceVersion: string): void {
    const initial = !this.#synced;
    const seen = new Set<string>();
    for (const object of items) {
      const key = objectKey(object);
      seen.add(key);
      const previous = this.#cache.get(key);
      this.#cache.set(key, object);
      this.#dispatch(
        previous === undefined
          ? { type: 'add', object, initial }
          : { type: 'update', oldObject: previous, newObject: object },
      );
    }
    for (const [key, object] of [...this.#cache]) {
      if (seen.has(key)) continue;
      this.#cache.delete(key);
      this.#dispatch({ type: 'delete', object: { kind: 'DeletedFinalStateUnknown', key, object } });
    }
    this.#options.metrics.cacheObjects.set({ resource: this.#options.resource }, this.#cache.size);
    this.#logger.debug({ objects: items.length, resourceVersion }, 'listed');
    if (!this.#synced) {
      this.#synced = true;
      for (const wake of this.#syncWaiters) wake();
    }
  }

  #dispatch(dispatch: Dispatch<T>): void {
    // A snapshot: a handler added from inside a handler gets the cache replay, not this event twice.
    for (const handler of [...this.#handlers]) this.#invoke(handler, dispatch);
  }

  /** Calls one handler; a throw or rejection is logged and counted, never propagated. */
  #invoke(handler: InformerHandler<T>, dispatch: Dispatch<T>): void {
    const fail = (error: unknown): void => {
      this.#options.metrics.handlerErrors.inc({ resource: this.#options.resource, event: dispatch.type });
      this.#logger.error({ err: error, event: dispatch.type }, 'informer handler failed');
    };
    try {
      let result: void | Promise<void>;
      switch (dispatch.type) {
        case 'add':
          result = handler.onAdd?.(dispatch.object, dispatch.initial);
          break;
        case 'update':
          result = handler.onUpdate?.(dispatch.oldObject, dispatch.newObject);
          break;
        case 'delete':
          result = handler.onDelete?.(dispatch.object);
          break;
      }
      if (result instanceof Promise) result.catch(fail);
    } catch (error) {
      fail(error);
    }
  }

  #project(object: T): T {
    return this.#options.project ? this.#options.project(object) : object;
  }

  #selectors(): { labelSelector?: string; fieldSelector?: string } {
    const { labelSelector, fieldSelector } = this.#options;
    return {
      ...(labelSelector === undefined ? {} : { labelSelector }),
      ...(fieldSelector === undefined ? {} : { fieldSelector }),
    };
  }

  /** Sleeps the next backoff step (or the server's Retry-After when longer); false if aborted. */
  async #backoff(error: KubeError | undefined, signal: AbortSignal): Promise<void> {
    const policy = this.#options.backoff ?? DEFAULT_BACKOFF;
    let delay = backoffDelay(this.#attempt++, policy, this.#options.random);
    if (error?.kind === 'TooManyRequests' && error.retryAfterSeconds !== undefined) {
      delay = Math.max(delay, Math.min(error.retryAfterSeconds * 1000, policy.maxMs));
    }
    await sleep(delay, signal).catch(() => undefined);
  }
}
