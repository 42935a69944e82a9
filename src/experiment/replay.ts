import { faultsSetAfterEnd, measuredFaults, unmeasuredReason } from '../results/fault-coverage.ts';
import type { Prepared } from '../scenario/prepare.ts';
import { defaultWindowMs } from './simulate.ts';
import { simulateSliced } from './run-sliced.ts';
import { summarizeRun, type Summary } from '../results/summary.ts';
import type { WindowRow } from '../metrics/timeseries.ts';
import type { FaultBand } from '../faults/types.ts';
import { makeArrivals } from '../workload/arrivals.ts';
import { maxOf, minOf } from '../util/extremes.ts';
import { round } from '../results/round.ts';

/** What an incident looked like from the users' side, and what it cost. */
export interface ReplayAnalysis {
  /** SLO a window must meet to count as recovered. */
  slo: { e2e_p99_ms: number; error_rate: number; ttft_p99_ms: number | null };
  /** From the first fault's start to the end of the incident's last window that broke the SLO (incidentEnd); null if it never recovered, or without a fault. */
  time_to_recover_s: number | null;
  recovered: boolean;
  /** Windows outside SLO, in seconds. */
  slo_violation_s: number;
  peak_error_rate: number;
  peak_rejection_rate: number;
  /** Highest share of a window's ended requests that failed or were refused: errors and 429s of the same window, so at most 1. */
  peak_failure_rate: number;
  /** Errors and refusals over ended requests in the measured windows before the first fault (the quiet level). */
  pre_fault_failure_rate: number;
  /** The share of requests the availability target allows to fail (1 - slo.availability). */
  allowed_failure_rate: number;
  peak_e2e_p99_ms: number | null;
  peak_ttft_p99_ms: number | null;
  min_goodput_per_s: number;
  requests_failed: number;
  retries: number;
  /** Share of the month's error budget these failures burned (full-fleet equivalent). */
  error_budget_burned: number;
}

export interface ReplayRun {
  name: string;
  overrides: string[];
  summary: Summary;
  timeseries: WindowRow[];
  analysis: ReplayAnalysis;
  /** The incident's published figures beside this variant's (empty for a scenario without `incident`). */
  published: PublishedComparison[];
  /** Faults the scenario sets: a run cut short before the first has none in its summary, and must not read as "no fault". */
  faults_planned: number;
  /** Faults set at or after the run's end: not simulated, and absent from the summary's faults (the replay said nothing of them). */
  faults_after_end: FaultBand[];
}

/** Errors and refusals of one window over the requests that ended in it: a ratio of one window's counts, never above 1. */
export function windowFailureRate(r: WindowRow): number {
  const ended = r.completions + r.errors + r.rejections;
  return ended > 0 ? (r.errors + r.rejections) / ended : 0;
}

/** Errors and refusals over ended requests, over several windows together. */
function failureRateOf(rows: WindowRow[]): number {
  let failed = 0;
  let ended = 0;
  for (const r of rows) {
    failed += r.errors + r.rejections;
    ended += r.completions + r.errors + r.rejections;
  }
  return ended > 0 ? failed / ended : 0;
}

const finiteMax = (xs: (number | null)[]) => {
  const v = xs.filter((x): x is number => x !== null && Number.isFinite(x));
  return v.length ? maxOf(v) : null;
};

/**
 * The SLO a window must meet: the scenario's, or else 1.5x the median pre-fault p99 of the
 * baseline and an error rate of 1%.
 */
export function replaySlo(prep: Prepared, baseline: WindowRow[], firstFault_s: number): ReplayAnalysis['slo'] {
  const s = prep.scenario.slo;
  const pre = baseline.filter((r) => !r.warmup && r.t_start_s + 1e-9 < firstFault_s && r.e2e_p99_ms !== null).map((r) => r.e2e_p99_ms!).sort((a, b) => a - b);
  const median = pre.length ? pre[Math.floor(pre.length / 2)] : Infinity;
  return { e2e_p99_ms: s?.e2e_p99_ms ?? 1.5 * median, error_rate: s?.error_rate ?? 0.01, ttft_p99_ms: s?.ttft_p99_ms ?? null };
}

