import { ERROR_RATE_WARNING, samplingDistortionOf } from '../results/verdict.ts';
import { getInstance } from '../cost/prices.ts';
import { createHash } from 'node:crypto';
import { UserError } from '../errors.ts';
import { fleetMonthlyCost } from '../fleet/llm/cost.ts';
import { loadScenario } from '../scenario/load.ts';
import { prepare, type Prepared } from '../scenario/prepare.ts';
import type { Scenario } from '../scenario/schema.ts';
import type { Summary } from '../results/summary.ts';
import type { ServedSpec } from '../fleet/schema.ts';
import { commandWallSpent } from '../util/wall-budget.ts';
import { taskFor, type Runner } from './parallel.ts';
import { footprintFloor, modelOptions, offeredLoad, planMixes, type ModelOption, type OptionSpace } from './fleet-plan-options.ts';
import { bestCombination, combinations, nondominated, parseConstraint, type Choice, type Combination, type Constraint, type FleetObjective } from './fleet-plan-combine.ts';
import { mixLabel, mixSold, replicasWithSpotHeadroom, spotRisk } from './fleet-plan-purchase.ts';
import { disaggregatedSpec } from './fleet-plan-disaggregation.ts';
import { fallingBehind, tooShortToJudge } from './plan.ts';
import type { PurchaseMix } from '../cost/purchase.ts';
import { STEP_MODEL_THROUGHPUT_ERROR } from '../perf/model-error.ts';
import { spotFaultOf } from '../faults/kinds/spot-reclaim.ts';

/**
 * `fleetsim plan --fleet`: the fleet of least cost, energy or carbon (the objective) whose every
 * served model meets its own SLO (`fleet.models.<m>.slo`) within fleet-wide constraints. Per model
 * the options are hardware, tp/ep, serving profile, speculative decoding on or off and, for a
 * model the scenario disaggregates, colocated or a P:D ratio (fleet-plan-options.ts,
 * fleet-plan-disaggregation.ts); each feasible point is then priced under each purchase mix, a
 * spot share with the spare replicas its reclaims need (fleet-plan-purchase.ts).
 *
 * 1. Bound: every hardware option of every model (fleet-plan-options.ts) gets the step model's
 *    lower bounds; options that cannot run, or whose first token cannot come in time, are dropped.
 * 2. Per model, at its traffic share, in a one-model scenario at a reduced fleet.scale (about
 *    SCREEN_REPLICAS simulated replicas for the option with the cheapest bound), every run with
 *    the same seed (common random numbers: candidates differ by their configuration, not by their
 *    luck): options in order of their objective's bound, each searched for its fewest replicas
 *    meeting the SLO (from the bound up by steps of a quarter, then bisection). Branch and bound:
 *    an option whose bound is not below the best feasible candidate found is not simulated.
 * 3. The candidates on each model's front (cost, energy, carbon, SLO ratio) are combined (fleet-plan-combine.ts).
 * 4. The chosen fleet is simulated whole, at the scenario's own scale, once: the confirmation.
 */

/** Simulated replicas the screening aims at for the option with the cheapest bound. */
export const SCREEN_REPLICAS = 16;
/** Options simulated per model at most (after bounding). */
export const MAX_OPTIONS_SIMULATED = 6;
/** Replica counts tried above an option's bound before giving it up: up to this many times the bound. */
const MAX_OVER_BOUND = 4;
/** Requests refused for want of capacity, failed or timed out, over those offered: above this, infeasible whatever the latency of the rest. */
export const MAX_ERROR_RATE = 0.001;

export interface FleetPlanInput {
  file: string;
  /** Overrides, the step-time margin's among them (step-time-margin.ts). */
  sets?: readonly string[];
  /** The margin those overrides carry, for the reader and the warnings (0: none). */
  step_time_margin?: number;
  seed?: number;
  space?: OptionSpace;
  constraints?: readonly string[];
  /** The fleet metric minimised (default monthly_usd). */
  objective?: FleetObjective;
  /** Simulated replicas aimed at per model in the screening (default SCREEN_REPLICAS). */
  screen_replicas?: number;
  max_options_simulated?: number;
}

