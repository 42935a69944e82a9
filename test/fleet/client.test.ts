import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stream, type Rng } from '../../src/engine/random.ts';
import { Simulator } from '../../src/engine/sim.ts';
import { ClientLayer, type AttemptTarget } from '../../src/fleet/client.ts';
import { RequestPool } from '../../src/fleet/request-pool.ts';
import type { Outcome } from '../../src/metrics/outcomes.ts';
import { TimeSeries } from '../../src/metrics/timeseries.ts';
import type { ClientConfig } from '../../src/fleet/client-schema.ts';

/**
 * ClientLayer against a scripted server: the server decides each attempt's outcome and how long
 * it takes (or never answers), and the tests check attempt times, outcomes and counters against
 * closed forms of the backoff, timeout, give-up, budget and breaker rules.
 */

type Reply = { outcome: Outcome; after_ms: number } | 'never';
/** What the server does with an attempt: n is its number within its logical request (0 = first). */
type Server = (n: number, now_ms: number) => Reply;

interface Attempt {
  start_ms: number;
  /** 0 for the first attempt of a request, then 1, 2, ... */
  n: number;
}

function harness(cfg: ClientConfig | undefined, server: Server, opts: { rng?: Rng; warmup_ms?: number } = {}) {
  const sim = new Simulator();
  const pool = new RequestPool(16);
  const attempts: Attempt[] = [];
  const attemptNumber = new Map<number, number>();
  let client: ClientLayer | null = null;
  const finishHandler = sim.on((req) => client!.finish(req, replies.get(req)!, sim.now_ms));
  const replies = new Map<number, Outcome>();
  const send = (req: number, n: number) => {
    attempts.push({ start_ms: sim.now_ms, n });
    const reply = server(n, sim.now_ms);
    if (reply === 'never') return;
    replies.set(req, reply.outcome);
    sim.after(reply.after_ms, finishHandler, req);
  };
  const target: AttemptTarget = {
    classes: 1,
    first(req) {
      pool.setPromptTokens(req, 100);
      pool.setOutputTokens(req, 10);
      attemptNumber.set(pool.logical(req), 0);
      send(req, 0);
    },
    retry(req) {
      const l = pool.logical(req);
      const n = attemptNumber.get(l)! + 1;
      attemptNumber.set(l, n);
      send(req, n);
    },
  };
  const rng = opts.rng ?? (() => {
    throw new Error('the client drew a random number it should not need');
  });
  client = new ClientLayer(sim, pool, target, cfg, new TimeSeries(60_000, 60_000, 0), opts.warmup_ms ?? 0, rng);
  const arriveHandler = sim.on(() => client!.arrive());
  return {
    sim, pool, client, attempts,
    arriveAt(t_ms: number) {
      sim.at(t_ms, arriveHandler);
    },
  };
}

function config(over: Partial<ClientConfig>): ClientConfig {
  return { timeout_ms: Infinity, max_retries: 0, initial_ms: 0, max_ms: 0, multiplier: 1, jitter: 'none', retry_on: ['failed', 'rejected', 'timed_out'], give_up_ms: Infinity, ...over };
}

const failAfter = (after_ms: number): Server => () => ({ outcome: 'failed', after_ms });

describe('ClientLayer: one attempt without a client section', () => {
  it('each request is one attempt, its end-to-end latency is the server time, and no random number is drawn', () => {
    const h = harness(undefined, (_n, now) => ({ outcome: now < 50 ? 'completed' : 'rejected', after_ms: 7 }));
    for (const t of [0, 10, 20, 60]) h.arriveAt(t);
    h.sim.run();
    expect(h.client.counts).toMatchObject({ offered: 4, completed: 3, rejected: 1 });
    expect(h.client.attemptCounts).toMatchObject({ attempts: 4, retries: 0 });
    expect(h.client.e2e.summary().mean).toBe(7);
    expect(h.pool.inUse).toBe(0);
  });
});

