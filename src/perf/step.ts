import { UserError } from '../errors.ts';
import type { CalibrationFactors, CalibrationProfile } from './calibration.ts';
import { DEFAULT_CALIBRATION } from './profiles.ts';
import { ACTIVATION_BYTES, defaultKvDtype, DTYPE_BYTES, peakTflopsFor, type Dtype } from './dtype.ts';
import { checkTensorParallel, GPU_MEMORY_BYTES_PER_GB, type GpuSpec } from './hardware.ts';
import type { ModelSpec } from './models.ts';
import { countParams } from './shape.ts';

/**
 * Step-time model of one continuous-batching iteration on a tensor-parallel replica. An iteration
 * runs its kernels one after another, so its time is the sum of its operations, each bounded by
 * the roofline of its own resource (compute or memory), not one roofline over the whole step:
 *
 *   t = step_overhead + per_seq * sequences
 *       + blend(linear FLOPs / (peak * e_gemm(tokens)), weight bytes / (HBM * e_mem))    dense part
 *       + blend(expert FLOPs / (peak * e_gemm(tokens k/E)), expert bytes touched / (HBM * e_mem))  MoE
 *       + prefill attention FLOPs / (16-bit peak * e_attn)
 *       + max(decode attention FLOPs / (16-bit peak * e_attn), KV bytes read / (HBM * e_kv))
 *       + all-reduces: 2 per layer x (latency + 2 (tp-1)/tp x payload / (link * e_link)), where the
 *         latency is fixed + per doubling x log2(tp) on NVLink, per hop x 2 (tp-1) hops on PCIe
 *
 * e_gemm(m) = gemm_efficiency * m / (m + gemm_half_tokens); blend(a, b) = (a^4 + b^4)^(1/4), a
 * smooth maximum: near the ridge point a GEMM is slower than either bound alone. Each term and the
 * measurements behind it: docs/step-model.md. A request's own fixed cost (request_overhead_ms) is
 * not GPU time: the replica adds it to the request's time to first token.
 */
export interface StepModel {
  readonly tp: number;
  /** KV cache tokens the replica holds: (TP * GPU memory * utilisation - weights - activation reserve) / KV bytes per token */
  readonly kvCapacityTokens: number;
  readonly kvBytesPerToken: number;
  readonly weightBytesPerGpu: number;
  /** per request, once, added to its time to first token (API server, tokenisation, admission) */
  readonly requestOverheadMs: number;
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
  calibration?: CalibrationProfile;
  /** fraction of GPU memory the engine may use (vLLM's gpu_memory_utilization), default 0.9 */
  gpuMemoryUtilization?: number;
}

/** Tokens vLLM profiles activation memory with (max_num_batched_tokens of its chunked-prefill default). */
const ACTIVATION_PROFILE_TOKENS = 8192;
/** CUDA context, cuBLAS workspace, NCCL buffers: memory outside weights, activations and KV. */
const RUNTIME_RESERVE_BYTES_PER_GPU = 2 ** 30;
/** vLLM's KV block size: a replica that cannot hold one block cannot serve. */
const MIN_KV_TOKENS = 16;

/**
 * What one iteration costs at 100% of every peak, per unit of work; stepTimeFrom divides by the
 * profile's efficiencies. Built once per (model, GPU, TP, dtype); the fit (calibrate.ts) evaluates
 * many profiles on the same geometry.
 */
