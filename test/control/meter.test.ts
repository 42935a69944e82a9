import { describe, expect, it } from 'vitest';
import { Meter } from '../../src/fleet/control/record.ts';
import { simulate } from '../../src/experiment/simulate.ts';
import { summarizeRun } from '../../src/results/summary.ts';
import { validateScenario } from '../../src/scenario/load.ts';
import type { ScenarioInput } from '../../src/scenario/schema.ts';
import { smallFleet } from '../helpers/fleet.ts';

describe('a component meter over the measured window (after warm-up)', () => {
  it('starts its min and max at the counts the window opens with, not those of t = 0', () => {
    // none at t = 0; 20 ordered at 1 s, serving at 5 s; the window opens at 10 s
    const m = new Meter('gpu:x@b', 0, 0, 10_000);
    m.set(1_000, 20, 0);
    m.set(5_000, 20, 20);
    m.advance(30_000);
    expect(m.area / 20_000).toBe(20);
    expect(m.max).toBe(20);
    expect(m.min).toBe(20);
  });

  it('still sees changes inside the window', () => {
    const m = new Meter('gpu:x', 8, 8, 10_000);
    m.set(2_000, 4, 4); // before the window: it opens at 4, the 8 of t = 0 forgotten
    m.set(15_000, 12, 6);
    m.set(20_000, 12, 12);
    m.advance(30_000);
    expect(m.min).toBe(4);
    expect(m.max).toBe(12);
  });

  it('an A/B arm started before the warm-up: max_instances at least mean_instances', () => {
    const p = smallFleet({ rate_per_s: 10, duration_s: 60, warmup_s: 20 });
    const sc = structuredClone(p.scenario) as ScenarioInput;
    sc.fleet!.models.small.gpus = 8;
    sc.control = { deploys: [{ kind: 'ab', model: 'small', share: 0.5 }] };
    const prep = { ...p, scenario: validateScenario(sc, 'test-scenario') };
    const s = summarizeRun(prep, simulate(prep, 1), 5000);
    const b = s.control!.components['gpu:small@b'];
    expect(b.mean_instances).toBeGreaterThan(0);
    expect(b.max_instances).toBeGreaterThanOrEqual(b.mean_instances);
    expect(b.min_serving).toBeLessThanOrEqual(b.mean_serving);
    expect(b.min_serving).toBeGreaterThan(0);
  });
});
