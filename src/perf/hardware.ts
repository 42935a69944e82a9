import { UserError } from '../errors.ts';

/**
 * GPU hardware catalog. Figures are the vendor datasheet peaks for the SXM/OAM part where one exists
 * (the form factor in the 8-GPU cloud instances), dense math (no 2:4 sparsity): where a datasheet
 * only gives the sparse figure (footnote "with sparsity"), the dense one is half of it.
 *
 * Units:
 * - memory_gb: the datasheet figure. NVIDIA's "80GB" HBM holds 80 GiB (nvidia-smi: 81920 MiB), so
 *   the step model converts with 2^30 bytes per GB. GDDR cards are the exception: their "48 GB" is
 *   decimal (the L40S shows 45,776 MiB), so the L40S entry carries the GiB the runtime sees.
 * - mem_bw_gb_per_s, nvlink_gb_per_s: 10^9 bytes/s.
 * - nvlink_gb_per_s is the datasheet's per-GPU BIDIRECTIONAL GPU-to-GPU figure (sum of both
 *   directions) over `interconnect`: NVLink, AMD Infinity Fabric (sum of the GPU's links), or for
 *   PCIe-only cards their PCIe x16 bidirectional bandwidth. The all-reduce term in step.ts uses half
 *   of it (one direction).
 * - interconnect_domain_gpus: how many GPUs share that interconnect all-to-all, i.e. the largest
 *   tensor-parallel group that never crosses the network: 8 on an HGX/OAM board, 72 in a GB200
 *   NVL72 rack; for PCIe cards, the most cards one host of the catalog's instances carries (they
 *   all-reduce through the host's PCIe switches). A TP above it spans whole domains on several
 *   nodes, all-reducing across them over the network (checkTensorParallel, step.ts networkAllReduce).
 * - fp16_tflops: dense FP16/BF16 tensor-core peak. fp8_tflops only where the chip has FP8 tensor
 *   cores, fp4_tflops only where it has FP4 tensor cores (Blackwell).
 * - int8_tops: dense INT8 tensor-core peak (V100 has none: DP4A rate, see its entry).
 */
export type GpuId =
  | 'a100-40gb'
  | 'a100-80gb'
  | 'a100-40gb-pcie'
  | 'a100-80gb-pcie'
  | 'v100-16gb'
  | 'v100-32gb'
  | 't4'
  | 'a10g'
  | 'l4'
  | 'h100-80gb'
  | 'h100-80gb-hgx4'
  | 'h100-pcie'
  | 'h100-nvl'
  | 'h200'
  | 'h20'
  | 'l40s'
  | 'b200'
  | 'gb200'
  | 'mi300x'
  | 'mi325x';

/** What GPU-to-GPU traffic of one tensor-parallel group travels over. */
export type Interconnect = 'nvlink' | 'pcie' | 'infinity-fabric';

