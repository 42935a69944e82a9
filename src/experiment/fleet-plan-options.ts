import { UserError } from '../errors.ts';
import { ENGINE_NAMES } from '../perf/profiles.ts';
import { HOURS_PER_MONTH, matchingInstance, type PriceSet } from '../cost/prices.ts';
import { resolveServed, servedArchitecture } from '../fleet/llm/build.ts';
import { instanceHourlyUsd } from '../cost/monthly.ts';
import { catalogGpusPerInstance } from '../fleet/llm/purchase-cost.ts';
import { replicaCapacity } from '../fleet/llm/capacity.ts';
import type { Prepared } from '../scenario/prepare.ts';
import { excerpt } from '../util/excerpt.ts';
import { GPU_IDS, GPUS, type GpuId } from '../perf/hardware.ts';
import { IDLE_SHARE_OF_TDP } from '../perf/power.ts';
import { defaultGridName, getGrid } from '../cost/energy.ts';
import type { PurchaseMix } from '../cost/purchase.ts';
import { mixPriceFactor, mixSold } from './fleet-plan-purchase.ts';
import { DEFAULT_PD_RATIOS, pdReplicasBound, type PdRatio } from './fleet-plan-disaggregation.ts';

/**
 * The hardware options of one served model in a fleet plan, and what the step model says of each
 * before anything is simulated.
 *
 * An option is a GPU with its catalog instance (scenario/hardware.ts pairs them the same way), a
 * tensor-parallel degree, an expert-parallel degree for mixture-of-experts models, and a serving
 * profile (engine). Its analytical bounds come from the capacity check (fleet/llm/capacity.ts):
 * one replica's throughput at the batch continuous batching settles at under full load. No fleet
 * of fewer replicas than the offered load over that throughput can keep up (utilisation at most 1
 * in the busiest region), so `replicas_lower_bound` and `monthly_usd_lower_bound` are lower bounds
 * of what the option costs; and no request's first token comes before the prefill of a mean prompt
 * alone on the replica (`first_token_floor_ms`), so an option whose floor is above the model's
 * TTFT target cannot meet it at any replica count. Every GPU of the fleet draws at least its idle
 * power (perf/power.ts: off and failed replicas count as idle too) in a facility of PUE at least 1,
 * on a grid at least as clean as the cleanest region's, which bounds energy and carbon from below.
 *
 * A model whose scenario gives it speculative decoding is offered with it and without it: the
 * step model (fleet/llm/speculative.ts) says which serves more at the SLO.
 */

export interface OptionSpace {
  gpus?: readonly string[];
  tps?: readonly number[];
  engines?: readonly string[];
  /** Purchase mixes to choose among (default: the model's own); see fleet-plan-purchase.ts. */
  purchase?: readonly PurchaseMix[];
  /** Spot reclaims per instance a month (default: each instance type's assumed band). */
  spot_interruptions_per_month?: number;
  /** Prefill:decode ratios for the models the scenario disaggregates (default DEFAULT_PD_RATIOS). */
  pd_ratios?: readonly PdRatio[];
}

/** Per metric of the plan's objective (fleet-plan-combine.ts), an option's lower bound a month. */
export type OptionBounds = Record<'monthly_usd' | 'monthly_mwh' | 'monthly_t_co2e', number>;

