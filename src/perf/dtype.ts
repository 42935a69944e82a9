import { UserError } from '../errors.ts';
import { excerpt } from '../util/excerpt.ts';
import type { GpuSpec, MatmulPath } from './hardware.ts';

/** Weight and KV-cache element types. */
export type Dtype = 'fp16' | 'bf16' | 'fp8' | 'int8' | 'fp4' | 'int4';
export const DTYPES: readonly Dtype[] = ['fp16', 'bf16', 'fp8', 'int8', 'fp4', 'int4'];

/**
 * Stored bytes per element, scales included (fractional for the 4-bit formats):
 * - fp4 is NVFP4, the FP4 format of NVIDIA's Blackwell serving stacks (TensorRT-LLM, ModelOpt
 *   checkpoints, vLLM on sm100): 4-bit E2M1 values with one FP8 E4M3 scale per 16-value block,
 *   4 + 8/16 = 4.5 bits (NVIDIA technical blog, "Introducing NVFP4 for Efficient and Accurate
 *   Low-Precision Inference", June 2025; its one FP32 scale per tensor is negligible). MXFP4 (OCP
 *   Microscaling Formats v1.0, 2023: an E8M0 scale per 32 values, 4.25 bits) would be 6% smaller;
 *   NVFP4 is taken because it is what Blackwell FP4 checkpoints use by default.
 * - int4 is weight-only GPTQ/AWQ: 4-bit integers with, per group of 128 weights, a 16-bit scale
 *   and a 4-bit zero point, 4 + (16 + 4)/128 = 4.156 bits (AWQ, Lin et al., MLSys 2024, and GPTQ,
 *   Frantar et al., ICLR 2023, both serve group size 128; AutoGPTQ/AutoAWQ checkpoints store the
 *   scales as FP16 and the zeros packed 4-bit).
 * The step model applies these to all parameters; real 4-bit checkpoints usually keep the
 * embeddings and the LM head in 16 bits, a few percent more bytes for small models.
 */
export const NVFP4_BITS_PER_WEIGHT = 4 + 8 / 16;
export const INT4_G128_BITS_PER_WEIGHT = 4 + (16 + 4) / 128;
export const DTYPE_BYTES: Readonly<Record<Dtype, number>> = {
  fp16: 2, bf16: 2, fp8: 1, int8: 1, fp4: NVFP4_BITS_PER_WEIGHT / 8, int4: INT4_G128_BITS_PER_WEIGHT / 8,
};

/** Activations (and so all-reduce payloads) stay 16-bit whatever the weight dtype. */
export const ACTIVATION_BYTES = 2;

export function parseDtype(value: string, flag: string): Dtype {
  if ((DTYPES as readonly string[]).includes(value)) return value as Dtype;
  throw new UserError(`${flag}: expected one of ${DTYPES.join(', ')}, got "${excerpt(value)}"`);
}

/**
 * Peak tensor FLOP/s of one GPU for weights of this dtype.
 * - fp16/bf16: the FP16 tensor rate. BF16 on Volta/Turing is refused (no BF16 tensor cores).
 * - fp8: W8A8 FP8 GEMMs on GPUs with FP8 tensor cores (H100 SXM and PCIe, H200, H20, L4, L40S, B200, GB200,
 *   MI300X, MI325X); elsewhere FP8 is a weight-only format (dequantised to FP16, as vLLM's Marlin
 *   FP8 path on Ampere), FP16 rate.
 * - fp4: W4A4 NVFP4 GEMMs (activations quantised on the fly, the TensorRT-LLM/vLLM path on
 *   Blackwell) at the FP4 tensor rate. Refused on GPUs without FP4 tensor cores: 4-bit FP4
 *   weights can be dequantised there (vLLM's FP4 Marlin), but that is the int4 case below, which
 *   the catalog models as int4.
 * - int8, int4: weight-only W8A16/W4A16 (GPTQ/AWQ-style), the usual way integer LLM weights are
 *   served, so the FP16 rate: the saving is memory (capacity and bandwidth), not compute.
 *   int8_tops is kept in the catalog for reference but not used, because W8A8 int8 serving is not
 *   the default path.
 */
