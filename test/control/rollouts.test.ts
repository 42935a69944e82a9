import { describe, expect, it } from 'vitest';
import { simulate } from '../../src/experiment/simulate.ts';
import { summarizeRun } from '../../src/results/summary.ts';
import { smallFleet } from '../helpers/fleet.ts';
import type { ScenarioInput } from '../../src/scenario/schema.ts';

function withControl(rate: number, control: NonNullable<ScenarioInput['control']>, duration_s = 200, slo?: { e2e_p99_ms: number }) {
  const p = smallFleet({ rate_per_s: rate, duration_s, warmup_s: 10 });
  const sc = structuredClone(p.scenario) as ScenarioInput;
  sc.control = control;
  sc.fleet!.models.small.gpus = 8;
  if (slo) sc.fleet!.models.small.slo = slo;
  return { ...p, scenario: validate(sc) };
}
import { validateScenario } from '../../src/scenario/load.ts';
const validate = (sc: ScenarioInput) => validateScenario(sc, 'test-scenario');

describe('rolling update', () => {
  for (const [mu, ms] of [[0.25, 0], [0, 1], [2, 2]] as const) {
    it(`keeps serving capacity >= 1 - max_unavailable (max_unavailable ${mu}, max_surge ${ms})`, () => {
      const prep = withControl(10, { deploys: [{ kind: 'rolling', target: 'gpu:small', at_s: 20, max_unavailable: mu, max_surge: ms, boot_s: 5 }] });
      const r = simulate(prep, 1);
      const d = r.control!.deploys[0];
      expect(d.outcome).toBe('completed');
      const n = 8;
      const maxU = mu >= 1 ? mu : Math.floor(mu * n);
      expect(d.min_serving_fraction!).toBeGreaterThanOrEqual(1 - maxU / n - 1e-9);
      // every window too
      const serving = Object.values(r.control!.series.serving)[0];
      for (const s of serving) expect(s).toBeGreaterThanOrEqual(n - maxU);
      // every replica now runs the new version, after a cold start
      const pool = r.control!.pools[0].pool as import('../../src/fleet/control/gpu-pool.ts').ReplicaPool;
      let v1 = 0;
      for (let i = 0; i < pool.size; i++) if (pool.isOn(i) && pool.version[i] === 1) v1++;
      expect(v1).toBe(n);
      expect(pool.coldStarts).toBe(n);
      expect(r.counts.failed).toBe(0);
    });
  }

  it('blue-green switches once the green set is ready, with no loss of capacity', () => {
    const prep = withControl(10, { deploys: [{ kind: 'blue-green', target: 'gpu:small', at_s: 20, boot_s: 5 }] });
    const r = simulate(prep, 1);
    const d = r.control!.deploys[0];
    expect(d.outcome).toBe('completed');
    expect(d.switched_s!).toBeGreaterThan(20);
    const serving = Object.values(r.control!.series.serving)[0];
    for (const s of serving) expect(s).toBeGreaterThanOrEqual(8);
    expect(r.counts.failed).toBe(0);
  });
});

describe('canary rollout', () => {
  const canary = (factor: number) =>
    withControl(
      40,
      { deploys: [{ kind: 'canary', model: 'small', at_s: 15, version: { step_time_factor: factor }, steps: [0.05, 0.25, 0.5, 1], bake_s: 60, min_requests: 20 }] },
      320,
      { e2e_p99_ms: 6000 },
    );

  it('rolls a slow version back at the first step whose SLO it breaks', () => {
    const r = simulate(canary(4), 1);
    const d = r.control!.deploys[0];
    expect(d.outcome).toBe('rolled_back');
    const first = d.steps!.findIndex((s) => s.verdict === 'fail');
    expect(d.rolled_back_at_step).toBe(first);
    expect(d.steps!.length).toBe(first + 1);
    expect(d.steps![first].canary.e2e_p99_ms!).toBeGreaterThan(6000);
    expect(d.steps![first].stable.e2e_p99_ms!).toBeLessThan(6000);
    for (const s of d.steps!.slice(0, first)) expect(s.verdict).not.toBe('fail');
    const sum = summarizeRun(canary(4), r, 5000);
    expect(sum.control!.deploys[0].rolled_back_at_share).toBe(d.steps![first].share);
  });

  it('promotes a version that keeps its SLO, step by step', () => {
    const r = simulate(canary(1), 1);
    const d = r.control!.deploys[0];
    expect(d.steps!.map((s) => s.verdict)).toEqual(['pass', 'pass', 'pass', 'pass']);
    expect(d.outcome).toBe('completed');
  });

  it('A/B: splits by user hash and reports per-arm latency and cost', () => {
    const prep = withControl(40, { deploys: [{ kind: 'ab', model: 'small', share: 0.5, version: { step_time_factor: 1.5 } }] });
    const r = simulate(prep, 1);
    const s = summarizeRun(prep, r, 5000);
    const arms = s.control!.deploys[0].arms!;
    expect(arms.a.requests).toBeGreaterThan(1000);
    expect(arms.b.requests / (arms.a.requests + arms.b.requests)).toBeGreaterThan(0.35);
    expect(arms.b.requests / (arms.a.requests + arms.b.requests)).toBeLessThan(0.65);
    expect(arms.b.e2e_p50_ms!).toBeGreaterThan(arms.a.e2e_p50_ms!);
    expect(arms.b.monthly_usd).toBeGreaterThan(0);
  });
});