export interface ModelOption {
  /** Stable label, e.g. "h100-80gb tp8 vllm" (ep shown only when > 1). */
  label: string;
  gpu: string;
  tp: number;
  ep: number;
  engine: string;
  /** Whether the model's speculative decoding (fleet.models.<m>.speculative) is on. */
  speculative: boolean;
  /** Prefill:decode split of the replicas, for a model served disaggregated (undefined: colocated). */
  pd?: PdRatio;
  instance: string;
  /** GPUs one replica holds (ep when > 1, else tp). */
  gpus_per_replica: number;
  /** The bill of one replica for a month: its share of the instance's list price. */
  monthly_usd_per_replica: number;
  /** GPUs of the instance type and the load of one replica's weights (for the spot headroom). */
  gpus_per_instance: number;
  weight_load_s: number;
  /** The least bill over the purchase mixes tried, as a share of the on-demand bill (mixes not sold for the type left out). */
  price_factor_floor: number;
  /** Requests per second one replica sustains at full load (capacity check; xPyD: the load over its bound); 0 when it cannot run. */
  requests_per_s_per_replica: number;
  /** Offered load over that, in the busiest region: the fewest replicas that can keep up. */
  replicas_lower_bound: number;
  monthly_usd_lower_bound: number;
  /** Lower bounds of each fleet metric: the bill above, and the idle draw of its GPUs (see the file header). */
  lower_bounds: OptionBounds;
  /** The prefill of a mean prompt alone: no first token comes sooner. */
  first_token_floor_ms: number;
  /** Why the option is left out without simulation ('' when kept). */
  pruned: string;
}

export const DEFAULT_TPS: readonly number[] = [1, 2, 4, 8];
/** At most this many options per model are bounded analytically (gpus x tp x ep x engines). */
export const MAX_OPTIONS_PER_MODEL = 2_000;

/** The model's offered requests per second in the full fleet, and the busiest region's traffic over capacity share. */
export function offeredLoad(prep: Prepared, model: string): { rate_per_s: number; skew: number } {
  const sc = prep.scenario;
  const a = sc.workload.arrivals;
  if (a.kind === 'trace') throw new UserError(`${prep.file}: workload.arrivals: plan --fleet needs a rate (poisson or another rate law), not a trace`);
  const f = sc.fleet!;
  const skew = Math.max(...Object.values(f.regions).map((r) => r.traffic_share / r.capacity_share));
  return { rate_per_s: a.rate_per_s * f.models[model].share, skew };
}

/** Expert-parallel degrees to try: 1, and for a mixture-of-experts model each multiple of tp up to 8. */
function expertDegrees(prep: Prepared, model: string, tp: number): number[] {
  const arch = servedArchitecture(model, prep.scenario.fleet!.models[model], prep);
  if (arch.experts <= 1) return [1];
  return [1, ...[2, 4, 8].filter((ep) => ep > tp && ep % tp === 0)];
}

/** The model's options, each bounded analytically; pruned ones say why. */
export function modelOptions(prep: Prepared, model: string, space: OptionSpace): ModelOption[] {
  const f = prep.scenario.fleet!;
  const spec = f.models[model];
  const priceSet: PriceSet = f.prices?.set === 'current' ? 'current' : '2024';
  // By default only GPUs whose catalog instance has a published price: an assumed price is the
  // catalog's placeholder, not a basis for buying (name the GPU in --gpus to plan with it anyway).
  const listed = (g: string) => {
    const i = matchingInstance(g, 1, priceSet);
    return i !== undefined && !(i.note ?? '').startsWith('ASSUMED');
  };
  const gpus = space.gpus ?? GPU_IDS.filter(listed);
  for (const g of space.gpus ?? []) if (!(GPU_IDS as readonly string[]).includes(g)) throw new UserError(`--gpus: unknown GPU "${excerpt(g)}"; expected some of ${GPU_IDS.join(', ')}`);
  const engines = space.engines ?? [spec.engine ?? 'vllm'];
  for (const e of engines) if (!(ENGINE_NAMES as readonly string[]).includes(e)) throw new UserError(`--engines: unknown engine "${excerpt(e)}"; expected one of ${ENGINE_NAMES.join(', ')}`);
  const out: ModelOption[] = [];
  const optionsAt = (gpu: string, tp: number): ModelOption[] => {
    const at: ModelOption[] = [];
    for (const ep of expertDegrees(prep, model, tp)) {
      for (const engine of engines) {
        // Colocated, with and without speculation where the scenario gives it; then, for a model the scenario disaggregates, each P:D ratio.
        const variants = [...(spec.speculative ? [false, true] : [false]).map((speculative) => ({ speculative, pd: undefined })), ...(spec.disaggregation && ep === 1 ? (space.pd_ratios ?? DEFAULT_PD_RATIOS).map((pd) => ({ speculative: false, pd })) : [])];
        for (const v of variants) {
          if (out.length + at.length >= MAX_OPTIONS_PER_MODEL) throw new UserError(`plan --fleet: fleet.models.${model} has more than ${MAX_OPTIONS_PER_MODEL} options; narrow --gpus, --tp, --engines or --pd-ratios`);
          at.push(boundOption(prep, model, { gpu, tp, ep, engine, ...v }, priceSet, space));
        }
      }
    }
    return at;
  };
  for (const gpu of gpus) {
    let widest: ModelOption[] = [];
    for (const tp of space.tps ?? DEFAULT_TPS) {
      widest = optionsAt(gpu, tp);
      out.push(...widest);
    }
    // By default a model that fits none of the default degrees on this GPU is tried on twice the
    // widest, over whole nodes (hardware.ts checkTensorParallel: 16 on two 8-GPU nodes); given
    // --tp, only what it names
    const gpuSpec = GPUS[gpu as GpuId];
    if (space.tps === undefined && gpuSpec.interconnect !== 'pcie' && widest.length > 0 && widest.every((o) => / does not fit on /.test(o.pruned))) {
      out.push(...optionsAt(gpu, 2 * Math.max(DEFAULT_TPS[DEFAULT_TPS.length - 1], gpuSpec.interconnect_domain_gpus)));
    }
  }
  return out;
}

