import { describe, expect, it } from 'vitest';
import { Simulator } from '../../src/engine/sim.ts';
import { GpuReplica, type ReplicaConfig } from '../../src/fleet/gpu/replica.ts';
import { BASE_CFG, Recorder, fusedAndPlain, linearStep, sparseProbeMeanTtft, twoThenLate } from './helpers.ts';

/**
 * Asynchronous scheduling (vLLM from 0.14): the engine plans iteration N+1 while N runs, so a
 * prompt arriving during N joins N+2. Linear step: 5 ms + 0.02 ms per prompt token + 0.1 ms per
 * decoding sequence + 0.0005 ms per context token; chunked prefill (BASE_CFG).
 */
const ASYNC: ReplicaConfig = { ...BASE_CFG, async_scheduling: true };
const SYNC: ReplicaConfig = { ...BASE_CFG, async_scheduling: false };
const PROMPT = 64, OUTPUT = 100;

const lateArrival = (cfg: ReplicaConfig, late_ms: number) => twoThenLate(cfg, PROMPT, OUTPUT, late_ms, 1);
/** Request 0's token times with nothing arriving late (the same either way: both take their prompts at t = 0, idle). */
const alone = twoThenLate(SYNC, PROMPT, OUTPUT, NaN, 0).reqs[0].tokens;
/** The middle of the decode iteration that ends with request 0's token d. */
const during = (d: number) => (alone[d - 1] + alone[d]) / 2;

describe('asynchronous scheduling (async_scheduling)', () => {
  it('two requests at t = 0 on an idle replica run as without it', () => {
    expect(twoThenLate(ASYNC, PROMPT, OUTPUT, NaN, 0).reqs[0].tokens).toEqual(alone);
  });

  it('a prompt arriving during iteration N is prefilled in N + 2, not N + 1', () => {
    const d = 5;
    const sync = lateArrival(SYNC, during(d));
    const async = lateArrival(ASYNC, during(d));
    // Without it the prompt shares the next iteration with the decodes: its first token comes with
    // request 0's token d + 1. With it that iteration is the decodes' alone (request 0's token d + 1
    // as if nothing had arrived), and the prompt's first token comes with token d + 2.
    expect(sync.reqs[2].first).toBe(sync.reqs[0].tokens[d + 1]);
    expect(async.reqs[0].tokens[d + 1]).toBe(alone[d + 1]);
    expect(async.reqs[2].first).toBe(async.reqs[0].tokens[d + 2]);
    // the wait it adds: one decode-only iteration of the two running requests, and the prompt's
    // iteration a token of context later for each of them (0.0005 ms a context token)
    const decodeOnly_ms = alone[d + 1] - alone[d];
    expect(async.reqs[2].first - sync.reqs[2].first).toBeCloseTo(decodeOnly_ms + 2 * 0.0005, 9);
  });

  it('an idle replica, or one with nothing else to run next, takes a prompt at once', () => {
    const sim = new Simulator();
    const rec = new Recorder();
    const replica = new GpuReplica(sim, linearStep(), ASYNC, rec);
    replica.submit(rec.add(PROMPT, 2, 0), PROMPT, 2);
    // arrives during request 0's last iteration: nothing else would run next
    sim.at(5 + 0.02 * PROMPT + 1, sim.on(() => void replica.submit(rec.add(PROMPT, 2, 0), PROMPT, 2)));
    sim.run();
    const first = rec.reqs[0];
    expect(first.first).toBeCloseTo(5 + 0.02 * PROMPT, 9);
    // request 0's second (last) token ends its decode iteration; request 1 prefills right after it
    expect(rec.reqs[1].first).toBeCloseTo(first.done + 5 + 0.02 * PROMPT, 9);
  });

  it('decode fusion does not change the schedule', () => {
    const { fused, plain } = fusedAndPlain(ASYNC, 5);
    expect(fused.times).toEqual(plain.times);
    expect(fused.stats).toEqual(plain.stats);
  });

  it('on a busy replica a sparse prompt waits one decode step more on average (closed form)', () => {
    // one long request keeps the batch decoding at a constant 5.1 ms a step (no context term)
    const extra_ms = sparseProbeMeanTtft(ASYNC) - sparseProbeMeanTtft(SYNC);
    const decodeStep_ms = 5 + 0.1 * 1;
    expect(extra_ms).toBeGreaterThan(0.9 * decodeStep_ms);
    expect(extra_ms).toBeLessThan(1.1 * decodeStep_ms);
  });
});
