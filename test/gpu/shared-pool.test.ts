import { describe, expect, it } from 'vitest';
import { Simulator } from '../../src/engine/sim.ts';
import { stream } from '../../src/engine/random.ts';
import { GpuReplica, type ReplicaConfig } from '../../src/fleet/gpu/replica.ts';
import { SlotPool } from '../../src/fleet/gpu/slot-pool.ts';
import { LatencyStats } from '../../src/metrics/latency.ts';
import type { StepModel } from '../../src/perf/step.ts';
import { BASE_CFG, linearStep, llama70b, Recorder } from './helpers.ts';

/**
 * A fleet's replicas keep their sequences in one SlotPool. Sharing it must change nothing: a
 * sequence record freed by one replica (a finish, a failure) and reused by another must not
 * disturb either, stale finish-heap entries included. Each run is compared with the same replicas
 * on private pools, callback for callback.
 */
const SEED = 11;

function run(step: StepModel, cfg: ReplicaConfig, shared: boolean) {
  const sim = new Simulator();
  const rec = new Recorder();
  const pool = shared ? new SlotPool(16) : undefined;
  const itl = new LatencyStats();
  const replicas = [0, 1, 2].map(() => new GpuReplica(sim, step, cfg, rec, pool));
  const invariantErrors: string[] = [];
  for (const r of replicas) {
    r.itl = itl;
    r.debug = {
      planned(x) {
        try {
          x.checkInvariants();
        } catch (e) {
          if (invariantErrors.length < 5) invariantErrors.push((e as Error).message);
        }
      },
    };
  }
  const rng = stream(SEED, 'shared-pool');
  const lost: number[] = [];
  const arrive = sim.on(() => {
    const i = rec.add(50 + Math.floor(rng() * 400), 20 + Math.floor(rng() * 300), sim.now_ms);
    const r = replicas[Math.floor(rng() * replicas.length)];
    if (r.healthy) r.submit(i, rec.reqs[i].prompt, rec.reqs[i].output);
    else rec.reqs[i].skipped = true;
    if (rec.reqs.length < 900) sim.after(-25 * Math.log(1 - rng()), arrive);
  });
  sim.at(0, arrive);
  // replica 0 dies twice (its records go back to the pool mid-sequence); replica 1's cache shrinks
  // (preemptions leave stale heap entries whose records others then reuse)
  sim.at(6_000, sim.on(() => replicas[0].fail(sim.now_ms, (req) => lost.push(req))));
  sim.at(7_000, sim.on(() => replicas[0].restore()));
  sim.at(9_000, sim.on(() => replicas[1].setKvCapacityTokens(3000)));
  sim.at(14_000, sim.on(() => replicas[0].fail(sim.now_ms, (req) => lost.push(req))));
  sim.at(14_500, sim.on(() => replicas[0].restore()));
  sim.at(18_000, sim.on(() => replicas[1].setKvCapacityTokens(16_000)));
  sim.run();
  return {
    reqs: rec.reqs.map((q) => [q.submit, q.first, q.done, q.preemptions, q.schedDelay, q.rejected, q.skipped]),
    stats: replicas.map((r) => ({ ...r.stats() })),
    itl: JSON.stringify(itl.toJSON()),
    lost,
    /** Records still held once every request has finished, been rejected or been lost: none. */
    inUse: pool?.inUse ?? 0,
    errors: [...rec.errors, ...invariantErrors],
  };
}

describe('GpuReplica: one SlotPool for many replicas', () => {
  for (const [name, step, cfg] of [
    ['chunked prefill, a KV-bound linear step model', linearStep({ kvTokens: 6000 }), BASE_CFG],
    ['prefill-only iterations, Llama-2-70B TP8', llama70b(), { ...BASE_CFG, chunked_prefill: false, max_num_seqs: 32 }],
  ] as const) {
    it(`${name}: the same callbacks, counters and gaps as private pools (seed ${SEED})`, () => {
      const shared = run(step, cfg, true);
      const own = run(step, cfg, false);
      expect(shared.errors).toEqual([]);
      expect(own.errors).toEqual([]);
      expect(shared.lost.length, 'the failures must hit running sequences').toBeGreaterThan(0);
      expect(shared.stats.reduce((a, s) => a + s.preemptions, 0), 'the shrunk cache must preempt').toBeGreaterThan(0);
      expect(shared.reqs.filter((q) => Number.isFinite(q[2])).length, 'most requests must finish').toBeGreaterThan(600);
      expect(shared.reqs).toEqual(own.reqs);
      expect(shared.stats).toEqual(own.stats);
      expect(shared.itl).toBe(own.itl);
      expect(shared.lost).toEqual(own.lost);
      expect(shared.inUse, 'a failed replica must hand its records back').toBe(0);
    });
  }
});
