import { UserError } from '../errors.ts';
import type { CalibrationFactors, CalibrationProfile } from './calibration.ts';
import { DEFAULT_CALIBRATION } from './profiles.ts';
import { ACTIVATION_BYTES, defaultKvDtype, DTYPE_BYTES, expertKernelShare, matmulPathFor, peakTflopsFor, weightKernelShare, type Dtype } from './dtype.ts';
import { checkTensorParallel, matmulRateVsReference, meshLinkShare, type GpuSpec } from './hardware.ts';
import { moeAllToAllBytesPerToken, sizeReplica } from './memory.ts';
import type { ModelSpec } from './models.ts';
import { countParams, fullAttentionLayers, kvTokensPerSequenceBound, rowParallelParams, windowedLayers } from './shape.ts';

/**
 * Step-time model of one continuous-batching iteration on a tensor- (and expert-) parallel replica. An iteration
 * runs its kernels one after another, so its time is the sum of its operations, each bounded by
 * the roofline of its own resource (compute or memory), not one roofline over the whole step:
 *
 *   t = step_overhead + per_seq * sequences
 *       + blend(linear FLOPs / (peak * e_gemm(tokens)), weight bytes / (HBM * e_mem))    dense part
 *       + blend(expert FLOPs / (peak * e_gemm(tokens k/E)), expert bytes touched / (HBM * e_mem))  MoE
 *       + prefill attention FLOPs / (16-bit peak * e_attn)
 *       + max(decode attention FLOPs / (16-bit peak * e_attn), KV bytes read / (HBM * e_kv))
 *       + sliding-window layers (gpt-oss, Gemma 2 and 3): prompt attention over at most the window per
 *         token, and per window a decode step reads max(window attention FLOPs / (16-bit peak * e_attn),
 *         window cache / (HBM * e_kv)), min(D, C / window) windows (decodeWindows)
 *       + all-reduces: 2 per layer x (latency + 2 (tp-1)/tp x payload / (link * e_link)), where the
 *         latency is fixed + per doubling x log2(tp) on NVLink, per hop x 2 (tp-1) hops on PCIe
 *       + expert parallelism: 2 all-to-alls per MoE layer x (latency + payload / (link * e_link)),
 *         the payload over the network for destinations outside the interconnect domain
 *
 * e_gemm(m) = gemm_efficiency * m / (m + gemm_half_tokens); blend(a, b) = (a^4 + b^4)^(1/4), a
 * smooth maximum: near the ridge point a GEMM is slower than either bound alone. Each term and the
 * measurements behind it: docs/step-model.md. A request's own fixed cost (request_overhead_ms) is
 * not GPU time: the replica adds it to the request's time to first token.
 */
export interface StepModel {
  readonly tp: number;
  /** GPUs in the replica: tp, or ep under expert parallelism (memory.ts) */
  readonly gpus: number;
  /** data-parallel attention groups, each with its own scheduler in vLLM: ep / tp, else 1 */
  readonly dataParallelGroups: number;
  /** KV cache tokens the replica holds: (TP * GPU memory * utilisation - weights - activation reserve) / KV bytes per token */
  readonly kvCapacityTokens: number;
  /**
   * KV cache tokens a sequence of at least a window's length holds besides its own tokens: its
   * sliding-window layers' windows, as full-layer tokens of the same bytes (0 without them); a
   * shorter one holds its share (windowKvTokens)
   */
  readonly kvWindowTokensPerSequence: number;
  /** the most KV cache tokens a sequence holds where every layer slides: the window (0 otherwise: no bound) */
  readonly kvTokensPerSequenceBound: number;
  /** the sliding layers' window in tokens (0 without them) */
  readonly slidingWindowTokens: number;
  /**
   * One decoding sequence's read of a full window in every sliding layer, ms (0 without them). A
   * decode step adds it decodeWindows(window, D, C) times (decodeOnlyMs).
   */
  readonly decodeWindowMsPerSequence: number;
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
  /**
   * A decode-only step is a line in its context tokens, and its windows: stepTimeMs(0, 0, D, C)
   * equals decodeOnlyMs (decodeInterceptMs(D) + decodeMsPerContextToken * C + the windows' read;
   * the context enters only through KV reads and attention FLOPs, both proportional to it). The
   * replica plans runs of decode steps with it.
   */
  decodeInterceptMs(decodeSeqs: number): number;
  readonly decodeMsPerContextToken: number;
  /** FLOPs and bytes of that same step, for MFU and bandwidth utilisation */
  stepFlops(prefillTokens: number, prefillAttnTokenPairs: number, decodeSeqs: number, decodeCtxTokens: number): number;
  stepBytes(prefillTokens: number, prefillAttnTokenPairs: number, decodeSeqs: number, decodeCtxTokens: number): number;
  /** all the replica's GPUs */
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
  /** fraction of GPU memory the engine may use, weights and KV cache inside it (vLLM's gpu_memory_utilization) */
  gpuMemoryUtilization?: number;
  /** fraction of the memory left after weights and activations that the KV cache takes (TensorRT-LLM's kv_cache_free_gpu_mem_fraction) */
  kvCacheFreeMemoryFraction?: number;
  /** expert-parallel ranks (memory.ts), default 1 */
  ep?: number;
  /**
   * The engine's decode attention reads each sequence's keys and values once per query head, not
   * once per KV head: TensorRT-LLM's masked multi-head attention kernel before XQA (fidelity's
   * predict.ts TRTLLM_XQA_SINCE). Default false: every current kernel shares a KV head's reads
   * among the query heads of its group.
   */
  decodeKvReadsPerQueryHead?: boolean;
}


