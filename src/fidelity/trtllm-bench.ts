import type { GpuSpec } from '../perf/hardware.ts';

/**
 * The engine limits `trtllm-bench build` gives an engine when it is not told them (TensorRT-LLM's
 * `tensorrt_llm/bench/build/tuning.py`, calc_engine_setting and finetune_setting, as released with
 * the trtllm-bench of late 2024): the KV cache a request of the dataset's mean lengths needs sets
 * how many requests fit in the memory the weights leave (95% of it), and from that the engine's
 * max batch size (rounded up: "slightly optimistic") and its max tokens per step (the batch times
 * 1 + input/output length, at least 2,048, at most 32,768). NVIDIA's performance overview and the
 * benchmark pages that copy its recipe build one engine per dataset this way, so an H100 serving
 * Llama 3.1 70B FP8 at TP 8 on 2,048/2,048 tokens gets 896 sequences and 2,048 tokens a step, where
 * an H200 gets 1,792 and 3,328: the profile's 2,048 and 8,192 overstate the H100's.
 */
export interface BenchBuild {
  /** the dataset's mean prompt and output tokens the engine was built for */
  readonly isl: number;
  readonly osl: number;
}

export interface BenchLimits {
  readonly max_num_seqs: number;
  readonly max_batched_tokens: number;
}

/** The rule's share of free memory for the KV cache (kv_cache_gpu_mem_fraction's default). */
const KV_CACHE_FRACTION = 0.95;
/** The caps the rule puts on the batch (decoder buffers) and on the tokens per step (activation buffers). */
const MAX_BENCH_BATCH = 4096;
const MAX_BENCH_TOKENS = 32768;

/** The rule's bytes per weight (tuning.py BYTES_PER_ELEM): FP8 1, NVFP4 0.5, anything else 2. */
const WEIGHT_BYTES: Partial<Record<string, number>> = { fp8: 1, fp4: 0.5 };

/**
 * The max batch size and max tokens per step trtllm-bench builds for a model of `params_total`
 * parameters on `tp` GPUs (one pipeline stage): weights of `weight_dtype`, counted as the rule counts
 * them (WEIGHT_BYTES), and `kv_bytes_per_token` of cache on the TP group (K and V, every layer, at
 * least one KV head per GPU: the step model's figure). The GPU's memory is the catalog's (what the
 * runtime sees).
 */
export function trtllmBenchLimits(o: { params_total: number; weight_dtype: string; kv_bytes_per_token: number; tp: number; gpu: Pick<GpuSpec, 'memory_gb'> }, build: BenchBuild): BenchLimits {
  const gib = 1024 ** 3;
  const engineGib = o.params_total / 1e9 * (WEIGHT_BYTES[o.weight_dtype] ?? 2);
  const cacheGib = (o.gpu.memory_gb * o.tp - engineGib) * KV_CACHE_FRACTION;
  const requests = Math.max(0, cacheGib * gib / o.kv_bytes_per_token / (build.isl + build.osl));
  const rawBatch = Math.min(requests, MAX_BENCH_BATCH);
  const rawTokens = Math.min(rawBatch * (1 + build.isl / build.osl), MAX_BENCH_TOKENS);
  return { max_num_seqs: roundBatch(rawBatch), max_batched_tokens: roundTokens(rawTokens) };
}

/** finetune_setting's batch: at least 64, up to a multiple of 32, 128 or 256 by its size. */
function roundBatch(raw: number): number {
  if (raw < 256) return Math.max(64, 32 * Math.ceil(raw / 32));
  if (raw < 1024) return 128 * Math.ceil(raw / 128);
  return 256 * Math.ceil(raw / 256);
}

/** finetune_setting's tokens: at least 2,048 (context and generation overlap), up to a multiple of 256, 512 or 1,024. */
function roundTokens(raw: number): number {
  if (raw < 4096) return Math.max(2048, 256 * Math.ceil(raw / 256));
  if (raw < 8192) return 512 * Math.ceil(raw / 512);
  return 1024 * Math.ceil(raw / 1024);
}
