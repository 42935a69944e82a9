import { UserError } from '../errors.ts';
import { quote } from '../util/excerpt.ts';
import type { Reader } from './hf-config.ts';
import type { ModelShape } from './shape.ts';

/**
 * One reader per architecture family of Hugging Face config.json files. Each reads the key
 * spellings of its family, supplies what the family's modelling code fixes without saying so in
 * the file, and marks every field it placed (Reader.placed) so hf-config.ts can refuse the rest.
 * Sources: the transformers configuration_*.py / modeling_*.py of each family (v4.55).
 */
export type Family = 'llama' | 'mixtral' | 'qwen_moe' | 'deepseek' | 'llama4' | 'gpt_oss' | 'gemma' | 'gpt2' | 'gpt_neox' | 'bloom' | 'falcon' | 'bert';

const MODEL_TYPES: Readonly<Record<string, Family>> = {
  // Qwen2 has q/k/v biases (3 x 4096-ish per layer, < 0.01% of any Qwen2): not counted
  llama: 'llama', mistral: 'llama', qwen2: 'llama', qwen3: 'llama',
  mixtral: 'mixtral',
  qwen2_moe: 'qwen_moe', qwen3_moe: 'qwen_moe',
  deepseek_v2: 'deepseek', deepseek_v3: 'deepseek',
  llama4: 'llama4', llama4_text: 'llama4',
  gpt_oss: 'gpt_oss',
  // Gemma 3's multimodal checkpoints nest the language model under text_config (hf-config.ts)
  gemma: 'gemma', gemma2: 'gemma', gemma3_text: 'gemma', gemma3: 'gemma',
  gpt2: 'gpt2',
  gpt_neox: 'gpt_neox',
  bloom: 'bloom',
  // older Falcon checkpoints used these model_type names
  falcon: 'falcon', RefinedWeb: 'falcon', RefinedWebModel: 'falcon',
  bert: 'bert', roberta: 'bert', 'xlm-roberta': 'bert',
};

export const KNOWN_MODEL_TYPES: readonly string[] = Object.keys(MODEL_TYPES);

export function familyOf(modelType: string | undefined): Family | undefined {
  return modelType !== undefined && Object.hasOwn(MODEL_TYPES, modelType) ? MODEL_TYPES[modelType] : undefined;
}

interface Core { layers: number; hidden_size: number; attention_heads: number; vocab_size: number; head_dim: number }

/**
 * Most layers a config may have: fifty times the deepest published transformer's (about 200).
 * The MoE layout is worked out layer by layer (shape.ts moeLayerCount, Llama-4's moe_layers), so
 * 2^31 - 1 layers took 20 s (DeepSeek), ran out of memory (Llama-4) or never ended (Qwen-MoE).
 */
export const MAX_CONFIG_LAYERS = 10_000;

/**
 * Most routed experts a layer may have: eight times the most any published model has (512). A
 * config.json with 1e9 experts was refused as not fitting the GPUs, without naming its field.
 */
export const MAX_CONFIG_EXPERTS = 4_096;

/** A MoE family's routed-expert count under its spelling, bounded (MAX_CONFIG_EXPERTS). */
function expertCount(r: Reader, key: string): number {
  return r.int([key], undefined, 1, MAX_CONFIG_EXPERTS);
}

function core(r: Reader, file: string): Core {
  const hidden = r.int(['hidden_size', 'n_embd', 'n_embed', 'd_model']);
  const layers = r.int(['num_hidden_layers', 'n_layer', 'num_layers'], undefined, 1, MAX_CONFIG_LAYERS);
  const heads = r.int(['num_attention_heads', 'n_head']);
  const vocab = r.int(['vocab_size']);
  const headDim = r.int(['head_dim'], hidden / heads);
  if (!Number.isInteger(headDim)) {
    throw new UserError(`${file}: hidden_size ${hidden} is not a multiple of num_attention_heads ${heads}: set head_dim`);
  }
  return { layers, hidden_size: hidden, attention_heads: heads, vocab_size: vocab, head_dim: headDim };
}

/** Bias-free SwiGLU decoder with RMSNorm and rotary positions (Llama, Mistral, Qwen2/3 and the MoE families built on it). */
function llamaCore(r: Reader, file: string): Omit<ModelShape, 'intermediate_size' | 'experts' | 'experts_per_token'> {
  const c = core(r, file);
  return {
    ...c, kv_heads: r.int(['num_key_value_heads', 'num_kv_heads'], c.attention_heads),
    max_context: r.int(['max_position_embeddings', 'n_positions', 'seq_length']), mlp: 'gated',
    tied_embeddings: r.bool('tie_word_embeddings', false), learned_positions: 0, biases: false,
  };
}

