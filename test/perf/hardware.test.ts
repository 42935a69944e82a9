import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { checkTensorParallel, GPU_IDS, GPU_MEMORY_BYTES_PER_GB, GPUS, MATMUL_REFERENCE_GPU, matmulRateVsReference, meshLinkShare, type GpuId } from '../../src/perf/hardware.ts';
import { MODELS } from '../../src/perf/models.ts';
import { buildStepGeometry } from '../../src/perf/step.ts';
import { catalogGpuId, getGpu, getModel } from '../../src/perf/lookup.ts';
import { ENGINE_PROFILES } from '../../src/perf/profiles.ts';
import { perfSummary } from '../../src/perf/summary.ts';
import { knownHardwareBias } from '../../src/perf/model-error.ts';

/**
 * Datasheet figures as the vendors publish them, written out independently of the catalog:
 * per-board or per-rack totals and "with sparsity" peaks where that is what the sheet gives.
 * The dense per-GPU figure is derived here (sparse / 2, total / GPUs) and compared with the catalog.
 */
const SHEETS: Partial<Record<GpuId, { fp16_tflops: number; fp8_tflops?: number; fp4_tflops?: number; mem_bw_gb_per_s: number }>> = {
  // HGX B200, 8 GPUs, with sparsity: FP16 36 PF, FP8 72 PF, FP4 144 PF; DGX B200: 64 TB/s HBM3e
  b200: { fp16_tflops: 36_000 / 8 / 2, fp8_tflops: 72_000 / 8 / 2, fp4_tflops: 144_000 / 8 / 2, mem_bw_gb_per_s: 64_000 / 8 },
  // GB200 NVL72, 72 GPUs, with sparsity: FP16 360 PF, FP8 720 PF, FP4 1,440 PF; 576 TB/s HBM3e
  gb200: { fp16_tflops: 360_000 / 72 / 2, fp8_tflops: 720_000 / 72 / 2, fp4_tflops: 1_440_000 / 72 / 2, mem_bw_gb_per_s: 576_000 / 72 },
  // AMD MI300X lists dense peaks: FP16 1,307.4 TF, FP8 2,614.9 TF; 5.3 TB/s
  mi300x: { fp16_tflops: 1307.4, fp8_tflops: 2614.9, mem_bw_gb_per_s: 5300 },
  // AMD MI325X: same compute, 6 TB/s
  mi325x: { fp16_tflops: 1307.4, fp8_tflops: 2614.9, mem_bw_gb_per_s: 6000 },
  // NVIDIA L40S lists dense | sparse: FP16 362.05 | 733, FP8 733 | 1,466; 864 GB/s
  l40s: { fp16_tflops: 362.05, fp8_tflops: 733, mem_bw_gb_per_s: 864 },
  // H20 (reported, no NVIDIA datasheet): 148 TF FP16, 296 TF FP8, 4.0 TB/s
  h20: { fp16_tflops: 148, fp8_tflops: 296, mem_bw_gb_per_s: 4000 },
  // H100 SXM: 1,979 TF FP16 with sparsity, 3.35 TB/s
  'h100-80gb': { fp16_tflops: 1979 / 2, fp8_tflops: 3958 / 2, mem_bw_gb_per_s: 3350 },
};

/** FLOP per byte at which a GEMM turns from bandwidth- to compute-bound (the roofline ridge). */
const ridge = (tflops: number, gbPerS: number) => (tflops * 1e12) / (gbPerS * 1e9);