export interface Trial {
  model: string;
  option: string;
  /** Replicas and GPUs in the full fleet. */
  replicas: number;
  gpus: number;
  /** Simulated replicas (screening scale). */
  simulated_replicas: number;
  monthly_usd: number;
  /** Facility energy and emissions a month of these replicas at the model's load (src/results/energy-summary.ts; null: not simulated). */
  monthly_mwh: number | null;
  monthly_t_co2e: number | null;
  ttft_p99_ms: number | null;
  e2e_p99_ms: number | null;
  error_rate: number | null;
  /** The worst p99 over its target (<= 1: met). */
  slo_ratio: number;
  feasible: boolean;
  verdict: string;
  tried_because: string;
  /** How the replicas are bought (undefined: all on-demand) and the spare replicas a spot share needs to keep the SLO under reclaims. */
  purchase?: PurchaseMix;
  spot_headroom_replicas: number;
}

export interface ModelPlan {
  model: string;
  slo: { ttft_p99_ms?: number; e2e_p99_ms?: number };
  offered_rate_per_s: number;
  screen_scale: number;
  options: ModelOption[];
  /** Screening runs, in search order. */
  trials: Trial[];
  /** Each feasible trial bought each way the plan allows (the trial itself for the model's own mix without spot). */
  candidates: Trial[];
  /** Candidates no other beats on cost, energy, carbon and SLO ratio at once, least objective first. */
  front: Trial[];
}

export interface FleetPlanResult {
  scenario: string;
  seed: number;
  /** Every served model's GPU steps were planned at 1 + this times the step model's time (--step-time-margin). */
  step_time_margin: number;
  constraints: string[];
  objective: FleetObjective;
  models: ModelPlan[];
  shared_monthly_usd: number;
  /** Combinations of the models' front points: cost against the worst SLO ratio. */
  fleet_points: { monthly_usd: number; monthly_mwh: number; monthly_t_co2e: number; slo_ratio: number; picks: string[]; within_constraints: boolean }[];
  chosen?: { picks: Trial[]; monthly_usd: number; monthly_mwh: number; monthly_t_co2e: number; slo_ratio: number };
  /** Every confirmation run, the last one first to meet every SLO (or the last allowed). */
  confirmations: { picks: string[]; monthly_usd: number; met: boolean; by_model: ConfirmedModel[] }[];
  confirmation?: { summary: Summary; by_model: ConfirmedModel[]; met: boolean; monthly_usd: number };
  /** True when the command's wall time ran out before the search was done. */
  stopped_early: boolean;
  warnings: string[];
}

export interface ConfirmedModel {
  model: string;
  ttft_p99_ms: number | null;
  e2e_p99_ms: number | null;
  error_rate: number | null;
  met: boolean;
}

interface Context {
  prep: Prepared;
  runner: Runner;
  seed: number;
  objective: FleetObjective;
  space: OptionSpace;
  /** Called after each simulation with what it was of, a model or the whole fleet (a progress line: a plan of many models runs for minutes). */
  onTrial: (what: string) => void;
}

type Slo = ModelPlan['slo'];

/** A scenario with one model alone at its traffic share (the shared tiers as they are), at `scale`. */
export function oneModelScenario(base: Scenario, model: string, option: ModelOption, replicas: number, scale: number): Scenario {
  const sc = structuredClone(base);
  const f = sc.fleet!;
  const spec = f.models[model];
  const a = sc.workload.arrivals;
  if (a.kind === 'trace') throw new UserError(`workload.arrivals: plan --fleet needs a rate, not a trace`);
  sc.workload.arrivals = { ...a, rate_per_s: a.rate_per_s * spec.share };
  const router = { ...spec.router, spill_to: undefined, spill_waiting_per_replica: undefined };
  f.models = { [model]: { ...withOption(spec, option, replicas), share: 1, router } };
  f.scale = scale;
  return sc;
}

function withOption(spec: ServedSpec, option: ModelOption, replicas: number, purchase: PurchaseMix | undefined = spec.purchase): ServedSpec {
  const speculative = option.speculative ? spec.speculative : undefined;
  const colocated: ServedSpec = { ...spec, gpu: option.gpu, tp: option.tp, ep: option.ep, engine: option.engine, speculative, instance: option.instance, calibration: undefined, gpus: replicas * option.gpus_per_replica, purchase, disaggregation: undefined };
  // Disaggregated pools are billed on-demand (fleet/llm/cost.ts): their mix is left out.
  return option.pd ? { ...disaggregatedSpec({ ...colocated, disaggregation: spec.disaggregation }, option, replicas, option.pd), purchase: undefined } : colocated;
}

