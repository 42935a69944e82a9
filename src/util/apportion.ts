/**
 * Whole counts, one per part, of `share` of each part's size, summing to round(share x total):
 * the largest-remainder method (Hamilton's). Rounding each part on its own drifts from the share
 * as parts get small (0.5 of three clusters of 3 is 2 + 2 + 2 = 6 of 9, not 4.5); this keeps the
 * total within half a unit of the share of the whole, and each count within one of its own share.
 * Ties go to the earlier part, so the result is deterministic.
 */
export function apportion(sizes: readonly number[], share: number): number[] {
  const exact = sizes.map((n) => n * share);
  const counts = exact.map(Math.floor);
  const total = Math.round(exact.reduce((a, x) => a + x, 0));
  let left = total - counts.reduce((a, k) => a + k, 0);
  // remainders to a billionth, so 11 x 0.7 (7.699999...) ties 1 x 0.7 and the earlier part wins
  const remainder = exact.map((x, i) => Math.round((x - counts[i]) * 1e9));
  const byRemainder = exact.map((_, i) => i).sort((a, b) => remainder[b] - remainder[a] || a - b);
  for (const i of byRemainder) {
    if (left <= 0) break;
    if (counts[i] < sizes[i]) (counts[i]++, left--);
  }
  return counts;
}
