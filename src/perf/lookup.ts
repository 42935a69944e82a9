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

export function getModel(id: string, flag = '--model'): ModelSpec {
  if (Object.hasOwn(MODELS, id)) return MODELS[id as ModelId];
  throw unknown('model', flag, id, MODEL_IDS);
}

/**
 * A scenario's model: a catalog id, or a path to a Hugging Face config.json (anything ending in
 * .json). `where` names the field in errors (e.g. "fleet.models[0].model").
 */
export function resolveModel(idOrPath: string, where = '--model'): ModelSpec {
  if (Object.hasOwn(MODELS, idOrPath)) return MODELS[idOrPath as ModelId];
  if (idOrPath.endsWith('.json')) return loadHfConfig(idOrPath);
  throw unknown('model', where, idOrPath, MODEL_IDS);
}
