import { RECOVERY_GOOD_WINDOWS, type PublishedComparison, type ReplayRun } from '../experiment/replay.ts';
import type { Scenario } from '../scenario/schema.ts';
import { activeFaults, windowErrorRate, windowRejectionRate } from '../report/csv.ts';
import { fmt, table } from '../report/table.ts';
import { fmtSeconds } from '../util/format-number.ts';
import { markdownTable } from '../report/tables.ts';
import { escapeControls } from '../util/excerpt.ts';
import { faultLabel, measuredFaults } from '../results/fault-coverage.ts';
import type { FaultBand } from '../faults/types.ts';
import { maxOf, minOf } from '../util/extremes.ts';

/** One block of the replay's report: a title, a table and lines under it. */
interface Section {
  title: string;
  header: string[];
  rows: string[][];
  notes: string[];
}

type Incident = Scenario['incident'];

const pct = (x: number) => `${fmt(x * 100)}%`;
const secs = (x: number | null) => (x === null ? 'not recovered' : `${fmt(x)} s`);

function figureValue(unit: PublishedComparison['unit'], x: number | null): string {
  if (x === null) return '-';
  return unit === 'share' ? pct(x) : `${fmt(x)} ${unit}`;
}

function toleranceText(c: PublishedComparison): string {
  const t = c.tolerance;
  if (t.kind === 'at_most') return 'at most';
  if (t.kind === 'relative') return `±${fmt(t.value * 100)}%`;
  // An absolute tolerance on a share is in percentage points, not a share of the figure.
  return c.unit === 'share' ? `±${fmt(t.value * 100)} points` : `±${figureValue(c.unit, t.value)}`;
}

/**
 * A variant stopped at a limit (or by a signal): its figures cover the simulated part only. One cut
 * short before its first fault has no fault in its summary, and read "no fault, 0% burned".
 */
export function incompleteNote(run: ReplayRun): string | null {
  if (run.summary.complete) return null;
  const before = run.summary.faults === undefined && run.faults_planned > 0 ? ', before its first fault' : '';
  return `${run.name} is INCOMPLETE: it stopped at ${fmt(run.summary.duration_s)} s of simulated time (${run.summary.engine.stop_reason})${before}; its figures cover the simulated part only`;
}

const variantLabel = (run: ReplayRun) => (run.summary.complete ? run.name : `${run.name} (incomplete)`);

function recoveryCell(run: ReplayRun): string {
  const stop = run.summary.engine.stop_reason;
  if (run.summary.faults === undefined) {
    if (run.summary.complete) return 'no fault';
    return run.faults_planned > 0 ? `ended before the fault (${stop})` : `no fault, cut short (${stop})`;
  }
  if (measuredFaults(run.summary.faults).length === 0) return 'not measured: the fault ends in the warm-up';
  const recovered = secs(run.analysis.time_to_recover_s);
  return run.summary.complete ? recovered : `${recovered}, cut short (${stop})`;
}

/** The SLO's p99: none when the baseline has no measured window before the fault to set it from. */
const sloLatencyText = (e2e_p99_ms: number) => (Number.isFinite(e2e_p99_ms) ? `e2e p99 <= ${fmt(e2e_p99_ms)} ms` : 'any e2e p99 (the baseline has no measured window before the fault to set a bound)');

/** The answer first: how long until users were served again, and what it cost in error budget. */
/** A fleet that burns its error budget before the fault: the budget figure is then not the incident's alone. */
function budgetBeforeFault(run: ReplayRun): string[] {
  const allowed = run.analysis.allowed_failure_rate;
  const before = run.analysis.pre_fault_failure_rate;
  if (run.summary.faults === undefined || before <= allowed) return [];
  return [`before the fault ${pct(before)} of requests already failed or were refused (429s included), above the ${pct(allowed)} the availability target allows: the fleet spends its budget without an incident`];
}

function recoverySection(runs: ReplayRun[]): Section {
  const a = runs[0].analysis;
  return {
    title: `Time to recover and error budget (a window is within SLO at ${sloLatencyText(a.slo.e2e_p99_ms)}${a.slo.ttft_p99_ms ? `, TTFT p99 <= ${fmt(a.slo.ttft_p99_ms)} ms` : ''}, errors <= ${pct(a.slo.error_rate)})`,
    header: ['variant', 'time to recover', 'error budget burned', 'peak errors + 429s', 'requests failed'],
    rows: runs.map((r) => [variantLabel(r), recoveryCell(r), pct(r.analysis.error_budget_burned), pct(r.analysis.peak_failure_rate), fmt(r.analysis.requests_failed)]),
    notes: [
      ...runs.slice(1).map((r) => `${r.name}: ${r.overrides.join(', ')}`),
      // read in windows: the figure moves by a window with window_s, and a lone later window over the SLO is not the incident
      `time to recover is read in windows of ${fmt(runs[0].summary.window_s)} s: to the end of the incident's last window over the SLO (a window over it after ${RECOVERY_GOOD_WINDOWS} good ones is a new excursion, counted in the time outside the SLO)`,
      'error budget burned: failed, timed-out and refused requests (429s of per-user rate limits included) over the month\'s budget: compare a what-if without the fault (faults=[]) for what the fleet burns anyway',
      ...budgetBeforeFault(runs[0]),
    ],
  };
}

