import { UserError } from '../errors.ts';
import { excerpt } from '../util/excerpt.ts';
import { closest, editDistance } from '../cost/suggest.ts';
import { GPUS, GPU_IDS, type GpuId, type GpuSpec } from './hardware.ts';
import { loadHfConfig } from './hf-config.ts';
import { MODELS, MODEL_IDS, type ModelId, type ModelSpec } from './models.ts';
import type { Dtype } from './dtype.ts';

/**
 * Ids listed whole in a refusal; past it the nearest few and where the list is. A refusal is one
 * line: the catalog's 87 model ids made one of 1,000 characters and more.
 */
const LISTED_IDS_MAX = 30;
const NEAREST_LISTED = 8;

/** `spelled`: the value as the catalog would spell it, which the nearest id is measured from. */
function unknown(kind: string, flag: string, value: string, ids: readonly string[], spelled = value): UserError {
  const nearest = closest(spelled, ids);
  const listed = ids.length <= LISTED_IDS_MAX
    ? `valid: ${ids.join(', ')}`
    : `the nearest of the catalog's ${ids.length}: ${nearestIds(spelled, ids, nearest).join(', ')} (every one: docs/step-model.md, "The model catalog")`;
  return new UserError(`${flag}: unknown ${kind} "${excerpt(value)}" (did you mean "${nearest}"?); ${listed}`);
}

/** The did-you-mean id, then the ids nearest to `spelled` by edit distance (ties in catalog order): NEAREST_LISTED in all. */
function nearestIds(spelled: string, ids: readonly string[], first: string): string[] {
  const v = spelled.toLowerCase();
  const others = ids
    .filter((id) => id !== first)
    .map((id, index) => ({ id, index, d: editDistance(v, id) }))
    .sort((a, b) => a.d - b.d || a.index - b.index)
    .slice(0, NEAREST_LISTED - 1)
    .map((x) => x.id);
  return [first, ...others];
}

/**
 * Other spellings of the catalog GPUs that name one part without doubt, as benchmark pages write
 * them ("H100 SXM5 80GB", "A100-SXM4-80GB", "H200 141GB"). A100 and V100 alone are not here: their
 * memory sizes are different parts. H100 alone is the SXM part on an 8-GPU NVSwitch board, as most
 * published runs mean it (the PCIe card, the NVL card and the 4-GPU HGX board have ids of their own). Read for corpus rows and `perf --gpu`;
 * a scenario names the catalog id, which its instance and prices are keyed on.
 */
const GPU_ALIASES: Readonly<Record<string, GpuId>> = {
  'h100': 'h100-80gb', 'h100-sxm': 'h100-80gb', 'h100-sxm5': 'h100-80gb', 'h100-sxm-80gb': 'h100-80gb', 'h100-sxm5-80gb': 'h100-80gb',
  'h100-80gb-sxm': 'h100-80gb', 'h100-80gb-hbm3': 'h100-80gb',
  'h100-hgx4': 'h100-80gb-hgx4', 'hgx-h100-4-gpu': 'h100-80gb-hgx4', 'h100-sxm-hgx4': 'h100-80gb-hgx4',
  'h100-pcie-80gb': 'h100-pcie', 'h100-80gb-pcie': 'h100-pcie', 'nvidia-h100-pcie': 'h100-pcie',
  'h100-nvl-94gb': 'h100-nvl', 'nvidia-h100-nvl': 'h100-nvl',
  'h200-sxm': 'h200', 'h200-141gb': 'h200', 'h200-sxm-141gb': 'h200',
  'a100-sxm4-80gb': 'a100-80gb', 'a100-sxm-80gb': 'a100-80gb', 'a100-80gb-sxm': 'a100-80gb', 'a100-80gb-sxm4': 'a100-80gb',
  'a100-sxm4-40gb': 'a100-40gb', 'a100-sxm-40gb': 'a100-40gb', 'a100-40gb-sxm': 'a100-40gb', 'a100-40gb-sxm4': 'a100-40gb',
  'a100-pcie-80gb': 'a100-80gb-pcie', 'a100-pcie4-80gb': 'a100-80gb-pcie',
  'a100-pcie-40gb': 'a100-40gb-pcie', 'a100-pcie4-40gb': 'a100-40gb-pcie',
  'mi300x-192gb': 'mi300x', 'b200-180gb': 'b200',
};

/** Words joined by hyphens, lower-cased: spaces and underscores between words, hyphens doubled (catalog and corpus words are spelled so). */
export const hyphenatedLower = (s: string) => s.trim().toLowerCase().replace(/[\s_]+/g, '-').replace(/-{2,}/g, '-');

/**
 * A GPU's name as the catalog spells its ids and aliases: lower case, words joined by hyphens, no
 * vendor word ("NVIDIA H100 80GB HBM3", as nvidia-smi prints it, is h100-80gb-hbm3).
 */
