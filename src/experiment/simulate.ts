import { commandWallLeft_ms } from '../util/wall-budget.ts';
import { UserError } from '../errors.ts';
import { inFile } from '../util/in-file.ts';
import { stream } from '../engine/random.ts';
import { Simulator, type RunLimits, type StopReason } from '../engine/sim.ts';
import { RequestPool } from '../fleet/request-pool.ts';
import { ClientLayer, type AttemptTarget } from '../fleet/client.ts';
import { clientConfig } from '../fleet/client-schema.ts';
import { installFaults } from '../faults/install.ts';
import { installControl } from '../fleet/control/install.ts';
import type { ServiceTier } from '../fleet/stations/tier.ts';
import type { RequestSink } from '../fleet/stations/network.ts';
import { StationNetwork } from '../fleet/stations/network.ts';
import { installBacklogs } from '../fleet/llm/class-setup.ts';
import { buildFleet, type BuiltFleet } from '../fleet/llm/build.ts';
import { FleetIndex } from '../fleet/fleet-index.ts';
import type { Station } from '../fleet/stations/station.ts';
import { emptyCounts, type Outcome } from '../metrics/outcomes.ts';
import { TimeSeries } from '../metrics/timeseries.ts';
import { PowerSampler } from '../results/power-series.ts';
import { LatencyStats } from '../metrics/latency.ts';
import { makeArrivals, scaledArrivals } from '../workload/arrivals.ts';
import type { Prepared } from '../scenario/prepare.ts';
import type { RunResult } from '../results/run-result.ts';
import { summarizeRun, type Summary } from '../results/summary.ts';
import { PrefixSeriesSampler } from './prefix-series.ts';
import { DEFAULT_MAX_MEMORY_GB } from '../util/limits.ts';

const copy = (x: LatencyStats) => {
  const out = new LatencyStats();
  out.merge(x);
  return out;
};

/** The client's e2e sketches (total and per class) copied, with the ages of the requests still in flight added. */
function withInFlightAges(client: ClientLayer, end_ms: number): RunResult['e2eIncludingInFlight'] {
  const all = copy(client.e2e);
  const byClass = client.e2eByClass.map(copy);
  client.addInFlightAges(end_ms, all, byClass);
  return { all, byClass };
}

/** The fleet's TTFT sketches (total and per model) copied, with the ages of the attempts still waiting for a first token added. */
function ttftWithWaitingAges(fleet: BuiltFleet, end_ms: number): NonNullable<RunResult['ttftIncludingInFlight']> {
  const all = copy(fleet.metrics.ttft);
  const byModel = fleet.metrics.models.map((m) => copy(m.ttft));
  fleet.pipeline.addWaitingTtftAges(end_ms, all, byModel);
  return { all, byModel };
}

export function defaultWindowMs(duration_s: number, window_s?: number): number {
  return (window_s ?? Math.max(1, duration_s / 100)) * 1000;
}

/** A run in progress: advance it in slices (progress, interruption), then finish it. */
export interface RunHandle {
  readonly sim: Simulator;
  readonly duration_ms: number;
  /**
   * Runs events up to min(until_ms, duration) or until the scenario's limits; events and wall time
   * accumulate across slices. `slice.yieldAtMs` ends the call with 'yield' at that wall time (the
   * run goes on at the next call); `slice.shouldStop` returning true ends it with 'stopped'.
   */
  advance(until_ms: number, slice?: Pick<RunLimits, 'yieldAtMs' | 'shouldStop'>): StopReason;
  /** Closes the books; `stop` says why the run ended ('stopped' for an interruption). */
  finish(stop: StopReason): RunResult;
}

/**
 * One simulation of the scenario with one seed, start to end; `shouldStop` (polled every
 * thousand events or so) ends it early with what was simulated, stop reason 'stopped'.
 */
export function simulate(prep: Prepared, seed: number, shouldStop?: () => boolean): RunResult {
  const run = startRun(prep, seed);
  return run.finish(run.advance(run.duration_ms, { shouldStop }));
}

/** Builds a run of the scenario with one seed, ready to advance. */
/** What a run simulates: the LLM fleet, or a network of stations. */
interface System {
  fleet: BuiltFleet | undefined;
  /** The prefix-cache hit rate per window (fleets with caching models only). */
  prefixSampler?: PrefixSeriesSampler | null;
  /** The station network's tiers (none for a fleet: its tiers are in `fleet`). */
  networkTiers: ServiceTier[];
  stations: Station[];
  first: (req: number) => void;
  retry: (req: number) => void;
  classes: number;
  finalize: (end_ms: number) => void;
  /** Requests queued anywhere, for the time series. */
  queueDepth: () => number;
  /** Called just before the warm-up's end zeroes the GPU statistics (the power series keeps its window whole). */
  hooks: { beforeGpuReset?: () => void };
}

