import type { z } from 'zod';
import { COMMITMENTS, purchaseDataAsOf, spotInterruption } from '../cost/purchase.ts';
import type { SpotReclaimSpec } from '../faults/kinds/spot-reclaim.ts';
import { faultTargetModel, gpuPartBill, modelGpuParts, type GpuBillPart, type GpuPartBill } from '../fleet/llm/gpu-bill.ts';
import { instancesPerReplica } from '../fleet/llm/purchase-cost.ts';
import { gpusPerReplica, type FleetSpec } from '../fleet/schema.ts';
import type { Prepared } from '../scenario/prepare.ts';
import { makeArrivals } from '../workload/arrivals.ts';
import { sloAttainment } from './control-summary.ts';
import type { PurchaseSummarySchema } from './purchase-summary-schema.ts';
import { round } from './round.ts';
import { fmt } from '../util/format-number.ts';
import type { RunResult } from './run-result.ts';
import { spotFaultOf } from '../faults/kinds/spot-reclaim.ts';

export type PurchaseSummary = z.infer<typeof PurchaseSummarySchema>;
type ModelPurchase = PurchaseSummary['by_model'][string];
type SpotRisk = NonNullable<ModelPurchase['spot']>;

const SECONDS_PER_MONTH = 730 * 3600;

/** The scenario's spot-reclaim faults on a model or its pools, with their bands' reclaim counts. */
function reclaimFaultsOf(prep: Prepared, run: RunResult, model: string): { specs: SpotReclaimSpec[]; simulated: number } {
  const specs: SpotReclaimSpec[] = [];
  let simulated = 0;
  for (const band of run.faults.bands) {
    const f = prep.scenario.faults[band.index];
    if (f.kind !== 'spot-reclaim') continue;
    if (f.target !== undefined && faultTargetModel(prep.scenario.fleet!, f.target) !== model) continue;
    specs.push(f);
    simulated += band.occurrences ?? 0;
  }
  return { specs, simulated };
}

/** The model's request outcomes in the run and its SLO attainment (null without an e2e target). */
function runRisk(prep: Prepared, run: RunResult, model: string): { failed: number; ended: number; attainment: number | null } {
  const m = run.fleet!.served.findIndex((s) => s.name === model);
  const c = run.client.byClass[m];
  const failed = c.failed + c.rejected + c.timed_out;
  const attainment = sloAttainment(run)[model]?.attainment ?? null;
  return { failed, ended: c.completed + failed, attainment };
}

type PoolSpotRisk = NonNullable<SpotRisk['by_pool']>[string];

/** One GPU line's expected spot risk: its own instance type's band and rate unless the scenario's fault states one. */
function partSpotRisk(m: FleetSpec['models'][string], spec: SpotReclaimSpec | undefined, part: GpuBillPart, bill: GpuPartBill): PoolSpotRisk {
  const assumed = spotInterruption(part.spec.instance);
  const perMonth = spec?.interruptions_per_month ?? assumed.per_month;
  const spotReplicas = (m.purchase!.spot ?? 0) * (part.spec.gpus / gpusPerReplica(part.spec));
  return {
    instance: part.spec.instance,
    interruption_band: spec?.interruptions_per_month === undefined ? assumed.band : 'scenario',
    interruptions_per_month: perMonth,
    spot_instances: round(bill.spot_instances),
    expected_replica_reclaims_per_month: round(spotReplicas * instancesPerReplica(part.spec) * perMonth),
    expected_away_share: round(bill.away_share),
    expected_reclaim_monthly_usd: round(bill.reclaim_usd),
  };
}

/**
 * The expected risk over a model's GPU lines: sums, and the rate and away share weighted by the
 * lines' spot instances (a disaggregated model's pools may be on types of different bands; each
 * pool's own figures are under `by_pool`).
 */
function expectedSpotRisk(m: FleetSpec['models'][string], spec: SpotReclaimSpec | undefined, parts: readonly { part: GpuBillPart; bill: GpuPartBill }[]) {
  const lines = parts.map(({ part, bill }) => ({ part, bill, risk: partSpotRisk(m, spec, part, bill) }));
  const spotInstances = parts.reduce((a, p) => a + p.bill.spot_instances, 0);
  const weighted = (value: (l: (typeof lines)[number]) => number) =>
    spotInstances > 0 ? lines.reduce((a, l) => a + value(l) * l.bill.spot_instances, 0) / spotInstances : value(lines[0]);
  const bands = [...new Set(lines.map((l) => l.risk.interruption_band))];
  return {
    interruption_band: bands.join(' / '),
    interruptions_per_month: round(weighted((l) => l.risk.interruptions_per_month)),
    spot_instances: round(spotInstances),
    expected_replica_reclaims_per_month: round(lines.reduce((a, l) => a + l.risk.expected_replica_reclaims_per_month, 0)),
    expected_away_share: round(weighted((l) => l.bill.away_share)),
    expected_reclaim_monthly_usd: round(parts.reduce((a, p) => a + p.bill.reclaim_usd, 0)),
    ...(lines.length > 1 ? { by_pool: Object.fromEntries(lines.map((l) => [l.part.component.split(':').pop()!, l.risk])) } : {}),
  };
}

