import { getHeapStatistics } from 'node:v8';
import { schedulerForEngine } from '../perf/profiles.ts';
import { UserError } from '../errors.ts';
import { replicasToAllocate } from '../fleet/control/alloc.ts';
import { scaledCount } from '../util/scaled-count.ts';
import { MAX_SIMULATED_USERS } from '../fleet/llm/users.ts';
import type { Scenario } from '../scenario/schema.ts';
import { checkArrivalBudget } from '../scenario/prepare.ts';
import { gpusPerReplica } from '../fleet/schema.ts';
import { fmt } from '../report/table.ts';
import { defaultWindowMs } from './simulate.ts';
import { scaledArrivals } from '../workload/arrivals.ts';
import { DEFAULT_MAX_MEMORY_GB } from '../util/limits.ts';

/**
 * What a command would hold in memory, estimated from the scenario before anything is built, so
 * that a scenario that cannot fit is refused at once (exit 2) instead of crashing the V8 heap
 * (exit 134) or swapping the machine for minutes. The figures are per-unit costs measured on
 * Node 20 (x64) with `process.memoryUsage()` after a forced GC (heapUsed + external +
 * arrayBuffers), rounded up; they aim at the order of magnitude, which is what separates a
 * typo (`window_s: 0.000001`, `gpus: 10000000`, `--replications 1e9`) from a real run.
 */

const KB = 1024;
const GB = 1024 ** 3;

/** Built state every run has (simulator, pools, client records): openai-2024 at 1% measures ~20 MB. */
const RUN_BASE_BYTES = 32 * 1024 * KB;
/**
 * Time-series window with no sample: 6 counters and 2 empty latency sketches (measured 1.5 KB on
 * the heap; 2,000,000 such windows took 4.1 GB of the process, 2026-12-06).
 */
const WINDOW_EMPTY_BYTES = 2 * KB;
/**
 * Writing a report (--out) builds timeseries.csv and report.html's series as strings while the
 * windows are still held: 1,000,000 windows took 4.3 GB with --out (a 369 MB report.html), about
 * 2.3 KB a window over the run's own (measured 2026-12-06).
 */
const REPORT_BYTES_PER_WINDOW = 2.5 * KB;
/**
 * A window whose sketches are filled, with its row and CSV line: measured 26 KB of sketch bins and
 * 11 KB while rows are computed, for 50 samples spread over a factor of e^4 per window.
 */
const WINDOW_FILLED_BYTES = 40 * KB;
/** Samples in a window from which WINDOW_FILLED_BYTES applies in full (fewer fill fewer bins). */
const WINDOW_FULL_SAMPLES = 50;
/** One simulated user: alias table and per-user limiter state (2,000,000 users measure 183 MB). */
const USER_BYTES = 96;
/** One GPU replica, on the V8 heap (28,125 replicas measure 75 MB). */
const REPLICA_HEAP_BYTES = 2.8 * KB;
/** One GPU replica, in typed arrays: 1.8 KB plus 18 B per sequence slot (measured at 256 and 1,024 slots). */
const REPLICA_ARRAY_BYTES = 1.8 * KB;
const REPLICA_BYTES_PER_SEQ = 18;
/** A summary kept whole (compare's replications, a sweep's points): measured 1.7 KB (one station) to 32 KB (fleet with a control plane); doubled for slack. */
const SUMMARY_BASE_BYTES = 4 * KB;
const SUMMARY_BYTES_PER_STATION = 1 * KB;
const SUMMARY_BYTES_PER_MODEL = 8 * KB;
const SUMMARY_CONTROL_BYTES = 16 * KB;
/**
 * The running aggregate of replications (results/aggregate.ts): the first summary and a running
 * mean and variance per figure, measured at 2.6 to 7.5 times a summary's heap size (openai-2024:
 * 22 KB and 168 KB), so 4 times the doubled summary estimate. It does not grow with the number of
 * replications.
 */
const AGGREGATE_SUMMARIES = 4;
/** A worker thread: its own V8 isolate with tsx and the simulator loaded (200 workers measured 6 GB). */
const WORKER_BYTES = 32 * 1024 * KB;


export interface MemoryPart {
  what: string;
  bytes: number;
  /** Bytes of it on the V8 heap of the thread that holds it (the rest is typed arrays). */
  heapBytes: number;
}

/** The time-series windows of one run, and their width. */
function windowsOf(sc: Scenario): { windows: number; window_ms: number } {
  const window_ms = defaultWindowMs(sc.duration_s, sc.window_s);
  return { windows: Math.max(1, Math.ceil((sc.duration_s * 1000) / window_ms)), window_ms };
}