function buildSystem(sim: Simulator, pool: RequestPool, sink: RequestSink, prep: Prepared, seed: number, series: TimeSeries): System {
  const sc = prep.scenario;
  if (!sc.fleet) {
    const network = new StationNetwork(sim, pool, sink, sc, seed);
    return {
      fleet: undefined, networkTiers: network.tiers, stations: network.stations, classes: 1,
      first: (req) => network.first(req),
      retry: (req) => network.retry(req),
      finalize: (end) => network.finalize(end),
      queueDepth: () => network.tiers.reduce((a, t) => a + t.station.qlen, 0),
      hooks: {},
    };
  }
  const built = buildFleet(sim, pool, sink, prep, seed);
  // GPU statistics cover the measured period only.
  const hooks: System['hooks'] = {};
  const prefixSampler = PrefixSeriesSampler.of(series, built);
  const reset = sim.on(() => {
    hooks.beforeGpuReset?.();
    prefixSampler?.beforeReset();
    built.gpuClusters.forEach((c) => c.replicas.forEach((r) => r.resetStats()));
  });
  if (sc.warmup_s > 0) sim.at(sc.warmup_s * 1000, reset, 0);
  return {
    fleet: built, networkTiers: [], stations: built.tiers.map((t) => t.station), classes: built.pipeline.classes, prefixSampler,
    first: (req) => built.pipeline.first(req),
    retry: (req) => built.pipeline.retry(req),
    finalize: (end) => built.tiers.forEach((t) => t.finalize(end)),
    queueDepth: () => built.tiers.reduce((a, t) => a + t.station.qlen, 0) + built.gpuClusters.reduce((a, c) => a + c.replicas.reduce((b, r) => b + r.waiting, 0), 0),
    hooks,
  };
}

/** Starts a run; problems found while building it name the scenario file (util/in-file.ts). */
export function startRun(prep: Prepared, seed: number): RunHandle {
  return inFile(prep.file, () => startRunIn(prep, seed));
}

function startRunIn(prep: Prepared, seed: number): RunHandle {
  // Streams are named by the seed's digits: beyond 2^53 neighbouring seeds are the same double
  // (util/limits.ts), so replication seed + i would repeat replication seed.
  if (!Number.isSafeInteger(seed) || seed < 0) throw new UserError(`seed: expected an integer in [0, 2^53), got ${seed} (a replication's seed is the first seed + its index)`);
  const sc = prep.scenario;
  const duration_ms = sc.duration_s * 1000;
  const warmup_ms = sc.warmup_s * 1000;
  const sim = new Simulator();
  const pool = new RequestPool(1024, requestsInFlightLimit(sc.limits.max_memory_gb ?? DEFAULT_MAX_MEMORY_GB));
  const series = new TimeSeries(defaultWindowMs(sc.duration_s, sc.window_s), duration_ms, warmup_ms);
  // The client layer is every model's sink; the system is the client's target.
  let client!: ClientLayer;
  const sink: RequestSink = { finish: (req, outcome, t) => client.finish(req, outcome, t), arrive: () => client.arrive() };
  const system = buildSystem(sim, pool, sink, prep, seed, series);
  const { fleet } = system;
  if (fleet) fleet.metrics.series = series;
  const power = sampleWindows(sim, series, system, () => client.live, duration_ms);
  // One index of the fleet: faults and the control plane resolve their targets through it.
  const index = new FleetIndex(fleet, system.networkTiers);
  const faults = installFaults(sim, sc, seed, index);
  const control = installControl(sim, sc, index);
  const target: AttemptTarget = { first: system.first, retry: system.retry, classes: system.classes, cancel: fleet ? (req) => fleet.pipeline.cancel(req) : undefined };
  client = new ClientLayer(sim, pool, target, sc.client ? clientConfig(sc.client) : undefined, series, warmup_ms, stream(seed, 'client'));
  client.requestClasses = fleet?.pipeline.requestClasses ?? null;
  if (client.requestClasses !== null) installBacklogs(sim, sc.fleet!, client.requestClasses, () => client.arrive());
  scheduleArrivals(sim, client, prep, seed, duration_ms);
  let wall_ms = 0;
  const advance = (until_ms: number, slice: Pick<RunLimits, 'yieldAtMs' | 'shouldStop'> = {}): StopReason => {
    const t0 = performance.now();
    try {
      const stop = sim.run(Math.min(until_ms, duration_ms), {
        maxEvents: sc.limits.max_events - sim.events,
        // The run's own bound, within what is left of the command's (util/wall-budget.ts).
        maxWallMs: Math.min(sc.limits.max_wall_s * 1000 - wall_ms, commandWallLeft_ms()),
        ...slice,
      });
      // A slice that ends before the duration is not the end of the run.
      return stop === 'until' && sim.now_ms < duration_ms ? 'until' : stop;
    } finally {
      wall_ms += performance.now() - t0;
    }
  };
  const finish = (stop: StopReason): RunResult => {
    const end_ms = sim.now_ms;
    system.finalize(end_ms);
    control?.finish(end_ms);
    const inFlight = client.inFlight();
    client.counts.in_flight_at_end = inFlight.total;
    client.byClass.forEach((c, i) => (c.in_flight_at_end = inFlight.byClass[i]));
    return {
      seed, duration_ms: end_ms, warmup_ms,
      counts: client.counts,
      e2e: client.e2e,
      e2eIncludingInFlight: withInFlightAges(client, end_ms),
      ...(fleet ? { ttftIncludingInFlight: ttftWithWaitingAges(fleet, end_ms) } : {}),
      client, faults,
      ...(control ? { control } : {}),
      stations: system.stations, fleet,
      timeseries: series,
      ...(power ? { power: power.windows } : {}),
      events: sim.events,
      wall_s: wall_ms / 1000,
      stop_reason: stop,
      complete: stop === 'empty' || (stop === 'until' && end_ms >= duration_ms),
    };
  };
  return { sim, duration_ms, advance, finish };
}