export interface StepGeometry {
  readonly tp: number;
  readonly kvCapacityTokens: number;
  readonly kvBytesPerToken: number;
  readonly weightBytesPerGpu: number;
  readonly peakFlopsPerS: number;
  readonly peakBytesPerS: number;
  /** linear layers outside the experts, ms per prompt token at the dtype's peak (no LM head: a prompt's logits are its last token's) */
  readonly denseMsPerPrefillToken: number;
  /** the same per decode token, LM head included */
  readonly denseMsPerDecodeToken: number;
  /** streaming the weights outside the experts once, ms at peak bandwidth */
  readonly denseWeightMs: number;
  /** a token through its experts_per_token experts, ms at the dtype's peak (0: dense model) */
  readonly expertMsPerToken: number;
  /** streaming every routed expert once, ms at peak bandwidth (0: dense model) */
  readonly expertWeightMs: number;
  /** probability that one token leaves a given expert untouched: 1 - k/E */
  readonly expertMissProbability: number;
  /** tokens an expert's GEMM sees per token of the batch under balanced routing: k/E */
  readonly expertTokenShare: number;
  /** attention QK^T and AV per (query, key) pair, ms at the 16-bit peak */
  readonly attentionMsPerPair: number;
  /** one token of KV cache read or written, ms at peak bandwidth */
  readonly kvMsPerToken: number;
  /** tensor-parallel all-reduces in one iteration (2 per layer; 0 at TP 1) */
  readonly allReduces: number;
  /** their payload per token at 100% of one direction of the GPU link, ms */
  readonly allReduceMsPerToken: number;
  /** hops of a ring all-reduce over PCIe (2 (tp-1)); 0 on NVLink */
  readonly pcieRingHops: number;
  /** log2(tp): rounds of a tree or recursive-doubling all-reduce over NVLink or Infinity Fabric */
  readonly allReduceDoublings: number;
  flops(prefillTokens: number, prefillAttnTokenPairs: number, decodeSeqs: number, decodeCtxTokens: number): number;
  bytes(prefillTokens: number, prefillAttnTokenPairs: number, decodeSeqs: number, decodeCtxTokens: number): number;
}

function gb(bytes: number): string {
  return (bytes / 1e9).toFixed(1);
}

interface Sizing {
  weightBytes: number;
  weightBytesPerGpu: number;
  expertBytes: number;
  kvBytesPerToken: number;
  kvCapacityTokens: number;
}

/** Memory: weights per GPU, KV bytes per token and the KV cache the rest of the memory holds. */
function sizeReplica(opts: StepModelOptions): Sizing {
  const { model, gpu, tp } = opts;
  const dtype = opts.dtype ?? 'fp16';
  const kvDtype = opts.kvDtype ?? defaultKvDtype(dtype);
  const util = opts.gpuMemoryUtilization ?? 0.9;
  if (!Number.isInteger(tp) || tp < 1) throw new UserError(`--tp: expected a positive integer, got ${tp}`);
  if (!(util > 0 && util <= 1)) throw new UserError(`gpu_memory_utilization: expected a number in (0, 1], got ${util}`);
  checkTensorParallel(gpu, tp, '--tp');
  if (model.attention_heads % tp !== 0) {
    throw new UserError(`${model.id}: ${model.attention_heads} attention heads cannot be split over tp=${tp} GPUs`);
  }
  const counts = countParams(model);
  const weightBytes = model.params_total * DTYPE_BYTES[dtype];
  const weightBytesPerGpu = weightBytes / tp;
  // MoE: the published total split in the shape's proportion of expert to shared weights
  const expertBytes = counts.total > 0 ? weightBytes * (counts.expert_total / counts.total) : 0;
  // K and V per layer per KV head; with fewer KV heads than GPUs each GPU keeps a copy of one
  // head (vLLM replicates them), so the replica stores max(kv_heads, tp) heads.
  const kvBytesPerToken = 2 * model.layers * model.head_dim * Math.max(model.kv_heads, tp) * DTYPE_BYTES[kvDtype];
  const usablePerGpu = gpu.memory_gb * GPU_MEMORY_BYTES_PER_GB * util;
  if (weightBytesPerGpu > usablePerGpu) {
    throw new UserError(
      `${model.id} (${dtype}) does not fit on ${tp}x ${gpu.id}: weights need ${gb(weightBytesPerGpu)} GB per GPU, ` +
      `${gb(usablePerGpu)} GB usable (${gpu.memory_gb} GB x ${util}); use more GPUs (--tp) or a smaller dtype`);
  }
  // peak activations of one profiling batch per GPU: hidden state, attention projections and MLP width
  const qkvWidth = (model.attention_heads + 2 * model.kv_heads) * model.head_dim / tp;
  const mlpWidth = (model.mlp === 'gated' ? 2 : 1) * model.intermediate_size * model.experts_per_token / tp;
  const activationBytes = ACTIVATION_PROFILE_TOKENS * (model.hidden_size + qkvWidth + mlpWidth) * ACTIVATION_BYTES;
  const reservePerGpu = RUNTIME_RESERVE_BYTES_PER_GPU + activationBytes;
  const kvCapacityTokens = Math.max(0, Math.floor(tp * (usablePerGpu - weightBytesPerGpu - reservePerGpu) / kvBytesPerToken));
  if (kvCapacityTokens < MIN_KV_TOKENS) {
    throw new UserError(
      `${model.id} (${dtype}) on ${tp}x ${gpu.id}: no room for the KV cache: ${gb(usablePerGpu)} GB usable per GPU, ` +
      `weights ${gb(weightBytesPerGpu)} GB, activations and runtime ${gb(reservePerGpu)} GB; use more GPUs (--tp) or a smaller dtype`);
  }
  return { weightBytes, weightBytesPerGpu, expertBytes, kvBytesPerToken, kvCapacityTokens };
}

