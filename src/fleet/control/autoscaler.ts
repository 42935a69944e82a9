import { UserError } from '../../errors.ts';
import { excerpt, listNames } from '../../util/excerpt.ts';
import type { AutoscalerSpec } from './schema.ts';
import { RateProfile } from '../../workload/profile.ts';
import { scaledCount } from '../../util/scaled-count.ts';
import type { GpuCluster } from '../llm/replicas.ts';
import type { IndexedTier } from '../fleet-index.ts';
import type { CeilingRecord, ControlContext } from './context.ts';
import type { ReplicaPool } from './gpu-pool.ts';
import { Hpa } from './hpa.ts';
import { TierPool } from './tier-pool.ts';

/** What an autoscaler's loop acts on: a pool that can be scaled, its counts and its metric. */
interface Scalable {
  /** Instances serving (the HPA's `ready`). */
  readonly ready: number;
  /** Serving plus booting. */
  readonly spec: number;
  scaleTo(n: number, reason: string): void;
  /** The metric now (sampled 30 times per loop interval, metrics-server style). */
  metric(): number;
  /** Runs after each decision (GPU pools switch off drained replicas). */
  afterDecision?(): void;
}

/**
 * Installs one autoscaler of the scenario: one HPA loop per pool it targets (a GPU cluster per
 * region, or a tier per region). The loop samples the metric, decides every interval, and
 * starts at the schedule's floor at t = 0.
 */
export function installAutoscaler(ctx: ControlContext, a: AutoscalerSpec, where: string): void {
  if (a.target.startsWith('gpu:')) {
    if (a.metric !== 'queue' && a.metric !== 'kv') throw new UserError(`${where}.metric: GPU clusters scale on queue or kv, got ${a.metric}`);
    for (const c of ctx.clustersOf(a.target, where)) gpuLoop(ctx, a, c, where);
  } else {
    if (a.metric !== 'utilization' && a.metric !== 'concurrency') throw new UserError(`${where}.metric: tiers scale on utilization or concurrency, got ${a.metric}`);
    const tiers = ctx.index.tiersNamed(a.target, false);
    if (tiers.length === 0) throw new UserError(`${where}.target: expected a tier or station (${listNames(ctx.index.tierKinds)}) or gpu:model, optionally region/name, got "${excerpt(a.target)}"`);
    for (const t of tiers) tierLoop(ctx, a, t, where);
  }
}

function gpuLoop(ctx: ControlContext, a: AutoscalerSpec, c: GpuCluster, where: string): void {
  const f = ctx.scenario.fleet!;
  const share = f.regions[ctx.index.regions[c.region]].capacity_share;
  const pool = ctx.poolOf(c, a.boot_s, `gpu:${c.served.name}`);
  const configured = c.served.replicasPerRegion[c.region];
  const lo = a.min !== undefined ? Math.min(pool.size, scaledCount(a.min, share, f.scale)) : 1;
  const hi = Math.min(pool.size, a.max !== undefined ? scaledCount(a.max, share, f.scale) : configured);
  const perServing = a.metric === 'queue' ? (p: ReplicaPool, i: number) => p.cluster.replicas[i].waiting : (p: ReplicaPool, i: number) => p.cluster.replicas[i].kvUsedFraction();
  // The pool that serves the traffic now: a promoted canary's arm B takes its stable pool's
  // autoscaler with it (left behind, the loop booted the old pool back to its floor, billed and idle).
  const now = () => ctx.current(pool);
  const name = ctx.pools.find((p) => p.pool === pool)?.name ?? a.target;
  run(ctx, a, configured, lo, hi, ceilingRecord(ctx, a, where, name, hi), {
    get ready() { return now().serving; },
    get spec() { return now().spec; },
    scaleTo: (n, reason) => now().scaleTo(n, reason),
    metric: () => meanOverServing(now(), perServing),
    afterDecision: () => now().checkDrains(),
  });
}

/** The mean of a per-replica figure over the replicas the pool has serving (0 if none). */
function meanOverServing(pool: ReplicaPool, figure: (pool: ReplicaPool, i: number) => number): number {
  let sum = 0, n = 0;
  for (let i = 0; i < pool.size; i++) if (pool.isOn(i)) (sum += figure(pool, i), n++);
  return n > 0 ? sum / n : 0;
}

