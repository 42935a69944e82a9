import { distance as editDistance } from '../util/did-you-mean.ts';

/**
 * "Did you mean" for unknown ids (instance types here, GPU and model ids in perf/): always names
 * a candidate, and one that contains the value counts as nearest. The edit distance is shared.
 */
export { editDistance };

/** The candidate nearest to value; one that contains the value ("a100" in "a100-80gb") counts as nearest. */
export function closest(value: string, candidates: readonly string[]): string {
  const v = value.toLowerCase();
  let best = candidates[0];
  let bestD = Infinity;
  for (const c of candidates) {
    const d = c.includes(v) ? (c.length - v.length) * 0.01 : editDistance(v, c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best;
}