/**
 * What one iteration costs at 100% of every peak, per unit of work; stepTimeFrom divides by the
 * profile's efficiencies. Built once per (model, GPU, TP, dtype); the fit (calibrate.ts) evaluates
 * many profiles on the same geometry.
 */
export interface StepGeometry {
  readonly tp: number;
  readonly gpus: number;
  readonly dataParallelGroups: number;
  readonly kvCapacityTokens: number;
  readonly kvWindowTokensPerSequence: number;
  readonly kvTokensPerSequenceBound: number;
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
  /** the large-batch share of the GEMM rate the experts' kernels reach (mixedInputExpertShare; 1: the dense rate) */
  readonly expertGemmShare: number;
  /** streaming every routed expert once, ms at peak bandwidth (0: dense model) */
  readonly expertWeightMs: number;
  /** probability that one token leaves a given expert untouched: 1 - k/E */
  readonly expertMissProbability: number;
  /** tokens an expert's GEMM sees per token of the batch under balanced routing: k/E */
  readonly expertTokenShare: number;
  /** attention QK^T and AV per (query, key) pair in the full-attention layers, ms at the 16-bit peak */
  readonly attentionMsPerPair: number;
  /** the same for a decode token against one cached token (differs from prefill under MLA) */
  readonly decodeAttentionMsPerPair: number;
  /**
   * Sliding-window layers (gpt-oss): a query attends to at most `slidingWindowTokens` keys there,
   * at this cost per pair (prefill and decode alike), ms at the 16-bit peak; 0 without such layers.
   */
  readonly slidingAttentionMsPerPair: number;
  readonly slidingWindowTokens: number;
  /** one token of KV cache read or written, ms at peak bandwidth */
  readonly kvMsPerToken: number;
  /** one cached token read by a decode step, ms at peak bandwidth: kvMsPerToken times decodeKvReadsPerToken */
  readonly decodeKvMsPerToken: number;
  /** tensor-parallel all-reduces in one iteration (2 per layer; 0 at TP 1) */
  readonly allReduces: number;
  /** their payload per token at 100% of one direction of the GPU link, ms */
  readonly allReduceMsPerToken: number;
  /**
   * what a direct mesh adds to that payload per token, ms, at the mesh link's own efficiency
   * (meshShortfallMsPerByte); 0 in a switched domain
   */
  readonly meshAllReduceMsPerToken: number;
  /** hops of a ring all-reduce over PCIe (2 (tp-1)); 0 on NVLink */
  readonly pcieRingHops: number;
  /** log2 of the group within one interconnect domain: rounds of a tree or recursive-doubling all-reduce over NVLink or Infinity Fabric */
  readonly allReduceDoublings: number;
  /**
   * a group that spans nodes (tp above the interconnect domain): each all-reduce's added latency
   * over the network, us (networkAllReduce), and its network payload per token, ms; 0 within a node
   */
  readonly networkAllReduceLatencyUs: number;
  readonly networkAllReduceMsPerToken: number;
  /**
   * a GEMM-fused all-reduce's payload per GPU link direction over a ring's: NVLink SHARP reduces in
   * the switch, so each GPU sends its partial once and receives the sum once, (tp + 1) / tp of the
   * payload against the ring's 2 (tp - 1) / tp (at most 1: at TP 2 the ring moves less)
   */
  readonly fusedAllReduceTrafficShare: number;
  /** an engine may fuse the all-reduce with its GEMM here: NVLink through a switch (SHARP multicast), not PCIe or a direct mesh */
  readonly allReduceFusable: boolean;
  /** the row-parallel GEMMs' share of the dense GEMM work (shape.ts rowParallelParams) */
  readonly rowParallelShare: number;
  /** expert-parallel all-to-alls in one iteration: dispatch and combine per MoE layer (0 at ep 1) */
  readonly allToAlls: number;
  /** their payload per token of the batch at 100% of one direction of each GPU's link, ms */
  readonly allToAllMsPerToken: number;
  /** decodeQueries: query tokens per decoding sequence, 1 unless a speculative verification (k + 1) */
  flops(prefillTokens: number, prefillAttnTokenPairs: number, decodeSeqs: number, decodeCtxTokens: number, decodeQueries?: number): number;
  bytes(prefillTokens: number, prefillAttnTokenPairs: number, decodeSeqs: number, decodeCtxTokens: number, decodeQueries?: number): number;
}

/**
 * The engine's memory fraction and what it is a fraction of: a setting given by its own name wins
 * (gpu_memory_utilization is vLLM's rule, kv_cache_free_gpu_mem_fraction TensorRT-LLM's), else the
 * profile's rule at 0.9, the default of both engines.
 */
export function memoryFractionFor(opts: StepModelOptions): { memoryFraction?: number; memoryFractionOf: 'total' | 'free' } {
  if (opts.gpuMemoryUtilization !== undefined && opts.kvCacheFreeMemoryFraction !== undefined) {
    throw new UserError('gpu_memory_utilization and kv_cache_free_gpu_mem_fraction: expected one of the two (vLLM\'s rule or TensorRT-LLM\'s), got both');
  }
  if (opts.gpuMemoryUtilization !== undefined) return { memoryFraction: opts.gpuMemoryUtilization, memoryFractionOf: 'total' };
  if (opts.kvCacheFreeMemoryFraction !== undefined) return { memoryFraction: opts.kvCacheFreeMemoryFraction, memoryFractionOf: 'free' };
  return { memoryFractionOf: opts.calibration?.gpu_memory_fraction_of ?? 'total' };
}

