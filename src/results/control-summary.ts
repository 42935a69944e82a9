import type { z } from 'zod';
import type { ControlSummarySchema } from './control-summary-schema.ts';
import { gpusPerReplica } from '../fleet/schema.ts';
import { HOURS_PER_MONTH } from '../cost/prices.ts';
import { gpusPerInstance, modelOnDemandUsdPerHour, regionPriceFactor } from '../fleet/llm/purchase-cost.ts';
import type { Prepared } from '../scenario/prepare.ts';
import { COMMITTED, committedShare } from '../cost/purchase.ts';
import { gpuPartBill, modelGpuParts } from '../fleet/llm/gpu-bill.ts';
import type { RunResult } from './run-result.ts';
import type { LatencyStats } from '../metrics/latency.ts';
import { fleetMonthlyCost } from '../fleet/llm/cost.ts';
import { makeArrivals } from '../workload/arrivals.ts';
import type { DeployRecord, ScalingEvent } from '../fleet/control/record.ts';
import { TierPool } from '../fleet/control/tier-pool.ts';
import { roundLatency } from './fleet-summary.ts';
import { sloVerdict } from './verdict.ts';
import { spotFaultOf } from '../faults/kinds/spot-reclaim.ts';

const r4 = (x: number) => Math.round(x * 1e4) / 1e4;
const r2 = (x: number) => Math.round(x * 100) / 100;

/** The `control` block of summary.json, inferred from its declaration (results/control-summary-schema.ts). */
export type ControlSummary = z.infer<typeof ControlSummarySchema>;

