import { describe, expect, it } from 'vitest';
import { minimize } from '../../src/perf/nelder-mead.ts';

// A shifted quadratic bowl: its minimum (1, -2, 0.5) and value 3 are known in closed form.
const bowl = (x: readonly number[]) => (x[0] - 1) ** 2 + 2 * (x[1] + 2) ** 2 + 0.5 * (x[2] - 0.5) ** 2 + 3;

describe('minimize (Nelder-Mead)', () => {
  it('converges to the closed-form minimum of a quadratic', () => {
    const r = minimize(bowl, [0, 0, 0], { step: 0.5, maxIterations: 4000, tolerance: 1e-14 });
    expect(r.stopped).toBe('converged');
    expect(r.value).toBeCloseTo(3, 9);
    expect(r.x[0]).toBeCloseTo(1, 4);
    expect(r.x[1]).toBeCloseTo(-2, 4);
    expect(r.x[2]).toBeCloseTo(0.5, 4);
  });

  it('says when its iterations ran out', () => {
    const r = minimize(bowl, [0, 0, 0], { step: 0.5, maxIterations: 3, tolerance: 1e-14 });
    expect(r.stopped).toBe('iterations');
    expect(r.iterations).toBe(3);
  });

  it('stops at the deadline with the best point evaluated so far, starting no evaluation after it', () => {
    // a clock that advances 1 ms per reading: the deadline passes after a known number of evaluations
    let now_ms = 0;
    const seen: { x: number[]; v: number }[] = [];
    const counted = (x: readonly number[]) => {
      const v = bowl(x);
      seen.push({ x: [...x], v });
      return v;
    };
    const r = minimize(counted, [0, 0, 0], { step: 0.5, maxIterations: 4000, tolerance: 1e-14, deadline_ms: 20, clock: () => now_ms++ });
    expect(r.stopped).toBe('deadline');
    // the start point is always evaluated; then one clock reading per evaluation, up to 20
    expect(seen.length).toBe(1 + 21);
    const best = seen.reduce((a, b) => (b.v < a.v ? b : a));
    expect(r.value).toBe(best.v);
    expect(r.x).toEqual(best.x);
    expect(r.value).toBeLessThan(bowl([0, 0, 0]));
  });

  it('without a deadline finds the same point as with one that never passes', () => {
    const free = minimize(bowl, [0, 0, 0], { step: 0.5, maxIterations: 200, tolerance: 1e-12 });
    const bounded = minimize(bowl, [0, 0, 0], { step: 0.5, maxIterations: 200, tolerance: 1e-12, deadline_ms: Infinity });
    expect(bounded).toEqual(free);
  });
});