function refuseQwenSlidingWindow(r: Reader, file: string): void {
  // Qwen2/3 windowing applies to the layers from max_window_layers on; no released checkpoint turns
  // it on, and the loader does not place it
  if (r.bool('use_sliding_window', false)) {
    throw new UserError(`${file}: use_sliding_window true (with sliding_window, max_window_layers): the loader cannot place Qwen's per-layer windowing; refusing to size it by guess`);
  }
  r.setAside('sliding_window', 'max_window_layers');
}

function llama(r: Reader, file: string): ModelShape {
  // Mistral's sliding_window (4096 in v0.1) is left aside: every layer is sized as full attention,
  // which overstates the KV cache of sequences longer than the window (conservative)
  refuseQwenSlidingWindow(r, file);
  // no default width: a gated MLP has no rule of thumb (Llama 2 7B's 11,008 is 2.7x its hidden
  // size, Llama 3 8B's 14,336 3.5x), and 4x read Llama 2 7B at 17.7 GB for 13.5
  return { ...llamaCore(r, file), intermediate_size: r.int(['intermediate_size', 'ffn_dim', 'n_inner']), experts: 1, experts_per_token: 1 };
}

function mixtral(r: Reader, file: string): ModelShape {
  // Mixtral: every layer MoE, experts of intermediate_size, no shared expert (modeling_mixtral.py)
  r.setAside('router_aux_loss_coef', 'output_router_logits', 'router_jitter_noise');
  return {
    ...llamaCore(r, file), intermediate_size: r.int(['intermediate_size']),
    experts: expertCount(r, 'num_local_experts'), experts_per_token: r.int(['num_experts_per_tok']),
  };
}

function qwenMoe(r: Reader, file: string): ModelShape {
  // modeling_qwen2_moe.py / modeling_qwen3_moe.py: layer i is sparse when it is not in
  // mlp_only_layers and (i + 1) % decoder_sparse_step == 0; Qwen2-MoE adds one shared expert of
  // shared_expert_intermediate_size (and a 1-wide shared_expert_gate, not counted)
  refuseQwenSlidingWindow(r, file);
  r.setAside('norm_topk_prob', 'router_aux_loss_coef', 'output_router_logits');
  const base = llamaCore(r, file);
  const sharedWidth = r.count('shared_expert_intermediate_size', 0);
  const mlpOnly = r.intList('mlp_only_layers');
  if (mlpOnly.some((i) => i >= base.layers)) {
    throw new UserError(`${file}: mlp_only_layers: expected layer indices below num_hidden_layers ${base.layers}, got ${quote(mlpOnly)}`);
  }
  return {
    ...base, intermediate_size: r.int(['intermediate_size']),
    experts: expertCount(r, 'num_experts'), experts_per_token: r.int(['num_experts_per_tok']),
    moe_intermediate_size: r.int(['moe_intermediate_size']),
    moe_layer_step: r.int(['decoder_sparse_step'], 1),
    ...(mlpOnly.length > 0 ? { mlp_only_layers: mlpOnly } : {}),
    ...(sharedWidth > 0 ? { shared_experts: 1, shared_expert_intermediate_size: sharedWidth } : {}),
  };
}

function deepseek(r: Reader, file: string): ModelShape {
  // DeepSeek-V2/V3 modeling_deepseek.py: layer i is MoE when n_routed_experts is set,
  // i >= first_k_dense_replace and i % moe_layer_freq == 0; attention is MLA
  r.setAside('n_group', 'topk_group', 'topk_method', 'routed_scaling_factor', 'scoring_func', 'norm_topk_prob', 'aux_loss_alpha', 'seq_aux', 'ep_size');
  const c = core(r, file);
  const routed = r.int(['n_routed_experts'], 0, 0, MAX_CONFIG_EXPERTS);
  if (r.int(['moe_layer_freq'], 1) !== 1) {
    throw new UserError(`${file}: moe_layer_freq ${JSON.stringify(r.cfg.moe_layer_freq)}: only 1 (every layer past first_k_dense_replace) is understood; refusing to size it by guess`);
  }
  const qkNope = r.int(['qk_nope_head_dim']);
  const qkRope = r.int(['qk_rope_head_dim']);
  const moe = routed > 0
    ? {
      experts: routed, experts_per_token: r.int(['num_experts_per_tok']), moe_intermediate_size: r.int(['moe_intermediate_size']),
      shared_experts: r.count('n_shared_experts', 0), first_dense_layers: r.count('first_k_dense_replace', 0),
    }
    : { experts: 1, experts_per_token: 1 };
  return {
    ...c, kv_heads: r.int(['num_key_value_heads'], c.attention_heads), head_dim: qkNope + qkRope,
    intermediate_size: r.int(['intermediate_size']), ...moe,
    mla: {
      q_lora_rank: r.count('q_lora_rank', 0), kv_lora_rank: r.int(['kv_lora_rank']),
      qk_nope_head_dim: qkNope, qk_rope_head_dim: qkRope, v_head_dim: r.int(['v_head_dim']),
    },
    mtp_layers: r.count('num_nextn_predict_layers', 0),
    max_context: r.int(['max_position_embeddings']), mlp: 'gated',
    tied_embeddings: r.bool('tie_word_embeddings', false), learned_positions: 0, biases: false,
  };
}

