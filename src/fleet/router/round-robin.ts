import { HealthySet, type RouterPolicy, type RouterTarget } from './target.ts';

/** Cycles through the healthy targets. */
export class RoundRobin implements RouterPolicy {
  readonly name = 'round_robin' as const;
  private readonly set: HealthySet;
  private cursor = 0;

  constructor(private readonly targets: readonly RouterTarget[]) {
    this.set = new HealthySet(targets);
  }

  pick(): number {
    const set = this.set;
    while (set.size > 0) {
      if (this.cursor >= set.size) this.cursor = 0;
      const i = set.members[this.cursor];
      if (set.update(i)) {
        this.cursor++;
        return i;
      }
    }
    return -1;
  }

  notify(i: number): void {
    this.set.update(i);
  }
}