describe('GPU catalog against the datasheets', () => {
  it('dense per-GPU peaks and bandwidth match the published totals (sparse / 2, per GPU)', () => {
    for (const [id, sheet] of Object.entries(SHEETS)) {
      const g = GPUS[id as GpuId];
      // H100's 1,979 sparse halves to 989.5 against the 989.4 it lists dense: 1e-3 relative
      expect(g.fp16_tflops / sheet.fp16_tflops, `${id} fp16`).toBeCloseTo(1, 3);
      expect((g.fp8_tflops ?? NaN) / (sheet.fp8_tflops ?? NaN), `${id} fp8`).toBeCloseTo(1, 3);
      if (sheet.fp4_tflops !== undefined) expect(g.fp4_tflops, `${id} fp4`).toBe(sheet.fp4_tflops);
      expect(g.mem_bw_gb_per_s, `${id} bandwidth`).toBe(sheet.mem_bw_gb_per_s);
      expect(ridge(g.fp16_tflops, g.mem_bw_gb_per_s) / ridge(sheet.fp16_tflops, sheet.mem_bw_gb_per_s), `${id} ridge`).toBeCloseTo(1, 3);
    }
  });

  it('bytes/FLOP ridge points: every GPU between 30 and 500 FLOP per byte at FP16; H20 is the compute-starved one', () => {
    const fp16Ridge = Object.fromEntries(GPU_IDS.map((id) => [id, ridge(GPUS[id].fp16_tflops, GPUS[id].mem_bw_gb_per_s)]));
    for (const id of GPU_IDS) {
      expect(fp16Ridge[id], id).toBeGreaterThan(30);
      expect(fp16Ridge[id], id).toBeLessThan(500);
    }
    // 148 TF over 4.0 TB/s = 37 FLOP/byte, an eighth of the H100's 989.4 / 3.35 = 295
    expect(fp16Ridge.h20).toBeCloseTo(37, 0);
    expect(fp16Ridge.h20 / fp16Ridge['h100-80gb']).toBeCloseTo((148 / 4.0) / (989.4 / 3.35), 6);
    // the HBM parts sit near the H100's ridge; B200's 2,250 / 8 = 281
    expect(fp16Ridge.b200).toBeCloseTo(2250 / 8, 6);
  });

  it('memory and bandwidth are sane: one full sweep of HBM/GDDR takes 15 to 100 ms on every GPU', () => {
    for (const id of GPU_IDS) {
      const g = GPUS[id];
      const sweepMs = (g.memory_gb * GPU_MEMORY_BYTES_PER_GB) / (g.mem_bw_gb_per_s * 1e9) * 1000;
      expect(sweepMs, id).toBeGreaterThan(15);
      expect(sweepMs, id).toBeLessThan(100);
    }
    // MI325X: 256 GiB at 6 TB/s = 45.8 ms; B200: 180 GiB at 8 TB/s = 24.2 ms
    expect((256 * 2 ** 30) / 6e12).toBeCloseTo((GPUS.mi325x.memory_gb * GPU_MEMORY_BYTES_PER_GB) / (GPUS.mi325x.mem_bw_gb_per_s * 1e9), 9);
    // L40S's "48 GB" is decimal: 45,776 MiB is 48.0e9 bytes
    expect(GPUS.l40s.memory_gb * GPU_MEMORY_BYTES_PER_GB / 1e9).toBeCloseTo(48, 0);
  });

  it('FP4 tensor cores only on Blackwell; FP8 where the datasheet lists it', () => {
    const fp4 = GPU_IDS.filter((id) => GPUS[id].fp4_tflops !== undefined).sort();
    expect(fp4).toEqual(['b200', 'gb200']);
    for (const id of ['h20', 'l40s', 'b200', 'gb200', 'mi300x', 'mi325x'] as const) expect(GPUS[id].fp8_tflops, id).toBeDefined();
    for (const id of ['a100-80gb', 'v100-32gb', 't4', 'a10g'] as const) expect(GPUS[id].fp8_tflops, id).toBeUndefined();
  });
});