export function analyzeReplay(prep: Prepared, summary: Summary, rows: WindowRow[], bands: readonly FaultBand[], slo: ReplayAnalysis['slo']): ReplayAnalysis {
  const sc = prep.scenario;
  const window_s = defaultWindowMs(sc.duration_s, sc.window_s) / 1000;
  const start = bands.length ? minOf(bands.map((b) => b.start_s)) : 0;
  const measured = rows.filter((r) => !r.warmup);
  const bad = (r: WindowRow) =>
    windowFailureRate(r) > slo.error_rate ||
    (r.e2e_p99_ms !== null && r.e2e_p99_ms > slo.e2e_p99_ms) ||
    (slo.ttft_p99_ms !== null && r.ttft_p99_ms !== null && r.ttft_p99_ms > slo.ttft_p99_ms) ||
    (r.arrivals > 0 && r.completions === 0);
  const after = measured.filter((r) => r.t_start_s + window_s > start);
  const lastBad = bands.length > 0 ? incidentEnd(after, bad) : undefined;
  const lastWindow = measured[measured.length - 1];
  const recovered = !lastBad || lastBad !== lastWindow;
  const rate = (r: WindowRow, k: 'errors' | 'rejections') => {
    const ended = r.completions + r.errors + r.rejections;
    return ended > 0 ? r[k] / ended : 0;
  };
  const c = summary.requests;
  const failed = c.failed + c.rejected + c.timed_out;
  const scale = sc.fleet?.scale ?? 1;
  const meanRate = makeArrivals(sc.workload.arrivals, () => 0.5, prep.trace).meanRatePerS(sc.duration_s * 1000);
  const monthlyBudget = (1 - (sc.slo?.availability ?? 0.999)) * meanRate * 30 * 86400;
  return {
    slo,
    // no fault, nothing to recover from: a run without one read "recovered in 510 s" from t = 0
    time_to_recover_s: bands.length === 0 ? null : lastBad && recovered ? lastBad.t_start_s + window_s - start : lastBad ? null : 0,
    recovered,
    slo_violation_s: measured.filter(bad).length * window_s,
    peak_error_rate: Math.max(0, ...measured.map((r) => rate(r, 'errors'))),
    peak_rejection_rate: Math.max(0, ...measured.map((r) => rate(r, 'rejections'))),
    peak_failure_rate: Math.max(0, ...measured.map(windowFailureRate)),
    pre_fault_failure_rate: failureRateOf(measured.filter((r) => r.t_start_s + window_s <= start)),
    allowed_failure_rate: 1 - (sc.slo?.availability ?? 0.999),
    peak_e2e_p99_ms: finiteMax(measured.map((r) => r.e2e_p99_ms)),
    peak_ttft_p99_ms: finiteMax(measured.map((r) => r.ttft_p99_ms)),
    min_goodput_per_s: minOf(after.map((r) => r.completions / window_s)),
    requests_failed: failed,
    retries: summary.attempts?.retries ?? 0,
    error_budget_burned: monthlyBudget > 0 ? failed / scale / monthlyBudget : 0,
  };
}

/**
 * Windows of good service after which a bad window is a new excursion, not the incident still
 * going on. A run's lone window over the SLO 70 s after its fault ended (a p99 of 41.2 s against
 * 41.0) set its time to recover at 260 s where it was 30 s outside the SLO, and at 20 s to 395 s
 * as window_s went from 20 to 5; such later windows still count in slo_violation_s.
 */
export const RECOVERY_GOOD_WINDOWS = 3;

/**
 * The last window of the incident: bad windows from the fault on, each within RECOVERY_GOOD_WINDOWS
 * good ones of the one before (the first bad window may come any time after the fault's start).
 */
export function incidentEnd(after: readonly WindowRow[], bad: (r: WindowRow) => boolean): WindowRow | undefined {
  let last: WindowRow | undefined;
  let good = 0;
  for (const r of after) {
    if (bad(r)) {
      if (last !== undefined && good >= RECOVERY_GOOD_WINDOWS) break;
      last = r;
      good = 0;
    } else if (last !== undefined) good++;
  }
  return last;
}

/**
 * Runs the baseline and each what-if with the same seed. Every random draw comes from a named
 * stream, so the variants share their arrivals and fault times (common random numbers) and differ
 * only where the what-if changes the system.
 */
