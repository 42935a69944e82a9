import { describe, expect, it } from 'vitest';
import { simulate } from '../../src/experiment/simulate.ts';
import { summarizeRun } from '../../src/results/summary.ts';
import { smallFleet } from '../helpers/fleet.ts';

/**
 * TTFT as censored observations: an attempt still waiting for its first token when the run ends
 * has a TTFT of at least its age. Counting those ages gives lower bounds of the TTFT percentiles.
 */
describe('TTFT with the attempts still waiting for a first token', () => {
  it('an overloaded fleet: the waiting attempts are counted, at most one per request in flight, and the bound is at least the completed p99', () => {
    // 4 Llama-2-7B replicas at many times their capacity: queues grow for the whole run
    const prep = smallFleet({ rate_per_s: 400, duration_s: 60, warmup_s: 10 });
    const run = simulate(prep, 1);
    const withWaiting = run.ttftIncludingInFlight!;
    const waiting = withWaiting.all.count - run.fleet!.metrics.ttft.count;
    expect(waiting).toBeGreaterThan(0);
    expect(waiting).toBeLessThanOrEqual(run.client.counts.in_flight_at_end);
    expect(withWaiting.byModel.reduce((a, s) => a + s.count, 0)).toBe(withWaiting.all.count);
    const s = summarizeRun(prep, run, 10_000);
    const small = s.by_model!.small.latency_ms;
    expect(small.ttft_including_in_flight!.p99!).toBeGreaterThanOrEqual(small.ttft.p99!);
    expect(s.latency_ms.ttft_including_in_flight!.p99!).toBeGreaterThanOrEqual(s.latency_ms.ttft!.p99!);
  });

  it('a fleet well within capacity whose arrivals stop early: nothing waits at the end, the two are the same', () => {
    const prep = smallFleet({ rate_per_s: 2, duration_s: 120, warmup_s: 10 });
    // the rate falls to zero at 60 s: the last requests finish long before the end
    prep.scenario.workload.arrivals = { kind: 'poisson', rate_per_s: 2, profile: { points: [[0, 1], [59, 1], [60, 0], [120, 0]] } };
    const run = simulate(prep, 1);
    expect(run.client.counts.in_flight_at_end).toBe(0);
    expect(run.ttftIncludingInFlight!.all.count).toBe(run.fleet!.metrics.ttft.count);
  });
});
