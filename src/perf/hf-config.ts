import { basename, dirname, extname, resolve } from 'node:path';
import { UserError } from '../errors.ts';
import { escapeControls, hasControls, quote } from '../util/excerpt.ts';
import type { ModelSpec } from './models.ts';
import { countParams, type ModelShape } from './shape.ts';
import { familyOf, FAMILY_READERS, KNOWN_MODEL_TYPES, MAX_CONFIG_EXPERTS, MAX_CONFIG_LAYERS, siglipParams } from './hf-families.ts';
import { MAX_SMALL_INPUT_BYTES, readInputText } from '../util/read-input.ts';
import { readBlockScaledFp8, readCheckpointDtype } from './checkpoint-dtype.ts';
import { readUnquantizedModules } from './unquantized-modules.ts';
import { parseJsonInput } from '../util/json-keys.ts';

/**
 * Load a model from a Hugging Face config.json. The model_type picks a reader (hf-families.ts)
 * that knows the key spellings of that family and what the file leaves unsaid (MLP kind, biases,
 * tied embeddings, position embeddings, expert layout). Parameter counts are computed from the
 * shape (shape.ts).
 *
 * Refused rather than sized by guess (UserError, exit 2): a model_type no reader knows, and a
 * config carrying mixture-of-experts, MLA or attention-layout fields its reader does not place
 * (e.g. experts in a model_type read as dense).
 */
export type Json = Record<string, unknown>;

/**
 * The largest integer a config field may hold: 2^31 - 1, as the int32 fields of the engines that
 * read these files. Beyond it the sizes overflow to Infinity and every figure reads NaN.
 */
const MAX_CONFIG_INTEGER = 2 ** 31 - 1;

/**
 * Bounds on the fields that size a model, at 16 times or more the largest published value (2025:
 * hidden 16,384 and 126 layers in Llama 3.1 405B, heads of 256 in Gemma, 384 experts in Kimi K2,
 * vocabularies of 262,144; layers and experts as MAX_CONFIG_LAYERS and MAX_CONFIG_EXPERTS).
 * Within int32 alone, `head_dim` 2,147,483,647 sized a model at 45 million GB a GPU and was
 * refused only as "does not fit", naming neither the file nor the field.
 */
const PLAUSIBLE_MAX: Readonly<Record<string, number>> = {
  hidden_size: 262_144, n_embd: 262_144, d_model: 262_144,
  num_hidden_layers: MAX_CONFIG_LAYERS, n_layer: MAX_CONFIG_LAYERS, num_layers: MAX_CONFIG_LAYERS,
  num_attention_heads: 8192, n_head: 8192, num_key_value_heads: 8192, num_kv_heads: 8192,
  head_dim: 4096, qk_nope_head_dim: 4096, qk_rope_head_dim: 4096, v_head_dim: 4096,
  kv_lora_rank: 65_536, q_lora_rank: 65_536,
  intermediate_size: 2_097_152, ffn_dim: 2_097_152, moe_intermediate_size: 2_097_152, shared_expert_intermediate_size: 2_097_152,
  vocab_size: 16_777_216,
  num_local_experts: MAX_CONFIG_EXPERTS, num_experts: MAX_CONFIG_EXPERTS, n_routed_experts: MAX_CONFIG_EXPERTS, num_experts_per_tok: MAX_CONFIG_EXPERTS, experts_per_token: MAX_CONFIG_EXPERTS,
};

/** Fields that change the size or the KV cache of a model when present; a reader must place each one it meets. */
const SHAPE_CHANGING_KEYS = [
  'num_local_experts', 'num_experts', 'n_routed_experts', 'num_experts_per_tok', 'experts_per_token',
  'n_shared_experts', 'num_shared_experts', 'shared_expert_intermediate_size', 'moe_intermediate_size',
  'first_k_dense_replace', 'moe_layer_freq', 'decoder_sparse_step', 'mlp_only_layers', 'interleave_moe_layer_step',
  'moe_layers', 'intermediate_size_mlp', 'kv_lora_rank', 'q_lora_rank', 'qk_nope_head_dim', 'qk_rope_head_dim',
  'v_head_dim', 'num_nextn_predict_layers', 'layer_types', 'use_sliding_window', 'sliding_window_pattern',
] as const;

