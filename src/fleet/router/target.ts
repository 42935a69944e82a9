/** What a routing policy needs to know about a replica (GpuReplica satisfies it). */
export interface RouterTarget {
  /** Requests waiting + running. */
  readonly outstanding: number;
  /** Allocated KV / capacity, in [0, 1]. */
  kvUsedFraction(): number;
  /** Unhealthy targets are never picked. */
  readonly healthy: boolean;
}

export type PolicyName = 'round_robin' | 'random' | 'least_outstanding' | 'power_of_two' | 'kv_aware';

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
  /** Index of the chosen target, or -1 if none is healthy. */
  pick(): number;
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
