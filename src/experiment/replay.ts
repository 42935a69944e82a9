import type { Prepared } from '../scenario/prepare.ts';
import { defaultWindowMs } from './simulate.ts';
import { simulateSliced } from './run-sliced.ts';
import { summarizeRun, type Summary } from '../results/summary.ts';
import { windowErrorRate } from '../report/csv.ts';
import type { WindowRow } from '../metrics/timeseries.ts';
import type { FaultBand } from '../faults/types.ts';
import { makeArrivals } from '../workload/arrivals.ts';

/** What an incident looked like from the users' side, and what it cost. */
export interface ReplayAnalysis {
  /** SLO a window must meet to count as recovered. */
  slo: { e2e_p99_ms: number; error_rate: number; ttft_p99_ms: number | null };
  /** From the first fault's start to the end of the last window that broke the SLO; null if it never recovered. */
  time_to_recover_s: number | null;
  recovered: boolean;
  /** Windows outside SLO, in seconds. */
  slo_violation_s: number;
  peak_error_rate: number;
  peak_rejection_rate: number;
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
}

const finiteMax = (xs: (number | null)[]) => {
  const v = xs.filter((x): x is number => x !== null && Number.isFinite(x));
  return v.length ? Math.max(...v) : null;
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
  const start = bands.length ? Math.min(...bands.map((b) => b.start_s)) : 0;
  const measured = rows.filter((r) => !r.warmup);
  const bad = (r: WindowRow) =>
    windowErrorRate(r) + (r.completions + r.errors + r.rejections > 0 ? r.rejections / (r.completions + r.errors + r.rejections) : 0) > slo.error_rate ||
    (r.e2e_p99_ms !== null && r.e2e_p99_ms > slo.e2e_p99_ms) ||
    (slo.ttft_p99_ms !== null && r.ttft_p99_ms !== null && r.ttft_p99_ms > slo.ttft_p99_ms) ||
    (r.arrivals > 0 && r.completions === 0);
  const after = measured.filter((r) => r.t_start_s + window_s > start);
  const badAfter = after.filter(bad);
  const lastBad = badAfter.length ? badAfter[badAfter.length - 1] : undefined;
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
    time_to_recover_s: lastBad && recovered ? lastBad.t_start_s + window_s - start : lastBad ? null : 0,
    recovered,
    slo_violation_s: measured.filter(bad).length * window_s,
    peak_error_rate: Math.max(0, ...measured.map((r) => rate(r, 'errors'))),
    peak_rejection_rate: Math.max(0, ...measured.map((r) => rate(r, 'rejections'))),
    peak_e2e_p99_ms: finiteMax(measured.map((r) => r.e2e_p99_ms)),
    peak_ttft_p99_ms: finiteMax(measured.map((r) => r.ttft_p99_ms)),
    min_goodput_per_s: Math.min(...after.map((r) => r.completions / window_s)),
    requests_failed: failed,
    retries: summary.attempts?.retries ?? 0,
    error_budget_burned: monthlyBudget > 0 ? failed / scale / monthlyBudget : 0,
  };
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
    slo ??= replaySlo(v.prep, rows, r.faults.bands.length ? Math.min(...r.faults.bands.map((b) => b.start_s)) : Infinity);
    out.push({ name: v.name, overrides: v.overrides, summary, timeseries: rows, analysis: analyzeReplay(v.prep, summary, rows, r.faults.bands, slo) });
  }
  return out;
}