/** The baseline's faults; under them, for every variant, those its figures count in part and those set after its end. */
function faultSection(runs: ReplayRun[]): Section {
  const run = runs[0];
  const bands = run.summary.faults ?? [];
  const time = (t_s: number | null) => (t_s === null ? '-' : fmtSeconds(t_s));
  return {
    title: 'Faults (baseline; s of simulated time)',
    header: ['fault', 'target', 'start', 'detected', 'mitigated', 'end', 'recovered'],
    rows: bands.map((b) => [b.kind, b.target, time(b.start_s), time(b.detected_s), time(b.mitigated_s), time(b.end_s), recoveredCell(b, run.summary.duration_s)]),
    // said whether or not the incident has published figures: it was said under those only
    notes: [...partlyMeasured(runs), ...notSimulated(runs)],
  };
}

/** A fault cut to the run's end (results/fault-coverage.ts) did not recover within the run; others with none did not by themselves. */
function recoveredCell(band: FaultBand, duration_s: number): string {
  if (band.recovered_s !== null) return fmtSeconds(band.recovered_s);
  return band.end_s >= duration_s ? 'not within the run' : 'not by itself';
}

/** Faults set at or after a variant's end: in no table (the run warns fault_past_end; the replay said nothing). */
function notSimulated(runs: ReplayRun[]): string[] {
  return runs.flatMap((r) => {
    const after = r.faults_after_end;
    if (after.length === 0) return [];
    const [is, it] = after.length === 1 ? ['is', 'it'] : ['are', 'them'];
    return [`not simulated, ${r.name}: ${after.map((b) => faultLabel(b)).join(', ')} ${is} set at or after the run's end (duration_s ${fmtSeconds(r.summary.duration_s)}); set duration_s past ${it} to replay ${it}`];
  });
}

/** Published figures beside every variant's, with the tolerance each is held to. */
function publishedSection(runs: ReplayRun[]): Section | null {
  const base = runs[0].published;
  if (base.length === 0) return null;
  const unmeasured = runs.filter((r) => r.published.some((c) => c.not_measured !== undefined));
  return {
    title: 'Published vs replayed',
    header: ['figure', 'published', 'tolerance', ...runs.map(variantLabel)],
    rows: base.map((c, i) => [c.figure, figureValue(c.unit, c.published), toleranceText(c), ...runs.map((r) => publishedCell(r.published[i]))]),
    notes: [
      ...unmeasured.map((r) => `not measured, ${r.name}: ${r.published[0].not_measured}; no figure is held to the published ones`),
      ...pastRunEndNotes(runs),
      ...base.filter((c) => c.not_reproduced).map((c) => `not reproduced, ${c.figure}: ${escapeControls(c.not_reproduced!)}`),
    ],
  };
}

/**
 * A replayed figure and its judgement. One whose event (detection, recovery) comes after the run's
 * end is not within the run (not judged), or longer than what the run saw and so outside: both
 * read "- (outside)", as if measured outside the band.
 */
function publishedCell(c: PublishedComparison): string {
  if (c.not_measured !== undefined) return 'not measured';
  if (c.past_run_end_over !== undefined) return c.within === null ? 'not within the run' : `over ${figureValue(c.unit, c.past_run_end_over)} (outside)`;
  return `${figureValue(c.unit, c.replayed)} (${c.within ? 'within' : 'outside'})`;
}

/** Per variant, the figures whose event the run's end came before. */
function pastRunEndNotes(runs: ReplayRun[]): string[] {
  return runs.flatMap((r) => {
    const unjudged = r.published.filter((c) => c.past_run_end_over !== undefined && c.within === null);
    if (unjudged.length === 0) return [];
    const seen_s = unjudged[0].past_run_end_over!;
    return [`not within the run, ${r.name}: ${unjudged.map((c) => c.figure).join(', ')} would come after its end (duration_s ${fmtSeconds(r.summary.duration_s)}, ${fmtSeconds(seen_s)} s after the fault's start): not measured, not held to the published figures; set duration_s longer to measure them`];
  });
}

/** Variants whose fault began in the warm-up or outlasted the run: their figures miss its start or its end. */
function partlyMeasured(runs: ReplayRun[]): string[] {
  return runs.flatMap((r) => {
    const partly = (r.summary.faults ?? []).filter((b) => b.measured === 'partly');
    return [
      ...(partly.some((b) => b.start_s < r.summary.warmup_s) ? [`partly measured, ${r.name}: a fault begins in the warm-up (warmup_s ${fmt(r.summary.warmup_s)}); its figures count it from then on only`] : []),
      ...(partly.some((b) => b.end_s >= r.summary.duration_s) ? [`partly measured, ${r.name}: a fault outlasts the run (duration_s ${fmt(r.summary.duration_s)}); its figures count it up to then only`] : []),
    ];
  });
}

