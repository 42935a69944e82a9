import type { Ci95Block, Summary } from '../../results/summary.ts';
import type { CdfSeries } from '../../results/distributions.ts';

/**
 * What the report is drawn from. Everything but `summary` is optional: a chart whose data is
 * missing is left out, never drawn empty.
 */
export interface ReportInput {
  summary: Summary;
  /**
   * timeseries.csv rows (WindowRow or wider): `t_start_s`, `warmup`, `arrivals`, `completions`,
   * `errors`, and any `<metric>_p<NN>_ms` latency columns. Columns added later (`rejected`,
   * `timed_out`, `failed`, `rate_limited`, `ttft_p99_ms`, ...) are drawn when present.
   */
  timeseries?: readonly object[];
  /** Latency CDFs per model (from the sketches); without them the CDF chart uses the summary's quantiles. */
  distributions?: CdfSeries[];
  /**
   * For replays and comparisons: the baseline first, then each what-if, by name. With two or
   * more, the report adds the baseline-vs-what-if charts.
   */
  variants?: NamedSummary[];
}

export interface NamedSummary {
  name: string;
  summary: Summary;
  timeseries?: readonly object[];
}

/** A fault window, as the faults branch writes it into summary.json (`faults: [...]`). */
export interface FaultWindow {
  kind: string;
  target: string;
  start_s: number;
  detected_s?: number | null;
  mitigated_s?: number | null;
  end_s?: number | null;
  /** When the system had recovered (queues drained) after the fault ended. */
  recovered_s?: number | null;
}

const num = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/** The summary's `faults` array if it has one (validated loosely: malformed entries are skipped). */
export function faultsOf(s: Summary): FaultWindow[] {
  const raw: unknown = s.faults;
  if (!Array.isArray(raw)) return [];
  return raw.filter((f): f is FaultWindow => f !== null && typeof f === 'object' && num((f as FaultWindow).start_s));
}

/** Numeric field of a row object, or null. */
export function field(row: object, key: string): number | null {
  const v = (row as Record<string, unknown>)[key];
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return num(v) ? v : null;
}

/** Entries of a summary map without its `ci95` sibling (and so without that sibling's type). */
export function entries<T>(o: Record<string, T> | undefined): [string, Exclude<T, Ci95Block>][] {
  if (!o) return [];
  return Object.entries(o).filter((e): e is [string, Exclude<T, Ci95Block>] => e[0] !== 'ci95');
}
