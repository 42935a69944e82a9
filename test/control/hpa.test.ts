import { describe, expect, it } from 'vitest';
import { Hpa } from '../../src/fleet/control/hpa.ts';
import type { AutoscalerSpec } from '../../src/fleet/control/schema.ts';

// Expected values follow the Kubernetes HPA algorithm as documented (kubernetes.io, "Horizontal Pod
// Autoscaling: algorithm details"): desired = ceil(current x metric / target), no change within
// the tolerance, the scale-up rate limit, and the stabilisation windows (scale up to the lowest
// recommendation of the up window, down to the highest of the down window).
const spec = (o: Partial<AutoscalerSpec> = {}): AutoscalerSpec =>
  ({ target: 'api', metric: 'utilization', target_value: 0.5, tolerance: 0.1, max_step_up: 2, ...o }) as AutoscalerSpec;

/** An HPA without delay or windows, fed one sample `v` just before `t_ms`. */
function decideOnce(v: number, ready: number, spec_: number, o: Partial<AutoscalerSpec> = {}, lo = 1, hi = 1000) {
  const hpa = new Hpa(spec(o), 0, 1000, 0, 0);
  hpa.sample(9_500, v);
  return hpa.decide(10_000, ready, spec_, lo, hi);
}

describe('HPA: what the metric looks like to it', () => {
  it('averages the samples of (now - delay - interval, now - delay]', () => {
    const hpa = new Hpa(spec(), 20, 30, 0, 0);
    for (let t = 0; t <= 100; t += 10) hpa.sample(t, t);
    // (50, 80]: samples 60, 70, 80
    expect(hpa.observed(100)).toBe(70);
  });

  it('sees nothing before its first delayed sample, and then keeps the count', () => {
    const hpa = new Hpa(spec(), 15_000, 15_000, 0, 0);
    hpa.sample(10_000, 0.9);
    expect(hpa.observed(20_000)).toBeNaN();
    expect(hpa.decide(20_000, 4, 4, 1, 10).n).toBe(4);
  });
});

describe('HPA: the decision rule', () => {
  it('desired = ceil(ready x metric / target)', () => {
    expect(decideOnce(0.75, 4, 4).n).toBe(6); // 4 x 1.5
    expect(decideOnce(0.2, 10, 10).n).toBe(4); // 10 x 0.4
    expect(decideOnce(0.51 * 1.15, 7, 7).n).toBe(Math.ceil(7 * 0.51 * 1.15 / 0.5));
  });

  it('no change while |metric / target - 1| is within the tolerance', () => {
    expect(decideOnce(0.5 * 1.09, 10, 10).n).toBe(10);
    expect(decideOnce(0.5 * 0.91, 10, 10).n).toBe(10);
    expect(decideOnce(0.5 * 1.2, 10, 10).n).toBe(12);
  });

  it('scales up by at most max_step_up x the current count per decision', () => {
    expect(decideOnce(5, 2, 2).n).toBe(4); // wants 20, step limit 2 x 2
    expect(decideOnce(5, 2, 2, { max_step_up: 3 }).n).toBe(6);
  });

  it('stays within [min or the schedule floor, max]', () => {
    expect(decideOnce(5, 10, 10, {}, 1, 12).n).toBe(12);
    expect(decideOnce(0.01, 10, 10, {}, 3, 12).n).toBe(3);
    expect(decideOnce(0.5, 2, 2, {}, 5, 12)).toMatchObject({ n: 5, reason: expect.stringContaining('floor 5') });
  });
});

describe('HPA: stabilisation windows', () => {
  it('scales down only to the highest recommendation of the down window', () => {
    const hpa = new Hpa(spec(), 0, 1000, 0, 60_000);
    const at = (t_ms: number, v: number, current: number) => {
      hpa.sample(t_ms - 500, v);
      return hpa.decide(t_ms, current, current, 1, 100).n;
    };
    expect(at(10_000, 0.5, 10)).toBe(10); // at target: recommends 10
    expect(at(20_000, 0.1, 10)).toBe(10); // recommends 2; 10 is still in the window
    expect(at(60_000, 0.1, 10)).toBe(10);
    // at 75 s the 10 of t = 10 s has left the 60 s window: the highest left is 2
    expect(at(75_000, 0.1, 10)).toBe(2);
  });

  it('scales up only to the lowest recommendation of the up window', () => {
    const hpa = new Hpa(spec(), 0, 1000, 30_000, 0);
    const at = (t_ms: number, v: number, current: number) => {
      hpa.sample(t_ms - 500, v);
      return hpa.decide(t_ms, current, current, 1, 100).n;
    };
    expect(at(10_000, 0.5, 4)).toBe(4);
    expect(at(20_000, 1, 4)).toBe(4); // recommends 8; the 4 of t = 10 s is in the window
    expect(at(45_000, 1, 4)).toBe(8);
  });
});
