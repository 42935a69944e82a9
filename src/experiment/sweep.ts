import { unjudgedReason } from '../results/verdict.ts';
import { createHash } from 'node:crypto';
import { stringify } from 'csv-stringify/sync';
import { UserError } from '../errors.ts';
import { readScenarioDocument, validateScenario } from '../scenario/load.ts';
import { inheritOrigins } from '../scenario/document.ts';
import { allowedPaths, scopeOf } from '../util/paths.ts';
import { excerpt } from '../util/excerpt.ts';
import { applyOverrides } from '../scenario/overrides.ts';
import type { Scenario } from '../scenario/schema.ts';
import { aggregateSummaries } from '../results/aggregate.ts';
import { stationsCsv, timeseriesCsv } from '../report/csv.ts';
import type { Summary } from '../results/summary.ts';
import type { WindowRow } from '../metrics/timeseries.ts';
import { version } from '../version.ts';
import { describePoint, gridSize, indexOf, parseKnobs, pointAt, setPath, type Knob, type KnobValue, type SearchKind } from './grid.ts';
import { inputFiles, prepare } from '../scenario/prepare.ts';
import type { Runner, RunOutput, RunTask } from './parallel.ts';
import { resolveServedModels } from '../fleet/llm/build.ts';
import { inFile } from '../util/in-file.ts';

/**
 * A sweep: a scenario, `--set` overrides, the `--vary` knobs spanning a grid of points, a base
 * seed and a number of replications. Run (point k, replication i) simulates point k's scenario
 * with seed `seed + i`: the same seeds at every point (common random numbers across the grid),
 * whatever thread, process or machine runs it.
 */
export interface SweepMeta {
  fleetsim_version: string;
  scenario: string;
  scenario_file: string;
  seed: number;
  replications: number;
  knobs: { path: string; kind: Knob['kind']; values: KnobValue[] }[];
  points: number;
  /** The sha256 (hex) of the scenario document after --set: the one input `hash` covers that the meta does not hold. */
  document_sha256: string;
  /** Identifies the inputs (version, scenario document after --set, knobs, seed, replications): shards of one sweep share it. */
  hash: string;
}

/**
 * `hash` of a sweep's meta, from its fields alone (the document by its sha256), so that merge can
 * recompute it: a shard.json whose knob values were edited by hand (12 relabelled 16, its points
 * merged under the other value) kept its hash, which covered the document itself, not held there.
 */
export function sweepHash(meta: Omit<SweepMeta, 'hash'>): string {
  const { fleetsim_version, document_sha256, knobs, seed, replications } = meta;
  return createHash('sha256').update(JSON.stringify({ fleetsim_version, document_sha256, knobs, seed, replications })).digest('hex').slice(0, 16);
}

export interface Sweep {
  meta: SweepMeta;
  knobs: Knob[];
  file: string;
  dir: string;
  /** Directories the files the scenario names may come from (util/paths.ts). */
  roots: readonly string[];
  /** The scenarios its `extends:` chain read: inputs. */
  bases: readonly string[];
  /** The validated scenario of point k (validated on first use, cached). */
  scenario(k: number): Scenario;
  /** Point k's scenario with the knobs `keep` at the document's own values (not cached). */
  scenarioWithout(k: number, keep: readonly number[]): Scenario;
  /** The task of run (k, i). */
  task(k: number, i: number): RunTask;
}

export interface SweepInput {
  file: string;
  sets?: readonly string[];
  vary?: readonly string[];
  seed?: number;
  replications?: number;
  /** Directories besides the scenario's own that files it names may come from (default: --allow-path). */
  allowPaths?: readonly string[];
  /** 'bisect' (plan): range knobs are bisected, only list knobs count against the grid cap. */
  search?: SearchKind;
}

/** The refusal of the scenario document itself (the file with --set, no knob applied), if any. */
function documentProblem(docJson: string, doc: unknown, file: string): string | undefined {
  const d = JSON.parse(docJson) as unknown;
  inheritOrigins(d, doc);
  try {
    validateScenario(d, file);
    return undefined;
  } catch (e) {
    if (e instanceof UserError) return e.message;
    throw e;
  }
}

