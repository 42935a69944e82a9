import { UserError } from '../errors.ts';
import { ACTIVATION_BYTES, DTYPE_BYTES, type Dtype } from './dtype.ts';
import { GPU_MEMORY_BYTES_PER_GB, type GpuSpec } from './hardware.ts';
import type { ModelSpec } from './models.ts';
import { countParams, fullAttentionLayers, type ModelShape } from './shape.ts';

/**
 * Memory sizing of one serving replica: weights per GPU, KV cache per token and the KV capacity
 * left, as vLLM lays a model out.
 *
 * Parallel layout (vLLM's, docs "Expert Parallel Deployment", v0.10-0.11):
 * - ep = 1: tensor parallelism only. Every weight matrix is split over the tp GPUs, experts too
 *   (each GPU holds 1/tp of every expert). Exceptions kept whole on every GPU: the MLA
 *   down-projections (ReplicatedLinear in vLLM's deepseek_v2.py), the MoE router, and K/V
 *   projections when there are fewer KV heads than GPUs (QKVParallelLinear replicates heads).
 * - ep > 1: `--enable-expert-parallel` with data parallelism, EP = TP x DP inside the replica. The
 *   replica has ep GPUs in ep/tp data-parallel groups of tp GPUs. Attention, dense MLPs, shared
 *   experts and embeddings are split over the tp GPUs of a group and copied in every group; the
 *   routed experts are dealt out whole, ceil(experts/ep) per GPU. Each group caches the KV of its
 *   own sequences.
 *
 * Weights use the published parameter count (params_total) split in the shape's proportions, so a
 * catalog model weighs what its vendor says. Norms and biases are taken as split over TP (they are
 * replicated in vLLM but are under 0.01% of any model here). Block-wise FP8 scales (DeepSeek-V3:
 * one fp32 per 128x128 block, 0.02% of the weight bytes) are not modelled.
 */
export interface ReplicaSizingOptions {
  model: ModelSpec;
  gpu: GpuSpec;
  tp: number;
  /** expert-parallel ranks; 1 (default) or a multiple of tp */
  ep?: number;
  dtype?: Dtype;
  kvDtype?: Dtype;
  /** the engine's memory fraction, default 0.9, read by memoryFractionOf */
  memoryFraction?: number;
  /**
   * `total` (default): a fraction of the GPU's memory holds weights, activations and KV cache, the
   * KV cache getting what is left (vLLM's gpu_memory_utilization; the SGLang and TGI profiles take
   * it too, though SGLang's mem_fraction_static leaves activations outside the fraction).
   * `free`: the KV cache takes a fraction of what weights, activations and runtime leave
   * (TensorRT-LLM's kv_cache_free_gpu_mem_fraction, KvCacheConfig.free_gpu_memory_fraction, 0.9 by
   * default). The two differ most where the weights nearly fill the GPU: Llama 3.1 70B FP8 on
   * one H100 keeps about 4 GB of KV cache under vLLM's rule, about 12 GB under TensorRT-LLM's.
   */
  memoryFractionOf?: 'total' | 'free';
}

export interface ReplicaSizing {
  readonly tp: number;
  readonly ep: number;
  /** GPUs in the replica: tp, or ep with expert parallelism */
  readonly gpus: number;
  /** data-parallel attention groups: ep / tp with expert parallelism, else 1 */
  readonly dp: number;
  /** weights on the most loaded GPU */
  readonly weightBytesPerGpu: number;
  /** KV cache bytes one token of context costs, summed over the GPUs that store it (replicas included) */
  readonly kvBytesPerToken: number;
  /** the same on each GPU of the token's TP group */
  readonly kvBytesPerTokenPerGpu: number;
  /** sliding-window layers hold at most window tokens per sequence: their bytes for one sequence (0 if none) */
  readonly kvWindowBytesPerSequence: number;
  readonly kvCapacityTokens: number;
  /** per GPU: peak activations of vLLM's profiling batch + CUDA/NCCL runtime */
  readonly activationReserveBytesPerGpu: number;
  /** weight bytes read by every step that has tokens (all GPUs, replicas included): all but the routed experts */
  readonly sharedWeightBytes: number;
  /** routed-expert weight bytes over the replica */
  readonly routedExpertBytes: number;
  /** probability that one token leaves a given routed expert of a layer untouched: 1 - k/E (0 for dense) */
  readonly expertUntouchedPerToken: number;
  /** weight bytes a step with this many tokens reads over the replica */
  weightBytesTouched(tokens: number): number;
}