/** The least facility energy (MWh) and emissions (t CO2e) a month of `gpus` GPUs of a type: idle draw, PUE 1, the cleanest region's grid. */
export function footprintFloor(prep: Prepared, gpu: string, gpus: number): { monthly_mwh: number; monthly_t_co2e: number } {
  const f = prep.scenario.fleet!;
  const spec = GPUS[gpu as GpuId];
  const idle_w = spec ? spec.tdp_w * IDLE_SHARE_OF_TDP[gpu as GpuId] : 0;
  const monthly_mwh = (gpus * idle_w * HOURS_PER_MONTH) / 1e6;
  const g_per_kwh = Math.min(...Object.entries(f.regions).map(([name, r]) => r.carbon_g_per_kwh ?? getGrid(r.grid ?? defaultGridName(name), `fleet.regions.${name}.grid`).g_co2e_per_kwh));
  // MWh x g/kWh = kg x 1000 / 1000: t = MWh x g/kWh / 1000
  return { monthly_mwh, monthly_t_co2e: (monthly_mwh * g_per_kwh) / 1000 };
}

/** The purchase mixes of a model in the plan: those asked for, else the model's own (undefined: all on-demand). */
export function planMixes(prep: Prepared, model: string, space: OptionSpace): readonly (PurchaseMix | undefined)[] {
  return space.purchase && space.purchase.length > 0 ? space.purchase : [prep.scenario.fleet!.models[model].purchase];
}

/** The bill's least share of on-demand over the mixes sold for the instance (1 if none is). */
function priceFactorFloor(prep: Prepared, model: string, space: OptionSpace, instance: string): number {
  const factors = planMixes(prep, model, space).filter((m) => mixSold(instance, m)).map((m) => mixPriceFactor(prep.scenario.fleet!, instance, m));
  return factors.length > 0 ? Math.min(...factors) : 1;
}