export function buildStepGeometry(opts: StepModelOptions): StepGeometry {
  const { model, gpu, tp } = opts;
  const dtype = opts.dtype ?? 'fp16';
  checkTensorParallel(gpu, tp, '--tp');
  const ep = opts.ep ?? 1;
  // memory sizing (weights per GPU, KV cache, weights a step reads): memory.ts
  const size = sizeReplica({ model, gpu, tp, ep, dtype, kvDtype: opts.kvDtype ?? defaultKvDtype(dtype, opts.calibration?.kv_cache_dtype), ...memoryFractionFor(opts) });
  const counts = countParams(model);
  const scale = counts.total > 0 ? model.params_total / counts.total : 1;
  // every GPU of the replica computes: with expert parallelism the data-parallel groups split the
  // batch and each GPU runs its own experts
  const gpus = size.gpus;
  const peakFlopsPerS = peakTflopsFor(gpu, dtype) * 1e12 * gpus;
  // attention runs in 16-bit whatever the weights (FlashAttention, paged attention kernels)
  const peak16FlopsPerMs = gpu.fp16_tflops * 1e12 * gpus / 1000;
  const peakBytesPerS = gpu.mem_bw_gb_per_s * 1e9 * gpus;
  // the GEMMs' rate: the profile's gemm_efficiency is a share of the reference GPU's peak, and
  // GPUs reach different fractions of their datasheet peaks (hardware.ts matmulRateVsReference)
  const peakFlopsPerMs = peakFlopsPerS / 1000 * matmulRateVsReference(gpu, matmulPathFor(gpu, dtype));
  const peakBytesPerMs = peakBytesPerS / 1000;
  // block-scaled FP8 weights run on slower kernels than the per-tensor path the table measures
  const weightShare = weightKernelShare(model, gpu, dtype);
  const gemmFlopsPerMs = peakFlopsPerMs * weightShare;
  const weightBytesPerMs = peakBytesPerMs * weightShare;
  // matmul parameters per token: the input embedding is a lookup; the LM head runs for decode
  // tokens only (a prompt produces logits for its last token alone, negligible next to the rest)
  const lmHead = model.kind === 'decoder' ? counts.lm_head * scale : 0;
  const matmulParams = model.params_active - (counts.input_embedding + (model.tied_embeddings ? 0 : counts.lm_head)) * scale;
  const expertActiveParams = model.experts > 1 ? counts.expert_total * scale * model.experts_per_token / model.experts : 0;
  const denseParams = matmulParams - expertActiveParams;
  // the input embedding is read row by row, not streamed; a tied one is streamed as the LM head
  const embeddingBytes = model.tied_embeddings ? 0 : counts.input_embedding * scale * DTYPE_BYTES[model.unquantized_embedding ? 'bf16' : dtype] * size.dp;
  const kept = keptSixteenBit(model, scale, lmHead, denseParams, gpu, { gpus, dp: size.dp, weightBytesPerMs, peakBytesPerMs }); // 16-bit layers of a quantised checkpoint
  const denseBytes = size.sharedWeightBytes - embeddingBytes;
  // QK^T and AV: 2 FLOPs per multiply-add, 2 matmuls, per query-key pair, per query dim, per layer
  const attnFlopsPerPair = attentionFlopsPerPair(model, 'prefill');
  const decodeAttnFlopsPerPair = attentionFlopsPerPair(model, 'decode');
  const slidingWindowTokens = windowedLayers(model) > 0 ? model.sliding_window ?? 0 : 0;
  const slidingFlopsPerPair = slidingWindowTokens > 0 ? attentionFlopsPerPair(model, 'prefill', windowedLayers(model)) : 0;
  return {
    tp, gpus, dataParallelGroups: size.dp, kvCapacityTokens: size.kvCapacityTokens, kvBytesPerToken: size.kvBytesPerToken,
    kvWindowTokensPerSequence: Math.ceil(size.kvWindowBytesPerSequence / size.kvBytesPerToken),
    kvTokensPerSequenceBound: kvTokensPerSequenceBound(model),
    weightBytesPerGpu: size.weightBytesPerGpu, peakFlopsPerS, peakBytesPerS,
    denseMsPerPrefillToken: 2 * (denseParams - kept.layerParams) / gemmFlopsPerMs + kept.prefillMsPerToken,
    denseMsPerDecodeToken: 2 * (denseParams - kept.layerParams + lmHead - kept.headParams) / gemmFlopsPerMs + kept.decodeMsPerToken,
    denseWeightMs: denseBytes / weightBytesPerMs - kept.streamSavingMs,
    expertMsPerToken: expertMsPerToken(model, expertActiveParams, gemmFlopsPerMs, gpu, gpus), expertGemmShare: expertKernelShare(model, gpu), expertWeightMs: size.routedExpertBytes / weightBytesPerMs,
    expertMissProbability: model.experts > 1 ? 1 - model.experts_per_token / model.experts : 1,
    expertTokenShare: model.experts > 1 ? model.experts_per_token / model.experts : 1,
    attentionMsPerPair: attnFlopsPerPair / peak16FlopsPerMs,
    decodeAttentionMsPerPair: decodeAttnFlopsPerPair / peak16FlopsPerMs,
    slidingAttentionMsPerPair: slidingFlopsPerPair / peak16FlopsPerMs,
    slidingWindowTokens,
    kvMsPerToken: size.kvBytesPerToken / peakBytesPerMs,
    decodeKvMsPerToken: size.kvBytesPerToken * decodeKvReadsPerToken(model, tp, opts.decodeKvReadsPerQueryHead === true) / peakBytesPerMs,
    ...collectives(model, gpu, { tp, ep, gpus: size.gpus, dataParallelGroups: size.dp }, counts.moe_layers),
    rowParallelShare: denseParams > 0 ? Math.min(1, rowParallelParams(model) * scale / denseParams) : 0,
    flops(pt, pairs, ds, dctx, q = 1) {
      const dq = ds * q;
      return 2 * (pt * denseParams + dq * (denseParams + lmHead) + (pt + dq) * expertActiveParams) + pairs * attnFlopsPerPair + dctx * q * decodeAttnFlopsPerPair + slidingPairs(slidingWindowTokens, pt, pairs, ds, dctx, q) * slidingFlopsPerPair;
    },
    bytes(pt, _pairs, ds, dctx, q = 1) {
      // weights once a step, KV written per new token and read per decode context token (decodeKvReadsPerToken times; a verification's q queries share it)
      const tokens = pt + ds * q;
      const windows = slidingWindowTokens > 0 ? decodeWindows(slidingWindowTokens, ds, dctx) * size.kvWindowBytesPerSequence : 0;
      return (tokens > 0 ? size.weightBytesTouched(tokens) - embeddingBytes : 0) + (tokens + dctx * decodeKvReadsPerToken(model, tp, opts.decodeKvReadsPerQueryHead === true)) * size.kvBytesPerToken + windows;
    },
  };
}

