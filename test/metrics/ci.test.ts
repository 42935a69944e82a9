import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { meanCi95 } from '../../src/metrics/ci.ts';
import tQuantile from '@stdlib/stats-base-dists-t-quantile';

/** Student t interval, computed here from its textbook formula: the reference for small spreads. */
function tInterval(xs: number[]): [number, number] {
  const n = xs.length;
  const mean = xs.reduce((a, x) => a + x, 0) / n;
  const sd = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1));
  const half = tQuantile(0.975, n - 1) * (sd / Math.sqrt(n));
  return [mean - half, mean + half];
}

describe('meanCi95: intervals of positive quantities', () => {
  it('never go below zero, however wide (the t interval of these three latencies reaches -2,681)', () => {
    const xs = [1200, 1300, 7181];
    expect(tInterval(xs)[0]).toBeLessThan(0);
    const { mean, ci95 } = meanCi95(xs);
    expect(ci95![0]).toBeGreaterThan(0);
    expect(ci95![0]).toBeLessThan(mean);
    expect(ci95![1]).toBeGreaterThan(mean);
    // Multiplicative: the mean is the geometric centre of the interval.
    expect(ci95![0] * ci95![1]).toBeCloseTo(mean * mean, 6);
  });

  it('match the Student t interval when the spread is small', () => {
    const xs = [1000, 1010, 995, 1004, 998];
    const [lo, hi] = tInterval(xs);
    const { ci95 } = meanCi95(xs);
    expect(ci95![0]).toBeCloseTo(lo, 0);
    expect(ci95![1]).toBeCloseTo(hi, 0);
  });

  it('cover the true mean about 95% of the time (log-normal figures, 5 replications)', () => {
    const rng = seedrandom('ci-coverage');
    const normal = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
    const sigma = 0.3;
    const trueMean = Math.exp(sigma ** 2 / 2); // E[exp(N(0, sigma^2))]
    let covered = 0;
    const trials = 4000;
    for (let i = 0; i < trials; i++) {
      const xs = Array.from({ length: 5 }, () => Math.exp(sigma * normal()));
      const [lo, hi] = meanCi95(xs).ci95!;
      if (lo <= trueMean && trueMean <= hi) covered++;
    }
    expect(covered / trials).toBeGreaterThan(0.92);
    expect(covered / trials).toBeLessThan(0.975);
  });

  it('quantities that went negative keep the symmetric t interval; all zeros give [0, 0]', () => {
    const xs = [-5, 3, 10];
    expect(meanCi95(xs).ci95).toEqual(tInterval(xs));
    expect(meanCi95([0, 0, 0]).ci95).toEqual([0, 0]);
    expect(meanCi95([4]).ci95).toBeNull();
  });
});
