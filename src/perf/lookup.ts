import { UserError } from '../errors.ts';
import { excerpt } from '../util/excerpt.ts';
import { closest } from '../cost/suggest.ts';
import { GPUS, GPU_IDS, type GpuId, type GpuSpec } from './hardware.ts';
import { loadHfConfig } from './hf-config.ts';
import { MODELS, MODEL_IDS, type ModelId, type ModelSpec } from './models.ts';

function unknown(kind: string, flag: string, value: string, ids: readonly string[]): UserError {
  return new UserError(`${flag}: unknown ${kind} "${excerpt(value)}" (did you mean "${closest(value, ids)}"?); valid: ${ids.join(', ')}`);
}

export function getGpu(id: string, flag = '--gpu'): GpuSpec {
  if (Object.hasOwn(GPUS, id)) return GPUS[id as GpuId];
  throw unknown('GPU', flag, id, GPU_IDS);
}

/**
 * A fine-tune's name on its base model's: an instruct or chat model, an HF conversion, a release
 * tag or a quantized checkpoint has its base's shape (Llama-3.1-8B-Instruct-FP8 is Llama-3.1-8B's
 * layers; the dtype is said apart). Taken off the end one at a time, and only when the name itself
 * is not in the catalog; Meta's "Meta-Llama-3-..." names lose their "meta-".
 */
const FINE_TUNE_SUFFIX = /-(instruct|chat|hf|base|it|v\d+(?:\.\d+)*|fp8|fp8-dynamic|awq|gptq|int4|int8|w4a16|w8a8)$/;

/** The catalog id a model name stands for: itself, else its base model's (FINE_TUNE_SUFFIX), else undefined. */
export function catalogModelId(name: string): ModelId | undefined {
  for (let id = name.replace(/^meta-(?=llama-)/, ''); ; ) {
    if (Object.hasOwn(MODELS, id)) return id as ModelId;
    const base = id.replace(FINE_TUNE_SUFFIX, '');
    if (base === id) return undefined;
    id = base;
  }
}

export function getModel(id: string, flag = '--model'): ModelSpec {
  const found = catalogModelId(id);
  if (found !== undefined) return MODELS[found];
  throw unknown('model', flag, id, MODEL_IDS);
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
