import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { UserError } from '../errors.ts';
import { excerpt } from '../util/excerpt.ts';
import { describeIssue } from '../scenario/format-issue.ts';

/**
 * Efficiency factors and overheads of the step-time model (step.ts). `fleetsim calibrate` fits
 * them to measured timings and writes them as JSON; loadCalibration reads them back.
 */
export const CalibrationProfileSchema = z.strictObject({
  /** achieved / peak tensor FLOP/s on prompt (prefill) work */
  prefill_compute_efficiency: z.number().gt(0).lte(1),
  /** achieved / peak tensor FLOP/s on decode work (small-M GEMMs: lower than prefill) */
  decode_compute_efficiency: z.number().gt(0).lte(1),
  /** achieved / peak HBM bandwidth when streaming weights and KV cache */
  memory_bw_efficiency: z.number().gt(0).lte(1),
  /** achieved / peak one-direction GPU link bandwidth in tensor-parallel all-reduces */
  link_bw_efficiency: z.number().gt(0).lte(1),
  /** fixed cost of one iteration: scheduling, kernel launches, sampling (ms) */
  step_overhead_ms: z.number().gte(0),
  /** per decoding sequence per iteration: input preparation, sampling, detokenisation (ms) */
  per_seq_overhead_ms: z.number().gte(0),
  /** latency of one all-reduce per doubling of TP ranks (µs): an all-reduce costs this * log2(tp) */
  allreduce_latency_us: z.number().gte(0),
  /** free-form provenance: what it was fitted on and how well */
  source: z.string().optional(),
  fit: z.object({
    model: z.string(),
    gpu: z.string(),
    fitted_tp: z.array(z.number().int().positive()),
    points: z.number().int().nonnegative(),
    mape_pct: z.number().nonnegative(),
  }).optional(),
});

export type CalibrationProfile = z.infer<typeof CalibrationProfileSchema>;

/** The numeric factors, the part of a profile the step model reads. */
export type CalibrationFactors = Pick<CalibrationProfile,
  'prefill_compute_efficiency' | 'decode_compute_efficiency' | 'memory_bw_efficiency' | 'link_bw_efficiency' |
  'step_overhead_ms' | 'per_seq_overhead_ms' | 'allreduce_latency_us'>;

/**
 * Catalog defaults: an untuned vLLM-class stack, i.e. the stack Splitwise measured in 2023
 * (scenarios/data/splitwise). Set from `fleetsim calibrate` over all 76 points of Llama-2-70B on
 * A100-80GB at TP 2, 4 and 8 with step_overhead_ms held at 5 ms (that fit alone puts it at 0 and
 * lets the all-reduce latency carry the fixed cost, which would make TP 1 unrealistically cheap;
 * holding it costs 0.2 points of error), rounded. Against those measurements the defaults give a
 * mean absolute percentage error of 14.7% on prefill and 3.6% on decode (9.1% overall); by TP
 * (prefill / decode): TP 2 8.0% / 3.8%, TP 4 15.8% / 3.3%, TP 8 19.8% / 3.6%.
 * What the factors say about that stack: GEMMs at 67% of peak, weights streamed at 78% of HBM
 * bandwidth, 0.3 ms of CPU work per running sequence per step, and tensor-parallel all-reduces
 * that cost 56 us per doubling of ranks and move data at 21% of NVLink (63 GB/s): communication
 * is not overlapped with compute. A tuned stack (CUDA graphs, custom all-reduce, overlapped
 * scheduling) is faster: calibrate it.
 * decode_compute_efficiency is not identifiable from that data (decode there is memory-bound);
 * 0.3 is our estimate for small-M GEMMs (a decode batch is a skinny matrix).
 */
export const DEFAULT_CALIBRATION: CalibrationProfile = {
  prefill_compute_efficiency: 0.67,
  decode_compute_efficiency: 0.3,
  memory_bw_efficiency: 0.78,
  link_bw_efficiency: 0.21,
  step_overhead_ms: 5,
  per_seq_overhead_ms: 0.3,
  allreduce_latency_us: 56,
  source: 'fleetsim defaults (Splitwise Llama-2-70B A100-80GB fit with step_overhead_ms held at 5, rounded)',
};

export function parseCalibration(json: unknown, where: string): CalibrationProfile {
  const r = CalibrationProfileSchema.safeParse(json, { reportInput: true });
  if (!r.success) throw new UserError(`${where}: ${describeIssue(r.error.issues[0])}`);
  return r.data;
}

export function loadCalibration(path: string): CalibrationProfile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UserError(`${path}: cannot read calibration profile: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${path}: not valid JSON: ${excerpt((e as Error).message)}`);
  }
  return parseCalibration(json, path);
}
