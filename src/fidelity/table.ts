import { basename } from 'node:path';
import type { CorpusRow, Kind, Split } from './corpus.ts';
import { FIRST_TOKEN_SHORT_LOAD, NEAR_CAPACITY_LOAD } from '../perf/model-error.ts';
import { RATE_SCAN_DOWN, RATE_SCAN_UP, type Prediction } from './predict.ts';
import { maxOf } from '../util/extremes.ts';

/**
 * fleetsim's error against a corpus: per row the measured and predicted figures and the signed
 * error (predicted - measured) / measured; per group the mean absolute percentage error (MAPE)
 * and the mean signed error (bias: positive = fleetsim predicts too high).
 */
export type SplitFilter = Split | 'all';
export const SPLIT_FILTERS: readonly SplitFilter[] = ['validation', 'calibration', 'all'];

/** Kinds grouped as the table reports them: every serving_* figure is `serving`; the prefix
 *  cache's own figures (hit_rate, throughput_ratio) are `prefix_cache`. */
export const KIND_GROUPS = ['prefill', 'decode', 'latency', 'throughput', 'serving', 'prefix_cache'] as const;
export type KindGroup = (typeof KIND_GROUPS)[number];
export const kindGroup = (k: Kind): KindGroup => {
  if (k.startsWith('serving_')) return 'serving';
  return k === 'hit_rate' || k === 'throughput_ratio' ? 'prefix_cache' : k as KindGroup;
};

export interface RowResult {
  readonly id: string;
  readonly file: string;
  readonly line: number;
  readonly split: Split;
  readonly kind: Kind;
  readonly statistic: string;
  readonly unit: string;
  readonly gpu: string;
  readonly model: string;
  readonly stack: string;
  readonly dtype: string;
  readonly tp: number;
  readonly measured: number;
  readonly predicted: number;
  readonly error_pct: number;
  readonly steady: boolean;
  /** open-loop serving rows: offered rate over the simulated capacity (NaN, null in JSON, for others) */
  readonly load: number;
  readonly notes: readonly string[];
  /** a finite run whose figure turns on its sample: its lowest and highest error over its seeds (absent for other rows) */
  readonly sample_error_pct?: readonly [number, number];
  /**
   * `fidelity --rate-scan`, a latency row at load NEAR_CAPACITY_LOAD to 1: how far above (+) or
   * below the published request rate fleetsim reads the measured figure, in percent: fleetsim's
   * error in the rate the replica serves within that latency (absent for rows not scanned)
   */
  readonly capacity_error_pct?: number;
  /** true when the figure lies beyond every rate the scan could read (its run stopped settling, or the last scanned): the error is at least capacity_error_pct */
  readonly capacity_error_beyond?: boolean;
}

/** Rows whose capacity error at their figure is within this many percent are counted in the summary. */
export const CAPACITY_ERROR_BOUND_PCT = 5;

/** The rate scan's rows: how many were scanned, how many reached their figure, and the errors of those. */
export interface CapacityErrorStat {
  readonly scanned: number;
  readonly reached: number;
  /** mean absolute and mean signed capacity error of the rows that reached their figure (NaN when none did) */
  readonly mean_abs_pct: number;
  readonly bias_pct: number;
  /**
   * rows whose figure lies beyond the scanned rates, above the published rate and below it, and the
   * mean of each side's bounds (the least error each row can have; a bound above and one below are
   * not averaged together: NaN for a side with none)
   */
  readonly beyond_above: number;
  readonly beyond_above_mean_bound_pct: number;
  readonly beyond_below: number;
  readonly beyond_below_mean_bound_pct: number;
  /** of the scanned rows, the share within CAPACITY_ERROR_BOUND_PCT, and the share of their latencies within POINT_ERROR_BOUND_PCT */
  readonly within_bound_pct: number;
  readonly latency_within_bound_pct: number;
}

/** A row whose errors over its seeds span at least this many points is flagged: its figure turns on the sample. */
export const SAMPLE_SPAN_FLAG_PCT = 5;

