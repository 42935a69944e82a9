import { describe, expect, it } from 'vitest';
import { loadCorpus } from '../../src/fidelity/corpus.ts';
import { predictRows } from '../../src/fidelity/predict.ts';
import { expertKernelShare, MXFP4_UPCAST_EXPERT_SHARE } from '../../src/perf/dtype.ts';
import { GPUS } from '../../src/perf/hardware.ts';
import { MODELS } from '../../src/perf/models.ts';
import { ENGINE_PROFILES } from '../../src/perf/profiles.ts';
import { buildStepGeometry, stepTimeFrom } from '../../src/perf/step.ts';
import { fleetsim } from '../helpers/cli.ts';

/**
 * gpt-oss's MXFP4 experts on GPUs with FP8 but no FP4 tensor cores run through kernels that upcast
 * the weights to BF16: at large batch they reach MXFP4_UPCAST_EXPERT_SHARE of the dense GEMM rate
 * (dtype.ts: fitted on TensorRT-LLM's gpt-oss-120b rows on one H200, held out on its gpt-oss-20b
 * rows and the vLLM blog's runs).
 */
describe('MXFP4 experts on Hopper', () => {
  const gptOss = MODELS['gpt-oss-20b'];

  it('applies to 4-bit experts on FP8-but-not-FP4 tensor cores only', () => {
    expect(MXFP4_UPCAST_EXPERT_SHARE).toBe(0.35);
    for (const gpu of ['h100-80gb', 'h200', 'h20'] as const) expect(expertKernelShare(gptOss, GPUS[gpu]), gpu).toBe(MXFP4_UPCAST_EXPERT_SHARE);
    // A100 (Marlin's MXFP4 path) and Blackwell (native FP4) keep the dense rate, as do 16-bit experts
    for (const gpu of ['a100-80gb', 'b200', 'gb200'] as const) expect(expertKernelShare(gptOss, GPUS[gpu]), gpu).toBe(1);
    expect(expertKernelShare(MODELS['mixtral-8x7b'], GPUS['h100-80gb'])).toBe(1);
    expect(expertKernelShare(MODELS['qwen3-30b-a3b'], GPUS.h200)).toBe(1);
  });

  it('slows the experts\' compute-bound GEMMs by 1/share at large batch and leaves a lone decode step as it was', () => {
    const c = ENGINE_PROFILES.vllm;
    const g = buildStepGeometry({ model: gptOss, gpu: GPUS['h100-80gb'], tp: 1, dtype: 'bf16', calibration: c });
    expect(g.expertGemmShare).toBe(MXFP4_UPCAST_EXPERT_SHARE);
    const dense = { ...g, expertGemmShare: 1 };
    // a 65,536-token prefill: every expert sees about 8,000 rows, compute-bound, so the step grows
    // by the experts' FLOP time at the dense asymptote times (1/share - 1), within the smooth maximum's
    // few tenths of a percent
    const prompt = 65_536;
    const extra = stepTimeFrom(g, c, prompt, 0, 0, 0) - stepTimeFrom(dense, c, prompt, 0, 0, 0);
    const closedForm = prompt * g.expertMsPerToken / c.gemm_efficiency * (1 / MXFP4_UPCAST_EXPERT_SHARE - 1);
    expect(extra / closedForm).toBeGreaterThan(0.99);
    expect(extra / closedForm).toBeLessThan(1.01);
    // one sequence decoding at 2,000 tokens of context: its four experts stream their weights
    const lone = stepTimeFrom(g, c, 0, 0, 1, 2_000) / stepTimeFrom(dense, c, 0, 0, 1, 2_000);
    expect(lone).toBeGreaterThanOrEqual(1);
    expect(lone).toBeLessThan(1.01);
  });

  it('perf says so: its JSON field and its GEMM rate line, on Hopper only', async () => {
    const perf = async (gpu: string, json: boolean) => (await fleetsim(['perf', '--model', 'gpt-oss-120b', '--gpu', gpu, ...(json ? ['--json'] : [])])).stdout;
    expect(JSON.parse(await perf('h100-80gb', true)).expert_kernel_share).toBe(MXFP4_UPCAST_EXPERT_SHARE);
    expect(JSON.parse(await perf('a100-80gb', true)).expert_kernel_share).toBe(1);
    expect(await perf('h200', false)).toMatch(/GEMM rate .*; MXFP4 experts without FP4 tensor cores: x0\.35 of that rate at large batch/);
    expect(await perf('b200', false)).not.toMatch(/MXFP4 experts/);
  });

  it("reads TensorRT-LLM's published gpt-oss throughput on one H100 or H200 within 12% MAPE, each within 25% (+22% to +76% without it)", () => {
    const rows = loadCorpus(['data/corpus/fresh-2026-12/gpt-oss.csv']).filter((r) => r.tp === 1 && r.ep === 1);
    expect(rows.length).toBe(15);
    expect(rows.filter((r) => r.split === 'calibration').every((r) => r.model === 'gpt-oss-120b' && r.gpu === 'h200')).toBe(true);
    const errors = predictRows(rows).map((p, i) => (p.status === 'predicted' ? Math.abs(p.value / rows[i].value - 1) : NaN));
    expect(errors.reduce((a, b) => a + b, 0) / errors.length).toBeLessThan(0.12);
    expect(Math.max(...errors)).toBeLessThan(0.25);
  });
});