/** Reads the scenario, applies --set, parses --vary and validates point 0 (and so the base scenario). */
export function planSweep(input: SweepInput): Sweep {
  const knobs = parseKnobs(input.vary ?? [], input.search);
  const scope = scopeOf(input.file, input.allowPaths ?? allowedPaths());
  const bases: string[] = [];
  const doc = readScenarioDocument(input.file, scope, bases);
  applyOverrides(doc, input.sets ?? []);
  const docJson = JSON.stringify(doc);
  const { dir, roots } = scope;
  const cache = new Map<number, Scenario>();
  const n = gridSize(knobs);
  const build = (k: number, keep: readonly number[]): Scenario => {
    const d = JSON.parse(docJson) as unknown;
    inheritOrigins(d, doc); // messages name the line of a bad value in the file
    const p = pointAt(knobs, k);
    knobs.forEach((kn, j) => {
      if (!keep.includes(j)) setPath(d, kn.path, p.values[j], `--vary ${kn.spec}`);
    });
    try {
      return validateScenario(d, input.file);
    } catch (e) {
      // a problem of the file or of --set, which every point shares, is not the point's
      if (e instanceof UserError && knobs.length > 0 && documentProblem(docJson, doc, input.file) !== e.message) throw new UserError(`--vary: at point ${k} (${excerpt(describePoint(knobs, p.values))}): ${e.message}`);
      throw e;
    }
  };
  const scenario = (k: number): Scenario => {
    let sc = cache.get(k);
    if (sc) return sc;
    sc = build(k, []);
    if (cache.size > 64) cache.delete(cache.keys().next().value!);
    cache.set(k, sc);
    return sc;
  };
  const first = scenario(0);
  // Traces and other external inputs fail here, before any simulation.
  prepare({ scenario: first, file: input.file, dir, roots });
  const seed = input.seed ?? first.seed;
  const replications = input.replications ?? first.replications;
  const metaKnobs = knobs.map((k) => ({ path: k.path, kind: k.kind, values: k.values }));
  const unhashed = {
    fleetsim_version: version,
    scenario: first.name,
    scenario_file: input.file,
    seed,
    replications,
    knobs: metaKnobs,
    points: n,
    // the document, not its path: shards may see the file under different paths (a container's /app/...)
    document_sha256: createHash('sha256').update(docJson).digest('hex'),
  };
  const hash = sweepHash(unhashed);
  const meta: SweepMeta = { ...unhashed, hash };
  return {
    meta,
    knobs,
    file: input.file,
    dir,
    roots,
    bases,
    scenario,
    scenarioWithout: build,
    task: (k, i) => {
      const sc = scenario(k);
      return { key: `${hash}:${k}`, scenario: sc, file: input.file, dir, roots, seed: (input.seed ?? sc.seed) + i };
    },
  };
}

/**
 * The files a sweep or plan reads (the scenario, its bases, traces, model configs and calibration
 * profiles), which its --out must not replace: `sweep --out DIR` used to replace an earlier report
 * DIR holding the scenario's trace, and `plan --out` (`sweep --out` past its 64th point) one
 * holding a file that only a knob's value names. A number names no file; each other value of each
 * knob is applied alone, one scenario a value rather than one a point: the other knobs as at point
 * 0 (a point of the grid: a sweep refused there writes nothing), else, for a plan, which passes
 * over the configurations the scenario refuses, as the document has them.
 */
export function sweepInputs(sw: Sweep): string[] {
  const files = new Set(filesAt(sw, 0, []));
  sw.knobs.forEach((knob, j) => {
    const others = sw.knobs.map((_, i) => i).filter((i) => i !== j);
    knob.values.forEach((value, v) => {
      if (typeof value === 'number' || typeof value === 'boolean' || value === null) return;
      const idx = sw.knobs.map(() => 0);
      idx[j] = v;
      const k = indexOf(sw.knobs, idx);
      for (const f of filesAt(sw, k, []) ?? filesAt(sw, k, others) ?? []) files.add(f);
    });
  });
  return [...files];
}

/** The input files of point k with the knobs `keep` at the document's values; undefined when that scenario is refused. */
function filesAt(sw: Sweep, k: number, keep: readonly number[]): string[] | undefined {
  try {
    return inputFiles({ scenario: sw.scenarioWithout(k, keep), file: sw.file, dir: sw.dir, bases: sw.bases });
  } catch (e) {
    if (e instanceof UserError) return undefined;
    throw e;
  }
}

/** Grids up to this size are validated whole before any simulation. */
export const VALIDATE_UPFRONT = 10_000;

/**
 * Validates every point (small grids), so a bad value fails before hours of simulation, not during:
 * the schema's checks, and those building the fleet makes of its served models (an engine on a GPU
 * it cannot run was refused by the first run of that point, blaming the scenario file).
 */