export interface GroupStat {
  readonly n: number;
  /** NaN (null in JSON) when the group is empty */
  readonly mape_pct: number;
  readonly bias_pct: number;
  /** the share of its rows, in percent, within POINT_ERROR_BOUND_PCT: a mean hides the rows a planner would be misled by */
  readonly within_bound_pct: number;
}

/** The per-row error the corpus's points are held to (docs/fidelity.md): the share within it is shown beside each MAPE. */
export const POINT_ERROR_BOUND_PCT = 25;

export interface NotEvaluated {
  readonly reason: string;
  readonly count: number;
  readonly ids: readonly string[];
}

export interface FidelityTable {
  readonly split: SplitFilter;
  readonly rows_in_corpus: number;
  readonly rows_in_split: number;
  readonly evaluated: number;
  /** evaluated rows whose simulated run did not settle (counted in the MAPE all the same) */
  readonly unsteady: number;
  /** rows whose errors over their seeds span SAMPLE_SPAN_FLAG_PCT points or more, and the widest span */
  readonly sample_dependent: number;
  readonly widest_sample_span_pct: number;
  /** the seeds those rows were read with (0 when no row was) */
  readonly sample_seeds: number;
  readonly not_evaluated: readonly NotEvaluated[];
  readonly overall: GroupStat;
  readonly by_kind: Readonly<Record<string, GroupStat>>;
  readonly by_gpu: Readonly<Record<string, GroupStat>>;
  readonly by_stack: Readonly<Record<string, GroupStat>>;
  readonly by_dtype: Readonly<Record<string, GroupStat>>;
  /** open-loop serving rows below NEAR_CAPACITY_LOAD of their simulated capacity, from it to 1, above 1 */
  readonly by_load: Readonly<Record<string, GroupStat>>;
  /** by corpus file (its name, or its path where two share a name): parts differ in what was fitted
   *  on them and when they were transcribed; printed when the rows come from more than one */
  readonly by_file: Readonly<Record<string, GroupStat>>;
  /** with `--rate-scan`: the near-capacity latency rows' capacity errors (absent without it) */
  readonly capacity_error?: CapacityErrorStat;
  readonly rows: readonly RowResult[];
}

/** The rate scan's summary over the rows it scanned, or undefined when it scanned none. */
function capacityErrorStat(rows: readonly RowResult[]): CapacityErrorStat | undefined {
  const scanned = rows.filter((r) => r.capacity_error_pct !== undefined && !Number.isNaN(r.capacity_error_pct));
  if (scanned.length === 0) return undefined;
  const reached = scanned.filter((r) => !r.capacity_error_beyond).map((r) => r.capacity_error_pct!);
  const beyond = scanned.filter((r) => r.capacity_error_beyond).map((r) => r.capacity_error_pct!);
  const above = beyond.filter((e) => e >= 0), below = beyond.filter((e) => e < 0);
  const within = reached.filter((e) => Math.abs(e) <= CAPACITY_ERROR_BOUND_PCT).length;
  const latencyWithin = scanned.filter((r) => Math.abs(r.error_pct) <= POINT_ERROR_BOUND_PCT).length;
  const g = groupStat(reached);
  return {
    scanned: scanned.length, reached: reached.length, mean_abs_pct: g.mape_pct, bias_pct: g.bias_pct,
    beyond_above: above.length, beyond_above_mean_bound_pct: groupStat(above).bias_pct,
    beyond_below: below.length, beyond_below_mean_bound_pct: groupStat(below).bias_pct,
    within_bound_pct: (100 * within) / scanned.length, latency_within_bound_pct: (100 * latencyWithin) / scanned.length,
  };
}

export function groupStat(errors_pct: readonly number[]): GroupStat {
  const n = errors_pct.length;
  if (n === 0) return { n, mape_pct: NaN, bias_pct: NaN, within_bound_pct: NaN };
  let abs = 0, signed = 0, within = 0;
  for (const e of errors_pct) {
    abs += Math.abs(e);
    signed += e;
    if (Math.abs(e) <= POINT_ERROR_BOUND_PCT) within++;
  }
  return { n, mape_pct: abs / n, bias_pct: signed / n, within_bound_pct: (100 * within) / n };
}