export interface GpuSpec {
  readonly id: GpuId;
  readonly name: string;
  readonly memory_gb: number;
  readonly mem_bw_gb_per_s: number;
  readonly fp16_tflops: number;
  /** undefined: no FP8 tensor cores (FP8 weights are then computed at the FP16 rate) */
  readonly fp8_tflops?: number;
  /** undefined: no FP4 tensor cores (FP4 weights are then refused, see dtype.ts) */
  readonly fp4_tflops?: number;
  readonly int8_tops: number;
  /** per-GPU bidirectional GPU-to-GPU bandwidth over `interconnect` (NVLink, Infinity Fabric, else PCIe x16) */
  readonly nvlink_gb_per_s: number;
  /** false: no NVLink (PCIe, or AMD's Infinity Fabric); kept equal to interconnect === 'nvlink' */
  readonly has_nvlink: boolean;
  readonly interconnect: Interconnect;
  /** GPUs reachable all-to-all over `interconnect`: the largest tensor-parallel degree */
  readonly interconnect_domain_gpus: number;
  /**
   * true: no switch; each GPU has one link of equal width to every other GPU of its domain
   * (`nvlink_gb_per_s` is the sum of them), so a group of g GPUs drives only its g - 1 links,
   * (g - 1) / (domain - 1) of that sum (meshLinkShare). AMD's 8-OAM platforms and NVIDIA's 4-GPU
   * HGX H100 board are such meshes.
   * Undefined: a switched domain (NVSwitch, NVL72), where every group gets the whole bandwidth.
   */
  readonly direct_mesh?: boolean;
  /**
   * Scale-out line rate per GPU, Gb/s one direction, where a replica crosses nodes (expert
   * parallelism past the domain, a tensor-parallel group of several nodes): the catalog instance's
   * network over its GPUs. Undefined: 400, one 400 Gb/s NIC per GPU (DGX/HGX H100 and later;
   * AWS p5 and p6: 3,200 Gb/s EFA per 8 GPUs).
   */
  readonly network_gbit_per_s?: number;
  /** Volta and Turing have no BF16 tensor cores */
  readonly supports_bf16: boolean;
  readonly tdp_w: number;
  /**
   * Large-GEMM throughput as a fraction of the datasheet peak, as measured (S. Bekman, "Maximum
   * Achievable Matmul FLOPS comparison table", ML Engineering, compute/accelerator/README.md, read
   * 2026-12-05: PyTorch matmul, best of a brute-force search over shapes). `fp16` is the BF16 row,
   * `fp8` the float8_e4m3fn row; undefined where the table has no row (see matmulRateVsReference).
   */
  readonly matmul_achieved_fraction?: { readonly fp16: number; readonly fp8?: number };
  /** where matmul_achieved_fraction comes from when it is not the table's (perf prints it) */
  readonly matmul_fraction_source?: string;
}

/** AWS p4d.24xlarge and p4de: four 100 Gb/s EFA adapters for 8 A100s (a DGX A100 has 200 Gb/s per GPU). */
const A100_NETWORK_GBIT_PER_S = 400 / 8;
/** AWS p3dn.24xlarge: 100 Gb/s for 8 V100s. */
const V100_NETWORK_GBIT_PER_S = 100 / 8;

