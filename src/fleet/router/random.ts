import type { Rng } from '../../engine/random.ts';
import { HealthySet, type RouterPolicy, type RouterTarget } from './target.ts';

/** Uniform over the healthy targets. */
export class RandomPolicy implements RouterPolicy {
  readonly name = 'random' as const;
  private readonly set: HealthySet;

  constructor(targets: readonly RouterTarget[], private readonly rng: Rng) {
    this.set = new HealthySet(targets);
  }

  pick(): number {
    const set = this.set;
    while (set.size > 0) {
      const i = set.members[Math.floor(this.rng() * set.size)];
      if (set.update(i)) return i;
    }
    return -1;
  }

  notify(i: number): void {
    this.set.update(i);
  }
}