export function gpuSpelling(name: string): string {
  return hyphenatedLower(name).replace(/^(?:nvidia-|amd-)?(?:instinct-)?/, '');
}

/** The catalog id a GPU name stands for: itself, or the one part an alias names (in any spelling gpuSpelling reads); else the name unchanged. */
export function catalogGpuId(name: string): string {
  const spelled = gpuSpelling(name);
  if (Object.hasOwn(GPU_ALIASES, spelled)) return GPU_ALIASES[spelled];
  return Object.hasOwn(GPUS, spelled) ? spelled : name;
}

/**
 * Published checkpoints whose layout differs from their base model's beyond the dtype, by their
 * Hugging Face ids: the organisation decides, since NVIDIA's nvidia/Llama-3.1-405B-Instruct-FP8
 * (ModelOpt, every linear layer in FP8) is the base shape where Meta's release of the same name
 * keeps its attention in BF16 (models.ts llama-3.1-405b-meta-fp8).
 */
const CHECKPOINT_NAMES: Readonly<Record<string, ModelId>> = {
  'meta-llama/llama-3.1-405b-fp8': 'llama-3.1-405b-meta-fp8',
  'meta-llama/llama-3.1-405b-instruct-fp8': 'llama-3.1-405b-meta-fp8',
  'meta-llama/meta-llama-3.1-405b-fp8': 'llama-3.1-405b-meta-fp8',
  'meta-llama/meta-llama-3.1-405b-instruct-fp8': 'llama-3.1-405b-meta-fp8',
};

/**
 * A model's name as the catalog spells ids: lower case, words joined by hyphens, a Hugging Face
 * id's organisation ("meta-llama/") dropped, unless the id is a checkpoint the catalog holds apart.
 */
export function modelSpelling(name: string): string {
  const lower = hyphenatedLower(name);
  if (Object.hasOwn(CHECKPOINT_NAMES, lower)) return CHECKPOINT_NAMES[lower];
  return lower.slice(lower.lastIndexOf('/') + 1);
}

export function getGpu(id: string, flag = '--gpu'): GpuSpec {
  if (Object.hasOwn(GPUS, id)) return GPUS[id as GpuId];
  throw unknown('GPU', flag, id, GPU_IDS, gpuSpelling(id));
}

/**
 * A fine-tune's name on its base model's: an instruct or chat model, an HF conversion, a release
 * tag or date (-v0.2, -0528, -2507) or a quantized checkpoint has its base's shape
 * (Llama-3.1-8B-Instruct-FP8 is Llama-3.1-8B's layers; the dtype is said apart). Taken off the end
 * one at a time, and only when the name itself is not in the catalog; Meta's "Meta-Llama-3-..."
 * names lose their "meta-", MLPerf's "llama2-70b" reads as "llama-2-70b", and Llama 4's
 * active-size and expert-count tag goes too (Llama-4-Scout-17B-16E-Instruct is llama-4-scout).
 */
const FINE_TUNE_SUFFIX = /-(instruct|chat|hf|base|it|v\d+(?:\.\d+)*|\d{4}|fp8|fp8-dynamic|awq|gptq|int4|int8|w4a16|w8a8|\d+b-\d+e)$/;

/**
 * Models published under their own name on a catalog model's layers. DeepSeek-R1's config.json
 * differs from DeepSeek-V3's in no shape field; the R1 distillations are fine-tunes of the models
 * the DeepSeek-R1 model card's "DeepSeek-R1-Distill Models" table names (Qwen2.5-Math-7B has
 * Qwen2.5-7B's shape). The distillations' configs allow 131,072 tokens where the catalog's Qwen2.5
 * entries keep 32,768: only a longer prompt than that reads differently. The others below are
 * fine-tunes whose config.json (cited beside each) matches their base's in every shape field.
 */
