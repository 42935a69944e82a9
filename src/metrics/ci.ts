import tQuantile from '@stdlib/stats-base-dists-t-quantile';

/** Mean and two-sided 95% Student-t confidence interval of independent replications. */
export function meanCi95(xs: readonly number[]): { mean: number; ci95: [number, number] | null } {
  const n = xs.length;
  let sum = 0;
  for (const x of xs) sum += x;
  const mean = sum / n;
  if (n < 2) return { mean, ci95: null };
  let ss = 0;
  for (const x of xs) ss += (x - mean) ** 2;
  const sd = Math.sqrt(ss / (n - 1));
  const half = tQuantile(0.975, n - 1) * (sd / Math.sqrt(n));
  return { mean, ci95: [mean - half, mean + half] };
}
