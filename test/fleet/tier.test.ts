import { afterEach, describe, expect, it, vi } from 'vitest';
import { makeSampler } from '../../src/engine/distributions.ts';
import { stream } from '../../src/engine/random.ts';
import { Simulator } from '../../src/engine/sim.ts';
import { RequestPool } from '../../src/fleet/request-pool.ts';
import { ServiceTier, type TierEffect, type TierOutput } from '../../src/fleet/stations/tier.ts';

/** A tier of `servers` servers with constant service times, and a log of what leaves it. */
function tierOf(servers: number, service_ms: number, seed = 1) {
  const sim = new Simulator();
  const pool = new RequestPool();
  const log: { req: number; what: string; t_ms: number }[] = [];
  const out: TierOutput = {
    served: (req) => log.push({ req, what: 'served', t_ms: sim.now_ms }),
    dropped: (req, outcome, t_ms) => log.push({ req, what: outcome, t_ms }),
  };
  const tier = new ServiceTier(sim, pool, 0, 'api', servers, makeSampler({ dist: 'constant', value: service_ms }, stream(seed, 'service')), 1000, Infinity, 0, out, stream(seed, 'route'), stream(seed, 'faults'));
  /** n requests arrive at t_ms. */
  const arrive = (t_ms: number, n: number) => {
    const h = sim.on(() => { for (let k = 0; k < n; k++) tier.enter(pool.alloc()); });
    sim.at(t_ms, h, 0);
  };
  const at = (t_ms: number, fn: () => void) => sim.at(t_ms, sim.on(fn), 0);
  return { sim, tier, log, arrive, at };
}

afterEach(() => vi.restoreAllMocks());

describe('tier fault effects compose and are removed exactly', () => {
  it('a partition over an error-rate fault: ending either leaves the other in force', () => {
    const { tier } = tierOf(4, 10);
    const errors: TierEffect = { fail_prob: 0.3 };
    const partition: TierEffect = { fail_prob: 1 };
    tier.addEffect(errors);
    tier.addEffect(partition);
    expect(tier.inEffect.fail_prob).toBe(1);
    tier.removeEffect(partition);
    expect(tier.inEffect.fail_prob).toBe(0.3);
    tier.addEffect(partition);
    tier.removeEffect(errors);
    expect(tier.inEffect.fail_prob).toBe(1);
    tier.removeEffect(partition);
    expect(tier.inEffect.fail_prob).toBe(0);
  });

  it('independent error rates combine as 1 - (1 - a)(1 - b)', () => {
    const { tier } = tierOf(4, 10);
    tier.addEffect({ fail_prob: 0.2 });
    tier.addEffect({ fail_prob: 0.5 });
    expect(tier.inEffect.fail_prob).toBeCloseTo(1 - 0.8 * 0.5, 15);
  });

  it('slowdowns multiply and delays add; removing them restores exactly 1 and 0 (no drift from *= and /=)', () => {
    const { tier } = tierOf(4, 10);
    const a: TierEffect = { slowdown: 3, add_ms: 0.1 };
    const b: TierEffect = { slowdown: 7, add_ms: 0.2 };
    tier.addEffect(a);
    tier.addEffect(b);
    expect(tier.inEffect.slowdown).toBe(21);
    tier.removeEffect(a);
    expect(tier.inEffect.slowdown).toBe(7);
    expect(tier.inEffect.add_ms).toBe(0.2);
    tier.removeEffect(b);
    expect(tier.inEffect).toMatchObject({ slowdown: 1, add_ms: 0 });
  });

  it('a request entering an idle tier leaves after service x slowdown + delay', () => {
    const { sim, tier, log, arrive } = tierOf(1, 10);
    tier.addEffect({ slowdown: 2, add_ms: 5 });
    arrive(100, 1);
    sim.run();
    expect(log).toEqual([{ req: 0, what: 'served', t_ms: 125 }]);
  });

  it('capacity factors apply on top of the configured count, whoever changes it meanwhile', () => {
    const { tier } = tierOf(10, 10);
    const half: TierEffect = { capacity_factor: 0.5 };
    tier.addEffect(half);
    expect(tier.station.servers).toBe(5);
    tier.setServers(20); // the autoscaler scales the tier during the fault
    expect(tier.station.servers).toBe(10);
    const lost: TierEffect = { lost_servers: 3 }; // an instance fails meanwhile
    tier.addEffect(lost);
    expect(tier.station.servers).toBe(7);
    tier.removeEffect(half);
    expect(tier.station.servers).toBe(17);
    tier.removeEffect(lost);
    expect(tier.inEffect).toMatchObject({ servers: 20, configured_servers: 20 });
  });

  it('servers given back start queued work at once', () => {
    const { sim, tier, log, arrive, at } = tierOf(2, 10);
    const none: TierEffect = { capacity_factor: 0 };
    tier.addEffect(none);
    arrive(0, 2);
    at(50, () => tier.removeEffect(none));
    sim.run();
    expect(log.map((x) => x.t_ms)).toEqual([60, 60]);
  });

  it('down: queued work fails at once, work in service when it ends; two outages, the tier is up after both', () => {
    const { sim, tier, log, arrive, at } = tierOf(1, 10);
    const outageA: TierEffect = { down: true };
    const outageB: TierEffect = { down: true };
    arrive(0, 3); // one in service until 10 ms, two queued
    at(5, () => { tier.addEffect(outageA); tier.addEffect(outageB); });
    at(20, () => tier.removeEffect(outageA));
    arrive(30, 1); // B still holds it down
    at(40, () => tier.removeEffect(outageB));
    arrive(50, 1);
    sim.run();
    // (request ids are recycled, so only what happened and when)
    expect(log.map(({ what, t_ms }) => [what, t_ms])).toEqual([['failed', 5], ['failed', 5], ['failed', 10], ['failed', 30], ['served', 60]]);
    expect(tier.isDown).toBe(false);
  });

  it('refuses to remove an effect that is not in force, or to add one twice', () => {
    const { tier } = tierOf(1, 10);
    const e: TierEffect = { slowdown: 2 };
    expect(() => tier.removeEffect(e)).toThrow(/not in force/);
    tier.addEffect(e);
    expect(() => tier.addEffect(e)).toThrow(/added twice/);
  });
});

describe('tier fault decisions draw from the stream they are given', () => {
  const failures = (seed: number, p: number, n: number) => {
    const { sim, tier, log, arrive } = tierOf(1000, 1, seed);
    tier.addEffect({ fail_prob: p });
    arrive(0, n);
    sim.run();
    return log.filter((x) => x.what === 'failed').length;
  };

  it('an error rate p fails a binomial(n, p) share of arrivals, never touching Math.random', () => {
    vi.spyOn(Math, 'random').mockImplementation(() => { throw new Error('Math.random drawn'); });
    const n = 1000, p = 0.3;
    const k = failures(5, p, n);
    // within 4 standard deviations of n p
    expect(Math.abs(k - n * p)).toBeLessThan(4 * Math.sqrt(n * p * (1 - p)));
  });

  it('the same seed gives the same failures; another seed other ones', () => {
    expect(failures(5, 0.3, 500)).toBe(failures(5, 0.3, 500));
    const seeds = [1, 2, 3, 4, 5, 6].map((s) => failures(s, 0.3, 500));
    expect(new Set(seeds).size).toBeGreaterThan(1);
  });
});
