import { readFileSync } from 'node:fs';
import { UserError } from '../errors.ts';
import { closest } from '../cost/suggest.ts';
import { loadCalibration, parseCalibration, schedulerOf, type CalibrationProfile, type SchedulerDefaults } from './calibration.ts';
import type { GpuSpec } from './hardware.ts';

/**
 * Named engine profiles: the step model's factors for one serving stack and era, each fitted with
 * `fleetsim calibrate` on the calibration half of the measurement corpus (data/corpus/) rows of
 * that stack; docs/step-model.md gives each fit and its error on the validation half.
 */
export const ENGINE_NAMES = ['vllm', 'vllm-0.6', 'vllm-v0', 'vllm-2023', 'sglang', 'sglang-0.3', 'trtllm', 'trtllm-0.11', 'trtllm-2024', 'trtllm-session', 'nim-2024', 'tgi'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

/**
 * The default: the vLLM V1 engine, because it is the most widely deployed open serving stack
 * today and the one whose defaults (CUDA graphs, chunked prefill, custom all-reduce) fleetsim's
 * replica scheduler follows.
 */
export const DEFAULT_ENGINE: EngineName = 'vllm';

function readProfile(name: EngineName): CalibrationProfile {
  const url = new URL(`./profiles/${name}.json`, import.meta.url);
  return parseCalibration(JSON.parse(readFileSync(url, 'utf8')), `src/perf/profiles/${name}.json`);
}

export const ENGINE_PROFILES: Readonly<Record<EngineName, CalibrationProfile>> = Object.fromEntries(
  ENGINE_NAMES.map((n) => [n, readProfile(n)]),
) as Record<EngineName, CalibrationProfile>;

export const DEFAULT_CALIBRATION: CalibrationProfile = ENGINE_PROFILES[DEFAULT_ENGINE];

export function getEngineProfile(name: string, where = '--engine'): CalibrationProfile {
  if (Object.hasOwn(ENGINE_PROFILES, name)) return ENGINE_PROFILES[name as EngineName];
  throw new UserError(`${where}: unknown engine profile "${name.slice(0, 80)}" (did you mean "${closest(name, ENGINE_NAMES)}"?); known: ${ENGINE_NAMES.join(', ')}`);
}

/**
 * A profile whose engine was built with (true) or without (false) each row-parallel GEMM fused
 * with its all-reduce (TensorRT-LLM's gemm_allreduce_plugin: step.ts allReducePayloadMs); left
 * out, the profile's own (none of the named profiles has it).
 */
export function withAllReduceFusion(profile: CalibrationProfile, fused: boolean | undefined): CalibrationProfile {
  return fused === undefined ? profile : { ...profile, allreduce_fused_with_gemm: fused };
}

/**
 * The named profiles of engines that serve with TensorRT-LLM (NIM 1.x ran it behind its server):
 * CUDA programs, which run on NVIDIA GPUs only, and the only ones with TensorRT-LLM's build options.
 */
const TENSORRT_LLM_ENGINES: ReadonlySet<string> = new Set<EngineName>(['trtllm', 'trtllm-0.11', 'trtllm-2024', 'trtllm-session', 'nim-2024']);

/** A GPU TensorRT-LLM runs on: NVIDIA's (the catalog names each GPU with its maker first). */
export function runsTensorRtLlm(gpu: GpuSpec): boolean {
  return gpu.name.startsWith('NVIDIA ');
}

/** The flag or scenario field of each choice checkEngineChoice judges, for its messages. */
export interface EngineChoiceFields { readonly engine: string; readonly gpu: string; readonly fused: string }

/**
 * Refuses an engine on a GPU it does not run on (TensorRT-LLM on AMD's: it was timed with NVIDIA's
 * kernels) and TensorRT-LLM's GEMM fused with its all-reduce on another engine (it moved vLLM's
 * figures). A calibration file's stack is its author's word: it is not judged.
 */
export function checkEngineChoice(engine: string | undefined, calibrationFile: string | undefined, gpu: GpuSpec, fusedWithGemm: boolean | undefined, fields: EngineChoiceFields): void {
  if (calibrationFile !== undefined) return;
  const name = engine ?? DEFAULT_ENGINE;
  const tensorRtLlm = TENSORRT_LLM_ENGINES.has(name);
  if (tensorRtLlm && !runsTensorRtLlm(gpu)) {
    throw new UserError(`${fields.engine} ${name} on ${fields.gpu} ${gpu.id}: expected an NVIDIA GPU (TensorRT-LLM runs on CUDA only; ${gpu.name} is served with vllm or sglang)`);
  }
  // `false` says what every other engine does anyway: only the fusion itself is TensorRT-LLM's
  if (fusedWithGemm === true && !tensorRtLlm) {
    throw new UserError(`${fields.fused}: expected only with a TensorRT-LLM engine (${[...TENSORRT_LLM_ENGINES].join(', ')}): it is trtllm-build's --gemm_allreduce_plugin; engine ${name} has no such option`);
  }
}

/** An engine name, or a calibration file (anything ending in .json), as scenarios and flags give them. */
export function resolveEngine(engine: string | undefined, calibrationFile: string | undefined, where: string): CalibrationProfile {
  if (engine !== undefined && calibrationFile !== undefined) {
    throw new UserError(`${where}: give an engine profile or a calibration file, not both`);
  }
  if (calibrationFile !== undefined) return loadCalibration(calibrationFile);
  return engine === undefined ? DEFAULT_CALIBRATION : getEngineProfile(engine, where);
}

/**
 * The scheduler defaults of a named engine (the default engine's for none, an unknown name or a
 * calibration file, whose errors are reported where the model is resolved): for estimates made
 * before the fleet is built. Where a profile's batch is smaller on some GPUs (smaller_gpus), this
 * is the larger one: an estimate's bound.
 */
export function schedulerForEngine(engine: string | undefined): SchedulerDefaults {
  const profile = engine !== undefined && Object.hasOwn(ENGINE_PROFILES, engine) ? ENGINE_PROFILES[engine as EngineName] : DEFAULT_CALIBRATION;
  return schedulerOf(profile);
}