export function peakTflopsFor(gpu: GpuSpec, dtype: Dtype): number {
  if (dtype === 'bf16' && !gpu.supports_bf16) {
    throw new UserError(`${gpu.id} has no BF16 tensor cores: use --dtype fp16`);
  }
  if (dtype === 'fp4') {
    if (gpu.fp4_tflops === undefined) {
      throw new UserError(`${gpu.id} has no FP4 tensor cores (dtype fp4 needs a Blackwell GPU: b200, gb200): use fp8, or int4 for 4-bit weight-only`);
    }
    return gpu.fp4_tflops;
  }
  if (dtype === 'fp8' && gpu.fp8_tflops !== undefined) return gpu.fp8_tflops;
  return gpu.fp16_tflops;
}

/** The tensor-core path of peakTflopsFor's rate: FP8 (and FP4, which the matmul table does not measure) or 16-bit. */
export function matmulPathFor(gpu: GpuSpec, dtype: Dtype): MatmulPath {
  return (dtype === 'fp8' && gpu.fp8_tflops !== undefined) || dtype === 'fp4' ? 'fp8' : 'fp16';
}

/**
 * The share of the per-tensor FP8 path's GEMM rate and weight-streaming bandwidth that GEMMs of
 * block-scaled FP8 weights (one scale per 128x128 block, activations quantised per 1x128 group:
 * DeepSeek-V3's format, shape.ts fp8_block_scaled) reach on FP8 tensor cores in the serving stacks
 * of 2025. Taken from kernel benchmarks, not fitted on any corpus row:
 * - vLLM pull request 23280 (Sept 2025, H100 80GB HBM3, DeepSeek-V3's N=2112 K=7168 GEMM): the
 *   Triton and CUTLASS block-FP8 kernels ran 1.3 and 0.9 TFLOP/s at one token and 403-490 TFLOP/s
 *   at 4,096-8,192 tokens, against BF16's 3.1 and 666-716: slower than BF16 at every size, where
 *   a per-tensor FP8 GEMM streams half BF16's bytes and reaches 70.9% of the FP8 peak (1,403
 *   TFLOP/s, hardware.ts's matmul table): about 0.35 in both regimes for this narrow shape;
 * - SGLang pull request 5207 (April 2025, DeepSeek-V3's shapes split for TP 1-8, GPU not stated):
 *   vLLM's kernel took 90 us at 1-256 tokens for N=7168 K=16384 (117 MB: 1.3 TB/s, 0.47 of the
 *   2.7 TB/s a per-tensor GEMM streams on H100) and 350 us at 4,096 tokens for N=4608 K=7168 (773
 *   TFLOP/s, 0.55); DeepSeek's DeepGEMM ran 25-40% faster than it, SGLang's own CUTLASS kernel as
 *   fast as vLLM's.
 * Half is the middle of those readings. A per-GEMM floor of 15-45 us at small sizes, which a share
 * cannot carry, is part of it. Measured against DeepSeek-V3/R1 and Qwen3 FP8 serving runs
 * (docs/step-model.md, "Block-scaled FP8"). Later kernels close the gap (vLLM pull request 49363,
 * 2026: block and per-tensor FP8 alike at 128 tokens and more), which a stack profile of their era
 * would take as 1.
 */
export const BLOCK_FP8_KERNEL_SHARE = 0.5;

