/**
 * GPU hardware catalog. Figures are the vendor datasheet peaks for the SXM part where one exists
 * (the form factor in the AWS p-instances), dense math (no 2:4 sparsity).
 *
 * Units:
 * - memory_gb: the datasheet figure. NVIDIA's "80GB" HBM holds 80 GiB (nvidia-smi: 81920 MiB), so
 *   the step model converts with 2^30 bytes per GB.
 * - mem_bw_gb_per_s, nvlink_gb_per_s: 10^9 bytes/s.
 * - nvlink_gb_per_s is the datasheet's per-GPU BIDIRECTIONAL figure (sum of both directions); the
 *   all-reduce term in step.ts uses half of it (one direction). PCIe-only cards carry their PCIe x16
 *   bidirectional bandwidth here, halved the same way.
 * - fp16_tflops: dense FP16/BF16 tensor-core peak. fp8_tflops only where the chip has FP8 tensor cores.
 * - int8_tops: dense INT8 tensor-core peak (V100 has none: DP4A rate, see its entry).
 */
export type GpuId =
  | 'a100-40gb'
  | 'a100-80gb'
  | 'v100-16gb'
  | 'v100-32gb'
  | 't4'
  | 'a10g'
  | 'l4'
  | 'h100-80gb'
  | 'h200';

export interface GpuSpec {
  readonly id: GpuId;
  readonly name: string;
  readonly memory_gb: number;
  readonly mem_bw_gb_per_s: number;
  readonly fp16_tflops: number;
  /** undefined: no FP8 tensor cores (FP8 weights are then computed at the FP16 rate) */
  readonly fp8_tflops?: number;
  readonly int8_tops: number;
  /** per-GPU bidirectional GPU-to-GPU bandwidth (NVLink, else PCIe x16) */
  readonly nvlink_gb_per_s: number;
  /** false: no NVLink, GPU-to-GPU traffic goes over PCIe */
  readonly has_nvlink: boolean;
  /** Volta and Turing have no BF16 tensor cores */
  readonly supports_bf16: boolean;
  readonly tdp_w: number;
}