function llama4(r: Reader, file: string): ModelShape {
  // modeling_llama4.py: MoE layers are moe_layers, by default every interleave_moe_layer_step-th
  // ((i + 1) % step == 0); each has num_local_experts routed experts of intermediate_size plus one
  // shared expert of the same width; the other layers are dense MLPs of intermediate_size_mlp.
  // attention_chunk_size (local attention on 3 layers of 4) is left aside: every layer is sized as
  // full attention, which overstates the KV cache of sequences longer than a chunk (conservative).
  r.setAside('attention_chunk_size', 'no_rope_layers', 'use_qk_norm', 'router_aux_loss_coef', 'output_router_logits');
  const base = llamaCore(r, file);
  const expertWidth = r.int(['intermediate_size']);
  const explicit = r.intList('moe_layers');
  if (explicit.some((i) => i >= base.layers)) {
    throw new UserError(`${file}: ${r.prefix}moe_layers: expected layer indices below num_hidden_layers ${base.layers}, got ${quote(explicit)}`);
  }
  const moeLayers = new Set(explicit);
  const layout = explicit.length > 0
    ? { moe_layer_step: 1, mlp_only_layers: Array.from({ length: base.layers }, (_, i) => i).filter((i) => !moeLayers.has(i)) }
    : { moe_layer_step: r.int(['interleave_moe_layer_step'], 1) };
  return {
    ...base, intermediate_size: r.int(['intermediate_size_mlp']),
    experts: expertCount(r, 'num_local_experts'), experts_per_token: r.int(['num_experts_per_tok']),
    moe_intermediate_size: expertWidth, shared_experts: 1, shared_expert_intermediate_size: expertWidth, ...layout,
  };
}

/**
 * Layers with sliding-window attention: from layer_types (transformers writes it for every hybrid
 * model since v4.53), else by the family's rule for the configs written before it.
 */
function slidingLayerCount(r: Reader, file: string, layers: number, slidingByDefault: (layer: number) => boolean): number {
  const types = r.strList('layer_types') ?? Array.from({ length: layers }, (_, i) => (slidingByDefault(i) ? 'sliding_attention' : 'full_attention'));
  const bad = types.find((t) => t !== 'sliding_attention' && t !== 'full_attention');
  if (bad !== undefined || types.length !== layers) {
    throw new UserError(`${file}: ${r.prefix}layer_types: expected ${layers} entries of "sliding_attention" or "full_attention", got ${JSON.stringify(bad ?? types.length)}`);
  }
  return types.filter((t) => t === 'sliding_attention').length;
}

function gptOss(r: Reader, file: string): ModelShape {
  // modeling_gpt_oss.py: every layer MoE (experts with biases, router with bias), attention with
  // biases and one sink logit per head, layer_types alternating sliding (window sliding_window)
  // and full attention; default when absent: even layers sliding.
  r.setAside('swiglu_limit', 'router_aux_loss_coef', 'output_router_logits', 'initial_context_length');
  const base = llamaCore(r, file);
  const k = r.int(['num_experts_per_tok']);
  const alias = r.int(['experts_per_token'], k);
  if (alias !== k) throw new UserError(`${file}: experts_per_token ${alias} disagrees with num_experts_per_tok ${k}`);
  const sliding = slidingLayerCount(r, file, base.layers, (i) => i % 2 === 0);
  const quant = r.object('quantization_config');
  // MXFP4: 4-bit elements, one 8-bit shared scale per 32 (OCP MX spec v1.0) = 4.25 bits per weight
  const mxfp4 = quant?.quant_method === 'mxfp4';
  return {
    ...base, intermediate_size: r.int(['intermediate_size']),
    experts: expertCount(r, 'num_local_experts'), experts_per_token: k,
    ...(sliding > 0 ? { sliding_window_layers: sliding, sliding_window: r.int(['sliding_window']) } : {}),
    attention_sinks: true, attention_bias: r.bool('attention_bias', true), mlp_bias: true,
    ...(mxfp4 ? { expert_weight_bits: 4.25 } : {}),
  };
}