/** Memory of one run of the scenario (one replication) while it runs: built state and time series. */
export function runParts(sc: Scenario): MemoryPart[] {
  const { windows, window_ms } = windowsOf(sc);
  const a = scaledArrivals(sc.workload.arrivals, sc.fleet?.scale ?? 1);
  const perWindow = a.kind === 'trace' ? WINDOW_FULL_SAMPLES : a.rate_per_s * (window_ms / 1000);
  const windowBytes = WINDOW_EMPTY_BYTES + WINDOW_FILLED_BYTES * Math.min(1, perWindow / WINDOW_FULL_SAMPLES);
  const parts: MemoryPart[] = [
    { what: 'simulator', bytes: RUN_BASE_BYTES, heapBytes: RUN_BASE_BYTES / 2 },
    { what: `${fmt(windows)} time-series windows of ${fmt(window_ms / 1000)} s`, bytes: windows * windowBytes, heapBytes: windows * windowBytes },
  ];
  const f = sc.fleet;
  if (f) {
    let replicas = 0;
    let forControl = 0;
    let arrays = 0;
    for (const [name, m] of Object.entries(f.models)) {
      for (const [region, r] of Object.entries(f.regions)) {
        const own = scaledCount(m.gpus / gpusPerReplica(m), r.capacity_share, f.scale);
        const n = replicasToAllocate(sc.control, f, name, region, own);
        replicas += n;
        forControl += Math.max(0, n - own);
        arrays += n * (REPLICA_ARRAY_BYTES + REPLICA_BYTES_PER_SEQ * (m.batching.max_num_seqs ?? schedulerForEngine(m.engine).max_num_seqs * gpusPerReplica(m) / m.tp));
      }
    }
    // replicas the control plane may add are named: an autoscaler's max of 2^31 - 1 was refused as
    // the fleet's size, with the advice to lower fleet.scale
    const control = forControl > 0 ? `, ${fmt(forControl)} of them room the control plane may fill (control.autoscalers[].max, control.deploys[].max_surge)` : '';
    parts.push({ what: `${fmt(replicas)} GPU replicas${control}`, bytes: arrays + replicas * REPLICA_HEAP_BYTES, heapBytes: replicas * REPLICA_HEAP_BYTES });
    const users = Math.max(1, Math.min(MAX_SIMULATED_USERS, Math.round(f.users.count * f.scale)));
    parts.push({ what: `${fmt(users)} simulated users`, bytes: users * USER_BYTES, heapBytes: 0 });
  }
  return parts;
}

/** A summary of the scenario kept whole (doubled for slack). */
export function summaryBytes(sc: Scenario): number {
  const stations = sc.topology ? Object.keys(sc.topology.stations).length : 10;
  const models = sc.fleet ? Object.keys(sc.fleet.models).length : 0;
  const faults = sc.faults.length;
  return 2 * (SUMMARY_BASE_BYTES + SUMMARY_BYTES_PER_STATION * (stations + faults) + SUMMARY_BYTES_PER_MODEL * models + (sc.control ? SUMMARY_CONTROL_BYTES : 0));
}

const total = (parts: readonly MemoryPart[], key: 'bytes' | 'heapBytes' = 'bytes') => parts.reduce((a, p) => a + p[key], 0);

/**
 * The estimate for `runs` runs of the scenario (replications), of which `parallel` are simulated
 * at once (on `threads` worker threads, 0: in this thread), aggregated as they complete, plus
 * `keptSummaries` summaries (compare's replications, sweep points, replay variants) and
 * `keptSeries` finished time series held until the end (sweep points).
 */
