import { describe, expect, it } from 'vitest';
import { makeSampler, lognormalFromMeanP99, type DistSpec } from '../../src/engine/distributions.ts';
import { stream } from '../../src/engine/random.ts';

const N = 200_000;
function draw(spec: DistSpec, seed = 1): Float64Array {
  const s = makeSampler(spec, stream(seed, 'test'));
  const xs = new Float64Array(N);
  for (let i = 0; i < N; i++) xs[i] = s.sample();
  return xs;
}
function moments(xs: Float64Array) {
  let a = 0, b = 0;
  for (const x of xs) a += x;
  const mean = a / xs.length;
  for (const x of xs) b += (x - mean) ** 2;
  return { mean, sd: Math.sqrt(b / (xs.length - 1)) };
}
function quantile(xs: Float64Array, q: number): number {
  const s = Float64Array.from(xs).sort();
  return s[Math.floor(q * (s.length - 1))];
}
/** The sample mean lies within 4 standard errors of the true mean. */
function expectMean(xs: Float64Array, mean: number, sd: number, label: string) {
  const m = moments(xs).mean;
  const se = sd / Math.sqrt(xs.length);
  expect(Math.abs(m - mean), `${label}: sample mean ${m} vs ${mean} (4 SE = ${4 * se}), seed 1`).toBeLessThan(4 * se);
}

describe('distributions', () => {
  it('random streams are reproducible per (seed, name) and independent across names', () => {
    const a1 = stream(7, 'a'), a2 = stream(7, 'a'), b = stream(7, 'b'), a8 = stream(8, 'a');
    const xs = Array.from({ length: 5 }, () => a1());
    expect(Array.from({ length: 5 }, () => a2())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => b())).not.toEqual(xs);
    expect(Array.from({ length: 5 }, () => a8())).not.toEqual(xs);
  });

  it('constant and uniform', () => {
    expect(draw({ dist: 'constant', value: 3 }).every((x) => x === 3)).toBe(true);
    const u = draw({ dist: 'uniform', min: 10, max: 30 });
    expect(u.every((x) => x >= 10 && x < 30)).toBe(true);
    expectMean(u, 20, 20 / Math.sqrt(12), 'uniform');
  });

  it('exponential: mean and sd equal', () => {
    const xs = draw({ dist: 'exponential', mean: 50 });
    expectMean(xs, 50, 50, 'exponential');
    expect(moments(xs).sd / 50).toBeCloseTo(1, 1);
    expect(quantile(xs, 0.99) / (50 * Math.log(100))).toBeCloseTo(1, 1);
  });

  it('normal truncated at 0 never goes negative', () => {
    const xs = draw({ dist: 'normal', mean: 100, sd: 10 });
    expectMean(xs, 100, 10, 'normal');
    expect(draw({ dist: 'normal', mean: 1, sd: 5 }).every((x) => x >= 0)).toBe(true);
  });

  it('lognormal from mean and p99 has that mean and p99', () => {
    const xs = draw({ dist: 'lognormal', mean: 100, p99: 500 });
    const { sigma } = lognormalFromMeanP99(100, 500);
    expectMean(xs, 100, 100 * Math.sqrt(Math.exp(sigma * sigma) - 1), 'lognormal');
    expect(quantile(xs, 0.99) / 500).toBeCloseTo(1, 1);
    expect(() => lognormalFromMeanP99(100, 90)).toThrow();
    const ms = draw({ dist: 'lognormal', mu: 0, sigma: 0.5 });
    expect(quantile(ms, 0.5)).toBeCloseTo(1, 1);
  });

  it.each([0.3, 1, 2.5])('gamma with cv %s has its mean and cv', (cv) => {
    const xs = draw({ dist: 'gamma', mean: 40, cv });
    expectMean(xs, 40, 40 * cv, `gamma cv ${cv}`);
    expect(moments(xs).sd / moments(xs).mean).toBeCloseTo(cv, 1);
  });

  it('weibull and pareto have their analytical means', () => {
    const w = makeSampler({ dist: 'weibull', shape: 2, scale: 10 }, stream(1, 'w'));
    expect(w.mean).toBeCloseTo(10 * 0.886227, 4);
    expectMean(draw({ dist: 'weibull', shape: 2, scale: 10 }), w.mean, 10 * Math.sqrt(1 - Math.PI / 4), 'weibull');
    const p = makeSampler({ dist: 'pareto', shape: 3, scale: 10 }, stream(1, 'p'));
    expect(p.mean).toBeCloseTo(15, 10);
    const xs = draw({ dist: 'pareto', shape: 3, scale: 10 });
    expect(xs.every((x) => x >= 10)).toBe(true);
    expect(quantile(xs, 0.5)).toBeCloseTo(10 * 2 ** (1 / 3), 0);
  });

  it('empirical draws only its samples, uniformly', () => {
    const xs = draw({ dist: 'empirical', samples: [1, 2, 7] });
    const counts = [1, 2, 7].map((v) => xs.filter((x) => x === v).length);
    expect(counts.reduce((a, b) => a + b)).toBe(N);
    for (const c of counts) expect(Math.abs(c - N / 3)).toBeLessThan(4 * Math.sqrt((N * 2) / 9));
  });
});
