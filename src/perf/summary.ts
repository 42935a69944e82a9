import { UserError } from '../errors.ts';
import { replicaScheduler, type CalibrationProfile } from './calibration.ts';
import { DEFAULT_CALIBRATION } from './profiles.ts';
import { defaultKvDtype, expertKernelShare, matmulPathFor, weightKernelShare, type Dtype } from './dtype.ts';
import { matmulRateVsReference, type GpuSpec } from './hardware.ts';
import type { ModelSpec } from './models.ts';
import { buildSpeculativeStepModel, type SpeculativeMethod, type SpeculativeSpec } from './speculative.ts';
import { buildStepModel, memoryFractionFor, sequenceKvTokens, windowKvTokens, type StepModel } from './step.ts';
import { DEFAULT_MEMORY_FRACTION, fractionName, unquantizedParams } from './memory.ts';
import { countParams } from './shape.ts';
import { knownBias } from './model-error.ts';

/**
 * The figures `fleetsim perf` prints for one replica, from the step model alone (no queueing):
 * - prefill_ms: one iteration prefilling a single prompt of P tokens, nothing else running.
 * - ttft_ms: time to first token on an idle replica: prefill_ms plus the request's own fixed cost
 *   (the engine profile's request_overhead_ms; no queueing, no network).
 * - tpot_ms: one decode iteration with B sequences (default 1), each at the mean context of its
 *   decode, P + O/2.
 * - e2e_ms: ttft_ms + (O - 1) * tpot_ms: a request that decodes alongside B-1 others.
 * - max_batch: sequences of P + O tokens the KV cache holds at once (with their sliding-window
 *   layers' windows, kv_window_tokens_per_sequence, where the model has them).
 * - tokens_per_s_*: steady-state output tokens/s with continuous batching at batch b (B if given,
 *   else max_batch capped at the engine's max_num_seqs): each iteration decodes b tokens and, amortised, prefills the prompts of the
 *   b/O sequences that finish per iteration (chunked prefill, as vLLM and Sarathi-Serve do).
 * - usd_per_million_output_tokens: GPU cost at usd_per_gpu_hour over that throughput.
 * For an encoder (embeddings) there is no decode: throughput counts input tokens.
 */
export interface PerfSummary {
  model: string;
  gpu: string;
  tp: number;
  /** expert-parallel ranks (1: none) and the replica's GPUs (tp, or ep under expert parallelism) */
  ep: number;
  gpus: number;
  dtype: Dtype;
  /** the KV cache's dtype: --kv-dtype, or the engine's default for the weights' dtype */
  kv_dtype: Dtype;
  prompt_tokens: number;
  output_tokens: number;
  latency_batch: number;
  throughput_batch: number;
  prefill_ms: number;
  tpot_ms: number;
  ttft_ms: number;
  e2e_ms: number;
  max_batch: number;
  kv_capacity_tokens: number;
  /** cache tokens each sequence holds besides its own: its sliding-window layers' windows (present only for such models) */
  kv_window_tokens_per_sequence?: number;
  /** the most cache tokens a sequence holds where every layer slides: the window (present only for such models) */
  kv_tokens_per_sequence_bound?: number;
  /** the engine setting that sized the KV cache, by its vLLM or TensorRT-LLM name, and its value */
  memory_setting: { name: string; fraction: number };
  /** where fleetsim is known to miss this model's published measurements in one direction (model-error.ts) */
  known_bias?: string;
  /** parameters a quantised checkpoint keeps in 16 bits (its config.json's modules_to_not_convert; present only then), sized, streamed and multiplied at 16 bits */
  unquantized_params?: number;
  weight_gb_per_gpu: number;
  tokens_per_s_per_replica: number;
  tokens_per_s_per_gpu: number;
  /** requests per second the replica completes at the throughput batch: its capacity for these lengths */
  requests_per_s_per_replica: number;
  /** what tokens_per_s counts: 'output' (decoders) or 'input' (encoders) */
  tokens_counted: 'output' | 'input';
  usd_per_gpu_hour: number;
  usd_per_million_output_tokens: number;
  /**
   * the GPU's large-GEMM fraction of its peak over the reference GPU's, on this dtype's path
   * (hardware.ts matmulRateVsReference): how the profile's gemm_efficiency is carried to this GPU
   */
  matmul_rate_vs_reference: number;
  /** the share of the FP8 path its weights' GEMMs reach: dtype.ts BLOCK_FP8_KERNEL_SHARE for block-scaled FP8, else 1 */
  weight_kernel_share: number;
  /** the large-batch share of the GEMM rate its experts reach: dtype.ts MXFP4_UPCAST_EXPERT_SHARE for 4-bit experts on Hopper, else 1 */
  expert_kernel_share: number;
  /** model FLOP utilisation (of the datasheet peak) and memory-bandwidth utilisation of the throughput iteration */
  mfu: number;
  mbu: number;
  /** with speculative decoding only: the same replica without it, and the ratios */
  speculative?: PerfSpeculative;
}