describe('ClientLayer: retries with exponential backoff', () => {
  it('attempt k+1 starts min(initial x multiplier^k, max) after attempt k fails', () => {
    const cfg = config({ max_retries: 4, initial_ms: 100, multiplier: 3, max_ms: 500 });
    const h = harness(cfg, failAfter(10));
    h.arriveAt(0);
    h.sim.run();
    const expected = [0];
    for (let k = 0; k < 4; k++) expected.push(expected[k] + 10 + Math.min(100 * 3 ** k, 500));
    expect(h.attempts.map((a) => a.start_ms)).toEqual(expected); // 0, 110, 420, 930, 1440
    expect(h.client.counts).toMatchObject({ offered: 1, failed: 1, completed: 0 });
    expect(h.client.attemptCounts).toMatchObject({ attempts: 5, retries: 4 });
  });

  it('a retry that succeeds ends the request completed, its latency from the first attempt', () => {
    const h = harness(config({ max_retries: 3, initial_ms: 40, multiplier: 2, max_ms: 1000 }), (n) => ({ outcome: n < 2 ? 'failed' : 'completed', after_ms: 5 }));
    h.arriveAt(0);
    h.sim.run();
    // fail at 5, retry at 45, fail at 50, retry at 130, done at 135
    expect(h.client.counts).toMatchObject({ completed: 1, failed: 0 });
    expect(h.client.e2e.summary().mean).toBe(135);
  });

  it('outcomes outside retry_on are not retried', () => {
    const h = harness(config({ max_retries: 3, initial_ms: 10, retry_on: ['failed'] }), () => ({ outcome: 'rejected', after_ms: 1 }));
    h.arriveAt(0);
    h.sim.run();
    expect(h.client.counts.rejected).toBe(1);
    expect(h.client.attemptCounts.attempts).toBe(1);
  });

  it('no retry starts later than give_up_ms after the first attempt', () => {
    const h = harness(config({ max_retries: 5, initial_ms: 1000, max_ms: 1000, multiplier: 1, give_up_ms: 2500 }), failAfter(10));
    h.arriveAt(0);
    h.sim.run();
    // retries at 1010 and 2020; the next would start at 3030 > 2500: the failure at 2030 stands
    expect(h.attempts.map((a) => a.start_ms)).toEqual([0, 1010, 2020]);
    expect(h.client.counts.failed).toBe(1);
  });
});

describe('ClientLayer: jitter', () => {
  const d = 200;
  const firstRetryDelay = (jitter: ClientConfig['jitter'], rng: Rng, requests: number) => {
    const h = harness(config({ max_retries: 1, initial_ms: d, max_ms: d, multiplier: 2, jitter }), (n) => ({ outcome: n === 0 ? 'failed' : 'completed', after_ms: 0 }), { rng });
    for (let i = 0; i < requests; i++) h.arriveAt(i * 10_000);
    h.sim.run();
    const starts = new Map<number, number>();
    const delays: number[] = [];
    h.attempts.forEach((a) => (a.n === 0 ? starts.set(delays.length, a.start_ms) : delays.push(a.start_ms - starts.get(delays.length)!)));
    return delays;
  };

  it('with u = 0.25: full d u, equal d/2 + d/2 u, proportional d (1 - u/4)', () => {
    expect(firstRetryDelay('full', () => 0.25, 1)).toEqual([50]);
    expect(firstRetryDelay('equal', () => 0.25, 1)).toEqual([125]);
    expect(firstRetryDelay('proportional', () => 0.25, 1)).toEqual([187.5]);
    expect(firstRetryDelay('none', () => 0.25, 1)).toEqual([200]);
  });

  it('on the client stream, the mean delay is d/2, 3d/4 and 7d/8 (uniform u; within 4 standard errors)', () => {
    const n = 2000;
    for (const [jitter, mean, width] of [['full', d / 2, d], ['equal', (3 * d) / 4, d / 2], ['proportional', (7 * d) / 8, d / 4]] as const) {
      const delays = firstRetryDelay(jitter, stream(7, `jitter-${jitter}`), n);
      expect(delays.length).toBe(n);
      const observed = delays.reduce((a, b) => a + b, 0) / n;
      const standardError = width / Math.sqrt(12 * n);
      expect(Math.abs(observed - mean), `${jitter}: mean ${observed}, expected ${mean}`).toBeLessThan(4 * standardError);
      expect(Math.min(...delays)).toBeGreaterThanOrEqual(d - width);
      expect(Math.max(...delays)).toBeLessThanOrEqual(d);
    }
  });
});

describe('ClientLayer: timeouts', () => {
  it('an attempt times out on the client clock; the retry follows the backoff; late answers are not counted twice', () => {
    const cfg = config({ timeout_ms: 1000, max_retries: 2, initial_ms: 100, multiplier: 2, max_ms: 10_000, retry_on: ['timed_out'] });
    const h = harness(cfg, () => ({ outcome: 'completed', after_ms: 5000 }));
    h.arriveAt(0);
    h.sim.run();
    // attempts at 0, 1000 + 100, 2100 + 1000 + 200; the last times out at 4300
    expect(h.attempts.map((a) => a.start_ms)).toEqual([0, 1100, 2300]);
    expect(h.client.counts).toMatchObject({ offered: 1, timed_out: 1, completed: 0 });
    expect(h.client.attemptCounts.abandoned).toBe(3);
    // the server finished all three (wasted work) and every record went back to the pool
    expect(h.client.servedAttempts).toBe(3);
    expect(h.pool.inUse).toBe(0);
    expect(h.client.inFlight().total).toBe(0);
  });

  it('an answer before the timeout cancels it', () => {
    const h = harness(config({ timeout_ms: 1000 }), () => ({ outcome: 'completed', after_ms: 999 }));
    h.arriveAt(0);
    h.sim.run();
    expect(h.client.counts.completed).toBe(1);
    expect(h.client.attemptCounts.abandoned).toBe(0);
    expect(h.sim.pending).toBe(0);
  });
});