export function checkPoints(sw: Sweep): void {
  if (sw.meta.points > VALIDATE_UPFRONT) return;
  const resolved = new Set<string>();
  for (let k = 0; k < sw.meta.points; k++) {
    const fleet = sw.scenario(k).fleet;
    // points serving the same models resolve alike: each set once
    const key = fleet === undefined ? '' : JSON.stringify([fleet.models, fleet.prices]);
    if (fleet === undefined || resolved.has(key)) continue;
    resolved.add(key);
    const problem = servedProblem(sw, fleet);
    if (problem === undefined) continue;
    // a problem of the file or of --set, which the document without the knobs shares, is not the point's
    if (sw.knobs.length === 0 || problem === documentServedProblem(sw, k)) throw new UserError(problem);
    throw new UserError(`--vary: at point ${k} (${excerpt(describePoint(sw.knobs, pointAt(sw.knobs, k).values))}): ${problem}`);
  }
}

/** Why building the fleet would refuse a served model or pool of `fleet` (the message naming the scenario file), or undefined. */
function servedProblem(sw: Sweep, fleet: NonNullable<Scenario['fleet']>): string | undefined {
  try {
    inFile(sw.file, () => resolveServedModels({ file: sw.file, dir: sw.dir, roots: sw.roots }, fleet));
    return undefined;
  } catch (e) {
    if (e instanceof UserError) return e.message;
    throw e;
  }
}

/** servedProblem of the document as the file and --set have it, the knobs left out (undefined when the schema refuses it). */
function documentServedProblem(sw: Sweep, k: number): string | undefined {
  let fleet: Scenario['fleet'];
  try {
    fleet = sw.scenarioWithout(k, sw.knobs.map((_, j) => j)).fleet;
  } catch (e) {
    if (e instanceof UserError) return undefined;
    throw e;
  }
  return fleet === undefined ? undefined : servedProblem(sw, fleet);
}

/** One point's result: the summary aggregated over its replications and its merged time series. */
export interface PointResult {
  index: number;
  values: KnobValue[];
  summary: Summary;
  timeseries: WindowRow[];
}

/**
 * Combines a point's runs, given in replication order: the summary is a function of the
 * per-replication summaries, the time series merges the per-window sketches in that order.
 * Sweeps, `run --jobs` and `merge` all go through here, so they agree.
 */
export function finishPoint(knobs: readonly Knob[], index: number, runs: readonly RunOutput[]): PointResult {
  const series = runs[0].timeseries;
  for (let i = 1; i < runs.length; i++) series.merge(runs[i].timeseries);
  return { index, values: pointAt(knobs, index).values, summary: aggregateSummaries(runs.map((r) => r.summary)), timeseries: series.rows(runs.length) };
}

/** Runs `fn` over items with at most `limit` in flight; resolves when all are done (first error rejects). */
export async function forEachLimited<T>(items: Iterable<T>, limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  const it = items[Symbol.iterator]();
  let failed: unknown;
  const lane = async () => {
    for (;;) {
      if (failed !== undefined) return;
      const n = it.next();
      if (n.done) return;
      try {
        await fn(n.value);
      } catch (e) {
        failed ??= e;
        return;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, limit) }, lane));
  if (failed !== undefined) throw failed;
}

/** The (point, replication) pairs of a sweep in order: pair j = k * replications + i. */
export function* pairs(meta: Pick<SweepMeta, 'points' | 'replications'>, keep: (j: number) => boolean = () => true): Generator<[number, number]> {
  for (let k = 0; k < meta.points; k++) for (let i = 0; i < meta.replications; i++) if (keep(k * meta.replications + i)) yield [k, i];
}

/**
 * Runs every point of the sweep on the runner; `onRun(k, i)` reports progress in completion
 * order, but the result is in grid order and does not depend on the runner. With `onPoint`, each
 * point is handed over as it finishes (its files written) and kept without its time series: what
 * the sweep holds to the end is then one aggregated summary per point, not a series per point.
 */
export async function runSweep(sw: Sweep, runner: Runner, onRun?: (k: number, i: number) => void, onPoint?: (p: PointResult) => void): Promise<PointResult[]> {
  const { points, replications } = sw.meta;
  const pending = new Map<number, RunOutput[]>();
  const done = new Map<number, number>();
  const results: PointResult[] = new Array(points);
  await forEachLimited(pairs(sw.meta), 2 * runner.jobs, async ([k, i]) => {
    const out = await runner.run(sw.task(k, i));
    onRun?.(k, i);
    let bucket = pending.get(k);
    if (!bucket) pending.set(k, (bucket = new Array(replications)));
    bucket[i] = out;
    const n = (done.get(k) ?? 0) + 1;
    done.set(k, n);
    if (n === replications) {
      pending.delete(k);
      const point = finishPoint(sw.knobs, k, bucket);
      onPoint?.(point);
      results[k] = onPoint ? { ...point, timeseries: [] } : point;
    }
  });
  return results;
}

