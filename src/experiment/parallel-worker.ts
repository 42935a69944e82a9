import { adoptCommandDeadline } from '../util/wall-budget.ts';
import { UserError } from '../errors.ts';
import type { Scenario } from '../scenario/schema.ts';
import { summarizeRun, type Summary } from '../results/summary.ts';
import type { TimeSeries, TimeSeriesJSON } from '../metrics/timeseries.ts';
import { LatencyStats, type LatencyStatsJSON } from '../metrics/latency.ts';
import { prepare, type Prepared } from '../scenario/prepare.ts';
import { defaultWindowMs, simulate } from './simulate.ts';
import type { RunResult } from '../results/run-result.ts';

/**
 * One simulation, as a task for a worker thread (or run in-process): the validated scenario of
 * a point and a seed in, the run's summary and its time series out. Nothing here depends on the
 * thread that runs it, so a task gives the same answer wherever it runs.
 */
export interface RunTask {
  /** Identifies the scenario for the per-thread cache of prepared scenarios (traces loaded once). */
  key: string;
  scenario: Scenario;
  /** The scenario file as given (copied into summary.json) and its directory (relative paths). */
  file: string;
  dir: string;
  /** Directories the files the scenario names may come from (util/paths.ts); default: `dir` alone. */
  roots?: readonly string[];
  seed: number;
  /** Also return the latency sketches the report's CDF chart pools (`run --jobs`). */
  sketches?: boolean;
  /**
   * Shared with the thread that hands out tasks (see parallel.ts, Runner.stop): non-zero asks the
   * run to stop at its next check (within ~1,000 events) and return what it simulated, marked
   * stopped. A signal reaches only the main thread; this is how it reaches a worker's busy loop.
   */
  abort?: Int32Array;
  /** The command's wall-clock deadline (epoch ms, util/wall-budget.ts): a worker's runs stop there too. */
  deadline_epoch_ms?: number;
}

/**
 * The latency sketches of a run that the report's distribution chart reads (see
 * results/distributions.ts, DistributionCollector.add), at the same paths, serialised.
 */
export interface RunSketchesJSON {
  e2e?: LatencyStatsJSON;
  client?: { e2e?: LatencyStatsJSON; e2eByClass?: (LatencyStatsJSON | null)[] };
  fleet?: { served: { name: string }[]; metrics: { models: { ttft?: LatencyStatsJSON; e2e?: LatencyStatsJSON }[] } };
}

const ser = (x: unknown): LatencyStatsJSON | undefined => (x instanceof LatencyStats ? x.toJSON() : undefined);
const de = (x: LatencyStatsJSON | null | undefined): LatencyStats | undefined => (x ? LatencyStats.fromJSON(x) : undefined);

export function sketchesOf(r: RunResult): RunSketchesJSON {
  const run = r as unknown as {
    e2e?: unknown;
    client?: { e2e?: unknown; e2eByClass?: unknown[] };
    fleet?: { served?: { name: string }[]; metrics?: { models?: { ttft?: unknown; e2e?: unknown }[] } };
  };
  const out: RunSketchesJSON = {};
  if (run.e2e) out.e2e = ser(run.e2e);
  if (run.client) out.client = { e2e: ser(run.client.e2e), e2eByClass: run.client.e2eByClass?.map((x) => ser(x) ?? null) };
  if (Array.isArray(run.fleet?.served)) {
    out.fleet = {
      served: run.fleet.served.map((s) => ({ name: s.name })),
      metrics: { models: (run.fleet.metrics?.models ?? []).map((m) => ({ ttft: ser(m.ttft), e2e: ser(m.e2e) })) },
    };
  }
  return out;
}

/** A run-shaped object holding the rebuilt sketches, for DistributionCollector.add. */
export function runFromSketches(j: RunSketchesJSON): RunResult {
  return {
    e2e: de(j.e2e),
    client: j.client ? { e2e: de(j.client.e2e), e2eByClass: j.client.e2eByClass?.map((x) => de(x)) } : undefined,
    fleet: j.fleet ? { served: j.fleet.served, metrics: { models: j.fleet.metrics.models.map((m) => ({ ttft: de(m.ttft), e2e: de(m.e2e) })) } } : undefined,
  } as unknown as RunResult;
}