/**
 * The share of the dense 16-bit GEMM rate that a model's 4-bit MXFP4 experts (gpt-oss: OCP
 * microscaling FP4, one E8M0 scale per 32 weights; shape.ts expert_weight_bits) reach at large
 * batch on GPUs with FP8 but no FP4 tensor cores, where the serving stacks run them through
 * OpenAI's Triton MoE kernels (triton_kernels' matmul_ogs), which upcast the weights to BF16 in
 * registers: vLLM's default MXFP4 path on Hopper, and the MoE backend TensorRT-LLM's gpt-oss guide
 * names for H100/H200 ("Hopper: use TRITON"). Streaming the weights is unaffected (memory-bound
 * decode at small batch reads 4.25 bits a weight at the usual bandwidth); the share lowers only the
 * compute-bound asymptote of the experts' GEMMs (step.ts gemmEfficiency).
 *
 * Fitted, not measured on a kernel: no published kernel benchmark of that path on Hopper was
 * found. `fleetsim fidelity` on the 5 gpt-oss-120b rows on one H200 of TensorRT-LLM's performance
 * overview (data/corpus/fresh-2026-12/gpt-oss.csv, calibration split): 41.2% -> 9.7% MAPE at 0.35
 * (0.3-0.4 within a point). Held out (validation): the same page's 10 gpt-oss-20b rows on one H100
 * and one H200, 50.5% -> 8.2%; its 5 gpt-oss-120b rows on four H100s with attention data
 * parallelism and 4-way expert parallelism, 95% -> 44% (still too fast: not explained); the vLLM
 * blog's gpt-oss-20b runs of 20,000-token prompts on H100 (vLLM 0.19.1), first tokens -39% -> +18%
 * and +22%, ITL and throughput within 14%. It carries whatever the MXFP4 MoE path costs beyond
 * its FLOPs (routing, gathers, the upcast), so it is a property of that path, not of FP4 in
 * general: A100 (Marlin's MXFP4 path in vLLM) and Blackwell (native FP4) keep the dense rate. The
 * evidence is Hopper's (H100, H200); Ada's L4 and L40S and AMD's MI300X and MI325X, also FP8
 * without FP4, are read the same way, untested.
 */
export const MXFP4_UPCAST_EXPERT_SHARE = 0.35;

/** The large-batch share of the GEMM rate a model's experts reach on this GPU: MXFP4_UPCAST_EXPERT_SHARE for 4-bit experts on FP8-but-not-FP4 tensor cores, else 1. */
export function expertKernelShare(model: { readonly expert_weight_bits?: number }, gpu: GpuSpec): number {
  const fourBitExperts = model.expert_weight_bits !== undefined && model.expert_weight_bits < 8;
  return fourBitExperts && gpu.fp8_tflops !== undefined && gpu.fp4_tflops === undefined ? MXFP4_UPCAST_EXPERT_SHARE : 1;
}

/**
 * How a checkpoint's FP8 weights are scaled: `block` (one scale per 128x128 block: DeepSeek-V3's
 * checkpoint, the Qwen team's FP8 releases) or `tensor` (per tensor or per channel: NVIDIA's
 * ModelOpt checkpoints that TensorRT-LLM serves, vLLM's `--quantization fp8`, the FP8 Llama
 * releases). A served model, a `perf` run or a corpus row may name it where the model's own
 * default (shape.ts fp8_block_scaled) is not the checkpoint served.
 */
export const FP8_SCALINGS = ['block', 'tensor'] as const;
export type Fp8Scaling = (typeof FP8_SCALINGS)[number];

/** A named FP8 scaling (undefined when none is given), or a one-line refusal naming the flag or field. */
export function parseFp8Scaling(value: string | undefined, flag: string): Fp8Scaling | undefined {
  if (value === undefined) return undefined;
  if ((FP8_SCALINGS as readonly string[]).includes(value)) return value as Fp8Scaling;
  throw new UserError(`${flag}: expected one of ${FP8_SCALINGS.join(', ')}, got "${excerpt(value)}"`);
}

/** The model with its FP8 weights scaled as named (unchanged when none is named). */
export function withFp8Scaling<M extends { readonly fp8_block_scaled?: boolean }>(model: M, scaling: Fp8Scaling | undefined): M {
  if (scaling === undefined) return model;
  const { fp8_block_scaled: _ownScaling, ...rest } = model;
  return (scaling === 'block' ? { ...rest, fp8_block_scaled: true } : rest) as M;
}

/**
 * The lowest and highest effective bits a checkpoint of FP8 and 16-bit layers can have (exclusive):
 * all FP8, all 16-bit.
 */
export const EFFECTIVE_BITS_RANGE = [8, 16] as const;

