import { describe, expect, it } from 'vitest';
import { Simulator } from '../../src/engine/sim.ts';
import { stream } from '../../src/engine/random.ts';
import { loadScenario } from '../../src/scenario/load.ts';
import { prepare } from '../../src/scenario/prepare.ts';
import { simulate } from '../../src/experiment/simulate.ts';
import { simulateSliced } from '../../src/experiment/run-sliced.ts';

/**
 * A run stops on request within a bounded number of events, however dense the simulated time:
 * the engine looks at its stop flag and the wall clock every 1,024 events, never only between
 * slices of simulated time (a slice can hold any number of events).
 */
describe('stopping a dense run', () => {
  /** A source of events all at the same instant: simulated time never advances. */
  function frozenClock(): { sim: Simulator; seen: () => number } {
    const sim = new Simulator();
    let seen = 0;
    const tick = sim.on(() => {
      seen++;
      sim.after(0, tick);
    });
    sim.at(0, tick);
    return { sim, seen: () => seen };
  }

  it('a stop flag raised mid-run ends it within 1,024 events, with reason "stopped"', () => {
    const { sim, seen } = frozenClock();
    let flag = false;
    const raise = sim.on(() => (flag = true));
    sim.at(0, raise); // runs second, then the flag is up; the ticks go on at t = 0 for ever
    const stop = sim.run(Infinity, { shouldStop: () => flag, maxEvents: 10_000_000 });
    expect(stop).toBe('stopped');
    expect(seen()).toBe(sim.events - 1);
    expect(sim.now_ms).toBe(0);
    expect(sim.events).toBeLessThanOrEqual(1024);
  });

  it('a wall-clock slice ends with "yield" within a few ms of its deadline, and carrying on gives the same events as one call', () => {
    const { sim, seen } = frozenClock();
    const t0 = performance.now();
    expect(sim.run(Infinity, { yieldAtMs: t0 + 20, maxEvents: 50_000_000 })).toBe('yield');
    expect(performance.now() - t0).toBeLessThan(500);
    expect(seen()).toBe(sim.events);
    // Slicing changes nothing: the same arrival times whether the run is cut or not.
    const times = (slices: boolean) => {
      const s = new Simulator();
      const rng = stream(1, 'test:arrivals');
      const out: number[] = [];
      const arrive = s.on(() => {
        out.push(s.now_ms);
        if (out.length < 20_000) s.after(-Math.log(1 - rng()), arrive);
      });
      s.at(0, arrive);
      if (!slices) s.run();
      else while (s.run(Infinity, { yieldAtMs: performance.now() - 1 }) === 'yield');
      return out;
    };
    expect(times(true)).toEqual(times(false));
  });

  it('a scenario of 1e9 arrivals a second over 2 s (hours of simulation) stops within 2 s of the request, sliced or on a flag', async () => {
    const prep = prepare(loadScenario('scenarios/mmc-example.yaml', ['duration_s=2', 'warmup_s=1', 'workload.arrivals.rate_per_s=1e9', 'limits.max_events=2147483647']));
    const controller = new AbortController();
    let abortedAt = 0;
    setTimeout(() => {
      abortedAt = performance.now();
      controller.abort();
    }, 300);
    const r = await simulateSliced(prep, 1, { signal: controller.signal });
    expect(performance.now() - abortedAt).toBeLessThan(2000);
    expect(r.stop_reason).toBe('stopped');
    expect(r.complete).toBe(false);
    expect(r.events).toBeGreaterThan(0);
    // The synchronous path (worker threads) polls its flag instead.
    let polls = 0;
    const t0 = performance.now();
    const s = simulate(prep, 1, () => ++polls > 3 || performance.now() - t0 > 2000);
    expect(s.stop_reason).toBe('stopped');
    expect(s.events).toBeLessThanOrEqual(4 * 1024);
  });
});