/**
 * The matmul time per token of the weights a quantised checkpoint keeps in 16 bits (shape.ts
 * unquantized_*): at the GPU's 16-bit GEMM rate, whatever the rest runs at. Meta's FP8 Llama 3.1
 * 405B keeps its attention in BF16, a fifth of its matmul parameters. They stream at the GPU's
 * rate, not at a block-scaled FP8 checkpoint's share of it: streamSavingMs is what the rest's rate
 * would have charged them beyond that.
 */
function keptSixteenBit(model: ModelSpec, scale: number, lmHead: number, denseParams: number, gpu: GpuSpec, r: { gpus: number; dp: number; weightBytesPerMs: number; peakBytesPerMs: number }) {
  // listed layers, and a mixed-precision checkpoint's share of the rest (shape.ts unquantized_linear_share)
  const layerParams = (model.unquantized_layer_params ?? 0) * scale + (model.unquantized_linear_share ?? 0) * denseParams;
  const headParams = model.unquantized_lm_head ? lmHead : 0;
  if (layerParams === 0 && headParams === 0) return { layerParams, headParams, prefillMsPerToken: 0, decodeMsPerToken: 0, streamSavingMs: 0 };
  const flopsPerMs = sixteenBitFlopsPerMs(gpu, r.gpus);
  const streamedBytes = (layerParams + headParams) * DTYPE_BYTES.bf16 * r.dp;
  return {
    layerParams, headParams, prefillMsPerToken: 2 * layerParams / flopsPerMs, decodeMsPerToken: 2 * (layerParams + headParams) / flopsPerMs,
    streamSavingMs: streamedBytes / r.weightBytesPerMs - streamedBytes / r.peakBytesPerMs,
  };
}

/** The GPUs' 16-bit GEMM rate, FLOPs per ms at peak, whatever the serving dtype (a checkpoint's layers kept in 16 bits run at it). */
function sixteenBitFlopsPerMs(gpu: GpuSpec, gpus: number): number {
  return gpu.fp16_tflops * 1e12 * gpus / 1000 * matmulRateVsReference(gpu, 'fp16');
}

/**
 * A token through its routed experts, ms at peak: at the serving dtype's rate, but a
 * mixed-precision checkpoint's 16-bit share of them (shape.ts unquantized_linear_share) at the
 * 16-bit rate, half FP8's on Hopper.
 */
function expertMsPerToken(model: ModelSpec, expertActiveParams: number, gemmFlopsPerMs: number, gpu: GpuSpec, gpus: number): number {
  const kept = model.unquantized_linear_share ?? 0;
  const at = (flopsPerMs: number) => 2 * expertActiveParams / flopsPerMs;
  return kept > 0 ? (1 - kept) * at(gemmFlopsPerMs) + kept * at(Math.min(gemmFlopsPerMs, sixteenBitFlopsPerMs(gpu, gpus))) : at(gemmFlopsPerMs);
}

type Collectives = Pick<StepGeometry, 'allReduces' | 'allReduceMsPerToken' | 'meshAllReduceMsPerToken' | 'pcieRingHops' | 'allReduceDoublings' | 'networkAllReduceLatencyUs' | 'networkAllReduceMsPerToken' | 'fusedAllReduceTrafficShare' | 'allReduceFusable' | 'allToAlls' | 'allToAllMsPerToken'>;

