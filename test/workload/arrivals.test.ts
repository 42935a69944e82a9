import { describe, expect, it } from 'vitest';
import { stream } from '../../src/engine/random.ts';
import type { ArrivalsSpec } from '../../src/workload/schema.ts';
import type { ProfileSpec } from '../../src/workload/profile-schema.ts';
import { makeArrivals, type ArrivalSource } from '../../src/workload/arrivals.ts';
import { chiSquareBounds, gammaScvSdUnit, lag1, mean, scv, zCritical } from '../helpers/stats.ts';

/**
 * Statistical checks use fixed seeds and tolerances derived from the sample size: z * sd, with
 * z for a family-wise false-failure rate of 1e-4 per test (1e-3 where there are many windows).
 */
const Z = zCritical(1);

function source(spec: ArrivalsSpec, seed: number): ArrivalSource {
  return makeArrivals(spec, stream(seed, 'arrivals'));
}

/** The first n arrival times (ms). */
function firstN(src: ArrivalSource, n: number): Float64Array {
  const t = new Float64Array(n);
  for (let i = 0; i < n; i++) t[i] = src.next();
  return t;
}

/** All arrival times before horizon_ms. */
function until(src: ArrivalSource, horizon_ms: number, cap = 5_000_000): number[] {
  const out: number[] = [];
  for (;;) {
    const t = src.next();
    if (!(t < horizon_ms)) return out;
    out.push(t);
    if (out.length > cap) throw new Error('runaway arrival source');
  }
}

function gaps(times: ArrayLike<number>): Float64Array {
  const g = new Float64Array(times.length);
  let prev = 0;
  for (let i = 0; i < times.length; i++) {
    g[i] = times[i] - prev;
    prev = times[i];
  }
  return g;
}

/** Exact integral of a piecewise-linear profile over [a, b] seconds (independent of RateProfile). */
function profileIntegral(p: ProfileSpec, a: number, b: number): number {
  const pts = p.points.map(([t, f]) => [t, f] as [number, number]);
  const periodic = p.period_s !== undefined;
  const period = periodic ? p.period_s! : Infinity;
  if (periodic && period > pts[pts.length - 1][0]) pts.push([period, pts[0][1]]);
  const f = (t: number): number => {
    const x = periodic ? t - Math.floor(t / period) * period : t;
    if (x >= pts[pts.length - 1][0]) return pts[pts.length - 1][1];
    let i = 0;
    while (pts[i + 1][0] <= x) i++;
    const [t0, f0] = pts[i];
    const [t1, f1] = pts[i + 1];
    return f0 + ((x - t0) / (t1 - t0)) * (f1 - f0);
  };
  // Break [a, b] at every knot (f is linear between them), then integrate each piece exactly.
  const cuts = new Set<number>([a, b]);
  const cycles = periodic ? [Math.floor(a / period), Math.floor(b / period)] : [0, 0];
  for (let c = cycles[0]; c <= cycles[1]; c++) {
    for (const [t] of pts) {
      const x = (periodic ? c * period : 0) + t;
      if (x > a && x < b) cuts.add(x);
    }
  }
  const xs = [...cuts].sort((u, v) => u - v);
  let area = 0;
  for (let i = 1; i < xs.length; i++) {
    const l = xs[i - 1], r = xs[i];
    // Evaluate just inside the piece so a periodic wrap does not pick up the next cycle's value.
    const eps = (r - l) * 1e-12;
    area += ((f(l + eps) + f(r - eps)) / 2) * (r - l);
  }
  return area;
}

/** Counts arrivals per [k*w, (k+1)*w) window, in seconds. */
function windowCounts(times_ms: readonly number[], window_s: number, windows: number): number[] {
  const c = new Array<number>(windows).fill(0);
  for (const t of times_ms) {
    const k = Math.floor(t / 1000 / window_s);
    if (k < windows) c[k]++;
  }
  return c;
}

/**
 * Counts in disjoint windows of an inhomogeneous Poisson process are independent Poisson(Lambda_w):
 * each within zB * sqrt(Lambda_w) (Bonferroni over the windows), and the chi-square statistic
 * within its 1e-4 bounds.
 */
