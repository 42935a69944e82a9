import { describe, expect, it } from 'vitest';
import { simulate } from '../../src/experiment/simulate.ts';
import type { RequestPool } from '../../src/fleet/request-pool.ts';
import { ReplicaStats } from '../../src/fleet/gpu/stats.ts';
import { prepared } from '../helpers/scenario.ts';
import { smallFleet, smallModel } from '../helpers/fleet.ts';

/**
 * Cancellation in a disaggregated model: a request whose client left is aborted on its prefill
 * replica, dropped when its KV cache arrives over the link, or aborted on its decode replica, and
 * each frees what it held. The load (one prefill and one decode A100, overloaded) stops after 40 s
 * and the run goes on until everything has drained, so at the end nothing may be held anywhere.
 */
type Tokens = { prompt: [number, number]; output: [number, number]; rate_per_s: number };
/** Decode-bound: moderate prompts, long answers. Prefill-bound: long prompts, short answers. */
const DECODE_BOUND: Tokens = { prompt: [2000, 3000], output: [100, 600], rate_per_s: 4 };
const PREFILL_BOUND: Tokens = { prompt: [6000, 8000], output: [10, 30], rate_per_s: 8 };

function drainedStorm(cancel: boolean, load: Tokens) {
  const base = smallFleet({
    rate_per_s: load.rate_per_s, duration_s: 400, warmup_s: 0,
    fleet: {
      models: {
        pd: {
          ...smallModel(), share: 1, gpus: 2, cancel_on_disconnect: cancel,
          tokens: { prompt: { dist: 'uniform', min: load.prompt[0], max: load.prompt[1] }, output: { dist: 'uniform', min: load.output[0], max: load.output[1] } },
          disaggregation: { prefill: { gpus: 1 }, decode: {}, kv_link: { bandwidth_gbps: 100, latency_ms: 2 } },
        },
      },
    },
  });
  const sc = base.scenario;
  const doc = {
    ...sc,
    workload: { arrivals: { kind: 'poisson' as const, rate_per_s: load.rate_per_s, profile: { points: [[0, 1], [40, 1], [40.001, 0]] as [number, number][] } } },
    client: { timeout_ms: 20000, max_retries: 1, retry_on: ['timed_out' as const], backoff: { initial_ms: 100, jitter: 'none' as const } },
  };
  const run = simulate(prepared(doc as Parameters<typeof prepared>[0]), 1);
  const byPool: Record<string, ReplicaStats> = {};
  for (const c of run.fleet!.gpuClusters) {
    const stats = (byPool[c.name] = new ReplicaStats());
    for (const r of c.replicas) {
      r.checkInvariants();
      stats.merge(r.stats());
    }
  }
  // the client's record pool (private: read here as a leak check only)
  const records = (run.client as unknown as { pool: RequestPool }).pool.inUse;
  return { run, byPool, records };
}

describe('cancellation in a disaggregated model', () => {
  const runs = {
    decodeOff: drainedStorm(false, DECODE_BOUND), decodeOn: drainedStorm(true, DECODE_BOUND),
    prefillOff: drainedStorm(false, PREFILL_BOUND), prefillOn: drainedStorm(true, PREFILL_BOUND),
  };
  const aborted = (r: ReturnType<typeof drainedStorm>, p: string) => r.byPool[`pd:${p}`].aborted;

  it('without cancellation nothing is aborted in either pool', () => {
    for (const r of [runs.decodeOff, runs.prefillOff]) expect(aborted(r, 'prefill') + aborted(r, 'decode')).toBe(0);
  });

  it('decode-bound: abandoned attempts are aborted on their decode replica, which decodes fewer tokens', () => {
    const { decodeOn: on, decodeOff: off } = runs;
    expect(on.run.client.attemptCounts.abandoned).toBeGreaterThan(50);
    expect(aborted(on, 'decode')).toBeGreaterThan(50);
    expect(on.byPool['pd:decode'].aborted_output_tokens).toBeGreaterThan(0);
    expect(on.byPool['pd:decode'].decode_tokens).toBeLessThan(off.byPool['pd:decode'].decode_tokens * 0.8);
  });

  it('prefill-bound: abandoned attempts are aborted in the prefill queue', () => {
    expect(runs.prefillOn.run.client.attemptCounts.abandoned).toBeGreaterThan(50);
    expect(aborted(runs.prefillOn, 'prefill')).toBeGreaterThan(50);
  });

  it('once drained, no KV block, sequence or request record is held anywhere, and every request ended once', () => {
    for (const [name, { run, records }] of Object.entries(runs)) {
      for (const c of run.fleet!.gpuClusters) for (const r of c.replicas) {
        expect(r.outstanding, `${name} ${c.name}`).toBe(0);
        expect(r.usedBlocks, `${name} ${c.name}`).toBe(0);
      }
      expect(records, name).toBe(0);
      const q = run.counts;
      expect(q.in_flight_at_end, name).toBe(0);
      expect(q.completed, name).toBeGreaterThan(0);
      expect(q.offered, name).toBe(q.completed + q.failed + q.rejected + q.timed_out);
    }
  });
});