/**
 * Each Gemma generation's transformers defaults (configuration_gemma.py, _gemma2.py, _gemma3.py):
 * Gemma 3's multimodal config.json files leave most of the text model's fields to them
 * (google/gemma-3-4b-it gives no head counts, google/gemma-3-27b-it no vocab_size).
 */
const GEMMA_DEFAULTS = {
  gemma: { vocab_size: 256000, hidden_size: 3072, intermediate_size: 24576, num_hidden_layers: 28, num_attention_heads: 16, num_key_value_heads: 16, max_position_embeddings: 8192, sliding_window: 0 },
  gemma2: { vocab_size: 256000, hidden_size: 2304, intermediate_size: 9216, num_hidden_layers: 26, num_attention_heads: 8, num_key_value_heads: 4, max_position_embeddings: 8192, sliding_window: 4096 },
  gemma3_text: { vocab_size: 262208, hidden_size: 2304, intermediate_size: 9216, num_hidden_layers: 26, num_attention_heads: 8, num_key_value_heads: 4, max_position_embeddings: 131072, sliding_window: 4096 },
} as const;

/** Gemma 1 has no sliding layers; Gemma 2 slides on even layers; Gemma 3 on five of every sliding_window_pattern (6). */
function gemmaSlidingRule(r: Reader, generation: keyof typeof GEMMA_DEFAULTS): (layer: number) => boolean {
  if (generation === 'gemma') return () => false;
  if (generation === 'gemma2') return (i) => i % 2 === 0;
  const pattern = r.int(['sliding_window_pattern'], 6);
  return (i) => (i + 1) % pattern !== 0;
}

function gemma(r: Reader, file: string): ModelShape {
  // modeling_gemma*.py: Llama's layout with a gated GELU MLP, 256-wide heads (Gemma 2 27B and
  // Gemma 3 27B: 128), tied embeddings; four RMSNorms a layer (two counted, 2 x hidden_size
  // a layer left out: under 0.01%) and Gemma 3's q/k norms (head_dim each) likewise.
  // Softcapping and the query scale change no size.
  const modelType = r.str('model_type');
  const generation = modelType === 'gemma' || modelType === 'gemma2' ? modelType : 'gemma3_text';
  const d = GEMMA_DEFAULTS[generation];
  if (r.bool('use_bidirectional_attention', false)) {
    throw new UserError(`${file}: ${r.prefix}use_bidirectional_attention true: an embedding model (EmbeddingGemma) the loader does not read; refusing to size it by guess`);
  }
  r.setAside('hidden_activation', 'hidden_act', 'query_pre_attn_scalar', 'attn_logit_softcapping', 'final_logit_softcapping');
  const hidden = r.int(['hidden_size'], d.hidden_size);
  const layers = r.int(['num_hidden_layers'], d.num_hidden_layers, 1, MAX_CONFIG_LAYERS);
  const heads = r.int(['num_attention_heads'], d.num_attention_heads);
  const sliding = slidingLayerCount(r, file, layers, gemmaSlidingRule(r, generation));
  return {
    layers, hidden_size: hidden, attention_heads: heads, vocab_size: r.int(['vocab_size'], d.vocab_size), head_dim: r.int(['head_dim'], 256),
    kv_heads: r.int(['num_key_value_heads'], d.num_key_value_heads), intermediate_size: r.int(['intermediate_size'], d.intermediate_size),
    experts: 1, experts_per_token: 1, max_context: r.int(['max_position_embeddings'], d.max_position_embeddings), mlp: 'gated',
    tied_embeddings: r.bool('tie_word_embeddings', true), learned_positions: 0, biases: false,
    ...(r.bool('attention_bias', false) ? { attention_bias: true } : {}),
    ...(sliding > 0 ? { sliding_window_layers: sliding, sliding_window: r.int(['sliding_window'], d.sliding_window || undefined) } : {}),
  };
}

/**
 * A SigLIP image encoder with Gemma 3's projector (modeling_siglip.py, modeling_gemma3.py;
 * SiglipVisionConfig's defaults): patch and position embeddings, encoder layers of attention and
 * a plain GELU MLP with biases and two LayerNorms, a final LayerNorm, the attention-pooling head
 * when vision_use_head is not false, and the projector's RMSNorm and matrix to the text width.
 */
