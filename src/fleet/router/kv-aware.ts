import { PowerOfTwo } from './power-of-two.ts';

/**
 * KV-aware power of two choices: of two random healthy targets, the one with the smaller KV
 * cache use wins; ties (e.g. both empty) go to fewer outstanding requests, then the first drawn.
 * KV use reflects the tokens already admitted, so a replica with a few long contexts is avoided
 * even when its request count is low.
 */
export class KvAware extends PowerOfTwo {
  override readonly name = 'kv_aware' as const;

  protected override better(i: number, j: number): boolean {
    const ki = this.targets[i].kvUsedFraction(), kj = this.targets[j].kvUsedFraction();
    if (ki !== kj) return ki < kj;
    return this.targets[i].outstanding <= this.targets[j].outstanding;
  }
}
