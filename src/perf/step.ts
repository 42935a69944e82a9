import { DEFAULT_CALIBRATION, type CalibrationFactors } from './calibration.ts';
import { ACTIVATION_BYTES, peakTflopsFor, type Dtype } from './dtype.ts';
import type { GpuSpec } from './hardware.ts';
import { sizeReplica } from './memory.ts';
import type { ModelSpec } from './models.ts';
import { countParams } from './shape.ts';

/**
 * Step-time model of one continuous-batching iteration on a tensor-parallel replica:
 *
 *   t = step_overhead + per_seq_overhead * decodeSeqs
 *       + max(prefill FLOPs / (peak * e_prefill) + decode FLOPs / (peak * e_decode),
 *             bytes / (HBM bandwidth * e_mem))
 *       + 2 * layers * (allreduce_latency * log2(tp) + 2 (tp-1)/tp * tokens * hidden * 2 B / (link * e_link))
 *
 * See src/perf/README.md for the sources of each term and the fitted factors.
 */
export interface StepModel {
  readonly tp: number;
  /** KV cache tokens the replica holds: (TP * GPU memory * utilisation - weights - activation reserve) / KV bytes per token */
  readonly kvCapacityTokens: number;
  readonly kvBytesPerToken: number;
  readonly weightBytesPerGpu: number;
  /** Duration in ms of one iteration.
   *  prefillTokens: new prompt tokens processed this step (sum of chunk lengths)
   *  prefillAttnTokenPairs: sum over prefill chunks of chunkLen * (tokens already cached for that seq + chunkLen/2)
   *  decodeSeqs: number of sequences decoding one token this step
   *  decodeCtxTokens: sum of context lengths of those decode sequences (KV read) */
  stepTimeMs(prefillTokens: number, prefillAttnTokenPairs: number, decodeSeqs: number, decodeCtxTokens: number): number;
  /** FLOPs and bytes of that same step, for MFU and bandwidth utilisation */
  stepFlops(prefillTokens: number, prefillAttnTokenPairs: number, decodeSeqs: number, decodeCtxTokens: number): number;
  stepBytes(prefillTokens: number, prefillAttnTokenPairs: number, decodeSeqs: number, decodeCtxTokens: number): number;
  /** all TP GPUs */
  readonly peakFlopsPerS: number;
  readonly peakBytesPerS: number;
}

export interface StepModelOptions {
  model: ModelSpec;
  gpu: GpuSpec;
  tp: number;
  dtype?: Dtype;
  kvDtype?: Dtype;
  calibration?: CalibrationFactors;
  /** fraction of GPU memory the engine may use (vLLM's gpu_memory_utilization), default 0.9 */
  gpuMemoryUtilization?: number;
  /** expert-parallel ranks (memory.ts describes the layout), default 1 */
  ep?: number;
}

/**
 * The unit-efficiency cost of a step, split into the terms the factors scale. stepTimeMs is
 *   overhead + F_SEQS * per_seq + max(F_PREFILL / e_p + F_DECODE / e_d, F_MEM / e_mem)
 *   + F_AR_LAT * latency_us / 1000 + F_AR_BW / e_link
 * calibrate.ts fits the factors on these features, so the two cannot drift apart.
 */
export const F_PREFILL = 0, F_DECODE = 1, F_MEM = 2, F_SEQS = 3, F_AR_LAT = 4, F_AR_BW = 5, N_FEATURES = 6;

export interface StepGeometry {
  /** writes the features of one step into out (length >= N_FEATURES); no allocation */
  features(prefillTokens: number, prefillAttnTokenPairs: number, decodeSeqs: number, decodeCtxTokens: number, out: Float64Array): void;
  flops(prefillTokens: number, prefillAttnTokenPairs: number, decodeSeqs: number, decodeCtxTokens: number): number;
  bytes(prefillTokens: number, prefillAttnTokenPairs: number, decodeSeqs: number, decodeCtxTokens: number): number;
  readonly tp: number;
  readonly kvCapacityTokens: number;
  readonly kvBytesPerToken: number;
  readonly weightBytesPerGpu: number;
  readonly peakFlopsPerS: number;
  readonly peakBytesPerS: number;
}

