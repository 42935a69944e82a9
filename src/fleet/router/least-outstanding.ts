import type { RouterPolicy, RouterTarget } from './target.ts';

/**
 * Fewest outstanding requests wins; ties go to the lowest index.
 *
 * Outstanding counts are small integers that change by one per notify, so the healthy targets
 * are kept in buckets by count (a bitset over target indices per bucket) with the lowest
 * non-empty bucket tracked: notify(i) moves one bit (O(1)); pick() finds the first set bit of
 * the lowest bucket (one word when the fleet is balanced, at most n/32). A binary heap keyed by
 * (count, index) did the same in O(log n) per notify, but in a saturated fleet most replicas
 * share a count, so nearly every notify sifted through the whole height of the heap.
 */
export class LeastOutstanding implements RouterPolicy {
  readonly name = 'least_outstanding' as const;
  /** 32-bit words per bucket. */
  private readonly words: number;
  /** bits[b * words + w]: bit j set when target 32w + j has count b. */
  private bits: Int32Array;
  /** Targets per bucket. */
  private count: Int32Array;
  /** target index -> its bucket (count as of the last notify), -1 when not held (unhealthy) */
  private readonly bucket: Int32Array;
  /** Lowest non-empty bucket (meaningless when n = 0). */
  private minBucket = 0;
  private n = 0;

  constructor(private readonly targets: readonly RouterTarget[]) {
    const m = targets.length;
    this.words = Math.max(1, Math.ceil(m / 32));
    this.count = new Int32Array(64);
    this.bits = new Int32Array(64 * this.words);
    this.bucket = new Int32Array(m).fill(-1);
    for (let i = 0; i < m; i++) this.notify(i);
  }

  pick(): number {
    while (this.n > 0) {
      const base = this.minBucket * this.words;
      let w = 0;
      while (this.bits[base + w] === 0) w++;
      const x = this.bits[base + w];
      const i = 32 * w + 31 - Math.clz32(x & -x);
      if (this.targets[i].healthy) return i;
      this.remove(i); // a missed notify: drop it now
    }
    return -1;
  }

  notify(i: number): void {
    const t = this.targets[i];
    const old = this.bucket[i];
    if (!t.healthy) {
      if (old >= 0) this.remove(i);
      return;
    }
    const k = t.outstanding;
    if (k === old) return;
    if (old >= 0) this.remove(i);
    if (k >= this.count.length) this.grow(k);
    this.bucket[i] = k;
    this.bits[k * this.words + (i >>> 5)] |= 1 << (i & 31);
    this.count[k]++;
    if (this.n === 0 || k < this.minBucket) this.minBucket = k;
    this.n++;
  }

  private remove(i: number): void {
    const b = this.bucket[i];
    this.bucket[i] = -1;
    this.bits[b * this.words + (i >>> 5)] &= ~(1 << (i & 31));
    this.count[b]--;
    this.n--;
    if (this.n > 0 && b === this.minBucket) {
      while (this.count[this.minBucket] === 0) this.minBucket++;
    }
  }

  /** Room for buckets up to k. */
  private grow(k: number): void {
    const size = Math.max(2 * this.count.length, k + 1);
    const count = new Int32Array(size);
    count.set(this.count);
    this.count = count;
    const bits = new Int32Array(size * this.words);
    bits.set(this.bits);
    this.bits = bits;
  }
}
