import { stream } from '../engine/random.ts';
import { Simulator, type StopReason } from '../engine/sim.ts';
import { RequestPool } from '../fleet/request-pool.ts';
import { StationNetwork } from '../fleet/stations/network.ts';
import type { Station } from '../fleet/stations/station.ts';
import { LatencyStats } from '../metrics/latency.ts';
import { emptyCounts, type Outcome, type RequestCounts } from '../metrics/outcomes.ts';
import { TimeSeries } from '../metrics/timeseries.ts';
import { makeArrivals } from '../workload/arrivals.ts';
import type { Prepared } from './prepare.ts';

/** Everything one run measured; sketches stay mergeable for replications and shards. */
export interface RunResult {
  seed: number;
  duration_ms: number;
  warmup_ms: number;
  counts: RequestCounts;
  e2e: LatencyStats;
  stations: Station[];
  timeseries: TimeSeries;
  events: number;
  wall_s: number;
  stop_reason: StopReason;
  /** False when a limit (events, wall time) stopped the run before duration_s. */
  complete: boolean;
}

export function defaultWindowMs(duration_s: number, window_s?: number): number {
  return (window_s ?? Math.max(1, duration_s / 100)) * 1000;
}

/** One simulation of the scenario with one seed. */
export function simulate(prep: Prepared, seed: number): RunResult {
  const sc = prep.scenario;
  const duration_ms = sc.duration_s * 1000;
  const warmup_ms = sc.warmup_s * 1000;
  const sim = new Simulator();
  const pool = new RequestPool();
  const counts = emptyCounts();
  const e2e = new LatencyStats();
  const series = new TimeSeries(defaultWindowMs(sc.duration_s, sc.window_s), duration_ms, warmup_ms);

  const sink = {
    finish(req: number, outcome: Outcome, t_ms: number): void {
      if (pool.counted[req] === 1) {
        counts[outcome]++;
        if (outcome === 'completed') {
          const latency = t_ms - pool.arrival_ms[req];
          e2e.add(latency);
          series.completion(t_ms, latency);
        } else series.error(t_ms);
      }
      pool.release(req);
    },
  };
  const network = new StationNetwork(sim, pool, sink, sc, seed);
  const arrivals = makeArrivals(sc.workload.arrivals, stream(seed, 'arrivals'), prep.trace);

  const arrive = sim.on(() => {
    const now = sim.now_ms;
    const req = pool.alloc();
    pool.arrival_ms[req] = now;
    pool.promptTokens[req] = arrivals.promptTokens;
    pool.outputTokens[req] = arrivals.outputTokens;
    const counted = now >= warmup_ms ? 1 : 0;
    pool.counted[req] = counted;
    if (counted) counts.offered++;
    series.arrival(now);
    scheduleNext();
    network.enter(network.entry, req);
  });
  function scheduleNext(): void {
    const t = arrivals.next();
    if (t < duration_ms) sim.at(t, arrive, 0);
  }

  const wallStart = performance.now();
  scheduleNext();
  const stop = sim.run(duration_ms, { maxEvents: sc.limits.max_events, maxWallMs: sc.limits.max_wall_s * 1000 });
  const end_ms = sim.now_ms;
  network.finalize(end_ms);
  counts.in_flight_at_end = pool.countedInFlight();
  return {
    seed,
    duration_ms: end_ms,
    warmup_ms,
    counts,
    e2e,
    stations: network.stations,
    timeseries: series,
    events: sim.events,
    wall_s: (performance.now() - wallStart) / 1000,
    stop_reason: stop,
    complete: stop === 'until' || stop === 'empty',
  };
}
