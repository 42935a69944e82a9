import { resolveMetric } from '../results/metric-path.ts';
import { holm, holmAdjusted, pairedT, sampleFromCi, sampleOf, welch, type Sample } from './stats.ts';
import { markdownTable } from './tables.ts';
import { fmt } from './table.ts';
import { entries } from './charts/input.ts';
import type { Summary } from '../results/summary.ts';
import { escapeControls } from '../util/excerpt.ts';
import { unjudgedReason } from '../results/verdict.ts';

/**
 * `fleetsim compare`: the headline figures of two results side by side, each change tested over
 * replications, Holm-corrected across all the metrics compared, and flagged as a regression when
 * it is significant, at least `minChange` in relative size, and in the bad direction for that
 * metric.
 *
 * The test: Welch's t-test in general (two summary files, or different seeds); when both sides
 * were run here on common random numbers (replication i of each used the same seed), a paired
 * t-test on the per-seed differences, which removes the noise both sides share and so sees
 * smaller changes with the same replications.
 */

/** Which way is better: latency, errors and cost down; throughput up; utilisation neither. */
export type Direction = 'lower' | 'higher' | 'neutral';

export interface HeadlineMetric {
  path: string;
  direction: Direction;
}

/** One side of the comparison. */
export interface CompareSide {
  label: string;
  /** The aggregate (mean and CIs when replicated). */
  summary: Summary;
  /** Per-replication summaries, when the scenario was run here; else figures come from the summary's CIs. */
  runs?: Summary[];
}

export type CompareVerdict = 'regression' | 'improvement' | 'changed' | 'no significant change' | 'untested' | 'missing';

export interface MetricComparison {
  metric: string;
  direction: Direction;
  base: Sample | null;
  candidate: Sample | null;
  /** candidate - base. */
  change: number | null;
  /** (candidate - base) / |base|; null when base is 0 or missing. */
  change_rel: number | null;
  p_value: number | null;
  /** p_value adjusted for the metrics tested together (Holm): the figure the flags are read from. */
  p_holm: number | null;
  /** 'paired' (common random numbers), 'welch', or null when untested. */
  test: 'paired' | 'welch' | null;
  /** Significant after the Holm correction, and at least min_change in size. */
  significant: boolean;
  verdict: CompareVerdict;
}

export interface Comparison {
  base: { label: string; scenario: string; replications: number; seed: number };
  candidate: { label: string; scenario: string; replications: number; seed: number };
  method: string;
  alpha: number;
  min_change: number;
  metrics: MetricComparison[];
  regressions: string[];
  improvements: string[];
  /** Metrics no test could judge (a side has a single run): a comparison with only these is inconclusive. */
  untested: string[];
  /** What makes a difference here measure the runs rather than the systems (run length, steady state, an incomplete run). */
  warnings: string[];
}

const LAT_Q = ['p50', 'p90', 'p99', 'p999', 'mean'] as const;

/** The headline metrics of a summary, in report order. */
export function headlineMetrics(s: Summary): HeadlineMetric[] {
  const out: HeadlineMetric[] = [];
  const add = (path: string, direction: Direction) => out.push({ path, direction });
  add('requests.throughput_per_s', 'higher');
  if (typeof (s.requests as { goodput_per_s?: unknown }).goodput_per_s === 'number') add('requests.goodput_per_s', 'higher');
  add('requests.error_rate', 'lower');
  for (const [block] of entries(s.latency_ms)) for (const q of LAT_Q) add(`latency_ms.${block}.${q}`, 'lower');
  for (const [name] of entries(s.by_model)) {
    for (const block of ['ttft', 'e2e'] as const) for (const q of ['p50', 'p99'] as const) add(`by_model.${name}.latency_ms.${block}.${q}`, 'lower');
    add(`by_model.${name}.latency_ms.tpot.p50`, 'lower');
    add(`by_model.${name}.output_tokens_per_s`, 'higher');
  }
  for (const [name] of entries(s.gpu)) add(`gpu.${name}.busy_fraction`, 'neutral');
  if (s.cost) {
    add('cost.monthly_usd', 'lower');
    add('cost.usd_per_million_tokens', 'lower');
  }
  if (!s.fleet) {
    for (const [name] of entries(s.stations)) {
      add(`stations.${name}.utilization`, 'neutral');
      add(`stations.${name}.wait_ms.mean`, 'lower');
      add(`stations.${name}.wait_ms.p99`, 'lower');
    }
  }
  return out;
}

