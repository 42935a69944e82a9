import { UserError } from '../errors.ts';
import { excerpt } from '../util/excerpt.ts';
import type { GpuSpec } from './hardware.ts';

/** Weight and KV-cache element types. */
export type Dtype = 'fp16' | 'bf16' | 'fp8' | 'int8';
export const DTYPES: readonly Dtype[] = ['fp16', 'bf16', 'fp8', 'int8'];

export const DTYPE_BYTES: Readonly<Record<Dtype, number>> = { fp16: 2, bf16: 2, fp8: 1, int8: 1 };

/** Activations (and so all-reduce payloads) stay 16-bit whatever the weight dtype. */
export const ACTIVATION_BYTES = 2;

export function parseDtype(value: string, flag: string): Dtype {
  if ((DTYPES as readonly string[]).includes(value)) return value as Dtype;
  throw new UserError(`${flag}: expected one of ${DTYPES.join(', ')}, got "${excerpt(value)}"`);
}

/**
 * Peak tensor FLOP/s of one GPU for weights of this dtype.
 * - fp16/bf16: the FP16 tensor rate. BF16 on Volta/Turing is refused (no BF16 tensor cores).
 * - fp8: W8A8 FP8 GEMMs on GPUs with FP8 tensor cores (H100, H200, L4); elsewhere FP8 is a
 *   weight-only format (dequantised to FP16, as vLLM's Marlin FP8 path on Ampere), FP16 rate.
 * - int8: weight-only W8A16 (GPTQ/AWQ-style), the usual way int8 LLM weights are served, so the
 *   FP16 rate: the saving is memory (capacity and bandwidth), not compute. int8_tops is kept in
 *   the catalog for reference but not used, because W8A8 int8 serving is not the default path.
 */
export function peakTflopsFor(gpu: GpuSpec, dtype: Dtype): number {
  if (dtype === 'bf16' && !gpu.supports_bf16) {
    throw new UserError(`${gpu.id} has no BF16 tensor cores: use --dtype fp16`);
  }
  if (dtype === 'fp8' && gpu.fp8_tflops !== undefined) return gpu.fp8_tflops;
  return gpu.fp16_tflops;
}