export function buildStepGeometry(opts: StepModelOptions): StepGeometry {
  const { model, gpu, tp } = opts;
  const dtype = opts.dtype ?? 'fp16';
  // memory sizing (weights, KV cache, capacity, weights touched per step): memory.ts
  const sizing = sizeReplica({ model, gpu, tp, ep: opts.ep ?? 1, dtype, kvDtype: opts.kvDtype, gpuMemoryUtilization: opts.gpuMemoryUtilization });
  const { kvBytesPerToken, kvCapacityTokens, weightBytesPerGpu, weightBytesTouched } = sizing;
  const counts = countParams(model);

  const peakFlopsPerS = peakTflopsFor(gpu, dtype) * 1e12 * tp;
  const peakBytesPerS = gpu.mem_bw_gb_per_s * 1e9 * tp;
  const peakFlopsPerMs = peakFlopsPerS / 1000;
  const peakBytesPerMs = peakBytesPerS / 1000;
  // matmul parameters per token: the input embedding is a lookup; the LM head runs for decode
  // tokens only (a prompt produces logits for its last token alone, negligible next to the rest)
  const matmulParams = model.params_active - counts.input_embedding - (model.tied_embeddings ? 0 : counts.lm_head);
  const prefillFlopsPerToken = 2 * matmulParams;
  const decodeFlopsPerToken = 2 * (matmulParams + (model.kind === 'decoder' ? counts.lm_head : 0));
  // QK^T and AV: 2 FLOPs per multiply-add, 2 matmuls, per query-key pair, per query dim, per layer
  const attnFlopsPerPair = 4 * model.layers * model.attention_heads * model.head_dim;
  // all-reduces: after attention and after the MLP in every layer (Megatron-style TP)
  const allReduces = tp > 1 ? 2 * model.layers : 0;
  const arLatencyUnits = allReduces * Math.log2(tp);
  // ring all-reduce moves 2 (tp-1)/tp of the payload over each GPU's one-direction link
  const linkBytesPerMs = (gpu.nvlink_gb_per_s / 2) * 1e9 / 1000;
  const arMsPerToken = tp > 1 ? allReduces * (2 * (tp - 1) / tp) * model.hidden_size * ACTIVATION_BYTES / linkBytesPerMs : 0;

  function bytes(pt: number, _pairs: number, ds: number, dctx: number): number {
    // weights once per step; KV written for every new token, read for every decode context token.
    // Prefill reads of an already-cached prefix are not counted: prefill is compute-bound.
    return weightBytesTouched(pt + ds) + (pt + ds + dctx) * kvBytesPerToken;
  }

  return {
    tp, kvCapacityTokens, kvBytesPerToken, weightBytesPerGpu, peakFlopsPerS, peakBytesPerS,
    bytes,
    flops(pt, pairs, ds, dctx) {
      return pt * prefillFlopsPerToken + ds * decodeFlopsPerToken + (pairs + dctx) * attnFlopsPerPair;
    },
    features(pt, pairs, ds, dctx, out) {
      out[F_PREFILL] = (pt * prefillFlopsPerToken + pairs * attnFlopsPerPair) / peakFlopsPerMs;
      out[F_DECODE] = (ds * decodeFlopsPerToken + dctx * attnFlopsPerPair) / peakFlopsPerMs;
      out[F_MEM] = bytes(pt, pairs, ds, dctx) / peakBytesPerMs;
      out[F_SEQS] = ds;
      out[F_AR_LAT] = pt + ds > 0 ? arLatencyUnits : 0;
      out[F_AR_BW] = (pt + ds) * arMsPerToken;
    },
  };
}

/** Combine features with factors: the step-time formula in one place. */
export function timeFromFeatures(f: Float64Array, c: CalibrationFactors): number {
  const compute = f[F_PREFILL] / c.prefill_compute_efficiency + f[F_DECODE] / c.decode_compute_efficiency;
  const memory = f[F_MEM] / c.memory_bw_efficiency;
  return c.step_overhead_ms + f[F_SEQS] * c.per_seq_overhead_ms + Math.max(compute, memory) +
    f[F_AR_LAT] * c.allreduce_latency_us / 1000 + f[F_AR_BW] / c.link_bw_efficiency;
}

export function buildStepModel(opts: StepModelOptions): StepModel {
  const g = buildStepGeometry(opts);
  const cal = opts.calibration ?? DEFAULT_CALIBRATION;
  // one scratch buffer per model: stepTimeMs stays allocation-free (single-threaded caller)
  const scratch = new Float64Array(N_FEATURES);
  return {
    tp: g.tp,
    kvCapacityTokens: g.kvCapacityTokens,
    kvBytesPerToken: g.kvBytesPerToken,
    weightBytesPerGpu: g.weightBytesPerGpu,
    peakFlopsPerS: g.peakFlopsPerS,
    peakBytesPerS: g.peakBytesPerS,
    stepTimeMs(pt, pairs, ds, dctx) {
      if (pt <= 0 && ds <= 0) return 0;
      g.features(pt, pairs, ds, dctx, scratch);
      return timeFromFeatures(scratch, cal);
    },
    stepFlops: g.flops,
    stepBytes: g.bytes,
  };
}
