import { describe, expect, it } from 'vitest';
import { simulate } from '../../src/experiment/simulate.ts';
import type { ReplicaPool } from '../../src/fleet/control/gpu-pool.ts';
import { validateScenario } from '../../src/scenario/load.ts';
import type { ScenarioInput } from '../../src/scenario/schema.ts';
import { summarizeRun } from '../../src/results/summary.ts';
import { renderSummary } from '../../src/report/terminal.ts';
import { renderMarkdown } from '../../src/report/tables.ts';
import { smallFleet } from '../helpers/fleet.ts';

type Deploy = NonNullable<NonNullable<ScenarioInput['control']>['deploys']>[number];

/**
 * The small fleet (8 replicas of `small`) under a queue autoscaler that scales it down to its
 * floor of 2 at light load, and one deploy of its pool.
 */
function autoscaledWith(deploy: Deploy, rate_per_s = 2, duration_s = 200) {
  const p = smallFleet({ rate_per_s, duration_s, warmup_s: 10 });
  const sc = structuredClone(p.scenario) as ScenarioInput;
  sc.fleet!.models.small.gpus = 8;
  sc.control = {
    interval_s: 5,
    autoscalers: [{ target: 'gpu:small', metric: 'queue', target_value: 4, min: 2, max: 8, scale_down_window_s: 10, metrics_delay_s: 5, boot_s: 5 }],
    deploys: [deploy],
  };
  return { ...p, scenario: validateScenario(sc, 'deploy-autoscaler') };
}

const poolOf = (r: ReturnType<typeof simulate>) => r.control!.pools.find((p) => p.name === 'gpu:small')!.pool as ReplicaPool;

/** The versions of the replicas not off, as counts by version. */
function versionsOn(pool: ReplicaPool): Record<number, number> {
  const out: Record<number, number> = {};
  for (let i = 0; i < pool.size; i++) if (!pool.isOff(i)) out[pool.version[i]] = (out[pool.version[i]] ?? 0) + 1;
  return out;
}

describe('deploys on a pool an autoscaler steers', () => {
  it('a blue-green deploy switches: the autoscaler neither counts nor cancels the green set it did not ask for', () => {
    // Before, the autoscaler saw the green set's boots as a surplus over its count and cancelled
    // them at its next tick: the switch never came and the record stayed in progress.
    const r = simulate(autoscaledWith({ kind: 'blue-green', target: 'gpu:small', at_s: 40, boot_s: 5 }), 1);
    const d = r.control!.deploys[0];
    expect(d.outcome).toBe('completed');
    expect(d.switched_s!).toBeGreaterThan(40);
    expect(d.switched_s!).toBeLessThan(60);
    // every replica serving afterwards runs the green version, including any the autoscaler started since
    expect(Object.keys(versionsOn(poolOf(r)))).toEqual(['1']);
  });

  it('a rolling update completes at the count the autoscaler asks for, and replicas it starts run the new version', () => {
    // The update began at 8 replicas while the autoscaler took the pool to its floor of 2: kept at
    // 8, the update waited for a count the autoscaler never allowed.
    const r = simulate(autoscaledWith({ kind: 'rolling', target: 'gpu:small', at_s: 20, max_unavailable: 1, max_surge: 1, boot_s: 5 }), 1);
    const d = r.control!.deploys[0];
    expect(d.outcome).toBe('completed');
    const pool = poolOf(r);
    expect(versionsOn(pool)).toEqual({ 1: pool.serving + pool.booting });
    expect(pool.serving).toBeGreaterThanOrEqual(2);
    expect(r.counts.failed).toBe(0);
  });

  it('the terminal summary and report.md say what became of each deploy', () => {
    const prep = autoscaledWith({ kind: 'blue-green', target: 'gpu:small', at_s: 40, boot_s: 5 });
    const s = summarizeRun(prep, simulate(prep, 1), 5000);
    const switched = s.control!.deploys[0].switched_s!;
    expect(renderSummary(s)).toContain(`deploy blue-green of gpu:small at 40 s: switched at ${Number(switched.toPrecision(3))} s`);
    expect(renderMarkdown(s)).toMatch(/### Deploys[\s\S]*\| blue-green \| gpu:small \| 40 \| switched at /);
  });
});

describe('a canary promoted on an autoscaled model', () => {
  it("hands the autoscaler to arm B: the old pool stays off, arm B's pool is scaled to the load", () => {
    // A light load the autoscaler's floor of 2 serves; the canary ends at 100% with 1.5x headroom.
    const p = smallFleet({ rate_per_s: 2, duration_s: 300, warmup_s: 10 });
    const sc = structuredClone(p.scenario) as ScenarioInput;
    sc.fleet!.models.small.gpus = 8;
    sc.control = {
      interval_s: 5,
      autoscalers: [{ target: 'gpu:small', metric: 'queue', target_value: 4, min: 2, max: 8, scale_down_window_s: 10, metrics_delay_s: 5, boot_s: 5 }],
      deploys: [{ kind: 'canary', model: 'small', at_s: 20, steps: [0.5, 1], bake_s: 30, min_requests: 5 }],
    };
    const r = simulate({ ...p, scenario: validateScenario(sc, 'canary-autoscaled') }, 1);
    const d = r.control!.deploys[0];
    expect(d.outcome).toBe('completed');
    const stable = poolOf(r);
    const armB = r.control!.pools.find((x) => x.name === 'gpu:small@b' || x.billComponent === 'gpu:small@b')!.pool as ReplicaPool;
    // Before, the loop booted the drained old pool back to its floor of 2 at its next tick.
    expect(stable.serving + stable.booting).toBe(0);
    expect(armB.serving).toBeGreaterThanOrEqual(2);
    const promoted_s = d.end_s!;
    const armEvents = r.control!.events.filter((e) => e.t_s > promoted_s && e.component.endsWith('@b'));
    expect(armEvents.some((e) => e.reason.startsWith('queue'))).toBe(true);
    expect(r.control!.events.some((e) => e.t_s > promoted_s && !e.component.endsWith('@b') && e.to > 0)).toBe(false);
  });
});
