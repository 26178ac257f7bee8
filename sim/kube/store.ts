/**
 * In-memory object store of the fake API server: one global resourceVersion counter (as etcd's
 * revision), a bounded history of changes for watches to resume from, and change listeners.
 */
import { randomUUID } from 'node:crypto';

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: {
    apiVersion: string;
    kind: string;
    name: string;
    uid: string;
    controller?: boolean;
    blockOwnerDeletion?: boolean;
  }[];
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

export interface ResourceInfo {
  readonly plural: string;
  readonly kind: string;
  /** '' for the core group. */
  readonly group: string;
  readonly apiVersion: string;
}

export const RESOURCES: Readonly<Record<string, ResourceInfo>> = {
  pods: { plural: 'pods', kind: 'Pod', group: '', apiVersion: 'v1' },
  secrets: { plural: 'secrets', kind: 'Secret', group: '', apiVersion: 'v1' },
  podtemplates: { plural: 'podtemplates', kind: 'PodTemplate', group: '', apiVersion: 'v1' },
  events: { plural: 'events', kind: 'Event', group: '', apiVersion: 'v1' },
  jobs: { plural: 'jobs', kind: 'Job', group: 'batch', apiVersion: 'batch/v1' },
  leases: {
    plural: 'leases',
    kind: 'Lease',
    group: 'coordination.k8s.io',
    apiVersion: 'coordination.k8s.io/v1',
  },
};

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface Change {
  readonly resourceVersion: number;
  readonly type: ChangeType;
  readonly resource: string;
  readonly object: KubeObject;
  /** The object before a MODIFIED or DELETED change, for watches whose selector it no longer matches. */
  readonly previous: KubeObject | undefined;
}

export type StoreFailure =
  | { readonly reason: 'NotFound'; readonly what: 'object' | 'namespace' }
  | { readonly reason: 'AlreadyExists' }
  | { readonly reason: 'Conflict' };
export type StoreResult =
  { readonly ok: true; readonly object: KubeObject } | ({ readonly ok: false } & StoreFailure);

export interface FakeStoreOptions {
  /** Changes kept for watches to resume from; older resourceVersions get 410 Expired. */
  readonly historyLimit?: number;
  readonly now?: () => Date;
}

const GENERATE_NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

export function randomSuffix(length = 5): string {
  let suffix = '';
  for (let i = 0; i < length; i++) {
    suffix += GENERATE_NAME_CHARS[Math.floor(Math.random() * GENERATE_NAME_CHARS.length)] ?? 'x';
  }
  return suffix;
}