export const GPUS: Readonly<Record<GpuId, GpuSpec>> = {
  // NVIDIA A100 Tensor Core GPU datasheet (2021), A100 40GB SXM column: HBM2 1,555 GB/s,
  // FP16 tensor 312 TF, INT8 624 TOPS, NVLink 600 GB/s, max TDP 400 W. Domain: the 8 GPUs of an
  // HGX A100 board, all-to-all through NVSwitch (the p4d/p4de layout).
  'a100-40gb': {
    id: 'a100-40gb', name: 'NVIDIA A100 40GB SXM', memory_gb: 40, mem_bw_gb_per_s: 1555,
    fp16_tflops: 312, int8_tops: 624, nvlink_gb_per_s: 600, has_nvlink: true, interconnect: 'nvlink', interconnect_domain_gpus: 8, supports_bf16: true, tdp_w: 400,
    matmul_achieved_fraction: { fp16: 0.869 }, network_gbit_per_s: A100_NETWORK_GBIT_PER_S,
  },
  // Same datasheet, A100 80GB SXM column: HBM2e 2,039 GB/s, otherwise as the 40GB.
  'a100-80gb': {
    id: 'a100-80gb', name: 'NVIDIA A100 80GB SXM', memory_gb: 80, mem_bw_gb_per_s: 2039,
    fp16_tflops: 312, int8_tops: 624, nvlink_gb_per_s: 600, has_nvlink: true, interconnect: 'nvlink', interconnect_domain_gpus: 8, supports_bf16: true, tdp_w: 400,
    matmul_achieved_fraction: { fp16: 0.869 }, network_gbit_per_s: A100_NETWORK_GBIT_PER_S,
  },
  // The PCIe cards, same datasheet: A100 40GB PCIe HBM2 1,555 GB/s, 250 W; A100 80GB PCIe HBM2e
  // 1,935 GB/s, 300 W; the same GA100 die, tensor rates and boost clock as the SXM parts, PCIe Gen4
  // x16 (64 GB/s bidirectional). An optional NVLink bridge joins two cards (600 GB/s), not modelled,
  // as for the H100 PCIe: a tensor-parallel group all-reduces over PCIe. Azure's NC A100 v4 rents the
  // 80 GB card. Their GEMMs: the matmul table has no PCIe row, so they take the SXM's measured share
  // of peak; at 250-300 W a card may hold lower clocks under sustained GEMMs, which is unmeasured, so
  // their prefill and large batches may read fast. Decode at small batch is bound by the HBM figure.
  'a100-40gb-pcie': {
    id: 'a100-40gb-pcie', name: 'NVIDIA A100 40GB PCIe', memory_gb: 40, mem_bw_gb_per_s: 1555,
    fp16_tflops: 312, int8_tops: 624, nvlink_gb_per_s: 64, has_nvlink: false, interconnect: 'pcie', interconnect_domain_gpus: 8, supports_bf16: true, tdp_w: 250,
    matmul_achieved_fraction: { fp16: 0.869 }, matmul_fraction_source: "the A100 SXM's (same die and clocks; a 250-W card's sustained clocks unmeasured)",
    network_gbit_per_s: A100_NETWORK_GBIT_PER_S,
  },
  'a100-80gb-pcie': {
    id: 'a100-80gb-pcie', name: 'NVIDIA A100 80GB PCIe', memory_gb: 80, mem_bw_gb_per_s: 1935,
    fp16_tflops: 312, int8_tops: 624, nvlink_gb_per_s: 64, has_nvlink: false, interconnect: 'pcie', interconnect_domain_gpus: 8, supports_bf16: true, tdp_w: 300,
    matmul_achieved_fraction: { fp16: 0.869 }, matmul_fraction_source: "the A100 SXM's (same die and clocks; a 300-W card's sustained clocks unmeasured)",
    network_gbit_per_s: A100_NETWORK_GBIT_PER_S,
  },
  // NVIDIA Tesla V100 datasheet (Jan 2020), V100 SXM2: HBM2 900 GB/s, tensor 125 TF, NVLink
  // 300 GB/s, 300 W. No INT8 tensor cores: DP4A gives 4x the 15.7 TF FP32 rate = 62.8 TOPS.
  // Domain: the 8 GPUs of an HGX-1 board (p3.16xlarge). That board is a hybrid cube-mesh, not
  // all-to-all: each GPU links directly to 4 of the other 7, and NCCL runs its rings over all 8.
  'v100-16gb': {
    id: 'v100-16gb', name: 'NVIDIA V100 16GB SXM2', memory_gb: 16, mem_bw_gb_per_s: 900,
    fp16_tflops: 125, int8_tops: 62.8, nvlink_gb_per_s: 300, has_nvlink: true, interconnect: 'nvlink', interconnect_domain_gpus: 8, supports_bf16: false, tdp_w: 300,
    network_gbit_per_s: V100_NETWORK_GBIT_PER_S,
  },
  // Same datasheet, V100 SXM2 32GB (the p3dn.24xlarge part).
  'v100-32gb': {
    id: 'v100-32gb', name: 'NVIDIA V100 32GB SXM2', memory_gb: 32, mem_bw_gb_per_s: 900,
    fp16_tflops: 125, int8_tops: 62.8, nvlink_gb_per_s: 300, has_nvlink: true, interconnect: 'nvlink', interconnect_domain_gpus: 8, supports_bf16: false, tdp_w: 300,
    network_gbit_per_s: V100_NETWORK_GBIT_PER_S,
  },
  // NVIDIA T4 Tensor Core GPU datasheet: GDDR6 320 GB/s, mixed-precision FP16 65 TF, INT8 130 TOPS,
  // 70 W, PCIe Gen3 x16 (32 GB/s bidirectional). Domain: 8 cards on one host (g4dn.metal).
  t4: {
    id: 't4', name: 'NVIDIA T4', memory_gb: 16, mem_bw_gb_per_s: 320,
    fp16_tflops: 65, int8_tops: 130, nvlink_gb_per_s: 32, has_nvlink: false, interconnect: 'pcie', interconnect_domain_gpus: 8, supports_bf16: false, tdp_w: 70,
  },
  // A10G is AWS's variant of the A10 and has no public NVIDIA datasheet. Memory (24 GB GDDR6,
  // 600 GB/s) matches the NVIDIA A10 datasheet; its tensor rate is lower than the A10's 125 TF:
  // about 70 TF FP16 dense and 140 INT8 TOPS, 300 W, as commonly reported for the g5's A10G
  // (e.g. Baseten, "NVIDIA A10 vs A10G for ML model inference", 2023). PCIe Gen4 x16 = 64 GB/s bidir.
  // Domain: 8 cards on one host (g5.48xlarge).
  a10g: {
    id: 'a10g', name: 'NVIDIA A10G', memory_gb: 24, mem_bw_gb_per_s: 600,
    fp16_tflops: 70, int8_tops: 140, nvlink_gb_per_s: 64, has_nvlink: false, interconnect: 'pcie', interconnect_domain_gpus: 8, supports_bf16: true, tdp_w: 300,
  },
  // NVIDIA L4 Tensor Core GPU datasheet: GDDR6 300 GB/s, FP16 tensor 121 TF dense (242 sparse),
  // FP8 242.5 TF dense (485 sparse), INT8 242.5 TOPS dense, 72 W, PCIe Gen4 x16 (64 GB/s bidir).
  // Domain: 8 cards on one host (g6.48xlarge).
  l4: {
    id: 'l4', name: 'NVIDIA L4', memory_gb: 24, mem_bw_gb_per_s: 300,
    fp16_tflops: 121, fp8_tflops: 242.5, int8_tops: 242.5, nvlink_gb_per_s: 64, has_nvlink: false, interconnect: 'pcie', interconnect_domain_gpus: 8, supports_bf16: true, tdp_w: 72,
  },
  // NVIDIA H100 Tensor Core GPU datasheet, H100 SXM column: HBM3 3.35 TB/s, FP16 tensor 989.4 TF
  // dense (1,979 sparse), FP8 1,978.9 TF dense, INT8 1,978.9 TOPS dense, NVLink 900 GB/s, up to 700 W.
  // Domain: the 8 GPUs of an HGX H100 board through NVSwitch (p5).
  'h100-80gb': {
    id: 'h100-80gb', name: 'NVIDIA H100 80GB SXM', memory_gb: 80, mem_bw_gb_per_s: 3350,
    fp16_tflops: 989.4, fp8_tflops: 1978.9, int8_tops: 1978.9, nvlink_gb_per_s: 900, has_nvlink: true, interconnect: 'nvlink', interconnect_domain_gpus: 8, supports_bf16: true, tdp_w: 700,
    matmul_achieved_fraction: { fp16: 0.803, fp8: 0.709 },
  },
  // The same H100 SXM on NVIDIA's 4-GPU HGX board (Dell PowerEdge XE8640 and XE9640, Fujitsu
  // PRIMERGY GX2560 M7, ...), which has no NVSwitch: each GPU's 18 NVLinks run 6 to each of the other
  // three ("6x 4th Gen NVLink, 900GB/s" in those systems' MLPerf Inference v4.1 descriptions, where
  // the 8-GPU boards say "NVLINK Switch"), so a TP 2 pair all-reduces over 300 of the 900 GB/s.
  // Domain: the board's 4 GPUs.
  'h100-80gb-hgx4': {
    id: 'h100-80gb-hgx4', name: 'NVIDIA H100 80GB SXM, 4-GPU HGX board (no NVSwitch)', memory_gb: 80, mem_bw_gb_per_s: 3350,
    fp16_tflops: 989.4, fp8_tflops: 1978.9, int8_tops: 1978.9, nvlink_gb_per_s: 900, has_nvlink: true, interconnect: 'nvlink', interconnect_domain_gpus: 4, direct_mesh: true, supports_bf16: true, tdp_w: 700,
    matmul_achieved_fraction: { fp16: 0.803, fp8: 0.709 },
  },
  // NVIDIA H100 Tensor Core GPU datasheet, H100 PCIe column: 80 GB HBM2e at 2 TB/s, FP16 tensor
  // 756 TF dense (1,513 sparse), FP8 1,513 TF dense, INT8 1,513 TOPS dense, 300-350 W (350 here),
  // PCIe Gen5 x16 128 GB/s bidirectional; an optional NVLink bridge joins two cards (600 GB/s),
  // not modelled: a tensor-parallel group all-reduces over PCIe. nvidia-smi names it "NVIDIA H100
  // PCIe" (the 94 GB H100 NVL is another card). Its GEMMs are taken at H100 SXM's measured share of
  // peak (the matmul table has no PCIe row). Domain: 8 cards on one host.
  'h100-pcie': {
    id: 'h100-pcie', name: 'NVIDIA H100 80GB PCIe', memory_gb: 80, mem_bw_gb_per_s: 2000,
    fp16_tflops: 756, fp8_tflops: 1513, int8_tops: 1513, nvlink_gb_per_s: 128, has_nvlink: false, interconnect: 'pcie', interconnect_domain_gpus: 8, supports_bf16: true, tdp_w: 350,
  },
  // NVIDIA H100 Tensor Core GPU datasheet, H100 NVL column: 94 GB HBM3 at 3.9 TB/s, FP16 tensor
  // 835.5 TF dense (1,671 sparse), FP8 1,670.5 TF dense (3,341 sparse), INT8 1,670.5 TOPS dense,
  // 350-400 W (400 here), a PCIe card whose NVLink bridges join it to one other card at 600 GB/s
  // (PCIe Gen5 128 GB/s beyond the pair; Azure's NC H100 v5 rents it). Domain: the bridged pair; a
  // group of 4 or 8 cards is read as pairs in hosts of their own joined by the network (as Azure's
  // NC H100 v5 VMs, at most two cards each, are: perf says so), slower than four H100 PCIe cards in
  // one host; pairs in one 8-card host (HPE's MLPerf system) would cross its PCIe instead, which is
  // not modelled (no published run of such a group to hold it against).
  // Its GEMMs: the matmul table has no NVL row, and the SXM's share of peak read it fast (a 400-W
  // card holds lower clocks under load than its datasheet peak's). MLPerf Inference v4.1 measured
  // both parts on one workload and software: GPT-J 6B FP8 offline, 26.06 samples/s per GPU on Dell's
  // R760xa (4 NVL cards) against 35.76 on NVIDIA's DGX H100 (8 SXM), 0.729, where the FP8 peaks
  // say 1670.5 / 1978.9 = 0.844; so the SXM's fractions times 0.729 / 0.844 (read as compute-bound:
  // the NVL has the more bandwidth). Read on a run not used here, HPE's Llama 2 70B at TP 2 on four
  // NVL cards: offline +15% at the SXM's fractions, +3.6% at these (docs/fidelity.md).
  'h100-nvl': {
    id: 'h100-nvl', name: 'NVIDIA H100 NVL 94GB (PCIe, NVLink-bridged pairs)', memory_gb: 94, mem_bw_gb_per_s: 3900,
    fp16_tflops: 835.5, fp8_tflops: 1670.5, int8_tops: 1670.5, nvlink_gb_per_s: 600, has_nvlink: true, interconnect: 'nvlink', interconnect_domain_gpus: 2, direct_mesh: true, supports_bf16: true, tdp_w: 400,
    matmul_achieved_fraction: { fp16: 0.693, fp8: 0.612 },
    matmul_fraction_source: "the H100 SXM's share x 0.729 / 0.844: MLPerf v4.1 GPT-J per GPU against the SXM, over the peaks' ratio",
  },
  // NVIDIA H200 Tensor Core GPU datasheet, H200 SXM column: 141 GB HBM3e at 4.8 TB/s, same tensor
  // rates and NVLink as H100 SXM, up to 700 W. Its matmul fractions are H100's: the same GH100 die
  // at the same power limit (the MAMF table says so for BF16; its FP8 rows, 73.4% against 70.9%,
  // were taken under different CUDA releases, 12.8 and 12.6, and differ by less than software does).
  h200: {
    id: 'h200', name: 'NVIDIA H200 141GB SXM', memory_gb: 141, mem_bw_gb_per_s: 4800,
    fp16_tflops: 989.4, fp8_tflops: 1978.9, int8_tops: 1978.9, nvlink_gb_per_s: 900, has_nvlink: true, interconnect: 'nvlink', interconnect_domain_gpus: 8, supports_bf16: true, tdp_w: 700,
    matmul_achieved_fraction: { fp16: 0.803, fp8: 0.709 },
  },
  // H20: NVIDIA's export-compliant Hopper for China. NVIDIA publishes no datasheet; these are the
  // figures reported since its announcement (e.g. SemiAnalysis, "Nvidia's New China AI Chips
  // Circumvent US Restrictions", Nov 2023; willitrunai.com H20 page, 2025): 96 GB HBM3 at
  // 4.0 TB/s, FP16/BF16 148 TF dense, FP8 296 TF, INT8 296 TOPS, NVLink 900 GB/s, 400 W.
  // Domain: the 8 GPUs of an HGX H20 board. Treat as reported, not datasheet, figures.
  h20: {
    id: 'h20', name: 'NVIDIA H20 96GB', memory_gb: 96, mem_bw_gb_per_s: 4000,
    fp16_tflops: 148, fp8_tflops: 296, int8_tops: 296, nvlink_gb_per_s: 900, has_nvlink: true, interconnect: 'nvlink', interconnect_domain_gpus: 8, supports_bf16: true, tdp_w: 400,
  },
  // NVIDIA L40S datasheet: 48 GB GDDR6 at 864 GB/s, BF16/FP16 tensor 362.05 TF dense (733 sparse),
  // FP8 733 TF dense (1,466 sparse), INT8 733 TOPS dense, 350 W, PCIe Gen4 x16 64 GB/s bidirectional,
  // no NVLink. The 48 GB is decimal: the card shows 45,776 MiB (AWS EC2 DescribeInstanceTypes for
  // g6e, as listed in the SkyPilot AWS catalog), so memory_gb is 45,776 / 1,024 = 44.7 GiB.
  // Domain: 8 cards on one host (g6e.48xlarge).
  l40s: {
    id: 'l40s', name: 'NVIDIA L40S', memory_gb: 44.7, mem_bw_gb_per_s: 864,
    fp16_tflops: 362.05, fp8_tflops: 733, int8_tops: 733, nvlink_gb_per_s: 64, has_nvlink: false, interconnect: 'pcie', interconnect_domain_gpus: 8, supports_bf16: true, tdp_w: 350,
  },
  // NVIDIA HGX B200 specifications (nvidia.com/hgx, 2024-25), 8-GPU board, figures "with
  // sparsity": FP4 144 PF, FP8/FP6 72 PF, FP16/BF16 36 PF, INT8 72 POPS; 1.44 TB HBM3e; NVLink 5
  // 14.4 TB/s total. Per GPU, dense (half the sparse figure, / 8): FP4 9,000 TF, FP8 4,500,
  // FP16 2,250, INT8 4,500 TOPS; 180 GB at 8 TB/s (DGX B200 datasheet: 64 TB/s per 8 GPUs); NVLink
  // 1.8 TB/s bidirectional; 1,000 W (MLPerf Inference v6.0 system description "B200-SXM-180GB,
  // TGP 1000W"). The same per-GPU dense table is in G. Lockwood's B200 notes (glennklockwood.com),
  // citing NVIDIA's Blackwell technical brief. The runtime sees about 179 GiB (AWS lists 1,432 GB of
  // GPU memory for the 8 GPUs of a p6-b200.48xlarge), 0.5% under 180. Early announcements said
  // 192 GB; shipping HGX boards carry 180.
  b200: {
    id: 'b200', name: 'NVIDIA B200 180GB SXM (HGX)', memory_gb: 180, mem_bw_gb_per_s: 8000,
    fp16_tflops: 2250, fp8_tflops: 4500, fp4_tflops: 9000, int8_tops: 4500, nvlink_gb_per_s: 1800, has_nvlink: true, interconnect: 'nvlink', interconnect_domain_gpus: 8, supports_bf16: true, tdp_w: 1000,
    matmul_achieved_fraction: { fp16: 0.776, fp8: 0.763 },
  },
  // NVIDIA GB200 NVL72 specifications (nvidia.com, 2024-25), 72 GPUs in one NVLink Switch domain,
  // rack figures "with sparsity": FP4 1,440 PF, FP8/FP6 720 PF, FP16/BF16 360 PF, INT8 720 POPS;
  // up to 13.4 TB HBM3e at 576 TB/s; NVLink 130 TB/s. Per GPU, dense (half, / 72): FP4 10,000 TF,
  // FP8 5,000, FP16 2,500, INT8 5,000 TOPS (the GB200's B200 runs at 1,200 W, faster than the HGX
  // part: Lockwood's B200 notes); 186 GB at 8 TB/s; NVLink 1.8 TB/s. AWS's p6e-gb200.36xlarge lists
  // 740 GB for its 4 GPUs (185 each). 1,200 W per GPU (the Grace CPU's share of the superchip not
  // included). Domain 72: tensor parallelism can span the whole rack without the network.
  gb200: {
    id: 'gb200', name: 'NVIDIA GB200 (per GPU, NVL72)', memory_gb: 186, mem_bw_gb_per_s: 8000,
    fp16_tflops: 2500, fp8_tflops: 5000, fp4_tflops: 10000, int8_tops: 5000, nvlink_gb_per_s: 1800, has_nvlink: true, interconnect: 'nvlink', interconnect_domain_gpus: 72, supports_bf16: true, tdp_w: 1200,
    matmul_achieved_fraction: { fp16: 0.729, fp8: 0.723 },
  },
  // AMD Instinct MI300X accelerator datasheet (2023): 192 GB HBM3 at 5.3 TB/s, peak FP16/BF16
  // 1,307.4 TF dense (2,614.9 with sparsity), FP8 2,614.9 TF, INT8 2,614.9 TOPS, 750 W OAM.
  // Infinity Fabric: 7 links of 128 GB/s (bidirectional) = 896 GB/s per GPU, one link to each of
  // the 7 other GPUs of the 8-GPU platform, so an all-reduce reaches the sum only when it drives
  // all links at once (RCCL spreads its channels over them). Domain: the 8 OAMs of one platform.
  mi300x: {
    id: 'mi300x', name: 'AMD Instinct MI300X', memory_gb: 192, mem_bw_gb_per_s: 5300,
    fp16_tflops: 1307.4, fp8_tflops: 2614.9, int8_tops: 2614.9, nvlink_gb_per_s: 896, has_nvlink: false, interconnect: 'infinity-fabric', interconnect_domain_gpus: 8, direct_mesh: true, supports_bf16: true, tdp_w: 750,
    matmul_achieved_fraction: { fp16: 0.514 },
  },
  // AMD Instinct MI325X datasheet (Oct 2024): the MI300X's compute (FP16 1,307.4 TF, FP8 2,614.9 TF,
  // INT8 2,614.9 TOPS dense) with 256 GB HBM3E at 6 TB/s, 1,000 W; same Infinity Fabric
  // (7 x 128 GB/s) and 8-GPU platform (a drop-in for MI300X boards).
  mi325x: {
    id: 'mi325x', name: 'AMD Instinct MI325X', memory_gb: 256, mem_bw_gb_per_s: 6000,
    fp16_tflops: 1307.4, fp8_tflops: 2614.9, int8_tops: 2614.9, nvlink_gb_per_s: 896, has_nvlink: false, interconnect: 'infinity-fabric', interconnect_domain_gpus: 8, direct_mesh: true, supports_bf16: true, tdp_w: 1000,
    matmul_achieved_fraction: { fp16: 0.604 },
  },
};

