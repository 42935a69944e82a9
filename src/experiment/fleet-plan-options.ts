import { UserError } from '../errors.ts';
import { GPU_IDS } from '../perf/hardware.ts';
import { ENGINE_NAMES } from '../perf/profiles.ts';
import { HOURS_PER_MONTH, listPriceUsdPerHour, matchingInstance, type PriceSet } from '../cost/prices.ts';
import { resolveServed } from '../fleet/llm/build.ts';
import { replicaCapacity } from '../fleet/llm/capacity.ts';
import type { Prepared } from '../scenario/prepare.ts';
import { excerpt } from '../util/excerpt.ts';
import { isModelConfigPath } from '../fleet/schema.ts';
import { getModel } from '../perf/lookup.ts';
import { loadHfConfig } from '../perf/hf-config.ts';
import { resolveInScope, scopeOfPrepared } from '../util/paths.ts';

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
 * TTFT target cannot meet it at any replica count.
 */

export interface OptionSpace {
  gpus?: readonly string[];
  tps?: readonly number[];
  engines?: readonly string[];
}

export interface ModelOption {
  /** Stable label, e.g. "h100-80gb tp8 vllm" (ep shown only when > 1). */
  label: string;
  gpu: string;
  tp: number;
  ep: number;
  engine: string;
  instance: string;
  /** GPUs one replica holds (ep when > 1, else tp). */
  gpus_per_replica: number;
  /** The bill of one replica for a month: its share of the instance's list price. */
  monthly_usd_per_replica: number;
  /** Requests per second one replica sustains at full load (capacity check); 0 when it cannot run. */
  requests_per_s_per_replica: number;
  /** Offered load over that, in the busiest region: the fewest replicas that can keep up. */
  replicas_lower_bound: number;
  monthly_usd_lower_bound: number;
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
  const spec = prep.scenario.fleet!.models[model];
  const where = `fleet.models.${model}.model`;
  const arch = isModelConfigPath(spec.model) ? loadHfConfig(resolveInScope(scopeOfPrepared(prep), spec.model, `${prep.file}: ${where}`)) : getModel(spec.model, where);
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
  for (const gpu of gpus) {
    for (const tp of space.tps ?? DEFAULT_TPS) {
      for (const ep of expertDegrees(prep, model, tp)) {
        for (const engine of engines) {
          if (out.length >= MAX_OPTIONS_PER_MODEL) throw new UserError(`plan --fleet: fleet.models.${model} has more than ${MAX_OPTIONS_PER_MODEL} options; narrow --gpus, --tp or --engines`);
          out.push(boundOption(prep, model, { gpu, tp, ep, engine }, priceSet));
        }
      }
    }
  }
  return out;
}

function boundOption(prep: Prepared, model: string, o: { gpu: string; tp: number; ep: number; engine: string }, priceSet: PriceSet): ModelOption {
  const f = prep.scenario.fleet!;
  const spec = f.models[model];
  const label = `${o.gpu} tp${o.tp}${o.ep > 1 ? ` ep${o.ep}` : ''} ${o.engine}`;
  const perReplica = o.ep > 1 ? o.ep : o.tp;
  const inst = matchingInstance(o.gpu, perReplica, priceSet);
  const base = { label, ...o, instance: inst?.type ?? '', gpus_per_replica: perReplica, monthly_usd_per_replica: 0, requests_per_s_per_replica: 0, replicas_lower_bound: Infinity, monthly_usd_lower_bound: Infinity, first_token_floor_ms: Infinity };
  if (!inst) return { ...base, pruned: `no catalog instance carries ${o.gpu}` };
  const monthly_usd_per_replica = (listPriceUsdPerHour(inst, priceSet) / inst.gpus) * perReplica * HOURS_PER_MONTH;
  let served;
  try {
    // Calibration files are the scenario's own fit to its hardware: an option on other hardware takes the engine's profile.
    served = resolveServed(model, { ...spec, gpu: o.gpu, tp: o.tp, ep: o.ep, engine: o.engine, instance: inst.type, calibration: undefined, gpus: perReplica }, prep, f);
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    return { ...base, instance: inst.type, monthly_usd_per_replica, pruned: `cannot run: ${e.message}` };
  }
  const cap = replicaCapacity(served, prep);
  const { rate_per_s, skew } = offeredLoad(prep, model);
  const replicas_lower_bound = Math.max(1, Math.ceil((rate_per_s * skew) / cap.requests_per_s));
  const P = cap.prompt_tokens_mean;
  const first_token_floor_ms = served.step.stepTimeMs(P, (P * P) / 2, 0, 0);
  const target = spec.kind === 'embed' ? spec.slo?.e2e_p99_ms : spec.slo?.ttft_p99_ms;
  const pruned = target !== undefined && first_token_floor_ms > target ? `a mean prompt alone takes ${first_token_floor_ms.toFixed(0)} ms to prefill, above the ${target} ms p99 target` : '';
  return { ...base, instance: inst.type, monthly_usd_per_replica, requests_per_s_per_replica: cap.requests_per_s, replicas_lower_bound, monthly_usd_lower_bound: replicas_lower_bound * monthly_usd_per_replica, first_token_floor_ms, pruned };
}
