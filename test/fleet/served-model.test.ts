import { describe, expect, it } from 'vitest';
import { resolveServed } from '../../src/fleet/llm/build.ts';
import { replicaCapacity } from '../../src/fleet/llm/capacity.ts';
import { ENGINE_PROFILES } from '../../src/perf/profiles.ts';
import { embedModel, smallFleet, smallModel } from '../helpers/fleet.ts';

/** A served model resolved against the catalogs: its engine profile, scheduler and refusals. */
function resolveWith(over: Record<string, unknown>) {
  const prep = smallFleet({ rate_per_s: 1, fleet: { models: { small: { ...smallModel(), ...over }, embed: embedModel() } } });
  const f = prep.scenario.fleet!;
  return resolveServed("small", f.models.small, prep, f);
}

describe('a served model', () => {
  it('takes its scheduler from the engine profile, and the scenario overrides what it sets', () => {
    const trt = resolveWith({ engine: 'trtllm', batching: { max_waiting: 10 } });
    expect(trt.batching.max_num_seqs).toBe(ENGINE_PROFILES.trtllm.scheduler!.max_num_seqs);
    expect(trt.step.requestOverheadMs).toBe(ENGINE_PROFILES.trtllm.request_overhead_ms);
    const own = resolveWith({ engine: 'trtllm', batching: { max_num_seqs: 64, max_waiting: 10 } });
    expect(own.batching.max_num_seqs).toBe(64);
    expect(own.batching.max_batched_tokens).toBe(ENGINE_PROFILES.trtllm.scheduler!.max_batched_tokens);
    // TensorRT-LLM reserves a request's whole output at admission (GUARANTEED_NO_EVICT); vLLM takes blocks on demand
    expect(trt.batching.kv_admission).toBe('reserve-output');
    expect(resolveWith({ engine: 'vllm' }).batching.kv_admission).toBeUndefined();
    // a scenario names its own: TensorRT-LLM under MAX_UTILIZATION, vLLM reserving
    expect(resolveWith({ engine: 'trtllm', batching: { max_waiting: 10, kv_admission: 'on-demand' } }).batching.kv_admission).toBe('on-demand');
    expect(resolveWith({ engine: 'vllm', batching: { max_waiting: 10, kv_admission: 'reserve-output' } }).batching.kv_admission).toBe('reserve-output');
    // TGI 2.x's router holds prompts back from a running batch, and prefills them unchunked
    const tgi = resolveWith({ engine: 'tgi', batching: { max_waiting: 10 } }).batching;
    expect(tgi.admission_hold).toEqual({ max_waiting_steps: 20, waiting_served_ratio: 1.2 });
    expect(tgi.chunked_prefill).toBe(false);
    expect(resolveWith({ engine: 'vllm' }).batching.admission_hold).toBeUndefined();
  });

  it('a scenario can say its engine fuses each row-parallel GEMM with its all-reduce: a TP 4 prefill step shorter, a TP 1 one not', () => {
    const tp = (n: number, fused?: boolean) => resolveWith({ engine: 'trtllm', model: 'llama-2-70b', gpu: 'h100-80gb', instance: 'p5.48xlarge', tp: n, gpus: 8, dtype: 'fp8', batching: { max_waiting: 10 }, ...(fused === undefined ? {} : { allreduce_fused_with_gemm: fused }) }).step;
    const prefill = (s: ReturnType<typeof tp>) => s.stepTimeMs(4096, 4096 * 2048, 0, 0);
    expect(prefill(tp(4, true))).toBeLessThan(prefill(tp(4)));
    expect(prefill(tp(4, false))).toBe(prefill(tp(4)));
    expect(prefill(tp(1, true))).toBe(prefill(tp(1)));
  });

  it("vLLM's defaults follow the GPU: 256 sequences and 2,048 tokens on A100 and under 70 GiB, 1,024 and 8,192 above", () => {
    const vllm = (gpu: string, instance: string, batching = {}) =>
      resolveWith({ engine: 'vllm', gpu, instance, batching: { max_waiting: 10, ...batching } }).batching;
    const bounds = (b: ReturnType<typeof vllm>) => [b.max_num_seqs, b.max_batched_tokens];
    expect(bounds(vllm('a100-80gb', 'p4de.24xlarge'))).toEqual([256, 2048]);
    expect(bounds(vllm('l40s', 'g6e.12xlarge'))).toEqual([256, 2048]);
    expect(bounds(vllm('h100-80gb', 'p5.48xlarge'))).toEqual([1024, 8192]);
    // the scenario's own settings win, and a profile without smaller defaults keeps its own everywhere
    expect(bounds(vllm('a100-80gb', 'p4de.24xlarge', { max_num_seqs: 512, max_batched_tokens: 4096 }))).toEqual([512, 4096]);
    const trt = resolveWith({ engine: 'trtllm', batching: { max_waiting: 10 } }).batching;
    expect(trt.max_num_seqs).toBe(ENGINE_PROFILES.trtllm.scheduler!.max_num_seqs);
  });

  it("the KV cache's dtype: the engine's default for FP8 weights (16 bits under vLLM, FP8 under TensorRT-LLM), or the scenario's", () => {
    const h100 = { gpu: 'h100-80gb', instance: 'p5.48xlarge', dtype: 'fp8', batching: { max_waiting: 10 } };
    const bytes = (over: Record<string, unknown>) => resolveWith({ ...h100, ...over }).step.kvBytesPerToken;
    expect(bytes({ engine: 'vllm' }) / bytes({ engine: 'trtllm' })).toBe(2);
    expect(bytes({ engine: 'vllm', kv_dtype: 'fp8' })).toBe(bytes({ engine: 'trtllm' }));
    expect(() => resolveWith({ ...h100, engine: 'vllm', kv_dtype: 'int4' })).toThrow(/^fleet\.models\.small\.kv_dtype: int4 is a weight-only format/);
  });

  it('a faster engine profile gives shorter steps for the same batch', () => {
    const old = resolveWith({ engine: 'vllm-2023' }).step.stepTimeMs(0, 0, 64, 64 * 600);
    const now = resolveWith({ engine: 'vllm' }).step.stepTimeMs(0, 0, 64, 64 * 600);
    expect(now).toBeLessThan(old);
  });

  it('refuses a model that does not fit its GPUs, naming the field, and an unknown engine', () => {
    expect(() => resolveWith({ model: 'llama-2-70b', tp: 1 })).toThrow(/^fleet\.models\.small\.tp: llama-2-70b \(fp16\) does not fit on 1x a100-80gb/);
    expect(() => resolveWith({ engine: 'tensorrt' })).toThrow(/^fleet\.models\.small\.engine: unknown engine profile "tensorrt"/);
    expect(() => resolveWith({ engine: 'vllm', calibration: 'x.json' })).toThrow(/give an engine profile or a calibration file, not both/);
  });
});