function figure(s: Summary, path: string): { value: number; ci95?: [number, number] } | undefined {
  const r = resolveMetric(s, path);
  return r.ok && typeof r.value === 'number' ? { value: r.value, ci95: r.ci95 } : undefined;
}

/** Per-replication values of one metric, when the side was run here and every replication has it. */
function valuesFor(side: CompareSide, path: string): number[] | undefined {
  if (!side.runs || side.runs.length === 0) return undefined;
  const xs = side.runs.map((r) => figure(r, path)?.value);
  return xs.every((x): x is number => typeof x === 'number') ? xs : undefined;
}

/** The sample of one metric on one side: from the replications if we have them, else rebuilt from the CI. */
function sampleFor(side: CompareSide, path: string): Sample | null {
  if (side.runs && side.runs.length > 0) {
    const xs = side.runs.map((r) => figure(r, path)?.value).filter((x): x is number => typeof x === 'number');
    return xs.length > 0 ? sampleOf(xs) : null;
  }
  const f = figure(side.summary, path);
  return f ? sampleFromCi(f.value, f.ci95, side.summary.replications) : null;
}

/** Both sides run here, replication i of each on the same seed: common random numbers. */
/** What a summary describes: an LLM serving fleet or a network of generic stations; the two share few figures. */
export function summaryKind(s: Summary): 'fleet' | 'station network' {
  return 'fleet' in s && (s as { fleet?: unknown }).fleet !== undefined ? 'fleet' : 'station network';
}

export function onCommonRandomNumbers(a: CompareSide, b: CompareSide): boolean {
  return !!a.runs && !!b.runs && a.runs.length > 1 && a.runs.length === b.runs.length && a.runs.every((r, i) => r.seed === b.runs![i].seed);
}

export function compareSummaries(base: CompareSide, candidate: CompareSide, opts: { alpha?: number; minChange?: number } = {}): Comparison {
  const alpha = opts.alpha ?? 0.05;
  const minChange = opts.minChange ?? 0.02;
  const seen = new Set<string>();
  const metrics: HeadlineMetric[] = [];
  for (const m of [...headlineMetrics(base.summary), ...headlineMetrics(candidate.summary)]) {
    if (!seen.has(m.path)) {
      seen.add(m.path);
      metrics.push(m);
    }
  }
  const crn = onCommonRandomNumbers(base, candidate);
  // Under a different offered load more throughput is more arrivals, not a better system.
  const loadDiffers = offeredLoadDiffers(base.summary, candidate.summary) !== undefined;
  const rows = metrics.map((m) => {
    const a = sampleFor(base, m.path);
    const b = sampleFor(candidate, m.path);
    const change = a && b ? b.mean - a.mean : null;
    const change_rel = a && b && a.mean !== 0 ? (b.mean - a.mean) / Math.abs(a.mean) : null;
    const xa = crn ? valuesFor(base, m.path) : undefined;
    const xb = crn ? valuesFor(candidate, m.path) : undefined;
    const paired = xa && xb ? pairedT(xa, xb) : null;
    const test = paired ?? (a && b ? welch(a, b) : null);
    return { m, a, b, change, change_rel, p: test ? test.p : null, test: paired ? ('paired' as const) : test ? ('welch' as const) : null };
  });
  const rejected = holm(
    rows.map((r) => r.p),
    alpha,
  );
  const adjusted = holmAdjusted(rows.map((r) => r.p));
  const out: MetricComparison[] = rows.map((r, i) => {
    const { m, a, b, change, change_rel, p, test } = r;
    // Big enough to matter: at least minChange relative (any change from an exact zero counts).
    const large = change !== null && change !== 0 && (change_rel === null ? true : Math.abs(change_rel) >= minChange);
    const significant = rejected[i] && large;
    let verdict: CompareVerdict;
    if (!a || !b) verdict = 'missing';
    else if (p === null) verdict = 'untested';
    else if (!significant) verdict = 'no significant change';
    else if (m.direction === 'neutral' || (loadDiffers && m.direction === 'higher')) verdict = 'changed';
    else verdict = (change! > 0) === (m.direction === 'lower') ? 'regression' : 'improvement';
    return { metric: m.path, direction: m.direction, base: a, candidate: b, change, change_rel, p_value: p, p_holm: adjusted[i], test, significant, verdict };
  });
  const side = (x: CompareSide) => ({ label: x.label, scenario: x.summary.scenario, replications: x.runs?.length ?? x.summary.replications, seed: x.summary.seed });
  return {
    base: side(base),
    candidate: side(candidate),
    method: `${crn ? 'paired t-test on common random numbers (same seeds)' : "Welch's t-test"}, two-sided, Holm-Bonferroni across the metrics compared`,
    alpha,
    min_change: minChange,
    metrics: out,
    regressions: out.filter((x) => x.verdict === 'regression').map((x) => x.metric),
    improvements: out.filter((x) => x.verdict === 'improvement').map((x) => x.metric),
    untested: out.filter((x) => x.verdict === 'untested').map((x) => x.metric),
    warnings: comparisonWarnings(base.summary, candidate.summary),
  };
}

