import { describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/engine/sim.ts';
import type { GpuReplica, ReplicaConfig } from '../../src/fleet/gpu/replica.ts';
import { LatencyStats } from '../../src/metrics/latency.ts';
import { getGpu, getModel } from '../../src/perf/lookup.ts';
import { buildStepModel, type StepModel } from '../../src/perf/step.ts';
import { BASE_CFG, linearStep, llama70b, runWorkload, type Recorder, type Workload } from './helpers.ts';

/**
 * Decode fusion (one event for a stretch of decode-only iterations whose outcome is fixed) must
 * not change anything observable: every callback time, every counter, every inter-token gap, and
 * what the router or a fault sees when it looks at the replica in between.
 */
function run(step: StepModel, cfg: ReplicaConfig, w: Workload, fuse: boolean, extra?: (sim: Simulator, r: GpuReplica, rec: Recorder) => void) {
  const itl = new LatencyStats();
  const probes: number[] = [];
  const out = runWorkload(step, { ...cfg, fuse_decode: fuse }, w, {
    debug: false,
    before: (sim, r, rec) => {
      r.itl = itl;
      // look at the replica every 250 ms, as a KV-aware router or an autoscaler would
      const probe = sim.on(() => {
        probes.push(r.usedBlocks, r.kvUsedFraction(), r.decodeCtxTokens, r.stats().busy_ms, r.stats().iterations, r.outstanding);
        if (sim.pending > 1) sim.after(250, probe);
      });
      sim.at(250, probe);
      extra?.(sim, r, rec);
    },
  });
  const reqs = out.rec.reqs.map((q) => [q.submit, q.first, q.done, q.preemptions, q.schedDelay, q.rejected, q.skipped]);
  return { reqs, stats: { ...out.replica.stats() }, itl: JSON.stringify(itl.toJSON()), probes, events: out.sim.events, errors: out.rec.errors };
}

function expectSame(step: StepModel, cfg: ReplicaConfig, w: Workload, extra?: (sim: Simulator, r: GpuReplica, rec: Recorder) => void) {
  const fused = run(step, cfg, w, true, extra);
  const plain = run(step, cfg, w, false, extra);
  expect(fused.errors).toEqual([]);
  expect(fused.reqs).toEqual(plain.reqs);
  expect(fused.stats).toEqual(plain.stats);
  expect(fused.itl).toBe(plain.itl);
  expect(fused.probes).toEqual(plain.probes);
  return { fused, plain };
}

const longOutputs: Workload = {
  n: 600,
  rate_per_s: 40,
  prompt: (rng) => 50 + Math.floor(rng() * 400),
  output: (rng) => 20 + Math.floor(rng() * 300),
  seed: 3,
};

describe('GpuReplica decode fusion', () => {
  it('a KV-bound replica (chunked prefill): identical results with far fewer events', () => {
    const { fused, plain } = expectSame(linearStep({ kvTokens: 4096 }), BASE_CFG, longOutputs);
    expect(fused.stats.preemptions, 'the KV cache must be tight enough to preempt').toBeGreaterThan(0);
    expect(fused.events, `seed ${longOutputs.seed}: fused ${fused.events} events vs ${plain.events}`).toBeLessThan(0.6 * plain.events);
  });

  it('without chunked prefill, and with the batch bound (max_num_seqs) as the limit', () => {
    expectSame(linearStep({ kvTokens: 4096 }), { ...BASE_CFG, chunked_prefill: false }, longOutputs);
    const { fused, plain } = expectSame(linearStep(), { ...BASE_CFG, max_num_seqs: 8 }, longOutputs);
    expect(fused.events).toBeLessThan(0.6 * plain.events);
  });

  it('a real step model (Llama-2-70B TP8), the cache shrunk and the replica failed mid-run', () => {
    const w: Workload = { ...longOutputs, n: 400, rate_per_s: 8, seed: 5 };
    const faults = (sim: Simulator, r: GpuReplica) => {
      sim.at(15_000, sim.on(() => r.setKvCapacityTokens(6000)));
      sim.at(30_000, sim.on(() => r.fail(sim.now_ms, () => {})));
      sim.at(32_000, sim.on(() => r.restore()));
      sim.at(40_000, sim.on(() => r.setKvCapacityTokens(20_000)));
    };
    expectSame(llama70b(), { ...BASE_CFG, max_num_seqs: 32 }, w, faults);
  });

  it('sliding-window models: decode runs that cross from short contexts into full windows, and Gemma 2 below its window', () => {
    // 128-token windows: sequences of 70-770 tokens cross C = D x window inside fused runs
    const { fused, plain } = expectSame(linearStep({ kvTokens: 8192, windowTokens: 128, perWindow: 0.05 }), BASE_CFG, longOutputs);
    expect(fused.events).toBeLessThan(0.6 * plain.events);
    const gemma = buildStepModel({ model: getModel('gemma-2-9b'), gpu: getGpu('a100-80gb'), tp: 1, dtype: 'bf16' });
    expectSame(gemma, { ...BASE_CFG, max_num_seqs: 64 }, { ...longOutputs, n: 300, rate_per_s: 20 });
  });
});