/** The GPU-to-GPU traffic of one iteration: tensor-parallel all-reduces and expert-parallel all-to-alls. */
function collectives(
  model: ModelSpec, gpu: GpuSpec, layout: { tp: number; ep: number; gpus: number; dataParallelGroups: number }, moeLayers: number,
): Collectives {
  const { tp, ep, gpus, dataParallelGroups } = layout;
  // all-reduces after attention and after the MLP in every layer (Megatron-style TP); the ring
  // and the two-shot kernels move 2 (tp-1)/tp of the payload over each GPU's one-direction link.
  // A group over several nodes (whole domains, hardware.ts checkTensorParallel) reduces within
  // each node's domain over the link as a group of `local` would, and across nodes over the network
  const local = Math.min(tp, gpu.interconnect_domain_gpus);
  const allReduces = tp > 1 ? 2 * model.layers : 0;
  const linkBytesPerMs = (gpu.nvlink_gb_per_s / 2) * 1e9 / 1000;
  // expert parallelism: every GPU dispatches and combines its 1/gpus of the batch's tokens at once
  const allToAll = moeAllToAllBytesPerToken(model, ep);
  // bytes of all-reduce payload per token of the batch: each data-parallel group all-reduces only
  // its own share of the batch, all groups at once
  const payloadBytesPerToken = allReduces * model.hidden_size * ACTIVATION_BYTES / dataParallelGroups;
  const allReduceBytesPerToken = local > 1 ? payloadBytesPerToken * (2 * (local - 1) / local) : 0;
  const network = networkAllReduce(gpu, tp / local, payloadBytesPerToken);
  return {
    allReduces,
    allReduceMsPerToken: allReduceBytesPerToken / linkBytesPerMs,
    meshAllReduceMsPerToken: allReduceBytesPerToken * meshShortfallMsPerByte(gpu, local, linkBytesPerMs),
    pcieRingHops: local > 1 && gpu.interconnect === 'pcie' ? 2 * (local - 1) : 0,
    allReduceDoublings: Math.log2(local),
    networkAllReduceLatencyUs: network.latencyUs,
    networkAllReduceMsPerToken: network.msPerToken,
    fusedAllReduceTrafficShare: local > 1 ? Math.min(1, (local + 1) / (2 * (local - 1))) : 1,
    // the fused kernels (NVLink SHARP multicast) reduce within one switch's domain only
    allReduceFusable: gpu.interconnect === 'nvlink' && gpu.direct_mesh !== true && tp === local,
    allToAlls: ep > 1 ? 2 * moeLayers : 0,
    allToAllMsPerToken: ep > 1 ? moeLayers * (allToAll.dispatch + allToAll.combine) / gpus * allToAllMsPerByte(gpu, ep, linkBytesPerMs) : 0,
  };
}

/**
 * The share of a direct mesh link's rate a collective achieves: 48 of xGMI's 64 GB/s per direction
 * (AMD ROCm blog, "Understanding RCCL Bandwidth and xGMI Performance on AMD Instinct MI300X", 2025:
 * CRC and protocol overhead), the one vendor measurement of a mesh link.
 */
const MESH_LINK_EFFICIENCY = 0.75;

/**
 * ms per byte of all-reduce payload a direct mesh adds for a group of `groupGpus`: the group drives
 * only the links to its members (hardware.ts meshLinkShare), so the payload the whole link would
 * have carried takes 1/share - 1 times longer again. Added at the mesh link's own efficiency, not
 * the profile's fitted link_bw_efficiency, which carries more than the collective (TP's narrower
 * GEMMs, a synchronisation per all-reduce; docs/step-model.md) and was fitted on switched domains.
 */
function meshShortfallMsPerByte(gpu: GpuSpec, groupGpus: number, linkBytesPerMs: number): number {
  const share = meshLinkShare(gpu, groupGpus);
  return share < 1 ? (1 / share - 1) / (linkBytesPerMs * MESH_LINK_EFFICIENCY) : 0;
}

/**
 * What one network step of a cross-node all-reduce costs a serving engine, us: 70, of which a tree
 * all-reduce takes 2 log2(nodes) (NCCL's model of a tree: 2 x ((ranks/nodes - 1) x intra +
 * log2(nodes) x inter), src/graph/tuning.cc). NCCL's own constant for a network step is 5.0 us
 * (hwLatencies NET, Tree, LL: 25.2 us for a small all-reduce over 2 x 8 H100, as it logs in
 * NVIDIA/nccl issue 1453), but the one published serving run that crosses nodes took far more:
 * vLLM 0.17 serving Qwen2.5-72B in FP16 at TP 16 on two 8-GPU H100 nodes over NDR InfiniBand
 * decoded a lone request at 29.1 ms a token against 10.0 ms at TP 8 on one node (Jingchao Zhang,
 * "LLM Inference Across NVLink and InfiniBand", 2026; data/corpus/fresh-2026-12/multinode-tp.csv,
 * its calibration rows). With the halved weight reads counted (3.2 ms), crossing added 22.3 ms over
 * the step's 160 all-reduces: 140 us each, two network steps. Held out: SGLang's DeepSeek-R1 at
 * TP 16 on two H100 nodes (moe-decode.csv).
 */
export const NETWORK_TREE_STEP_LATENCY_US = 70;

/**
 * The share of a NIC's line rate a collective reaches over InfiniBand NDR: 46-48 of 50 GB/s per
 * 400 Gb/s NIC, NCCL's maintainer on what two H100 nodes should show (NVIDIA/nccl-tests issue 290).
 */
const NETWORK_BUS_BANDWIDTH_SHARE = 0.94;

/**
 * A tensor-parallel all-reduce over `nodes` whole interconnect domains (nodes 1: none), as NCCL
 * runs it hierarchically: reduce-scatter within the node (over the GPU link, costed as a group of
 * the node's GPUs), all-reduce of each GPU's share of the payload with its peers of the other
 * nodes over its own NIC (2 (nodes - 1) / nodes of it), all-gather within the node. The profile's
 * fitted latency is taken for the node's part and a tree's network steps, at what a serving engine
 * was measured to pay for them (NETWORK_TREE_STEP_LATENCY_US), are added for the rest.
 */
function networkAllReduce(gpu: GpuSpec, nodes: number, payloadBytesPerToken: number): { latencyUs: number; msPerToken: number } {
  if (nodes <= 1) return { latencyUs: 0, msPerToken: 0 };
  const bytesPerToken = payloadBytesPerToken / gpu.interconnect_domain_gpus * (2 * (nodes - 1) / nodes);
  return {
    latencyUs: 2 * Math.log2(nodes) * NETWORK_TREE_STEP_LATENCY_US,
    msPerToken: bytesPerToken / (scaleOutBytesPerMs(gpu) * NETWORK_BUS_BANDWIDTH_SHARE),
  };
}

