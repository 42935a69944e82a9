import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { DEFAULT_CALIBRATION, ENGINE_PROFILES } from '../../src/perf/profiles.ts';
import { GPUS } from '../../src/perf/hardware.ts';
import { MODELS } from '../../src/perf/models.ts';
import { buildStepGeometry, buildStepModel, stepTimeFrom } from '../../src/perf/step.ts';

const a100 = GPUS['a100-80gb'];
const l70 = MODELS['llama-2-70b'];

describe('KV capacity and fit', () => {
  it('Llama-2-70B fp16 on 8x A100-80GB holds over a million KV tokens', () => {
    const m = buildStepModel({ model: l70, gpu: a100, tp: 8 });
    // K and V, 80 layers, 8 KV heads of 128, 2 bytes
    expect(m.kvBytesPerToken).toBe(2 * 80 * 8 * 128 * 2);
    expect(m.weightBytesPerGpu).toBeCloseTo((68.98e9 * 2) / 8, -6);
    // 8 x 80 GiB x 0.9 = 618 GB, minus 138 GB weights and ~15 GB reserve, / 328 KB
    expect(m.kvCapacityTokens).toBeGreaterThan(1.3e6);
    expect(m.kvCapacityTokens).toBeLessThan(1.5e6);
  });

  it('KV capacity shrinks with gpu memory utilisation and grows with an fp8 KV cache', () => {
    const base = buildStepModel({ model: l70, gpu: a100, tp: 8 }).kvCapacityTokens;
    expect(buildStepModel({ model: l70, gpu: a100, tp: 8, gpuMemoryUtilization: 0.8 }).kvCapacityTokens).toBeLessThan(base);
    const fp8kv = buildStepModel({ model: l70, gpu: a100, tp: 8, kvDtype: 'fp8' }).kvCapacityTokens;
    expect(fp8kv / base).toBeCloseTo(2, 1);
  });

  it('Llama-2-70B does not fit on one A100-80GB: UserError with the numbers', () => {
    let err: unknown;
    try {
      buildStepModel({ model: l70, gpu: a100, tp: 1 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/does not fit on 1x a100-80gb: weights need 128\.5 GiB per GPU, 72\.0 GiB usable \(80 GiB x 0\.9\)/);
  });

  it('int8 weights fit where fp16 does not', () => {
    expect(() => buildStepModel({ model: MODELS['llama-2-13b'], gpu: GPUS['a10g'], tp: 1 })).toThrow(UserError);
    expect(buildStepModel({ model: MODELS['llama-2-13b'], gpu: GPUS['a10g'], tp: 1, dtype: 'int8' }).kvCapacityTokens).toBeGreaterThan(1000);
  });

  it('refuses BF16 on Volta and heads that do not split over TP', () => {
    expect(() => buildStepModel({ model: MODELS['llama-2-7b'], gpu: GPUS['v100-32gb'], tp: 1, dtype: 'bf16' })).toThrow(/no BF16/);
    expect(() => buildStepModel({ model: l70, gpu: a100, tp: 3 })).toThrow(/64 attention heads cannot be split over tp=3/);
  });
});

describe('step time', () => {
  const m8 = buildStepModel({ model: l70, gpu: a100, tp: 8 });

  it('an empty step costs nothing; decode time grows with batch and context', () => {
    expect(m8.stepTimeMs(0, 0, 0, 0)).toBe(0);
    const t1 = m8.stepTimeMs(0, 0, 1, 512);
    const t32 = m8.stepTimeMs(0, 0, 32, 32 * 512);
    const t32long = m8.stepTimeMs(0, 0, 32, 32 * 4096);
    expect(t32).toBeGreaterThan(t1);
    expect(t32long).toBeGreaterThan(t32);
  });

  it('small-batch decode is memory-bound: about the weight read time, far above the compute time', () => {
    const flops = m8.stepFlops(0, 0, 1, 512);
    const bytes = m8.stepBytes(0, 0, 1, 512);
    expect(flops / 2).toBeGreaterThan(0.98 * 68.98e9 - 0.27e9); // ~2 FLOPs per active matmul parameter
    expect(bytes / m8.peakBytesPerS).toBeGreaterThan((10 * flops) / m8.peakFlopsPerS);
  });

  it('long prefill is compute-bound and scales about linearly in tokens', () => {
    const t4k = m8.stepTimeMs(4096, (4096 * 4096) / 2, 0, 0);
    const t8k = m8.stepTimeMs(8192, (8192 * 8192) / 2, 0, 0);
    expect(t8k / t4k).toBeGreaterThan(1.8);
    expect(t8k / t4k).toBeLessThan(2.3);
  });

  it('the all-reduce term is zero at TP 1 and present at TP 2', () => {
    const m7 = MODELS['llama-2-7b'];
    const slowLinks = { ...DEFAULT_CALIBRATION, allreduce_latency_us: 10_000, allreduce_doubling_latency_us: 0, link_bw_efficiency: 0.001 };
    const tp1 = (cal = DEFAULT_CALIBRATION) => buildStepModel({ model: m7, gpu: a100, tp: 1, calibration: cal }).stepTimeMs(512, 512 * 256, 4, 4 * 600);
    const tp2 = (cal = DEFAULT_CALIBRATION) => buildStepModel({ model: m7, gpu: a100, tp: 2, calibration: cal }).stepTimeMs(512, 512 * 256, 4, 4 * 600);
    expect(tp1(slowLinks)).toBe(tp1());
    expect(tp2(slowLinks)).toBeGreaterThan(tp2() + 2 * 32 * 10);
  });

  it('a GEMM-fused all-reduce moves (tp + 1) / tp of the payload against a ring\'s 2 (tp - 1) / tp, hidden under the row-parallel GEMMs', () => {
    const trt = ENGINE_PROFILES.trtllm;
    const fused = { ...trt, allreduce_fused_with_gemm: true };
    const geometry = (model: keyof typeof MODELS, gpu: keyof typeof GPUS, tp: number) => buildStepGeometry({ model: MODELS[model], gpu: GPUS[gpu], tp, dtype: 'fp8', calibration: trt });
    expect(geometry('llama-3.1-405b', 'h200', 8).fusedAllReduceTrafficShare).toBeCloseTo(9 / 14, 12);
    expect(geometry('llama-2-70b', 'h100-80gb', 4).fusedAllReduceTrafficShare).toBeCloseTo(5 / 6, 12);
    expect(geometry('llama-2-70b', 'h100-80gb', 2).fusedAllReduceTrafficShare).toBe(1); // the ring of 2 moves less
    // Llama 2 70B per layer: o_proj 8192 x 8192 and down_proj 28672 x 8192 of 8192 x (8192 + 2 x 1024) + 8192 x 8192 + 3 x 28672 x 8192
    const perLayer = 8192 * 8192 + 28672 * 8192;
    expect(geometry('llama-2-70b', 'h100-80gb', 2).rowParallelShare).toBeCloseTo(perLayer / (perLayer + 8192 * 10240 + 2 * 28672 * 8192), 2);
    const g = geometry('llama-3.1-405b', 'h200', 8);
    const at = (c: typeof trt) => stepTimeFrom(g, c, 2560, 2560 * 9000, 17, 17 * 9429);
    const ringMs = 2560 * g.allReduceMsPerToken / trt.link_bw_efficiency;
    const saved = at(trt) - at(fused);
    // at least the traffic saved, at most the whole payload time
    expect(saved).toBeGreaterThanOrEqual(ringMs * (1 - 9 / 14) - 1e-9);
    expect(saved).toBeLessThanOrEqual(ringMs + 1e-9);
    // nothing to fuse at TP 1 or over PCIe (no NVLink SHARP)
    const tp1 = buildStepGeometry({ model: MODELS['llama-3-8b'], gpu: GPUS['h100-80gb'], tp: 1, dtype: 'fp8', calibration: trt });
    expect(stepTimeFrom(tp1, fused, 2048, 2048 * 1024, 8, 8 * 1000)).toBe(stepTimeFrom(tp1, trt, 2048, 2048 * 1024, 8, 8 * 1000));
    const pcie = buildStepGeometry({ model: l70, gpu: GPUS.l40s, tp: 8, dtype: 'fp8', calibration: trt });
    expect(stepTimeFrom(pcie, fused, 2048, 2048 * 1024, 8, 8 * 1000)).toBe(stepTimeFrom(pcie, trt, 2048, 2048 * 1024, 8, 8 * 1000));
    // nor on a board without a switch (the 4-GPU HGX H100): no multicast to reduce in
    const mesh = geometry('llama-2-70b', 'h100-80gb-hgx4', 4);
    expect(mesh.allReduceFusable).toBe(false);
    expect(stepTimeFrom(mesh, fused, 2048, 2048 * 1024, 8, 8 * 1000)).toBe(stepTimeFrom(mesh, trt, 2048, 2048 * 1024, 8, 8 * 1000));
    expect(geometry('llama-2-70b', 'h100-80gb', 4).allReduceFusable).toBe(true);
  });

  it('FP8 uses the FP8 tensor rate on H100 but not on A100', () => {
    const m = MODELS['llama-3-8b'];
    const prefill = (gpu: keyof typeof GPUS, dtype: 'fp16' | 'fp8') =>
      buildStepModel({ model: m, gpu: GPUS[gpu], tp: 1, dtype }).stepTimeMs(8192, (8192 * 8192) / 2, 0, 0);
    expect(prefill('h100-80gb', 'fp8') / prefill('h100-80gb', 'fp16')).toBeLessThan(0.6);
    expect(prefill('a100-80gb', 'fp8') / prefill('a100-80gb', 'fp16')).toBeGreaterThan(0.95);
    // but FP8 weights halve the bytes a decode step streams on any GPU
    const decode = (dtype: 'fp16' | 'fp8') => buildStepModel({ model: m, gpu: a100, tp: 1, dtype }).stepBytes(0, 0, 1, 512);
    expect(decode('fp8') / decode('fp16')).toBeCloseTo(0.5, 1);
  });

  it('MoE: one token reads the shared weights and 2 of 8 experts; many tokens read them all', () => {
    const mx = buildStepModel({ model: MODELS['mixtral-8x7b'], gpu: a100, tp: 2 });
    const kv = mx.kvBytesPerToken;
    const one = mx.stepBytes(0, 0, 1, 0) - kv;
    const many = mx.stepBytes(0, 0, 256, 0) - 256 * kv;
    // every weight but the input embedding, which is read row by row (32000 x 4096 x 2 bytes)
    expect(many).toBeCloseTo(46.7e9 * 2 - 32000 * 4096 * 2, -8);
    // active 12.9B of 46.7B: one token touches about that share of the weights
    expect(one / many).toBeGreaterThan(0.26);
    expect(one / many).toBeLessThan(0.3);
    // compute follows active, not total, parameters
    expect(mx.stepFlops(0, 0, 1, 0)).toBeLessThan(2 * 13e9);
  });

  it('a decode-only step is the line decodeInterceptMs(D) + decodeMsPerContextToken x C', () => {
    for (const m of [m8, buildStepModel({ model: MODELS['mixtral-8x7b'], gpu: GPUS['h100-80gb'], tp: 2, dtype: 'fp8' })]) {
      for (const D of [1, 7, 64, 1000]) {
        for (const C of [0, D * 100, D * 4000]) {
          const line = m.decodeInterceptMs(D) + m.decodeMsPerContextToken * C;
          expect(Math.abs(line - m.stepTimeMs(0, 0, D, C)) / m.stepTimeMs(0, 0, D, C)).toBeLessThan(1e-12);
        }
      }
    }
  });

  it('stepTimeMs is cheap enough to call once per simulated iteration', () => {
    let acc = 0;
    const t0 = performance.now();
    for (let i = 0; i < 1_000_000; i++) acc += m8.stepTimeMs(i & 511, (i & 511) * 300, 64, 64 * 700);
    const ms = performance.now() - t0;
    expect(acc).toBeGreaterThan(0);
    expect(ms).toBeLessThan(2000); // ~50 ns a call measured; the bound only catches an accidental O(n) or allocation storm
  });
});