/**
 * What the reader must know before taking a difference as the systems': a side not at steady
 * state (its latencies and counts grow with the run; the same overloaded system read "7
 * regressions" between a 300-s and a 600-s run), sides of different lengths or warm-ups, a side
 * stopped early or too short to judge, different scenarios, different offered loads.
 */
export function comparisonWarnings(a: Summary, b: Summary): string[] {
  const out: string[] = [];
  for (const [side, s] of [['base', a], ['candidate', b]] as const) {
    if (!s.complete) out.push(`the ${side} run is incomplete (${s.engine.stop_reason}): it covers part of its scenario only`);
    if (s.verdict && !s.verdict.steady_state.ok) out.push(`the ${side} run is not at steady state: its latencies and counts depend on how long it ran, so a change of duration_s alone changes them`);
    else if (unjudgedReason(s) !== undefined) out.push(`the ${side} run is too short to judge its steady state: its latencies may depend on how long it ran`);
  }
  if (a.duration_s !== b.duration_s || a.warmup_s !== b.warmup_s) {
    out.push(`the sides ran for different lengths (duration ${fmt(a.duration_s)} s and ${fmt(b.duration_s)} s, warm-up ${fmt(a.warmup_s)} s and ${fmt(b.warmup_s)} s): a difference may be the length's, not the system's`);
  }
  if (a.scenario !== b.scenario) out.push(`the sides are different scenarios (${a.scenario} and ${b.scenario}): a difference may be the workload's, not the system's`);
  const load = offeredLoadDiffers(a, b);
  if (load) out.push(`${load}: throughput is not judged (more arrivals are not a better system) and latencies differ with the load`);
  return out;
}

/** Requests that arrived per measured second (after warm-up), the offered load's rate. */
function offeredRatePerS(s: Summary): { rate_per_s: number; standard_error_per_s: number } | undefined {
  const measured_s = s.duration_s - s.warmup_s;
  const offered = s.requests.offered;
  if (!(measured_s > 0) || typeof offered !== 'number') return undefined;
  // Poisson arrivals: the count's standard deviation is its square root
  return { rate_per_s: offered / measured_s, standard_error_per_s: Math.sqrt(offered) / measured_s };
}

/** Differences within this share of the offered rate are one workload drawn twice, whatever the noise. */
const SAME_LOAD_RELATIVE = 0.02;

/**
 * Why the sides were offered different loads (undefined: the same, within 2% or three standard
 * errors of Poisson arrivals): quickstart at 80/s against web-tier at 400/s read "4 improvements",
 * throughput +414% among them.
 */