function expectPoissonCounts(counts: number[], expected: number[], seed: number, what: string): void {
  const zB = zCritical(counts.length, 1e-3);
  let chi2 = 0;
  counts.forEach((c, i) => {
    const lam = expected[i];
    chi2 += (c - lam) ** 2 / lam;
    expect(Math.abs(c - lam), `${what}: window ${i}: ${c} arrivals, expected ${lam.toFixed(1)} +- ${(zB * Math.sqrt(lam)).toFixed(1)} (seed ${seed})`).toBeLessThanOrEqual(
      zB * Math.sqrt(lam),
    );
  });
  const [lo, hi] = chiSquareBounds(counts.length);
  expect(chi2, `${what}: chi-square ${chi2.toFixed(1)} outside [${lo.toFixed(1)}, ${hi.toFixed(1)}] for ${counts.length} windows (seed ${seed})`).toBeGreaterThanOrEqual(lo);
  expect(chi2, `${what}: chi-square ${chi2.toFixed(1)} outside [${lo.toFixed(1)}, ${hi.toFixed(1)}] (seed ${seed})`).toBeLessThanOrEqual(hi);
}

describe('Poisson arrivals', () => {
  const seed = 101;
  const rate = 5; // per second: mean gap 200 ms
  const n = 200_000;
  const g = gaps(firstN(source({ kind: 'poisson', rate_per_s: rate }, seed), n));

  it('mean rate within z / sqrt(n) (relative)', () => {
    const rel = mean(g) / (1000 / rate) - 1;
    const tol = Z / Math.sqrt(n); // gaps have CV 1
    expect(Math.abs(rel), `mean gap off by ${(rel * 100).toFixed(3)}%, tolerance ${(tol * 100).toFixed(3)}% (seed ${seed}, n ${n})`).toBeLessThanOrEqual(tol);
  });

  it('squared CV of the gaps is 1 within z * 2 / sqrt(n)', () => {
    const c2 = scv(g);
    const tol = (Z * gammaScvSdUnit(1)) / Math.sqrt(n);
    expect(Math.abs(c2 - 1), `SCV ${c2} (seed ${seed}, n ${n}, tolerance ${tol})`).toBeLessThanOrEqual(tol);
  });

  it('gaps are uncorrelated (lag-1 autocorrelation within z / sqrt(n))', () => {
    const r = lag1(g);
    expect(Math.abs(r), `lag-1 autocorrelation ${r} (seed ${seed})`).toBeLessThanOrEqual(Z / Math.sqrt(n));
  });

  it('times are strictly increasing and the stream is reproducible from the seed', () => {
    expect(g.filter((x) => !(x > 0)).length, `non-increasing arrival times (seed ${seed})`).toBe(0);
    const a = firstN(source({ kind: 'poisson', rate_per_s: rate }, seed), 1000);
    const b = firstN(source({ kind: 'poisson', rate_per_s: rate }, seed), 1000);
    const c = firstN(source({ kind: 'poisson', rate_per_s: rate }, seed + 1), 1000);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
  });

  it('reports its mean rate for capacity checks', () => {
    expect(source({ kind: 'poisson', rate_per_s: rate }, seed).meanRatePerS(1e6)).toBe(rate);
  });

  it('has no token counts', () => {
    const s = source({ kind: 'poisson', rate_per_s: rate }, seed);
    s.next();
    expect([s.promptTokens, s.outputTokens]).toEqual([-1, -1]);
  });
});