/** Share of values <= x in a sketch (bisection on quantiles). */
export function fractionAtMost(s: LatencyStats, x: number): number {
  if (s.count === 0) return 1;
  let lo = 0, hi = 1;
  if ((s.quantile(1) ?? 0) <= x) return 1;
  if ((s.quantile(0) ?? 0) > x) return 0;
  for (let k = 0; k < 30; k++) {
    const mid = (lo + hi) / 2;
    if ((s.quantile(mid) ?? 0) <= x) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** The `control` block of summary.json: scaling, cold starts, deploys, and the autoscaled bill next to the fixed one. */
type BillArea = { area: number; fixed: number; aboveCommitted: number; extra: boolean };
type ControlRun = NonNullable<RunResult['control']>;
type FleetSpecOf = NonNullable<Prepared['scenario']['fleet']>;

/**
 * Each pool's meters over the measured period, and the instance-time of each bill line. A run that
 * stopped before the measured period began (`notMeasured`) has no time to average over: its means
 * are the counts in force, as its min and max are (a run stopped at 4 s of a 60 s warm-up read
 * min_serving 741,380 beside mean_serving 0).
 */
function poolMeters(c: ControlRun, measured_ms: number, notMeasured: boolean): { components: ControlSummary['components']; byBill: Map<string, BillArea>; coldStarts: number } {
  const k = c.spec.time_compression;
  const components: ControlSummary['components'] = {};
  const byBill = new Map<string, BillArea>();
  let coldStarts = 0;
  for (const p of c.pools) {
    const m = p.pool.meter;
    const isTier = p.pool instanceof TierPool;
    const cs = isTier ? 0 : (p.pool as import('../fleet/control/gpu-pool.ts').ReplicaPool).coldStarts;
    const csS = isTier ? 0 : (p.pool as import('../fleet/control/gpu-pool.ts').ReplicaPool).coldStart_s_total;
    coldStarts += cs;
    components[p.name] = {
      fixed_instances: m.fixed,
      mean_instances: notMeasured ? m.billed : r4(m.area / measured_ms),
      mean_serving: notMeasured ? m.servingNow : r4(m.servingArea / measured_ms),
      min_serving: m.min,
      max_instances: m.max,
      // Hours of the (uncompressed) day the run stands for.
      instance_hours: r2((m.area / 3.6e6) * k),
      fixed_instance_hours: r2(((m.fixed * measured_ms) / 3.6e6) * k),
      scaling_events: c.events.filter((e) => e.component === p.name).length,
      cold_starts: cs,
      cold_start_s_mean: cs > 0 ? r2((csS / cs) * k) : null,
    };
    const b = byBill.get(p.billComponent) ?? { area: 0, fixed: 0, aboveCommitted: 0, extra: p.billComponent.endsWith('@b') };
    b.area += m.area;
    b.aboveCommitted += m.aboveCommittedArea;
    b.fixed += m.fixed * measured_ms;
    byBill.set(p.billComponent, b);
  }
  return { components, byBill, coldStarts };
}

/** A replica of `model` for a month at the instance's price (its share of the instance's GPUs). */
function replicaMonthlyUsd(f: FleetSpecOf, model: string): number {
  const m = f.models[model];
  // on-demand, at the regions' prices, as the bill prices a model without a purchase mix (gpu-bill.ts)
  return (modelOnDemandUsdPerHour(f, m) * HOURS_PER_MONTH * regionPriceFactor(f) * gpusPerReplica(m)) / gpusPerInstance(f, m.instance, model);
}

/**
 * One controlled line's autoscaled month. Its instances bought by commitment (reserved, savings
 * plan, capacity block) are paid whether they run or not, so that part stays; the rest (on-demand,
 * spot) is paid for the instances running above the committed ones, on average, at its price per
 * instance (on-demand when all are committed). Without commitments: the line x its usage ratio.
 */
function autoscaledLineUsd(prep: Prepared, f: FleetSpecOf, comp: string, line: number, b: BillArea): number {
  const ratio = b.fixed > 0 ? b.area / b.fixed : 1;
  const model = Object.keys(f.models).find((n) => modelGpuParts(f, n).some((p) => p.component === comp));
  const committed = model === undefined ? 0 : committedShare(f.models[model].purchase);
  if (model === undefined || committed === 0) return line * ratio;
  const part = modelGpuParts(f, model).find((p) => p.component === comp)!;
  const bill = gpuPartBill(f, model, part, spotFaultOf(f, prep.scenario.faults, model));
  const committedUsd = COMMITTED.reduce((a, c) => a + bill.by_commitment[c], 0);
  // the on-demand and spot instances' month (with the expected reclaims) per instance of the fixed fleet
  const flexiblePerFleetUsd = committed < 1 ? (line - committedUsd) / (1 - committed) : bill.all_on_demand_monthly_usd;
  return committedUsd + flexiblePerFleetUsd * (b.fixed > 0 ? b.aboveCommitted / b.fixed : 0);
}

/** The bill: each controlled component's fixed line scaled by its time-averaged share of the fixed fleet, its committed part kept (autoscaledLineUsd). */
function autoscaledBill(prep: Prepared, f: FleetSpecOf, byBill: Map<string, BillArea>, measured_ms: number): NonNullable<ControlSummary['bill']> {
  const sc = prep.scenario;
  const meanRate = makeArrivals(sc.workload.arrivals, () => 0.5, prep.trace).meanRatePerS(sc.duration_s * 1000);
  const fixed = fleetMonthlyCost(f, meanRate, (m) => spotFaultOf(f, sc.faults, m));
  const by: NonNullable<ControlSummary['bill']>['by_component'] = {};
  let delta = 0;
  for (const [comp, b] of byBill) {
    if (b.extra) {
      const usd = ((b.area / measured_ms) * replicaMonthlyUsd(f, comp.slice(4, -2))) / f.scale;
      by[comp] = { fixed_monthly_usd: 0, autoscaled_monthly_usd: r2(usd), usage_ratio: 0 };
      delta += usd;
      continue;
    }
    const line = fixed.by_component[comp] ?? 0;
    const ratio = b.fixed > 0 ? b.area / b.fixed : 1;
    const usd = autoscaledLineUsd(prep, f, comp, line, b);
    by[comp] = { fixed_monthly_usd: r2(line), autoscaled_monthly_usd: r2(usd), usage_ratio: r4(ratio) };
    delta += usd - line;
  }
  const auto = fixed.monthly_usd + delta;
  return {
    fixed_monthly_usd: r2(fixed.monthly_usd),
    autoscaled_monthly_usd: r2(auto),
    saving_usd: r2(fixed.monthly_usd - auto),
    saving_pct: r2(((fixed.monthly_usd - auto) / fixed.monthly_usd) * 100),
    by_component: by,
  };
}

/** A/B and canary arms of a deploy: latency, errors and cost per arm. */
function armFigures(c: ControlRun, f: FleetSpecOf, model: string, measured_ms: number): NonNullable<DeployRecord['arms']> | undefined {
  const tallies = c.armTotals[model];
  if (!tallies) return undefined;
  const k = c.spec.time_compression;
  const perReplicaMonthly = replicaMonthlyUsd(f, model);
  const arms: NonNullable<DeployRecord['arms']> = {};
  (['a', 'b'] as const).forEach((name, i) => {
    const t = tallies[i];
    const pools = c.pools.filter((p) => p.billComponent === (i === 0 ? `gpu:${model}` : `gpu:${model}@b`));
    const area = pools.reduce((a, p) => a + p.pool.meter.servingArea, 0);
    const monthly = ((area / measured_ms) * perReplicaMonthly) / f.scale;
    const reqPerMonth = (t.requests / (measured_ms / 1000) / f.scale) * 730 * 3600;
    const q = (s: LatencyStats, p: number) => (s.count > 0 ? r2(s.quantile(p)!) : null);
    arms[name] = {
      requests: t.requests,
      error_rate: r4(t.requests > 0 ? t.failed / t.requests : 0),
      e2e_p50_ms: q(t.e2e, 0.5),
      e2e_p99_ms: q(t.e2e, 0.99),
      ttft_p99_ms: q(t.ttft, 0.99),
      replica_hours: r2((area / 3.6e6) * k),
      monthly_usd: r2(monthly),
      usd_per_1k_requests: reqPerMonth > 0 ? r4((monthly / reqPerMonth) * 1000) : null,
    };
  });
  return arms;
}

/** Autoscaled pools held at their ceiling, the metric asking for more, at every decision of the run. */
function pinnedAtCeiling(ceilings: ControlRun['ceilings']): string[] {
  return ceilings
    .filter((r) => r.decisions > 0 && r.capped === r.decisions)
    .map((r) => `${r.pool} (${r.where}) was at its ceiling of ${r.ceiling.toLocaleString('en-US')} instances at every decision, its metric asking for more${r.max_set ? '' : ' (no max: the ceiling is the configured count)'}; raise max to let it scale up`);
}

export function summarizeControl(prep: Prepared, run: RunResult): ControlSummary | undefined {
  const c = run.control;
  if (!c) return undefined;
  const k = c.spec.time_compression;
  const measured_ms = Math.max(1, run.duration_ms - c.from_ms);
  const { components, byBill, coldStarts } = poolMeters(c, measured_ms, run.duration_ms <= c.from_ms);
  const out: ControlSummary = {
    time_compression: k,
    interval_s: c.spec.interval_s,
    note: [
      k !== 1
        ? `a compressed day: simulated time runs ${k}x faster than the day it stands for; control delays (loop interval, windows, metrics delay, boot, weight loading) were divided by ${k}; instance-hours are of the uncompressed day`
        : 'instance-hours cover the measured period (after warm-up)',
      ...pinnedAtCeiling(c.ceilings),
    ].join('; '),
    components,
    cold_starts: coldStarts,
    events: c.events.slice(0, 1000),
    events_total: c.events.length,
    series: { t_s: c.series.t_s, instances: c.series.spec, serving: c.series.serving },
    deploys: c.deploys.map((d) => ({ ...d })),
  };
  const f = prep.scenario.fleet;
  if (f && run.fleet) {
    out.bill = autoscaledBill(prep, f, byBill, measured_ms);
    out.slo_attainment = sloAttainment(run);
    for (const d of out.deploys) {
      if (d.kind !== 'ab' && d.kind !== 'canary') continue;
      const arms = armFigures(c, f, d.target.slice(4), measured_ms);
      if (arms) d.arms = arms;
    }
  }
  return out;
}

/**
 * Per model with an e2e SLO: the share of its requests completed within the target, the p99 of
 * those completed, and whether the target is met. A request still in flight at the end whose age
 * already exceeds the target has missed it, so it counts against the attainment (one younger than
 * the target is not judged); a run with 59% of its requests stuck in flight read "100% within the
 * SLO, met" beside a verdict that said missed. `met` is the verdict's own e2e judgement
 * (verdict.ts sloVerdict): the completed p99 within the target and its lower bound with the
 * in-flight ages counted not beyond it, on the same rounded figures summary.json's by_model has.
 */
export function sloAttainment(run: RunResult): NonNullable<ControlSummary['slo_attainment']> {
  const att: NonNullable<ControlSummary['slo_attainment']> = {};
  run.fleet?.served.forEach((s, m) => {
    const target = s.spec.slo?.e2e_p99_ms;
    if (target === undefined) return;
    const cls = run.client.byClass[m];
    const e2e = run.client.e2eByClass[m];
    const withAges = run.e2eIncludingInFlight.byClass[m];
    const within = fractionAtMost(e2e, target) * cls.completed;
    // In flight and younger than the target: the sketch with the ages, less the completed within it.
    const young = fractionAtMost(withAges, target) * withAges.count - fractionAtMost(e2e, target) * e2e.count;
    const lateInFlight = Math.min(cls.in_flight_at_end, Math.max(0, Math.round(cls.in_flight_at_end - young)));
    const judged = cls.completed + cls.failed + cls.rejected + cls.timed_out + lateInFlight;
    const latency = { e2e: roundLatency(e2e.summary()), e2e_including_in_flight: roundLatency(withAges.summary()), ttft: roundLatency(run.fleet!.metrics.models[m].ttft.summary()) };
    const met = sloVerdict({ e2e_p99_ms: target }, latency)!.met;
    const p99 = e2e.quantile(0.99);
    att[s.name] = { e2e_p99_ms: target, e2e_p99_measured_ms: p99 === null ? null : r2(p99), attainment: r4(judged > 0 ? within / judged : 1), met };
  });
  return att;
}