function groupBy(rows: readonly RowResult[], key: (r: RowResult) => string, order?: readonly string[]): Record<string, GroupStat> {
  const groups = new Map<string, number[]>();
  for (const k of order ?? []) groups.set(k, []);
  for (const r of rows) {
    const k = key(r);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(r.error_pct);
  }
  const keys = order ? [...groups.keys()] : [...groups.keys()].sort();
  return Object.fromEntries(keys.filter((k) => groups.get(k)!.length > 0).map((k) => [k, groupStat(groups.get(k)!)]));
}

function rowResult(row: CorpusRow, p: Extract<Prediction, { status: 'predicted' }>): RowResult {
  const errorPct = (v: number) => (100 * (v - row.value)) / row.value;
  return {
    id: row.id, file: row.file, line: row.line, split: row.split, kind: row.kind, statistic: row.statistic, unit: row.unit,
    gpu: row.gpu, model: row.model, stack: row.stack, dtype: row.dtype, tp: row.tp,
    measured: row.value, predicted: p.value, error_pct: errorPct(p.value),
    steady: p.steady, load: p.load, notes: p.notes,
    ...(p.sampleRange ? { sample_error_pct: [errorPct(p.sampleRange.min), errorPct(p.sampleRange.max)] as const } : {}),
    ...(p.rateAtFigure !== undefined ? { capacity_error_pct: 100 * (p.rateAtFigure.multiple - 1), capacity_error_beyond: p.rateAtFigure.beyond } : {}),
  };
}

/** The span, in points of error, of a row's seeds' samples (0 without them). */
function sampleSpan(r: RowResult): number {
  return r.sample_error_pct ? r.sample_error_pct[1] - r.sample_error_pct[0] : 0;
}

/** The table for the rows of one split (or all), pairing rows and predictions by id. */
export function summarize(rows: readonly CorpusRow[], predictions: readonly Prediction[], split: SplitFilter = 'all'): FidelityTable {
  const byId = new Map(predictions.map((p) => [p.id, p]));
  const inSplit = rows.filter((r) => split === 'all' || r.split === split);
  const results: RowResult[] = [];
  const skipped = new Map<string, string[]>();
  for (const row of inSplit) {
    const p = byId.get(row.id);
    if (!p) throw new Error(`summarize: no prediction for row ${row.id}`);
    if (p.status === 'predicted') results.push(rowResult(row, p));
    else {
      // appended in place: a copy per row made 100,000 unevaluated rows take 49 s
      const ids = skipped.get(p.reason);
      if (ids) ids.push(row.id);
      else skipped.set(p.reason, [row.id]);
    }
  }
  const capacity = capacityErrorStat(results);
  const notEvaluated = [...skipped].map(([reason, ids]) => ({ reason, count: ids.length, ids }))
    .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
  return {
    split,
    rows_in_corpus: rows.length,
    rows_in_split: inSplit.length,
    evaluated: results.length,
    unsteady: results.filter((r) => !r.steady).length,
    sample_dependent: results.filter((r) => sampleSpan(r) >= SAMPLE_SPAN_FLAG_PCT).length,
    sample_seeds: predictions.reduce((m, p) => Math.max(m, p.status === 'predicted' ? p.sampleRange?.seeds ?? 0 : 0), 0),
    widest_sample_span_pct: results.reduce((m, r) => Math.max(m, sampleSpan(r)), 0),
    not_evaluated: notEvaluated,
    overall: groupStat(results.map((r) => r.error_pct)),
    by_kind: groupBy(results, (r) => kindGroup(r.kind), KIND_GROUPS),
    by_gpu: groupBy(results, (r) => r.gpu),
    by_stack: groupBy(results, (r) => r.stack),
    by_dtype: groupBy(results, (r) => r.dtype),
    by_load: groupBy(results.filter((r) => !Number.isNaN(r.load)), loadGroup, LOAD_GROUPS),
    by_file: groupBy(results, fileLabels(results)),
    ...(capacity ? { capacity_error: capacity } : {}),
    rows: results,
  };
}