/** Tokens vLLM profiles activation memory with (max_num_batched_tokens of its chunked-prefill default). */
const ACTIVATION_PROFILE_TOKENS = 8192;
/** The default of both vLLM's gpu_memory_utilization and TensorRT-LLM's kv_cache_free_gpu_mem_fraction. */
export const DEFAULT_MEMORY_FRACTION = 0.9;
/** CUDA context, cuBLAS workspace, NCCL buffers: memory outside weights, activations and KV. */
const RUNTIME_RESERVE_BYTES_PER_GPU = 2 ** 30;
/** vLLM's KV block size: a replica that cannot hold one block cannot serve. */
const MIN_KV_TOKENS = 16;

/** The engine setting a memory fraction of this kind is, by its vLLM or TensorRT-LLM name. */
export function fractionName(fractionOf: 'total' | 'free'): string {
  return fractionOf === 'free' ? 'kv_cache_free_gpu_mem_fraction' : 'gpu_memory_utilization';
}

/** Bytes in GiB with the unit, as the catalog's memory_gb counts them (hardware.ts: torch's GiB), so a message's figures share one unit. */
function gib(bytes: number): string {
  return `${(bytes / GPU_MEMORY_BYTES_PER_GB).toFixed(1)} GiB`;
}

function checkLayout(model: ModelSpec, tp: number, ep: number, fraction: number, fractionOf: 'total' | 'free'): void {
  if (!Number.isInteger(tp) || tp < 1) throw new UserError(`--tp: expected a positive integer, got ${tp}`);
  if (!Number.isInteger(ep) || ep < 1) throw new UserError(`ep: expected a positive integer, got ${ep}`);
  if (!(fraction > 0 && fraction <= 1)) throw new UserError(`${fractionName(fractionOf)}: expected a number in (0, 1], got ${fraction}`);
  checkAttentionSplit(model, tp);
  checkExpertParallel(model, tp, ep);
}

/** The attention heads split evenly over the tensor-parallel ranks. */
export function checkAttentionSplit(model: ModelSpec, tp: number): void {
  if (model.attention_heads % tp !== 0) {
    throw new UserError(`${model.id}: ${model.attention_heads} attention heads cannot be split over tp=${tp} GPUs`);
  }
}

/**
 * A dense MLP's width split evenly over the tensor-parallel ranks: vLLM's column-parallel gate and
 * up projections (ColumnParallelLinear: divide(output_size, tp_size)) and its row-parallel down
 * projection assert it. Routed experts are not checked: vLLM's fused MoE layer floors their width.
 */
export function checkMlpSplit(model: ModelSpec, tp: number, widthField?: string): void {
  const denseLayers = model.experts <= 1 || (model.first_dense_layers ?? 0) > 0;
  if (denseLayers && model.intermediate_size % tp !== 0) {
    throw new UserError(`${model.id}: an MLP width of ${model.intermediate_size} cannot be split over tp=${tp} GPUs${widthField === undefined ? '' : ` (${widthField})`}`);
  }
}

/** An expert-parallel degree the model's experts and the tensor parallelism allow. */
export function checkExpertParallel(model: ModelSpec, tp: number, ep: number): void {
  if (ep === 1) return;
  if (model.experts <= 1) throw new UserError(`${model.id}: ep=${ep}: a dense model has no experts to split; use ep=1`);
  if (ep % tp !== 0) throw new UserError(`${model.id}: ep=${ep} must be a multiple of tp=${tp} (expert parallelism spans the TP x DP ranks of a replica)`);
  if (ep > model.experts) throw new UserError(`${model.id}: ep=${ep} exceeds its ${model.experts} routed experts`);
}

interface WeightLayout { perGpu: number; shared: number; routed: number }

/** Parameters a quantised checkpoint keeps in 16 bits (shape.ts unquantized_*): listed layer projections, the LM head, the embedding (once if tied). */
export function unquantizedParams(model: ModelShape, counts: { lm_head: number; input_embedding: number }): number {
  const head = model.unquantized_lm_head && !model.tied_embeddings ? counts.lm_head : 0;
  const embedding = model.unquantized_embedding || (model.unquantized_lm_head && model.tied_embeddings) ? counts.input_embedding : 0;
  return (model.unquantized_layer_params ?? 0) + head + embedding;
}

/** The layers' weights outside the routed experts: all but the experts, the embedding, the LM head and an image encoder (unscaled). */
export function layerLinearParams(counts: ReturnType<typeof countParams>, model: ModelShape): number {
  return counts.total - counts.expert_total - counts.input_embedding - (model.tied_embeddings ? 0 : counts.lm_head) - counts.vision;
}