describe('a served mixture-of-experts model with expert parallelism', () => {
  const qwen = { model: 'qwen3-30b-a3b', gpu: 'h100-80gb', instance: 'p5.48xlarge', engine: 'vllm', batching: { max_waiting: 10 } };

  it('a replica is ep GPUs in ep/tp data-parallel groups, each with its own scheduler bounds', () => {
    const served = resolveWith({ ...qwen, tp: 1, ep: 4, gpus: 16 });
    expect(served.replicasFull).toBe(4);
    expect(served.step.gpus).toBe(4);
    const vllm = ENGINE_PROFILES.vllm.scheduler!;
    expect(served.batching.max_num_seqs).toBe(4 * vllm.max_num_seqs);
    expect(served.batching.max_batched_tokens).toBe(4 * vllm.max_batched_tokens);
    // without expert parallelism the same GPUs make 4x as many single-GPU replicas
    expect(resolveWith({ ...qwen, tp: 1, gpus: 16 }).replicasFull).toBe(16);
  });

  it('refuses GPUs that are not whole replicas and layouts vLLM does not have, naming the field', () => {
    const prep = () => smallFleet({ rate_per_s: 1, fleet: { models: { small: { ...smallModel(), ...qwen, tp: 1, ep: 4, gpus: 6 }, embed: embedModel() } } });
    expect(prep).toThrow(/fleet\.models\.small\.gpus: expected a multiple of ep \(4\), got 6/);
    expect(() => resolveWith({ ...qwen, tp: 2, ep: 3, gpus: 6 })).toThrow(/^fleet\.models\.small\.ep: .*ep=3 must be a multiple of tp=2/);
    expect(() => resolveWith({ model: 'llama-2-7b', tp: 1, ep: 2 })).toThrow(/^fleet\.models\.small\.ep: .*dense model has no experts to split/);
  });
});

describe("a served model's step_time_factor", () => {
  it('multiplies every step time and the decode line, keeps the work and the KV cache, and cuts the capacity by the same factor', () => {
    const base = resolveWith({});
    const slow = resolveWith({ step_time_factor: 1.25 });
    for (const [pt, pairs, ds, dctx] of [[512, 131_072, 0, 0], [0, 0, 32, 40_000], [256, 40_000, 7, 9_000]]) {
      expect(slow.step.stepTimeMs(pt, pairs, ds, dctx)).toBeCloseTo(1.25 * base.step.stepTimeMs(pt, pairs, ds, dctx), 9);
      expect(slow.step.stepFlops(pt, pairs, ds, dctx)).toBe(base.step.stepFlops(pt, pairs, ds, dctx));
    }
    // the replica plans decode runs on the line: intercept + slope x context must still be the step
    expect(slow.step.decodeInterceptMs(16) + slow.step.decodeMsPerContextToken * 20_000).toBeCloseTo(slow.step.stepTimeMs(0, 0, 16, 20_000), 9);
    expect(slow.step.kvCapacityTokens).toBe(base.step.kvCapacityTokens);
    expect(slow.step.requestOverheadMs).toBe(base.step.requestOverheadMs);
    const prep = smallFleet({ rate_per_s: 1, fleet: { models: { small: smallModel(), embed: embedModel() } } });
    // throughput is batch over step time at the same batch: capacity / 1.25 exactly
    expect(replicaCapacity(slow, prep).requests_per_s).toBeCloseTo(replicaCapacity(base, prep).requests_per_s / 1.25, 9);
  });

  it('is refused outside 0.1 to 10 with the field named', () => {
    expect(() => resolveWith({ step_time_factor: 100 })).toThrow();
    const prep = () => smallFleet({ rate_per_s: 1, fleet: { models: { small: { ...smallModel(), step_time_factor: 0.01 }, embed: embedModel() } } });
    expect(prep).toThrow(/step_time_factor: expected a factor from 0.1 to 10/);
  });
});
