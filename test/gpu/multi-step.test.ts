import { describe, expect, it } from 'vitest';
import { Simulator } from '../../src/engine/sim.ts';
import { GpuReplica, type ReplicaConfig } from '../../src/fleet/gpu/replica.ts';
import { BASE_CFG, Recorder, fusedAndPlain, linearStep, sparseProbeMeanTtft, twoThenLate } from './helpers.ts';

/**
 * Multi-step scheduling (vLLM 0.6's --num-scheduler-steps K): after a prefill the batch decodes in
 * runs of K steps, and a waiting prompt is admitted only between runs. Linear step: 5 ms + 0.02 ms
 * per prompt token + 0.1 ms per decoding sequence + 0.0005 ms per context token.
 */
const RUN_STEPS = 4;
const MULTI: ReplicaConfig = { ...BASE_CFG, chunked_prefill: false, decode_run_steps: RUN_STEPS };
const PROMPT = 64, OUTPUT = 100;

/** Two requests at 0, then one more submitted at `late_ms` (none if NaN). */
const lateArrival = (cfg: ReplicaConfig, late_ms: number) => twoThenLate(cfg, PROMPT, OUTPUT, late_ms, Number.isNaN(late_ms) ? 0 : 1);

/**
 * Request 0's token times without a late arrival: [0] from its prefill, then request 1's prefill,
 * then [d] from decode step d after the last prefill.
 */
const alone = lateArrival(MULTI, NaN).reqs[0].tokens;
/** The middle of decode step d. */
const during = (d: number) => (alone[d - 1] + alone[d]) / 2;
const PREFILL_ONE_MS = 5 + 0.02 * PROMPT;

describe('multi-step scheduling (decode_run_steps)', () => {
  it('a prompt arriving during the first run is prefilled right after its last step', () => {
    const rec = lateArrival(MULTI, during(2));
    const a = rec.reqs[0].tokens;
    expect(a.slice(0, RUN_STEPS + 1)).toEqual(alone.slice(0, RUN_STEPS + 1));
    expect(rec.reqs[2].first - a[RUN_STEPS]).toBeCloseTo(PREFILL_ONE_MS, 9);
    expect(rec.reqs[2].first).toBeLessThan(a[RUN_STEPS + 1]);
  });

  it('a prompt arriving during a later run waits for that run to end', () => {
    const rec = lateArrival(MULTI, during(RUN_STEPS + 2));
    const a = rec.reqs[0].tokens;
    expect(rec.reqs[2].first - a[2 * RUN_STEPS]).toBeCloseTo(PREFILL_ONE_MS, 9);
    expect(rec.reqs[2].first).toBeLessThan(a[2 * RUN_STEPS + 1]);
  });

  it('with runs of one step the prompt joins at the next iteration boundary', () => {
    const rec = lateArrival({ ...MULTI, decode_run_steps: 1 }, during(2));
    const a = rec.reqs[0].tokens;
    expect(rec.reqs[2].first - a[2]).toBeCloseTo(PREFILL_ONE_MS, 9);
  });

  it('an idle replica admits at once', () => {
    const sim = new Simulator();
    const rec = new Recorder();
    const replica = new GpuReplica(sim, linearStep(), MULTI, rec);
    replica.submit(rec.add(PROMPT, OUTPUT, 0), PROMPT, OUTPUT);
    sim.run();
    expect(rec.reqs[0].first).toBeCloseTo(PREFILL_ONE_MS, 9);
  });

  it('decode fusion does not change the schedule', () => {
    const { fused, plain } = fusedAndPlain(MULTI, 7);
    expect(fused.times).toEqual(plain.times);
    expect(fused.stats).toEqual(plain.stats);
  });

  it('on a busy replica a sparse prompt waits (K - 1) / 2 steps more on average (closed form)', () => {
    // one long request keeps the batch decoding at a constant 5.1 ms a step (no context term);
    // sparse Poisson prompts land uniformly within the runs of K steps
    const extra_ms = sparseProbeMeanTtft(MULTI) - sparseProbeMeanTtft({ ...MULTI, decode_run_steps: 1 });
    const expected_ms = ((RUN_STEPS - 1) / 2) * (5 + 0.1 * 1);
    expect(extra_ms).toBeGreaterThan(0.8 * expected_ms);
    expect(extra_ms).toBeLessThan(1.25 * expected_ms);
  });

  it('refuses runs with chunked prefill, and runs of fewer than one step', () => {
    expect(() => new GpuReplica(new Simulator(), linearStep(), { ...MULTI, chunked_prefill: true }, new Recorder())).toThrow(/decode_run_steps/);
    expect(() => new GpuReplica(new Simulator(), linearStep(), { ...MULTI, decode_run_steps: 0 }, new Recorder())).toThrow(/decode_run_steps/);
  });
});