/**
 * The model as served from a ModelOpt AutoQuantize checkpoint of FP8 and 16-bit layers under an
 * `effective_bits` budget (unchanged when none is named). AutoQuantize searches each linear layer
 * between the given formats and "do not quantize" (ModelOpt model_quant.auto_quantize docstring:
 * "Internally we always add 'do not quantize' as a choice"), keeping the layers whose FP8 error
 * costs the most accuracy until the weights average the budget's bits: with FP8 at 8 bits and the
 * rest at 16, (bits - 8) / 8 of the searched weights stay 16-bit. NVIDIA's MLPerf Inference
 * Mixtral 8x7B checkpoints for Hopper are of this kind: code/mixtral-8x7b/modelopt/quantize.py of
 * the v5.0-v5.1 results repositories searches ["FP8_DEFAULT_CFG", None] with the LM head excluded,
 * at effective_bits 8.75 in v5.0's H200 configuration (configs/mixtral-8x7b), so 9.4% of its layer
 * weights stay FP16: stored and streamed at 2 bytes and multiplied on the 16-bit tensor cores.
 */
export function withEffectiveBits<M extends { readonly unquantized_linear_share?: number }>(model: M, effectiveBits: number | undefined): M {
  if (effectiveBits === undefined) return model;
  const [low, high] = EFFECTIVE_BITS_RANGE;
  if (!(effectiveBits > low && effectiveBits < high)) throw new UserError(`effective_bits: expected a number above ${low} and below ${high} (FP8 and 16-bit layers), got ${effectiveBits}`);
  return { ...model, unquantized_linear_share: (effectiveBits - low) / (high - low) };
}

/** The share of the FP8 path a model's weights reach in this dtype on this GPU: BLOCK_FP8_KERNEL_SHARE for block-scaled FP8 on FP8 tensor cores, else 1. */
export function weightKernelShare(model: { readonly fp8_block_scaled?: boolean }, gpu: GpuSpec, dtype: Dtype): number {
  return model.fp8_block_scaled === true && dtype === 'fp8' && gpu.fp8_tflops !== undefined ? BLOCK_FP8_KERNEL_SHARE : 1;
}

/** peakTflopsFor's refusals (bf16 without BF16 cores, fp4 without FP4 cores), named by the flag or field. */
export function checkWeightDtype(gpu: GpuSpec, dtype: Dtype, field = '--dtype'): void {
  try {
    peakTflopsFor(gpu, dtype);
  } catch (e) {
    if (e instanceof UserError) throw new UserError(`${field}: ${e.message}`);
    throw e;
  }
}

/**
 * The KV-cache dtype when none is given. An engine profile says which (calibration.ts
 * kv_cache_dtype): 'weights', an FP8 or FP4 model keeps an FP8 or FP4 cache (TensorRT-LLM's
 * quantised checkpoints carry the cache's scales); 'activations', every quantised model keeps a
 * 16-bit cache (vLLM's and SGLang's kv_cache_dtype "auto" is the model's activation dtype). int4 is
 * a weight-only format with no KV-cache counterpart: GPTQ/AWQ models keep a 16-bit cache either way.
 * The 16-bit cache is written fp16: the same bytes as bf16, and every GPU has it.
 */
export function defaultKvDtype(weightDtype: Dtype, kvCache: 'weights' | 'activations' = 'weights'): Dtype {
  if (weightDtype === 'int4') return 'fp16';
  if (kvCache === 'activations' && DTYPE_BYTES[weightDtype] < 2) return 'fp16';
  return weightDtype;
}

/**
 * A KV-cache dtype the GPU can hold and attend over: int4 is a weight-only format (GPTQ/AWQ have
 * no KV cache path) and an FP4 KV cache needs FP4 tensor cores, as fp4 weights do. The other
 * dtypes are accepted as before (FP8/INT8 KV caches dequantise inside the attention kernel).
 */
export function checkKvDtype(gpu: GpuSpec, kvDtype: Dtype, flag = '--kv-dtype'): void {
  if (kvDtype === 'int4') {
    throw new UserError(`${flag}: int4 is a weight-only format and cannot hold the KV cache; use fp16, bf16, fp8, int8 or fp4`);
  }
  if (kvDtype === 'fp4' && gpu.fp4_tflops === undefined) {
    throw new UserError(`${flag}: ${gpu.id} has no FP4 tensor cores for an fp4 KV cache (needs b200 or gb200); use fp8`);
  }
  if (kvDtype === 'bf16' && !gpu.supports_bf16) {
    throw new UserError(`${flag}: ${gpu.id} has no BF16 tensor cores; use fp16`);
  }
}
