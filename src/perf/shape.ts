/**
 * Transformer shape and the parameter counts that follow from it. Shared by the model catalog
 * (models.ts), the Hugging Face config loader (hf-config.ts) and the memory sizing (memory.ts),
 * so all three count the same way.
 *
 * Every field added for mixture-of-experts, MLA and sliding-window models is optional, and its
 * default leaves a dense model exactly as before.
 */

/**
 * Multi-head latent attention (DeepSeek-V2/V3; DeepSeek-AI, "DeepSeek-V2", 2024, section 2.1).
 * Keys and values are rebuilt from a kv_lora_rank-wide latent; the cache keeps only that latent
 * and the qk_rope_head_dim-wide decoupled RoPE key, per token per layer, shared by all heads.
 */
export interface MlaShape {
  /** query compression rank; 0 when queries are not compressed (DeepSeek-V2-Lite: q_lora_rank null) */
  readonly q_lora_rank: number;
  readonly kv_lora_rank: number;
  readonly qk_nope_head_dim: number;
  readonly qk_rope_head_dim: number;
  readonly v_head_dim: number;
}

export interface ModelShape {
  readonly layers: number;
  readonly hidden_size: number;
  readonly attention_heads: number;
  /** key/value heads: = attention_heads for MHA, fewer for GQA, 1 for MQA (ignored with MLA) */
  readonly kv_heads: number;
  /** query/key head width; with MLA: qk_nope_head_dim + qk_rope_head_dim */
  readonly head_dim: number;
  /** MLP width of a dense layer; also each routed expert's width unless moe_intermediate_size is set (Mixtral) */
  readonly intermediate_size: number;
  readonly vocab_size: number;
  /** routed experts per MoE layer; 1 for a dense model */
  readonly experts: number;
  readonly experts_per_token: number;
  readonly max_context: number;
  /** 'gated': SwiGLU-style, 3 matrices (Llama, Mistral); 'plain': 2 matrices (GPT-2/3, NeoX, BLOOM, Falcon, BERT) */
  readonly mlp: 'gated' | 'plain';
  readonly tied_embeddings: boolean;
  /** learned absolute position embeddings (GPT-2/3, BERT); 0 with rotary or ALiBi */
  readonly learned_positions: number;
  /** linear-layer biases and LayerNorm (GPT-2/3, NeoX, BLOOM, BERT) vs bias-free + RMSNorm (Llama) */
  readonly biases: boolean;

  /** width of each routed expert (HF moe_intermediate_size); default intermediate_size */
  readonly moe_intermediate_size?: number;
  /** always-active experts in every MoE layer (DeepSeek n_shared_experts, Llama-4's one); default 0 */
  readonly shared_experts?: number;
  /** width of each shared expert; default moe_intermediate_size */
  readonly shared_expert_intermediate_size?: number;
  /** leading layers with a dense MLP (DeepSeek first_k_dense_replace); default 0 */
  readonly first_dense_layers?: number;
  /**
   * Past first_dense_layers, layer i (0-based) is MoE when (i + 1) % moe_layer_step == 0: Qwen-MoE's
   * decoder_sparse_step and Llama-4's interleave_moe_layer_step use this rule. Default 1 (all layers).
   */
  readonly moe_layer_step?: number;
  /** further layers kept dense (Qwen-MoE mlp_only_layers), 0-based */
  readonly mlp_only_layers?: readonly number[];
  readonly mla?: MlaShape;
  /** layers with sliding-window attention (gpt-oss: every other one); default 0 */
  readonly sliding_window_layers?: number;
  /** their window in tokens: a sequence keeps at most this many tokens of KV in those layers */
  readonly sliding_window?: number;
  /** one learned sink logit per head per layer (gpt-oss; OpenAI gpt-oss model card, 2025) */
  readonly attention_sinks?: boolean;
  /** biases on the q/k/v/o projections; default `biases` */
  readonly attention_bias?: boolean;
  /** biases on MLP and expert projections and on the router; default `biases` */
  readonly mlp_bias?: boolean;
  /**
   * Bits per routed-expert weight as the checkpoint ships them, whatever the serving dtype of the
   * rest: gpt-oss's MXFP4 experts are 4-bit elements plus one 8-bit scale per 32 = 4.25 bits
   * (OCP Microscaling Formats v1.0 spec, 2023). Undefined: experts use the serving dtype.
   */
  readonly expert_weight_bits?: number;
  /**
   * Multi-token-prediction modules shipped in the checkpoint (DeepSeek-V3: 1). vLLM loads them only
   * for speculative decoding (speculative method deepseek_mtp), not by default, so they are counted
   * apart (ParamCounts.mtp) and not in total, active or the memory sizing.
   */
  readonly mtp_layers?: number;
  /**
   * Its FP8 weights carry one scale per 128x128 block, with activations quantised per group of 128
   * (DeepSeek-V3's native checkpoint, the Qwen3 team's FP8 releases, a config.json whose
   * quantization_config names a weight_block_size): served in FP8 on FP8 tensor cores, its GEMMs
   * run on the block-scaled kernels (dtype.ts BLOCK_FP8_KERNEL_SHARE). Undefined: per-tensor or
   * per-channel FP8 (TensorRT-LLM's ModelOpt, vLLM's --quantization fp8, the FP8 Llama releases).
   */
  readonly fp8_block_scaled?: boolean;
  /**
   * A quantised checkpoint's layer weights kept in 16 bits (its quantization_config's
   * modules_to_not_convert; unquantized-modules.ts): parameters of the attention and MLP
   * projections it lists, stored, streamed and multiplied at 16 bits whatever the serving dtype of
   * the rest. Default 0.
   */
  readonly unquantized_layer_params?: number;
  /**
   * A mixed-precision checkpoint's share of every layer's linear weights (attention and routed
   * expert projections alike; not the LM head or the embedding) kept in 16 bits while the rest is
   * FP8: ModelOpt's AutoQuantize under an effective-bits budget (dtype.ts withEffectiveBits). Which
   * layers it keeps is not published, so the share is read as spread over them in proportion to
   * their parameters. Default 0.
   */
  readonly unquantized_linear_share?: number;
  /** The LM head kept in 16 bits (the same list). */
  readonly unquantized_lm_head?: boolean;
  /** The input embedding kept in 16 bits (the same list). */
  readonly unquantized_embedding?: boolean;
  /**
   * Weights of an image encoder and its projector shipped in the checkpoint (Gemma 3's SigLIP
   * tower): loaded and split over the TP ranks like the rest (vLLM loads them unless told the
   * model serves text only), never passed through by a text token. Default 0.
   */
  readonly vision_params?: number;
}

