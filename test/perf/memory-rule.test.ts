import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { GPUS, GPU_MEMORY_BYTES_PER_GB } from '../../src/perf/hardware.ts';
import { sizeReplica } from '../../src/perf/memory.ts';
import { MODELS } from '../../src/perf/models.ts';
import { getEngineProfile } from '../../src/perf/profiles.ts';
import { buildStepModel } from '../../src/perf/step.ts';
import { CORPUS_HEADER, parseCorpus } from '../../src/fidelity/corpus.ts';
import { profileFor, resolveRow } from '../../src/fidelity/predict.ts';
import { baseCells, csvLine } from '../fidelity/helpers.ts';

// Two documented rules for the KV cache's share of GPU memory, as AIConfigurator's memory model
// states them too (of_total for vLLM and SGLang, of_free for TensorRT-LLM):
//   vLLM gpu_memory_utilization f:           KV = M f - W - R
//   TensorRT-LLM free_gpu_memory_fraction f: KV = (M - W - R) f
// with M the GPU's memory, W the weights and R activations and runtime, per GPU.
const h100 = GPUS['h100-80gb'];
const l70 = MODELS['llama-3.1-70b'];
const M = h100.memory_gb * GPU_MEMORY_BYTES_PER_GB;

function tokens(kvBytesPerGpu: number, gpus: number, kvBytesPerToken: number): number {
  return Math.floor((gpus * kvBytesPerGpu) / kvBytesPerToken);
}

describe('the KV cache under vLLM\'s and TensorRT-LLM\'s memory rules', () => {
  it('sizes each rule by its own formula (Llama 3.1 70B FP8 on one H100, where they differ most)', () => {
    const total = sizeReplica({ model: l70, gpu: h100, tp: 1, dtype: 'fp8' });
    const free = sizeReplica({ model: l70, gpu: h100, tp: 1, dtype: 'fp8', memoryFractionOf: 'free' });
    const W = total.weightBytesPerGpu, R = total.activationReserveBytesPerGpu;
    expect(total.kvCapacityTokens).toBe(tokens(M * 0.9 - W - R, 1, total.kvBytesPerToken));
    expect(free.kvCapacityTokens).toBe(tokens((M - W - R) * 0.9, 1, free.kvBytesPerToken));
    // 70.5 GB of weights on 85.9 GB: TensorRT-LLM's rule leaves more than twice vLLM's cache
    expect(free.kvCapacityTokens / total.kvCapacityTokens).toBeGreaterThan(2);
  });

  it('agrees where weights are light: the two differ by a tenth of weights and reserve', () => {
    const l8 = MODELS['llama-3.1-8b'];
    const total = sizeReplica({ model: l8, gpu: h100, tp: 1, dtype: 'bf16', memoryFraction: 0.9 });
    const free = sizeReplica({ model: l8, gpu: h100, tp: 1, dtype: 'bf16', memoryFraction: 0.9, memoryFractionOf: 'free' });
    const gap = 0.1 * (total.weightBytesPerGpu + total.activationReserveBytesPerGpu);
    expect((free.kvCapacityTokens - total.kvCapacityTokens) * total.kvBytesPerToken).toBeCloseTo(gap, -6);
  });

  it('fits weights in the whole GPU under TensorRT-LLM\'s rule, in the fraction under vLLM\'s', () => {
    // weights between 0.5 and 1 of the GPU: refused at 0.5 of the total, cached under 0.5 of the free
    expect(() => sizeReplica({ model: l70, gpu: h100, tp: 1, dtype: 'fp8', memoryFraction: 0.5 })).toThrow(/weights need 65\.7 GiB per GPU, 40\.0 GiB usable \(80 GiB x 0\.5\)/);
    const free = sizeReplica({ model: l70, gpu: h100, tp: 1, dtype: 'fp8', memoryFraction: 0.5, memoryFractionOf: 'free' });
    expect(free.kvCapacityTokens).toBe(tokens((M - free.weightBytesPerGpu - free.activationReserveBytesPerGpu) * 0.5, 1, free.kvBytesPerToken));
    expect(() => sizeReplica({ model: MODELS['llama-3.1-405b'], gpu: h100, tp: 4, dtype: 'fp8', memoryFractionOf: 'free' })).toThrow(/on the GPU; use more GPUs/);
  });

  it('takes each profile\'s rule, and a setting given by name over it', () => {
    const vllm = buildStepModel({ model: l70, gpu: h100, tp: 1, dtype: 'fp8', kvDtype: 'fp8', calibration: getEngineProfile('vllm') });
    const trt = buildStepModel({ model: l70, gpu: h100, tp: 1, dtype: 'fp8', kvDtype: 'fp8', calibration: getEngineProfile('trtllm') });
    const free = sizeReplica({ model: l70, gpu: h100, tp: 1, dtype: 'fp8', memoryFractionOf: 'free' });
    expect(trt.kvCapacityTokens).toBe(free.kvCapacityTokens);
    expect(vllm.kvCapacityTokens).toBe(sizeReplica({ model: l70, gpu: h100, tp: 1, dtype: 'fp8' }).kvCapacityTokens);
    const named = buildStepModel({ model: l70, gpu: h100, tp: 1, dtype: 'fp8', kvDtype: 'fp8', calibration: getEngineProfile('vllm'), kvCacheFreeMemoryFraction: 0.9 });
    expect(named.kvCapacityTokens).toBe(free.kvCapacityTokens);
    expect(() => buildStepModel({ model: l70, gpu: h100, tp: 1, dtype: 'fp8', gpuMemoryUtilization: 0.9, kvCacheFreeMemoryFraction: 0.9 }))
      .toThrow(UserError);
  });

  it('sizes a corpus row by the memory fraction its engine_args name', () => {
    const cells = baseCells({ stack: 'trtllm', stack_version: '0.15.0', gpu: 'h100-80gb', model: 'llama-3.1-70b', dtype: 'fp8', kv_dtype: 'fp8', kind: 'throughput', unit: 'output_tok_s', value: '800', batch: '', prompt_tokens: '128', output_tokens: '2048' });
    const text = [`${CORPUS_HEADER},engine_args`, `${csvLine(cells)},`, `${csvLine({ ...cells, id: 'synthetic-099' })},kv_cache_free_gpu_mem_fraction=0.99`,
      `${csvLine({ ...cells, id: 'synthetic-vllm-rule' })},gpu_memory_utilization=0.9`].join('\n') + '\n';
    const kv = parseCorpus(text, 'c.csv').map((row) => {
      const resolved = resolveRow(row, profileFor(row, {}));
      if (typeof resolved === 'string') throw new Error(resolved);
      return resolved.step.kvCapacityTokens;
    });
    const at = (fraction: number, of: 'total' | 'free') => sizeReplica({ model: l70, gpu: h100, tp: 1, dtype: 'fp8', memoryFraction: fraction, memoryFractionOf: of }).kvCapacityTokens;
    expect(kv).toEqual([at(0.9, 'free'), at(0.99, 'free'), at(0.9, 'total')]);
  });
});