// ---------------------------------------------------------------------------------------------
// The sweep table (sweep.csv)

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => x !== null && typeof x === 'object' && !Array.isArray(x);

/** A headline figure: its column name and where it sits in summary.json (`path` is [block..., key]). */
interface Column {
  name: string;
  path: string[];
}

function figure(s: Summary, path: readonly string[]): { value: number | null; ci?: [number, number] } | undefined {
  let node: unknown = s;
  for (let j = 0; j < path.length - 1; j++) {
    if (!isObj(node)) return undefined;
    node = node[path[j]];
  }
  if (!isObj(node)) return undefined;
  const leaf = path[path.length - 1];
  if (!(leaf in node)) return undefined;
  const v = node[leaf];
  const ci = isObj(node.ci95) ? node.ci95[leaf] : undefined;
  return { value: typeof v === 'number' ? v : null, ...(Array.isArray(ci) ? { ci: ci as [number, number] } : {}) };
}

/** The latency figures of each served model in the tables: TTFT, TPOT and end-to-end, median and p99. */
const MODEL_LATENCIES = ['ttft', 'tpot', 'e2e'] as const;

/** Headline columns present in any summary, in a fixed order (per-model, per-station ones by first appearance). */
export function headlineColumns(summaries: readonly Summary[]): Column[] {
  const cols: Column[] = [
    { name: 'e2e_p50_ms', path: ['latency_ms', 'e2e', 'p50'] },
    { name: 'e2e_p99_ms', path: ['latency_ms', 'e2e', 'p99'] },
    { name: 'ttft_p50_ms', path: ['latency_ms', 'ttft', 'p50'] },
    { name: 'ttft_p99_ms', path: ['latency_ms', 'ttft', 'p99'] },
    { name: 'error_rate', path: ['requests', 'error_rate'] },
    { name: 'throughput_per_s', path: ['requests', 'throughput_per_s'] },
    { name: 'cost_monthly_usd', path: ['cost', 'monthly_usd'] },
  ].filter((c) => summaries.some((s) => figure(s, c.path) !== undefined));
  const models: string[] = [];
  const gpuModels: string[] = [];
  const stations: string[] = [];
  const add = (list: string[], names: object | undefined) => {
    for (const n of Object.keys(names ?? {})) if (!list.includes(n)) list.push(n);
  };
  for (const s of summaries) {
    add(models, s.by_model);
    add(gpuModels, s.gpu);
    add(stations, s.stations);
  }
  for (const m of models) {
    for (const kind of MODEL_LATENCIES) {
      for (const q of ['p50', 'p99']) {
        const c = { name: `${kind}_${q}_ms.${m}`, path: ['by_model', m, 'latency_ms', kind, q] };
        if (summaries.some((s) => figure(s, c.path) !== undefined)) cols.push(c);
      }
    }
  }
  for (const m of gpuModels) cols.push({ name: `gpu_busy.${m}`, path: ['gpu', m, 'busy_fraction'] });
  for (const st of stations) cols.push({ name: `utilization.${st}`, path: ['stations', st, 'utilization'] });
  return cols;
}

export interface SweepRow {
  [column: string]: string | number | boolean | null;
}

/** The header cells of figure columns: each figure, then its 95% CI as two columns (`_lo95`, `_hi95`). */
export function figureHeader(cols: readonly Column[]): string[] {
  return cols.flatMap((c) => [c.name, `${c.name}_lo95`, `${c.name}_hi95`]);
}

/** Sets a summary's figures in `row` (null where it has none, and for the CI with one replication). */
export function setFigures(row: SweepRow, cols: readonly Column[], s: Summary | undefined): void {
  for (const c of cols) {
    const f = s ? figure(s, c.path) : undefined;
    row[c.name] = f?.value ?? null;
    row[`${c.name}_lo95`] = f?.ci ? f.ci[0] : null;
    row[`${c.name}_hi95`] = f?.ci ? f.ci[1] : null;
  }
}

