import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { registerPerf } from '../../src/perf/cli-perf.ts';
import { checkKvDtype, defaultKvDtype, DTYPE_BYTES, peakTflopsFor } from '../../src/perf/dtype.ts';
import { GPU_IDS, GPUS } from '../../src/perf/hardware.ts';
import { MODELS } from '../../src/perf/models.ts';
import { buildStepModel } from '../../src/perf/step.ts';

describe('4-bit dtypes', () => {
  const l70 = MODELS['llama-2-70b'];

  it('fp4 is refused on H100 with a message naming the GPU, through the step model too', () => {
    expect(() => peakTflopsFor(GPUS['h100-80gb'], 'fp4')).toThrow(UserError);
    expect(() => peakTflopsFor(GPUS['h100-80gb'], 'fp4')).toThrow(/^h100-80gb has no FP4 tensor cores .*b200, gb200/);
    expect(() => buildStepModel({ model: MODELS['llama-2-7b'], gpu: GPUS['h100-80gb'], tp: 1, dtype: 'fp4' })).toThrow(/h100-80gb has no FP4/);
    expect(() => peakTflopsFor(GPUS.mi325x, 'fp4')).toThrow(/mi325x has no FP4/);
  });

  it('fp4 weights take half of fp8 plus one 8-bit scale per 16 values (NVFP4): 4.5/8 of the bytes', () => {
    const w = (dtype: 'fp8' | 'fp4') => buildStepModel({ model: l70, gpu: GPUS.b200, tp: 8, dtype }).weightBytesPerGpu;
    expect(w('fp4') / w('fp8')).toBeCloseTo((4 + 8 / 16) / 8, 12);
    // without its scale (one byte per 16 values) the 4-bit payload is exactly half of fp8's
    expect(DTYPE_BYTES.fp4 - 1 / 16).toBe(DTYPE_BYTES.fp8 / 2);
    // Llama-2-70B (68.98e9 parameters) in NVFP4: 38.8 GB, under one B200
    expect(w('fp4') * 8).toBeCloseTo(68.98e9 * 4.5 / 8, -7);
  });

  it('fp4 computes at the FP4 tensor rate on Blackwell; int4 at the FP16 rate everywhere', () => {
    expect(peakTflopsFor(GPUS.b200, 'fp4')).toBe(144_000 / 8 / 2);
    expect(peakTflopsFor(GPUS.gb200, 'fp4')).toBe(1_440_000 / 72 / 2);
    for (const id of GPU_IDS) expect(peakTflopsFor(GPUS[id], 'int4'), id).toBe(GPUS[id].fp16_tflops);
    // GPTQ/AWQ group 128: 4 bits + a 16-bit scale and a 4-bit zero per 128 weights
    const w = (dtype: 'fp16' | 'int4') => buildStepModel({ model: l70, gpu: GPUS['a100-80gb'], tp: 4, dtype }).weightBytesPerGpu;
    expect(w('int4') / w('fp16')).toBeCloseTo((4 + 20 / 128) / 16, 12);
  });

  it('int4 is weight-only: its KV cache defaults to fp16 and an int4 KV cache is refused; fp4 KV only on Blackwell', () => {
    expect(defaultKvDtype('int4')).toBe('fp16');
    expect(defaultKvDtype('fp4')).toBe('fp4');
    expect(defaultKvDtype('fp8')).toBe('fp8');
    expect(() => checkKvDtype(GPUS.b200, 'int4')).toThrow(/weight-only/);
    expect(() => checkKvDtype(GPUS.b200, 'fp4')).not.toThrow();
    expect(() => checkKvDtype(GPUS.h200, 'fp4')).toThrow(/h200 has no FP4/);
  });

  it("an engine whose KV cache follows the activations (vLLM's \"auto\") keeps 16 bits for any quantised model", () => {
    for (const d of ['fp8', 'fp4', 'int8', 'int4'] as const) expect(defaultKvDtype(d, 'activations'), d).toBe('fp16');
    expect(defaultKvDtype('bf16', 'activations')).toBe('bf16');
    expect(defaultKvDtype('fp8', 'weights')).toBe('fp8');
    // the cache's bytes, and so the sequences it holds, follow: half as many tokens at 16 bits
    const kv = (kvDtype: 'fp8' | 'fp16') => buildStepModel({ model: l70, gpu: GPUS['h100-80gb'], tp: 2, dtype: 'fp8', kvDtype }).kvBytesPerToken;
    expect(kv('fp16') / kv('fp8')).toBe(2);
  });

  it('a fractional KV width still gives a whole number of KV tokens', () => {
    const m = buildStepModel({ model: l70, gpu: GPUS.b200, tp: 8, dtype: 'fp4' });
    expect(m.kvBytesPerToken).toBeCloseTo(2 * 80 * 8 * 128 * 4.5 / 8, 9);
    expect(Number.isInteger(m.kvCapacityTokens)).toBe(true);
  });
});

async function perf(args: string[]): Promise<string> {
  const program = new Command('fleetsim').exitOverride();
  registerPerf(program);
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    await program.parseAsync(['node', 'fleetsim', 'perf', ...args]);
  } finally {
    spy.mockRestore();
  }
  return out;
}

afterEach(() => vi.restoreAllMocks());

describe('fleetsim perf on the new hardware', () => {
  it('b200, llama-2-70b, tp 8, fp4: FP4 weights, priced at the p6-b200 rate', async () => {
    const r = JSON.parse(await perf(['--gpu', 'b200', '--model', 'llama-2-70b', '--tp', '8', '--dtype', 'fp4', '--json'])) as Record<string, number | string>;
    expect(r.dtype).toBe('fp4');
    expect(r.weight_gb_per_gpu).toBeCloseTo(68.98e9 * 4.5 / 8 / 8 / 1e9, 2);
    expect(r.usd_per_gpu_hour).toBeCloseTo(113.9328 / 8, 9);
    expect(r.tokens_per_s_per_gpu as number).toBeGreaterThan(0);
  });

  it('refuses fp4 on H100, an int4 KV cache, and TP 12 on B200 (not whole 8-GPU nodes), each as a UserError', async () => {
    await expect(perf(['--gpu', 'h100-80gb', '--model', 'llama-2-7b', '--dtype', 'fp4'])).rejects.toThrow(/^--dtype: h100-80gb has no FP4/);
    await expect(perf(['--gpu', 'b200', '--model', 'llama-2-7b', '--kv-dtype', 'int4'])).rejects.toThrow(/--kv-dtype: int4 is a weight-only format/);
    await expect(perf(['--gpu', 'b200', '--model', 'llama-2-70b', '--tp', '12'])).rejects.toThrow(UserError);
  });

  it('int4 weights run with a 16-bit KV cache by default', async () => {
    const r = JSON.parse(await perf(['--gpu', 'l40s', '--model', 'llama-2-70b', '--tp', '4', '--dtype', 'int4', '--json'])) as Record<string, number | string>;
    expect(r.dtype).toBe('int4');
    expect(r.weight_gb_per_gpu).toBeCloseTo(68.98e9 * (4 + 20 / 128) / 8 / 4 / 1e9, 2);
  });
});