/**
 * The share of a GPU's interconnect bandwidth (`nvlink_gb_per_s`) a group of `groupGpus` GPUs of
 * one domain drives at once: all of it through a switch; on a direct mesh only the links to the
 * group's other members, (g - 1) / (domain - 1). An MI300X pair all-reduces over one 128 GB/s link
 * of its seven (AMD Instinct MI300X data sheet: 7 x 128 GB/s Infinity Fabric links), not 896 GB/s.
 */
export function meshLinkShare(gpu: GpuSpec, groupGpus: number): number {
  if (!gpu.direct_mesh || gpu.interconnect_domain_gpus <= 1) return 1;
  const members = Math.min(groupGpus, gpu.interconnect_domain_gpus);
  return members > 1 ? (members - 1) / (gpu.interconnect_domain_gpus - 1) : 1;
}

export const GPU_IDS: readonly GpuId[] = Object.keys(GPUS) as GpuId[];

/** Bytes per GB of GPU memory (see memory_gb above). */
export const GPU_MEMORY_BYTES_PER_GB = 2 ** 30;

/**
 * The most nodes one tensor-parallel group spans: SGLang's and vLLM's multi-node recipes take two
 * (DeepSeek-R1 at TP 16 on two 8-GPU H100 nodes), four fit Llama 3.1 405B in 16 bits on A100 40GB;
 * past that every all-reduce of a decode step waits on the network a few more times.
 */