/**
 * Scale-out bandwidth per GPU, one direction, bytes per ms, where a replica crosses nodes: the GPU's
 * network_gbit_per_s, else 400 Gb/s, one ConnectX-7 NIC per GPU in DGX/HGX H100 and H200 systems
 * (NVIDIA DGX H100 user guide; AWS p5's 3,200 Gb/s EFA per 8 GPUs is the same).
 */
function scaleOutBytesPerMs(gpu: GpuSpec): number {
  return (gpu.network_gbit_per_s ?? 400) * 1e9 / 8 / 1000;
}

/**
 * ms per byte a GPU sends in an all-to-all over ep ranks with uniform routing: of its remote
 * destinations, those in its own interconnect domain go over the GPU link and the rest over the
 * network, both at once, so the slower share sets the time (DeepEP's normal kernels forward
 * NVLink and RDMA traffic concurrently).
 */
function allToAllMsPerByte(gpu: GpuSpec, ep: number, linkBytesPerMs: number): number {
  const domain = Math.min(gpu.interconnect_domain_gpus, ep);
  const intraShare = (domain - 1) / (ep - 1);
  return Math.max(intraShare / linkBytesPerMs, (1 - intraShare) / scaleOutBytesPerMs(gpu));
}

/**
 * Attention FLOPs of one (query, key) pair over all layers: 2 per multiply-add, QK^T and AV. With
 * multi-head latent attention (DeepSeek-V2/V3) the two phases differ, as vLLM and FlashMLA run
 * them: prefill expands the latent KV to per-head keys of qk_nope + qk_rope dims and values of
 * v_head_dim; decode absorbs the up-projections into the query and the output, so every head
 * attends over the cached latent itself (kv_lora_rank + qk_rope dims for QK^T, kv_lora_rank for
 * AV), which makes MLA decode about 3x the FLOPs of the prefill form per pair (DeepSeek-V2 report,
 * arXiv 2405.04434, s.2.1.3; FlashMLA README: decode is compute-bound on H800).
 */
function attentionFlopsPerPair(model: ModelSpec, phase: 'prefill' | 'decode', layers = fullAttentionLayers(model)): number {
  const perHead = (qkDims: number, valueDims: number) => 2 * layers * model.attention_heads * (qkDims + valueDims);
  const m = model.mla;
  if (!m) return perHead(model.head_dim, model.head_dim);
  return phase === 'prefill'
    ? perHead(m.qk_nope_head_dim + m.qk_rope_head_dim, m.v_head_dim)
    : perHead(m.kv_lora_rank + m.qk_rope_head_dim, m.kv_lora_rank);
}

/**
 * The (query, key) pairs a step's prompt chunks have in a sliding-window layer: their pairs in a
 * full layer, but at most the window per prompt token (exact for chunks past the window's length,
 * an upper bound for a chunk that starts inside it).
 */
function slidingPrefillPairs(pairs: number, prefillTokens: number, windowTokens: number): number {
  return Math.min(pairs, prefillTokens * windowTokens);
}

/**
 * A step's (query, key) pairs in the sliding layers: its prompt chunks' within the window and its
 * decoding sequences' windows; 0 at once without sliding layers (called for every iteration the
 * replica runs).
 */
function slidingPairs(windowTokens: number, pt: number, pairs: number, ds: number, dctx: number, q: number): number {
  return windowTokens > 0 ? slidingPrefillPairs(pairs, pt, windowTokens) + q * windowTokens * decodeWindows(windowTokens, ds, dctx) : 0;
}

/** A smooth maximum, (a^4 + b^4)^(1/4): a kernel near its ridge point is slower than either bound. */
function blend(a: number, b: number): number {
  const a2 = a * a, b2 = b * b;
  return Math.sqrt(Math.sqrt(a2 * a2 + b2 * b2));
}

/**
 * The GEMM efficiency at `tokens` rows: it halves at gemm_half_tokens, rising to gemm_efficiency x
 * `share` at large sizes with the same slope at small ones (a kernel that reaches a share of the
 * dense rate, dtype.ts MXFP4_UPCAST_EXPERT_SHARE, loses it where it is compute-bound).
 */
function gemmEfficiency(c: CalibrationFactors, tokens: number, share = 1): number {
  return c.gemm_efficiency * share * tokens / (tokens + c.gemm_half_tokens * share);
}

/**
 * Times each cached token's keys and values cross HBM in one decode step: once, or, for a kernel
 * that reads them once per query head (StepModelOptions.decodeKvReadsPerQueryHead), once for each
 * query head a GPU holds per KV head it holds (a KV head replicated past tp = kv_heads serves
 * fewer). Multi-head latent attention has no such heads: once. Measured: TensorRT-LLM 0.6.1's
 * performance table on H100 (FP8, static batches) read Llama 2 70B (64 query heads, 8 KV) and
 * Falcon 180B (232 and 8) at 128/2048 and 2048/2048 +80% to +101% with one read, -20% to -22% with
 * 8 and 29, while GPT-J and Llama 2 7B (a KV head per query head) read -4% to -14% either way; its
 * XQA blog measured 2.4x the throughput of Llama 2 70B on H200 at 128/2048 with XQA than without
 * (docs/step-model.md, "Decode attention before XQA").
 */
export function decodeKvReadsPerToken(model: ModelSpec, tp: number, perQueryHead: boolean): number {
  if (!perQueryHead || model.mla !== undefined || model.kv_heads >= model.attention_heads) return 1;
  return model.attention_heads / Math.max(model.kv_heads, Math.min(tp, model.attention_heads));
}

/**
 * The step-time formula (see StepModel) in one place; pure, allocation-free. `q` is the query
 * tokens of each decoding sequence: 1, or k + 1 when the step verifies k speculated tokens
 * (speculative.ts): they pass every GEMM and the LM head, and attend over the sequence's context,
 * which is read once for all of them.
 */