/**
 * Speculative decoding against plain decoding on the same replica: TPOT at the latency batch and
 * throughput at each one's own throughput batch (the drafter's memory shrinks the KV cache, so
 * speculation's maximum batch is smaller).
 */
export interface PerfSpeculative {
  method: SpeculativeMethod;
  tokens_per_step: number;
  expected_tokens_per_step: number;
  draft_model?: string;
  tpot_plain_ms: number;
  /** plain TPOT / speculative TPOT at latency_batch: above 1 speculation is faster */
  tpot_speedup: number;
  tokens_per_s_per_replica_plain: number;
  throughput_batch_plain: number;
  throughput_speedup: number;
  kv_capacity_tokens_plain: number;
}

export interface PerfInput {
  model: ModelSpec;
  gpu: GpuSpec;
  tp: number;
  /** expert-parallel ranks, default 1 */
  ep?: number;
  dtype: Dtype;
  kvDtype?: Dtype;
  calibration?: CalibrationProfile;
  gpuMemoryUtilization?: number;
  kvCacheFreeMemoryFraction?: number;
  prompt: number;
  output: number;
  /** batch for TPOT/e2e and throughput; undefined: 1 for latency, max_batch for throughput */
  batch?: number;
  usdPerGpuHour: number;
  /** speculative decoding (speculative.ts); draftModel for method draft */
  speculative?: SpeculativeSpec;
  draftModel?: ModelSpec;
}

export function perfSummary(p: PerfInput): PerfSummary {
  const O = p.model.kind === 'encoder' ? 0 : p.output;
  if (p.prompt + O > p.model.max_context) {
    throw new UserError(`--prompt ${p.prompt} + --output ${O} = ${p.prompt + O} tokens exceeds ${p.model.id}'s ${p.model.max_context}-token context`);
  }
  if (!p.speculative) return summaryWith(p, buildStepModel(stepOptions(p)));
  const step = buildSpeculativeStepModel({ ...stepOptions(p), speculative: p.speculative, draftModel: p.draftModel }, '--speculative');
  const withSpec = summaryWith(p, step);
  const plain = summaryWith(p, step.plain);
  withSpec.speculative = {
    method: p.speculative.method,
    tokens_per_step: p.speculative.tokens_per_step,
    expected_tokens_per_step: step.tokensPerStep,
    ...(p.draftModel ? { draft_model: p.draftModel.id } : {}),
    tpot_plain_ms: plain.tpot_ms,
    tpot_speedup: plain.tpot_ms / withSpec.tpot_ms,
    tokens_per_s_per_replica_plain: plain.tokens_per_s_per_replica,
    throughput_batch_plain: plain.throughput_batch,
    throughput_speedup: withSpec.tokens_per_s_per_replica / plain.tokens_per_s_per_replica,
    kv_capacity_tokens_plain: plain.kv_capacity_tokens,
  };
  return withSpec;
}

/** The summary's known_bias field, present only for a model, GPU or weight format fleetsim is known to misjudge. */
function knownBiasField(model: ModelSpec, gpu: GpuSpec, dtype: string, engine: string | undefined, sequence_tokens: number): Pick<PerfSummary, 'known_bias'> {
  const bias = knownBias(model, gpu, dtype, engine, sequence_tokens);
  return bias ? { known_bias: bias } : {};
}

/** The summary's unquantized_params field, present only for a checkpoint that keeps modules in 16 bits. */
function unquantizedField(model: ModelSpec): Pick<PerfSummary, 'unquantized_params'> {
  const kept = unquantizedParams(model, countParams(model));
  return kept > 0 ? { unquantized_params: kept } : {};
}

function memorySettingOf(p: PerfInput): { name: string; fraction: number } {
  const m = memoryFractionFor(stepOptions(p));
  return { name: fractionName(m.memoryFractionOf), fraction: m.memoryFraction ?? DEFAULT_MEMORY_FRACTION };
}

function stepOptions(p: PerfInput) {
  return { model: p.model, gpu: p.gpu, tp: p.tp, ep: p.ep, dtype: p.dtype, kvDtype: p.kvDtype, calibration: p.calibration ?? DEFAULT_CALIBRATION, gpuMemoryUtilization: p.gpuMemoryUtilization, kvCacheFreeMemoryFraction: p.kvCacheFreeMemoryFraction };
}

/**
 * A --batch the engine would not run: vLLM's scheduler holds at most max_num_seqs sequences (per
 * data-parallel group), so figures at a larger batch describe no deployment of this profile.
 */
function checkBatchWithinEngine(p: PerfInput, calibration: CalibrationProfile, maxNumSeqs: number, dataParallelGroups: number): void {
  if (p.batch === undefined || p.batch <= maxNumSeqs) return;
  const groups = dataParallelGroups > 1 ? ` (${maxNumSeqs / dataParallelGroups} in each of ${dataParallelGroups} data-parallel groups)` : '';
  throw new UserError(
    `--batch ${p.batch}: above the engine's max_num_seqs of ${maxNumSeqs} on ${p.gpu.id}${groups} (${calibration.name === undefined ? 'the --calibration profile' : `profile ${calibration.name}`}); ` +
    'a calibration profile (--calibration) whose scheduler.max_num_seqs is larger raises it');
}