function weightLayout(model: ModelSpec, tp: number, ep: number, dtype: Dtype): WeightLayout {
  const counts = countParams(model);
  // published total over the shape's count: every part is scaled by it (1 for a loaded config.json)
  const scale = counts.total > 0 ? model.params_total / counts.total : 1;
  const bytes = DTYPE_BYTES[dtype];
  // a mixed-precision checkpoint's 16-bit share of its layers' weights (dtype.ts withEffectiveBits)
  const keptShare = model.unquantized_linear_share ?? 0;
  const keptExtraBytes = keptShare * Math.max(0, DTYPE_BYTES.bf16 - bytes);
  const expertBytes = model.expert_weight_bits !== undefined ? model.expert_weight_bits / 8 : bytes + keptExtraBytes;
  const routed = counts.expert_total * scale;
  const replicated = counts.replicated * scale;
  const kvProjection = counts.kv_projection * scale;
  const split = counts.total * scale - routed - replicated - kvProjection;
  // with fewer KV heads than GPUs each GPU keeps one head's K/V projection
  const kvCopies = Math.max(model.kv_heads, tp) / model.kv_heads;
  // a checkpoint's layers kept in 16 bits (modules_to_not_convert) are TP-split like the rest
  const unquantizedPerGpu = (unquantizedParams(model, counts) * scale * Math.max(0, DTYPE_BYTES.bf16 - bytes)) / tp + (layerLinearParams(counts, model) * scale * keptExtraBytes) / tp;
  const nonExpertPerGpu = (split / tp + (kvProjection * kvCopies) / tp + replicated) * bytes + unquantizedPerGpu;
  const expertPerGpu = ep === 1 ? (routed * expertBytes) / tp : (routed * expertBytes * Math.ceil(model.experts / ep)) / model.experts;
  const groups = ep === 1 ? 1 : ep / tp;
  // an image encoder's weights take memory but a text step never reads them
  const visionBytes = counts.vision * scale * bytes;
  return {
    perGpu: nonExpertPerGpu + expertPerGpu,
    shared: groups * (tp * nonExpertPerGpu - visionBytes),
    routed: routed * expertBytes,
  };
}

/** KV bytes of one token in one layer on one GPU of the token's TP group. */
function kvBytesPerLayerPerGpu(model: ModelShape, tp: number, kvDtype: Dtype): number {
  const bytes = DTYPE_BYTES[kvDtype];
  // MLA caches the latent and the RoPE key once per token, and vLLM keeps the whole of it on
  // every TP rank (the latent is not split by heads): DeepSeek-V2 paper section 2.1.
  if (model.mla) return (model.mla.kv_lora_rank + model.mla.qk_rope_head_dim) * bytes;
  // K and V per KV head; with fewer KV heads than GPUs each GPU keeps a copy of one head
  return (2 * model.head_dim * Math.max(model.kv_heads, tp) * bytes) / tp;
}

/** Peak activations per GPU of vLLM's profiling batch: hidden state, attention projections, MLP width. */
function activationBytesPerGpu(model: ModelShape, tp: number, ep: number): number {
  const m = model.mla;
  const qkvWidth = m
    ? m.q_lora_rank + m.kv_lora_rank + m.qk_rope_head_dim +
      (model.attention_heads * (2 * m.qk_nope_head_dim + m.qk_rope_head_dim + m.v_head_dim)) / tp
    : ((model.attention_heads + 2 * model.kv_heads) * model.head_dim) / tp;
  const gate = model.mlp === 'gated' ? 2 : 1;
  const counts = countParams(model);
  const denseWidth = counts.moe_layers < model.layers ? (gate * model.intermediate_size) / tp : 0;
  // routed experts see experts_per_token rows per token, spread over tp (split experts) or ep (whole experts)
  const moeWidth = counts.moe_layers > 0
    ? gate * (((model.moe_intermediate_size ?? model.intermediate_size) * model.experts_per_token) / (ep > 1 ? ep : tp) +
      ((model.shared_experts ?? 0) * (model.shared_expert_intermediate_size ?? model.moe_intermediate_size ?? model.intermediate_size)) / tp)
    : 0;
  return ACTIVATION_PROFILE_TOKENS * (model.hidden_size + qkvWidth + Math.max(denseWidth, moeWidth)) * ACTIVATION_BYTES;
}

/** What a model that does not fit is told, in perf's flags (a scenario names its own fields instead: fleet/llm/build.ts). */
export const MORE_GPUS_ADVICE = 'use more GPUs (--tp) or a smaller dtype';

