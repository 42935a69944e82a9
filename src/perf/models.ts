import type { ModelShape } from './shape.ts';
import type { CheckpointDtype } from './checkpoint-dtype.ts';
import { readUnquantizedModules } from './unquantized-modules.ts';

/**
 * Model catalog. params_total / params_active are the published figures; the shapes are the
 * published configs, and test/perf checks that countParams(shape) agrees with the published count
 * and, where scenarios/data/model-configs/ holds the model's config.json, that the loader reads
 * the same shape from it.
 *
 * params_active counts the input embedding (a lookup; step.ts takes it out of the FLOPs). Vendors
 * differ: Mistral, Meta and Qwen count it in their "active" figure, OpenAI (gpt-oss) and DeepSeek
 * (README_WEIGHTS.md) do not, so for those two the entry adds it to the published figure.
 */
export type ModelId =
  | 'gpt-3-175b'
  | 'gpt-20b'
  | 'llama-2-7b'
  | 'llama-2-13b'
  | 'llama-2-70b'
  | 'llama-3-8b'
  | 'llama-3-70b'
  | 'llama-3.1-8b'
  | 'llama-3.1-70b'
  | 'llama-3.3-70b'
  | 'llama-3.1-405b'
  | 'llama-3.1-405b-meta-fp8'
  | 'mixtral-8x7b'
  | 'mixtral-8x22b'
  | 'qwen3-8b'
  | 'qwen3-14b'
  | 'qwen3-32b'
  | 'qwen3-30b-a3b'
  | 'qwen3-235b-a22b'
  | 'deepseek-v3'
  | 'gpt-oss-120b'
  | 'gpt-oss-20b'
  | 'llama-4-scout'
  | 'llama-4-maverick'
  | 'gpt-neox-20b'
  | 'llama-7b'
  | 'llama-13b'
  | 'llama-33b'
  | 'llama-65b'
  | 'llama-3.2-1b'
  | 'llama-3.2-3b'
  | 'codellama-34b'
  | 'mistral-7b'
  | 'mistral-nemo-12b'
  | 'mistral-large-123b'
  | 'qwen2.5-7b'
  | 'qwen2.5-14b'
  | 'qwen2.5-32b'
  | 'qwen2.5-72b'
  | 'qwen2-7b'
  | 'qwen2-72b'
  | 'yi-34b'
  | 'phi-3-mini'
  | 'phi-3-medium'
  | 'dbrx'
  | 'gpt-j-6b'
  | 'opt-13b'
  | 'opt-30b'
  | 'opt-66b'
  | 'falcon-180b'
  | 'gemma-2-2b'
  | 'gemma-2-9b'
  | 'gemma-2-27b'
  | 'gemma-3-1b'
  | 'gemma-3-4b'
  | 'gemma-3-12b'
  | 'gemma-3-27b'
  | 'qwen2.5-0.5b'
  | 'qwen2.5-1.5b'
  | 'qwen2.5-3b'
  | 'qwen3-0.6b'
  | 'qwen3-1.7b'
  | 'qwen3-4b'
  | 'qwen1.5-14b'
  | 'qwen1.5-72b'
  | 'qwen1.5-110b'
  | 'qwen2-57b-a14b'
  | 'codellama-7b'
  | 'codellama-13b'
  | 'codellama-70b'
  | 'falcon-7b'
  | 'falcon-40b'
  | 'mpt-7b'
  | 'mpt-30b'
  | 'deepseek-v2'
  | 'deepseek-v2-lite'
  | 'llama-3.2-11b-vision'
  | 'phi-3.5-mini'
  | 'phi-3.5-moe'
  | 'phi-4'
  | 'gemma-2b'
  | 'gemma-7b'
  | 'mistral-small-24b'
  | 'granite-3.1-8b'
  | 'command-r'
  | 'command-r-08-2024'
  | 'command-r-plus'
  | 'text-embedding-ada-002';

export interface ModelSpec extends ModelShape {
  /** catalog id, or the file name for a model loaded from a config.json */
  readonly id: string;
  readonly name: string;
  /** 'encoder': prompt-only (embeddings), no decode phase */
  readonly kind: 'decoder' | 'encoder';
  readonly params_total: number;
  readonly params_active: number;
  /** the weight dtype its config.json declares (a model loaded from one): the default dtype it is sized with */
  readonly checkpoint?: CheckpointDtype;
}

const LLAMA_COMMON = { mlp: 'gated', tied_embeddings: false, learned_positions: 0, biases: false, experts: 1, experts_per_token: 1, kind: 'decoder' } as const;
const LLAMA_31 = { ...LLAMA_COMMON, vocab_size: 128256, max_context: 131072, kv_heads: 8, head_dim: 128 } as const;
/** Llama 3.1 405B's shape, shared by the catalog's BF16 model and Meta's FP8 release of it. */
const LLAMA_31_405B = {
  ...LLAMA_31, params_total: 405e9, params_active: 405e9, layers: 126, hidden_size: 16384, attention_heads: 128, intermediate_size: 53248,
} as const;

/**
 * What Meta's FP8 release of it keeps in 16 bits, as its quantization_config's
 * modules_to_not_convert lists them (every layer's attention, the first and last layers' MLPs, the
 * LM head), read by the same reader as a config.json's list.
 */
const META_FP8_405B_KEPT = readUnquantizedModules(
  [{ quantization_config: { quant_method: 'fbgemm_fp8', modules_to_not_convert: ['lm_head', 'model.layers.*.self_attn', 'model.layers.0.mlp', `model.layers.${LLAMA_31_405B.layers - 1}.mlp`] } }],
  LLAMA_31_405B, 'the catalog entry llama-3.1-405b-meta-fp8',
);

/**
 * Qwen3: untied embeddings from 8B up, 128-wide heads (q and k RMS-normed, a few thousand weights),
 * 40960 positions; the Qwen team's FP8 releases (Qwen3-8B-FP8 ... Qwen3-235B-A22B-FP8 model cards:
 * "fine-grained fp8 quantization with block size of 128") are block-scaled.
 */
const QWEN3 = { ...LLAMA_COMMON, vocab_size: 151936, max_context: 40960, head_dim: 128, fp8_block_scaled: true } as const;
const QWEN3_DENSE = { ...QWEN3, kv_heads: 8 } as const;
const QWEN3_MOE = { ...QWEN3, experts: 128, experts_per_token: 8, moe_layer_step: 1 } as const;
/** Llama 4 Scout and Maverick: the text model's layers (48 of hidden 5120, 40 heads of 128, 8 KV heads), top-1 routed experts of 8192 beside one shared expert, a dense MLP of 16384 where a layer has no experts */
const LLAMA_4 = {
  ...LLAMA_COMMON, layers: 48, hidden_size: 5120, attention_heads: 40, kv_heads: 8, head_dim: 128, intermediate_size: 16384,
  vocab_size: 202048, experts_per_token: 1, moe_intermediate_size: 8192, shared_experts: 1, shared_expert_intermediate_size: 8192,
} as const;
/** gpt-oss: RMSNorm, biases on attention and experts, attention sinks, MXFP4 experts, alternating 128-token sliding layers */
const GPT_OSS = {
  ...LLAMA_COMMON, hidden_size: 2880, attention_heads: 64, kv_heads: 8, head_dim: 64, intermediate_size: 2880, vocab_size: 201088,
  experts_per_token: 4, max_context: 131072, sliding_window: 128, attention_sinks: true, attention_bias: true, mlp_bias: true,
  expert_weight_bits: 4.25,
} as const;

/** LLaMA (Touvron et al., "LLaMA: Open and Efficient Foundation Language Models", 2023, Table 2): Llama's layout, MHA, vocab 32000, 2048 positions */
const LLAMA_1 = { ...LLAMA_COMMON, vocab_size: 32000, max_context: 2048, head_dim: 128 } as const;
/** Llama 3.2's small text models (HF meta-llama/Llama-3.2-1B and -3B config.json, 2024-09): tied embeddings, 8 KV heads, 131072 positions */
const LLAMA_32 = { ...LLAMA_COMMON, vocab_size: 128256, max_context: 131072, kv_heads: 8, tied_embeddings: true } as const;
/** Qwen2 and Qwen2.5 (Qwen team, "Qwen2.5 Technical Report", arXiv 2412.15115, Table 1; HF config.json): biases on q, k and v only, untied from 7B up, vocab 152064, 32768 positions (131072 with YaRN, not on by default) */
const QWEN2 = { ...LLAMA_COMMON, vocab_size: 152064, max_context: 32768, head_dim: 128, attention_bias: true, mlp_bias: false } as const;
/** Meta's OPT (Zhang et al., "OPT: Open Pre-trained Transformer Language Models", 2022, Table 1; HF facebook/opt-*): ReLU MLP of 4x, biases, tied embeddings, learned positions (2048 + an offset of 2), vocab 50272 */
/** The 7B and 72B shapes Qwen2 and Qwen2.5 share (HF Qwen/Qwen2-7B, Qwen2.5-7B, Qwen2-72B, Qwen2.5-72B config.json) */
const QWEN2_7B = { ...QWEN2, params_total: 7.61e9, params_active: 7.61e9, layers: 28, hidden_size: 3584, attention_heads: 28, kv_heads: 4, intermediate_size: 18944 } as const;
const QWEN2_72B = { ...QWEN2, params_total: 72.7e9, params_active: 72.7e9, layers: 80, hidden_size: 8192, attention_heads: 64, kv_heads: 8, intermediate_size: 29568 } as const;
const OPT = { kind: 'decoder', mlp: 'plain', tied_embeddings: true, learned_positions: 2050, biases: true, experts: 1, experts_per_token: 1, vocab_size: 50272, max_context: 2048, head_dim: 128 } as const;

