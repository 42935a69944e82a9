import { describe, expect, it } from 'vitest';
import { LatencyStats, SKETCH_RELATIVE_ACCURACY } from '../../src/metrics/latency.ts';
import { makeSampler } from '../../src/engine/distributions.ts';
import { stream } from '../../src/engine/random.ts';

function exactQuantile(sorted: Float64Array, q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))];
}

describe('LatencyStats', () => {
  it.each([
    ['lognormal', { dist: 'lognormal', mean: 200, p99: 2000 } as const],
    ['pareto', { dist: 'pareto', shape: 1.5, scale: 5 } as const],
    ['uniform', { dist: 'uniform', min: 0, max: 1000 } as const],
  ])('quantiles of %s are within 1%% relative error', (_name, spec) => {
    const s = makeSampler(spec, stream(1, 'sketch'));
    const stats = new LatencyStats();
    const xs = new Float64Array(200_000);
    for (let i = 0; i < xs.length; i++) {
      xs[i] = s.sample();
      stats.add(xs[i]);
    }
    const sorted = Float64Array.from(xs).sort();
    const sum = stats.summary();
    for (const [k, q] of [['p50', 0.5], ['p90', 0.9], ['p99', 0.99], ['p999', 0.999]] as const) {
      const exact = exactQuantile(sorted, q);
      expect(Math.abs(sum[k]! - exact) / exact, `${k}: ${sum[k]} vs ${exact}`).toBeLessThanOrEqual(0.01);
    }
    expect(sum.max).toBe(sorted[sorted.length - 1]);
    expect(sum.mean! / (xs.reduce((a, b) => a + b) / xs.length)).toBeCloseTo(1, 9);
  });

  it('memory does not grow with the number of values', () => {
    const s = makeSampler({ dist: 'exponential', mean: 100 }, stream(2, 'mem'));
    const stats = new LatencyStats();
    for (let i = 0; i < 10_000; i++) stats.add(s.sample());
    for (let i = 0; i < 1_000_000; i++) stats.add(s.sample());
    // The bins cover the log of the value range, whatever the count: at most
    // ln(max/min) / ln((1+a)/(1-a)) bins plus the store's allocation chunks.
    const a = SKETCH_RELATIVE_ACCURACY;
    const bound = Math.log(stats.sketch.max / stats.sketch.min) / Math.log((1 + a) / (1 - a)) + 2 * stats.sketch.store.chunkSize;
    expect(stats.sketch.store.bins.length).toBeLessThanOrEqual(bound);
    expect(stats.count).toBe(1_010_000);
  });

  it('merging two sketches equals sketching the union', () => {
    const a = new LatencyStats(), b = new LatencyStats(), all = new LatencyStats();
    const s = makeSampler({ dist: 'gamma', mean: 50, cv: 2 }, stream(3, 'merge'));
    for (let i = 0; i < 50_000; i++) {
      const x = s.sample();
      (i % 3 === 0 ? a : b).add(x);
      all.add(x);
    }
    a.merge(b);
    const [m, u] = [a.summary(), all.summary()];
    expect([m.p50, m.p90, m.p99, m.p999, m.max]).toEqual([u.p50, u.p90, u.p99, u.p999, u.max]);
    expect(m.mean).toBeCloseTo(u.mean!, 9);
  });

  it('an empty sketch reports nulls, not zeros', () => {
    expect(new LatencyStats().summary()).toEqual({ p50: null, p90: null, p99: null, p999: null, mean: null, max: null });
  });
});