describe('ClientLayer: retry budget (token bucket)', () => {
  it('each first attempt deposits ratio: 50 failures at once with ratio 1/8 get 6 retries', () => {
    const h = harness(config({ max_retries: 1, initial_ms: 1, budget: { ratio: 0.125, min_per_s: 0 } }), failAfter(10));
    for (let i = 0; i < 50; i++) h.arriveAt(0);
    h.sim.run();
    expect(h.client.attemptCounts).toMatchObject({ retries: 6, budget_exhausted: 44, attempts: 56 });
    expect(h.client.counts.failed).toBe(50);
  });

  it('min_per_s starts with 10 s of reserve and refills with time', () => {
    const h = harness(config({ max_retries: 1, initial_ms: 1, budget: { ratio: 0, min_per_s: 2 } }), failAfter(10));
    for (let i = 0; i < 50; i++) h.arriveAt(0);
    // 20 tokens of reserve (+0.02 by t = 10 ms); 5 s later 10 more have come in
    for (let i = 0; i < 50; i++) h.arriveAt(5010);
    h.sim.run();
    expect(h.client.attemptCounts.retries).toBe(20 + 10);
    expect(h.client.attemptCounts.budget_exhausted).toBe(70);
  });
});

describe('ClientLayer: circuit breaker', () => {
  it('opens after min_requests attempts with errors above the threshold, fails fast for open_s, then needs a fresh window', () => {
    const cfg = config({ breaker: { window_s: 10, error_threshold: 0.5, min_requests: 4, open_s: 1 } });
    const h = harness(cfg, failAfter(1));
    for (let k = 0; k < 20; k++) h.arriveAt(k * 100);
    h.sim.run();
    // errors at 1, 101, 201, 301 open it until 1301: arrivals 400..1300 fail fast (10); the
    // next four (1400..1700) are sent and fail, opening it until 2701: 1800 and 1900 fail fast
    expect(h.client.attemptCounts.short_circuited).toBe(12);
    expect(h.attempts.length).toBe(8);
    expect(h.client.counts).toMatchObject({ offered: 20, failed: 20 });
  });
});

describe('ClientLayer: every request ends in exactly one bucket', () => {
  const outcomeArb = fc.constantFrom<Outcome | 'never'>('completed', 'failed', 'rejected', 'timed_out', 'never');
  const cfgArb = fc.record({
    timeout_ms: fc.oneof(fc.constant(Infinity), fc.integer({ min: 1, max: 3000 })),
    max_retries: fc.integer({ min: 0, max: 3 }),
    initial_ms: fc.integer({ min: 0, max: 500 }),
    max_ms: fc.integer({ min: 0, max: 2000 }),
    multiplier: fc.constantFrom(1, 1.5, 2),
    jitter: fc.constantFrom('none', 'full', 'equal', 'proportional'),
    retry_on: fc.subarray(['failed', 'rejected', 'timed_out'] as const),
    give_up_ms: fc.oneof(fc.constant(Infinity), fc.integer({ min: 1, max: 5000 })),
    budget: fc.option(fc.record({ ratio: fc.constantFrom(0, 0.1, 0.5), min_per_s: fc.constantFrom(0, 1, 10) }), { nil: undefined }),
    breaker: fc.option(fc.record({ window_s: fc.constantFrom(1, 10), error_threshold: fc.constantFrom(0.2, 0.5), min_requests: fc.integer({ min: 1, max: 10 }), open_s: fc.constantFrom(0.5, 2) }), { nil: undefined }),
  });

  it('offered = completed + failed + rejected + timed_out + in flight; attempts = requests + retries, at most 1 + max_retries each', () => {
    fc.assert(fc.property(cfgArb, fc.array(fc.tuple(fc.integer({ min: 0, max: 5000 }), fc.array(fc.tuple(outcomeArb, fc.integer({ min: 0, max: 4000 })), { minLength: 4, maxLength: 4 })), { minLength: 1, maxLength: 40 }), (cfg, requests) => {
      // request i arrives at requests[i][0]; its attempt n gets requests[i][1][n]
      let next = 0;
      const script: Array<Array<[Outcome | 'never', number]>> = [];
      const h = harness(cfg, (n) => {
        const [outcome, after_ms] = script[next - 1][n];
        return outcome === 'never' ? 'never' : { outcome, after_ms };
      }, { rng: stream(3, 'client-property') });
      // arrivals in time order, each taking the next script
      const sorted = [...requests].sort((a, b) => a[0] - b[0]);
      const arrive = h.sim.on(() => {
        script.push(sorted[next++][1]);
        h.client.arrive();
      });
      for (const [t_ms] of sorted) h.sim.at(t_ms, arrive);
      h.sim.run();
      const c = h.client.counts, a = h.client.attemptCounts;
      const inFlight = h.client.inFlight().total;
      expect(c.offered).toBe(requests.length);
      expect(c.completed + c.failed + c.rejected + c.timed_out + inFlight).toBe(c.offered);
      expect(a.attempts).toBe(c.offered + a.retries);
      expect(a.attempts).toBeLessThanOrEqual(c.offered * (1 + cfg.max_retries));
      expect(h.client.byClass[0]).toEqual(c);
    }), { numRuns: 300 });
  });
});