/** Queue depth (and a fleet's GPU power) at the end of every window: one event per window. */
function sampleWindows(sim: Simulator, series: TimeSeries, system: System, live: () => number, duration_ms: number): PowerSampler | undefined {
  const power = system.fleet ? new PowerSampler(system.fleet) : undefined;
  if (power) system.hooks.beforeGpuReset = () => power.beforeReset();
  const sample = sim.on((i) => {
    series.sampleQueue(i, system.queueDepth(), live());
    power?.sample(sim.now_ms);
    system.prefixSampler?.sample(i);
    if ((i + 2) * series.windowMs <= duration_ms) sim.at((i + 2) * series.windowMs, sample, i + 1);
  });
  sim.at(Math.min(series.windowMs, duration_ms), sample, 0);
  return power;
}

/** The workload's arrivals, one event ahead: each arrival schedules the next. */
function scheduleArrivals(sim: Simulator, client: ClientLayer, prep: Prepared, seed: number, duration_ms: number): void {
  const sc = prep.scenario;
  const arrivals = makeArrivals(scaledArrivals(sc.workload.arrivals, sc.fleet?.scale ?? 1), stream(seed, 'arrivals'), prep.trace);
  const arrive = sim.on(() => {
    scheduleNext();
    client.arrive();
  });
  function scheduleNext(): void {
    const t = arrivals.next();
    if (t < duration_ms) sim.at(t, arrive, 0);
  }
  scheduleNext();
}

/**
 * The summary of a run stopped before its first event: which figures summary.json will have, at
 * no simulation cost, so a misspelt metric path fails before a long run. Undefined when even
 * that fails (the real run will tell).
 */
export function summaryShape(prep: Prepared, seed: number): Summary | undefined {
  try {
    const run = startRun(prep, seed);
    return summarizeRun(prep, run.finish('stopped'), defaultWindowMs(prep.scenario.duration_s, prep.scenario.window_s));
  } catch {
    return undefined;
  }
}

/**
 * Memory a request in flight holds: its 128-byte record and about twice as much again in events,
 * queue slots and samples (16,777,216 in flight took 4.4 GB, 2026-12-06).
 */
const REQUEST_IN_FLIGHT_BYTES = 384;

/**
 * Requests a run may hold in flight within its memory limit, at most the pool's own 50,000,000.
 * Past it the run stops in one line naming the limit (LimitError), before the process runs out of
 * memory.
 */
function requestsInFlightLimit(maxMemoryGb: number): number {
  return Math.max(1024, Math.min(50_000_000, Math.floor((maxMemoryGb * 1024 ** 3) / REQUEST_IN_FLIGHT_BYTES)));
}