function summaryWith(p: PerfInput, step: StepModel): PerfSummary {
  const { model, prompt: P } = p;
  const encoder = model.kind === 'encoder';
  const O = encoder ? 0 : p.output;
  const calibration = p.calibration ?? DEFAULT_CALIBRATION;
  // a sequence holds its own tokens and its sliding-window layers' share of their windows, or at
  // most the window where every layer slides
  const windowTokens = windowKvTokens(step, P + O);
  const seqTokens = sequenceKvTokens(step, P + O);
  const maxBatch = Math.floor(step.kvCapacityTokens / seqTokens);
  if (maxBatch < 1) {
    throw new UserError(`one sequence of ${seqTokens} tokens does not fit in the KV cache (${step.kvCapacityTokens} tokens) of ${model.id} on ${step.gpus}x ${p.gpu.id}`);
  }
  if (p.batch !== undefined && p.batch > maxBatch) {
    throw new UserError(`--batch ${p.batch}: the KV cache holds at most ${maxBatch} sequences of ${seqTokens} tokens`);
  }
  const maxNumSeqs = replicaScheduler(calibration, step.dataParallelGroups, p.gpu).max_num_seqs;
  checkBatchWithinEngine(p, calibration, maxNumSeqs, step.dataParallelGroups);
  const latencyBatch = p.batch ?? 1;
  const b = p.batch ?? Math.min(maxBatch, maxNumSeqs);
  const pairs = (P * P) / 2;
  const prefill = step.stepTimeMs(P, pairs, 0, 0);
  const meanCtx = P + O / 2;
  const tpot = encoder ? 0 : step.stepTimeMs(0, 0, latencyBatch, latencyBatch * meanCtx);

  let tokensPerS: number, flops: number, bytes: number, stepMs: number;
  if (encoder) {
    stepMs = step.stepTimeMs(b * P, b * pairs, 0, 0);
    tokensPerS = (b * P * 1000) / stepMs;
    flops = step.stepFlops(b * P, b * pairs, 0, 0);
    bytes = step.stepBytes(b * P, b * pairs, 0, 0);
  } else {
    const newPerStep = b / O; // sequences finishing (and starting) per iteration
    stepMs = step.stepTimeMs(newPerStep * P, newPerStep * pairs, b, b * meanCtx);
    tokensPerS = (b * 1000) / stepMs;
    flops = step.stepFlops(newPerStep * P, newPerStep * pairs, b, b * meanCtx);
    bytes = step.stepBytes(newPerStep * P, newPerStep * pairs, b, b * meanCtx);
  }
  const perGpu = tokensPerS / step.gpus;
  return {
    model: model.id, gpu: p.gpu.id, tp: p.tp, ep: p.ep ?? 1, gpus: step.gpus, dtype: p.dtype, kv_dtype: p.kvDtype ?? defaultKvDtype(p.dtype, calibration.kv_cache_dtype),
    prompt_tokens: P, output_tokens: O,
    latency_batch: latencyBatch, throughput_batch: b,
    prefill_ms: prefill,
    tpot_ms: tpot,
    ttft_ms: prefill + step.requestOverheadMs,
    e2e_ms: prefill + step.requestOverheadMs + Math.max(0, O - 1) * tpot,
    max_batch: maxBatch,
    kv_capacity_tokens: step.kvCapacityTokens,
    ...(windowTokens > 0 ? { kv_window_tokens_per_sequence: windowTokens } : {}),
    ...(step.kvTokensPerSequenceBound > 0 ? { kv_tokens_per_sequence_bound: step.kvTokensPerSequenceBound } : {}),
    memory_setting: memorySettingOf(p),
    ...knownBiasField(model, p.gpu, p.dtype, p.calibration?.name, P + O),
    ...unquantizedField(model),
    weight_gb_per_gpu: step.weightBytesPerGpu / 1e9,
    tokens_per_s_per_replica: tokensPerS,
    tokens_per_s_per_gpu: perGpu,
    requests_per_s_per_replica: tokensPerS / (encoder ? P : O),
    tokens_counted: encoder ? 'input' : 'output',
    usd_per_gpu_hour: p.usdPerGpuHour,
    usd_per_million_output_tokens: (p.usdPerGpuHour / 3600 / perGpu) * 1e6,
    matmul_rate_vs_reference: matmulRateVsReference(p.gpu, matmulPathFor(p.gpu, p.dtype)),
    weight_kernel_share: weightKernelShare(model, p.gpu, p.dtype),
    expert_kernel_share: expertKernelShare(model, p.gpu),
    mfu: flops / (step.peakFlopsPerS * stepMs / 1000),
    mbu: bytes / (step.peakBytesPerS * stepMs / 1000),
  };
}
