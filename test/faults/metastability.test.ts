import { describe, expect, it } from 'vitest';
import { simulate } from '../../src/experiment/simulate.ts';
import { prepared } from '../helpers/scenario.ts';

// A station at rho 0.8 (10 servers, 100 ms mean service, 80 requests/s) with a 1 s client
// timeout. A 30 s traffic spike to 2x is the trigger. Timed-out attempts stay in the server's
// queue (the server cannot know the client left), so immediate retries multiply the load.
const SEED = 1;
function run(client: object, station: object = {}) {
  const prep = prepared({
    name: 'metastable',
    duration_s: 400,
    window_s: 10,
    workload: { arrivals: { kind: 'poisson', rate_per_s: 80, profile: { points: [[0, 1], [60, 1], [61, 2], [90, 2], [91, 1], [400, 1]] } } },
    client: client as never,
    topology: { entry: 's', stations: { s: { servers: 10, service_ms: { dist: 'exponential', mean: 100 }, queue_limit: 5000, ...station } } },
  });
  const r = simulate(prep, SEED);
  const rows = r.timeseries.rows();
  /** Completed requests per second over [a, b) s (goodput: the client got its answer). */
  const goodput = (a: number, b: number) => rows.filter((x) => x.t_start_s >= a && x.t_start_s < b).reduce((s, x) => s + x.completions, 0) / (b - a);
  return { before: goodput(20, 60), after: goodput(300, 400), attempts: r.client.attemptCounts, r };
}
const RETRY_STORM = { preset: 'aggressive', timeout_ms: 1000 }; // 5 retries, no backoff, no jitter

describe('metastable failure', () => {
  const noRetry = run({ preset: 'none', timeout_ms: 1000 });
  const storm = run(RETRY_STORM);

  it('is stable before the trigger, with or without retries', () => {
    expect(noRetry.before, `seed ${SEED}`).toBeGreaterThan(75);
    expect(storm.before, `seed ${SEED}`).toBeGreaterThan(75);
  });

  it('a short spike with timeouts and immediate retries collapses goodput long after the spike ends', () => {
    // Without retries the queue drains once the spike is over.
    expect(noRetry.after, `seed ${SEED}`).toBeGreaterThan(75);
    // With them the system stays collapsed 200-300 s after the trigger: it serves abandoned work.
    expect(storm.after, `seed ${SEED}: goodput ${storm.after}/s`).toBeLessThan(10);
    expect(storm.attempts.retries).toBeGreaterThan(storm.attempts.attempts / 2);
    expect(storm.attempts.abandoned).toBeGreaterThan(10_000);
  });

  it.each([
    ['a retry budget', { ...RETRY_STORM, retry_budget: { ratio: 0.1, min_per_s: 1 } }, {}],
    ['load shedding at the server', RETRY_STORM, { shed_wait_ms: 500 }],
    ['a client circuit breaker', { ...RETRY_STORM, circuit_breaker: { window_s: 5, error_threshold: 0.5, min_requests: 50, open_s: 10 } }, {}],
  ])('%s brings it back', (_name, client, station) => {
    const fixed = run(client, station);
    expect(fixed.after, `seed ${SEED}: goodput ${fixed.after}/s`).toBeGreaterThan(75);
  });

  it('every request still ends in exactly one bucket, retries being attempts of it', () => {
    const c = storm.r.counts;
    expect(c.offered).toBe(c.completed + c.failed + c.rejected + c.timed_out + c.in_flight_at_end);
    expect(storm.attempts.attempts).toBe(c.offered + storm.attempts.retries);
  });
});