function boundOption(prep: Prepared, model: string, o: { gpu: string; tp: number; ep: number; engine: string; speculative: boolean; pd?: PdRatio }, priceSet: PriceSet, space: OptionSpace): ModelOption {
  const f = prep.scenario.fleet!;
  const spec = f.models[model];
  const label = `${o.gpu} tp${o.tp}${o.ep > 1 ? ` ep${o.ep}` : ''} ${o.engine}${o.speculative ? ' speculative' : ''}${o.pd ? ` ${o.pd[0]}P${o.pd[1]}D` : ''}`;
  const perReplica = o.ep > 1 ? o.ep : o.tp;
  const inst = matchingInstance(o.gpu, perReplica, priceSet);
  const unbounded = { monthly_usd: Infinity, monthly_mwh: Infinity, monthly_t_co2e: Infinity };
  const base = { label, ...o, instance: inst?.type ?? '', gpus_per_replica: perReplica, gpus_per_instance: inst?.gpus ?? 0, weight_load_s: 0, price_factor_floor: 1, monthly_usd_per_replica: 0, requests_per_s_per_replica: 0, replicas_lower_bound: Infinity, monthly_usd_lower_bound: Infinity, lower_bounds: unbounded, first_token_floor_ms: Infinity };
  if (!inst) return { ...base, pruned: `no catalog instance carries ${o.gpu}` };
  // The scenario's own price of the type, when it gives one, is what its bill charges, per GPU as the bill counts them (fleet/llm/purchase-cost.ts).
  const monthly_usd_per_replica = (instanceHourlyUsd(inst.type, { overrides: f.prices.overrides, priceSet }) / catalogGpusPerInstance(inst.type)) * perReplica * HOURS_PER_MONTH;
  let served;
  try {
    // Calibration files are the scenario's own fit to its hardware: an option on other hardware takes the engine's profile.
    served = resolveServed(model, { ...spec, gpu: o.gpu, tp: o.tp, ep: o.ep, engine: o.engine, speculative: o.speculative ? spec.speculative : undefined, instance: inst.type, calibration: undefined, gpus: perReplica, disaggregation: undefined }, prep, f);
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    return { ...base, instance: inst.type, monthly_usd_per_replica, pruned: `cannot run: ${e.message}` };
  }
  const cap = replicaCapacity(served, prep);
  const { rate_per_s, skew } = offeredLoad(prep, model);
  let replicas_lower_bound = Math.max(1, Math.ceil((rate_per_s * skew) / cap.requests_per_s));
  if (o.pd) {
    const pool = { gpu: o.gpu, tp: o.tp, instance: inst.type };
    try {
      replicas_lower_bound = pdReplicasBound(prep, model, { ...spec, engine: o.engine }, pool, rate_per_s * skew, cap.prompt_tokens_mean, cap.output_tokens_mean);
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      return { ...base, instance: inst.type, monthly_usd_per_replica, pruned: `cannot run: ${e.message}` };
    }
  }
  const P = cap.prompt_tokens_mean;
  const first_token_floor_ms = served.step.stepTimeMs(P, (P * P) / 2, 0, 0);
  const target = spec.kind === 'embed' ? spec.slo?.e2e_p99_ms : spec.slo?.ttft_p99_ms;
  const pruned = target !== undefined && first_token_floor_ms > target ? `a mean prompt alone takes ${first_token_floor_ms.toFixed(0)} ms to prefill, above the ${target} ms p99 target` : '';
  const monthly_usd_lower_bound = replicas_lower_bound * monthly_usd_per_replica;
  // The bill of a disaggregated model is its pools' on-demand lines (fleet/llm/cost.ts): no mix applies.
  const price_factor_floor = o.pd ? 1 : priceFactorFloor(prep, model, space, inst.type);
  const lower_bounds = { monthly_usd: monthly_usd_lower_bound * price_factor_floor, ...footprintFloor(prep, o.gpu, replicas_lower_bound * perReplica) };
  const weight_load_s = (spec.weights_gb ?? (served.step.weightBytesPerGpu * served.step.gpus) / 1e9) / (f.s3?.load_gb_per_s ?? 2);
  return { ...base, instance: inst.type, weight_load_s, price_factor_floor, monthly_usd_per_replica, requests_per_s_per_replica: o.pd ? (rate_per_s * skew) / replicas_lower_bound : cap.requests_per_s, replicas_lower_bound, monthly_usd_lower_bound, lower_bounds, first_token_floor_ms, pruned };
}