export class Reader {
  /** keys a family reader has read (or deliberately set aside), for the unplaced-fields check */
  readonly placed = new Set<string>();

  constructor(readonly file: string, readonly cfg: Json, readonly prefix = '') {}

  private fail(key: string, what: string, got: unknown): never {
    throw new UserError(`${this.file}: ${this.prefix}${key}: expected ${what}, got ${quote(got)}`);
  }

  private present(key: string): boolean {
    this.placed.add(key);
    return key in this.cfg && this.cfg[key] !== null;
  }

  /** First present key among the spellings; the first spelling names the field in messages. */
  int(keys: readonly string[], fallback?: number, min = 1, max = MAX_CONFIG_INTEGER): number {
    for (const k of keys) {
      if (!this.present(k)) continue;
      const v = this.cfg[k];
      const bound = Math.min(max, PLAUSIBLE_MAX[k] ?? max);
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > bound) {
        this.fail(k, `${min === 0 ? 'a non-negative' : 'a positive'} integer of at most ${bound}`, v);
      }
      return v;
    }
    if (fallback !== undefined) return fallback;
    const alt = keys.length > 1 ? ` (also looked for ${keys.slice(1).join(', ')})` : '';
    throw new UserError(`${this.file}: ${this.prefix}${keys[0]}: missing${alt}`);
  }

  /** A count that may be 0 (first_k_dense_replace, n_shared_experts); null reads as the fallback. */
  count(key: string, fallback: number): number {
    return this.int([key], fallback, 0);
  }

  bool(key: string, fallback: boolean): boolean {
    if (!this.present(key)) return fallback;
    const v = this.cfg[key];
    if (typeof v !== 'boolean') this.fail(key, 'true or false', v);
    return v;
  }

  str(key: string): string | undefined {
    if (!this.present(key)) return undefined;
    const v = this.cfg[key];
    if (typeof v !== 'string') this.fail(key, 'a string', v);
    return v;
  }

  /**
   * Layer indices, each once: the shape looks each layer up in the list, so a list of a million
   * repeats would cost a million steps a layer.
   */
  intList(key: string): number[] {
    if (!this.present(key)) return [];
    const v = this.cfg[key];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0)) this.fail(key, 'a list of layer indices', v);
    return [...new Set(v as number[])];
  }

  strList(key: string): string[] | undefined {
    if (!this.present(key)) return undefined;
    const v = this.cfg[key];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) this.fail(key, 'a list of strings', v);
    return v as string[];
  }

  object(key: string): Json | undefined {
    if (!this.present(key)) return undefined;
    const v = this.cfg[key];
    if (typeof v !== 'object' || Array.isArray(v)) this.fail(key, 'an object', v);
    return v as Json;
  }

  /** Mark fields as read on purpose though they do not change the shape (routing details). */
  setAside(...keys: string[]): void {
    for (const k of keys) this.placed.add(k);
  }

  /** Shape-changing fields present with a value that means something, which no reader placed. */
  unplaced(): string[] {
    return SHAPE_CHANGING_KEYS.filter((k) => {
      if (this.placed.has(k)) return false;
      const v = this.cfg[k];
      if (v === undefined || v === null || v === false || v === 0) return false;
      return !(Array.isArray(v) && v.length === 0);
    }).map((k) => this.prefix + k);
  }
}

