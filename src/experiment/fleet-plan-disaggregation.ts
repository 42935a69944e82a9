import { UserError } from '../errors.ts';
import { resolveServed } from '../fleet/llm/build.ts';
import { poolCapacities } from '../fleet/llm/disaggregated-capacity.ts';
import type { ServedSpec } from '../fleet/schema.ts';
import type { Prepared } from '../scenario/prepare.ts';
import { excerpt } from '../util/excerpt.ts';

/**
 * The P:D ratio as a choice of `plan --fleet`, for a model the scenario disaggregates
 * (`fleet.models.<m>.disaggregation`, docs/disaggregation.md). An xPyD option has the GPU and tp of
 * a hardware option in both pools and its replicas split x : y between prefill and decode (each
 * pool at least one replica); the KV link is the scenario's. Such a model is also offered
 * colocated, so the plan chooses between the two designs as well as the ratio.
 *
 * Bound: each pool's throughput at full load (fleet/llm/disaggregated-capacity.ts, what the
 * capacity check uses) per replica; the replicas must hold both pools' needs (pdReplicasBound).
 */

export type PdRatio = readonly [number, number];

/** Ratios tried when the scenario disaggregates a model and --pd-ratios is not given. */
export const DEFAULT_PD_RATIOS: readonly PdRatio[] = [[1, 3], [1, 2], [1, 1], [2, 1]];
/** At most this many ratios, each side from 1 to MAX_PD_SIDE. */
export const MAX_PD_RATIOS = 8;
const MAX_PD_SIDE = 16;

/** `--pd-ratios 1:2,1:1`. */
export function parsePdRatios(text: string): PdRatio[] {
  const items = text.split(',').map((x) => x.trim()).filter((x) => x !== '');
  if (items.length === 0 || items.length > MAX_PD_RATIOS) throw new UserError(`--pd-ratios ${excerpt(text)}: expected 1 to ${MAX_PD_RATIOS} ratios prefill:decode, e.g. 1:2,1:1`);
  return items.map((item) => {
    const m = /^(\d+):(\d+)$/.exec(item);
    const [x, y] = m ? [Number(m[1]), Number(m[2])] : [NaN, NaN];
    if (!(x >= 1 && y >= 1 && x <= MAX_PD_SIDE && y <= MAX_PD_SIDE)) throw new UserError(`--pd-ratios ${excerpt(text)}: expected prefill:decode with whole numbers from 1 to ${MAX_PD_SIDE}, got "${excerpt(item)}"`);
    return [x, y] as const;
  });
}

/** Prefill replicas of n split x : y: the nearest whole number, each pool keeping at least one. */
export function prefillReplicas(n: number, ratio: PdRatio): number {
  return Math.min(n - 1, Math.max(1, Math.round((n * ratio[0]) / (ratio[0] + ratio[1]))));
}

/** The model's spec served xPyD on n replicas of tp GPUs (n >= 2), both pools on the option's GPU and instance. */
export function disaggregatedSpec(spec: ServedSpec, o: { gpu: string; tp: number; instance: string }, n: number, ratio: PdRatio): ServedSpec {
  const replicas = Math.max(2, n);
  const pool = { gpu: o.gpu, tp: o.tp, instance: o.instance };
  const disaggregation = { ...spec.disaggregation!, prefill: { ...pool, gpus: prefillReplicas(replicas, ratio) * o.tp }, decode: { ...pool, gpus: undefined } };
  return { ...spec, gpu: o.gpu, tp: o.tp, ep: 1, instance: o.instance, calibration: undefined, gpus: replicas * o.tp, disaggregation };
}

/**
 * The fewest replicas, however split, whose pools together keep up with `offered_per_s`
 * (requests/s in the busiest region's terms): the prefill replicas needed plus the decode
 * replicas needed, each at its pool's throughput per replica. Not the ratio's own bound (which
 * rounds the split): on the test fixture one decode replica held a load the pool model puts a
 * little above one replica's throughput, so the stricter bound would have skipped a feasible count.
 */
export function pdReplicasBound(prep: Prepared, model: string, spec: ServedSpec, o: { gpu: string; tp: number; instance: string }, offered_per_s: number, P: number, O: number): number {
  const f = prep.scenario.fleet!;
  // One replica in each pool: the capacities are per replica.
  const [prefill, decode] = poolCapacities(resolveServed(model, disaggregatedSpec(spec, o, 2, [1, 1]), prep, f), prep, f, P, O).map((p) => p.capacity_per_s);
  const needed = offered_per_s / prefill + offered_per_s / decode;
  return Number.isFinite(needed) ? Math.max(2, Math.ceil(needed)) : Infinity;
}
