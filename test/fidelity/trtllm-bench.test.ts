import { describe, expect, it } from 'vitest';
import { trtllmBenchLimits } from '../../src/fidelity/trtllm-bench.ts';
import { loadCorpus } from '../../src/fidelity/corpus.ts';
import { runPlanFor, resolveRow } from '../../src/fidelity/predict.ts';
import { ENGINE_PROFILES } from '../../src/perf/profiles.ts';

/**
 * trtllm-bench's engine sizing (TensorRT-LLM tensorrt_llm/bench/build/tuning.py), worked by hand
 * for Llama 3.1 70B FP8 (70.6e9 parameters; 80 layers, 8 KV heads of 128, FP8 cache: 163,840 bytes
 * a token on the TP group) at TP 8, built for a 2,048/2,048 dataset:
 * - H100 (80 GiB each): (640 - 70.6) x 0.95 = 540.9 GiB of cache, / (163,840 B x 4,096) = 865.5
 *   requests: batch 128 x ceil(865.5 / 128) = 896; tokens 865.5 x 2 = 1,731, at least 2,048.
 * - H200 (141 GiB): (1,128 - 70.6) x 0.95 = 1,004.5 GiB, 1,607.3 requests: batch 256 x 7 = 1,792;
 *   tokens 3,214.6, up to a multiple of 256: 3,328.
 * - 8B FP16 on one H100 for 128/128 (8.03e9 x 2 bytes; 131,072 cache bytes a token): (80 - 16.06)
 *   x 0.95 / (131,072 B x 256) = 1,944 requests: batch 256 x 8 = 2,048; tokens 3,888, up to 4,096.
 */
describe("trtllm-bench's engine limits", () => {
  const llama70b = { params_total: 70.6e9, weight_dtype: 'fp8', kv_bytes_per_token: 2 * 80 * 8 * 128 * 1, tp: 8 };

  it('sizes the batch and tokens per step from the memory the weights leave, as its rule does', () => {
    expect(trtllmBenchLimits({ ...llama70b, gpu: { memory_gb: 80 } }, { isl: 2048, osl: 2048 })).toEqual({ max_num_seqs: 896, max_batched_tokens: 2048 });
    expect(trtllmBenchLimits({ ...llama70b, gpu: { memory_gb: 141 } }, { isl: 2048, osl: 2048 })).toEqual({ max_num_seqs: 1792, max_batched_tokens: 3328 });
    expect(trtllmBenchLimits({ params_total: 8.03e9, weight_dtype: 'bf16', kv_bytes_per_token: 2 * 32 * 8 * 128 * 2, tp: 1, gpu: { memory_gb: 80 } }, { isl: 128, osl: 128 }))
      .toEqual({ max_num_seqs: 2048, max_batched_tokens: 4096 });
  });

  it('keeps its floors and caps: at least 64 sequences and 2,048 tokens, at most 4,096 and 32,768', () => {
    expect(trtllmBenchLimits({ ...llama70b, gpu: { memory_gb: 10 } }, { isl: 2048, osl: 2048 })).toEqual({ max_num_seqs: 64, max_batched_tokens: 2048 });
    expect(trtllmBenchLimits({ ...llama70b, gpu: { memory_gb: 10_000 } }, { isl: 8, osl: 1 })).toEqual({ max_num_seqs: 4096, max_batched_tokens: 32768 });
  });

  it("gives a corpus row built by the tool those limits in place of its profile's", () => {
    const row = loadCorpus(['data/corpus/azure/benchmarking-guide.csv']).find((r) => r.id === 'az-dec24-h100-l31-70b-fp8-tp8-128-128-thr')!;
    expect(row.engine_args).toMatchObject({ trtllm_bench_isl: 2048, trtllm_bench_osl: 2048 });
    const resolved = resolveRow(row, ENGINE_PROFILES.trtllm);
    if (typeof resolved === 'string') throw new Error(resolved);
    const plan = runPlanFor(row, resolved.model, resolved.step, resolved.gpu, {});
    expect(plan.spec.max_num_seqs).toBe(896);
    expect(plan.spec.scheduler.max_batched_tokens).toBe(2048);
  });
});