/** A row's file by its name, or by its whole path where two of the files share a name. */
function fileLabels(rows: readonly RowResult[]): (r: RowResult) => string {
  const paths = new Set(rows.map((r) => r.file));
  const names = new Map<string, number>();
  for (const f of paths) names.set(basename(f), (names.get(basename(f)) ?? 0) + 1);
  return (r) => (names.get(basename(r.file))! > 1 ? r.file : basename(r.file));
}

/** Open-loop serving rows by load. From FIRST_TOKEN_SHORT_LOAD first tokens read short of published
 *  runs; near capacity a latency's error is mostly the capacity error, amplified; above it both the
 *  real queue and the simulated one grow for the run's length. */
const SHORT = FIRST_TOKEN_SHORT_LOAD.toFixed(2);
const NEAR = NEAR_CAPACITY_LOAD.toFixed(2);
export const LOAD_GROUPS = [`below ${SHORT}`, `${SHORT} to ${NEAR}`, `${NEAR} to 1`, 'above 1'] as const;
const loadGroup = (r: RowResult): string => LOAD_GROUPS[r.load < FIRST_TOKEN_SHORT_LOAD ? 0 : r.load < NEAR_CAPACITY_LOAD ? 1 : r.load <= 1 ? 2 : 3];

const pct = (x: number, signed = false) => (Number.isNaN(x) ? '-' : `${signed && x >= 0 ? '+' : ''}${x.toFixed(1)}%`);

/** Figures with 4 significant digits, no exponent: 0.01234, 12.34, 1234, 123456. */
function figure(x: number): string {
  if (x >= 1000) return Math.round(x).toString();
  return x.toPrecision(4);
}