export interface ParamCounts {
  /** everything served by default (MTP modules excluded) */
  readonly total: number;
  /** parameters a token passes through (MoE: non-expert weights + experts_per_token routed experts), input embedding included */
  readonly active: number;
  /** input token embeddings + learned positions: a lookup, no matmul FLOPs */
  readonly input_embedding: number;
  /** output projection to the vocabulary (shares storage with the input embedding when tied) */
  readonly lm_head: number;
  /** all routed-expert weights (0 for dense models); shared experts are not in here */
  readonly expert_total: number;
  /** all shared-expert weights */
  readonly shared_expert_total: number;
  /** K and V projections of standard attention (vLLM replicates them when there are fewer KV heads than TP ranks) */
  readonly kv_projection: number;
  /** weights vLLM keeps whole on every TP rank: MLA down-projections and their norms, MoE routers */
  readonly replicated: number;
  readonly moe_layers: number;
  /** multi-token-prediction modules, not in total */
  readonly mtp: number;
  /** image encoder and projector (vision_params), in total, not in active */
  readonly vision: number;
}

/** Is layer i (0-based) a mixture-of-experts layer? */
export function isMoeLayer(s: ModelShape, i: number): boolean {
  if (s.experts <= 1 || i < (s.first_dense_layers ?? 0)) return false;
  if ((i + 1) % (s.moe_layer_step ?? 1) !== 0) return false;
  return !(s.mlp_only_layers ?? []).includes(i);
}

export function moeLayerCount(s: ModelShape): number {
  let n = 0;
  for (let i = 0; i < s.layers; i++) if (isMoeLayer(s, i)) n++;
  return n;
}

/**
 * Sliding-window layers sized and timed as windowed: all of them where at least one layer attends
 * fully, none where every layer slides. fleetsim counts a KV cache in tokens of the full-attention
 * layers (a sequence's windows as tokens of the same bytes: memory.ts, step.ts windowKvTokens, the
 * replica's blocks); a model without such a layer has no unit to count in, so it is counted in
 * tokens of all its layers, timed as full attention (prefill and decode: conservative past the
 * window), and its KV cache bounded per sequence by the window (kvTokensPerSequenceBound).
 * perf says so (model-error.ts knownWindowBias).
 */
export function windowedLayers(s: Pick<ModelShape, 'layers' | 'sliding_window_layers'>): number {
  const sliding = s.sliding_window_layers ?? 0;
  return sliding < s.layers ? sliding : 0;
}

/**
 * The most KV cache tokens one sequence holds where every layer slides over a window: the window
 * (vLLM's hybrid allocator frees the blocks that fall out of it), else 0 (no bound: the full
 * layers' cache grows with the context, and mixed models' windows are windowKvTokens's).
 */
export function kvTokensPerSequenceBound(s: Pick<ModelShape, 'layers' | 'sliding_window_layers' | 'sliding_window'>): number {
  return (s.sliding_window_layers ?? 0) >= s.layers && s.layers > 0 ? s.sliding_window ?? 0 : 0;
}

/** Layers whose KV cache grows with the context (all but the windowed ones). */
export function fullAttentionLayers(s: ModelShape): number {
  return s.layers - windowedLayers(s);
}

interface AttentionCounts { params: number; kv_projection: number; replicated: number }