function detailSection(runs: ReplayRun[]): Section {
  return {
    title: 'Details',
    header: ['variant', 'outside SLO', 'peak errors', 'peak 429/rejected', 'peak e2e p99 ms', 'peak ttft p99 ms', 'min goodput/s', 'retries'],
    rows: runs.map((r) => {
      const x = r.analysis;
      return [variantLabel(r), `${fmt(x.slo_violation_s)} s`, pct(x.peak_error_rate), pct(x.peak_rejection_rate), fmt(x.peak_e2e_p99_ms), fmt(x.peak_ttft_p99_ms), fmt(x.min_goodput_per_s), fmt(x.retries)];
    }),
    notes: [],
  };
}

/** The baseline window by window, from two windows before the first fault to two after recovery. */
function windowSection(base: ReplayRun): Section {
  const bands = base.summary.faults ?? [];
  const w = base.summary.window_s;
  const a = base.analysis;
  const first = bands.length ? minOf(bands.map((b) => b.start_s)) : 0;
  const lastEnd = bands.length ? maxOf(bands.map((b) => b.recovered_s ?? b.end_s)) : Infinity;
  const until = a.time_to_recover_s !== null ? Math.max(lastEnd, first + a.time_to_recover_s) : Infinity;
  const rows = base.timeseries.filter((r) => r.t_start_s >= first - 2 * w && r.t_start_s <= until + 2 * w);
  return {
    title: `Baseline per window of ${fmt(w)} s`,
    header: ['t s', 'arrivals', 'goodput', 'errors', 'rejected', 'retries', 'e2e p50', 'e2e p99', 'ttft p99', 'queued', 'faults'],
    rows: rows.map((r) => [fmt(r.t_start_s), fmt(r.arrivals), fmt(r.completions), pct(windowErrorRate(r)), pct(windowRejectionRate(r)), fmt(r.retries), fmt(r.e2e_p50_ms), fmt(r.e2e_p99_ms), fmt(r.ttft_p99_ms), fmt(r.queued), activeFaults(bands, r.t_start_s, w)]),
    notes: [],
  };
}

function sections(runs: ReplayRun[]): Section[] {
  const published = publishedSection(runs);
  return [recoverySection(runs), faultSection(runs), ...(published ? [published] : []), detailSection(runs), windowSection(runs[0])];
}

function headLines(runs: ReplayRun[], file: string, incident: Incident): string[] {
  const out = [`replay of ${file} (seed ${runs[0].summary.seed}; variants share arrivals and fault times)`];
  // before anything else: figures of a run cut short read as a quiet fleet
  out.push(...runs.map(incompleteNote).filter((note) => note !== null));
  if (incident) {
    // Free text from the scenario: on one line, so it cannot start a line of its own (a CI log
    // reads lines that start with "::" as workflow commands).
    out.push(`source: ${escapeControls(incident.source)}`);
    if (incident.expect) out.push(`expected: ${escapeControls(incident.expect)}`);
  }
  return out;
}

/** The terminal's (and replay.txt's) report. */
export function renderReplayText(runs: ReplayRun[], file: string, incident: Incident): string {
  const out = headLines(runs, file, incident);
  for (const s of sections(runs)) out.push('', `${s.title}:`, table(s.header, s.rows), ...s.notes.map((n) => `  ${n}`));
  return out.join('\n');
}

/** The same report in Markdown: the top of report.md. */
export function renderReplayMarkdown(runs: ReplayRun[], file: string, incident: Incident): string {
  const out = ['# Incident replay', '', ...headLines(runs, file, incident).map((l) => `${l}  `)];
  for (const s of sections(runs)) out.push('', `## ${s.title}`, '', markdownTable(s.header, s.rows), ...(s.notes.length ? ['', ...s.notes.map((n) => `- ${n}`)] : []));
  return out.join('\n');
}

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The same report as HTML, placed right after report.html's opening <body>. */
export function replayHtmlSection(runs: ReplayRun[], file: string, incident: Incident): string {
  const cells = (tag: string, xs: string[]) => xs.map((x) => `<${tag}>${escapeHtml(x)}</${tag}>`).join('');
  const parts = [`<section class="replay"><h1>Incident replay</h1>`, ...headLines(runs, file, incident).map((l) => `<p>${escapeHtml(l)}</p>`)];
  for (const s of sections(runs).slice(0, -1)) {
    parts.push(`<h2>${escapeHtml(s.title)}</h2><div class="tables"><table><thead><tr>${cells('th', s.header)}</tr></thead><tbody>${s.rows.map((r) => `<tr>${cells('td', r)}</tr>`).join('')}</tbody></table></div>`);
    if (s.notes.length) parts.push(`<ul>${s.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>`);
  }
  parts.push('</section>');
  return parts.join('\n');
}

/** Puts the replay's report at the top of the run report's Markdown and HTML. */
export function leadWithReplay(files: Record<string, string>, runs: ReplayRun[], file: string, incident: Incident): void {
  if (files['report.md'] !== undefined) files['report.md'] = `${renderReplayMarkdown(runs, file, incident)}\n\n${files['report.md']}`;
  const html = files['report.html'];
  if (html !== undefined) files['report.html'] = html.replace(/<body>/, () => `<body>\n${replayHtmlSection(runs, file, incident)}`);
}