export function buildStepGeometry(opts: StepModelOptions): StepGeometry {
  const { model, gpu, tp } = opts;
  const dtype = opts.dtype ?? 'fp16';
  const size = sizeReplica(opts);
  const counts = countParams(model);
  const peakFlopsPerS = peakTflopsFor(gpu, dtype) * 1e12 * tp;
  // attention runs in 16-bit whatever the weights (FlashAttention, paged attention kernels)
  const peak16FlopsPerMs = gpu.fp16_tflops * 1e12 * tp / 1000;
  const peakBytesPerS = gpu.mem_bw_gb_per_s * 1e9 * tp;
  const peakFlopsPerMs = peakFlopsPerS / 1000;
  const peakBytesPerMs = peakBytesPerS / 1000;
  // matmul parameters per token: the input embedding is a lookup; the LM head runs for decode
  // tokens only (a prompt produces logits for its last token alone, negligible next to the rest)
  const lmHead = model.kind === 'decoder' ? counts.lm_head : 0;
  const matmulParams = model.params_active - counts.input_embedding - (model.tied_embeddings ? 0 : counts.lm_head);
  const expertActiveParams = model.experts > 1 ? counts.expert_total * model.experts_per_token / model.experts : 0;
  const denseParams = matmulParams - expertActiveParams;
  // the input embedding is read row by row, not streamed; a tied one is streamed as the LM head
  const embeddingBytes = model.tied_embeddings ? 0 : counts.input_embedding * (size.weightBytes / model.params_total);
  const denseBytes = size.weightBytes - size.expertBytes - embeddingBytes;
  // QK^T and AV: 2 FLOPs per multiply-add, 2 matmuls, per query-key pair, per query dim, per layer
  const attnFlopsPerPair = 4 * model.layers * model.attention_heads * model.head_dim;
  // all-reduces after attention and after the MLP in every layer (Megatron-style TP); the ring
  // and the two-shot kernels move 2 (tp-1)/tp of the payload over each GPU's one-direction link
  const allReduces = tp > 1 ? 2 * model.layers : 0;
  const linkBytesPerMs = (gpu.nvlink_gb_per_s / 2) * 1e9 / 1000;
  const allReduceMsPerToken = tp > 1 ? allReduces * (2 * (tp - 1) / tp) * model.hidden_size * ACTIVATION_BYTES / linkBytesPerMs : 0;
  const weightBytesTouched = (tokens: number): number => {
    if (tokens <= 0) return 0;
    if (size.expertBytes === 0) return denseBytes;
    return denseBytes + size.expertBytes * (1 - Math.pow(1 - model.experts_per_token / model.experts, tokens));
  };
  return {
    tp, kvCapacityTokens: size.kvCapacityTokens, kvBytesPerToken: size.kvBytesPerToken,
    weightBytesPerGpu: size.weightBytesPerGpu, peakFlopsPerS, peakBytesPerS,
    denseMsPerPrefillToken: 2 * denseParams / peakFlopsPerMs,
    denseMsPerDecodeToken: 2 * (denseParams + lmHead) / peakFlopsPerMs,
    denseWeightMs: denseBytes / peakBytesPerMs,
    expertMsPerToken: 2 * expertActiveParams / peakFlopsPerMs,
    expertWeightMs: size.expertBytes / peakBytesPerMs,
    expertMissProbability: model.experts > 1 ? 1 - model.experts_per_token / model.experts : 1,
    expertTokenShare: model.experts > 1 ? model.experts_per_token / model.experts : 1,
    attentionMsPerPair: attnFlopsPerPair / peak16FlopsPerMs,
    kvMsPerToken: size.kvBytesPerToken / peakBytesPerMs,
    allReduces,
    allReduceMsPerToken,
    pcieRingHops: tp > 1 && gpu.interconnect === 'pcie' ? 2 * (tp - 1) : 0,
    allReduceDoublings: Math.log2(tp),
    flops(pt, pairs, ds, dctx) {
      return 2 * (pt * denseParams + ds * (denseParams + lmHead) + (pt + ds) * expertActiveParams) + (pairs + dctx) * attnFlopsPerPair;
    },
    bytes(pt, _pairs, ds, dctx) {
      // weights once per step; KV written for every new token, read for every decode context token
      return weightBytesTouched(pt + ds) + (pt + ds + dctx) * size.kvBytesPerToken;
    },
  };
}