function attentionParams(s: ModelShape): AttentionCounts {
  const h = s.hidden_size;
  const sinks = s.attention_sinks ? s.attention_heads : 0;
  if (s.mla) {
    // DeepSeek-V2 paper eq. 9-14 and HF modeling_deepseek.py: q_a (h x q_lora) + its RMSNorm +
    // q_b (q_lora x heads*(nope+rope)), or one q_proj without compression; kv_a_proj_with_mqa
    // (h x (kv_lora+rope)) + its RMSNorm; kv_b (kv_lora x heads*(nope+v)); o_proj (heads*v x h).
    const m = s.mla;
    const qHead = m.qk_nope_head_dim + m.qk_rope_head_dim;
    const q = m.q_lora_rank > 0 ? h * m.q_lora_rank + m.q_lora_rank + m.q_lora_rank * s.attention_heads * qHead : h * s.attention_heads * qHead;
    const kvDown = h * (m.kv_lora_rank + m.qk_rope_head_dim) + m.kv_lora_rank;
    const kvUp = m.kv_lora_rank * s.attention_heads * (m.qk_nope_head_dim + m.v_head_dim);
    const o = s.attention_heads * m.v_head_dim * h;
    // vLLM's DeepseekV2MLAAttention: q_a_proj and kv_a_proj_with_mqa are ReplicatedLinear
    const replicated = (m.q_lora_rank > 0 ? h * m.q_lora_rank + m.q_lora_rank : 0) + kvDown;
    return { params: q + kvDown + kvUp + o + sinks, kv_projection: 0, replicated };
  }
  const qDim = s.attention_heads * s.head_dim;
  const kvDim = s.kv_heads * s.head_dim;
  const bias = s.attention_bias ?? s.biases;
  const kvProjection = 2 * h * kvDim + (bias ? 2 * kvDim : 0);
  const params = h * qDim + qDim * h + kvProjection + (bias ? qDim + h : 0) + sinks;
  return { params, kv_projection: kvProjection, replicated: 0 };
}

/** One MLP (or one expert) of the given width. */
function mlpParams(s: ModelShape, width: number): number {
  const gated = s.mlp === 'gated';
  const bias = (s.mlp_bias ?? s.biases) ? (gated ? 2 : 1) * width + s.hidden_size : 0;
  return (gated ? 3 : 2) * s.hidden_size * width + bias;
}

/**
 * Parameters of the row-parallel GEMMs, whose outputs tensor parallelism all-reduces: every layer's
 * attention output projection, the dense layers' MLP down projection and the MoE layers' shared
 * experts' (Megatron-style TP; the routed experts' are counted with the experts).
 */
export function rowParallelParams(s: ModelShape): number {
  const h = s.hidden_size;
  const valueDim = s.mla ? s.mla.v_head_dim : s.head_dim;
  const moeLayers = moeLayerCount(s);
  const sharedWidth = (s.shared_experts ?? 0) * (s.shared_expert_intermediate_size ?? s.moe_intermediate_size ?? s.intermediate_size);
  return s.layers * s.attention_heads * valueDim * h + (s.layers - moeLayers) * s.intermediate_size * h + moeLayers * sharedWidth * h;
}

export function countParams(s: ModelShape): ParamCounts {
  const h = s.hidden_size;
  const attn = attentionParams(s);
  // two norms per layer: RMSNorm has a weight, LayerNorm a weight and a bias
  const norms = (s.biases ? 4 : 2) * h;
  const moeLayers = moeLayerCount(s);
  const denseLayers = s.layers - moeLayers;
  const moeWidth = s.moe_intermediate_size ?? s.intermediate_size;
  const expert = mlpParams(s, moeWidth);
  const sharedCount = s.shared_experts ?? 0;
  const shared = sharedCount * mlpParams(s, s.shared_expert_intermediate_size ?? moeWidth);
  const router = s.experts > 1 ? h * s.experts + ((s.mlp_bias ?? s.biases) ? s.experts : 0) : 0;

  const inputEmbedding = s.vocab_size * h + s.learned_positions * h;
  const lmHead = s.vocab_size * h;
  const storedHead = s.tied_embeddings ? 0 : lmHead;
  const finalNorm = (s.biases ? 2 : 1) * h;
  const fixed = inputEmbedding + storedHead + finalNorm;
  const perLayer = attn.params + norms;
  const denseMlps = denseLayers * mlpParams(s, s.intermediate_size);
  const expertTotal = moeLayers * s.experts * expert;
  // DeepSeek-V3 README_WEIGHTS.md: an MTP module is enorm + hnorm, eh_proj (2h x h), one more
  // MoE transformer layer and the shared head's norm; embedding and output head are shared.
  const mtpLayers = s.mtp_layers ?? 0;
  const mtp = mtpLayers * (3 * h + 2 * h * h + perLayer + s.experts * expert + shared + router);
  const vision = s.vision_params ?? 0;
  return {
    total: fixed + s.layers * perLayer + denseMlps + moeLayers * (shared + router) + expertTotal + vision,
    active: fixed + s.layers * perLayer + denseMlps + moeLayers * (shared + router + s.experts_per_token * expert),
    input_embedding: inputEmbedding,
    lm_head: lmHead,
    expert_total: expertTotal,
    shared_expert_total: moeLayers * shared,
    kv_projection: s.layers * attn.kv_projection,
    replicated: s.layers * attn.replicated + moeLayers * router,
    moe_layers: moeLayers,
    mtp,
    vision,
  };
}