export function timestamp(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

export class FakeStore {
  readonly #objects = new Map<string, Map<string, KubeObject>>();
  readonly #namespaces = new Set<string>(['default', 'kube-system']);
  readonly #history: Change[] = [];
  readonly #historyLimit: number;
  readonly #listeners = new Set<(change: Change) => void>();
  readonly #now: () => Date;
  #resourceVersion = 1;
  /** Highest resourceVersion no longer in the history. */
  #compactedThrough = 1;

  constructor(options: FakeStoreOptions = {}) {
    this.#historyLimit = options.historyLimit ?? 10_000;
    this.#now = options.now ?? (() => new Date());
  }

  get resourceVersion(): number {
    return this.#resourceVersion;
  }

  now(): Date {
    return this.#now();
  }

  hasNamespace(name: string): boolean {
    return this.#namespaces.has(name);
  }

  createNamespace(name: string): void {
    this.#namespaces.add(name);
  }

  namespaces(): string[] {
    return [...this.#namespaces].sort();
  }

  get(resource: string, namespace: string, name: string): KubeObject | undefined {
    const object = this.#bucket(resource).get(`${namespace}/${name}`);
    return object === undefined ? undefined : structuredClone(object);
  }

  /** Objects sorted by namespace/name (the order kube-apiserver lists in); all namespaces when undefined. */
  list(resource: string, namespace?: string): KubeObject[] {
    return this.page(resource, { namespace }).items;
  }

  /**
   * One page of matching objects after the key `after` (`namespace/name`), and how many more match.
   * Only the returned objects are copied, so paging through thousands of objects stays cheap.
   */
  page(
    resource: string,
    query: {
      namespace?: string | undefined;
      after?: string;
      limit?: number;
      matches?: (object: KubeObject) => boolean;
    },
  ): { items: KubeObject[]; remaining: number; lastKey: string | undefined } {
    const bucket = this.#bucket(resource);
    const prefix = query.namespace === undefined ? '' : `${query.namespace}/`;
    const after = query.after ?? '';
    const keys = [...bucket.keys()].filter((key) => key.startsWith(prefix) && key > after).sort();
    const items: KubeObject[] = [];
    let remaining = 0;
    let lastKey: string | undefined;
    for (const key of keys) {
      const object = bucket.get(key) as KubeObject;
      if (query.matches !== undefined && !query.matches(object)) continue;
      if (query.limit !== undefined && query.limit > 0 && items.length >= query.limit) {
        remaining++;
        continue;
      }
      items.push(structuredClone(object));
      lastKey = key;
    }
    return { items, remaining, lastKey };
  }

  /**
   * Stores a new object: fills name from generateName, uid, creationTimestamp and resourceVersion.
   * With `dryRun` nothing is stored and no change is emitted.
   */
  create(resource: string, input: KubeObject, options: { dryRun?: boolean } = {}): StoreResult {
    const namespace = input.metadata.namespace ?? 'default';
    if (!this.#namespaces.has(namespace)) return { ok: false, reason: 'NotFound', what: 'namespace' };
    const object = structuredClone(input);
    const info = RESOURCES[resource];
    object.apiVersion = info?.apiVersion;
    object.kind = info?.kind;
    const metadata = object.metadata;
    metadata.namespace = namespace;
    if ((metadata.name ?? '') === '' && metadata.generateName !== undefined) {
      metadata.name = `${metadata.generateName}${randomSuffix()}`;
    }
    const key = `${namespace}/${metadata.name ?? ''}`;
    if (this.#bucket(resource).has(key)) return { ok: false, reason: 'AlreadyExists' };
    metadata.uid ??= randomUUID();
    metadata.creationTimestamp = timestamp(this.#now());
    if (options.dryRun === true) return { ok: true, object };
    metadata.resourceVersion = String(++this.#resourceVersion);
    this.#bucket(resource).set(key, object);
    this.#record('ADDED', resource, object, undefined);
    return { ok: true, object: structuredClone(object) };
  }

  /** Replaces an object; a `resourceVersion` in the input must match the stored one. */
  update(resource: string, input: KubeObject, options: { dryRun?: boolean } = {}): StoreResult {
    const namespace = input.metadata.namespace ?? 'default';
    const key = `${namespace}/${input.metadata.name ?? ''}`;
    const current = this.#bucket(resource).get(key);
    if (current === undefined) return { ok: false, reason: 'NotFound', what: 'object' };
    const expected = input.metadata.resourceVersion;
    if (expected !== undefined && expected !== '' && expected !== current.metadata.resourceVersion) {
      return { ok: false, reason: 'Conflict' };
    }
    const object = structuredClone(input);
    object.apiVersion = current.apiVersion;
    object.kind = current.kind;
    object.metadata = {
      ...object.metadata,
      namespace,
      uid: current.metadata.uid,
      creationTimestamp: current.metadata.creationTimestamp,
    };
    if (options.dryRun === true) return { ok: true, object };
    object.metadata.resourceVersion = String(++this.#resourceVersion);
    this.#bucket(resource).set(key, object);
    this.#record('MODIFIED', resource, object, current);
    return { ok: true, object: structuredClone(object) };
  }

  /** Internal writes (controllers, test drivers): applies `change` to a copy, no precondition. */
  mutate(
    resource: string,
    namespace: string,
    name: string,
    change: (object: KubeObject) => void,
  ): StoreResult {
    const current = this.#bucket(resource).get(`${namespace}/${name}`);
    if (current === undefined) return { ok: false, reason: 'NotFound', what: 'object' };
    const next = structuredClone(current);
    change(next);
    delete next.metadata.resourceVersion;
    return this.update(resource, next);
  }

  delete(resource: string, namespace: string, name: string, options: { dryRun?: boolean } = {}): StoreResult {
    const key = `${namespace}/${name}`;
    const current = this.#bucket(resource).get(key);
    if (current === undefined) return { ok: false, reason: 'NotFound', what: 'object' };
    if (options.dryRun === true) return { ok: true, object: structuredClone(current) };
    this.#bucket(resource).delete(key);
    const deleted = structuredClone(current);
    deleted.metadata.resourceVersion = String(++this.#resourceVersion);
    this.#record('DELETED', resource, deleted, current);
    return { ok: true, object: structuredClone(deleted) };
  }

  /** Changes after `resourceVersion`, or 'expired' when some of them are no longer retained. */
  changesSince(resourceVersion: number): Change[] | 'expired' {
    if (resourceVersion < this.#compactedThrough) return 'expired';
    return this.#history.filter((c) => c.resourceVersion > resourceVersion);
  }

  /** Whether a resourceVersion is still inside the retained window (continue tokens, watches). */
  isRetained(resourceVersion: number): boolean {
    return resourceVersion >= this.#compactedThrough;
  }

  /** Forgets all history, as etcd compaction does: older resourceVersions now get 410 Expired. */
  compact(): void {
    this.#history.length = 0;
    this.#compactedThrough = this.#resourceVersion;
  }

  /** Listens to every change; returns the unsubscribe function. */
  subscribe(listener: (change: Change) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #bucket(resource: string): Map<string, KubeObject> {
    let bucket = this.#objects.get(resource);
    if (bucket === undefined) {
      bucket = new Map();
      this.#objects.set(resource, bucket);
    }
    return bucket;
  }

  #record(type: ChangeType, resource: string, object: KubeObject, previous: KubeObject | undefined): void {
    const change: Change = { resourceVersion: this.#resourceVersion, type, resource, object, previous };
    this.#history.push(change);
    if (this.#history.length >= 2 * this.#historyLimit) {
      // Trim in batches: shifting one element per change would make every write O(history).
      const dropped = this.#history.splice(0, this.#history.length - this.#historyLimit);
      this.#compactedThrough = dropped[dropped.length - 1]?.resourceVersion ?? this.#compactedThrough;
    }
    for (const listener of [...this.#listeners]) listener(change);
  }
}