export function siglipParams(v: Reader, file: string, textHidden: number): number {
  const modelType = v.str('model_type');
  if (modelType !== undefined && modelType !== 'siglip_vision_model') {
    throw new UserError(`${file}: ${v.prefix}model_type: expected "siglip_vision_model" (the image encoder the loader sizes), got ${quote(modelType)}`);
  }
  v.setAside('hidden_act', 'layer_norm_eps', 'attention_dropout', 'num_attention_heads');
  const h = v.int(['hidden_size'], 768);
  const inner = v.int(['intermediate_size'], 3072);
  const layers = v.int(['num_hidden_layers'], 12, 1, MAX_CONFIG_LAYERS);
  const patch = v.int(['patch_size'], 16);
  const positions = Math.floor(v.int(['image_size'], 224) / patch) ** 2;
  const attention = 4 * (h * h + h);
  const mlp = 2 * h * inner + inner + h;
  const head = v.bool('vision_use_head', true) ? h + attention + 2 * h + mlp : 0;
  const embeddings = v.int(['num_channels'], 3) * patch * patch * h + h + positions * h;
  return embeddings + layers * (attention + mlp + 4 * h) + 2 * h + head + h + h * textHidden;
}

function gpt2(r: Reader, file: string): ModelShape {
  const c = core(r, file);
  const positions = r.int(['n_positions', 'n_ctx'], 1024);
  return {
    ...c, kv_heads: c.attention_heads, intermediate_size: r.int(['n_inner'], 4 * c.hidden_size), experts: 1, experts_per_token: 1,
    max_context: positions, mlp: 'plain', tied_embeddings: r.bool('tie_word_embeddings', true),
    learned_positions: positions, biases: true,
  };
}

function gptNeox(r: Reader, file: string): ModelShape {
  const c = core(r, file);
  return {
    ...c, kv_heads: c.attention_heads, intermediate_size: r.int(['intermediate_size'], 4 * c.hidden_size), experts: 1, experts_per_token: 1,
    max_context: r.int(['max_position_embeddings'], 2048), mlp: 'plain',
    tied_embeddings: r.bool('tie_word_embeddings', false), learned_positions: 0, biases: true,
  };
}

function bloom(r: Reader, file: string): ModelShape {
  // BLOOM: ALiBi positions, d_ff = 4 d_model, tied embeddings; configs carry no context length
  const c = core(r, file);
  return {
    ...c, kv_heads: c.attention_heads, intermediate_size: 4 * c.hidden_size, experts: 1, experts_per_token: 1,
    max_context: r.int(['seq_length', 'max_position_embeddings'], 2048), mlp: 'plain',
    tied_embeddings: r.bool('tie_word_embeddings', true), learned_positions: 0, biases: true,
  };
}

function falcon(r: Reader, file: string): ModelShape {
  // new_decoder_architecture (40B/180B): grouped KV heads; else multi_query (7B): one KV head
  const c = core(r, file);
  const kvHeads = r.bool('new_decoder_architecture', false)
    ? r.int(['num_kv_heads', 'n_head_kv'], c.attention_heads)
    : r.bool('multi_query', true) ? 1 : c.attention_heads;
  return {
    ...c, kv_heads: kvHeads, intermediate_size: r.int(['ffn_hidden_size'], 4 * c.hidden_size), experts: 1, experts_per_token: 1,
    max_context: r.int(['max_position_embeddings'], 2048), mlp: 'plain',
    tied_embeddings: r.bool('tie_word_embeddings', true), learned_positions: 0, biases: r.bool('bias', false),
  };
}

function bert(r: Reader, file: string): ModelShape {
  // encoders (embedding models): learned positions, GELU MLP, biases, tied MLM head
  const c = core(r, file);
  const positions = r.int(['max_position_embeddings'], 512);
  return {
    ...c, kv_heads: c.attention_heads, intermediate_size: r.int(['intermediate_size'], 4 * c.hidden_size), experts: 1, experts_per_token: 1,
    max_context: positions, mlp: 'plain', tied_embeddings: true, learned_positions: positions, biases: true,
  };
}

export const FAMILY_READERS: Readonly<Record<Family, (r: Reader, file: string) => ModelShape>> = {
  llama, mixtral, qwen_moe: qwenMoe, deepseek, llama4, gpt_oss: gptOss, gemma, gpt2, gpt_neox: gptNeox, bloom, falcon, bert,
};
