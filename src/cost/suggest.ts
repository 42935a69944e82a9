/**
 * "Did you mean" for unknown ids (instance types here, GPU and model ids in perf/). It lives in
 * cost/, the lower layer, so both can use it without perf -> cost -> perf cycles.
 */

/** Levenshtein distance: inputs are short ids, so the plain O(n*m) table is fine. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

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