describe('interconnect domains and the TP check', () => {
  it('every GPU names its interconnect; has_nvlink agrees; PCIe cards carry at most a PCIe Gen5 x16 (128 GB/s)', () => {
    for (const id of GPU_IDS) {
      const g = GPUS[id];
      expect(g.has_nvlink, id).toBe(g.interconnect === 'nvlink');
      expect(Number.isInteger(g.interconnect_domain_gpus) && g.interconnect_domain_gpus >= 1, id).toBe(true);
      if (g.interconnect === 'pcie') expect(g.nvlink_gb_per_s, id).toBeLessThanOrEqual(128);
    }
    expect(GPUS.mi300x.interconnect).toBe('infinity-fabric');
    // 7 Infinity Fabric links of 128 GB/s
    expect(GPUS.mi300x.nvlink_gb_per_s).toBe(7 * 128);
    expect(GPUS.gb200.interconnect_domain_gpus).toBe(72);
  });

  it('takes any TP within the domain and whole domains on up to 4 nodes beyond it: 8, 16 and 32 on HGX (8), not 12 or 40; GB200 72 and 144', () => {
    expect(() => checkTensorParallel(GPUS.b200, 8)).not.toThrow();
    for (const tp of [16, 24, 32]) expect(() => checkTensorParallel(GPUS['h100-80gb'], tp), `${tp}`).not.toThrow();
    expect(() => checkTensorParallel(GPUS['h100-80gb'], 12)).toThrow(UserError);
    expect(() => checkTensorParallel(GPUS['h100-80gb'], 12)).toThrow(/--tp: tp=12 exceeds the 8-GPU nvlink domain of h100-80gb; a group over several nodes takes whole domains, at most 4: use tp <= 8 or a multiple of 8 up to 32$/);
    expect(() => checkTensorParallel(GPUS['h100-80gb'], 40)).toThrow(/tp=40 exceeds the 8-GPU/);
    expect(() => checkTensorParallel(GPUS.b200, 9, 'fleet.models.m.tp')).toThrow(/^fleet\.models\.m\.tp: tp=9 exceeds the 8-GPU/);
    expect(() => checkTensorParallel(GPUS.gb200, 72)).not.toThrow();
    expect(() => checkTensorParallel(GPUS.gb200, 144)).not.toThrow();
    expect(() => checkTensorParallel(GPUS.gb200, 100)).toThrow(/72-GPU nvlink domain of gb200/);
    expect(() => checkTensorParallel(GPUS.mi300x, 12)).toThrow(/8-GPU infinity-fabric domain of mi300x/);
    expect(() => checkTensorParallel(GPUS.l40s, 0)).toThrow(/positive integer/);
    expect(() => checkTensorParallel(GPUS.l40s, 16)).toThrow(/tp=16 exceeds the 8 PCIe cards of one l40s host/);
  });
});

describe('the H100 NVL\'s GEMM fraction: the SXM\'s, times the two parts\' published GPT-J ratio over their peaks\' ratio', () => {
  it('carries MLPerf Inference v4.1\'s GPT-J FP8 offline samples/s per GPU (Dell R760xa NVL x4: 104.223 / 4; NVIDIA DGX H100 x8: 286.084 / 8) to 3 digits', () => {
    const measured = (104.223 / 4) / (286.084 / 8);
    const peaks = 1670.5 / 1978.9;
    const sxm = GPUS['h100-80gb'].matmul_achieved_fraction!;
    expect(GPUS['h100-nvl'].matmul_achieved_fraction?.fp8).toBeCloseTo(sxm.fp8! * measured / peaks, 3);
    expect(GPUS['h100-nvl'].matmul_achieved_fraction?.fp16).toBeCloseTo(sxm.fp16 * measured / peaks, 3);
    expect(GPUS['h100-nvl'].fp8_tflops! / GPUS['h100-80gb'].fp8_tflops!).toBeCloseTo(peaks, 6);
  });
});

