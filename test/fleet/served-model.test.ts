import { describe, expect, it } from 'vitest';
import { resolveServed } from '../../src/fleet/llm/build.ts';
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
