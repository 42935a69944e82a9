import tQuantile from '@stdlib/stats-base-dists-t-quantile';

/**
 * Mean and two-sided 95% confidence interval of independent replications.
 *
 * A quantity that was never negative (a latency, a count, a cost) gets the log-transformed
 * interval mean * exp(+-h), h = t(0.975, n-1) * (sd / mean) / sqrt(n): the Student-t interval of
 * log(mean) by the delta method. It never goes below zero, is wider above the mean than below (as
 * the spread of a positive, skewed figure is), and is the plain t interval to first order when the
 * spread is small. A quantity that took a negative value somewhere gets the plain t interval,
 * mean +- t * sd / sqrt(n).
 */
export function meanCi95(xs: readonly number[]): { mean: number; ci95: [number, number] | null } {
  const n = xs.length;
  let sum = 0;
  let negative = false;
  for (const x of xs) {
    sum += x;
    if (x < 0) negative = true;
  }
  const mean = sum / n;
  if (n < 2) return { mean, ci95: null };
  let ss = 0;
  for (const x of xs) ss += (x - mean) ** 2;
  const sd = Math.sqrt(ss / (n - 1));
  const half = tQuantile(0.975, n - 1) * (sd / Math.sqrt(n));
  if (negative) return { mean, ci95: [mean - half, mean + half] };
  if (mean === 0) return { mean, ci95: [0, 0] };
  const h = half / mean;
  return { mean, ci95: [mean * Math.exp(-h), mean * Math.exp(h)] };
}