export function stepTimeFrom(g: StepGeometry, c: CalibrationFactors, pt: number, pairs: number, ds: number, dctx: number, q = 1): number {
  const dq = ds * q;
  const tokens = pt + dq;
  if (tokens <= 0) return 0;
  const sequences = ds + (pt > 0 ? 1 : 0);
  // data-parallel groups (expert parallelism) schedule and launch their sequences side by side
  let t = c.step_overhead_ms + sequences * c.per_seq_overhead_us / 1000 / g.dataParallelGroups;
  const denseCompute = (pt * g.denseMsPerPrefillToken + dq * g.denseMsPerDecodeToken) / gemmEfficiency(c, tokens);
  const denseMs = blend(denseCompute, (g.denseWeightMs + tokens * g.kvMsPerToken) / c.memory_bw_efficiency);
  t += denseMs;
  if (g.expertWeightMs > 0) {
    const touched = 1 - Math.pow(g.expertMissProbability, tokens);
    // each touched expert's GEMM has the rows routed to it: tokens k/E spread over the touched
    // share, at least one (a batch of one token runs its k experts on one row each, not on k/E
    // of a row: that read Mixtral-8x7B's TPOT at batch 1 on A100 TP 2 as 18 ms, 8.6 measured)
    const tokensPerTouchedExpert = tokens * g.expertTokenShare / touched;
    t += blend(tokens * g.expertMsPerToken / gemmEfficiency(c, tokensPerTouchedExpert, g.expertGemmShare), g.expertWeightMs * touched / c.memory_bw_efficiency);
  }
  t += pairs * g.attentionMsPerPair / c.attention_efficiency;
  if (ds > 0) t += Math.max(dctx * q * g.decodeAttentionMsPerPair / c.attention_efficiency, dctx * g.decodeKvMsPerToken / c.kv_bw_efficiency);
  // sliding-window layers (gpt-oss, Gemma 2 and 3) attend over at most their window: a prompt's
  // pairs there are bounded by its tokens x the window, and each decoding sequence reads and
  // attends over at most one window: their own kernels, outside the full layers' bound above.
  // Measured: the vLLM blog's gpt-oss-20b first tokens at 20,000-token prompts on H100 read +14%
  // and +17% with every pair charged, -8% and -5% so.
  if (g.slidingWindowTokens > 0) {
    t += slidingPrefillPairs(pairs, pt, g.slidingWindowTokens) * g.slidingAttentionMsPerPair / c.attention_efficiency;
    if (ds > 0) t += decodeWindows(g.slidingWindowTokens, ds, dctx) * decodeWindowMsPerSequenceFrom(g, c, q);
  }
  if (g.allReduces > 0) {
    const latency_us = g.pcieRingHops > 0
      ? g.pcieRingHops * c.pcie_hop_latency_us
      : c.allreduce_latency_us + g.allReduceDoublings * c.allreduce_doubling_latency_us;
    t += g.allReduces * (latency_us + g.networkAllReduceLatencyUs) / 1000 + allReducePayloadMs(g, c, tokens, denseMs) + tokens * (g.meshAllReduceMsPerToken + g.networkAllReduceMsPerToken);
  }
  // an all-to-all is one round of point-to-point sends: the fixed cost of one collective, no doublings
  if (g.allToAlls > 0) t += g.allToAlls * c.allreduce_latency_us / 1000 + tokens * g.allToAllMsPerToken / c.link_bw_efficiency;
  return t;
}

/**
 * The all-reduces' payload time in a step. An engine that fuses each row-parallel GEMM with its
 * all-reduce (TensorRT-LLM's gemm_allreduce_plugin, NVLink SHARP multicast on Hopper) moves less
 * (fusedAllReduceTrafficShare) while the GEMM computes, so the row-parallel GEMMs' share of the
 * dense time hides as much of it. MLPerf v5.0's Llama 3.1 405B server run at TP 8 (9,429-token
 * prompts, the plugin on) read its TTFT and TPOT 3.5x and 2.5x the measured without this and
 * within 12% with it (docs/step-model.md, "GEMM-fused all-reduce").
 */
function allReducePayloadMs(g: StepGeometry, c: CalibrationFactors, tokens: number, denseMs: number): number {
  const ringMs = tokens * g.allReduceMsPerToken / c.link_bw_efficiency;
  if (c.allreduce_fused_with_gemm !== true || !g.allReduceFusable) return ringMs;
  return Math.max(0, ringMs * g.fusedAllReduceTrafficShare - g.rowParallelShare * denseMs);
}

/** The slope of a decode-only step in its context tokens (stepTimeFrom's attention term), with q queries per sequence. */
export function decodeMsPerContextTokenFrom(g: StepGeometry, c: CalibrationFactors, q = 1): number {
  return Math.max(q * g.decodeAttentionMsPerPair / c.attention_efficiency, g.decodeKvMsPerToken / c.kv_bw_efficiency);
}

/** One decoding sequence's read of a full window in the sliding layers, ms (StepModel.decodeWindowMsPerSequence). */
export function decodeWindowMsPerSequenceFrom(g: StepGeometry, c: CalibrationFactors, q = 1): number {
  if (g.slidingWindowTokens === 0) return 0;
  return Math.max(q * g.slidingWindowTokens * g.slidingAttentionMsPerPair / c.attention_efficiency, g.kvWindowTokensPerSequence * g.decodeKvMsPerToken / c.kv_bw_efficiency);
}

/**
 * Windows a decode step of `ds` sequences over `dctx` context tokens reads in the sliding layers:
 * one per sequence, but no more than the context fills (a sequence shorter than the window holds
 * and reads only its tokens there). Taken on the batch's mean context, min(D, C / window): never
 * below the sequences' own reads summed (sum of min(window, c_i) <= min(D window, sum of c_i)), and
 * one linear piece on each side of C = D x window, which a run of decode steps crosses at most once.
 */
