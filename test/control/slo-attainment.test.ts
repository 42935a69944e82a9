import { describe, expect, it } from 'vitest';
import { simulate } from '../../src/experiment/simulate.ts';
import type { LatencyStats } from '../../src/metrics/latency.ts';
import { fractionAtMost } from '../../src/results/control-summary.ts';
import { summarizeRun } from '../../src/results/summary.ts';
import { validateScenario } from '../../src/scenario/load.ts';
import type { ScenarioInput } from '../../src/scenario/schema.ts';
import { smallFleet } from '../helpers/fleet.ts';

const TARGET_MS = 20_000;

/**
 * Half the small model's users on a version 1,000 times slower: none of theirs completes, so the
 * completed requests (arm A's) keep the SLO while half the requests are stuck in flight at the end.
 */
function stuckHalf() {
  const p = smallFleet({ rate_per_s: 10, duration_s: 120, warmup_s: 10 });
  const sc = structuredClone(p.scenario) as ScenarioInput;
  sc.fleet!.models.small.gpus = 8;
  sc.fleet!.models.small.slo = { e2e_p99_ms: TARGET_MS };
  // half on spot: the purchase mix's line "x% of requests within the e2e SLO" reads the same figure
  sc.fleet!.models.small.purchase = { on_demand: 0.5, spot: 0.5 };
  sc.control = { deploys: [{ kind: 'ab', model: 'small', share: 0.5, version: { step_time_factor: 1000 } }] };
  return { ...p, scenario: validateScenario(sc, 'test-scenario') };
}

/** Requests of class m in flight at the end and older than the target, counted one by one. */
function lateInFlight(r: ReturnType<typeof simulate>, m: number): number {
  let late = 0;
  const counter = { add: (age_ms: number) => void (age_ms > TARGET_MS && late++) } as unknown as LatencyStats;
  const ignore = { add: () => {} } as unknown as LatencyStats;
  r.client.addInFlightAges(r.duration_ms, ignore, r.client.e2eByClass.map((_, i) => (i === m ? counter : ignore)));
  return late;
}

describe('control.slo_attainment counts requests still in flight past the target', () => {
  const prep = stuckHalf();
  const r = simulate(prep, 1);
  const s = summarizeRun(prep, r, 5000);
  const m = r.fleet!.served.findIndex((x) => x.name === 'small');
  const cls = r.client.byClass[m];

  it('the case: completed requests within the target, the verdict missed on the in-flight lower bound', () => {
    expect(cls.in_flight_at_end).toBeGreaterThan(0.3 * cls.offered);
    const v = s.verdict.slo.small;
    expect(v.value_ms!).toBeLessThanOrEqual(TARGET_MS);
    expect(v.lower_bound_ms!).toBeGreaterThan(TARGET_MS);
    expect(v.met).toBe(false);
  });

  it('met agrees with the verdict, and the attainment counts the late in-flight requests as missed', () => {
    const a = s.control!.slo_attainment!.small;
    expect(a.met).toBe(false);
    expect(s.by_model!.small.slo!.met).toBe(a.met);
    const late = lateInFlight(r, m);
    expect(late).toBeGreaterThan(0.5 * cls.in_flight_at_end);
    const within = fractionAtMost(r.client.e2eByClass[m], TARGET_MS) * cls.completed;
    const expected = within / (cls.completed + cls.failed + cls.rejected + cls.timed_out + late);
    // the sketch's bins: a request or two either way
    expect(a.attainment).toBeCloseTo(expected, 2);
    expect(a.attainment).toBeLessThan(0.7);
  });

  it('the purchase mix reads the same attainment', () => {
    const spot = s.purchase!.by_model.small.spot!;
    expect(spot.slo_attainment).toBe(s.control!.slo_attainment!.small.attainment);
    expect(spot.slo_attainment!).toBeLessThan(0.7);
  });
});