const MODEL_ALIASES: Readonly<Record<string, ModelId>> = {
  'deepseek-r1': 'deepseek-v3',
  'deepseek-r1-distill-llama-8b': 'llama-3.1-8b',
  'deepseek-r1-distill-llama-70b': 'llama-3.3-70b',
  'deepseek-r1-distill-qwen-7b': 'qwen2.5-7b',
  'deepseek-r1-distill-qwen-14b': 'qwen2.5-14b',
  'deepseek-r1-distill-qwen-32b': 'qwen2.5-32b',
  // Mistral-Large-Instruct-2407 and -2411: one 123B shape
  'mistral-large': 'mistral-large-123b',
  // Mistral-Nemo-Instruct-2407 and -Base-2407 (HF config.json): 40 x 5120, 32 heads of 128, 8 KV,
  // 14336, vocab 131072, the catalog's Mistral-NeMo-12B
  'mistral-nemo': 'mistral-nemo-12b',
  // Qwen/QwQ-32B and QwQ-32B-Preview config.json: Qwen2.5-32B's 64 x 5120, 40 heads, 8 KV, 27648,
  // vocab 152064 (QwQ-32B's card: 32.5B, "full 131,072 tokens", with YaRN past 32,768 as Qwen2.5's)
  'qwq-32b': 'qwen2.5-32b',
  'qwq-32b-preview': 'qwen2.5-32b',
  // Qwen/Qwen2.5-Coder-7B-, -14B- and -32B-Instruct config.json: the shapes of Qwen2.5-7B, -14B and
  // -32B, vocab 152064 and 32768 positions included
  'qwen2.5-coder-7b': 'qwen2.5-7b',
  'qwen2.5-coder-14b': 'qwen2.5-14b',
  'qwen2.5-coder-32b': 'qwen2.5-32b',
  // nvidia/Llama-3.1-Nemotron-70B-Instruct-HF config.json: Llama-3.1-70B's, vocab 128256 and
  // 131072 positions included
  'llama-3.1-nemotron-70b': 'llama-3.1-70b',
  // lmsys/vicuna-7b-v1.5 and -13b-v1.5 config.json: Llama 2 7B's and 13B's (vocab 32000, 4096
  // positions); v1.3 is a LLaMA 1 fine-tune of 2048 positions, and 33B only came as v1.3. A bare
  // "vicuna-7b" reads as v1.5: a v1.3 prompt fits its 4,096 tokens all the same.
  'vicuna-7b': 'llama-2-7b',
  'vicuna-13b': 'llama-2-13b',
  'vicuna-7b-v1.3': 'llama-7b',
  'vicuna-13b-v1.3': 'llama-13b',
  'vicuna-33b': 'llama-33b',
  // Hugging Face names of Cohere's releases (CohereForAI/c4ai-command-r-v01 is command-r);
  // c4ai-command-r-plus-08-2024's config.json has the 04-2024 release's shape; command-r-08-2024 is
  // a shape of its own (8 KV heads), which taking "-2024" off must not reach
  'c4ai-command-r': 'command-r',
  'c4ai-command-r-08-2024': 'command-r-08-2024',
  'c4ai-command-r-plus': 'command-r-plus',
  'c4ai-command-r-plus-08-2024': 'command-r-plus',
  'command-r-plus-08-2024': 'command-r-plus',
  // ibm-granite/granite-3.2-8b-instruct config.json: granite-3.1-8b's (vocab 49155, 131072 positions)
  'granite-3.2-8b': 'granite-3.1-8b',
};

/** The catalog id a model name stands for: itself, an alias's, else its base model's (FINE_TUNE_SUFFIX), else undefined. */
export function catalogModelId(name: string): ModelId | undefined {
  for (let id = modelSpelling(name).replace(/^meta-(?=llama-)/, '').replace(/^llama(?=\d)/, 'llama-'); ; ) {
    if (Object.hasOwn(MODELS, id)) return id as ModelId;
    if (Object.hasOwn(MODEL_ALIASES, id)) return MODEL_ALIASES[id];
    const base = id.replace(FINE_TUNE_SUFFIX, '');
    if (base === id) return undefined;
    id = base;
  }
}

/** Checkpoint-format suffixes of a published name and the weight dtype each names (GPTQ and AWQ: 4-bit weight-only as published). */
const NAME_DTYPES: Readonly<Record<string, Dtype>> = {
  fp8: 'fp8', 'fp8-dynamic': 'fp8', awq: 'int4', gptq: 'int4', int4: 'int4', w4a16: 'int4', int8: 'int8', w8a8: 'int8',
};

/**
 * The weight dtype a model's name states, if any suffix taken off on the way to its catalog id is a
 * checkpoint format (Meta-Llama-3.1-70B-Instruct-FP8: fp8). `perf --model ...-FP8` sized such a
 * checkpoint at FP16 without a word, or refused it as not fitting.
 */
export function nameDtype(name: string): Dtype | undefined {
  for (let id = modelSpelling(name); ; ) {
    if (Object.hasOwn(MODELS, id) || Object.hasOwn(MODEL_ALIASES, id)) return undefined;
    const match = FINE_TUNE_SUFFIX.exec(id);
    if (match === null) return undefined;
    if (Object.hasOwn(NAME_DTYPES, match[1])) return NAME_DTYPES[match[1]];
    id = id.slice(0, match.index);
  }
}

export function getModel(id: string, flag = '--model'): ModelSpec {
  const found = catalogModelId(id);
  if (found !== undefined) return MODELS[found];
  throw unknown('model', flag, id, MODEL_IDS, modelSpelling(id));
}

/**
 * A scenario's model: a catalog id, or a path to a Hugging Face config.json (anything ending in
 * .json). `where` names the field in errors (e.g. "fleet.models[0].model").
 */
export function resolveModel(idOrPath: string, where = '--model'): ModelSpec {
  const found = catalogModelId(idOrPath);
  if (found !== undefined) return MODELS[found];
  if (idOrPath.endsWith('.json')) return loadHfConfig(idOrPath);
  throw unknown('model', where, idOrPath, MODEL_IDS);
}