/** A smooth maximum, (a^4 + b^4)^(1/4): a kernel near its ridge point is slower than either bound. */
function blend(a: number, b: number): number {
  const a2 = a * a, b2 = b * b;
  return Math.sqrt(Math.sqrt(a2 * a2 + b2 * b2));
}

/** GEMM efficiency with `tokens` rows: it halves at gemm_half_tokens. */
function gemmEfficiency(c: CalibrationFactors, tokens: number): number {
  return c.gemm_efficiency * tokens / (tokens + c.gemm_half_tokens);
}

/** The step-time formula (see StepModel) in one place; pure, allocation-free. */
export function stepTimeFrom(g: StepGeometry, c: CalibrationFactors, pt: number, pairs: number, ds: number, dctx: number): number {
  const tokens = pt + ds;
  if (tokens <= 0) return 0;
  const sequences = ds + (pt > 0 ? 1 : 0);
  let t = c.step_overhead_ms + sequences * c.per_seq_overhead_us / 1000;
  const denseCompute = (pt * g.denseMsPerPrefillToken + ds * g.denseMsPerDecodeToken) / gemmEfficiency(c, tokens);
  t += blend(denseCompute, (g.denseWeightMs + tokens * g.kvMsPerToken) / c.memory_bw_efficiency);
  if (g.expertWeightMs > 0) {
    const expertTokens = tokens * g.expertTokenShare;
    const touched = 1 - Math.pow(g.expertMissProbability, tokens);
    t += blend(tokens * g.expertMsPerToken / gemmEfficiency(c, expertTokens), g.expertWeightMs * touched / c.memory_bw_efficiency);
  }
  t += pairs * g.attentionMsPerPair / c.attention_efficiency;
  if (ds > 0) t += Math.max(dctx * g.attentionMsPerPair / c.attention_efficiency, dctx * g.kvMsPerToken / c.kv_bw_efficiency);
  if (g.allReduces > 0) {
    const latency_us = g.pcieRingHops > 0
      ? g.pcieRingHops * c.pcie_hop_latency_us
      : c.allreduce_latency_us + g.allReduceDoublings * c.allreduce_doubling_latency_us;
    t += g.allReduces * latency_us / 1000 + tokens * g.allReduceMsPerToken / c.link_bw_efficiency;
  }
  return t;
}

export function buildStepModel(opts: StepModelOptions): StepModel {
  return stepModelFrom(buildStepGeometry(opts), opts.calibration ?? DEFAULT_CALIBRATION);
}

/** A step model from a geometry and factors: cheap, so a fit can try many factors on one geometry. */
export function stepModelFrom(g: StepGeometry, cal: CalibrationFactors): StepModel {
  return {
    tp: g.tp,
    kvCapacityTokens: g.kvCapacityTokens,
    kvBytesPerToken: g.kvBytesPerToken,
    weightBytesPerGpu: g.weightBytesPerGpu,
    requestOverheadMs: cal.request_overhead_ms,
    peakFlopsPerS: g.peakFlopsPerS,
    peakBytesPerS: g.peakBytesPerS,
    stepTimeMs: (pt, pairs, ds, dctx) => stepTimeFrom(g, cal, pt, pairs, ds, dctx),
    stepFlops: g.flops,
    stepBytes: g.bytes,
  };
}