/**
 * Gemma 2 and 3 (Gemma Team, "Gemma 2", arXiv 2408.00118, Table 1; "Gemma 3 Technical Report",
 * arXiv 2503.19786, Table 1; HF google/gemma-2-*, google/gemma-3-* config.json): Llama's layout
 * with a gated GELU MLP, tied embeddings, mostly 256-wide heads. Gemma 2 alternates 4,096-token
 * sliding layers with full ones (even layers slide) over an 8,192-token context; Gemma 3 slides
 * five layers of every six over 1,024 tokens (512 for 1B), with a 131,072-token context (32,768
 * for 1B) and, from 4B up, a SigLIP image encoder (hf-families.ts siglipParams: 416,866,032
 * weights) and a projector of 1152 x (hidden + 1). A text request never passes through the
 * encoder: params_active is the language model's.
 */
const GEMMA = { ...LLAMA_COMMON, tied_embeddings: true, head_dim: 256 } as const;
const GEMMA_2 = { ...GEMMA, vocab_size: 256000, max_context: 8192, sliding_window: 4096 } as const;
const GEMMA_3 = { ...GEMMA, vocab_size: 262208, max_context: 131072, sliding_window: 1024 } as const;
const SIGLIP_ENCODER_PARAMS = 416_866_032;
const gemma3Vision = (hidden: number) => SIGLIP_ENCODER_PARAMS + 1152 * (hidden + 1);

/** Qwen2.5's 0.5B to 3B (HF Qwen/Qwen2.5-0.5B, -1.5B-Instruct, -3B-Instruct config.json): Qwen2's layout with the input embedding tied to the head and vocab 151936 */
const QWEN2_SMALL = { ...QWEN2, vocab_size: 151936, tied_embeddings: true } as const;
/** Phi-3-mini's layers (HF microsoft/Phi-3-mini-4k-instruct and Phi-3.5-mini-instruct config.json), shared by Phi-3.5-mini */
const PHI_3_MINI = {
  ...LLAMA_COMMON, params_total: 3.82e9, params_active: 3.82e9,
  layers: 32, hidden_size: 3072, attention_heads: 32, kv_heads: 32, head_dim: 96, intermediate_size: 8192, vocab_size: 32064,
} as const;
/**
 * Falcon (Almazrouei et al., arXiv 2311.16867; HF tiiuae/falcon-* config.json): attention and a
 * plain GELU MLP of 4x in parallel, no linear biases, heads of 64, the LM head tied to the input
 * embedding (transformers' and vLLM's FalconForCausalLM load one matrix), vocab 65024, 2048 positions.
 */
const FALCON = {
  kind: 'decoder', mlp: 'plain', tied_embeddings: true, learned_positions: 0, biases: false,
  experts: 1, experts_per_token: 1, vocab_size: 65024, max_context: 2048, head_dim: 64,
} as const;
/** MPT (HF mosaicml/mpt-7b, mpt-30b config.json): ALiBi positions, a plain GELU MLP of 4x (expansion_ratio), no biases (no_bias), LayerNorm without bias, tied embeddings, vocab 50432 */
const MPT = {
  kind: 'decoder', mlp: 'plain', tied_embeddings: true, learned_positions: 0, biases: false,
  experts: 1, experts_per_token: 1, vocab_size: 50432,
} as const;
/** Code Llama 7B to 70B (HF codellama/CodeLlama-*-hf config.json): Llama 2's layers with 16 infilling tokens (vocab 32016) */
const CODE_LLAMA = { ...LLAMA_COMMON, vocab_size: 32016, head_dim: 128 } as const;
/** Command R and R+ (HF CohereForAI/c4ai-command-r-* config.json, model_type cohere): attention and a SwiGLU MLP in parallel after one LayerNorm, tied embeddings, vocab 256000, 128K context (model cards) */
const COMMAND_R = { ...LLAMA_COMMON, tied_embeddings: true, vocab_size: 256000, head_dim: 128, max_context: 131072 } as const;
/** DeepSeek-V2's MLA (DeepSeek-V2 paper, section 2.1): a 512-wide KV latent with 64-wide decoupled RoPE keys, heads of 128 + 64 */
const DEEPSEEK_V2_MLA = { kv_lora_rank: 512, qk_nope_head_dim: 128, qk_rope_head_dim: 64, v_head_dim: 128 } as const;

/**
 * What Llama-3.2-11B-Vision holds beside its 32 Llama 3.1 8B text layers, which a text token never
 * passes through (vLLM skips the cross-attention layers for a batch without images). The 8
 * cross-attention layers (text_config cross_attention_layers, transformers modeling_mllama.py
 * MllamaCrossAttentionDecoderLayer): q and o of 4096 x 4096, k and v of 4096 x 1024 (8 KV heads),
 * q/k norms of 128, two RMSNorms, two gates and the 14336-wide SwiGLU MLP. The image encoder
 * (vision_config: hidden 1280, MLP 5120 with biases, 560-pixel tiles of 14-pixel patches = 1600 + 1
 * class positions, 4 tiles, 9 aspect-ratio ids): the patch convolution, class embedding, gated and
 * tiled position embeddings, pre- and post-tile embeddings, two LayerNorms, 32 local layers and 8
 * gated global ones (attention without biases), and the projector from 7680 (vision_output_dim) to
 * 4096. The encoder and projector come to 895M, as the image-encoder GGUF taken from Ollama lists
 * (HF leafspark/Llama-3.2-11B-Vision-Instruct-GGUF: 895M parameters).
 */
function mllama11bAdapterParams(): number {
  const h = 4096;
  const crossLayer = 2 * h * h + 2 * h * 1024 + 2 * 128 + 2 * h + 2 + 3 * h * 14336;
  const v = 1280;
  const patches = (560 / 14) ** 2 + 1;
  const encoderLayer = 4 * v * v + 2 * v * 5120 + 5120 + v + 4 * v;
  const embeddings = 3 * 14 * 14 * v + v + 1 + patches * v + 9 * 4 * patches * v + 2 * (1 + 9 * 4 * v) + 4 * v;
  const encoder = embeddings + 32 * encoderLayer + 8 * (encoderLayer + 2) + 7680 * h + h;
  return 8 * crossLayer + encoder;
}