/**
 * A run's key for the worker pool, which keeps a prepared scenario per key (parallel-worker.ts):
 * the scenario's digest makes it differ whenever the scenario does (a repaired confirmation, or
 * another plan on the same pool), not only the readable part.
 */
function scenarioKey(readable: string, sc: Scenario): string {
  return `${readable}:${createHash('sha256').update(JSON.stringify(sc)).digest('hex').slice(0, 16)}`;
}

/** A trial's part of each fleet metric (not simulated: unbounded). */
export function trialMetrics(t: Trial): Record<FleetObjective, number> {
  return { monthly_usd: t.monthly_usd, monthly_mwh: t.monthly_mwh ?? Infinity, monthly_t_co2e: t.monthly_t_co2e ?? Infinity };
}

/** The text a pick shows: model, option, replicas and, when not all on-demand, the mix. */
export function pickText(t: Trial): string {
  return `${t.model}: ${t.option} x${t.replicas}${t.purchase ? ` (${mixLabel(t.purchase)})` : ''}`;
}

/** The model's figures in a summary and whether they meet its SLO. */
export function judge(summary: Summary, model: string, slo: Slo): { ttft: number | null; e2e: number | null; error_rate: number | null; ratio: number; met: boolean; reasons: string[] } {
  const m = summary.by_model?.[model];
  if (!m) return { ttft: null, e2e: null, error_rate: null, ratio: Infinity, met: false, reasons: [`no figures for ${model}`] };
  // Requests still waiting at the end count: an overloaded fleet hides its worst waits otherwise.
  const lat = m.latency_ms;
  const ttft = lat.ttft_including_in_flight?.p99 ?? lat.ttft?.p99 ?? null;
  const e2e = lat.e2e_including_in_flight?.p99 ?? lat.e2e?.p99 ?? null;
  const r = m.requests;
  const error_rate = r.offered > 0 ? (r.failed + r.timed_out + r.rejected - (r.rate_limited ?? 0)) / r.offered : null;
  const reasons: string[] = [];
  let ratio = 0;
  const check = (name: string, value: number | null, target: number | undefined) => {
    if (target === undefined) return;
    ratio = Math.max(ratio, value === null ? Infinity : value / target);
    if (value === null || value > target) reasons.push(`${name} p99 ${value === null ? 'null' : value.toFixed(0)} ms > ${target} ms`);
  };
  check('TTFT', ttft, slo.ttft_p99_ms);
  check('e2e', e2e, slo.e2e_p99_ms);
  if (error_rate === null || error_rate > MAX_ERROR_RATE) reasons.push(`${error_rate === null ? 'no requests' : `${(error_rate * 100).toFixed(2)}% refused, failed or timed out`} (at most ${MAX_ERROR_RATE * 100}%)`);
  if (!summary.complete) reasons.push(`the run stopped early (${summary.engine.stop_reason})`);
  const behind = fallingBehind(summary.verdict.steady_state) ?? tooShortToJudge(summary);
  if (behind) reasons.push(behind);
  return { ttft, e2e, error_rate, ratio, met: reasons.length === 0, reasons };
}

/** The bill of `replicas` of an option, as the fleet's bill charges it (whole instances). */
function optionMonthlyUsd(prep: Prepared, model: string, option: ModelOption, replicas: number, purchase?: PurchaseMix): number {
  const f = prep.scenario.fleet!;
  const a = prep.scenario.workload.arrivals;
  const rate = a.kind === 'trace' ? 0 : a.rate_per_s;
  const fleet = { ...f, models: { [model]: withOption(f.models[model], option, replicas, purchase) } };
  return modelGpuUsd(fleetMonthlyCost(fleet, rate, (m) => spotFaultOf(fleet, prep.scenario.faults, m)).by_component, model);
}

/** A model's GPU lines of a bill: gpu:<model>, or a disaggregated model's gpu:<model>:prefill and gpu:<model>:decode. */
function modelGpuUsd(byComponent: Readonly<Record<string, number>>, model: string): number {
  return Object.entries(byComponent).reduce((sum, [component, usd]) => (component === `gpu:${model}` || component.startsWith(`gpu:${model}:`) ? sum + usd : sum), 0);
}