describe('direct meshes: a tensor-parallel group drives only the links to its own members', () => {
  it('gives a group (g - 1) / (domain - 1) of the link on a mesh, all of it through a switch', () => {
    // MI300X: 7 Infinity Fabric links, one to each other OAM; the 4-GPU HGX H100: 6 NVLinks to each of 3
    expect(meshLinkShare(GPUS.mi300x, 2)).toBeCloseTo(1 / 7, 12);
    expect(meshLinkShare(GPUS.mi300x, 4)).toBeCloseTo(3 / 7, 12);
    expect(meshLinkShare(GPUS.mi300x, 8)).toBe(1);
    expect(meshLinkShare(GPUS.mi325x, 2)).toBeCloseTo(1 / 7, 12);
    expect(meshLinkShare(GPUS['h100-80gb-hgx4'], 2)).toBeCloseTo(1 / 3, 12);
    expect(meshLinkShare(GPUS['h100-80gb-hgx4'], 4)).toBe(1);
    for (const id of ['h100-80gb', 'h200', 'b200', 'gb200', 'a100-80gb', 'l40s'] as const) expect(meshLinkShare(GPUS[id], 2), id).toBe(1);
  });

  it('adds the missing links\' time at 75% of the link (AMD\'s 48 of 64 GB/s per xGMI link), apart from the fitted all-reduce term', () => {
    const model = MODELS['llama-3-70b'];
    const bytesPerToken = 2 * model.layers * model.hidden_size * 2; // 2 all-reduces a layer, 16-bit activations
    for (const [id, tp, share] of [['mi300x', 2, 1 / 7], ['mi300x', 4, 3 / 7], ['h100-80gb-hgx4', 2, 1 / 3]] as const) {
      const g = buildStepGeometry({ model, gpu: GPUS[id], tp, dtype: 'fp8' });
      const linkBytesPerMs = GPUS[id].nvlink_gb_per_s / 2 * 1e6;
      const ringBytes = bytesPerToken * 2 * (tp - 1) / tp;
      expect(g.meshAllReduceMsPerToken, `${id} tp${tp}`).toBeCloseTo(ringBytes * (1 / share - 1) / (linkBytesPerMs * 0.75), 12);
      // the switched-domain term is the same as on a switch of the same link
      const switched = buildStepGeometry({ model, gpu: { ...GPUS[id], direct_mesh: undefined }, tp, dtype: 'fp8' });
      expect(g.allReduceMsPerToken).toBe(switched.allReduceMsPerToken);
      expect(switched.meshAllReduceMsPerToken).toBe(0);
    }
    expect(buildStepGeometry({ model, gpu: GPUS.mi300x, tp: 8, dtype: 'fp8' }).meshAllReduceMsPerToken).toBe(0);
    expect(buildStepGeometry({ model, gpu: GPUS['h100-80gb'], tp: 2, dtype: 'fp8' }).meshAllReduceMsPerToken).toBe(0);
  });

  it('refuses a TP above the 4-GPU board\'s domain unless it takes whole boards', () => {
    expect(() => checkTensorParallel(GPUS['h100-80gb-hgx4'], 4)).not.toThrow();
    expect(() => checkTensorParallel(GPUS['h100-80gb-hgx4'], 8)).not.toThrow();
    expect(() => checkTensorParallel(GPUS['h100-80gb-hgx4'], 6)).toThrow(/4-GPU nvlink domain of h100-80gb-hgx4/);
  });
});

/**
 * S. Bekman's maximum-achievable-matmul table (ML Engineering, compute/accelerator/README.md):
 * achieved TFLOPS over the theoretical peak it states, written out as published.
 */
const MAMF = {
  a100: { bf16: 271.2 / 312 },
  h100: { bf16: 794.5 / 989, fp8: 1402.6 / 1979 },
  b200: { bf16: 1745.0 / 2250, fp8: 3432.5 / 4500 },
  gb200: { bf16: 1822.0 / 2500, fp8: 3615.6 / 5000 },
  mi300x: { bf16: 668.4 / 1300 },
  mi325x: { bf16: 784.9 / 1300 },
};