export const GPUS: Readonly<Record<GpuId, GpuSpec>> = {
  // NVIDIA A100 Tensor Core GPU datasheet (2021), A100 40GB SXM column: HBM2 1,555 GB/s,
  // FP16 tensor 312 TF, INT8 624 TOPS, NVLink 600 GB/s, max TDP 400 W.
  'a100-40gb': {
    id: 'a100-40gb', name: 'NVIDIA A100 40GB SXM', memory_gb: 40, mem_bw_gb_per_s: 1555,
    fp16_tflops: 312, int8_tops: 624, nvlink_gb_per_s: 600, has_nvlink: true, supports_bf16: true, tdp_w: 400,
  },
  // Same datasheet, A100 80GB SXM column: HBM2e 2,039 GB/s, otherwise as the 40GB.
  'a100-80gb': {
    id: 'a100-80gb', name: 'NVIDIA A100 80GB SXM', memory_gb: 80, mem_bw_gb_per_s: 2039,
    fp16_tflops: 312, int8_tops: 624, nvlink_gb_per_s: 600, has_nvlink: true, supports_bf16: true, tdp_w: 400,
  },
  // NVIDIA Tesla V100 datasheet (Jan 2020), V100 SXM2: HBM2 900 GB/s, tensor 125 TF, NVLink
  // 300 GB/s, 300 W. No INT8 tensor cores: DP4A gives 4x the 15.7 TF FP32 rate = 62.8 TOPS.
  'v100-16gb': {
    id: 'v100-16gb', name: 'NVIDIA V100 16GB SXM2', memory_gb: 16, mem_bw_gb_per_s: 900,
    fp16_tflops: 125, int8_tops: 62.8, nvlink_gb_per_s: 300, has_nvlink: true, supports_bf16: false, tdp_w: 300,
  },
  // Same datasheet, V100 SXM2 32GB (the p3dn.24xlarge part).
  'v100-32gb': {
    id: 'v100-32gb', name: 'NVIDIA V100 32GB SXM2', memory_gb: 32, mem_bw_gb_per_s: 900,
    fp16_tflops: 125, int8_tops: 62.8, nvlink_gb_per_s: 300, has_nvlink: true, supports_bf16: false, tdp_w: 300,
  },
  // NVIDIA T4 Tensor Core GPU datasheet: GDDR6 320 GB/s, mixed-precision FP16 65 TF, INT8 130 TOPS,
  // 70 W, PCIe Gen3 x16 (32 GB/s bidirectional).
  t4: {
    id: 't4', name: 'NVIDIA T4', memory_gb: 16, mem_bw_gb_per_s: 320,
    fp16_tflops: 65, int8_tops: 130, nvlink_gb_per_s: 32, has_nvlink: false, supports_bf16: false, tdp_w: 70,
  },
  // A10G is AWS's variant of the A10 and has no public NVIDIA datasheet. Memory (24 GB GDDR6,
  // 600 GB/s) matches the NVIDIA A10 datasheet; its tensor rate is lower than the A10's 125 TF:
  // about 70 TF FP16 dense and 140 INT8 TOPS, 300 W, as commonly reported for the g5's A10G
  // (e.g. Baseten, "NVIDIA A10 vs A10G for ML model inference", 2023). PCIe Gen4 x16 = 64 GB/s bidir.
  a10g: {
    id: 'a10g', name: 'NVIDIA A10G', memory_gb: 24, mem_bw_gb_per_s: 600,
    fp16_tflops: 70, int8_tops: 140, nvlink_gb_per_s: 64, has_nvlink: false, supports_bf16: true, tdp_w: 300,
  },
  // NVIDIA L4 Tensor Core GPU datasheet: GDDR6 300 GB/s, FP16 tensor 121 TF dense (242 sparse),
  // FP8 242.5 TF dense (485 sparse), INT8 242.5 TOPS dense, 72 W, PCIe Gen4 x16 (64 GB/s bidir).
  l4: {
    id: 'l4', name: 'NVIDIA L4', memory_gb: 24, mem_bw_gb_per_s: 300,
    fp16_tflops: 121, fp8_tflops: 242.5, int8_tops: 242.5, nvlink_gb_per_s: 64, has_nvlink: false, supports_bf16: true, tdp_w: 72,
  },
  // NVIDIA H100 Tensor Core GPU datasheet, H100 SXM column: HBM3 3.35 TB/s, FP16 tensor 989.4 TF
  // dense (1,979 sparse), FP8 1,978.9 TF dense, INT8 1,978.9 TOPS dense, NVLink 900 GB/s, up to 700 W.
  'h100-80gb': {
    id: 'h100-80gb', name: 'NVIDIA H100 80GB SXM', memory_gb: 80, mem_bw_gb_per_s: 3350,
    fp16_tflops: 989.4, fp8_tflops: 1978.9, int8_tops: 1978.9, nvlink_gb_per_s: 900, has_nvlink: true, supports_bf16: true, tdp_w: 700,
  },
  // NVIDIA H200 Tensor Core GPU datasheet, H200 SXM column: 141 GB HBM3e at 4.8 TB/s, same tensor
  // rates and NVLink as H100 SXM, up to 700 W.
  h200: {
    id: 'h200', name: 'NVIDIA H200 141GB SXM', memory_gb: 141, mem_bw_gb_per_s: 4800,
    fp16_tflops: 989.4, fp8_tflops: 1978.9, int8_tops: 1978.9, nvlink_gb_per_s: 900, has_nvlink: true, supports_bf16: true, tdp_w: 700,
  },
};

export const GPU_IDS: readonly GpuId[] = Object.keys(GPUS) as GpuId[];

/** Bytes per GB of GPU memory (see memory_gb above). */
export const GPU_MEMORY_BYTES_PER_GB = 2 ** 30;