function shapeFromConfig(cfg: Json, file: string): { shape: ModelShape; family: string } {
  const top = new Reader(file, cfg);
  const modelType = top.str('model_type');
  const family = familyOf(modelType);
  if (family === undefined) {
    const fields = top.unplaced();
    const also = fields.length > 0 ? `; fields it could not place: ${fields.join(', ')}` : '';
    throw new UserError(
      `${file}: model_type: ${modelType === undefined ? 'missing' : `"${modelType}" is not an architecture the loader understands`} ` +
      `(known: ${KNOWN_MODEL_TYPES.join(', ')})${also}; refusing to size it by guess`);
  }
  // Llama-4 and Gemma 3 nest the language model under text_config; Gemma 3's image encoder is
  // sized (vision_params), Llama-4's is not (under 1% of its weights)
  let reader = top;
  if (family === 'llama4' || modelType === 'gemma3') {
    const text = top.object('text_config');
    if (text !== undefined) reader = new Reader(file, text, 'text_config.');
  }
  let shape = FAMILY_READERS[family](reader, file);
  if (modelType === 'gemma3') {
    const vision = new Reader(file, top.object('vision_config') ?? {}, 'vision_config.');
    shape = { ...shape, vision_params: siglipParams(vision, file, shape.hidden_size) };
  }
  for (const r of reader === top ? [top] : [top, reader]) {
    const fields = r.unplaced();
    if (fields.length > 0) {
      throw new UserError(`${file}: model_type "${modelType}": fields the loader cannot place: ${fields.join(', ')}; refusing to size it by guess`);
    }
  }
  return { shape, family };
}

export function modelFromHfConfig(cfg: unknown, file: string, id?: string): ModelSpec {
  if (typeof cfg !== 'object' || cfg === null || Array.isArray(cfg)) {
    throw new UserError(`${file}: expected a JSON object (a Hugging Face config.json)`);
  }
  const { shape, family } = shapeFromConfig(cfg as Json, file);
  if (!shape.mla && (shape.kv_heads > shape.attention_heads || shape.attention_heads % shape.kv_heads !== 0)) {
    throw new UserError(`${file}: num_key_value_heads ${shape.kv_heads} must divide num_attention_heads ${shape.attention_heads}`);
  }
  if (shape.experts_per_token > shape.experts) {
    throw new UserError(`${file}: num_experts_per_tok ${shape.experts_per_token} exceeds the ${shape.experts} routed experts`);
  }
  const counts = countParams(shape);
  const top = new Reader(file, cfg as Json);
  const name = nameOrPath(top) ?? fileModelName(file);
  const text = (cfg as Json).text_config;
  const configs = typeof text === 'object' && text !== null ? [cfg as Json, text as Json] : [cfg as Json];
  const checkpoint = readCheckpointDtype(configs, file);
  return {
    ...shape,
    id: id ?? (name || file),
    name: name || file,
    kind: family === 'bert' ? 'encoder' : 'decoder',
    params_total: counts.total,
    params_active: counts.active,
    ...(checkpoint === undefined ? {} : { checkpoint }),
    ...(readBlockScaledFp8(configs, file) ? { fp8_block_scaled: true } : {}),
    ...readUnquantizedModules(configs, shape, file),
  };
}

/**
 * Longest `_name_or_path` taken: a repository id or a local path (PATH_MAX is 4,096 bytes). The
 * name heads `perf`'s table and names the model in reports, where a 1 MB name was printed whole.
 */
const MAX_NAME_OR_PATH_CHARS = 4_096;

/** `_name_or_path`, which is printed: refused with control characters (an ANSI escape reached the terminal raw) or past the limit. */
function nameOrPath(top: Reader): string | undefined {
  const name = top.str('_name_or_path');
  if (name !== undefined && (name.length > MAX_NAME_OR_PATH_CHARS || hasControls(name))) {
    throw new UserError(`${top.file}: _name_or_path: expected a name of at most ${MAX_NAME_OR_PATH_CHARS} characters without control characters, got ${quote(name)}`);
  }
  return name;
}

/**
 * A model's name from its file: the folder of a config.json (the Hugging Face layout), else the
 * file's own name; control characters escaped, as a file name may hold them.
 */
function fileModelName(file: string): string {
  const base = basename(file);
  return escapeControls(base === 'config.json' ? basename(dirname(resolve(file))) : basename(base, extname(base)));
}

export function loadHfConfig(path: string, id?: string): ModelSpec {
  const text = readInputText(path, path, (code) => `cannot read model config: ${code}`, MAX_SMALL_INPUT_BYTES);
  return modelFromHfConfig(parseJsonInput(text, path), path, id);
}