/** The spot part of a model's purchase: the expected reclaims over its GPU lines (a disaggregated model's pools), and the risk the run measured. */
function spotRisk(prep: Prepared, run: RunResult, f: FleetSpec, model: string, parts: readonly { part: GpuBillPart; bill: GpuPartBill }[]): SpotRisk {
  const m = f.models[model];
  const { specs, simulated } = reclaimFaultsOf(prep, run, model);
  const spec = specs[0];
  const expected = expectedSpotRisk(m, spec, parts);
  const outcome = runRisk(prep, run, model);
  const budgetShare = 1 - (prep.scenario.slo?.availability ?? 0.999);
  const meanRate = makeArrivals(prep.scenario.workload.arrivals, () => 0.5, prep.trace).meanRatePerS(prep.scenario.duration_s * 1000);
  const monthlyBudget = budgetShare * meanRate * m.share * SECONDS_PER_MONTH;
  const { by_pool, ...expectedFigures } = expected;
  return {
    ...expectedFigures,
    // without a spot-reclaim fault the expected figures use the fault kind's defaults (AWS notice, assumed delays)
    replace: spec?.replace ?? 'on_demand',
    reclaims_simulated: simulated,
    accelerate: spec?.accelerate ?? 1,
    requests_failed: outcome.failed,
    slo_attainment: outcome.attainment,
    error_budget_burn_rate: round(outcome.ended > 0 && budgetShare > 0 ? outcome.failed / outcome.ended / budgetShare : 0),
    expected_error_budget_burned_per_month: simulated > 0 && monthlyBudget > 0 ? round(((outcome.failed / simulated) * expected.expected_replica_reclaims_per_month) / monthlyBudget) : null,
    ...(by_pool ? { by_pool } : {}),
  };
}

/** summary.json `purchase`: the bill by commitment of each model with a purchase mix, and the spot risk. Undefined when no model has one. */
export function summarizePurchase(prep: Prepared, run: RunResult): PurchaseSummary | undefined {
  const f = prep.scenario.fleet;
  if (!f || !run.fleet) return undefined;
  const names = Object.keys(f.models).filter((n) => f.models[n].purchase);
  if (names.length === 0) return undefined;
  const by_model: Record<string, ModelPurchase> = {};
  let monthly = 0, onDemand = 0;
  for (const name of names) {
    // the bill's own GPU lines (fleet/llm/gpu-bill.ts), so that the two agree to the cent
    const spotFault = spotFaultOf(f, prep.scenario.faults, name);
    const parts = modelGpuParts(f, name).map((part) => ({ part, bill: gpuPartBill(f, name, part, spotFault) }));
    const byCommitment = Object.fromEntries(COMMITMENTS.map((c) => [c, round(parts.reduce((a, p) => a + p.bill.by_commitment[c], 0))])) as unknown as ModelPurchase['monthly_usd_by_commitment'];
    const total = parts.reduce((a, p) => a + p.bill.monthly_usd + p.bill.reclaim_usd, 0);
    const allOnDemand = parts.reduce((a, p) => a + p.bill.all_on_demand_monthly_usd, 0);
    const spot = (f.models[name].purchase!.spot ?? 0) > 0 ? spotRisk(prep, run, f, name, parts) : undefined;
    monthly += total;
    onDemand += allOnDemand;
    by_model[name] = {
      monthly_usd_by_commitment: byCommitment,
      monthly_usd: round(total),
      all_on_demand_monthly_usd: round(allOnDemand),
      saved_usd: round(allOnDemand - total),
      ...(spot ? { spot } : {}),
    };
  }
  return {
    prices_as_of: purchaseDataAsOf(),
    monthly_usd: round(monthly),
    all_on_demand_monthly_usd: round(onDemand),
    saved_usd: round(onDemand - monthly),
    saved_pct: round(onDemand > 0 ? ((onDemand - monthly) / onDemand) * 100 : 0),
    by_model,
  };
}

/** The verdict's warning when the run simulated spot reclaims: its latencies and errors include them, at the fault's pace. */
export function spotWarning(p: PurchaseSummary | undefined): { code: 'spot_reclaims'; message: string } | undefined {
  const parts: string[] = [];
  for (const [name, m] of Object.entries(p?.by_model ?? {})) {
    const s = m.spot;
    if (!s || s.reclaims_simulated === 0) continue;
    const pace = s.accelerate === 1 ? '' : ` (${fmt(s.accelerate)}x the expected rate)`;
    const slo = s.slo_attainment === null ? '' : `, ${fmt(s.slo_attainment * 100, 4)}% within its SLO`;
    const burn = s.expected_error_budget_burned_per_month === null ? '' : `; at the expected ${fmt(s.expected_replica_reclaims_per_month)} reclaims a month they would burn ${fmt(s.expected_error_budget_burned_per_month * 100, 3)}% of its error budget`;
    parts.push(`${name}: ${fmt(s.reclaims_simulated)} reclaims simulated${pace}, ${fmt(s.requests_failed)} requests failed${slo}${burn}, for $${fmt(m.saved_usd)} a month saved against all on-demand`);
  }
  return parts.length > 0 ? { code: 'spot_reclaims', message: `spot reclaims in this run: ${parts.join('; ')}` } : undefined;
}
