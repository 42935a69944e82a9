import { UserError } from '../errors.ts';
import { quote } from '../util/excerpt.ts';
import type { Dtype } from './dtype.ts';
import type { GpuSpec } from './hardware.ts';

/**
 * The weight dtype a Hugging Face config.json declares for its checkpoint: what a serving engine
 * loads when it is not told otherwise (vLLM's `--dtype auto` and `--quantization` read from the
 * same fields). A quantised checkpoint says so in `quantization_config`; an unquantised one in
 * `torch_dtype` (`dtype` from transformers 4.56 on).
 *
 * `dtype: null` is a quantisation the loader does not read: sized by guess it would be off by 2-4x,
 * so a model whose dtype is not given otherwise is refused (weightDtypeFor).
 */
export interface CheckpointDtype {
  readonly dtype: Dtype | null;
  /** the config file, and the field that says it (`quantization_config.quant_method`, `torch_dtype`, `dtype`) */
  readonly file: string;
  readonly field: string;
  /** the value found, quoted for messages */
  readonly value: string;
  /** a 32-bit checkpoint's torch dtype, which the engine casts to the 16-bit `dtype` it serves */
  readonly castFrom?: string;
}

type Json = Record<string, unknown>;

/** GPTQ, AWQ and their kernels' names: integer weights of `bits` bits, served weight-only. */
const INTEGER_METHODS: ReadonlySet<string> = new Set(['gptq', 'awq', 'gptq_marlin', 'awq_marlin', 'marlin', 'exllama', 'exllamav2']);

function integerDtype(bits: unknown): Dtype | null {
  if (bits === 4) return 'int4';
  if (bits === 8) return 'int8';
  return null;
}

/** compressed-tensors (LLM Compressor): the weights' {num_bits, type} in any of its config groups. */
function compressedTensorsDtype(q: Json): Dtype | null {
  const groups = q.config_groups;
  if (typeof groups !== 'object' || groups === null) return null;
  const found = new Set<Dtype | null>();
  for (const group of Object.values(groups as Json)) {
    const weights = (group as Json | null)?.weights as Json | undefined;
    if (weights === undefined || weights === null) continue;
    if (weights.type === 'float') found.add(weights.num_bits === 8 ? 'fp8' : weights.num_bits === 4 ? 'fp4' : null);
    else if (weights.type === 'int') found.add(integerDtype(weights.num_bits));
    else found.add(null);
  }
  // one format for every group: mixed schemes are not sized by guess
  return found.size === 1 ? [...found][0] : null;
}

/** The dtype a quantization_config names, or null for one the loader does not read. */
function quantisedDtype(q: Json): Dtype | null {
  const method = q.quant_method;
  if (method === 'fp8' || method === 'fbgemm_fp8') return 'fp8';
  // gpt-oss: MXFP4 experts (expert_weight_bits in its shape), 16-bit attention and embeddings
  if (method === 'mxfp4') return 'bf16';
  if (typeof method === 'string' && INTEGER_METHODS.has(method)) return integerDtype(q.bits ?? q.w_bit);
  if (method === 'bitsandbytes') return q.load_in_4bit === true ? 'int4' : q.load_in_8bit === true ? 'int8' : null;
  if (method === 'compressed-tensors') return compressedTensorsDtype(q);
  if (method === 'modelopt') {
    const algo = q.quant_algo;
    return algo === 'FP8' ? 'fp8' : algo === 'NVFP4' ? 'fp4' : null;
  }
  return null;
}

/** compressed-tensors' weights of every config group scaled per block (`strategy: "block"`). */
function compressedTensorsBlockScaled(q: Json): boolean {
  const groups = q.config_groups;
  if (typeof groups !== 'object' || groups === null) return false;
  const weights = Object.values(groups as Json).map((group) => (group as Json | null)?.weights as Json | undefined);
  return weights.length > 0 && weights.every((w) => w !== undefined && w !== null && w.strategy === 'block');
}

/**
 * Whether a config's FP8 checkpoint scales its weights per block (shape.ts fp8_block_scaled):
 * `quant_method: "fp8"` with a `weight_block_size` (DeepSeek-V3, the Qwen3 FP8 releases), or
 * compressed-tensors FP8 with the block strategy.
 */