export function decodeWindows(windowTokens: number, ds: number, dctx: number): number {
  return windowTokens > 0 ? Math.min(ds, dctx / windowTokens) : 0;
}

/**
 * A decode-only step's time: the line in its context tokens and its windows' read (the StepModel
 * contract: stepTimeMs(0, 0, D, C) equals it). The replica keeps the same sum over its own copies
 * of the figures, in its hottest loops.
 */
export function decodeOnlyMs(step: StepModel, ds: number, dctx: number): number {
  return step.decodeInterceptMs(ds) + step.decodeMsPerContextToken * dctx + step.decodeWindowMsPerSequence * decodeWindows(step.slidingWindowTokens, ds, dctx);
}

/**
 * KV cache tokens, as full-layer tokens, a sequence of `tokens` holds in its sliding layers: the
 * share of a full window its length fills (vLLM's hybrid allocator gives those layers blocks for
 * at most the window, freed with the sequence).
 */
export function windowKvTokens(step: Pick<StepModel, 'kvWindowTokensPerSequence' | 'slidingWindowTokens'>, tokens: number): number {
  if (step.slidingWindowTokens === 0) return 0;
  return Math.ceil(step.kvWindowTokensPerSequence * Math.min(1, tokens / step.slidingWindowTokens));
}

/**
 * KV cache tokens a sequence whose whole length is `tokens` (prompt + output) holds at its
 * longest: its own and its sliding layers' share of their windows (windowKvTokens), or, where
 * every layer slides, at most the window (kvTokensPerSequenceBound): a 32,768-token request under
 * a 4,096-token window holds 4,096.
 */
export function sequenceKvTokens(step: Pick<StepModel, 'kvWindowTokensPerSequence' | 'slidingWindowTokens' | 'kvTokensPerSequenceBound'>, tokens: number): number {
  const bound = step.kvTokensPerSequenceBound;
  return bound > 0 ? Math.min(tokens, bound) : tokens + windowKvTokens(step, tokens);
}

export function buildStepModel(opts: StepModelOptions): StepModel {
  return stepModelFrom(buildStepGeometry(opts), opts.calibration ?? DEFAULT_CALIBRATION);
}

/**
 * A step model whose every step takes `stepTimeFactor` times as long, with `kvFactor` times the
 * KV cache (at least one token). One rule for every slower-than-modelled replica: a deploy's
 * version (control/alloc.ts), and a served model planned for GPUs slower than the step model reads
 * them (`step_time_factor`: the model's own error, docs/planning.md). FLOPs and bytes stay the
 * work's, so MFU and power read the work done, not the time it took.
 */
export function scaledStepModel(step: StepModel, stepTimeFactor: number, kvFactor = 1): StepModel {
  if (stepTimeFactor === 1 && kvFactor === 1) return step;
  const k = stepTimeFactor;
  // the fields in stepModelFrom's order: one object shape for every step model the replicas call
  return {
    tp: step.tp,
    gpus: step.gpus,
    dataParallelGroups: step.dataParallelGroups,
    kvCapacityTokens: Math.max(1, Math.floor(step.kvCapacityTokens * kvFactor)),
    kvWindowTokensPerSequence: step.kvWindowTokensPerSequence,
    kvTokensPerSequenceBound: step.kvTokensPerSequenceBound,
    slidingWindowTokens: step.slidingWindowTokens,
    decodeWindowMsPerSequence: step.decodeWindowMsPerSequence * k,
    kvBytesPerToken: step.kvBytesPerToken,
    weightBytesPerGpu: step.weightBytesPerGpu,
    requestOverheadMs: step.requestOverheadMs,
    peakFlopsPerS: step.peakFlopsPerS,
    peakBytesPerS: step.peakBytesPerS,
    stepTimeMs: (pt, pairs, ds, dctx) => step.stepTimeMs(pt, pairs, ds, dctx) * k,
    decodeInterceptMs: (ds) => step.decodeInterceptMs(ds) * k,
    decodeMsPerContextToken: step.decodeMsPerContextToken * k,
    stepFlops: step.stepFlops,
    stepBytes: step.stepBytes,
  };
}

/** A step model from a geometry and factors: cheap, so a fit can try many factors on one geometry. */
export function stepModelFrom(g: StepGeometry, cal: CalibrationFactors): StepModel {
  return {
    tp: g.tp,
    gpus: g.gpus,
    dataParallelGroups: g.dataParallelGroups,
    kvCapacityTokens: g.kvCapacityTokens,
    kvWindowTokensPerSequence: g.kvWindowTokensPerSequence,
    kvTokensPerSequenceBound: g.kvTokensPerSequenceBound,
    slidingWindowTokens: g.slidingWindowTokens,
    decodeWindowMsPerSequence: decodeWindowMsPerSequenceFrom(g, cal),
    kvBytesPerToken: g.kvBytesPerToken,
    weightBytesPerGpu: g.weightBytesPerGpu,
    requestOverheadMs: cal.request_overhead_ms,
    peakFlopsPerS: g.peakFlopsPerS,
    peakBytesPerS: g.peakBytesPerS,
    stepTimeMs: (pt, pairs, ds, dctx) => stepTimeFrom(g, cal, pt, pairs, ds, dctx),
    decodeInterceptMs: (ds) => stepTimeFrom(g, cal, 0, 0, ds, 0),
    decodeMsPerContextToken: decodeMsPerContextTokenFrom(g, cal),
    stepFlops: g.flops,
    stepBytes: g.bytes,
  };
}
