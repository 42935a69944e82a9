import type { Command } from 'commander';
import { stringify } from 'csv-stringify/sync';
import { UserError } from '../errors.ts';
import { escapeControls, excerpt } from '../util/excerpt.ts';
import { loadScenario } from '../scenario/load.ts';
import { inputFiles, prepare } from '../scenario/prepare.ts';
import { runReplay, type ReplayRun } from '../experiment/replay.ts';
import { checkReportTarget, openReportDir } from '../report/write.ts';
import { checkMemory } from '../experiment/memory.ts';
import { activeFaults, windowErrorRate, windowRejectionRate } from '../report/csv.ts';
import { fmt, table } from '../report/table.ts';
import { buildReportFiles } from '../report/report-files.ts';
import { round } from '../results/round.ts';
import { collect, nonNegIntArg } from './options.ts';
import type { Prepared } from '../scenario/prepare.ts';
import type { Scenario } from '../scenario/schema.ts';
import type { OutputDir } from '../report/output-dir.ts';

interface ReplayOptions {
  whatIf: string[];
  set: string[];
  seed?: number;
  out?: string;
  json?: boolean;
  quiet?: boolean;
}

const WHAT_IF_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/;

/** NAME=path=value (repeat a NAME to change several fields in one what-if). */
function parseWhatIfs(specs: string[]): { name: string; overrides: string[] }[] {
  const byName = new Map<string, string[]>();
  for (const s of specs) {
    const eq = s.indexOf('=');
    if (eq <= 0 || s.indexOf('=', eq + 1) < 0) throw new UserError(`--what-if ${excerpt(s)}: expected NAME=path=value, e.g. pooling=faults.0.pooling=true`);
    const name = s.slice(0, eq);
    // The name becomes a file name in --out (summary-NAME.json): a plain one, so it cannot climb out.
    if (!WHAT_IF_NAME.test(name)) throw new UserError(`--what-if ${excerpt(s)}: expected a NAME of letters, digits, "-", "_" and "." (at most 64, not starting with "."), got "${excerpt(name)}"`);
    if (name === 'baseline') throw new UserError(`--what-if ${excerpt(s)}: "baseline" is the run without what-ifs; pick another name`);
    byName.set(name, [...(byName.get(name) ?? []), s.slice(eq + 1)]);
  }
  return [...byName].map(([name, overrides]) => ({ name, overrides }));
}

const pct = (x: number) => `${fmt(x * 100)}%`;
const secs = (x: number | null) => (x === null ? 'not recovered' : `${fmt(x)} s`);

