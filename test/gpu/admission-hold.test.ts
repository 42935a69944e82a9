import { describe, expect, it } from 'vitest';
import { Simulator } from '../../src/engine/sim.ts';
import { GpuReplica, type ReplicaConfig } from '../../src/fleet/gpu/replica.ts';
import { BASE_CFG, Recorder, fusedAndPlain, linearStep, twoThenLate } from './helpers.ts';

/**
 * TGI's admission hold: while a batch decodes, a waiting prompt joins only after
 * max_waiting_steps - 1 decode steps since the last prefill, or as soon as
 * floor(running x waiting_served_ratio) prompts wait. Linear step: 5 ms + 0.02 ms per prompt
 * token + 0.1 ms per decoding sequence + 0.0005 ms per context token.
 */
const HOLD: ReplicaConfig = { ...BASE_CFG, chunked_prefill: false, admission_hold: { max_waiting_steps: 8, waiting_served_ratio: 1.2 } };
const PROMPT = 64, OUTPUT = 100;

/** Two requests at 0 (one prefill), then `late` more submitted at 12 ms, during the first decode steps. */
const lateArrivals = (cfg: ReplicaConfig, late: number) => twoThenLate(cfg, PROMPT, OUTPUT, 12, late);

/** How many tokens request 0 produced strictly between t0 and t1 (its decode steps in that interval). */
function stepsBetween(tokens: number[], t0: number, t1: number): number {
  return tokens.filter((t) => t > t0 && t < t1).length;
}

describe('admission hold (TGI router)', () => {
  it('one late prompt beside two running waits until the 8th decode step after the prefill', () => {
    const rec = lateArrivals(HOLD, 1);
    const a = rec.reqs[0].tokens;
    // tokens: [0] from the prefill, then one per decode step; the late prompt's prefill-only pass
    // runs after decode step 7 (TGI's counter reaches 8) and stalls the batch
    expect(rec.reqs[2].first).toBeGreaterThan(a[7]);
    expect(rec.reqs[2].first).toBeLessThan(a[8]);
    expect(rec.reqs[2].first - a[7]).toBeCloseTo(5 + 0.02 * PROMPT, 9);
  });

  it('without the hold the same prompt joins at the next iteration boundary', () => {
    const rec = lateArrivals({ ...HOLD, admission_hold: undefined }, 1);
    const a = rec.reqs[0].tokens;
    expect(stepsBetween(a, 12, rec.reqs[2].first)).toBe(0);
  });

  it('three waiting prompts (at least floor(2 x 1.2) = 2) join at once', () => {
    const rec = lateArrivals(HOLD, 3);
    expect(stepsBetween(rec.reqs[0].tokens, 12, rec.reqs[2].first)).toBe(0);
    expect(rec.reqs[4].first).toBe(rec.reqs[2].first);
  });

  it('is ignored with chunked prefill (TGI 2.x has none)', () => {
    const chunked = lateArrivals({ ...HOLD, chunked_prefill: true }, 1);
    const plain = lateArrivals({ ...HOLD, chunked_prefill: true, admission_hold: undefined }, 1);
    expect(chunked.reqs.map((r) => [r.first, r.done])).toEqual(plain.reqs.map((r) => [r.first, r.done]));
  });

  it('decode fusion does not change the held schedule', () => {
    const { fused, plain } = fusedAndPlain(HOLD, 5);
    expect(fused.times).toEqual(plain.times);
    expect(fused.stats).toEqual(plain.stats);
  });

  it('refuses a hold of fewer than one step', () => {
    expect(() => new GpuReplica(new Simulator(), linearStep(), { ...HOLD, admission_hold: { max_waiting_steps: 0, waiting_served_ratio: 1 } }, new Recorder()))
      .toThrow(/max_waiting_steps/);
  });
});