async function simulateTrial(ctx: Context, model: string, slo: Slo, option: ModelOption, n: number, scale: number, why: string): Promise<Trial> {
  const replicas = Math.max(1, Math.round(n / scale));
  const sc = oneModelScenario(ctx.prep.scenario, model, option, replicas, scale);
  const key = scenarioKey(`fleet-plan:${model}:${option.label}:${replicas}:${scale}`, sc);
  const purchase = ctx.prep.scenario.fleet!.models[model].purchase;
  const base = { model, option: option.label, replicas, gpus: replicas * option.gpus_per_replica, simulated_replicas: n, monthly_usd: optionMonthlyUsd(ctx.prep, model, option, replicas), tried_because: why, purchase: option.pd ? undefined : purchase, spot_headroom_replicas: 0 };
  try {
    const out = await ctx.runner.run(taskFor({ ...ctx.prep, scenario: sc }, key, ctx.seed));
    ctx.onTrial(model);
    const j = judge(out.summary, model, slo);
    // a screening run whose regions' rounding gives the model more (or less) capacity than its load has judges another fleet
    const sampled = samplingDistortionOf(out.summary, `by_model.${model}.`);
    if (sampled && j.met) Object.assign(j, { met: false, reasons: [`${sampled}: not judged`] });
    // One model alone: the run's energy and carbon are this option's (the shared tiers draw none in the energy model).
    const energy = out.summary.energy;
    const footprint = { monthly_mwh: energy ? energy.monthly_kwh / 1000 : null, monthly_t_co2e: energy ? energy.monthly_kg_co2e / 1000 : null };
    return { ...base, ...footprint, ttft_p99_ms: j.ttft, e2e_p99_ms: j.e2e, error_rate: j.error_rate, slo_ratio: j.ratio, feasible: j.met, verdict: j.met ? 'meets its SLO' : j.reasons.join('; ') };
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    return { ...base, monthly_mwh: null, monthly_t_co2e: null, ttft_p99_ms: null, e2e_p99_ms: null, error_rate: null, slo_ratio: Infinity, feasible: false, verdict: `invalid configuration: ${e.message}` };
  }
}

/** The least the objective can be for `replicas` of an option, bought the cheapest way the plan allows (fleet-plan-options.ts). */
function objectiveFloor(ctx: Context, option: ModelOption, replicas: number): number {
  if (ctx.objective === 'monthly_usd') return replicas * option.monthly_usd_per_replica * option.price_factor_floor;
  return footprintFloor(ctx.prep, option.gpu, replicas * option.gpus_per_replica)[ctx.objective];
}

/**
 * The fewest simulated replicas of one option that meet the SLO: up from the bound by steps of a
 * quarter until one meets it (or its objective's floor is above `ceiling`, the best feasible
 * candidate found), then bisection between the last that failed and the first that met.
 */
async function searchOption(ctx: Context, model: string, slo: Slo, option: ModelOption, scale: number, ceiling: () => number, log: Trial[]): Promise<void> {
  const bound = option.replicas_lower_bound * scale;
  let lo = Math.max(0, Math.ceil(bound) - 1); // below the bound: over capacity, taken to fail
  let n = Math.max(1, Math.ceil(bound * 1.1));
  const limit = Math.max(n + 8, Math.ceil(bound * MAX_OVER_BOUND));
  let hi: number | undefined;
  while (n <= limit && !commandWallSpent()) {
    const t = await simulateTrial(ctx, model, slo, option, n, scale, hi === undefined && log.length === 0 ? 'first step above the capacity bound' : 'stepping up from the capacity bound');
    log.push(t);
    if (t.feasible) {
      hi = n;
      break;
    }
    lo = n;
    if (objectiveFloor(ctx, option, t.replicas) >= ceiling()) return; // failing here, and worse than a fleet that meets the SLO
    n = Math.max(n + 1, Math.ceil(n * 1.25));
  }
  while (hi !== undefined && hi - lo > 1 && !commandWallSpent()) {
    const mid = Math.floor((lo + hi) / 2);
    const t = await simulateTrial(ctx, model, slo, option, mid, scale, `bisection between ${lo} (fails) and ${hi} (meets) simulated replicas`);
    log.push(t);
    if (t.feasible) hi = mid;
    else lo = mid;
  }
}

