import { UserError } from '../../errors.ts';
import { excerpt, listNames } from '../../util/excerpt.ts';
import type { Simulator } from '../../engine/sim.ts';
import type { ArrivalsSpec } from '../../workload/schema.ts';
import type { FleetSpec } from '../schema.ts';
import type { ControlSpec } from './schema.ts';
import type { FleetIndex } from '../fleet-index.ts';
import { weightLoadSeconds, type GpuCluster } from '../llm/replicas.ts';
import { ReplicaPool } from './gpu-pool.ts';
import { committedShare } from '../../cost/purchase.ts';
import type { ScalingEvent } from './record.ts';
import type { TierPool } from './tier-pool.ts';

/** A pool the bill and the report know about: its component (for the bill) and its display name. */
export interface MeteredPool {
  /** Bill component: a tier kind (`chat_api`), `gpu:<model>` or `gpu:<model>@b` (arm B). */
  billComponent: string;
  name: string;
  pool: ReplicaPool | TierPool;
  gpu?: GpuCluster;
}

/**
 * An autoscaler's decisions on one pool against its ceiling: one held at its ceiling and asking for
 * more at every decision scaled nothing, and said nothing (without `max` the ceiling is the
 * configured count, so a target_value of 0.001 never scaled up).
 */
export interface CeilingRecord {
  /** `control.autoscalers[i]` */
  where: string;
  pool: string;
  ceiling: number;
  max_set: boolean;
  decisions: number;
  /** Decisions whose recommendation was above the ceiling, with the pool at it. */
  capped: number;
}

/** What the control plane reads of the scenario (the whole Scenario satisfies it). */
export interface ControlScenario {
  control?: ControlSpec;
  fleet?: FleetSpec;
  workload: { arrivals: ArrivalsSpec };
  duration_s: number;
  warmup_s: number;
  window_s?: number;
}

/**
 * What every unit of the control plane (autoscalers, deploys) works with: the simulator, the
 * fleet's index, the pools of replicas it changes (one per GPU cluster, shared by the units that
 * act on it), the scaling event log, and the scheduling helpers.
 */
export class ControlContext {
  readonly pools: MeteredPool[] = [];
  readonly events: ScalingEvent[] = [];
  readonly ceilings: CeilingRecord[] = [];
  /** Control delays and periods are divided by the scenario's time_compression. */
  readonly compression: number;
  readonly from_ms: number;
  private readonly gpuPools = new Map<GpuCluster, ReplicaPool>();
  /** Pools whose traffic a deploy has handed to another for good (a promoted canary's arm B). */
  private readonly successors = new Map<ReplicaPool, ReplicaPool>();

  constructor(readonly sim: Simulator, readonly scenario: ControlScenario, readonly index: FleetIndex) {
    this.compression = scenario.control?.time_compression ?? 1;
    this.from_ms = scenario.warmup_s * 1000;
  }

  /** Runs fn at simulated t_s (or now, if that is past). */
  at(t_s: number, fn: () => void): void {
    this.sim.at(Math.max(t_s * 1000, this.sim.now_ms), this.sim.on(fn), 0);
  }

  /** Runs fn every period_ms of simulated time, the first time one period from now. */
  every(period_ms: number, fn: () => void): void {
    const handler = this.sim.on(() => {
      fn();
      this.sim.at(this.sim.now_ms + period_ms, handler, 0);
    });
    this.sim.at(this.sim.now_ms + period_ms, handler, 0);
  }

  /** The pool of a GPU cluster, created (and metered) by the first unit that asks for it. */
  poolOf(cluster: GpuCluster, boot_s: number, billComponent: string): ReplicaPool {
    let pool = this.gpuPools.get(cluster);
    if (!pool) {
      // Arm B's replicas are all extra: none belongs to the configured fleet.
      const fixed = billComponent.endsWith('@b') ? 0 : cluster.served.replicasPerRegion[cluster.region];
      const coldStart_s = (boot_s + weightLoadSeconds(cluster, this.scenario.fleet?.s3.load_gb_per_s ?? 2)) / this.compression;
      pool = new ReplicaPool(this.sim, cluster, `gpu:${cluster.name}`, fixed, this.events, this.from_ms, coldStart_s);
      pool.meter.committed = committedShare(cluster.served.spec.purchase) * fixed;
      this.gpuPools.set(cluster, pool);
      this.pools.push({ billComponent, name: `gpu:${cluster.name}`, pool, gpu: cluster });
    }
    return pool;
  }

  /** From now on `pool`'s autoscaler steers `successor`, which serves its traffic. */
  handOver(pool: ReplicaPool, successor: ReplicaPool): void {
    this.successors.set(pool, successor);
  }

  /** The pool serving what `pool` served: itself, or the last it was handed over to. */
  current(pool: ReplicaPool): ReplicaPool {
    let p = pool;
    for (let hops = 0; this.successors.has(p) && hops <= this.successors.size; hops++) p = this.successors.get(p)!;
    return p;
  }

  /** The GPU clusters a `gpu:model[/region]` target names; refuses anything else. */
  clustersOf(target: string, where: string): readonly GpuCluster[] {
    if (!this.index.fleet) throw new UserError(`${where}: GPU targets need a fleet scenario`);
    const found = target.startsWith('gpu:') ? this.index.clustersNamed(target) : [];
    if (found.length === 0) throw new UserError(`${where}.target: expected a GPU cluster (${listNames(this.index.clusterNames)}), optionally gpu:model/region, got "${excerpt(target)}"`);
    return found;
  }

}