function renderReplay(runs: ReplayRun[], file: string, incident: { source: string; expect?: string; reference: Record<string, number | undefined> } | undefined): string {
  const base = runs[0];
  const out: string[] = [];
  out.push(`replay of ${file} (seed ${base.summary.seed}; variants share arrivals and fault times)`);
  if (incident) {
    // Free text from the scenario: on one line, so it cannot start a line of its own (a CI log
    // reads lines that start with "::" as workflow commands).
    out.push(`source: ${escapeControls(incident.source)}`);
    if (incident.expect) out.push(`expected: ${escapeControls(incident.expect)}`);
  }
  const bands = base.summary.faults ?? [];
  if (bands.length) {
    out.push('');
    out.push(table(['fault', 'target', 'start s', 'detected s', 'mitigated s', 'end s', 'recovered s'], bands.map((b) => [b.kind, b.target, fmt(b.start_s), fmt(b.detected_s), fmt(b.mitigated_s), fmt(b.end_s), fmt(b.recovered_s)])));
  }
  const a = base.analysis;
  out.push('');
  out.push(`SLO per window: e2e p99 <= ${fmt(a.slo.e2e_p99_ms)} ms${a.slo.ttft_p99_ms ? `, TTFT p99 <= ${fmt(a.slo.ttft_p99_ms)} ms` : ''}, errors <= ${pct(a.slo.error_rate)}`);
  out.push(
    table(
      ['variant', 'time to recover', 'outside SLO', 'peak errors', 'peak 429/rejected', 'peak e2e p99 ms', 'peak ttft p99 ms', 'min goodput/s', 'failed', 'retries', 'error budget'],
      runs.map((r) => {
        const x = r.analysis;
        return [r.name, secs(x.time_to_recover_s), `${fmt(x.slo_violation_s)} s`, pct(x.peak_error_rate), pct(x.peak_rejection_rate), fmt(x.peak_e2e_p99_ms), fmt(x.peak_ttft_p99_ms), fmt(x.min_goodput_per_s), fmt(x.requests_failed), fmt(x.retries), pct(x.error_budget_burned)];
      }),
    ),
  );
  for (const r of runs.slice(1)) out.push(`  ${r.name}: ${r.overrides.join(', ')}`);
  const ref = incident?.reference ?? {};
  if (Object.values(ref).some((v) => v !== undefined)) {
    out.push('');
    out.push('beside the published figures (baseline):');
    const rows: (string | number)[][] = [];
    if (ref.duration_s !== undefined) rows.push(['duration', `${fmt(ref.duration_s)} s`, secs(a.time_to_recover_s)]);
    if (ref.peak_error_rate !== undefined) rows.push(['peak error rate', pct(ref.peak_error_rate), pct(Math.max(a.peak_error_rate, a.peak_error_rate + a.peak_rejection_rate))]);
    if (ref.error_rate_increase !== undefined) rows.push(['error rate increase', pct(ref.error_rate_increase), pct(a.peak_error_rate + a.peak_rejection_rate)]);
    if (ref.peak_p99_ms !== undefined) rows.push(['peak p99', `${fmt(ref.peak_p99_ms)} ms`, `${fmt(a.peak_e2e_p99_ms)} ms`]);
    if (ref.detection_s !== undefined) rows.push(['detection', `${fmt(ref.detection_s)} s`, bands.length && bands[0].detected_s !== null ? `${fmt(bands[0].detected_s - bands[0].start_s)} s` : '-']);
    if (ref.recovery_s !== undefined) rows.push(['traffic redistributed', `${fmt(ref.recovery_s)} s`, bands.length && bands[0].mitigated_s !== null ? `${fmt(bands[0].mitigated_s - bands[0].start_s)} s` : '-']);
    out.push(table(['figure', 'published', 'replay'], rows));
  }
  // The baseline minute by minute around the incident.
  const w = base.summary.window_s;
  const first = bands.length ? Math.min(...bands.map((b) => b.start_s)) : 0;
  const lastEnd = bands.length ? Math.max(...bands.map((b) => b.recovered_s ?? b.end_s)) : Infinity;
  const until = a.time_to_recover_s !== null ? Math.max(lastEnd, first + a.time_to_recover_s) : Infinity;
  const rows = base.timeseries.filter((r) => r.t_start_s >= first - 2 * w && r.t_start_s <= until + 2 * w);
  out.push('');
  out.push(`baseline per window of ${fmt(w)} s:`);
  out.push(
    table(
      ['t s', 'arrivals', 'goodput', 'errors', 'rejected', 'retries', 'e2e p50', 'e2e p99', 'ttft p99', 'queued', 'faults'],
      rows.map((r) => [fmt(r.t_start_s), fmt(r.arrivals), fmt(r.completions), pct(windowErrorRate(r)), pct(windowRejectionRate(r)), fmt(r.retries), fmt(r.e2e_p50_ms), fmt(r.e2e_p99_ms), fmt(r.ttft_p99_ms), fmt(r.queued), activeFaults(bands, r.t_start_s, w)]),
    ),
  );
  return out.join('\n');
}