export const MAX_TENSOR_PARALLEL_NODES = 4;

/**
 * Refuse a tensor-parallel degree the GPU's interconnect cannot serve. Within one all-to-all domain
 * any degree; beyond it whole domains on up to MAX_TENSOR_PARALLEL_NODES nodes, which all-reduce
 * across the network (InfiniBand/EFA, tens of GB/s per GPU instead of hundreds: step.ts
 * networkAllReduce) as NCCL runs a hierarchical all-reduce, each node's GPUs at once. Not PCIe
 * cards: their hosts carry no NIC per GPU, and their all-reduce already crosses the host.
 * `field` names the flag or scenario field in the message.
 */
export function checkTensorParallel(gpu: GpuSpec, tp: number, field = '--tp'): void {
  if (!Number.isInteger(tp) || tp < 1) throw new UserError(`${field}: expected a positive integer, got ${tp}`);
  const domain = gpu.interconnect_domain_gpus;
  if (tp > domain && gpu.interconnect === 'pcie') {
    throw new UserError(`${field}: tp=${tp} exceeds the ${domain} PCIe cards of one ${gpu.id} host; a group over several hosts of PCIe cards is not modelled: use tp <= ${domain}`);
  }
  if (tp > domain && (tp % domain !== 0 || tp / domain > MAX_TENSOR_PARALLEL_NODES)) {
    throw new UserError(
      `${field}: tp=${tp} exceeds the ${domain}-GPU ${gpu.interconnect} domain of ${gpu.id}; ` +
      `a group over several nodes takes whole domains, at most ${MAX_TENSOR_PARALLEL_NODES}: use tp <= ${domain} or a multiple of ${domain} up to ${domain * MAX_TENSOR_PARALLEL_NODES}`);
  }
}