async function planModel(ctx: Context, model: string, screenReplicas: number, maxOptions: number): Promise<ModelPlan> {
  const f = ctx.prep.scenario.fleet!;
  const spec = f.models[model];
  const slo: Slo = spec.slo ?? {};
  if (slo.ttft_p99_ms === undefined && slo.e2e_p99_ms === undefined) throw new UserError(`${ctx.prep.file}: fleet.models.${model}.slo: plan --fleet needs a target for every served model (ttft_p99_ms or e2e_p99_ms)`);
  const options = modelOptions(ctx.prep, model, ctx.space);
  const objective = ctx.objective;
  const kept = options.filter((o) => o.pruned === '').sort((a, b) => a.lower_bounds[objective] - b.lower_bounds[objective] || a.label.localeCompare(b.label));
  // The scale is set by the option searched first: the one of least objective bound.
  const screen_scale = kept.length > 0 ? Math.min(1, screenReplicas / kept[0].replicas_lower_bound) : 1;
  const trials: Trial[] = [];
  const candidates: Trial[] = [];
  let best = Infinity;
  let simulated = 0;
  for (const o of kept) {
    if (o.lower_bounds[objective] >= best) {
      o.pruned = `its ${objective} bound (${o.lower_bounds[objective].toPrecision(4)}) is not below a candidate found to meet the SLO`;
      continue;
    }
    if (simulated >= maxOptions || commandWallSpent()) {
      o.pruned = simulated >= maxOptions ? `not simulated: ${maxOptions} options were (--max-options)` : 'not simulated: the wall time ran out';
      continue;
    }
    simulated++;
    const log: Trial[] = [];
    await searchOption(ctx, model, slo, o, screen_scale, () => best, log);
    trials.push(...log);
    for (const t of log) if (t.feasible) candidates.push(...boughtWays(ctx, model, o, t));
    for (const c of candidates) best = Math.min(best, trialMetrics(c)[objective]);
  }
  const usable = candidates.filter((t) => t.ttft_p99_ms !== null || t.e2e_p99_ms !== null);
  const front = nondominated(usable, (t) => [t.monthly_usd, t.monthly_mwh ?? Infinity, t.monthly_t_co2e ?? Infinity, t.slo_ratio]).sort((a, b) => trialMetrics(a)[objective] - trialMetrics(b)[objective] || a.slo_ratio - b.slo_ratio);
  return { model, slo, offered_rate_per_s: offeredLoad(ctx.prep, model).rate_per_s, screen_scale, options, trials, candidates, front };
}

/**
 * A feasible trial bought each way the plan allows: its bill at the mix and, for a spot share,
 * the spare replicas that keep the SLO under the expected reclaims (fleet-plan-purchase.ts). The
 * spares serve no load of their own: each adds its GPUs' idle draw to energy and carbon.
 */
function boughtWays(ctx: Context, model: string, option: ModelOption, t: Trial): Trial[] {
  const own = ctx.prep.scenario.fleet!.models[model].purchase;
  if (option.pd) return [t]; // pools are billed on-demand: no mix to choose
  const out: Trial[] = [];
  for (const mix of planMixes(ctx.prep, model, ctx.space)) {
    if (!mixSold(option.instance, mix)) continue;
    const risk = spotRisk(option.instance, option.gpus_per_replica, option.gpus_per_instance, option.weight_load_s, ctx.space.spot_interruptions_per_month);
    const { replicas, headroom } = replicasWithSpotHeadroom(t.replicas, mix, risk);
    if (!Number.isFinite(replicas)) continue;
    if (headroom === 0 && mix === own) {
      out.push(t);
      continue;
    }
    const idle = footprintFloor(ctx.prep, option.gpu, headroom * option.gpus_per_replica);
    const plus = (x: number | null, extra: number) => (x === null ? null : x + extra);
    out.push({
      ...t,
      replicas,
      gpus: replicas * option.gpus_per_replica,
      monthly_usd: optionMonthlyUsd(ctx.prep, model, option, replicas, mix),
      monthly_mwh: plus(t.monthly_mwh, idle.monthly_mwh),
      monthly_t_co2e: plus(t.monthly_t_co2e, idle.monthly_t_co2e),
      purchase: mix,
      spot_headroom_replicas: headroom,
      tried_because: `the ${t.replicas} replicas screened, bought as ${mixLabel(mix)}${headroom > 0 ? ` with ${headroom} spare for spot reclaims` : ''}`,
    });
  }
  return out;
}

/** The full scenario with each model as chosen. */
export function chosenScenario(base: Scenario, models: readonly ModelPlan[], picks: readonly Trial[]): Scenario {
  const sc = structuredClone(base);
  const f = sc.fleet!;
  picks.forEach((t, i) => {
    const option = models[i].options.find((o) => o.label === t.option)!;
    f.models[t.model] = withOption(f.models[t.model], option, t.replicas, t.purchase);
  });
  return sc;
}

