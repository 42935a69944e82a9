import { describe, expect, it } from 'vitest';
import { DDSketch } from '@datadog/sketches-js';
import { LatencyStats, SKETCH_RELATIVE_ACCURACY, sketchKeyOf } from '../../src/metrics/latency.ts';
import { makeSampler } from '../../src/engine/distributions.ts';
import { stream } from '../../src/engine/random.ts';

function exactQuantile(sorted: Float64Array, q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))];
}

/** The last value of each of the library's bins from `from` to `to` (bisected to the ulp), in order. */
function binEdges(key: (v: number) => number, from: number, to: number): number[] {
  const edges: number[] = [];
  for (let lo = from; lo < to; ) {
    let hi = lo * 1.02;
    while (key(hi) === key(lo)) hi *= 1.02;
    for (let i = 0; i < 200 && hi - lo > Number.EPSILON * hi; i++) {
      const mid = (lo + hi) / 2;
      if (key(mid) === key(lo)) lo = mid;
      else hi = mid;
    }
    edges.push(lo);
    lo = hi;
  }
  return edges;
}

describe('LatencyStats', () => {
  it('ends with exactly the bins the library sketch gets from the same values, however reads and adds interleave', () => {
    const rng = stream(4, 'ingest');
    const ours = new LatencyStats();
    const lib = new DDSketch({ relativeAccuracy: SKETCH_RELATIVE_ACCURACY });
    const values: number[] = [0, 1e-6, 3e9, -5];
    for (let i = 0; i < 50_000; i++) values.push(Math.exp(rng() * 30 - 10)); // 4.5e-5 .. 1e9: the pending array grows both ways
    values.forEach((v, i) => {
      const w = i % 7 === 0 ? 3 : 1;
      ours.addWeighted(v, w);
      lib.accept(v, w);
      if (i % 9973 === 0) ours.quantile(0.5); // a read moves what is pending into the sketch
    });
    const a = ours.sketch;
    const trim = (bins: number[]) => bins.join(',').replace(/^(0,)+|(,0)+$/g, '');
    expect(trim(a.store.bins), 'positive bins').toBe(trim(lib.store.bins));
    expect(trim(a.negativeStore.bins), 'negative bins').toBe(trim(lib.negativeStore.bins));
    expect([a.count, a.zeroCount, a.min, a.max]).toEqual([lib.count, lib.zeroCount, lib.min, lib.max]);
    expect(a.sum / lib.sum).toBeCloseTo(1, 12);
    for (const q of [0.01, 0.5, 0.99, 0.999]) expect(ours.quantile(q)).toBe(lib.getValueAtQuantile(q));
    // merging two halves gives the whole
    const h1 = new LatencyStats(), h2 = new LatencyStats();
    values.forEach((v, i) => (i % 2 ? h1 : h2).add(v));
    h1.merge(h2);
    const whole = new LatencyStats();
    values.forEach((v) => whole.add(v));
    for (const q of [0.5, 0.9, 0.99]) expect(h1.quantile(q)).toBe(whole.quantile(q));
    expect(h1.count).toBe(values.length);
  });

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

  it.each([true, false])('values in runs and at bin edges get the library key (remembering runs: %s; the remembered bin never misplaces one)', (rememberRuns) => {
    const lib = new DDSketch({ relativeAccuracy: SKETCH_RELATIVE_ACCURACY });
    const key = (v: number) => lib.mapping.key(v);
    const values: number[] = [];
    // slowly growing gaps, as a replica's inter-token gaps over a run of decode steps
    for (let v = 20; v < 60; v += 0.0007) values.push(v);
    // the last values below and the first above each bin edge from 1e-3 to 1e5 ms, a few ulps apart
    for (const edge of binEdges(key, 1e-3, 1e5)) for (let k = -3; k <= 3; k++) values.push(edge + k * Number.EPSILON * edge);
    const ours = new LatencyStats({ rememberRuns });
    for (const v of values) {
      ours.add(v);
      lib.accept(v);
    }
    const trim = (bins: number[]) => bins.join(',').replace(/^(0,)+|(,0)+$/g, '');
    expect(trim(ours.sketch.store.bins)).toBe(trim(lib.store.bins));
    expect([ours.sketch.count, ours.sketch.min, ours.sketch.max]).toEqual([lib.count, lib.min, lib.max]);
  });

  it('the key table gives the library key for every value: at bin edges, at the table\'s part edges and at random, 1 ns to 10^12 ms', () => {
    const lib = new DDSketch({ relativeAccuracy: SKETCH_RELATIVE_ACCURACY });
    const key = (v: number) => lib.mapping.key(v);
    const values: number[] = [];
    const around = (v: number) => {
      for (let k = -3; k <= 3; k++) values.push(v + k * Number.EPSILON * v);
    };
    // every bin edge: the last value of a bin and the first of the next, a few ulps either side
    for (const edge of binEdges(key, 1e-7, 1e10)) around(edge);
    // the table cuts each octave into 1,024 parts: their edges, from 2^-21 to 2^31 ms
    for (let e = -21; e <= 31; e++) for (let part = 0; part <= 1024; part++) around(Math.pow(2, e) * (1 + part / 1024));
    const rng = stream(3, 'keys');
    for (let i = 0; i < 200_000; i++) values.push(Math.pow(10, -9 + 21 * rng()));
    let wrong = 0;
    for (const v of values) if (sketchKeyOf(v) !== key(v)) wrong++;
    expect(values.length).toBeGreaterThan(500_000);
    expect(wrong).toBe(0);
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