function replayCsv(runs: ReplayRun[]): string {
  const rows = runs.flatMap((run) =>
    run.timeseries.map((r) => ({
      variant: run.name,
      t_start_s: r.t_start_s,
      arrivals: r.arrivals,
      goodput: r.completions,
      errors: r.errors,
      rejections: r.rejections,
      retries: r.retries,
      error_rate: windowErrorRate(r),
      rejection_rate: windowRejectionRate(r),
      e2e_p50_ms: r.e2e_p50_ms === null ? '' : round(r.e2e_p50_ms),
      e2e_p99_ms: r.e2e_p99_ms === null ? '' : round(r.e2e_p99_ms),
      ttft_p50_ms: r.ttft_p50_ms === null ? '' : round(r.ttft_p50_ms),
      ttft_p99_ms: r.ttft_p99_ms === null ? '' : round(r.ttft_p99_ms),
      queued: r.queued,
      faults: activeFaults(run.summary.faults ?? [], r.t_start_s, run.summary.window_s),
    })),
  );
  return stringify(rows, { header: true });
}

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description('replay an incident scenario, and what-ifs on common random numbers (same arrivals, same fault times)')
    .argument('<scenario>', 'incident scenario file (YAML or JSON)')
    .option('--what-if <name=path=value>', 'a variant: NAME=path=value, repeatable (repeat a NAME to change several fields)', collect, [])
    .option('--set <path=value>', 'override a field in the baseline and every what-if (repeatable)', collect, [])
    .option('--seed <n>', 'random seed (overrides the scenario)', nonNegIntArg)
    .option('--out <dir>', 'write replay.json, timeseries.csv (a row per window and variant) and one summary per variant')
    .option('--json', 'print replay.json to stdout')
    .option('--quiet', 'print nothing but errors (and the JSON with --json)')
    .action(async (file: string, opts: ReplayOptions) => {
      if (opts.out) checkReportTarget(opts.out);
      const variants = [{ name: 'baseline', overrides: [] as string[] }, ...parseWhatIfs(opts.whatIf)].map((v) => ({
        ...v,
        prep: prepare(loadScenario(file, [...opts.set, ...v.overrides])),
      }));
      const base = variants[0].prep.scenario;
      // One variant at a time: each must fit; their summaries and series are kept till the end.
      for (const v of variants) checkMemory(v.prep.scenario, file, { runs: variants.length, parallel: 1, threads: 0, keptSeries: variants.length });
      // Opened now: an --out that cannot be written fails before the simulation, not after it.
      const out = opts.out ? openReportDir(opts.out, [...new Set(variants.flatMap((v) => inputFiles(v.prep)))]) : undefined;
      try {
        await replayAndReport(file, opts, variants, base, out);
      } finally {
        out?.abort();
      }
    });
}

async function replayAndReport(file: string, opts: ReplayOptions, variants: { name: string; overrides: string[]; prep: Prepared }[], base: Scenario, out: OutputDir | undefined): Promise<void> {
  const runs = await runReplay(variants, opts.seed ?? base.seed);
  const doc = {
    scenario: base.name,
    scenario_file: file,
    incident: base.incident ?? null,
    seed: runs[0].summary.seed,
    faults: runs[0].summary.faults ?? [],
    variants: runs.map((r) => ({ name: r.name, overrides: r.overrides, analysis: r.analysis, requests: r.summary.requests, latency_ms: r.summary.latency_ms })),
  };
  const json = `${JSON.stringify(doc, null, 2)}\n`;
  if (out) {
    const files: Record<string, string> = { 'replay.json': json, 'timeseries.csv': replayCsv(runs) };
    for (const r of runs) files[`summary-${r.name}.json`] = `${JSON.stringify(r.summary, null, 2)}\n`;
    files['replay.txt'] = `${renderReplay(runs, file, base.incident)}\n`;
    // The HTML report: the baseline's charts with every what-if beside it.
    Object.assign(
      files,
      await buildReportFiles({
        summary: runs[0].summary,
        timeseries: runs[0].timeseries,
        variants: runs.map((r) => ({ name: r.name, summary: r.summary, timeseries: r.timeseries })),
      }),
    );
    out.writeAll(files);
    out.commit();
  }
  if (opts.json) process.stdout.write(json);
  else if (!opts.quiet) process.stdout.write(`${renderReplay(runs, file, base.incident)}\n${opts.out ? `\nreplay written to ${opts.out}/\n` : ''}`);
}