/** One row per point (grid order): index, knob values, complete, then each headline figure with its 95% CI. */
export function sweepRows(knobs: readonly Knob[], points: readonly PointResult[]): { header: string[]; rows: SweepRow[] } {
  const cols = headlineColumns(points.map((p) => p.summary));
  const header = ['point', ...knobs.map((k) => k.path), 'replications', 'complete', 'steady_state', 'warnings', ...figureHeader(cols)];
  const rows = points.map((p) => {
    const row: SweepRow = { point: p.index };
    knobs.forEach((k, j) => (row[k.path] = csvValue(p.values[j])));
    row.replications = p.summary.replications;
    row.complete = p.summary.complete;
    // a point past capacity reads a latency of its run's length: said beside its figures
    row.steady_state = steadyStateWord(p.summary);
    row.warnings = (p.summary.verdict?.warnings ?? []).map((w) => w.code).join(';');
    setFigures(row, cols, p.summary);
    return row;
  });
  return { header, rows };
}

/** "yes", "no" (the backlog grows: latencies measure the run's length) or "not judged" (too short to tell). */
export function steadyStateWord(s: Summary): string {
  if (!s.verdict) return '';
  if (!s.verdict.steady_state.ok) return 'no';
  return unjudgedReason(s) !== undefined ? 'not judged' : 'yes';
}

export function csvValue(v: KnobValue): string | number | boolean | null {
  if (v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  return JSON.stringify(v);
}

export function sweepCsv(knobs: readonly Knob[], points: readonly PointResult[]): string {
  const { header, rows } = sweepRows(knobs, points);
  return rowsCsv(header, rows);
}

/** A CSV of plain cells: numbers as numbers, booleans as 1/0, missing figures empty. */
export function rowsCsv(header: readonly string[], rows: readonly SweepRow[]): string {
  return stringify(
    rows.map((r) => header.map((h) => (r[h] === null || r[h] === undefined ? '' : typeof r[h] === 'boolean' ? (r[h] ? 1 : 0) : r[h]))),
    { header: true, columns: [...header] },
  );
}

/** `points/0007` (zero-padded so a listing sorts in grid order). */
export function pointDir(k: number, points: number): string {
  return `points/${String(k).padStart(Math.max(4, String(points - 1).length), '0')}`;
}

/** sweep.json: what was swept and where each point's report is. Has no wall-clock fields. */
export function sweepManifest(meta: SweepMeta, points: readonly PointResult[]): object {
  return {
    ...meta,
    kind: 'sweep',
    complete: points.every((p) => p.summary.complete),
    results: points.map((p) => ({
      point: p.index,
      values: Object.fromEntries(meta.knobs.map((k, j) => [k.path, p.values[j]])),
      complete: p.summary.complete,
      dir: pointDir(p.index, meta.points),
    })),
  };
}

const json = (x: unknown) => `${JSON.stringify(x, null, 2)}\n`;

/**
 * Every file of a sweep's output except the charts: sweep.json, sweep.csv and, per point,
 * points/NNNN/{summary.json, timeseries.csv, stations.csv} (pointFiles). A one-point sweep (no
 * --vary) also gets summary.json, timeseries.csv and stations.csv at the top, like `fleetsim run`.
 */
export function sweepFiles(meta: SweepMeta, knobs: readonly Knob[], points: readonly PointResult[]): Record<string, string> {
  return Object.assign(sweepIndexFiles(meta, knobs, points), ...points.map((p) => pointFiles(meta, p)));
}

/** sweep.json and sweep.csv: what is left to write once every point's own files are written. */
export function sweepIndexFiles(meta: SweepMeta, knobs: readonly Knob[], points: readonly PointResult[]): Record<string, string> {
  return {
    'sweep.json': json(sweepManifest(meta, points)),
    'sweep.csv': sweepCsv(knobs, points),
  };
}

/** One point's files, written as soon as it finishes (runSweep's onPoint). */
export function pointFiles(meta: SweepMeta, p: PointResult): Record<string, string> {
  const d = pointDir(p.index, meta.points);
  const series = timeseriesCsv(p.timeseries, p.summary.faults ?? [], p.summary.window_s);
  const stations = stationsCsv(p.summary);
  const summary = json(p.summary);
  const files: Record<string, string> = { [`${d}/summary.json`]: summary, [`${d}/timeseries.csv`]: series, [`${d}/stations.csv`]: stations };
  if (meta.points === 1) Object.assign(files, { 'summary.json': summary, 'timeseries.csv': series, 'stations.csv': stations });
  return files;
}