export const MODELS: Readonly<Record<ModelId, ModelSpec>> = {
  // Brown et al., "Language Models are Few-Shot Learners" (2020), Table 2.1: 96 layers, d_model
  // 12288, 96 heads of 128, d_ff = 4 d_model, context 2048; GPT-2 BPE vocab 50257, tied
  // embeddings, learned positions. 175B parameters (the shape gives 174.6B).
  'gpt-3-175b': {
    id: 'gpt-3-175b', name: 'GPT-3 175B', kind: 'decoder', params_total: 175e9, params_active: 175e9,
    layers: 96, hidden_size: 12288, attention_heads: 96, kv_heads: 96, head_dim: 128, intermediate_size: 49152,
    vocab_size: 50257, experts: 1, experts_per_token: 1, max_context: 2048,
    mlp: 'plain', tied_embeddings: true, learned_positions: 2048, biases: true,
  },
  // Stand-in for the architecture document's "GPT-3.5 Turbo, 20B parameters": its size is the
  // only published fact, so the shape is ours: GPT-NeoX-20B's layout (44 x 6144, 48 heads of 128
  // here, d_ff 4 d_model) with the cl100k_base vocabulary (100277) tied, rotary positions, the
  // 4096-token context gpt-3.5-turbo launched with. Shape gives 20.55B.
  'gpt-20b': {
    id: 'gpt-20b', name: 'GPT-3.5-class 20B (dense stand-in)', kind: 'decoder', params_total: 20.55e9, params_active: 20.55e9,
    layers: 44, hidden_size: 6144, attention_heads: 48, kv_heads: 48, head_dim: 128, intermediate_size: 24576,
    vocab_size: 100277, experts: 1, experts_per_token: 1, max_context: 4096,
    mlp: 'plain', tied_embeddings: true, learned_positions: 0, biases: true,
  },
  // Touvron et al., "Llama 2" (2023) and HF meta-llama/Llama-2-7b-hf config.json: 32 layers,
  // hidden 4096, 32 heads (MHA), intermediate 11008, vocab 32000, 4096 context. 6.74B.
  'llama-2-7b': {
    ...LLAMA_COMMON, id: 'llama-2-7b', name: 'Llama-2-7B', params_total: 6.74e9, params_active: 6.74e9,
    layers: 32, hidden_size: 4096, attention_heads: 32, kv_heads: 32, head_dim: 128, intermediate_size: 11008,
    vocab_size: 32000, max_context: 4096,
  },
  // HF meta-llama/Llama-2-13b-hf config.json: 40 layers, hidden 5120, 40 heads, intermediate 13824. 13.0B.
  'llama-2-13b': {
    ...LLAMA_COMMON, id: 'llama-2-13b', name: 'Llama-2-13B', params_total: 13.0e9, params_active: 13.0e9,
    layers: 40, hidden_size: 5120, attention_heads: 40, kv_heads: 40, head_dim: 128, intermediate_size: 13824,
    vocab_size: 32000, max_context: 4096,
  },
  // HF meta-llama/Llama-2-70b-hf config.json: 80 layers, hidden 8192, 64 heads, 8 KV heads (GQA),
  // intermediate 28672. 68.98B (the "70B").
  'llama-2-70b': {
    ...LLAMA_COMMON, id: 'llama-2-70b', name: 'Llama-2-70B', params_total: 68.98e9, params_active: 68.98e9,
    layers: 80, hidden_size: 8192, attention_heads: 64, kv_heads: 8, head_dim: 128, intermediate_size: 28672,
    vocab_size: 32000, max_context: 4096,
  },
  // HF meta-llama/Meta-Llama-3-8B config.json: 32 layers, hidden 4096, 32 heads, 8 KV heads,
  // intermediate 14336, vocab 128256, 8192 context. 8.03B.
  'llama-3-8b': {
    ...LLAMA_COMMON, id: 'llama-3-8b', name: 'Llama-3-8B', params_total: 8.03e9, params_active: 8.03e9,
    layers: 32, hidden_size: 4096, attention_heads: 32, kv_heads: 8, head_dim: 128, intermediate_size: 14336,
    vocab_size: 128256, max_context: 8192,
  },
  // HF meta-llama/Meta-Llama-3-70B config.json: as Llama-2-70B with vocab 128256, 8192 context. 70.55B.
  'llama-3-70b': {
    ...LLAMA_COMMON, id: 'llama-3-70b', name: 'Llama-3-70B', params_total: 70.55e9, params_active: 70.55e9,
    layers: 80, hidden_size: 8192, attention_heads: 64, kv_heads: 8, head_dim: 128, intermediate_size: 28672,
    vocab_size: 128256, max_context: 8192,
  },
  // Meta, "The Llama 3 Herd of Models" (arXiv 2407.21783, 2024) Table 3 and HF
  // meta-llama/Llama-3.1-8B config.json (scenarios/data/model-configs/llama-3.1-8b): Llama-3-8B's
  // shape with a 131072-token context (RoPE scaled, rope_type llama3). 8.03B.
  'llama-3.1-8b': {
    ...LLAMA_31, id: 'llama-3.1-8b', name: 'Llama-3.1-8B', params_total: 8.03e9, params_active: 8.03e9,
    layers: 32, hidden_size: 4096, attention_heads: 32, intermediate_size: 14336,
  },
  // Same sources, HF meta-llama/Llama-3.1-70B config.json: Llama-3-70B's shape, 131072 context. 70.55B.
  'llama-3.1-70b': {
    ...LLAMA_31, id: 'llama-3.1-70b', name: 'Llama-3.1-70B', params_total: 70.55e9, params_active: 70.55e9,
    layers: 80, hidden_size: 8192, attention_heads: 64, intermediate_size: 28672,
  },
  // Meta, Llama-3.3-70B-Instruct model card and HF config.json (2024-12): the architecture of
  // Llama-3.1-70B, retrained weights. 70.55B.
  'llama-3.3-70b': {
    ...LLAMA_31, id: 'llama-3.3-70b', name: 'Llama-3.3-70B', params_total: 70.55e9, params_active: 70.55e9,
    layers: 80, hidden_size: 8192, attention_heads: 64, intermediate_size: 28672,
  },
  // Same report, Table 3 (126 layers, model dim 16384, FFN 53248, 128 heads, 8 KV heads) and HF
  // meta-llama/Llama-3.1-405B config.json, 131072 context. 405B (the shape gives 405.85B).
  'llama-3.1-405b': { ...LLAMA_31_405B, id: 'llama-3.1-405b', name: 'Llama-3.1-405B' },
  // Meta's own FP8 release of Llama 3.1 405B (meta-llama/Llama-3.1-405B-FP8 and -Instruct-FP8:
  // FBGEMM row-wise FP8, quant_method fbgemm_fp8). Its quantization_config's modules_to_not_convert
  // keeps every layer's q/k/v/o projections, the first and last layers' MLPs and the LM head in
  // BF16 (the Llama 3 paper, section 6.2: self-attention and the first and last layers are not
  // quantised): 77.1B parameters in 16 bits, 60.5 GB of weights per GPU at TP 8 where FP8
  // throughout (NVIDIA's ModelOpt checkpoint, vLLM's --quantization fp8: the llama-3.1-405b entry)
  // holds 50.6. vLLM 0.6.3 logged 56.77 GiB (61.0 GB) loaded per H100 at TP 8 (dstack's benchmark,
  // raw_data/gpu-usage.md), which is what leaves its KV cache 40% smaller. The same list read from
  // the config.json gives the same figures (unquantized-modules.ts; test/perf/unquantized-modules.test.ts).
  'llama-3.1-405b-meta-fp8': {
    ...LLAMA_31_405B, id: 'llama-3.1-405b-meta-fp8', name: 'Llama-3.1-405B-FP8 (Meta)',
    ...META_FP8_405B_KEPT,
    checkpoint: { dtype: 'fp8', file: 'meta-llama/Llama-3.1-405B-FP8 config.json', field: 'quantization_config.quant_method', value: '"fbgemm_fp8"' },
  },
  // Jiang et al., "Mixtral of Experts" (2024) and HF mistralai/Mixtral-8x7B-v0.1 config.json:
  // 32 layers, hidden 4096, 32 heads, 8 KV heads, 8 experts of intermediate 14336, top-2,
  // vocab 32000, 32768 context. 46.7B total, 12.9B active per token.
  'mixtral-8x7b': {
    ...LLAMA_COMMON, id: 'mixtral-8x7b', name: 'Mixtral-8x7B', params_total: 46.7e9, params_active: 12.9e9,
    layers: 32, hidden_size: 4096, attention_heads: 32, kv_heads: 8, head_dim: 128, intermediate_size: 14336,
    vocab_size: 32000, experts: 8, experts_per_token: 2, max_context: 32768,
  },
  // HF mistralai/Mixtral-8x22B-v0.1 config.json (scenarios/data/model-configs/mixtral-8x22b): 56
  // layers, hidden 6144, 48 heads, 8 KV heads, 8 experts of 16384, top-2, vocab 32000, 65536
  // context. Mistral AI, "Cheaper, Better, Faster, Stronger" (Apr 2024): 141B total, 39B active.
  'mixtral-8x22b': {
    ...LLAMA_COMMON, id: 'mixtral-8x22b', name: 'Mixtral-8x22B', params_total: 141e9, params_active: 39e9,
    layers: 56, hidden_size: 6144, attention_heads: 48, kv_heads: 8, head_dim: 128, intermediate_size: 16384,
    vocab_size: 32000, experts: 8, experts_per_token: 2, max_context: 65536,
  },
  // Qwen team, "Qwen3 Technical Report" (arXiv 2505.09388, 2025) Table 1 and HF Qwen/Qwen3-8B
  // config.json (scenarios/data/model-configs/qwen3-8b): 36 layers, hidden 4096, 32 heads of 128,
  // 8 KV heads, intermediate 12288, vocab 151936, untied. Model card: 8.2B (6.95B without embeddings).
  'qwen3-8b': {
    ...QWEN3_DENSE, id: 'qwen3-8b', name: 'Qwen3-8B', params_total: 8.2e9, params_active: 8.2e9,
    layers: 36, hidden_size: 4096, attention_heads: 32, intermediate_size: 12288,
  },
  // Same report, Table 1, and the HF Qwen/Qwen3-14B config.json (not shipped here): 40 layers,
  // hidden 5120, 40 heads of 128, 8 KV heads, intermediate 17408. Model card: 14.8B (13.2B without embeddings).
  'qwen3-14b': {
    ...QWEN3_DENSE, id: 'qwen3-14b', name: 'Qwen3-14B', params_total: 14.8e9, params_active: 14.8e9,
    layers: 40, hidden_size: 5120, attention_heads: 40, intermediate_size: 17408,
  },
  // Same report and HF Qwen/Qwen3-32B config.json (scenarios/data/model-configs/qwen3-32b): 64
  // layers, hidden 5120, 64 heads of 128 (8192 wide, wider than the model), 8 KV heads,
  // intermediate 25600. Model card: 32.8B (31.2B without embeddings).
  'qwen3-32b': {
    ...QWEN3_DENSE, id: 'qwen3-32b', name: 'Qwen3-32B', params_total: 32.8e9, params_active: 32.8e9,
    layers: 64, hidden_size: 5120, attention_heads: 64, intermediate_size: 25600,
  },
  // HF Qwen/Qwen3-30B-A3B config.json (scenarios/data/model-configs/qwen3-30b-a3b): 48 layers,
  // hidden 2048, 32 heads of 128, 4 KV heads, 128 experts of 768 (moe_intermediate_size) in every
  // layer, top-8, no shared expert, vocab 151936, 40960 positions. Model card: 30.5B total, 3.3B activated.
  'qwen3-30b-a3b': {
    ...QWEN3_MOE, id: 'qwen3-30b-a3b', name: 'Qwen3-30B-A3B', params_total: 30.5e9, params_active: 3.3e9,
    layers: 48, hidden_size: 2048, attention_heads: 32, kv_heads: 4, intermediate_size: 6144, moe_intermediate_size: 768,
  },
  // HF Qwen/Qwen3-235B-A22B config.json (scenarios/data/model-configs/qwen3-235b-a22b): 94 layers,
  // hidden 4096, 64 heads of 128, 4 KV heads, 128 experts of 1536, top-8. Model card: 235B total, 22B activated.
  'qwen3-235b-a22b': {
    ...QWEN3_MOE, id: 'qwen3-235b-a22b', name: 'Qwen3-235B-A22B', params_total: 235e9, params_active: 22e9,
    layers: 94, hidden_size: 4096, attention_heads: 64, kv_heads: 4, intermediate_size: 12288, moe_intermediate_size: 1536,
  },
  // DeepSeek-AI, "DeepSeek-V3 Technical Report" (arXiv 2412.19437, 2024) section 4.2 and HF
  // deepseek-ai/DeepSeek-V3 config.json (scenarios/data/model-configs/deepseek-v3): 61 layers,
  // hidden 7168, 128 heads with MLA (q_lora_rank 1536, kv_lora_rank 512, qk_nope 128, qk_rope 64,
  // v 128), first 3 layers dense (18432), then 256 routed experts of 2048 + 1 shared, top-8, vocab
  // 129280, 163840 positions (128K context in the report, YaRN x40 over 4096). Shipped in FP8
  // (e4m3, 128x128 blocks). 671B total; README_WEIGHTS.md: 36.6B activated including the 0.9B
  // output head, without the 0.93B input embedding counted here: 37.5B. One MTP module (11.5B)
  // ships too but is not served by default (shape.ts mtp_layers).
  'deepseek-v3': {
    ...LLAMA_COMMON, id: 'deepseek-v3', name: 'DeepSeek-V3', params_total: 671e9, params_active: 37.5e9,
    layers: 61, hidden_size: 7168, attention_heads: 128, kv_heads: 128, head_dim: 192, intermediate_size: 18432,
    vocab_size: 129280, experts: 256, experts_per_token: 8, max_context: 163840,
    moe_intermediate_size: 2048, shared_experts: 1, first_dense_layers: 3,
    mla: { q_lora_rank: 1536, kv_lora_rank: 512, qk_nope_head_dim: 128, qk_rope_head_dim: 64, v_head_dim: 128 },
    mtp_layers: 1, fp8_block_scaled: true,
    // released in FP8 alone (R1 and V3.1 on the same layers too): what an engine loads by default
    checkpoint: { dtype: 'fp8', file: 'deepseek-ai/DeepSeek-V3 config.json', field: 'quantization_config.quant_method', value: '"fp8"' },
  },
  // OpenAI, "gpt-oss-120b & gpt-oss-20b Model Card" (Aug 2025) Table 1 and HF openai/gpt-oss-120b
  // config.json (scenarios/data/model-configs/gpt-oss-120b): 36 layers, hidden 2880, 64 heads of
  // 64, 8 KV heads, 128 experts of 2880, top-4, layers alternating 128-token sliding and full
  // attention, vocab 201088 (o200k_harmony), 131072 context, MoE weights in MXFP4. 116.83B total;
  // 5.13B active without the 0.58B input embedding counted here: 5.71B.
  'gpt-oss-120b': {
    ...GPT_OSS, id: 'gpt-oss-120b', name: 'gpt-oss-120b', params_total: 116.83e9, params_active: 5.71e9,
    layers: 36, experts: 128, sliding_window_layers: 18,
  },
  // Same model card, HF openai/gpt-oss-20b config.json: 24 layers, 32 experts, otherwise as the
  // 120b. 20.91B total; 3.61B active + 0.58B input embedding = 4.19B.
  'gpt-oss-20b': {
    ...GPT_OSS, id: 'gpt-oss-20b', name: 'gpt-oss-20b', params_total: 20.91e9, params_active: 4.19e9,
    layers: 24, experts: 32, sliding_window_layers: 12,
  },
  // Meta, "The Llama 4 herd" (April 2025) and the HF meta-llama/Llama-4-Scout-17B-16E-Instruct
  // config.json's text_config (scenarios/data/model-configs/llama-4-scout): 48 layers, hidden 5120,
  // 40 heads of 128, 8 KV heads, every layer MoE: 16 routed experts of 8192, top-1, plus one
  // shared expert of 8192 (intermediate_size_mlp 16384 is unused); vocab 202048, untied. Model card: 17B active,
  // 109B total with the vision encoder, 107.8B without it (counted here; the image path is not
  // served). Local attention in 8,192-token chunks on 3 layers of 4 is sized as full attention
  // (hf-families.ts). Its 10M-token context is the config's; engines serve far less.
  'llama-4-scout': {
    ...LLAMA_4, id: 'llama-4-scout', name: 'Llama-4-Scout-17B-16E', params_total: 107.77e9, params_active: 17.17e9,
    experts: 16, moe_layer_step: 1, max_context: 10485760,
  },
  // Same source, meta-llama/Llama-4-Maverick-17B-128E-Instruct (scenarios/data/model-configs/
  // llama-4-maverick): Scout's layers, with 128 routed experts on every other layer
  // (interleave_moe_layer_step 2) and a dense MLP of 16384 on the rest; 1M-token context. Model
  // card: 17B active, 400B total.
  'llama-4-maverick': {
    ...LLAMA_4, id: 'llama-4-maverick', name: 'Llama-4-Maverick-17B-128E', params_total: 400.71e9, params_active: 17.18e9,
    experts: 128, moe_layer_step: 2, max_context: 1048576,
  },
  // Black et al., "GPT-NeoX-20B" (2022) and HF EleutherAI/gpt-neox-20b config.json: 44 layers,
  // hidden 6144, 64 heads of 96, intermediate 24576, vocab 50432 (untied), 2048 context. 20.55B.
  'gpt-neox-20b': {
    id: 'gpt-neox-20b', name: 'GPT-NeoX-20B', kind: 'decoder', params_total: 20.55e9, params_active: 20.55e9,
    layers: 44, hidden_size: 6144, attention_heads: 64, kv_heads: 64, head_dim: 96, intermediate_size: 24576,
    vocab_size: 50432, experts: 1, experts_per_token: 1, max_context: 2048,
    mlp: 'plain', tied_embeddings: false, learned_positions: 0, biases: true,
  },
  // LLaMA 7B, 13B, 33B ("30B") and 65B: the paper's Table 2 (dimension, heads, layers) and the
  // HF conversions' config.json (intermediate 11008, 13824, 17920, 22016). 6.7B, 13.0B, 32.5B, 65.2B.
  'llama-7b': {
    ...LLAMA_1, id: 'llama-7b', name: 'LLaMA-7B', params_total: 6.74e9, params_active: 6.74e9,
    layers: 32, hidden_size: 4096, attention_heads: 32, kv_heads: 32, intermediate_size: 11008,
  },
  'llama-13b': {
    ...LLAMA_1, id: 'llama-13b', name: 'LLaMA-13B', params_total: 13.0e9, params_active: 13.0e9,
    layers: 40, hidden_size: 5120, attention_heads: 40, kv_heads: 40, intermediate_size: 13824,
  },
  'llama-33b': {
    ...LLAMA_1, id: 'llama-33b', name: 'LLaMA-33B', params_total: 32.5e9, params_active: 32.5e9,
    layers: 60, hidden_size: 6656, attention_heads: 52, kv_heads: 52, intermediate_size: 17920,
  },
  'llama-65b': {
    ...LLAMA_1, id: 'llama-65b', name: 'LLaMA-65B', params_total: 65.2e9, params_active: 65.2e9,
    layers: 80, hidden_size: 8192, attention_heads: 64, kv_heads: 64, intermediate_size: 22016,
  },
  // HF meta-llama/Llama-3.2-1B config.json: 16 layers, hidden 2048, 32 heads of 64, intermediate
  // 8192. 1.24B (1,235,814,400 on the model page).
  'llama-3.2-1b': {
    ...LLAMA_32, id: 'llama-3.2-1b', name: 'Llama-3.2-1B', params_total: 1.24e9, params_active: 1.24e9,
    layers: 16, hidden_size: 2048, attention_heads: 32, head_dim: 64, intermediate_size: 8192,
  },
  // HF meta-llama/Llama-3.2-3B config.json: 28 layers, hidden 3072, 24 heads of 128, intermediate 8192. 3.21B.
  'llama-3.2-3b': {
    ...LLAMA_32, id: 'llama-3.2-3b', name: 'Llama-3.2-3B', params_total: 3.21e9, params_active: 3.21e9,
    layers: 28, hidden_size: 3072, attention_heads: 24, head_dim: 128, intermediate_size: 8192,
  },
  // Rozière et al., "Code Llama" (2023) and HF codellama/CodeLlama-34b-hf config.json: 48 layers,
  // hidden 8192, 64 heads, 8 KV heads, intermediate 22016, vocab 32000, 16384 positions. 33.7B.
  'codellama-34b': {
    ...LLAMA_COMMON, id: 'codellama-34b', name: 'CodeLlama-34B', params_total: 33.7e9, params_active: 33.7e9,
    layers: 48, hidden_size: 8192, attention_heads: 64, kv_heads: 8, head_dim: 128, intermediate_size: 22016,
    vocab_size: 32000, max_context: 16384,
  },
  // Jiang et al., "Mistral 7B" (2023) Table 1 and HF mistralai/Mistral-7B-v0.1 config.json: 32
  // layers, hidden 4096, 32 heads, 8 KV heads, intermediate 14336, vocab 32000, 32768 positions.
  // 7.24B. v0.1's 4096-token sliding window is not modelled (v0.2 and v0.3 dropped it; v0.3's
  // vocabulary of 32768 adds 0.1%): a prompt past 4,096 tokens reads v0.1's KV cache as full.
  'mistral-7b': {
    ...LLAMA_COMMON, id: 'mistral-7b', name: 'Mistral-7B', params_total: 7.24e9, params_active: 7.24e9,
    layers: 32, hidden_size: 4096, attention_heads: 32, kv_heads: 8, head_dim: 128, intermediate_size: 14336,
    vocab_size: 32000, max_context: 32768,
  },
  // HF mistralai/Mistral-Nemo-Base-2407 config.json: 40 layers, hidden 5120, 32 heads of 128 (4096
  // wide), 8 KV heads, intermediate 14336, vocab 131072; 128k context (model card). 12.2B.
  'mistral-nemo-12b': {
    ...LLAMA_COMMON, id: 'mistral-nemo-12b', name: 'Mistral-NeMo-12B', params_total: 12.2e9, params_active: 12.2e9,
    layers: 40, hidden_size: 5120, attention_heads: 32, kv_heads: 8, head_dim: 128, intermediate_size: 14336,
    vocab_size: 131072, max_context: 131072,
  },
  // HF mistralai/Mistral-Large-Instruct-2407 config.json: 88 layers, hidden 12288, 96 heads, 8 KV
  // heads, intermediate 28672, vocab 32768, 131072 positions. 123B (122.6B).
  'mistral-large-123b': {
    ...LLAMA_COMMON, id: 'mistral-large-123b', name: 'Mistral-Large-2 (123B)', params_total: 122.6e9, params_active: 122.6e9,
    layers: 88, hidden_size: 12288, attention_heads: 96, kv_heads: 8, head_dim: 128, intermediate_size: 28672,
    vocab_size: 32768, max_context: 131072,
  },
  // Qwen2.5: HF Qwen/Qwen2.5-7B, -14B, -32B, -72B config.json. 7B: 28 layers, hidden 3584, 28
  // heads, 4 KV heads, intermediate 18944 (7.61B); 14B: 48 x 5120, 40 heads, 8 KV, 13824 (14.7B);
  // 32B: 64 x 5120, 40 heads, 8 KV, 27648 (32.5B of which 31.0B without embeddings: model card
  // 32.5B); 72B: 80 x 8192, 64 heads, 8 KV, 29568 (72.7B).
  'qwen2.5-7b': { ...QWEN2_7B, id: 'qwen2.5-7b', name: 'Qwen2.5-7B' },
  'qwen2.5-14b': {
    ...QWEN2, id: 'qwen2.5-14b', name: 'Qwen2.5-14B', params_total: 14.7e9, params_active: 14.7e9,
    layers: 48, hidden_size: 5120, attention_heads: 40, kv_heads: 8, intermediate_size: 13824,
  },
  'qwen2.5-32b': {
    ...QWEN2, id: 'qwen2.5-32b', name: 'Qwen2.5-32B', params_total: 32.5e9, params_active: 32.5e9,
    layers: 64, hidden_size: 5120, attention_heads: 40, kv_heads: 8, intermediate_size: 27648,
  },
  'qwen2.5-72b': { ...QWEN2_72B, id: 'qwen2.5-72b', name: 'Qwen2.5-72B' },
  // Qwen2 (Qwen team, "Qwen2 Technical Report", arXiv 2407.10671, Table 1): the 7B and 72B have
  // the shapes of Qwen2.5's (HF Qwen/Qwen2-7B, Qwen2-72B config.json). 7.6B and 72.7B.
  'qwen2-7b': { ...QWEN2_7B, id: 'qwen2-7b', name: 'Qwen2-7B' },
  'qwen2-72b': { ...QWEN2_72B, id: 'qwen2-72b', name: 'Qwen2-72B' },
  // 01.AI, "Yi: Open Foundation Models" (arXiv 2403.04652) Table 1 and HF 01-ai/Yi-34B config.json:
  // 60 layers, hidden 7168, 56 heads, 8 KV heads, intermediate 20480, vocab 64000, 4096 positions. 34.4B.
  'yi-34b': {
    ...LLAMA_COMMON, id: 'yi-34b', name: 'Yi-34B', params_total: 34.4e9, params_active: 34.4e9,
    layers: 60, hidden_size: 7168, attention_heads: 56, kv_heads: 8, head_dim: 128, intermediate_size: 20480,
    vocab_size: 64000, max_context: 4096,
  },
  // Abdin et al., "Phi-3 Technical Report" (arXiv 2404.14219) and HF microsoft/Phi-3-mini-4k-instruct
  // config.json: 32 layers, hidden 3072, 32 heads (MHA), intermediate 8192, vocab 32064, untied,
  // 4096 positions (fused qkv and gate/up projections: the same weights). 3.8B.
  'phi-3-mini': { ...PHI_3_MINI, id: 'phi-3-mini', name: 'Phi-3-mini (3.8B)', max_context: 4096 },
  // HF microsoft/Phi-3-medium-4k-instruct config.json: 40 layers, hidden 5120, 40 heads, 10 KV heads,
  // intermediate 17920, vocab 32064, 4096 positions. 14B (13.96B).
  'phi-3-medium': {
    ...LLAMA_COMMON, id: 'phi-3-medium', name: 'Phi-3-medium (14B)', params_total: 13.96e9, params_active: 13.96e9,
    layers: 40, hidden_size: 5120, attention_heads: 40, kv_heads: 10, head_dim: 128, intermediate_size: 17920,
    vocab_size: 32064, max_context: 4096,
  },
  // Databricks, "Introducing DBRX" (2024-03) and HF databricks/dbrx-base config.json: 40 layers,
  // hidden 6144, 48 heads, 8 KV heads, 16 experts of 10752, top-4, vocab 100352, 32768 positions.
  // 132B total, 36B active.
  dbrx: {
    ...LLAMA_COMMON, id: 'dbrx', name: 'DBRX', params_total: 132e9, params_active: 36e9,
    layers: 40, hidden_size: 6144, attention_heads: 48, kv_heads: 8, head_dim: 128, intermediate_size: 10752,
    vocab_size: 100352, experts: 16, experts_per_token: 4, max_context: 32768,
  },
  // Wang and Komatsuzaki, GPT-J-6B (2021; HF EleutherAI/gpt-j-6b config.json): 28 layers, hidden
  // 4096, 16 heads of 256, MLP of 16384 (GELU), vocab 50400, untied, rotary positions, 2048 context. 6.05B.
  'gpt-j-6b': {
    id: 'gpt-j-6b', name: 'GPT-J-6B', kind: 'decoder', params_total: 6.05e9, params_active: 6.05e9,
    layers: 28, hidden_size: 4096, attention_heads: 16, kv_heads: 16, head_dim: 256, intermediate_size: 16384,
    vocab_size: 50400, experts: 1, experts_per_token: 1, max_context: 2048,
    mlp: 'plain', tied_embeddings: false, learned_positions: 0, biases: true,
  },
  // OPT-13B: 40 layers, hidden 5120, 40 heads (12.85B); OPT-30B: 48 x 7168, 56 heads (29.97B);
  // OPT-66B: 64 x 9216, 72 heads (65.7B); MLP 4x hidden, as the paper's Table 1.
  'opt-13b': {
    ...OPT, id: 'opt-13b', name: 'OPT-13B', params_total: 12.85e9, params_active: 12.85e9,
    layers: 40, hidden_size: 5120, attention_heads: 40, kv_heads: 40, intermediate_size: 20480,
  },
  'opt-30b': {
    ...OPT, id: 'opt-30b', name: 'OPT-30B', params_total: 29.97e9, params_active: 29.97e9,
    layers: 48, hidden_size: 7168, attention_heads: 56, kv_heads: 56, intermediate_size: 28672,
  },
  'opt-66b': {
    ...OPT, id: 'opt-66b', name: 'OPT-66B', params_total: 65.7e9, params_active: 65.7e9,
    layers: 64, hidden_size: 9216, attention_heads: 72, kv_heads: 72, intermediate_size: 36864,
  },
  // Almazrouei et al., "The Falcon Series of Open Language Models" (arXiv 2311.16867) and HF
  // tiiuae/falcon-180B config.json: 80 layers, hidden 14848, 232 heads of 64, 8 KV heads, MLP 4x
  // (GELU), vocab 65024, tied, no linear biases, 2048 positions. 180B.
  'falcon-180b': {
    ...FALCON, id: 'falcon-180b', name: 'Falcon-180B', params_total: 180e9, params_active: 180e9,
    layers: 80, hidden_size: 14848, attention_heads: 232, kv_heads: 8, intermediate_size: 59392,
  },
  // Gemma 2 (model cards: 2.61B, 9.24B, 27.2B): 2B 26 x 2304, 8 heads, 4 KV, MLP 9216; 9B 42 x
  // 3584, 16 heads, 8 KV, 14336 (test/perf/fixtures/gemma-2-9b); 27B 46 x 4608, 32 heads of 128,
  // 16 KV, 36864. Half the layers (rounded up) slide.
  'gemma-2-2b': {
    ...GEMMA_2, id: 'gemma-2-2b', name: 'Gemma-2-2B', params_total: 2.61e9, params_active: 2.61e9,
    layers: 26, hidden_size: 2304, attention_heads: 8, kv_heads: 4, intermediate_size: 9216, sliding_window_layers: 13,
  },
  'gemma-2-9b': {
    ...GEMMA_2, id: 'gemma-2-9b', name: 'Gemma-2-9B', params_total: 9.24e9, params_active: 9.24e9,
    layers: 42, hidden_size: 3584, attention_heads: 16, kv_heads: 8, intermediate_size: 14336, sliding_window_layers: 21,
  },
  'gemma-2-27b': {
    ...GEMMA_2, id: 'gemma-2-27b', name: 'Gemma-2-27B', params_total: 27.2e9, params_active: 27.2e9,
    layers: 46, hidden_size: 4608, attention_heads: 32, kv_heads: 16, head_dim: 128, intermediate_size: 36864, sliding_window_layers: 23,
  },
  // Gemma 3 (HF safetensors totals: 1.00B, 4.30B, 12.2B, 27.4B with the image encoder): 1B 26 x
  // 1152, 4 heads, 1 KV, MLP 6912, vocab 262144, text only (test/perf/fixtures/gemma-3-1b); 4B 34 x
  // 2560, 8 heads, 4 KV, 10240; 12B 48 x 3840, 16 heads, 8 KV, 15360; 27B 62 x 5376, 32 heads of
  // 128, 16 KV, 21504 (test/perf/fixtures/gemma-3-27b). Every sixth layer attends in full.
  'gemma-3-1b': {
    ...GEMMA_3, id: 'gemma-3-1b', name: 'Gemma-3-1B', params_total: 1.0e9, params_active: 1.0e9, vocab_size: 262144, max_context: 32768,
    layers: 26, hidden_size: 1152, attention_heads: 4, kv_heads: 1, intermediate_size: 6912, sliding_window: 512, sliding_window_layers: 22,
  },
  'gemma-3-4b': {
    ...GEMMA_3, id: 'gemma-3-4b', name: 'Gemma-3-4B', params_total: 4.30e9, params_active: 3.88e9,
    layers: 34, hidden_size: 2560, attention_heads: 8, kv_heads: 4, intermediate_size: 10240, sliding_window_layers: 29,
    vision_params: gemma3Vision(2560),
  },
  'gemma-3-12b': {
    ...GEMMA_3, id: 'gemma-3-12b', name: 'Gemma-3-12B', params_total: 12.19e9, params_active: 11.77e9,
    layers: 48, hidden_size: 3840, attention_heads: 16, kv_heads: 8, intermediate_size: 15360, sliding_window_layers: 40,
    vision_params: gemma3Vision(3840),
  },
  'gemma-3-27b': {
    ...GEMMA_3, id: 'gemma-3-27b', name: 'Gemma-3-27B', params_total: 27.43e9, params_active: 27.01e9,
    layers: 62, hidden_size: 5376, attention_heads: 32, kv_heads: 16, head_dim: 128, intermediate_size: 21504, sliding_window_layers: 52,
    vision_params: gemma3Vision(5376),
  },
  // OpenAI publishes no architecture for text-embedding-ada-002 (only: 1536-dim output, 8191-token
  // input limit). Stand-in: a BERT-large-class encoder (Devlin et al. 2019: 24 layers, hidden 1024,
  // 16 heads, intermediate 4096, vocab 30522, 335M), with ada-002's 8191-token input limit.
  'text-embedding-ada-002': {
    id: 'text-embedding-ada-002', name: 'text-embedding-ada-002 (BERT-large-class stand-in)', kind: 'encoder',
    params_total: 335e6, params_active: 335e6,
    layers: 24, hidden_size: 1024, attention_heads: 16, kv_heads: 16, head_dim: 64, intermediate_size: 4096,
    vocab_size: 30522, experts: 1, experts_per_token: 1, max_context: 8191,
    mlp: 'plain', tied_embeddings: true, learned_positions: 512, biases: true,
  },
  // Qwen2.5 0.5B, 1.5B, 3B (HF Qwen/Qwen2.5-0.5B, Qwen2.5-1.5B-Instruct, Qwen2.5-3B-Instruct
  // config.json; model cards: 0.49B, 1.54B, 3.09B): 24 x 896, 14 heads of 64, 2 KV, MLP 4864; 28 x
  // 1536, 12 heads of 128, 2 KV, 8960; 36 x 2048, 16 heads of 128, 2 KV, 11008. 32768 positions.
  'qwen2.5-0.5b': {
    ...QWEN2_SMALL, id: 'qwen2.5-0.5b', name: 'Qwen2.5-0.5B', params_total: 0.49e9, params_active: 0.49e9,
    layers: 24, hidden_size: 896, attention_heads: 14, kv_heads: 2, head_dim: 64, intermediate_size: 4864,
  },
  'qwen2.5-1.5b': {
    ...QWEN2_SMALL, id: 'qwen2.5-1.5b', name: 'Qwen2.5-1.5B', params_total: 1.54e9, params_active: 1.54e9,
    layers: 28, hidden_size: 1536, attention_heads: 12, kv_heads: 2, intermediate_size: 8960,
  },
  'qwen2.5-3b': {
    ...QWEN2_SMALL, id: 'qwen2.5-3b', name: 'Qwen2.5-3B', params_total: 3.09e9, params_active: 3.09e9,
    layers: 36, hidden_size: 2048, attention_heads: 16, kv_heads: 2, intermediate_size: 11008,
  },
  // Qwen3 0.6B, 1.7B, 4B (HF Qwen/Qwen3-0.6B, -1.7B, -4B config.json): tied embeddings, 8 KV heads
  // of 128; 28 x 1024, 16 heads, MLP 3072; 28 x 2048, 16 heads, 6144; 36 x 2560, 32 heads, 9728.
  // The sizes their names give (the shapes: 0.60B, 1.72B, 4.02B).
  'qwen3-0.6b': {
    ...QWEN3_DENSE, id: 'qwen3-0.6b', name: 'Qwen3-0.6B', params_total: 0.6e9, params_active: 0.6e9, tied_embeddings: true,
    layers: 28, hidden_size: 1024, attention_heads: 16, intermediate_size: 3072,
  },
  'qwen3-1.7b': {
    ...QWEN3_DENSE, id: 'qwen3-1.7b', name: 'Qwen3-1.7B', params_total: 1.7e9, params_active: 1.7e9, tied_embeddings: true,
    layers: 28, hidden_size: 2048, attention_heads: 16, intermediate_size: 6144,
  },
  'qwen3-4b': {
    ...QWEN3_DENSE, id: 'qwen3-4b', name: 'Qwen3-4B', params_total: 4.0e9, params_active: 4.0e9, tied_embeddings: true,
    layers: 36, hidden_size: 2560, attention_heads: 32, intermediate_size: 9728,
  },
  // Qwen1.5 (HF Qwen/Qwen1.5-14B-Chat, -72B-Chat, -110B-Chat config.json, model_type qwen2): Qwen2's
  // layout, vocab 152064, 32768 positions. 14B: 40 x 5120, 40 heads (MHA), MLP 13696; 72B: 80 x
  // 8192, 64 heads (MHA), 24576; 110B: 80 x 8192, 64 heads, 8 KV, 49152. The sizes their names give
  // (the shapes: 14.2B, 72.3B, 111.2B).
  'qwen1.5-14b': {
    ...QWEN2, id: 'qwen1.5-14b', name: 'Qwen1.5-14B', params_total: 14e9, params_active: 14e9,
    layers: 40, hidden_size: 5120, attention_heads: 40, kv_heads: 40, intermediate_size: 13696,
  },
  'qwen1.5-72b': {
    ...QWEN2, id: 'qwen1.5-72b', name: 'Qwen1.5-72B', params_total: 72e9, params_active: 72e9,
    layers: 80, hidden_size: 8192, attention_heads: 64, kv_heads: 64, intermediate_size: 24576,
  },
  'qwen1.5-110b': {
    ...QWEN2, id: 'qwen1.5-110b', name: 'Qwen1.5-110B', params_total: 110e9, params_active: 110e9,
    layers: 80, hidden_size: 8192, attention_heads: 64, kv_heads: 8, intermediate_size: 49152,
  },
  // Qwen2 Technical Report (arXiv 2407.10671) Table 1 and HF Qwen/Qwen2-57B-A14B-Instruct
  // config.json (model_type qwen2_moe): 28 layers, hidden 3584, 28 heads, 4 KV heads, every layer
  // MoE: 64 experts of 2560 (moe_intermediate_size), top-8, beside one shared expert of 20480 (its
  // 1-wide gate not counted); vocab 151936, untied, 32768 positions. 57B total, 14B activated (the
  // shape: 57.4B, 14.25B).
  'qwen2-57b-a14b': {
    ...QWEN2, id: 'qwen2-57b-a14b', name: 'Qwen2-57B-A14B', params_total: 57e9, params_active: 14e9,
    layers: 28, hidden_size: 3584, attention_heads: 28, kv_heads: 4, intermediate_size: 18944, vocab_size: 151936,
    experts: 64, experts_per_token: 8, moe_intermediate_size: 2560, moe_layer_step: 1,
    shared_experts: 1, shared_expert_intermediate_size: 20480,
  },
  // Code Llama 7B, 13B and 70B (Roziere et al., "Code Llama", 2023; HF codellama/CodeLlama-7b-hf,
  // -13b-hf, -70b-Instruct-hf config.json): Llama 2 7B's, 13B's and 70B's layers with vocab 32016;
  // 16384 positions for 7B and 13B, 4096 in the 70B's config. 6.74B (Llama 2 7B's count, 16 more
  // vocabulary rows), 13B, 70B.
  'codellama-7b': {
    ...CODE_LLAMA, id: 'codellama-7b', name: 'CodeLlama-7B', params_total: 6.74e9, params_active: 6.74e9,
    layers: 32, hidden_size: 4096, attention_heads: 32, kv_heads: 32, intermediate_size: 11008, max_context: 16384,
  },
  'codellama-13b': {
    ...CODE_LLAMA, id: 'codellama-13b', name: 'CodeLlama-13B', params_total: 13e9, params_active: 13e9,
    layers: 40, hidden_size: 5120, attention_heads: 40, kv_heads: 40, intermediate_size: 13824, max_context: 16384,
  },
  'codellama-70b': {
    ...CODE_LLAMA, id: 'codellama-70b', name: 'CodeLlama-70B', params_total: 70e9, params_active: 70e9,
    layers: 80, hidden_size: 8192, attention_heads: 64, kv_heads: 8, intermediate_size: 28672, max_context: 4096,
  },
  // HF tiiuae/falcon-7b config.json (RefinedWebModel): 32 layers, hidden 4544, 71 heads, one KV head
  // (multi_query), MLP 18176. Model card: 7B (the shape: 6.92B).
  'falcon-7b': {
    ...FALCON, id: 'falcon-7b', name: 'Falcon-7B', params_total: 7e9, params_active: 7e9,
    layers: 32, hidden_size: 4544, attention_heads: 71, kv_heads: 1, intermediate_size: 18176,
  },
  // HF tiiuae/falcon-40b config.json (RefinedWeb, new_decoder_architecture): 60 layers, hidden 8192,
  // 128 heads, 8 KV heads (n_head_kv), MLP 32768. The card's "40B" rounds: Ollama's F16 GGUF of the
  // released weights counts 41.8B, 0.53B of them an output head that is the input embedding again
  // (tied, as the loaders keep it): 41.3B served.
  'falcon-40b': {
    ...FALCON, id: 'falcon-40b', name: 'Falcon-40B', params_total: 41.3e9, params_active: 41.3e9,
    layers: 60, hidden_size: 8192, attention_heads: 128, kv_heads: 8, intermediate_size: 32768,
  },
  // HF mosaicml/mpt-7b config.json: 32 layers, d_model 4096, 32 heads, 2048 positions (max_seq_len);
  // model card 6.7B. mosaicml/mpt-30b(-instruct) config.json: 48 x 7168, 64 heads of 112, 8192
  // positions; 30B (the shape: 29.96B).
  'mpt-7b': {
    ...MPT, id: 'mpt-7b', name: 'MPT-7B', params_total: 6.7e9, params_active: 6.7e9,
    layers: 32, hidden_size: 4096, attention_heads: 32, kv_heads: 32, head_dim: 128, intermediate_size: 16384, max_context: 2048,
  },
  'mpt-30b': {
    ...MPT, id: 'mpt-30b', name: 'MPT-30B', params_total: 30e9, params_active: 30e9,
    layers: 48, hidden_size: 7168, attention_heads: 64, kv_heads: 64, head_dim: 112, intermediate_size: 28672, max_context: 8192,
  },
  // DeepSeek-AI, "DeepSeek-V2" (arXiv 2405.04434) and the DeepSeek-V2 README (236B total, 21B
  // activated, without the 0.52B input embedding counted here: 21.5B); shape from deepseek-ai/DeepSeek-V3's inference/configs/config_236B.json and HF
  // deepseek-ai/DeepSeek-V2 config.json: 60 layers, hidden 5120, 128 heads with MLA (q_lora_rank
  // 1536), the first layer dense (12288), then 160 routed experts of 1536 + 2 shared, top-6, vocab
  // 102400, 163840 positions (128K context in the README). BF16 weights.
  'deepseek-v2': {
    ...LLAMA_COMMON, id: 'deepseek-v2', name: 'DeepSeek-V2', params_total: 236e9, params_active: 21.5e9,
    layers: 60, hidden_size: 5120, attention_heads: 128, kv_heads: 128, head_dim: 192, intermediate_size: 12288,
    vocab_size: 102400, experts: 160, experts_per_token: 6, max_context: 163840,
    moe_intermediate_size: 1536, shared_experts: 2, first_dense_layers: 1, mla: { ...DEEPSEEK_V2_MLA, q_lora_rank: 1536 },
  },
  // Same README (16B total, 2.4B activated + the 0.21B input embedding = 2.61B; the model card:
  // 15.7B total) and config_16B.json / HF
  // deepseek-ai/DeepSeek-V2-Lite config.json: 27 layers, hidden 2048, 16 heads with MLA, queries
  // not compressed (q_lora_rank null), the first layer dense (10944), then 64 routed experts of 1408
  // + 2 shared, top-6 (32K context in the README; the config's 163840 positions kept, as for V2).
  'deepseek-v2-lite': {
    ...LLAMA_COMMON, id: 'deepseek-v2-lite', name: 'DeepSeek-V2-Lite', params_total: 15.7e9, params_active: 2.61e9,
    layers: 27, hidden_size: 2048, attention_heads: 16, kv_heads: 16, head_dim: 192, intermediate_size: 10944,
    vocab_size: 102400, experts: 64, experts_per_token: 6, max_context: 163840,
    moe_intermediate_size: 1408, shared_experts: 2, first_dense_layers: 1, mla: { ...DEEPSEEK_V2_MLA, q_lora_rank: 0 },
  },
  // Meta, Llama 3.2-Vision model card (llama-models MODEL_CARD_VISION.md: "11B (10.6)", built on the
  // Llama 3.1 text model) and HF meta-llama/Llama-3.2-11B-Vision-Instruct config.json: Llama 3.1
  // 8B's 32 self-attention layers, which a text token passes through (8.03B, its active count);
  // the 8 cross-attention layers, image encoder and projector are held and not read
  // (mllama11bAdapterParams). An image's tokens (its cross-attention KV and the encoder's work) are
  // not modelled.
  'llama-3.2-11b-vision': {
    ...LLAMA_31, id: 'llama-3.2-11b-vision', name: 'Llama-3.2-11B-Vision', params_total: 10.6e9, params_active: 8.03e9,
    layers: 32, hidden_size: 4096, attention_heads: 32, intermediate_size: 14336, vision_params: mllama11bAdapterParams(),
  },
  // Phi-3.5-mini (HF microsoft/Phi-3.5-mini-instruct config.json): Phi-3-mini's layers with 131072
  // positions (LongRoPE). 3.8B.
  'phi-3.5-mini': { ...PHI_3_MINI, id: 'phi-3.5-mini', name: 'Phi-3.5-mini (3.8B)', max_context: 131072 },
  // Phi-3.5-MoE (Phi-3 Technical Report, arXiv 2404.14219, section on phi-3.5-MoE: 16 x 3.8B, 6.6B
  // active; HF microsoft/Phi-3.5-MoE-instruct config.json, the PhiMoEConfig defaults): 32 layers,
  // hidden 4096, 32 heads, 8 KV heads, biases on q, k, v and o, 16 experts of 6400, top-2, vocab
  // 32064, untied, 131072 positions. 41.9B total (the F16 GGUF's count), 6.6B active.
  'phi-3.5-moe': {
    ...LLAMA_COMMON, id: 'phi-3.5-moe', name: 'Phi-3.5-MoE', params_total: 41.9e9, params_active: 6.6e9,
    layers: 32, hidden_size: 4096, attention_heads: 32, kv_heads: 8, head_dim: 128, intermediate_size: 6400,
    vocab_size: 32064, experts: 16, experts_per_token: 2, max_context: 131072, attention_bias: true,
  },
  // HF microsoft/phi-4 config.json (model_type phi3): 40 layers, hidden 5120, 40 heads, 10 KV heads,
  // intermediate 17920, vocab 100352, untied, 16384 positions. The card says 14B; Ollama's F16 GGUF
  // of the weights counts 14.7B.
  'phi-4': {
    ...LLAMA_COMMON, id: 'phi-4', name: 'Phi-4 (14B)', params_total: 14.7e9, params_active: 14.7e9,
    layers: 40, hidden_size: 5120, attention_heads: 40, kv_heads: 10, head_dim: 128, intermediate_size: 17920,
    vocab_size: 100352, max_context: 16384,
  },
  // Gemma 1 (Gemma Team, arXiv 2403.08295; HF google/gemma-2b and gemma-7b config.json): a gated GELU
  // MLP, heads of 256, tied embeddings, vocab 256000, 8192 positions. 2B: 18 x 2048, 8 heads, one KV
  // head, MLP 16384 (2,506,172,416 parameters: google/gemma-2b discussion 36); 7B: 28 x 3072, 16
  // heads (MHA), 24576 (8.54B, 7,751,248,896 of them outside the embedding: google/gemma-7b
  // discussions 24 and 34).
  'gemma-2b': {
    ...GEMMA, id: 'gemma-2b', name: 'Gemma-2B', params_total: 2.51e9, params_active: 2.51e9, vocab_size: 256000, max_context: 8192,
    layers: 18, hidden_size: 2048, attention_heads: 8, kv_heads: 1, intermediate_size: 16384,
  },
  'gemma-7b': {
    ...GEMMA, id: 'gemma-7b', name: 'Gemma-7B', params_total: 8.54e9, params_active: 8.54e9, vocab_size: 256000, max_context: 8192,
    layers: 28, hidden_size: 3072, attention_heads: 16, kv_heads: 16, intermediate_size: 24576,
  },
  // HF mistralai/Mistral-Small-24B-Instruct-2501 (and -Base-2501) config.json: 40 layers, hidden
  // 5120, 32 heads of 128, 8 KV heads, intermediate 32768, vocab 131072, 32768 positions. 24B (the
  // shape: 23.6B).
  'mistral-small-24b': {
    ...LLAMA_COMMON, id: 'mistral-small-24b', name: 'Mistral-Small-24B', params_total: 24e9, params_active: 24e9,
    layers: 40, hidden_size: 5120, attention_heads: 32, kv_heads: 8, head_dim: 128, intermediate_size: 32768,
    vocab_size: 131072, max_context: 32768,
  },
  // HF ibm-granite/granite-3.1-8b-instruct config.json (model_type granite: Llama's layers with
  // scaled embeddings, residuals and logits): 40 layers, hidden 4096, 32 heads, 8 KV heads,
  // intermediate 12800, vocab 49155, tied, 131072 positions. Model card: 8.1B.
  'granite-3.1-8b': {
    ...LLAMA_COMMON, id: 'granite-3.1-8b', name: 'Granite-3.1-8B', params_total: 8.1e9, params_active: 8.1e9, tied_embeddings: true,
    layers: 40, hidden_size: 4096, attention_heads: 32, kv_heads: 8, head_dim: 128, intermediate_size: 12800,
    vocab_size: 49155, max_context: 131072,
  },
  // HF CohereForAI/c4ai-command-r-v01 config.json: 40 layers, hidden 8192, 64 heads (MHA),
  // intermediate 22528. Model card: 35B, 128K context.
  'command-r': {
    ...COMMAND_R, id: 'command-r', name: 'Command R (35B)', params_total: 35e9, params_active: 35e9,
    layers: 40, hidden_size: 8192, attention_heads: 64, kv_heads: 64, intermediate_size: 22528,
  },
  // HF CohereForAI/c4ai-command-r-08-2024 config.json: v01's width with 8 KV heads and intermediate
  // 24576. 32B (a GGUF of it counts 32.3B).
  'command-r-08-2024': {
    ...COMMAND_R, id: 'command-r-08-2024', name: 'Command R 08-2024 (32B)', params_total: 32e9, params_active: 32e9,
    layers: 40, hidden_size: 8192, attention_heads: 64, kv_heads: 8, intermediate_size: 24576,
  },
  // HF CohereForAI/c4ai-command-r-plus config.json (and -08-2024, the same shape): 64 layers, hidden
  // 12288, 96 heads, 8 KV heads, intermediate 33792, q/k LayerNorms (use_qk_norm: 13,312 weights a
  // layer, not counted). Model card: 104B.
  'command-r-plus': {
    ...COMMAND_R, id: 'command-r-plus', name: 'Command R+ (104B)', params_total: 104e9, params_active: 104e9,
    layers: 64, hidden_size: 12288, attention_heads: 96, kv_heads: 8, intermediate_size: 33792,
  },
};

export const MODEL_IDS: readonly ModelId[] = Object.keys(MODELS) as ModelId[];
