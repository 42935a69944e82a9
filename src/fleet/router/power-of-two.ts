import type { Rng } from '../../engine/random.ts';
import { HealthySet, type RouterPolicy, type RouterTarget } from './target.ts';

/**
 * Power of two choices (Mitzenmacher 2001): two distinct healthy targets at random, the one
 * with fewer outstanding requests wins (the first drawn on a tie).
 */
export class PowerOfTwo implements RouterPolicy {
  readonly name: 'power_of_two' | 'kv_aware' = 'power_of_two';
  protected readonly set: HealthySet;

  constructor(protected readonly targets: readonly RouterTarget[], private readonly rng: Rng) {
    this.set = new HealthySet(targets);
  }

  pick(): number {
    const set = this.set;
    for (;;) {
      const n = set.size;
      if (n === 0) return -1;
      const a = Math.floor(this.rng() * n);
      if (n === 1) {
        const i = set.members[0];
        if (set.update(i)) return i;
        continue;
      }
      let b = Math.floor(this.rng() * (n - 1));
      if (b >= a) b++;
      const i = set.members[a], j = set.members[b];
      // re-check health: a missed notify must not route to a dead target
      if (!set.update(i) || !set.update(j)) continue;
      return this.better(i, j) ? i : j;
    }
  }

  /** True if i is at least as good as j. */
  protected better(i: number, j: number): boolean {
    return this.targets[i].outstanding <= this.targets[j].outstanding;
  }

  notify(i: number): void {
    this.set.update(i);
  }
}
