import { describe, expect, it } from 'vitest';
import { runReplications } from '../../src/experiment/replications.ts';
import { smallFleet, smallModel } from '../helpers/fleet.ts';

/**
 * Classes in a disaggregated model: the decode replica orders its waiting queue by the request's
 * class as the prefill replica does. A decode-bound pool (one decode A100, long answers) under
 * overload, half interactive and half batch: interactive requests wait less for a decode slot,
 * and so get a shorter mean time per output token (the KV transfer and the decode queue count in
 * a disaggregated request's TPOT).
 */
function run(batchPriority: boolean) {
  const prep = smallFleet({
    rate_per_s: 3, duration_s: 150, warmup_s: 30,
    fleet: {
      models: {
        pd: {
          ...smallModel(), share: 1, gpus: 2,
          tokens: { prompt: { dist: 'uniform', min: 2000, max: 3000 }, output: { dist: 'uniform', min: 100, max: 600 } },
          disaggregation: { prefill: { gpus: 1 }, decode: {}, kv_link: { bandwidth_gbps: 100, latency_ms: 2 } },
        },
      },
      classes: batchPriority
        ? { interactive: { share: 0.5 }, batch: { share: 0.5, batch: {} } }
        : { interactive: { share: 0.5 }, batch: { share: 0.5 } },
    },
  });
  return runReplications(prep, 1, 1).summary.classes!.by_class;
}

describe('request classes in a disaggregated model', () => {
  it('the decode pool admits interactive requests before batch ones', () => {
    const prio = run(true), equal = run(false);
    expect(prio.batch.priority).toBe(15);
    // at one priority the classes fare alike (measured 2026-12: 79 and 55 completed, TPOT p50 170 and 168 ms)
    expect(equal.batch.latency_ms.tpot.p50! / equal.interactive.latency_ms.tpot.p50!).toBeGreaterThan(0.8);
    expect(equal.batch.latency_ms.tpot.p50! / equal.interactive.latency_ms.tpot.p50!).toBeLessThan(1.25);
    // batch at the lowest priority in both pools: interactive is decoded first (136 completed, TPOT
    // p50 88 ms; the same numbers as at one priority when the decode replica ignores the class)
    expect(prio.interactive.completed).toBeGreaterThan(1.4 * equal.interactive.completed);
    expect(prio.interactive.latency_ms.tpot.p50!).toBeLessThan(0.7 * equal.interactive.latency_ms.tpot.p50!);
    expect(prio.batch.completed).toBeLessThan(equal.batch.completed);
  });
});