export async function runReplay(variants: { name: string; overrides: string[]; prep: Prepared }[], seed: number): Promise<ReplayRun[]> {
  const out: ReplayRun[] = [];
  let slo: ReplayAnalysis['slo'] | undefined;
  for (const v of variants) {
    // In slices of wall time, so a signal is handled while it runs (see run-sliced.ts).
    const r = await simulateSliced(v.prep, seed);
    const window_ms = defaultWindowMs(v.prep.scenario.duration_s, v.prep.scenario.window_s);
    const summary = summarizeRun(v.prep, r, window_ms);
    const rows = r.timeseries.rows();
    // The SLO comes from the baseline, so every variant is judged against the same bar.
    const bands = measuredFaults(summary.faults ?? []); // those that happened within the run, after the warm-up or through it
    // the windows before any fault, measured or not: those after one in the warm-up may still carry it
    const happened = summary.faults ?? [];
    slo ??= replaySlo(v.prep, rows, happened.length ? minOf(happened.map((b) => b.start_s)) : Infinity);
    const run: ReplayRun = { name: v.name, overrides: v.overrides, summary, timeseries: rows, analysis: analyzeReplay(v.prep, summary, rows, bands, slo), published: [], faults_planned: v.prep.scenario.faults.length, faults_after_end: faultsSetAfterEnd(r.faults.bands, summary.duration_s) };
    run.published = compareToPublished(v.prep, run);
    out.push(run);
  }
  return out;
}

type Incident = NonNullable<Prepared['scenario']['incident']>;
export type ReferenceFigure = keyof Incident['reference'];

/** A published figure beside the replay's, with the tolerance it is held to. */
export interface PublishedComparison {
  figure: ReferenceFigure;
  published: number;
  replayed: number | null;
  unit: 's' | 'ms' | 'share';
  /**
   * `relative`: within tolerance x published; `absolute`: within tolerance (same unit);
   * `at_most`: the published figure is a bound ("< 2 minutes"), met when the replay is at or under it.
   */
  tolerance: { kind: 'relative' | 'absolute' | 'at_most'; value: number };
  /** null when the run measured no fault (not_measured says why), or the figure's event lies past the run's end (past_run_end_over): nothing to hold to the figure. */
  within: boolean | null;
  /** Why the run has no figure to compare: its fault ended in the warm-up, or it had none. */
  not_measured?: string;
  /** Why the model cannot reproduce this figure (from the scenario), if it says so. */
  not_reproduced?: string;
  /**
   * The figure's event (detection, recovery) lies past the run's end: the replayed figure is only
   * known to exceed this (the run's end less the fault's start). `within` is null unless that
   * already passes the tolerance; such a figure read "- (outside)" as if measured outside it.
   */
  past_run_end_over?: number;
}

/**
 * How close each kind of figure must come. Durations and latencies are read off one-minute windows
 * of a sampled fleet: 15% and 25%; rates are shares of requests: 5 to 10 points; detection is
 * health-check intervals: 10 s. Bounds are bounds.
 */
export const TOLERANCES: Record<ReferenceFigure, PublishedComparison['tolerance']> = {
  duration_s: { kind: 'relative', value: 0.15 },
  peak_error_rate: { kind: 'absolute', value: 0.1 },
  error_rate_increase: { kind: 'absolute', value: 0.05 },
  peak_p99_ms: { kind: 'relative', value: 0.25 },
  detection_s: { kind: 'absolute', value: 10 },
  recovery_s: { kind: 'at_most', value: 0 },
};

const UNITS: Record<ReferenceFigure, PublishedComparison['unit']> = { duration_s: 's', peak_error_rate: 'share', error_rate_increase: 'share', peak_p99_ms: 'ms', detection_s: 's', recovery_s: 's' };

/** The replay's value of a published figure; null when the replay has none (e.g. never recovered). */
function replayedFigure(figure: ReferenceFigure, run: ReplayRun, prep: Prepared): number | null {
  const a = run.analysis;
  const band = measuredFaults(run.summary.faults ?? [])[0];
  switch (figure) {
    case 'duration_s':
      return a.time_to_recover_s;
    case 'peak_error_rate':
      return a.peak_failure_rate;
    case 'error_rate_increase':
      return a.peak_failure_rate - a.pre_fault_failure_rate;
    case 'peak_p99_ms':
      // A scenario that judges windows by time to first token reads the published p99 as TTFT.
      return prep.scenario.slo?.ttft_p99_ms !== undefined ? a.peak_ttft_p99_ms : a.peak_e2e_p99_ms;
    case 'detection_s':
      return band && band.detected_s !== null ? band.detected_s - band.start_s : null;
    case 'recovery_s':
      // what users saw: service back within the SLO, not the fault's mitigation time (detection
      // plus a DNS TTL read "90 s, within" beside 1,860 s outside the SLO for a hotter region)
      return band && band.mitigated_s !== null && a.time_to_recover_s !== null ? Math.max(band.mitigated_s - band.start_s, a.time_to_recover_s) : null;
  }
}

