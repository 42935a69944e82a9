import { readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { UserError } from '../errors.ts';
import type { ModelSpec } from './models.ts';
import { countParams, type ModelShape } from './shape.ts';

/**
 * Load a model from a Hugging Face config.json. Reads the key spellings of the Llama/Mistral/
 * Mixtral, GPT-2, GPT-NeoX, BLOOM and Falcon families (and BERT-style encoders); the family (model_type) decides what the
 * file does not say (MLP kind, biases, tied embeddings, position embeddings). Parameter counts
 * are computed from the shapes (shape.ts).
 */
type Json = Record<string, unknown>;

class Reader {
  constructor(private readonly file: string, private readonly cfg: Json) {}

  private fail(key: string, what: string, got: unknown): never {
    throw new UserError(`${this.file}: ${key}: expected ${what}, got ${JSON.stringify(got)}`);
  }

  /** First present key among the spellings; the first spelling names the field in messages. */
  int(keys: readonly string[], fallback?: number): number {
    for (const k of keys) {
      if (!(k in this.cfg) || this.cfg[k] === null) continue;
      const v = this.cfg[k];
      if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) this.fail(k, 'a positive integer', v);
      return v;
    }
    if (fallback !== undefined) return fallback;
    const alt = keys.length > 1 ? ` (also looked for ${keys.slice(1).join(', ')})` : '';
    throw new UserError(`${this.file}: ${keys[0]}: missing${alt}`);
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.cfg[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') this.fail(key, 'true or false', v);
    return v;
  }

  str(key: string): string | undefined {
    const v = this.cfg[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') this.fail(key, 'a string', v);
    return v;
  }
}

type Family = 'llama' | 'gpt2' | 'gpt_neox' | 'bloom' | 'falcon' | 'bert' | 'other';

function familyOf(modelType: string | undefined): Family {
  switch (modelType) {
    case 'llama': case 'mistral': case 'mixtral': case 'qwen2': return 'llama';
    case 'gpt2': return 'gpt2';
    case 'gpt_neox': return 'gpt_neox';
    case 'bloom': return 'bloom';
    // older Falcon checkpoints used these model_type names
    case 'falcon': case 'RefinedWeb': case 'RefinedWebModel': return 'falcon';
    case 'bert': case 'roberta': case 'xlm-roberta': return 'bert';
    default: return 'other';
  }
}

function shapeFrom(r: Reader, family: Family, file: string): ModelShape {
  const hidden = r.int(['hidden_size', 'n_embd', 'n_embed', 'd_model']);
  const layers = r.int(['num_hidden_layers', 'n_layer', 'num_layers']);
  const heads = r.int(['num_attention_heads', 'n_head']);
  const vocab = r.int(['vocab_size']);
  const headDim = r.int(['head_dim'], hidden / heads);
  if (!Number.isInteger(headDim)) {
    throw new UserError(`${file}: hidden_size ${hidden} is not a multiple of num_attention_heads ${heads}: set head_dim`);
  }
  switch (family) {
    case 'gpt2': {
      const positions = r.int(['n_positions', 'n_ctx'], 1024);
      return {
        layers, hidden_size: hidden, attention_heads: heads, kv_heads: heads, head_dim: headDim,
        intermediate_size: r.int(['n_inner'], 4 * hidden), vocab_size: vocab, experts: 1, experts_per_token: 1,
        max_context: positions, mlp: 'plain', tied_embeddings: r.bool('tie_word_embeddings', true),
        learned_positions: positions, biases: true,
      };
    }
    case 'gpt_neox':
      return {
        layers, hidden_size: hidden, attention_heads: heads, kv_heads: heads, head_dim: headDim,
        intermediate_size: r.int(['intermediate_size'], 4 * hidden), vocab_size: vocab, experts: 1, experts_per_token: 1,
        max_context: r.int(['max_position_embeddings'], 2048), mlp: 'plain',
        tied_embeddings: r.bool('tie_word_embeddings', false), learned_positions: 0, biases: true,
      };
    case 'bloom':
      // BLOOM: ALiBi positions, d_ff = 4 d_model, tied embeddings; configs carry no context length
      return {
        layers, hidden_size: hidden, attention_heads: heads, kv_heads: heads, head_dim: headDim,
        intermediate_size: 4 * hidden, vocab_size: vocab, experts: 1, experts_per_token: 1,
        max_context: r.int(['seq_length', 'max_position_embeddings'], 2048), mlp: 'plain',
        tied_embeddings: r.bool('tie_word_embeddings', true), learned_positions: 0, biases: true,
      };
    case 'falcon': {
      // new_decoder_architecture (40B/180B): grouped KV heads; else multi_query (7B): one KV head
      const kvHeads = r.bool('new_decoder_architecture', false)
        ? r.int(['num_kv_heads', 'n_head_kv'], heads)
        : r.bool('multi_query', true) ? 1 : heads;
      return {
        layers, hidden_size: hidden, attention_heads: heads, kv_heads: kvHeads, head_dim: headDim,
        intermediate_size: r.int(['ffn_hidden_size'], 4 * hidden), vocab_size: vocab, experts: 1, experts_per_token: 1,
        max_context: r.int(['max_position_embeddings'], 2048), mlp: 'plain',
        tied_embeddings: r.bool('tie_word_embeddings', true), learned_positions: 0, biases: r.bool('bias', false),
      };
    }
    case 'bert': {
      // encoders (embedding models): learned positions, GELU MLP, biases, tied MLM head
      const positions = r.int(['max_position_embeddings'], 512);
      return {
        layers, hidden_size: hidden, attention_heads: heads, kv_heads: heads, head_dim: headDim,
        intermediate_size: r.int(['intermediate_size'], 4 * hidden), vocab_size: vocab, experts: 1, experts_per_token: 1,
        max_context: positions, mlp: 'plain', tied_embeddings: true, learned_positions: positions, biases: true,
      };
    }
    case 'llama':
    case 'other': {
      const experts = r.int(['num_local_experts', 'num_experts'], 1);
      const act = r.str('hidden_act') ?? r.str('hidden_activation');
      const gated = family === 'llama' || act === 'silu' || act === 'swiglu';
      return {
        layers, hidden_size: hidden, attention_heads: heads,
        kv_heads: r.int(['num_key_value_heads', 'num_kv_heads'], heads), head_dim: headDim,
        intermediate_size: r.int(['intermediate_size', 'ffn_dim', 'n_inner'], 4 * hidden), vocab_size: vocab,
        experts, experts_per_token: experts > 1 ? r.int(['num_experts_per_tok'], 2) : 1,
        max_context: r.int(['max_position_embeddings', 'n_positions', 'seq_length']), mlp: gated ? 'gated' : 'plain',
        tied_embeddings: r.bool('tie_word_embeddings', false), learned_positions: 0, biases: false,
      };
    }
  }
}

export function modelFromHfConfig(cfg: unknown, file: string, id?: string): ModelSpec {
  if (typeof cfg !== 'object' || cfg === null || Array.isArray(cfg)) {
    throw new UserError(`${file}: expected a JSON object (a Hugging Face config.json)`);
  }
  const r = new Reader(file, cfg as Json);
  const family = familyOf(r.str('model_type'));
  const shape = shapeFrom(r, family, file);
  if (shape.kv_heads > shape.attention_heads || shape.attention_heads % shape.kv_heads !== 0) {
    throw new UserError(`${file}: num_key_value_heads ${shape.kv_heads} must divide num_attention_heads ${shape.attention_heads}`);
  }
  if (shape.experts_per_token > shape.experts) {
    throw new UserError(`${file}: num_experts_per_tok ${shape.experts_per_token} exceeds num_local_experts ${shape.experts}`);
  }
  const counts = countParams(shape);
  const name = r.str('_name_or_path') ?? basename(dirname(file));
  return {
    ...shape,
    id: id ?? (name || file),
    name: name || file,
    kind: family === 'bert' ? 'encoder' : 'decoder',
    params_total: counts.total,
    params_active: counts.active,
  };
}

export function loadHfConfig(path: string, id?: string): ModelSpec {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UserError(`${path}: cannot read model config: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  let cfg: unknown;
  try {
    cfg = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${path}: not valid JSON: ${(e as Error).message}`);
  }
  return modelFromHfConfig(cfg, path, id);
}
