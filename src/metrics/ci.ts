import { tQuantile } from '../util/student-t.ts';

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
  return { mean, ci95: ci95FromMoments(n, mean, ss, negative) };
}

/**
 * The interval of meanCi95 from the sample's moments: its size n (at least 2), mean, sum of
 * squared deviations from the mean `ss`, and whether any value was negative. Shared with the
 * running accumulator that aggregates replications as they complete.
 */
export function ci95FromMoments(n: number, mean: number, ss: number, negative: boolean): [number, number] {
  const sd = Math.sqrt(ss / (n - 1));
  const half = tQuantile(0.975, n - 1) * (sd / Math.sqrt(n));
  if (negative) return [mean - half, mean + half];
  if (mean === 0) return [0, 0];
  const h = half / mean;
  return [mean * Math.exp(-h), mean * Math.exp(h)];
}

/**
 * Mean and meanCi95 interval of values added one at a time, in O(1) memory. The mean is the
 * same left-to-right sum divided by n as meanCi95's, so it agrees to the last bit; the squared
 * deviations are Welford's running update (numerically stable: no sum of squares minus a squared
 * sum), which can differ from meanCi95's two-pass sum in the last bits.
 */
export class RunningMeanCi95 {
  private n = 0;
  private sum = 0;
  private negative = false;
  /** Welford's running mean and sum of squared deviations from it. */
  private runningMean = 0;
  private ss = 0;

  add(x: number): void {
    this.n++;
    this.sum += x;
    if (x < 0) this.negative = true;
    const delta = x - this.runningMean;
    this.runningMean += delta / this.n;
    this.ss += delta * (x - this.runningMean);
  }

  get count(): number {
    return this.n;
  }

  /** As meanCi95 of the values added (a mean of NaN when none were). */
  result(): { mean: number; ci95: [number, number] | null } {
    const mean = this.sum / this.n;
    return { mean, ci95: this.n < 2 ? null : ci95FromMoments(this.n, mean, this.ss, this.negative) };
  }
}