function tierLoop(ctx: ControlContext, a: AutoscalerSpec, t: IndexedTier, where: string): void {
  const fleet = ctx.scenario.fleet;
  const tierSpec = fleet ? (fleet as unknown as Record<string, { concurrency: number }>)[t.kind] : undefined;
  const concurrency = tierSpec?.concurrency ?? 1;
  // Fleet counts are of the full fleet (scaled like `instances`); a station network's are as written.
  const scale = (n: number) => (fleet ? scaledCount(n, fleet.regions[t.region].capacity_share, fleet.scale) : n);
  const configured = Math.max(1, Math.round(t.tier.station.servers / concurrency));
  const lo = a.min !== undefined ? scale(a.min) : 1;
  const hi = a.max !== undefined ? scale(a.max) : configured;
  const initial = Math.max(lo, Math.min(hi, a.initial !== undefined ? scale(a.initial) : configured));
  const pool = new TierPool(ctx.sim, t.tier, t.tier.name, concurrency, configured, initial, a.boot_s / ctx.compression, ctx.events, ctx.from_ms);
  ctx.pools.push({ billComponent: t.kind, name: t.tier.name, pool });
  const st = t.tier.station;
  run(ctx, a, configured, lo, hi, ceilingRecord(ctx, a, where, t.tier.name, hi), {
    get ready() { return pool.ready; },
    get spec() { return pool.spec; },
    scaleTo: (n, reason) => pool.scaleTo(n, reason),
    metric: a.metric === 'utilization'
      ? () => (st.servers > 0 ? st.busy / st.servers : 1)
      : () => (pool.ready > 0 ? (st.busy + st.qlen) / pool.ready : st.busy + st.qlen),
  });
}

/** The pool's record of decisions against its ceiling, kept with the control plane's. */
function ceilingRecord(ctx: ControlContext, a: AutoscalerSpec, where: string, pool: string, ceiling: number): CeilingRecord {
  const record: CeilingRecord = { where, pool, ceiling, max_set: a.max !== undefined, decisions: 0, capped: 0 };
  ctx.ceilings.push(record);
  return record;
}

/** The HPA loop on one pool: samples, decisions, and the schedule's floor at t = 0. */
function run(ctx: ControlContext, a: AutoscalerSpec, configured: number, lo: number, hi: number, ceiling: CeilingRecord, target: Scalable): void {
  const k = ctx.compression;
  const interval_ms = (ctx.scenario.control!.interval_s * 1000) / k;
  const hpa = new Hpa(a, (a.metrics_delay_s * 1000) / k, interval_ms, (a.scale_up_window_s * 1000) / k, (a.scale_down_window_s * 1000) / k);
  const floor = scheduleFloor(ctx, a, configured, lo, hi);
  ctx.every(interval_ms / 30, () => hpa.sample(ctx.sim.now_ms, target.metric()));
  ctx.every(interval_ms, () => {
    const d = hpa.decide(ctx.sim.now_ms, target.ready, target.spec, floor(ctx.sim.now_ms), hi);
    ceiling.decisions++;
    if (d.capped && target.spec === hi) ceiling.capped++;
    if (d.n !== target.spec) target.scaleTo(d.n, d.reason);
    target.afterDecision?.();
  });
  const atStart = floor(0);
  if (atStart > target.spec) target.scaleTo(atStart, 'schedule');
}

/** Scheduled scaling: the floor at t_ms (`lo` without a schedule). */
function scheduleFloor(ctx: ControlContext, a: AutoscalerSpec, configured: number, lo: number, hi: number): (t_ms: number) => number {
  const s = a.schedule;
  if (!s) return () => lo;
  const arrivals = ctx.scenario.workload.arrivals;
  const profile = s.profile ?? (arrivals.kind !== 'trace' ? arrivals.profile : undefined);
  if (!profile) throw new UserError(`control.autoscalers: ${excerpt(a.target)}: schedule needs a profile (the workload has none)`);
  const rate = new RateProfile(profile);
  const lead_ms = (s.lead_s * 1000) / ctx.compression;
  return (t_ms) => Math.max(lo, Math.min(hi, Math.ceil((configured * rate.factorAt(t_ms + lead_ms) * s.headroom) / rate.maxFactor - 1e-9)));
}