describe('gamma arrivals (burstiness)', () => {
  const n = 200_000;
  it.each([
    [2, 202],
    [0.5, 203],
  ])('cv %d: rate and measured CV within sampling tolerance', (cv, seed) => {
    const rate = 4;
    const g = gaps(firstN(source({ kind: 'gamma', rate_per_s: rate, cv }, seed), n));
    const rel = mean(g) / (1000 / rate) - 1;
    const rateTol = (Z * cv) / Math.sqrt(n);
    expect(Math.abs(rel), `cv ${cv}: mean gap off by ${(rel * 100).toFixed(3)}%, tolerance ${(rateTol * 100).toFixed(3)}% (seed ${seed})`).toBeLessThanOrEqual(rateTol);

    // CV = sqrt(SCV); by the delta method its sd is sd(SCV) / (2 CV).
    const k = 1 / (cv * cv);
    const scvSd = gammaScvSdUnit(k) / Math.sqrt(n);
    const measured = Math.sqrt(scv(g));
    const cvTol = (Z * scvSd) / (2 * cv);
    expect(Math.abs(measured - cv), `cv ${cv}: measured CV ${measured}, tolerance ${cvTol} (seed ${seed}, n ${n})`).toBeLessThanOrEqual(cvTol);
    expect(Math.abs(lag1(g)), `cv ${cv}: lag-1 autocorrelation (seed ${seed})`).toBeLessThanOrEqual(Z / Math.sqrt(n));
  });

  it('burstier arrivals have more variable counts per window (index of dispersion ~ cv^2)', () => {
    // For a renewal process, Var N(t) / E N(t) -> cv^2 for windows much longer than a gap.
    const seed = 204;
    const rate = 10, window_s = 50, windows = 400;
    for (const cv of [0.5, 2]) {
      const c = windowCounts(until(source({ kind: 'gamma', rate_per_s: rate, cv }, seed), windows * window_s * 1000), window_s, windows);
      const m = mean(c);
      const v = c.reduce((a, x) => a + (x - m) ** 2, 0) / (c.length - 1);
      const dispersion = v / m;
      // The sample variance of ~normal counts has relative sd sqrt(2 / (windows - 1)).
      // (The O(1) correction to Var N(t) of a renewal process is under 1% of cv^2 E N here.)
      const tol = Z * Math.sqrt(2 / (windows - 1)) * cv * cv;
      expect(Math.abs(dispersion - cv * cv), `cv ${cv}: index of dispersion ${dispersion} (seed ${seed})`).toBeLessThanOrEqual(tol);
    }
  });
});