function isWithin(published: number, replayed: number | null, t: PublishedComparison['tolerance']): boolean | null {
  if (replayed === null) return false;
  if (t.kind === 'at_most') return replayed <= published + t.value;
  const allowed = t.kind === 'relative' ? t.value * published : t.value;
  return Math.abs(replayed - published) <= allowed + 1e-9;
}

/** The highest replayed figure the tolerance accepts. */
function toleranceTop(published: number, t: PublishedComparison['tolerance']): number {
  if (t.kind === 'relative') return published * (1 + t.value);
  return published + t.value;
}

/**
 * When the figure has no value because its event comes after the run's end: what the run saw of
 * it, the run's end less the fault's start (the figure is longer than that); null otherwise. A
 * fault cut at the run's end (results/fault-coverage.ts) has its detection and mitigation there
 * nulled; a service not back within the SLO by the end has no time to recover.
 */
function seenBeforeRunEnd(figure: ReferenceFigure, run: ReplayRun, band: FaultBand | undefined): number | null {
  if (band === undefined || (figure !== 'detection_s' && figure !== 'recovery_s')) return null;
  const cut = band.measured === 'partly' && band.end_s >= run.summary.duration_s;
  const seen_s = round(run.summary.duration_s - band.start_s);
  if (figure === 'detection_s') return cut && band.detected_s === null ? seen_s : null;
  const unmitigated = cut && band.mitigated_s === null;
  return unmitigated || (band.mitigated_s !== null && run.analysis.time_to_recover_s === null) ? seen_s : null;
}

/** A figure whose event lies past the run's end: not judged, unless what the run saw already passes the tolerance. */
function pastRunEnd(row: PublishedComparison, seen_s: number): PublishedComparison {
  return { ...row, within: seen_s > toleranceTop(row.published, row.tolerance) ? false : null, past_run_end_over: seen_s };
}

/** Every published figure of the incident beside this variant's replay. */
export function compareToPublished(prep: Prepared, run: ReplayRun): PublishedComparison[] {
  const incident = prep.scenario.incident;
  if (!incident) return [];
  const out: PublishedComparison[] = [];
  // a run that measured no fault has nothing to hold to an incident's figures: its fault in the
  // warm-up read "0% errors (within)" where the same fault measured failed 94% of requests
  const faults = run.summary.faults ?? [];
  const notMeasured = measuredFaults(faults).length === 0 ? unmeasuredReason(faults, { warmup_s: prep.scenario.warmup_s, complete: run.summary.complete, faults_planned: run.faults_planned }) : undefined;
  for (const figure of Object.keys(TOLERANCES) as ReferenceFigure[]) {
    const published = incident.reference[figure];
    if (published === undefined) continue;
    if (notMeasured !== undefined) {
      out.push({ figure, published, replayed: null, unit: UNITS[figure], tolerance: TOLERANCES[figure], within: null, not_measured: notMeasured });
      continue;
    }
    const replayed = replayedFigure(figure, run, prep);
    let row: PublishedComparison = { figure, published, replayed, unit: UNITS[figure], tolerance: TOLERANCES[figure], within: isWithin(published, replayed, TOLERANCES[figure]) };
    const seen_s = replayed === null ? seenBeforeRunEnd(figure, run, measuredFaults(faults)[0]) : null;
    if (seen_s !== null) row = pastRunEnd(row, seen_s);
    // the scenario's note of why a figure is not reproduced goes with a figure that is not: beside
    // one this variant matches (or cannot judge) it contradicted the verdict printed above it
    const why = incident.not_reproduced[figure];
    if (why !== undefined && row.within === false) row.not_reproduced = why;
    out.push(row);
  }
  return out;
}
