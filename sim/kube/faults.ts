/** Fault injection for the fake API server: rules matched per verb and resource, used a count of times. */

export type FaultVerb = 'list' | 'watch' | 'get' | 'create' | 'update' | 'patch' | 'delete';

export type FaultAction =
  /** 410 Expired: an in-stream ERROR event for a watch, an HTTP 410 Status otherwise. */
  | { readonly kind: 'expired' }
  /** Destroy the connection without answering. */
  | { readonly kind: 'drop' }
  /** Watch: send the headers, then nothing ever. Other verbs: never answer. */
  | { readonly kind: 'stall' }
  /** Answer with this HTTP status and a matching Status body (429 carries Retry-After). */
  | { readonly kind: 'status'; readonly code: number; readonly retryAfterSeconds?: number }
  /** Answer normally after a delay. */
  | { readonly kind: 'delay'; readonly ms: number };

export interface FaultRule {
  /** Any verb when absent. */
  readonly verb?: FaultVerb;
  /** Plural resource name (`jobs`, `pods`); any when absent. */
  readonly resource?: string;
  /** How many requests it applies to; 1 when absent, Infinity for all. */
  readonly times?: number;
  readonly action: FaultAction;
}

export interface FaultHandle {
  /** Requests this rule has been applied to. */
  readonly hits: number;
  remove(): void;
}

interface ActiveRule {
  rule: FaultRule;
  remaining: number;
  hits: number;
}

export interface OpenWatch {
  readonly resource: string;
  drop(): void;
  stall(): void;
}

export class Faults {
  readonly #rules: ActiveRule[] = [];
  readonly #watches = new Set<OpenWatch>();

  /** Adds a rule; the first matching rule with uses left wins. */
  inject(rule: FaultRule): FaultHandle {
    const active: ActiveRule = { rule, remaining: rule.times ?? 1, hits: 0 };
    this.#rules.push(active);
    return {
      get hits() {
        return active.hits;
      },
      remove: () => {
        const index = this.#rules.indexOf(active);
        if (index >= 0) this.#rules.splice(index, 1);
      },
    };
  }

  clear(): void {
    this.#rules.length = 0;
  }

  /** Kills the connections of open watches (of one resource, or all); returns how many. */
  dropWatches(resource?: string): number {
    return this.#eachWatch(resource, (w) => {
      w.drop();
    });
  }

  /** Makes open watches go silent without closing; returns how many. */
  stallWatches(resource?: string): number {
    return this.#eachWatch(resource, (w) => {
      w.stall();
    });
  }

  openWatches(resource?: string): number {
    return [...this.#watches].filter((w) => resource === undefined || w.resource === resource).length;
  }

  /** Server side: the action for this request, if a rule applies (consumes one use). */
  take(verb: FaultVerb, resource: string): FaultAction | undefined {
    const active = this.#rules.find(
      (r) =>
        r.remaining > 0 &&
        (r.rule.verb === undefined || r.rule.verb === verb) &&
        (r.rule.resource === undefined || r.rule.resource === resource),
    );
    if (active === undefined) return undefined;
    active.remaining--;
    active.hits++;
    return active.rule.action;
  }

  /** Server side: tracks a watch while it is open. */
  track(watch: OpenWatch): () => void {
    this.#watches.add(watch);
    return () => this.#watches.delete(watch);
  }

  #eachWatch(resource: string | undefined, action: (watch: OpenWatch) => void): number {
    const matching = [...this.#watches].filter((w) => resource === undefined || w.resource === resource);
    matching.forEach(action);
    return matching.length;
  }
}