/** Plans the fleet; see the file header. */
export async function runFleetPlan(input: FleetPlanInput, runner: Runner, onTrial: (what: string) => void = () => {}): Promise<FleetPlanResult> {
  const loaded = loadScenario(input.file, input.sets ?? []);
  const prep = prepare(loaded);
  if (!prep.scenario.fleet) throw new UserError(`${input.file}: plan --fleet needs a fleet: section`);
  const constraints: Constraint[] = (input.constraints ?? []).map(parseConstraint);
  const seed = input.seed ?? prep.scenario.seed;
  const ctx: Context = { prep, runner, seed, objective: input.objective ?? 'monthly_usd', space: input.space ?? {}, onTrial };
  const names = Object.keys(prep.scenario.fleet.models);
  const models = await Promise.all(names.map((m) => planModel(ctx, m, input.screen_replicas ?? SCREEN_REPLICAS, input.max_options_simulated ?? MAX_OPTIONS_SIMULATED)));
  const result = combine(prep, models, constraints, seed, ctx.objective);
  result.step_time_margin = input.step_time_margin ?? 0;
  if (result.chosen) await confirmAndRepair(ctx, models, constraints, result);
  result.stopped_early = commandWallSpent();
  if (result.stopped_early) result.warnings.push('the wall time (limits.max_wall_s) ran out: the search is incomplete');
  if (result.confirmation && !result.confirmation.met) result.warnings.push(`the chosen fleet, simulated whole at the scenario's scale, still misses an SLO after ${MAX_REPAIRS} repairs (see confirmations)`);
  if (result.confirmation) result.warnings.push(...confirmationWarnings(result.confirmation.summary, result.step_time_margin));
  if (result.chosen) result.warnings.push(...priceWarnings(models, result.chosen.picks));
  return result;
}

/**
 * The chosen picks bought at a price that is not an AWS list price (another cloud's, or an
 * assumed one) or sold in units the plan does not buy in: the bill compares clouds, and the reader
 * must see it (a plan chose GB200 at CoreWeave's rack price for $64M of an $82M bill, unsaid).
 */
function priceWarnings(models: readonly ModelPlan[], picks: readonly Trial[]): string[] {
  const out: string[] = [];
  for (const t of picks) {
    const option = models.find((m) => m.model === t.model)?.options.find((o) => o.label === t.option);
    const basis = option ? getInstance(option.instance).price_basis : undefined;
    if (option && basis) out.push(`${t.model} is priced as ${option.instance}: ${basis}; the bill compares it with AWS list prices`);
  }
  return out;
}

/**
 * Models whose per-user rate limit refused 1% or more of the requests that ended (429s): judge
 * sets them aside, as a policy every option shares (counting them would leave no fleet to
 * choose, and a fleet SLO has no error-rate bound to lift the rule with), but `plan` and `check`
 * would call such a latency one of the survivors, so the plan says whose latency it met.
 */
function rateLimitedWarnings(confirmed: Summary): string[] {
  return Object.entries(confirmed.by_model ?? {}).flatMap(([model, m]) => {
    const r = m.requests;
    const ended = r.completed + r.failed + r.rejected + r.timed_out;
    const share = ended > 0 ? (r.rate_limited ?? 0) / ended : 0;
    if (share < ERROR_RATE_WARNING) return [];
    return [`${model}: its per-user rate limit refused ${(share * 100).toFixed(1)}% of the requests that ended (429), so its latency is of those that passed it and its replicas are sized for them (plan and check would not call such a latency met without a bound on the error rate)`];
  });
}

/**
 * What the confirmed fleet's own run warns of that the plan's reader must see: the cheapest fleet
 * that meets an SLO tends to sit near its knee, where the latency it was chosen by turns on a
 * capacity the step model knows only within its error; a model or GPU fleetsim is known to
 * misjudge (model-error.ts knownBias) makes the fleet's size a lower bound; and a run that keeps up
 * with its load (or it would not be confirmed) may still fail the trend test of a short run.
 */