export function estimateMemory(sc: Scenario, opts: { runs: number; parallel: number; threads: number; keptSeries?: number; keptSummaries?: number; report?: boolean }): MemoryPart[] {
  const run = runParts(sc);
  const series = run[1];
  const parts: MemoryPart[] = run.map((p) => ({ what: opts.parallel > 1 ? `${p.what} x ${fmt(opts.parallel)} runs at once` : p.what, bytes: p.bytes * opts.parallel, heapBytes: p.heapBytes * opts.parallel }));
  // The merged series of the replications (with one run, the run's own) and, for sweeps, one per point.
  const kept = (opts.runs > 1 ? 1 : 0) + (opts.keptSeries ?? 0);
  if (kept > 0) parts.push({ what: kept > 1 ? `${fmt(kept)} merged time series` : 'the merged time series', bytes: series.bytes * kept, heapBytes: series.heapBytes * kept });
  const perSummary = summaryBytes(sc);
  if (opts.runs > 1) parts.push({ what: `the aggregate of ${fmt(opts.runs)} replication summaries`, bytes: perSummary * AGGREGATE_SUMMARIES, heapBytes: perSummary * AGGREGATE_SUMMARIES });
  const keptSummaries = opts.keptSummaries ?? 0;
  if (keptSummaries > 0) parts.push({ what: `${fmt(keptSummaries)} summaries kept until the end`, bytes: perSummary * keptSummaries, heapBytes: perSummary * keptSummaries });
  if (opts.threads > 0) parts.push({ what: `${fmt(opts.threads)} worker threads`, bytes: WORKER_BYTES * opts.threads, heapBytes: 0 });
  if (opts.report === true) {
    const { windows } = windowsOf(sc);
    parts.push({ what: `the report of ${fmt(windows)} windows`, bytes: windows * REPORT_BYTES_PER_WINDOW, heapBytes: windows * REPORT_BYTES_PER_WINDOW });
  }
  return parts;
}

const gb = (bytes: number) => (bytes / GB >= 0.1 ? `${fmt(bytes / GB)} GB` : `${fmt(bytes / 1024 ** 2)} MB`);

/**
 * Refuses (UserError, exit 2) a command whose estimate exceeds limits.max_memory_gb (default
 * DEFAULT_MAX_MEMORY_GB), or whose V8-heap part exceeds what one thread's heap may grow to (the
 * process would abort with "heap out of memory"), or whose arrivals exceed limits.max_events (a
 * sweep's points are checked here, not prepared before they run). Returns the estimate otherwise.
 */
export function checkMemory(sc: Scenario, file: string, opts: Parameters<typeof estimateMemory>[1]): MemoryPart[] {
  checkArrivalBudget(sc, file);
  const parts = estimateMemory(sc, opts);
  const bytes = total(parts);
  const limit_gb = sc.limits.max_memory_gb ?? DEFAULT_MAX_MEMORY_GB;
  const largest = [...parts].sort((x, y) => y.bytes - x.bytes).slice(0, 3);
  const detail = largest.map((p) => `${p.what}: ${gb(p.bytes)}`).join('; ');
  if (!(bytes <= limit_gb * GB)) {
    throw new UserError(
      `${file}: this would need about ${gb(bytes)} of memory (${detail}), over the limit of ${fmt(limit_gb)} GB; shorten duration_s, widen window_s, lower fleet.scale, --replications or --jobs, or raise limits.max_memory_gb if the machine has the memory`,
    );
  }
  // Each thread has its own heap: with workers, the main thread holds what is kept (the last
  // parts) and each worker one run; without, this thread holds everything.
  const mainThread = parts.filter((p) => p.what.includes('merged time series') || p.what.includes('summaries'));
  const heap = opts.threads > 0 ? Math.max(total(mainThread, 'heapBytes'), total(runParts(sc), 'heapBytes')) : total(parts, 'heapBytes');
  const heapLimit = getHeapStatistics().heap_size_limit;
  if (!(heap <= 0.8 * heapLimit)) {
    throw new UserError(
      `${file}: this would need about ${gb(heap)} of JavaScript heap (${detail}), over the ${gb(0.8 * heapLimit)} this Node process may use (80% of its heap limit); widen window_s or lower --replications, or start Node with NODE_OPTIONS=--max-old-space-size=<MB>`,
    );
  }
  return parts;
}

/**
 * A sweep's estimate: every point's runs must fit (points are checked one by one up to
 * `upTo`, the grid size validated upfront), with one aggregated summary kept per point until the
 * end, `parallel` runs at once. A point's time series is written when the point finishes and let
 * go (runSweep's onPoint): at most the points with runs under way (2 x parallel, the runs in
 * flight) and the one being written hold one.
 */
export function checkSweepMemory(scenarioAt: (k: number) => Scenario, points: number, upTo: number, file: string, o: { runs: number; jobs: number }): void {
  const parallel = Math.max(1, Math.min(o.jobs, o.runs));
  for (let k = 0; k < Math.min(points, upTo); k++) {
    try {
      checkMemory(scenarioAt(k), file, { runs: o.runs, parallel, threads: parallel > 1 ? parallel : 0, keptSeries: Math.min(points, 2 * parallel + 1), keptSummaries: points });
    } catch (e) {
      if (e instanceof UserError && points > 1) throw new UserError(`--vary: at point ${k}: ${e.message}`);
      throw e;
    }
  }
}