export function offeredLoadDiffers(a: Summary, b: Summary): string | undefined {
  const ra = offeredRatePerS(a), rb = offeredRatePerS(b);
  if (!ra || !rb) return undefined;
  const gap = Math.abs(ra.rate_per_s - rb.rate_per_s);
  const noise = 3 * Math.hypot(ra.standard_error_per_s, rb.standard_error_per_s);
  if (gap <= noise || gap <= SAME_LOAD_RELATIVE * Math.max(ra.rate_per_s, rb.rate_per_s)) return undefined;
  return `the sides were offered different loads (${fmt(ra.rate_per_s)} and ${fmt(rb.rate_per_s)} requests/s after warm-up)`;
}

const showSample = (s: Sample | null) => (s === null ? '-' : s.sd !== null && s.n > 1 ? `${fmt(s.mean)} ±${fmt(s.sd, 2)}` : fmt(s.mean));

function showChange(c: MetricComparison): string {
  if (c.change === null) return '-';
  if (c.change === 0) return '0';
  if (c.change_rel === null) return `${c.change > 0 ? '+' : ''}${fmt(c.change)}`;
  return `${c.change_rel > 0 ? '+' : ''}${fmt(c.change_rel * 100, 3)}%`;
}

const showP = (p: number | null) => (p === null ? '-' : p < 0.001 ? '<0.001' : p.toFixed(3));

const VERDICT_CELL: Record<CompareVerdict, string> = {
  regression: '**REGRESSION**',
  improvement: 'improvement',
  changed: 'changed',
  'no significant change': '',
  untested: 'untested (1 run)',
  missing: 'missing on one side',
};

/** The verdict line: regressions, or none found, or nothing tested (a single run a side decides nothing). */
function headline(c: Comparison, tested: number): string {
  if (c.regressions.length > 0) return `**${c.regressions.length} regression${c.regressions.length === 1 ? '' : 's'}**: ${c.regressions.map((r) => `\`${r}\``).join(', ')}.`;
  if (tested === 0) return '**Inconclusive**: a side has a single run, so no change could be tested (use --replications N, or summaries of replicated runs); the changes below are one draw each.';
  return `No regression.${c.improvements.length > 0 ? ` ${c.improvements.length} improvement${c.improvements.length === 1 ? '' : 's'}.` : ''}`;
}

/** The Markdown comparison: a headline, then every metric side by side. */
export function compareMarkdown(c: Comparison): string {
  const tested = c.metrics.filter((m) => m.p_value !== null).length;
  const reps = c.base.replications === c.candidate.replications ? `${c.base.replications} replications each` : `${c.base.replications} and ${c.candidate.replications} replications`;
  const lines = [
    `## fleetsim compare: base ${c.base.label} -> candidate ${c.candidate.label}`,
    '',
    `${reps}; values are means ±SD over replications. ${tested > 0 ? `${c.metrics.some((m) => m.test === 'paired') ? 'Paired t-test on common random numbers (replication i of both sides on the same seed)' : "Welch's t-test"} per metric, Holm-corrected at alpha ${c.alpha} across ${tested} metrics; changes under ${fmt(c.min_change * 100)}% are not flagged.` : 'No significance test: a side has a single run (use --replications N).'}`,
    '',
    headline(c, tested),
    ...(c.warnings.length > 0 ? ['', ...c.warnings.map((w) => `- **Warning:** ${escapeControls(w)}.`)] : []),
    '',
    markdownTable(
      ['metric', 'better', 'base', 'candidate', 'change', 'p (Holm)', 'verdict'],
      c.metrics.map((m) => [`\`${m.metric}\``, m.direction === 'lower' ? 'lower' : m.direction === 'higher' ? 'higher' : '', showSample(m.base), showSample(m.candidate), showChange(m), showP(m.p_holm), VERDICT_CELL[m.verdict]]),
    ),
  ];
  return `${lines.join('\n')}\n`;
}