describe('large-GEMM fraction of peak by GPU (matmulRateVsReference)', () => {
  it('carries the table\'s fractions to 3 digits; H200 takes H100\'s (the same die at the same 700 W)', () => {
    const close = (a: number | undefined, b: number) => expect(a).toBeCloseTo(b, 3);
    close(GPUS['a100-80gb'].matmul_achieved_fraction?.fp16, MAMF.a100.bf16);
    close(GPUS['a100-40gb'].matmul_achieved_fraction?.fp16, MAMF.a100.bf16);
    close(GPUS['h100-80gb'].matmul_achieved_fraction?.fp16, MAMF.h100.bf16);
    close(GPUS['h100-80gb'].matmul_achieved_fraction?.fp8, MAMF.h100.fp8);
    expect(GPUS.h200.matmul_achieved_fraction).toEqual(GPUS['h100-80gb'].matmul_achieved_fraction);
    close(GPUS.b200.matmul_achieved_fraction?.fp8, MAMF.b200.fp8);
    close(GPUS.gb200.matmul_achieved_fraction?.fp16, MAMF.gb200.bf16);
    close(GPUS.mi300x.matmul_achieved_fraction?.fp16, MAMF.mi300x.bf16);
    close(GPUS.mi325x.matmul_achieved_fraction?.fp16, MAMF.mi325x.bf16);
  });

  it('is 1 on the reference GPU, the ratio of fractions elsewhere, BF16 standing where FP8 is unmeasured, 1 where the table is silent', () => {
    expect(GPUS[MATMUL_REFERENCE_GPU].id).toBe('h100-80gb');
    expect(matmulRateVsReference(GPUS['h100-80gb'], 'fp16')).toBe(1);
    expect(matmulRateVsReference(GPUS['h100-80gb'], 'fp8')).toBe(1);
    expect(matmulRateVsReference(GPUS['a100-80gb'], 'fp16')).toBeCloseTo(MAMF.a100.bf16 / MAMF.h100.bf16, 2);
    expect(matmulRateVsReference(GPUS.b200, 'fp8')).toBeCloseTo(MAMF.b200.fp8 / MAMF.h100.fp8, 2);
    expect(matmulRateVsReference(GPUS.mi300x, 'fp8')).toBeCloseTo(MAMF.mi300x.bf16 / MAMF.h100.bf16, 2);
    for (const id of ['l40s', 'h20', 'l4', 't4', 'a10g', 'v100-32gb'] as const) {
      expect(matmulRateVsReference(GPUS[id], 'fp16'), id).toBe(1);
      expect(matmulRateVsReference(GPUS[id], 'fp8'), id).toBe(1);
    }
  });

  it('scales the step model\'s GEMM time by it and nothing else: weights, attention and the MFU\'s peak stay', () => {
    const model = MODELS['llama-3.1-70b'];
    const pairs = [['a100-80gb', 'fp16'], ['mi300x', 'fp8'], ['b200', 'fp4']] as const;
    for (const [id, dtype] of pairs) {
      const measured = buildStepGeometry({ model, gpu: GPUS[id], tp: 8, dtype });
      const unmeasured = buildStepGeometry({ model, gpu: { ...GPUS[id], matmul_achieved_fraction: undefined }, tp: 8, dtype });
      const ratio = matmulRateVsReference(GPUS[id], dtype === 'fp16' ? 'fp16' : 'fp8');
      expect(ratio, id).not.toBeCloseTo(1, 2);
      expect(measured.denseMsPerPrefillToken * ratio, id).toBeCloseTo(unmeasured.denseMsPerPrefillToken, 12);
      expect(measured.denseMsPerDecodeToken * ratio, id).toBeCloseTo(unmeasured.denseMsPerDecodeToken, 12);
      expect(measured.denseWeightMs, id).toBe(unmeasured.denseWeightMs);
      expect(measured.attentionMsPerPair, id).toBe(unmeasured.attentionMsPerPair);
      expect(measured.peakFlopsPerS, id).toBe(unmeasured.peakFlopsPerS);
    }
  });
});