/** The tensor-core path a GEMM takes: 16-bit (also weight-only int8/int4 and FP8 on Ampere) or FP8. */
export type MatmulPath = 'fp16' | 'fp8';

/**
 * The reference of every profile's `gemm_efficiency`: the GPU whose large-GEMM fraction of peak
 * the step model takes as 1. H100 SXM, because most calibration rows of every current profile are
 * Hopper rows (H100, H200; and the table says H200's BF16 is the same).
 */
export const MATMUL_REFERENCE_GPU: GpuId = 'h100-80gb';

/**
 * How much more (above 1) or less of its datasheet peak this GPU's large GEMMs reach than the
 * reference's on the same path: the ratio of their measured fractions (matmul_achieved_fraction).
 * A profile's gemm_efficiency is a fraction of the reference's peak rate, so without this an A100
 * (86.9% of its peak in the table) and an MI300X (51.4%) would be charged H100's 80.3%.
 * Assumptions, where the table is silent: a GPU it does not measure is taken as the reference
 * (1: L4, L40S, H20, H100 PCIe, T4, A10G, V100); one it measures in BF16 only (MI300X, MI325X) keeps its BF16
 * standing on the FP8 path; FP4 GEMMs (Blackwell) take the FP8 figure.
 */
export function matmulRateVsReference(gpu: GpuSpec, path: MatmulPath): number {
  const f = matmulFractions(gpu, path);
  return f === undefined ? 1 : f.own / f.reference;
}

/**
 * The two measured fractions matmulRateVsReference compares, and which row of the table they are:
 * the FP8 row where both GPUs have one on the FP8 path, else the BF16 row. Undefined for a GPU the
 * table does not measure.
 */
export function matmulFractions(gpu: GpuSpec, path: MatmulPath): { own: number; reference: number; row: MatmulPath } | undefined {
  const measured = gpu.matmul_achieved_fraction;
  const reference = GPUS[MATMUL_REFERENCE_GPU].matmul_achieved_fraction;
  if (measured === undefined || reference === undefined) return undefined;
  if (path === 'fp8' && measured.fp8 !== undefined && reference.fp8 !== undefined) return { own: measured.fp8, reference: reference.fp8, row: 'fp8' };
  return { own: measured.fp16, reference: reference.fp16, row: 'fp16' };
}