export function confirmationWarnings(confirmed: Summary, margin = 0): string[] {
  const out: string[] = [];
  const near = confirmed.verdict.warnings.find((w) => w.code === 'near_capacity');
  // planned with the model's own error as margin, the fleet's nearness is to a capacity already cut by it
  if (near && margin < STEP_MODEL_THROUGHPUT_ERROR) {
    out.push(`the chosen fleet is ${near.message}; a fleet with more replicas keeps the SLO with margin (--step-time-margin ${STEP_MODEL_THROUGHPUT_ERROR} sizes one that holds if fleetsim reads the GPUs ${Math.round(STEP_MODEL_THROUGHPUT_ERROR * 100)}% fast)`);
  }
  // the cheapest fleet meeting a TTFT target sits where first tokens read short: say so, whatever the margin
  const short = confirmed.verdict.warnings.find((w) => w.code === 'first_tokens_short');
  if (short) out.push(`the chosen fleet: ${short.message}; a TTFT target met there may not hold`);
  // the whole fleet at the scenario's scale keeps a replica per region: a small model there may
  // have many times the capacity its load needs, so its SLO stands on its own screening run
  for (const model of Object.keys(confirmed.by_model ?? {})) {
    const sampled = samplingDistortionOf(confirmed, `by_model.${model}.`);
    if (sampled) out.push(`${model} is judged on its screening run, not on the confirmation: in the whole fleet at fleet.scale ${confirmed.fleet?.scale} ${sampled.replace(/^the fleet was /, 'it was ')}`);
  }
  const bias = confirmed.verdict.warnings.find((w) => w.code === 'known_model_bias');
  if (bias) out.push(`the chosen fleet serves ${bias.message}; its replica count is a lower bound`);
  out.push(...rateLimitedWarnings(confirmed));
  const steady = confirmed.verdict.steady_state;
  if (!steady.ok) out.push(`the chosen fleet's confirmation run is not at steady state (${steady.reasons.join('; ')}); a longer duration_s tells a trend from noise`);
  return out;
}

function combine(prep: Prepared, models: readonly ModelPlan[], constraints: readonly Constraint[], seed: number, objective: FleetObjective): FleetPlanResult {
  const a = prep.scenario.workload.arrivals;
  const bill = fleetMonthlyCost(prep.scenario.fleet!, a.kind === 'trace' ? 0 : a.rate_per_s, (m) => spotFaultOf(prep.scenario.fleet!, prep.scenario.faults, m));
  const shared_monthly_usd = bill.monthly_usd - models.reduce((s, m) => s + modelGpuUsd(bill.by_component, m.model), 0);
  const toChoice = (t: Trial): Choice => ({ metrics: trialMetrics(t), slo_ratio: t.slo_ratio });
  const { all } = combinations(
    models.map((m) => m.front.map(toChoice)),
    { monthly_usd: shared_monthly_usd, monthly_mwh: 0, monthly_t_co2e: 0 },
    objective,
  );
  // The lists were sorted by the objective, as the fronts are (stable sorts): index i of a list is front[i].
  const picksOf = (c: Combination) => c.picks.map((i, m) => models[m].front[i]);
  const best = bestCombination(all, constraints, objective);
  const within = (c: Combination) => constraints.every((k) => c.metrics[k.metric] <= k.max);
  // The fleet frontier: no other combination is cheaper, cleaner and nearer its targets at once.
  const front = new Set(nondominated(all, (c) => [c.metrics.monthly_usd, c.metrics.monthly_t_co2e, c.slo_ratio]));
  const fleet_points = all.filter((c) => front.has(c)).map((c) => ({ monthly_usd: c.metrics.monthly_usd, monthly_mwh: c.metrics.monthly_mwh, monthly_t_co2e: c.metrics.monthly_t_co2e, slo_ratio: c.slo_ratio, picks: picksOf(c).map(pickText), within_constraints: within(c) }));
  const warnings = models.filter((m) => m.front.length === 0).map((m) => `fleet.models.${m.model}: no option tried meets its SLO`);
  if (all.length > 0 && !best) warnings.push(`no combination is within ${constraints.map((c) => c.text).join(', ')}`);
  return {
    scenario: prep.scenario.name,
    seed,
    step_time_margin: 0,
    constraints: constraints.map((c) => c.text),
    objective,
    models: [...models],
    shared_monthly_usd,
    fleet_points,
    ...(best ? { chosen: { picks: picksOf(best), monthly_usd: best.metrics.monthly_usd, monthly_mwh: best.metrics.monthly_mwh, monthly_t_co2e: best.metrics.monthly_t_co2e, slo_ratio: best.slo_ratio } } : {}),
    confirmations: [],
    stopped_early: false,
    warnings,
  };
}

