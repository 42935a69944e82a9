/** What a routing policy needs to know about a replica (GpuReplica satisfies it). */
export interface RouterTarget {
  /** Requests waiting + running. */
  readonly outstanding: number;
  /** Allocated KV / capacity, in [0, 1]. */
  kvUsedFraction(): number;
  /** Unhealthy targets are never picked. */
  readonly healthy: boolean;
  /** Leading blocks of shared prefix `prefixId` the replica's cache holds now (cache-aware policies; absent: none). */
  cachedPrefixBlocks?(prefixId: number): number;
}

export type PolicyName = 'round_robin' | 'random' | 'least_outstanding' | 'power_of_two' | 'kv_aware' | 'prefix_affinity' | 'consistent_hash';

/** What cache-aware policies need beyond the targets (`fleet.models.<m>.router`, defaults resolved). */
export interface RouterOptions {
  /** Simulated time now, ms (the lagging cache view reads it). */
  now_ms: () => number;
  /** The router's view of a replica's cache is at most this old (0: exact). */
  cache_view_lag_ms: number;
  /** A replica's batch size: outstanding / this is its normalised load. */
  max_num_seqs: number;
  cache_weight: number;
  load_weight: number;
  /** Prefix affinity yields to the least-loaded replica when its pick has more than this many extra outstanding requests... */
  balance_abs_requests: number;
  /** ...and more than this multiple of the least-loaded replica's. */
  balance_rel: number;
  /** Consistent hashing's bound: no replica above (1 + eps) x the mean load. */
  hash_load_eps: number;
  /** KV block size in tokens (a cached prefix of b blocks matches 16b tokens). */
  block_size_tokens: number;
}

export const DEFAULT_ROUTER_OPTIONS: Readonly<Omit<RouterOptions, 'now_ms'>> = {
  cache_view_lag_ms: 0,
  max_num_seqs: 256,
  cache_weight: 1,
  load_weight: 1,
  balance_abs_requests: 32,
  balance_rel: 1.5,
  hash_load_eps: 0.25,
  block_size_tokens: 16,
};

/**
 * A replica-selection policy over a fixed array of targets.
 *
 * Contract with the fleet: call `notify(i)` after anything that changes target i's outstanding
 * count or health (submit, first token is not needed, done, reject, fail, restore). Policies
 * read the target's current values in notify and keep their own index (O(1), or O(log n) for
 * least_outstanding), so pick() never scans the fleet. pick() also re-checks the health of the
 * target it is about to return, so a missed notify after a failure cannot route to a dead
 * replica.
 */
export interface RouterPolicy {
  readonly name: PolicyName;
  /**
   * Index of the chosen target, or -1 if none is healthy. Cache-aware policies read the request's
   * shared prefix (`prefixId`, -1: none), its prompt length and its user; the others ignore them.
   */
  pick(prefixId?: number, promptTokens?: number, user?: number): number;
  /** Target i's outstanding count or health changed. */
  notify(i: number): void;
}

/**
 * The healthy targets as a dense array with positions (O(1) insert, remove, uniform pick).
 * Order changes on removal (swap with last), which only matters to round robin.
 */
export class HealthySet {
  readonly members: Int32Array;
  private readonly pos: Int32Array;
  size = 0;

  constructor(private readonly targets: readonly RouterTarget[]) {
    this.members = new Int32Array(targets.length);
    this.pos = new Int32Array(targets.length).fill(-1);
    for (let i = 0; i < targets.length; i++) this.update(i);
  }

  has(i: number): boolean {
    return this.pos[i] >= 0;
  }

  /** Brings membership of i in line with targets[i].healthy; returns true if it is a member. */
  update(i: number): boolean {
    const healthy = this.targets[i].healthy;
    const p = this.pos[i];
    if (healthy && p < 0) {
      this.pos[i] = this.size;
      this.members[this.size++] = i;
    } else if (!healthy && p >= 0) {
      const last = this.members[--this.size];
      this.members[p] = last;
      this.pos[last] = p;
      this.pos[i] = -1;
    }
    return healthy;
  }
}