export function readBlockScaledFp8(configs: readonly Json[], file: string): boolean {
  for (const cfg of configs) {
    const q = cfg.quantization_config;
    if (typeof q !== 'object' || q === null || Array.isArray(q)) continue;
    const quant = q as Json;
    if (quantisedDtype(quant) !== 'fp8') return false;
    if (quant.weight_block_size !== undefined && quant.weight_block_size !== null) return readWeightBlockSize(quant.weight_block_size, file);
    return quant.quant_method === 'compressed-tensors' && compressedTensorsBlockScaled(quant);
  }
  return false;
}

/**
 * A checkpoint's `weight_block_size`: two positive integers (rows and columns of one scale's
 * block, [128, 128] in every release read). Anything else is refused: a garbled field would
 * otherwise decide silently whether the weights' GEMMs run at half rate.
 */
function readWeightBlockSize(value: unknown, file: string): true {
  const valid = Array.isArray(value) && value.length === 2 && value.every((v) => Number.isSafeInteger(v) && (v as number) > 0);
  if (!valid) throw new UserError(`${file}: quantization_config.weight_block_size: expected two positive integers (e.g. [128, 128]), got ${quote(value)}`);
  return true;
}

const TORCH_DTYPES: Readonly<Record<string, Dtype>> = {
  bfloat16: 'bf16', float16: 'fp16', half: 'fp16',
  // engines serve a 32-bit checkpoint in 16 bits: vLLM's --dtype auto (_resolve_auto_dtype, from
  // 0.10.1) casts it to the platform's first supported dtype, bfloat16 on GPUs with BF16 and
  // float16 on the others (weightDtypeFor makes that turn); before 0.10.1 float16, the same bytes
  float32: 'bf16', float: 'bf16',
};
const THIRTY_TWO_BIT: ReadonlySet<string> = new Set(['float32', 'float']);

/** The checkpoint dtype of a config (or its text_config, as Llama-4 nests it); undefined when it names none. */
export function readCheckpointDtype(configs: readonly Json[], file: string): CheckpointDtype | undefined {
  for (const cfg of configs) {
    const q = cfg.quantization_config;
    if (q === undefined || q === null) continue;
    // any other value (a string, a list) still says the checkpoint is quantised: unread, not sized as 16-bit
    if (typeof q !== 'object' || Array.isArray(q)) return { dtype: null, file, field: 'quantization_config', value: quote(q) };
    const method = (q as Json).quant_method;
    const experts = method === 'mxfp4' ? ' (MXFP4 experts, the rest 16-bit)' : '';
    return { dtype: quantisedDtype(q as Json), file, field: 'quantization_config.quant_method', value: quote(method) + experts };
  }
  for (const cfg of configs) {
    for (const key of ['torch_dtype', 'dtype']) {
      const v = cfg[key];
      if (v === undefined || v === null) continue;
      const known = typeof v === 'string' && Object.hasOwn(TORCH_DTYPES, v);
      return { dtype: known ? TORCH_DTYPES[v] : null, file, field: key, value: quote(v), ...(known && THIRTY_TWO_BIT.has(v) ? { castFrom: v } : {}) };
    }
  }
  return undefined;
}

/** Where a checkpoint's dtype came from, for perf's heading: the field, or the cast a 32-bit checkpoint is served with. */
export function checkpointDtypeNote(c: CheckpointDtype): string {
  if (c.castFrom !== undefined) return `the checkpoint is ${c.castFrom} (${c.field}); served in 16 bits as vLLM's --dtype auto does`;
  return `the checkpoint's: ${c.field} ${c.value}`;
}

/**
 * The weight dtype to size a model with: the one given (flag or scenario field), else its
 * checkpoint's, else fp16. A BF16 checkpoint on a GPU without BF16 tensor cores is served in FP16
 * (the same bytes).
 */
export function weightDtypeFor(model: { readonly checkpoint?: CheckpointDtype }, gpu: GpuSpec, given: Dtype | undefined, where: string): Dtype {
  if (given !== undefined) return given;
  const c = model.checkpoint;
  if (c === undefined) return 'fp16';
  if (c.dtype === null) {
    throw new UserError(`${c.file}: ${c.field}: ${c.value} is a weight format the loader does not read; give the weight dtype with ${where}`);
  }
  return c.dtype === 'bf16' && !gpu.supports_bf16 ? 'fp16' : c.dtype;
}