/** What a task returns across the thread boundary: plain data only. */
export type TaskReply =
  | { ok: true; summary: Summary; timeseries: TimeSeriesJSON; sketches?: RunSketchesJSON }
  | { ok: false; user: boolean; message: string; stack?: string };

/** A finished run: the per-replication summary and the time series, live. */
export interface RunOutput {
  summary: Summary;
  timeseries: TimeSeries;
  /** The run itself (in-process) or its latency sketches in a run-shaped object (from a worker), when asked for. */
  run?: RunResult;
}

const CACHE_LIMIT = 8;
const cache = new Map<string, Prepared>();

/** The external inputs prepare() loads for a scenario (trace files): points that agree on them share the loaded traces. */
function inputsKey(task: RunTask): string {
  const sc = task.scenario;
  const a = sc.workload.arrivals;
  const tokens = Object.entries(sc.fleet?.models ?? {}).map(([name, m]) => [name, 'trace' in m.tokens ? m.tokens.trace : null]);
  return JSON.stringify([task.dir, task.roots ?? null, task.file, a.kind === 'trace' ? a.file : null, tokens]);
}

/** What prepare() returns besides the scenario and its location: the loaded traces. Anything else disables the sharing. */
const SHAREABLE = new Set(['scenario', 'file', 'dir', 'roots', 'trace', 'tokenTraces']);
const byInputs = new Map<string, Prepared>();

/**
 * Prepares a task's scenario, once per key per thread (a few most recent kept). Sweep points
 * differ in the scenario but mostly not in the trace files, so a point whose trace files were
 * loaded for another point reuses them instead of parsing the CSVs again.
 */
export function preparedFor(task: RunTask): Prepared {
  let prep = cache.get(task.key);
  if (!prep) {
    const ik = inputsKey(task);
    const twin = byInputs.get(ik);
    if (twin) prep = { ...twin, scenario: task.scenario };
    else {
      prep = prepare({ scenario: task.scenario, file: task.file, dir: task.dir, roots: task.roots });
      if (Object.keys(prep).every((k) => SHAREABLE.has(k))) {
        byInputs.set(ik, prep);
        if (byInputs.size > CACHE_LIMIT) byInputs.delete(byInputs.keys().next().value!);
      }
    }
    cache.set(task.key, prep);
    if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  }
  return prep;
}

/** Simulates one (scenario, seed) and summarises it, exactly as `runReplications` does for one replication. */
export function runPrepared(prep: Prepared, seed: number, keepRun = false, abort?: Int32Array): RunOutput {
  return outputOf(prep, simulate(prep, seed, abort ? () => Atomics.load(abort, 0) !== 0 : undefined), keepRun);
}

/** A finished (or stopped) run as a task's output. */
export function outputOf(prep: Prepared, r: RunResult, keepRun: boolean): RunOutput {
  const window_ms = defaultWindowMs(prep.scenario.duration_s, prep.scenario.window_s);
  return { summary: summarizeRun(prep, r, window_ms), timeseries: r.timeseries, ...(keepRun ? { run: r } : {}) };
}

/** The worker thread's entry (see worker.mjs): never throws, so errors keep their kind across the boundary. */
export default function runTask(task: RunTask): TaskReply {
  try {
    adoptCommandDeadline(task.deadline_epoch_ms);
    const out = runPrepared(preparedFor(task), task.seed, task.sketches === true, task.abort);
    return { ok: true, summary: out.summary, timeseries: out.timeseries.toJSON(), ...(out.run ? { sketches: sketchesOf(out.run) } : {}) };
  } catch (e) {
    const err = e as Error;
    return { ok: false, user: e instanceof UserError, message: err.message ?? String(e), stack: err.stack };
  }
}
