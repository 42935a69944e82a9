/**
 * Transformer shape and the parameter counts that follow from it. Shared by the model catalog
 * (models.ts) and the Hugging Face config loader (hf-config.ts), so both count the same way.
 */
export interface ModelShape {
  readonly layers: number;
  readonly hidden_size: number;
  readonly attention_heads: number;
  /** key/value heads: = attention_heads for MHA, fewer for GQA, 1 for MQA */
  readonly kv_heads: number;
  readonly head_dim: number;
  /** MLP width (per expert for MoE) */
  readonly intermediate_size: number;
  readonly vocab_size: number;
  /** 1 for a dense model */
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
}

export interface ParamCounts {
  readonly total: number;
  /** parameters a token passes through (MoE: shared weights + experts_per_token experts) */
  readonly active: number;
  /** input token embeddings + learned positions: a lookup, no matmul FLOPs */
  readonly input_embedding: number;
  /** output projection to the vocabulary (shares storage with the input embedding when tied) */
  readonly lm_head: number;
  /** all expert MLP weights (0 for dense models) */
  readonly expert_total: number;
}

export function countParams(s: ModelShape): ParamCounts {
  const h = s.hidden_size;
  const qDim = s.attention_heads * s.head_dim;
  const kvDim = s.kv_heads * s.head_dim;
  const attn = h * qDim + 2 * h * kvDim + qDim * h + (s.biases ? qDim + 2 * kvDim + h : 0);
  const perExpert = (s.mlp === 'gated' ? 3 : 2) * h * s.intermediate_size + (s.biases ? s.intermediate_size + h : 0);
  const router = s.experts > 1 ? h * s.experts : 0;
  // two norms per layer: RMSNorm has a weight, LayerNorm a weight and a bias
  const norms = (s.biases ? 4 : 2) * h;
  const shared = attn + router + norms;
  const inputEmbedding = s.vocab_size * h + s.learned_positions * h;
  const lmHead = s.vocab_size * h;
  const storedHead = s.tied_embeddings ? 0 : lmHead;
  const finalNorm = (s.biases ? 2 : 1) * h;
  const fixed = inputEmbedding + storedHead + finalNorm;
  const expertTotal = s.experts > 1 ? s.layers * s.experts * perExpert : 0;
  return {
    total: fixed + s.layers * (shared + s.experts * perExpert),
    active: fixed + s.layers * (shared + s.experts_per_token * perExpert),
    input_embedding: inputEmbedding,
    lm_head: lmHead,
    expert_total: expertTotal,
  };
}