/**
 * Simulates the chosen fleet whole; a model that misses its SLO there gets REPAIR_STEP more
 * replicas of the same option and the fleet is simulated again, at most MAX_REPAIRS times. The
 * screening runs one model alone at a smaller scale, so its fewest replicas can sit just under
 * what the whole fleet needs; the confirmation is the figure that counts.
 */
async function confirmAndRepair(ctx: Context, models: readonly ModelPlan[], constraints: readonly Constraint[], result: FleetPlanResult): Promise<void> {
  let picks = result.chosen!.picks;
  for (let attempt = 0; ; attempt++) {
    const c = (await confirm(ctx, models, picks))!;
    result.confirmation = c;
    result.confirmations.push({ picks: picks.map(pickText), monthly_usd: c.monthly_usd, met: c.met, by_model: c.by_model });
    if (c.met || attempt >= MAX_REPAIRS || commandWallSpent()) break;
    picks = picks.map((t) => (c.by_model.find((b) => b.model === t.model)!.met ? t : raised(ctx.prep, models, t)));
  }
  const slo_ratio = Math.max(...picks.map((t) => t.slo_ratio));
  // Energy and carbon of the confirmed fleet are its whole-fleet run's; the bill is the catalog's.
  const energy = result.confirmation?.summary.energy;
  const sum = (f: (t: Trial) => number | null) => picks.reduce((s, t) => s + (f(t) ?? NaN), 0);
  result.chosen = {
    picks,
    monthly_usd: picks.reduce((s, t) => s + t.monthly_usd, result.shared_monthly_usd),
    monthly_mwh: energy ? energy.monthly_kwh / 1000 : sum((t) => t.monthly_mwh),
    monthly_t_co2e: energy ? energy.monthly_kg_co2e / 1000 : sum((t) => t.monthly_t_co2e),
    slo_ratio,
  };
  const { monthly_usd, monthly_mwh, monthly_t_co2e } = result.chosen;
  const chosen: Record<string, number> = { monthly_usd, monthly_mwh, monthly_t_co2e };
  for (const k of constraints) if (chosen[k.metric] > k.max) result.warnings.push(`the confirmed fleet has ${k.metric} ${Math.round(chosen[k.metric]).toLocaleString('en-US')}, beyond ${k.text}`);
}

/** Replicas added to a model whose SLO the whole fleet missed: a tenth more (at least one). */
const REPAIR_STEP = 0.1;
/** Confirmations after the first, each with the models that missed raised by REPAIR_STEP. */
export const MAX_REPAIRS = 2;

function raised(prep: Prepared, models: readonly ModelPlan[], t: Trial): Trial {
  const option = models.find((m) => m.model === t.model)!.options.find((o) => o.label === t.option)!;
  const replicas = Math.max(t.replicas + 1, Math.ceil(t.replicas * (1 + REPAIR_STEP)));
  const tried_because = `raised by a tenth after the whole fleet missed the SLO with ${t.replicas} replicas`;
  // Its energy and carbon in proportion to the replicas (the screened run's per replica: an estimate; the confirmation measures it)
  const per = (x: number | null) => (x === null ? null : (x * replicas) / t.replicas);
  return { ...t, replicas, gpus: replicas * option.gpus_per_replica, monthly_usd: optionMonthlyUsd(prep, t.model, option, replicas, t.purchase), monthly_mwh: per(t.monthly_mwh), monthly_t_co2e: per(t.monthly_t_co2e), verdict: 'not screened', tried_because };
}

async function confirm(ctx: Context, models: readonly ModelPlan[], picks: readonly Trial[]): Promise<FleetPlanResult['confirmation']> {
  const sc = chosenScenario(ctx.prep.scenario, models, picks);
  const out = await ctx.runner.run(taskFor({ ...ctx.prep, scenario: sc }, scenarioKey('fleet-plan:confirmation', sc), ctx.seed));
  ctx.onTrial('the whole fleet (confirmation)');
  const by_model = models.map((m) => {
    const j = judge(out.summary, m.model, m.slo);
    return { model: m.model, ttft_p99_ms: j.ttft, e2e_p99_ms: j.e2e, error_rate: j.error_rate, met: j.met };
  });
  return { summary: out.summary, by_model, met: by_model.every((b) => b.met), monthly_usd: out.summary.cost?.monthly_usd ?? NaN };
}
