import type { z } from 'zod';
import { commitmentFractions, purchaseDataAsOf, spotInterruption, spotReclaimMonthlyUsd } from '../cost/purchase.ts';
import { spotReclaimSchema, type SpotReclaimSpec } from '../faults/kinds/spot-reclaim.ts';
import { instancesPerReplica, modelInstances, modelOnDemandUsdPerHour, modelPurchaseBill, regionPriceFactor } from '../fleet/llm/purchase-cost.ts';
import { gpusPerReplica, type FleetSpec } from '../fleet/schema.ts';
import type { Prepared } from '../scenario/prepare.ts';
import { makeArrivals } from '../workload/arrivals.ts';
import { sloAttainment } from './control-summary.ts';
import type { PurchaseSummarySchema } from './purchase-summary-schema.ts';
import { round } from './round.ts';
import { fmt } from '../util/format-number.ts';
import type { RunResult } from './run-result.ts';

export type PurchaseSummary = z.infer<typeof PurchaseSummarySchema>;
type ModelPurchase = PurchaseSummary['by_model'][string];
type SpotRisk = NonNullable<ModelPurchase['spot']>;

const SECONDS_PER_MONTH = 730 * 3600;

/** The model a spot-reclaim target names ("gpu:llama" or "gpu:llama/us-east"); undefined for every model. */
function targetModel(target: string | undefined): string | undefined {
  return target === undefined ? undefined : target.slice('gpu:'.length).split('/')[0];
}

/** The scenario's spot-reclaim faults on a model, with their bands' reclaim counts. */
function reclaimFaultsOf(prep: Prepared, run: RunResult, model: string): { specs: SpotReclaimSpec[]; simulated: number } {
  const specs: SpotReclaimSpec[] = [];
  let simulated = 0;
  for (const band of run.faults.bands) {
    const f = prep.scenario.faults[band.index];
    if (f.kind !== 'spot-reclaim') continue;
    const named = targetModel(f.target);
    if (named !== undefined && named !== model) continue;
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

/** The spot part of a model's purchase: the expected reclaims and their cost, and the risk the run measured. */
function spotRisk(prep: Prepared, run: RunResult, f: FleetSpec, model: string): { risk: SpotRisk; reclaim_usd: number } {
  const m = f.models[model];
  const { specs, simulated } = reclaimFaultsOf(prep, run, model);
  // Without a spot-reclaim fault the expected figures use the fault kind's defaults (AWS notice, assumed delays).
  const spec = specs[0] ?? spotReclaimSchema.parse({ kind: 'spot-reclaim', at_s: 0, duration_s: 1 });
  const assumed = spotInterruption(m.instance);
  const perMonth = spec.interruptions_per_month ?? assumed.per_month;
  const spotInstances = (m.purchase!.spot ?? 0) * modelInstances(f, m, model);
  const spotReplicas = (m.purchase!.spot ?? 0) * (m.gpus / gpusPerReplica(m));
  const replicaReclaims = spotReplicas * instancesPerReplica(m, f.prices.overrides) * perMonth;
  const cost = spotReclaimMonthlyUsd({
    spotInstances, rate_per_h: perMonth / 730, away_h: spec.back_after_s / 3600, on_demand_usd_per_hour: modelOnDemandUsdPerHour(f, m),
    spot_fraction: commitmentFractions(m.instance).spot!, region_factor: regionPriceFactor(f), replace: spec.replace,
  });
  const outcome = runRisk(prep, run, model);
  const budgetShare = 1 - (prep.scenario.slo?.availability ?? 0.999);
  const meanRate = makeArrivals(prep.scenario.workload.arrivals, () => 0.5, prep.trace).meanRatePerS(prep.scenario.duration_s * 1000);
  const monthlyBudget = budgetShare * meanRate * m.share * SECONDS_PER_MONTH;
  const risk: SpotRisk = {
    interruption_band: spec.interruptions_per_month === undefined ? assumed.band : 'scenario',
    interruptions_per_month: perMonth,
    spot_instances: round(spotInstances),
    expected_replica_reclaims_per_month: round(replicaReclaims),
    replace: spec.replace,
    expected_away_share: round(cost.away_share),
    expected_reclaim_monthly_usd: round(cost.usd),
    reclaims_simulated: simulated,
    accelerate: spec.accelerate,
    requests_failed: outcome.failed,
    slo_attainment: outcome.attainment,
    error_budget_burn_rate: round(outcome.ended > 0 && budgetShare > 0 ? outcome.failed / outcome.ended / budgetShare : 0),
    expected_error_budget_burned_per_month: simulated > 0 && monthlyBudget > 0 ? round(((outcome.failed / simulated) * replicaReclaims) / monthlyBudget) : null,
  };
  return { risk, reclaim_usd: cost.usd };
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
    const bill = modelPurchaseBill(f, name);
    const spot = (f.models[name].purchase!.spot ?? 0) > 0 ? spotRisk(prep, run, f, name) : undefined;
    const total = bill.monthly_usd + (spot?.reclaim_usd ?? 0);
    monthly += total;
    onDemand += bill.all_on_demand_monthly_usd;
    const byCommitment = Object.fromEntries(Object.entries(bill.by_commitment).map(([k, v]) => [k, round(v)])) as unknown as ModelPurchase['monthly_usd_by_commitment'];
    by_model[name] = {
      monthly_usd_by_commitment: byCommitment,
      monthly_usd: round(total),
      all_on_demand_monthly_usd: round(bill.all_on_demand_monthly_usd),
      saved_usd: round(bill.all_on_demand_monthly_usd - total),
      ...(spot ? { spot: spot.risk } : {}),
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
