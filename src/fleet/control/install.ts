import type { Simulator } from '../../engine/sim.ts';
import type { ControlSpec } from './schema.ts';
import type { FleetIndex } from '../fleet-index.ts';
import { installAutoscaler } from './autoscaler.ts';
import { startBlueGreen } from './blue-green.ts';
import { ArmTallies, startVersionDeploy } from './canary.ts';
import { ControlContext, type CeilingRecord, type ControlScenario, type MeteredPool } from './context.ts';
import type { ArmTally, DeployRecord, ScalingEvent } from './record.ts';
import { startRollingUpdate } from './rolling.ts';
import { TierPool } from './tier-pool.ts';

export type { CeilingRecord, ControlScenario, MeteredPool } from './context.ts';

/** What the control plane did during a run (kept on RunResult.control). */
export interface ControlRecord {
  spec: ControlSpec;
  from_ms: number;
  pools: MeteredPool[];
  events: ScalingEvent[];
  /** Each autoscaled pool's decisions against its ceiling. */
  ceilings: CeilingRecord[];
  series: { t_s: number[]; spec: Record<string, number[]>; serving: Record<string, number[]> };
  deploys: DeployRecord[];
  /** A/B and canary arms over the measured period, by model: [stable, arm B]. */
  armTotals: Record<string, [ArmTally, ArmTally]>;
  /** Closes the meters at the end of the run. */
  finish(end_ms: number): void;
}

/**
 * Installs the scenario's control plane on the simulator: its autoscalers (one loop per pool),
 * its deploys (rolling, blue-green, canary, A/B: each its own unit, sharing the GPU pools), and the
 * sampling of replica counts over time. Call after the fleet is built and before the run starts
 * (like installFaults, with the same index of the fleet).
 */
export function installControl(sim: Simulator, sc: ControlScenario, index: FleetIndex): ControlRecord | undefined {
  const spec = sc.control;
  if (!spec) return undefined;
  const ctx = new ControlContext(sim, sc, index);
  spec.autoscalers.forEach((a, i) => installAutoscaler(ctx, a, `control.autoscalers[${i}]`));
  const tallies = new ArmTallies();
  const deploys = spec.deploys.map((d, i): DeployRecord => {
    const where = `control.deploys[${i}]`;
    if (d.kind === 'rolling') return startRollingUpdate(ctx, d, i, where);
    if (d.kind === 'blue-green') return startBlueGreen(ctx, d, i, where);
    return startVersionDeploy(ctx, d, i, where, tallies);
  });
  const fleet = index.fleet;
  if (Object.keys(tallies.totals).length > 0 && fleet) fleet.pipeline.armObserver = tallies.observer(ctx, fleet.served.map((s) => s.name));
  const series = sampleSeries(ctx);
  return {
    spec,
    from_ms: ctx.from_ms,
    pools: ctx.pools,
    events: ctx.events,
    ceilings: ctx.ceilings,
    series,
    deploys,
    armTotals: tallies.totals,
    finish(end_ms) {
      for (const p of ctx.pools) p.pool.meter.advance(end_ms);
    },
  };
}

/** Replicas over time: the spec and serving counts of every pool, one sample per window from t = 0. */
function sampleSeries(ctx: ControlContext): ControlRecord['series'] {
  const sc = ctx.scenario;
  const sim = ctx.sim;
  const window_ms = (sc.window_s ?? Math.max(1, sc.duration_s / 100)) * 1000;
  const series: ControlRecord['series'] = { t_s: [], spec: {}, serving: {} };
  const sample = sim.on(() => {
    series.t_s.push(sim.now_ms / 1000);
    for (const p of ctx.pools) {
      (series.spec[p.name] ??= []).push(p.pool.spec);
      (series.serving[p.name] ??= []).push(p.pool instanceof TierPool ? p.pool.ready : p.pool.serving);
    }
    if (sim.now_ms + window_ms <= sc.duration_s * 1000) sim.at(sim.now_ms + window_ms, sample, 0);
  });
  sim.at(0, sample, 0);
  return series;
}
