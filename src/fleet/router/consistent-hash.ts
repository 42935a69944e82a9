import { mix32 } from './hash.ts';
import { LeastOutstanding } from './least-outstanding.ts';
import type { RouterOptions, RouterPolicy, RouterTarget } from './target.ts';

/** Points per replica on the ring: spreads a replica's share of the ring to within about 1/sqrt(32). */
const POINTS_PER_REPLICA = 32;
/** Owner indices fit in the low 20 bits of a ring entry (up to 1,048,576 replicas per cluster). */
const OWNER_BITS = 2 ** 20;

/**
 * Consistent hashing with bounded loads (Mirrokni, Thorup and Zadimoghaddam, SODA 2018), keyed by
 * the request's user: a user's requests (and so its sessions) go to the same replica while that
 * replica is healthy and not overloaded. The ring holds 32 points per replica; a request walks
 * clockwise from its user's hash to the first healthy replica whose load after taking it is within
 * the capacity ceil((1 + eps) x (outstanding of the healthy replicas + 1) / healthy replicas).
 * Such a replica always exists (one at or below the mean), so no replica is ever sent a request
 * that puts it above (1 + eps) x the mean. Requests without a user go to the least-loaded replica.
 *
 * Cost: O(log(32 n)) for the search plus the walk (expected O(1/eps^2) replicas when loaded);
 * memory 8 bytes x 32 n.
 */
export class ConsistentHash implements RouterPolicy {
  readonly name = 'consistent_hash' as const;
  /** position x 2^20 + owner, sorted. */
  private readonly ring: Float64Array;
  private readonly leastLoaded: LeastOutstanding;
  /** Outstanding of each healthy target as of its last notify (0 when unhealthy). */
  private readonly known: Int32Array;
  private healthyCount = 0;
  private totalOutstanding = 0;

  constructor(private readonly targets: readonly RouterTarget[], private readonly options: RouterOptions) {
    const n = targets.length;
    if (n > OWNER_BITS) throw new RangeError(`consistent_hash: at most ${OWNER_BITS} replicas per cluster, got ${n}`);
    this.ring = new Float64Array(n * POINTS_PER_REPLICA);
    for (let i = 0; i < n; i++) {
      for (let p = 0; p < POINTS_PER_REPLICA; p++) this.ring[i * POINTS_PER_REPLICA + p] = mix32(i * POINTS_PER_REPLICA + p, 0x2545f491) * OWNER_BITS + i;
    }
    this.ring.sort();
    this.leastLoaded = new LeastOutstanding(targets);
    this.known = new Int32Array(n).fill(-1);
    for (let i = 0; i < n; i++) this.notify(i);
  }

  notify(i: number): void {
    this.leastLoaded.notify(i);
    const t = this.targets[i];
    const was = this.known[i];
    if (was >= 0) (this.totalOutstanding -= was), this.healthyCount--;
    if (t.healthy) {
      this.known[i] = t.outstanding;
      this.totalOutstanding += t.outstanding;
      this.healthyCount++;
    } else this.known[i] = -1;
  }

  /** The most requests a replica may hold after taking one more. */
  capacity(): number {
    return Math.ceil(((1 + this.options.hash_load_eps) * (this.totalOutstanding + 1)) / this.healthyCount);
  }

  pick(_prefixId?: number, _promptTokens?: number, user = -1): number {
    if (this.healthyCount === 0 || user < 0) return this.leastLoaded.pick();
    const ring = this.ring, size = ring.length;
    const cap = this.capacity();
    const start = this.firstAtOrAfter(mix32(user, 0x6a09e667) * OWNER_BITS);
    for (let k = 0; k < size; k++) {
      const i = ring[(start + k) % size] % OWNER_BITS;
      const t = this.targets[i];
      if (t.healthy && t.outstanding + 1 <= cap) return i;
    }
    return this.leastLoaded.pick(); // a missed notify left the counts stale
  }

  /** Index of the first ring entry at or after x (wrapping to 0). */
  private firstAtOrAfter(x: number): number {
    let lo = 0, hi = this.ring.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ring[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo === this.ring.length ? 0 : lo;
  }
}
