import type { ModelShape } from './shape.ts';

/**
 * Model catalog. params_total / params_active are the published figures; the shapes are the
 * published configs, and test/perf checks that countParams(shape) agrees with the published count.
 */
export type ModelId =
  | 'gpt-3-175b'
  | 'gpt-20b'
  | 'llama-2-7b'
  | 'llama-2-13b'
  | 'llama-2-70b'
  | 'llama-3-8b'
  | 'llama-3-70b'
  | 'mixtral-8x7b'
  | 'gpt-neox-20b'
  | 'text-embedding-ada-002';

export interface ModelSpec extends ModelShape {
  /** catalog id, or the file name for a model loaded from a config.json */
  readonly id: string;
  readonly name: string;
  /** 'encoder': prompt-only (embeddings), no decode phase */
  readonly kind: 'decoder' | 'encoder';
  readonly params_total: number;
  readonly params_active: number;
}

const LLAMA_COMMON = { mlp: 'gated', tied_embeddings: false, learned_positions: 0, biases: false, experts: 1, experts_per_token: 1, kind: 'decoder' } as const;

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
  // Jiang et al., "Mixtral of Experts" (2024) and HF mistralai/Mixtral-8x7B-v0.1 config.json:
  // 32 layers, hidden 4096, 32 heads, 8 KV heads, 8 experts of intermediate 14336, top-2,
  // vocab 32000, 32768 context. 46.7B total, 12.9B active per token.
  'mixtral-8x7b': {
    ...LLAMA_COMMON, id: 'mixtral-8x7b', name: 'Mixtral-8x7B', params_total: 46.7e9, params_active: 12.9e9,
    layers: 32, hidden_size: 4096, attention_heads: 32, kv_heads: 8, head_dim: 128, intermediate_size: 14336,
    vocab_size: 32000, experts: 8, experts_per_token: 2, max_context: 32768,
  },
  // Black et al., "GPT-NeoX-20B" (2022) and HF EleutherAI/gpt-neox-20b config.json: 44 layers,
  // hidden 6144, 64 heads of 96, intermediate 24576, vocab 50432 (untied), 2048 context. 20.55B.
  'gpt-neox-20b': {
    id: 'gpt-neox-20b', name: 'GPT-NeoX-20B', kind: 'decoder', params_total: 20.55e9, params_active: 20.55e9,
    layers: 44, hidden_size: 6144, attention_heads: 64, kv_heads: 64, head_dim: 96, intermediate_size: 24576,
    vocab_size: 50432, experts: 1, experts_per_token: 1, max_context: 2048,
    mlp: 'plain', tied_embeddings: false, learned_positions: 0, biases: true,
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
};

export const MODEL_IDS: readonly ModelId[] = Object.keys(MODELS) as ModelId[];