export function sizeReplica(opts: ReplicaSizingOptions): ReplicaSizing {
  const { model, gpu, tp } = opts;
  const ep = opts.ep ?? 1;
  const dtype = opts.dtype ?? 'fp16';
  const kvDtype = opts.kvDtype ?? dtype;
  const fraction = opts.memoryFraction ?? DEFAULT_MEMORY_FRACTION;
  const fractionOf = opts.memoryFractionOf ?? 'total';
  checkLayout(model, tp, ep, fraction, fractionOf);
  const gpus = ep > 1 ? ep : tp;
  const where = ep > 1 ? `${gpus}x ${gpu.id} (tp=${tp}, ep=${ep})` : `${tp}x ${gpu.id}`;

  const weights = weightLayout(model, tp, ep, dtype);
  const weightBytesPerGpu = weights.perGpu;
  const memoryPerGpu = gpu.memory_gb * GPU_MEMORY_BYTES_PER_GB;
  // under the `total` rule the weights must fit in the fraction; under `free` in the whole GPU
  const weightRoomPerGpu = fractionOf === 'total' ? memoryPerGpu * fraction : memoryPerGpu;
  if (weightBytesPerGpu > weightRoomPerGpu) {
    const room = fractionOf === 'total' ? `${gib(weightRoomPerGpu)} usable (${gpu.memory_gb} GiB x ${fraction})` : `${gib(weightRoomPerGpu)} on the GPU`;
    throw new UserError(
      `${model.id} (${dtype}) does not fit on ${where}: weights need ${gib(weightBytesPerGpu)} per GPU, ` +
      `${room}; ${MORE_GPUS_ADVICE}`);
  }

  const perLayer = kvBytesPerLayerPerGpu(model, tp, kvDtype);
  // a model whose every layer slides is sized as full attention (shape.ts windowedLayers)
  const fullLayers = fullAttentionLayers(model);
  const kvBytesPerTokenPerGpu = fullLayers * perLayer;
  const kvBytesPerToken = tp * kvBytesPerTokenPerGpu;
  const kvWindowBytesPerSequence = tp * (model.layers - fullLayers) * (model.sliding_window ?? 0) * perLayer;
  const reservePerGpu = RUNTIME_RESERVE_BYTES_PER_GPU + activationBytesPerGpu(model, tp, ep);
  const kvBytesPerGpu = fractionOf === 'total'
    ? memoryPerGpu * fraction - weightBytesPerGpu - reservePerGpu
    : (memoryPerGpu - weightBytesPerGpu - reservePerGpu) * fraction;
  const kvCapacityTokens = Math.max(0, Math.floor((gpus * kvBytesPerGpu) / kvBytesPerToken));
  if (kvCapacityTokens < MIN_KV_TOKENS) {
    const room = fractionOf === 'total' ? `${gib(memoryPerGpu * fraction)} usable per GPU` : `${gib(memoryPerGpu)} per GPU`;
    throw new UserError(
      `${model.id} (${dtype}) on ${where}: no room for the KV cache: ${room}, ` +
      `weights ${gib(weightBytesPerGpu)}, activations and runtime ${gib(reservePerGpu)}; ${MORE_GPUS_ADVICE}`);
  }

  const untouched = model.experts > 1 ? 1 - model.experts_per_token / model.experts : 0;
  const { shared, routed } = weights;
  return {
    tp, ep, gpus, dp: gpus / tp,
    weightBytesPerGpu, kvBytesPerToken, kvBytesPerTokenPerGpu, kvWindowBytesPerSequence, kvCapacityTokens,
    activationReserveBytesPerGpu: reservePerGpu,
    sharedWeightBytes: shared,
    routedExpertBytes: routed,
    expertUntouchedPerToken: untouched,
    weightBytesTouched(tokens: number): number {
      if (tokens <= 0) return 0;
      if (routed === 0) return shared;
      // each token picks k of E experts; with uniform routing an expert stays untouched by n tokens
      // with probability (1 - k/E)^n (Mixtral's router is close to balanced, Jiang et al. 2024 s.5)
      return shared + routed * (1 - Math.pow(untouched, tokens));
    },
  };
}

/**
 * Bytes one token moves over GPU links in one MoE layer under expert parallelism: its hidden state
 * is dispatched to the GPUs holding its experts_per_token experts and the expert outputs are sent
 * back (combine). With uniform routing a share (ep-1)/ep of the k destinations is on another GPU.
 * Each copy is counted (no per-GPU de-duplication of a token sent to two experts on one GPU, which
 * DeepEP's dispatch does across nodes). Payloads are 16-bit unless given: DeepEP can dispatch FP8
 * (1 byte + scales) and combines in BF16 (DeepSeek-AI, DeepEP README, 2025). 0 when ep = 1, where
 * the MoE output is all-reduced over TP like a dense MLP instead.
 */
export function moeAllToAllBytesPerToken(
  model: ModelShape, ep: number, bytesPerElement: { dispatch?: number; combine?: number } = {},
): { dispatch: number; combine: number } {
  if (ep <= 1 || model.experts <= 1) return { dispatch: 0, combine: 0 };
  const remote = (model.experts_per_token * model.hidden_size * (ep - 1)) / ep;
  return {
    dispatch: remote * (bytesPerElement.dispatch ?? ACTIVATION_BYTES),
    combine: remote * (bytesPerElement.combine ?? ACTIVATION_BYTES),
  };
}