describe('rate profiles (piecewise linear)', () => {
  it('periodic [[0,1],[100,3],[200,1]] over 200 s: window counts follow rate x factor', () => {
    const seed = 301;
    const rate = 4;
    const profile: ProfileSpec = { points: [[0, 1], [100, 3], [200, 1]], period_s: 200 };
    const window_s = 20, windows = 100; // 10 periods
    const times = until(source({ kind: 'poisson', rate_per_s: rate, profile }, seed), windows * window_s * 1000);
    const counts = windowCounts(times, window_s, windows);
    const expected = counts.map((_, i) => rate * profileIntegral(profile, i * window_s, (i + 1) * window_s));
    // Sanity of the reference integral: one period averages factor 2.
    expect(profileIntegral(profile, 0, 200)).toBeCloseTo(400, 9);
    expectPoissonCounts(counts, expected, seed, 'periodic profile');
    const total = times.length;
    const lam = rate * profileIntegral(profile, 0, windows * window_s);
    expect(Math.abs(total - lam), `total ${total} vs ${lam} (seed ${seed})`).toBeLessThanOrEqual(Z * Math.sqrt(lam));
  });

  it('the mean rate of a profiled source is rate x mean factor', () => {
    const profile: ProfileSpec = { points: [[0, 1], [100, 3], [200, 1]], period_s: 200 };
    expect(source({ kind: 'poisson', rate_per_s: 4, profile }, 1).meanRatePerS(200_000)).toBeCloseTo(8, 3);
    expect(source({ kind: 'poisson', rate_per_s: 4, profile }, 1).meanRatePerS(100_000)).toBeCloseTo(4 * 2, 3);
  });

  it('a period longer than the last knot returns to the first factor', () => {
    const seed = 302;
    const rate = 20;
    // Ramp 1 -> 2 over [0, 10] s, then back down to 1 at the period end (30 s).
    const profile: ProfileSpec = { points: [[0, 1], [10, 2]], period_s: 30 };
    const window_s = 5, windows = 60;
    const counts = windowCounts(until(source({ kind: 'poisson', rate_per_s: rate, profile }, seed), windows * window_s * 1000), window_s, windows);
    const expected = counts.map((_, i) => rate * profileIntegral(profile, i * window_s, (i + 1) * window_s));
    expect(profileIntegral(profile, 0, 30)).toBeCloseTo(15 + 30, 9);
    expectPoissonCounts(counts, expected, seed, 'period beyond last knot');
  });

  it('a non-periodic profile holds its last factor', () => {
    const seed = 303;
    const rate = 2;
    const profile: ProfileSpec = { points: [[0, 1], [10, 4]] };
    // [0, 10] s: ramp (Lambda = 2 * 25 = 50); then factor 4 (8/s) for ever: ten 100 s windows of 800.
    const times = until(source({ kind: 'poisson', rate_per_s: rate, profile }, seed), 1010 * 1000);
    const ramp = times.filter((t) => t < 10_000).length;
    expect(Math.abs(ramp - 50), `ramp count ${ramp} (seed ${seed})`).toBeLessThanOrEqual(Z * Math.sqrt(50));
    const after = times.filter((t) => t >= 10_000).map((t) => t - 10_000);
    expectPoissonCounts(windowCounts(after, 100, 10), new Array(10).fill(800), seed, 'held last factor');
  });

  it('factor 0 for a stretch gives no arrivals there', () => {
    const seed = 304;
    const rate = 50;
    // Period 30 s: factor 2 on [0, 10], down to 0 by 10.5, zero until 20, back up to 2 by 20.5.
    const profile: ProfileSpec = { points: [[0, 2], [10, 2], [10.5, 0], [20, 0], [20.5, 2]], period_s: 30 };
    const horizon_s = 600;
    const times = until(source({ kind: 'poisson', rate_per_s: rate, profile }, seed), horizon_s * 1000);
    const inGap = times.filter((t) => {
      const phase = (t / 1000) % 30;
      return phase > 10.5 + 1e-9 && phase < 20 - 1e-9;
    });
    expect(inGap.length, `arrivals inside the zero stretch, e.g. at ${inGap.slice(0, 3).join(', ')} ms (seed ${seed})`).toBe(0);
    const lam = rate * profileIntegral(profile, 0, horizon_s);
    expect(Math.abs(times.length - lam), `total ${times.length} vs ${lam} (seed ${seed})`).toBeLessThanOrEqual(Z * Math.sqrt(lam));
    // Arrivals do resume after each zero stretch.
    const afterGap = times.filter((t) => (t / 1000) % 30 >= 20).length;
    expect(afterGap).toBeGreaterThan(0);
  });

  it('a non-periodic profile that ends at factor 0 stops producing arrivals', () => {
    const seed = 305;
    const profile: ProfileSpec = { points: [[0, 1], [5, 1], [6, 0]] };
    const src = source({ kind: 'poisson', rate_per_s: 100, profile }, seed);
    const times: number[] = [];
    for (let i = 0; i < 10_000; i++) {
      const t = src.next();
      if (t === Infinity) break;
      times.push(t);
    }
    expect(times.length, `the source never ended (seed ${seed})`).toBeLessThan(10_000);
    expect(Math.max(...times)).toBeLessThanOrEqual(6000);
    const lam = 100 * 5.5;
    expect(Math.abs(times.length - lam), `count ${times.length} vs ${lam} (seed ${seed})`).toBeLessThanOrEqual(Z * Math.sqrt(lam));
    expect(src.next()).toBe(Infinity);
  });

  it('gamma arrivals under a profile keep the profile mean rate (count variance ~ cv^2 x mean)', () => {
    const seed = 306;
    const cv = 2, rate = 5;
    const profile: ProfileSpec = { points: [[0, 1], [100, 3], [200, 1]], period_s: 200 };
    const horizon_s = 4000;
    const times = until(source({ kind: 'gamma', rate_per_s: rate, cv, profile }, seed), horizon_s * 1000);
    const lam = rate * profileIntegral(profile, 0, horizon_s);
    expect(Math.abs(times.length - lam), `count ${times.length} vs ${lam} (seed ${seed})`).toBeLessThanOrEqual(Z * cv * Math.sqrt(lam));
    // The busy half of each period, [50, 150] s, gets its share of the integral.
    const peak = times.filter((t) => {
      const ph = (t / 1000) % 200;
      return ph >= 50 && ph < 150;
    }).length;
    const lamPeak = rate * (horizon_s / 200) * profileIntegral(profile, 50, 150);
    expect(Math.abs(peak - lamPeak), `peak count ${peak} vs ${lamPeak} (seed ${seed})`).toBeLessThanOrEqual(Z * cv * Math.sqrt(lamPeak));
  });
});
