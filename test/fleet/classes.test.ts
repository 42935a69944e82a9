import { describe, expect, it } from 'vitest';
import { runReplications } from '../../src/experiment/replications.ts';
import { jainIndex } from '../../src/fleet/classes.ts';
import { validateScenario } from '../../src/scenario/load.ts';
import { smallFleet, smallModel } from '../helpers/fleet.ts';
import { userError } from '../helpers/errors.ts';

/** |x - n p| within 4 binomial standard deviations. */
function expectBinomial(x: number, n: number, p: number, label: string) {
  const sd = Math.sqrt(n * p * (1 - p));
  expect(Math.abs(x - n * p), `${label}: ${x} of ${n}, expected p=${p}`).toBeLessThan(4 * sd);
}

const classes = (lowPriority: number, slo = false) => ({
  interactive: { share: 0.3, priority: 0, tenant: 'paid', ...(slo ? { slo: { ttft_p99_ms: 1000, tpot_p99_ms: 200 } } : {}) },
  batch: { share: 0.7, priority: lowPriority, tenant: 'free' },
});

/** The small model alone on one GPU, overloaded at 14 requests/s (it serves about 10). */
function run(lowPriority: number, slo = false) {
  const prep = smallFleet({ rate_per_s: 14, duration_s: 80, warmup_s: 20, fleet: { models: { small: { ...smallModel(), share: 1, gpus: 1 } }, classes: classes(lowPriority, slo) } });
  return runReplications(prep, 1, 1).summary;
}

describe("Jain's fairness index", () => {
  it('is 1 for equal shares, 1/n when one class gets everything, and the closed form between', () => {
    expect(jainIndex([0.4, 0.4, 0.4])).toBeCloseTo(1, 12);
    expect(jainIndex([1, 0, 0, 0])).toBeCloseTo(0.25, 12);
    expect(jainIndex([1, 0.5])).toBeCloseTo(1.5 ** 2 / (2 * 1.25), 12);
  });
});

describe('request classes in the fleet', () => {
  const prio = run(1, true);
  const fcfs = run(0);

  it('draws classes by share and every class request ends in one bucket; classes add up to the totals', () => {
    const c = prio.classes!.by_class;
    expectBinomial(c.interactive.offered, prio.requests.offered, 0.3, 'interactive share');
    expect(c.interactive.offered + c.batch.offered).toBe(prio.requests.offered);
    expect(c.interactive.completed + c.batch.completed).toBe(prio.requests.completed);
    expect(prio.classes!.by_tenant!.paid.offered).toBe(c.interactive.offered);
  });

  it('a class without targets counts every completion as good: goodput sums to the requests goodput', () => {
    const c = fcfs.classes!.by_class;
    expect(c.interactive.goodput_per_s + c.batch.goodput_per_s).toBeCloseTo(fcfs.requests.goodput_per_s, 4);
    expect(c.batch.slo_attainment).toBe(1);
  });

  it('the higher class waits less on an overloaded replica; at equal priorities the classes are served alike', () => {
    const p = prio.classes!.by_class, f = fcfs.classes!.by_class;
    expect(p.interactive.latency_ms.ttft.p50!).toBeLessThan(p.batch.latency_ms.ttft.p50! / 5);
    expect(p.interactive.normalised_throughput).toBeGreaterThan(p.batch.normalised_throughput!);
    expect(prio.classes!.fairness_jain).toBeLessThan(fcfs.classes!.fairness_jain!);
    expect(Math.abs(f.interactive.normalised_throughput! - f.batch.normalised_throughput!)).toBeLessThan(0.1);
  });

  it('the verdict has a goodput line per class, with the targets it missed', () => {
    const v = prio.verdict.classes!;
    expect(Object.keys(v)).toEqual(['interactive', 'batch']);
    expect(v.interactive.goodput_per_s).toBe(prio.classes!.by_class.interactive.goodput_per_s);
    expect(v.interactive.met).toBe(v.interactive.missed.length === 0);
    expect(v.batch.met).toBe(true); // no targets
  });

  it('refuses shares that do not sum to 1 and priorities beyond the levels a replica keeps', () => {
    const base = smallFleet({ rate_per_s: 1 }).scenario;
    const doc = (cls: object) => ({ ...base, fleet: { ...base.fleet!, classes: cls } });
    expect(userError(() => validateScenario(doc({ a: { share: 0.5 }, b: { share: 0.3 } }), 's.yaml'))).toMatch(/fleet\.classes.*sum to 1/);
    expect(userError(() => validateScenario(doc({ a: { share: 1, priority: 16 } }), 's.yaml'))).toMatch(/fleet\.classes\.a\.priority.*0\.\.15/);
  });
});