describe('the A100 PCIe cards', () => {
  // NVIDIA A100 datasheet, PCIe columns: 40 GB HBM2 at 1,555 GB/s (250 W), 80 GB HBM2e at 1,935 GB/s
  // (300 W), FP16 tensor 624 TF with sparsity (312 dense), PCIe Gen4 x16 (64 GB/s bidirectional).
  const sheet = { 'a100-40gb-pcie': { memory_gb: 40, bw: 1555, tdp_w: 250 }, 'a100-80gb-pcie': { memory_gb: 80, bw: 1935, tdp_w: 300 } } as const;

  it('carry the datasheet figures and all-reduce over PCIe; nvidia-smi and benchmark spellings name them', () => {
    for (const [id, s] of Object.entries(sheet)) {
      const g = GPUS[id as GpuId];
      expect([g.memory_gb, g.mem_bw_gb_per_s, g.tdp_w, g.fp16_tflops * 2], id).toEqual([s.memory_gb, s.bw, s.tdp_w, 624]);
      expect([g.interconnect, g.has_nvlink, g.nvlink_gb_per_s], id).toEqual(['pcie', false, 64]);
    }
    expect(getGpu(catalogGpuId('NVIDIA A100-PCIE-40GB')).id).toBe('a100-40gb-pcie');
    expect(getGpu(catalogGpuId('NVIDIA A100 80GB PCIe')).id).toBe('a100-80gb-pcie');
    expect(getGpu(catalogGpuId('A100-PCIe-80GB')).id).toBe('a100-80gb-pcie');
  });

  it('decode at batch 1 on one card slower than the SXM part by at most the bandwidth ratio (weight reads bound it); at TP 4 the PCIe all-reduce costs more than that', () => {
    const at = (gpu: string, model: string, tp: number) => perfSummary({
      model: getModel(model), gpu: getGpu(gpu), tp, dtype: 'fp16', calibration: ENGINE_PROFILES.vllm, prompt: 512, output: 128, usdPerGpuHour: 1,
    });
    const oneCard = at('a100-80gb-pcie', 'llama-3-8b', 1).tpot_ms / at('a100-80gb', 'llama-3-8b', 1).tpot_ms;
    expect(oneCard).toBeGreaterThan(1);
    expect(oneCard).toBeLessThanOrEqual(2039 / 1935);
    const fourCards = at('a100-80gb-pcie', 'llama-2-70b', 4).tpot_ms / at('a100-80gb', 'llama-2-70b', 4).tpot_ms;
    expect(fourCards).toBeGreaterThan(2039 / 1935);
  });
});

describe('H20: a balance outside the fitted GPUs, said where it shows', () => {
  it('reads a batch-1 decode slower than A100 80GB although its weights read faster, and perf\'s known-bias line says so; a change that removes the first must revise the second', () => {
    const at = (gpu: string) => perfSummary({
      model: getModel('llama-3.1-8b'), gpu: getGpu(gpu), tp: 1, dtype: 'bf16', calibration: ENGINE_PROFILES.vllm, prompt: 512, output: 128, usdPerGpuHour: 1,
    });
    // 16 GB of weights: 4.0 ms at H20's 4.0 TB/s, 7.8 ms at A100's 2.04
    expect(GPUS.h20.mem_bw_gb_per_s).toBeGreaterThan(GPUS['a100-80gb'].mem_bw_gb_per_s);
    expect(at('h20').tpot_ms).toBeGreaterThan(at('a100-80gb').tpot_ms);
    expect(knownHardwareBias(GPUS.h20)).toMatch(/^h20: no published measurement.*small-batch decode reads compute-bound/);
    for (const id of ['a100-80gb', 'h100-80gb', 'h200'] as const) expect(knownHardwareBias(GPUS[id])).toBeUndefined();
  });
});
