import { describe, expect, it } from 'vitest';
import { GPUS } from '../../src/perf/hardware.ts';
import { MODELS } from '../../src/perf/models.ts';
import { ENGINE_PROFILES } from '../../src/perf/profiles.ts';
import { buildStepGeometry, decodeKvReadsPerToken, decodeMsPerContextTokenFrom } from '../../src/perf/step.ts';

/**
 * A decode kernel that reads each cached token's keys and values once per query head (TensorRT-LLM's
 * masked multi-head attention before XQA) reads them as often as a GPU holds query heads per KV
 * head: the model's head counts, nothing fitted (docs/step-model.md, "Decode attention before XQA").
 */
describe('decode KV reads per cached token', () => {
  it('is the query heads per KV head a GPU holds, once for a shared-KV kernel, multi-head latent attention and one KV head per query head', () => {
    // Llama 2 70B: 64 query heads, 8 KV heads; every GPU of TP 1-8 holds 8 query heads per KV head
    for (const tp of [1, 2, 4, 8]) expect(decodeKvReadsPerToken(MODELS['llama-2-70b'], tp, true)).toBe(8);
    // Falcon 180B: 232 query heads over 8 KV heads
    expect(decodeKvReadsPerToken(MODELS['falcon-180b'], 8, true)).toBe(29);
    // past tp = kv_heads each GPU keeps a copy of one KV head for its fewer query heads
    expect(decodeKvReadsPerToken(MODELS['llama-3.1-8b'], 16, true)).toBe(32 / 16);
    expect(decodeKvReadsPerToken(MODELS['llama-2-7b'], 1, true)).toBe(1);
    expect(decodeKvReadsPerToken(MODELS['deepseek-v3'], 8, true)).toBe(1);
    expect(decodeKvReadsPerToken(MODELS['llama-2-70b'], 4, false)).toBe(1);
  });

  it('multiplies a KV-bound decode step\'s cost per context token, and nothing else', () => {
    const options = { model: MODELS['llama-2-70b'], gpu: GPUS['h100-80gb'], tp: 4, dtype: 'fp8' as const, calibration: ENGINE_PROFILES['trtllm-session'] };
    const shared = buildStepGeometry(options);
    const perHead = buildStepGeometry({ ...options, decodeKvReadsPerQueryHead: true });
    expect(perHead.decodeKvMsPerToken / shared.decodeKvMsPerToken).toBeCloseTo(8, 10);
    expect(perHead.kvMsPerToken).toBe(shared.kvMsPerToken);
    expect(perHead.denseWeightMs).toBe(shared.denseWeightMs);
    const profile = ENGINE_PROFILES['trtllm-session'];
    // one KV read per token is the bound at 8 queries per KV head (attention FLOPs are far below it)
    expect(decodeMsPerContextTokenFrom(shared, profile)).toBeCloseTo(shared.decodeKvMsPerToken / profile.kv_bw_efficiency, 12);
    expect(decodeMsPerContextTokenFrom(perHead, profile) / decodeMsPerContextTokenFrom(shared, profile)).toBeCloseTo(8, 10);
    // the bytes a roofline reports: weights and the prompt's KV writes alike, context reads eightfold
    const prompt = shared.bytes(128, 0, 0, 0);
    expect(perHead.bytes(128, 0, 0, 0)).toBe(prompt);
    const readShared = shared.bytes(0, 0, 64, 100_000) - shared.bytes(0, 0, 64, 0);
    const readPerHead = perHead.bytes(0, 0, 64, 100_000) - perHead.bytes(0, 0, 64, 0);
    expect(readPerHead / readShared).toBeCloseTo(8, 10);
  });
});