/** Columns padded to their widest cell, two spaces apart (text tables of `fidelity`). */
export function pad(cells: readonly string[][], rightAligned: readonly boolean[]): string[] {
  const widths = cells[0].map((_, i) => maxOf(cells.map((r) => r[i].length)));
  return cells.map((r) => r.map((c, i) => (rightAligned[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd());
}

function groupLines(t: FidelityTable): string[] {
  const row = (name: string, g: GroupStat) => [name, String(g.n), pct(g.mape_pct), pct(g.bias_pct, true), pct(g.within_bound_pct)];
  const cells: string[][] = [['', 'n', 'MAPE', 'bias', `within ${POINT_ERROR_BOUND_PCT}%`], row('overall', t.overall)];
  const sections: [string, Readonly<Record<string, GroupStat>>][] = [
    ['kind', t.by_kind], ['gpu', t.by_gpu], ['stack', t.by_stack], ['dtype', t.by_dtype], ['serving at load', t.by_load],
    ['file', Object.keys(t.by_file).length > 1 ? t.by_file : {}],
  ];
  for (const [name, groups] of sections) {
    for (const [k, g] of Object.entries(groups)) cells.push(row(`${name} ${k}`, g));
  }
  return pad(cells, [false, true, true, true, true]);
}

function rowLines(t: FidelityTable): string[] {
  const cells: string[][] = [['id', 'kind', 'statistic', 'unit', 'measured', 'predicted', 'error', 'load', '']];
  for (const r of t.rows) {
    const load = Number.isNaN(r.load) ? '' : r.load.toFixed(2);
    const capacity = r.capacity_error_pct === undefined || Number.isNaN(r.capacity_error_pct) ? ''
      : `rate at figure ${r.capacity_error_beyond ? (r.capacity_error_pct >= 0 ? 'beyond ' : 'below ') : ''}${pct(r.capacity_error_pct, true)}`;
    const flags = [r.steady ? '' : 'unsteady', sampleSpan(r) >= SAMPLE_SPAN_FLAG_PCT ? `samples ${pct(r.sample_error_pct![0], true)} to ${pct(r.sample_error_pct![1], true)}` : '', capacity];
    cells.push([r.id, r.kind, r.statistic, r.unit, figure(r.measured), figure(r.predicted), pct(r.error_pct, true), load, flags.filter(Boolean).join(', ')]);
  }
  const lines = pad(cells, [false, false, false, false, true, true, true, true, false]);
  for (const r of t.rows) for (const n of r.notes) lines.push(`  ${r.id}: ${n}`);
  return lines;
}

/** Plain-text report: the groups, what was not evaluated and why, and with `rows` every row. */
export function formatTable(t: FidelityTable, opts: { rows?: boolean; factors?: string; notes?: readonly string[] } = {}): string {
  const out: string[] = [];
  const split = t.split === 'all' ? 'all splits' : `${t.split} split`;
  out.push(`fleetsim fidelity: ${t.rows_in_split} of ${t.rows_in_corpus} corpus rows (${split}); ${t.evaluated} evaluated, ` +
    `${t.rows_in_split - t.evaluated} not evaluated${t.unsteady ? `, ${t.unsteady} from runs that did not settle` : ''}` +
    `${opts.factors ? `; factors: ${opts.factors}` : ''}`);
  out.push(`MAPE: mean absolute percentage error; bias: mean signed error, + = fleetsim predicts too high; within ${POINT_ERROR_BOUND_PCT}%: the share of rows off by at most that`);
  out.push(`load: an open-loop serving row's request rate over its configuration's simulated capacity; from ${NEAR}, ` +
    'latency grows as 1 / (1 - load) and its error is mostly the capacity error, amplified');
  if (t.sample_dependent > 0) {
    out.push(`samples: ${t.sample_dependent} ${t.sample_dependent === 1 ? 'row turns' : 'rows turn'} on the sample of a finite run (its drawn lengths or arrivals): over ` +
      `${t.sample_seeds} seeds ${t.sample_dependent === 1 ? 'its errors span' : 'their errors span up to'} ${t.widest_sample_span_pct.toFixed(1)} points (each row's range with --rows); the figure is the first seed's`);
  }
  if (t.capacity_error) out.push(capacityErrorLine(t.capacity_error));
  out.push(...(opts.notes ?? []));
  out.push('');
  out.push(...groupLines(t));
  if (t.not_evaluated.length) {
    out.push('', 'not evaluated:');
    for (const s of t.not_evaluated) out.push(`  ${String(s.count).padStart(4)}  ${s.reason}`);
  }
  if (opts.rows && t.rows.length) out.push('', ...rowLines(t));
  return out.join('\n') + '\n';
}

/** The rate scan's line: near capacity the rate at the figure is the reading a planner can use. */
function capacityErrorLine(c: CapacityErrorStat): string {
  const sides = [
    c.beyond_above > 0 ? `${c.beyond_above} above (at least ${pct(c.beyond_above_mean_bound_pct, true)} on average)` : '',
    c.beyond_below > 0 ? `${c.beyond_below} below (at most ${pct(c.beyond_below_mean_bound_pct, true)} on average)` : '',
  ].filter(Boolean).join(', ');
  const beyond = sides === '' ? '' : `; not within the rates read (the scan stops where a steady-state run stops settling, ` +
    `or at ${RATE_SCAN_UP[RATE_SCAN_UP.length - 1]}x or ${RATE_SCAN_DOWN[RATE_SCAN_DOWN.length - 1]}x), the rate error bounded by the last rate read: ${sides}`;
  return `rate scan: ${c.scanned} latency ${c.scanned === 1 ? 'row' : 'rows'} at load ${NEAR} to 1, read at the request rate where fleetsim gives the measured figure; ` +
    `${c.reached} reached it, mean |rate error| ${pct(c.mean_abs_pct)}, bias ${pct(c.bias_pct, true)}${beyond}; within ${CAPACITY_ERROR_BOUND_PCT}% of the published rate: ` +
    `${pct(c.within_bound_pct)} of the ${c.scanned}, where ${pct(c.latency_within_bound_pct)} of their latencies are within ${POINT_ERROR_BOUND_PCT}%`;
}
