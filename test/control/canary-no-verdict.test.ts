import { describe, expect, it } from 'vitest';
import { simulate } from '../../src/experiment/simulate.ts';
import { CANARY_MAX_BAKES_WITHOUT_VERDICT } from '../../src/fleet/control/canary.ts';
import type { ReplicaPool } from '../../src/fleet/control/gpu-pool.ts';
import { validateScenario } from '../../src/scenario/load.ts';
import type { ScenarioInput } from '../../src/scenario/schema.ts';
import { smallFleet } from '../helpers/fleet.ts';
import { deployOutcome } from '../../src/report/deploy-table.ts';

type Canary = Extract<NonNullable<NonNullable<ScenarioInput['control']>['deploys']>[number], { kind: 'canary' }>;

/** The small fleet (8 GPUs of Llama-2-7B, 70% of the traffic) under one canary of its model. */
function withCanary(rate_per_s: number, duration_s: number, canary: Omit<Canary, 'kind' | 'model'>) {
  const p = smallFleet({ rate_per_s, duration_s, warmup_s: 10 });
  const sc = structuredClone(p.scenario) as ScenarioInput;
  sc.fleet!.models.small.gpus = 8;
  sc.fleet!.models.small.slo = { e2e_p99_ms: 60_000 };
  sc.control = { deploys: [{ kind: 'canary', model: 'small', ...canary }] };
  return { ...p, scenario: validateScenario(sc, 'test-scenario') };
}

describe('a canary step with too few requests is held, not passed', () => {
  it('a version that never answers within a bake is rolled back after the bakes without a verdict, not promoted', () => {
    // 1,000 times slower: not one canary request completes in a 10-s bake, at any share.
    const bake_s = 10;
    const r = simulate(withCanary(20, 200, { at_s: 10, bake_s, version: { step_time_factor: 1000 } }), 1);
    const d = r.control!.deploys[0];
    expect(d.outcome).toBe('rolled_back');
    expect(d.rolled_back_at_step).toBe(0);
    expect(d.steps!.map((s) => [s.step, s.verdict, s.canary.requests])).toEqual([[0, 'too_few_requests', 0]]);
    // held for the bakes, then rolled back: never past its first 1%
    expect(d.steps![0].end_s - d.steps![0].start_s).toBeCloseTo(CANARY_MAX_BAKES_WITHOUT_VERDICT * bake_s, 6);
    expect(r.control!.events.some((e) => e.reason.includes('no verdict after 5 bakes'))).toBe(true);
    expect(r.control!.events.some((e) => e.reason.includes('promoted'))).toBe(false);
    // the old version still serves every configured replica
    const stable = r.control!.pools.find((p) => p.name === 'gpu:small')!.pool as ReplicaPool;
    expect(stable.serving).toBe(8);
  });

  it('a step with too few requests on its first bake but enough later passes, then the canary is promoted', () => {
    // 5% of the model's 7/s is about 0.35/s: some 10 canary requests a 30-s bake, 20 needed.
    const bake_s = 30;
    const r = simulate(withCanary(10, 400, { at_s: 10, bake_s, steps: [0.05, 1], min_requests: 20 }), 1);
    const d = r.control!.deploys[0];
    expect(d.steps!.map((s) => s.verdict)).toEqual(['pass', 'pass']);
    const first = d.steps![0];
    expect(first.canary.requests).toBeGreaterThanOrEqual(20);
    // judged over more than one bake: it was held, not passed at its first
    expect(first.end_s - first.start_s).toBeGreaterThan(bake_s + 1e-6);
    expect(d.outcome).toBe('completed');
  });

  it('a step still held when the run ends leaves the rollout in progress, its record without a verdict', () => {
    const r = simulate(withCanary(20, 60, { at_s: 10, bake_s: 10, version: { step_time_factor: 1000 } }), 1);
    const d = r.control!.deploys[0];
    expect(d.outcome).toBe('in_progress');
    expect(d.end_s).toBeNull();
    expect(d.steps!.map((s) => s.verdict)).toEqual(['too_few_requests']);
    expect(r.control!.events.some((e) => e.reason.includes('promoted') || e.reason.includes('step 2'))).toBe(false);
    // what the terminal and the report say of it: held, not merely in progress
    expect(deployOutcome(d)).toMatch(/^held without a verdict when the run ended, step 1 \(1%\): too few canary requests \(0 canary requests/);
  });
});
