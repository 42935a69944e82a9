import { describe, expect, it } from 'vitest';
import { Simulator } from '../../src/engine/sim.ts';
import { GpuReplica, type KvAdmission } from '../../src/fleet/gpu/replica.ts';
import { BASE_CFG, Recorder, linearStep } from './helpers.ts';

/**
 * KV admission policies. On demand (vLLM, SGLang) a request takes its prompt's blocks and grows,
 * and decodes that outgrow the cache preempt the latest admitted; 'reserve-output' (TensorRT-LLM's
 * GUARANTEED_NO_EVICT) admits a request only when its prompt and whole output fit beside the
 * running requests' whole footprints. A burst of equal requests then runs in waves of exactly
 * floor((capacity - watermark) / footprint) requests, none ever preempted.
 */
const KV_TOKENS = 1024; // 64 blocks of 16; watermark max(1, 1% of 64) = 1 block
const PROMPT = 64, OUTPUT = 192; // 4 blocks of prompt, 16 blocks when done
const REQUESTS = 40;

function burst(kv_admission: KvAdmission) {
  const sim = new Simulator();
  const rec = new Recorder();
  const replica = new GpuReplica(sim, linearStep({ kvTokens: KV_TOKENS }), { ...BASE_CFG, kv_admission }, rec);
  replica.debug = { planned: (r) => r.checkInvariants() };
  for (let i = 0; i < REQUESTS; i++) replica.submit(rec.add(PROMPT, OUTPUT, 0), PROMPT, OUTPUT, -1, 0);
  sim.run();
  expect(rec.errors).toEqual([]);
  return { stats: replica.stats(), rec };
}

describe('KV admission', () => {
  it('reserve-output: at most floor(63 / 16) = 3 requests run at once, none is preempted, all complete', () => {
    const { stats, rec } = burst('reserve-output');
    expect(stats.completed).toBe(REQUESTS);
    expect(stats.max_running).toBe(Math.floor((KV_TOKENS / 16 - 1) / ((PROMPT + OUTPUT) / 16)));
    expect(stats.preemptions).toBe(0);
    expect(stats.recompute_tokens).toBe(0);
    // a request starts only once the one three places ahead has finished and freed its footprint
    for (let k = 3; k < REQUESTS; k++) expect(rec.reqs[k].first).toBeGreaterThanOrEqual(rec.reqs[k - 3].done);
  });

  it('on demand, the same burst admits more requests than their whole footprints allow and preempts', () => {
    const { stats } = burst('on-demand');
    expect(stats.completed).toBe(REQUESTS);
    expect(stats.max_running).toBeGreaterThan(3);
    expect(stats.preemptions).toBeGreaterThan(0);
    expect(stats.recompute_tokens).toBeGreaterThan(0);
  });

  it('the default is on demand: the same figures as on-demand', () => {
    const sim = new Simulator();
    const rec = new Recorder();
    const replica = new GpuReplica(sim, linearStep({ kvTokens: KV_TOKENS }), BASE_CFG, rec);
    for (let i = 0; i < REQUESTS; i++) replica.submit(rec.add(PROMPT, OUTPUT, 0), PROMPT, OUTPUT, -1, 0);
    sim.run();
    expect(replica.stats()).toEqual(burst('on-demand').stats);
  });
});
