import type { Command } from 'commander';
import { stringify } from 'csv-stringify/sync';
import { UserError } from '../errors.ts';
import { excerpt } from '../util/excerpt.ts';
import { loadScenario } from '../scenario/load.ts';
import { inputFiles, prepare } from '../scenario/prepare.ts';
import { runReplay, type ReplayRun } from '../experiment/replay.ts';
import { checkReportTarget, openReportDir } from '../report/write.ts';
import { checkMemory } from '../experiment/memory.ts';
import { activeFaults, windowErrorRate, windowRejectionRate } from '../report/csv.ts';
import { buildReportFiles } from '../report/report-files.ts';
import { round } from '../results/round.ts';
import { collect, nonNegIntArg, pathArg } from './options.ts';
import { leadWithReplay, renderReplayText } from './replay-report.ts';
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
    // every variant runs on the baseline's seed (common random numbers): a seed what-if was ignored
    const path = s.slice(eq + 1, s.indexOf('=', eq + 1)).trim();
    if (path === 'seed') throw new UserError(`--what-if ${excerpt(s)}: the seed is not a what-if: every variant replays the baseline's arrivals and fault times (common random numbers); use --seed N to replay on another seed`);
    // limits.max_wall_s bounds the whole command, every variant's run included (util/wall-budget.ts):
    // in one what-if it stopped the baseline too
    if (path === 'limits' || path === 'limits.max_wall_s') throw new UserError(`--what-if ${excerpt(s)}: limits.max_wall_s bounds the whole replay (every variant), not one what-if; use --set limits.max_wall_s=N`);
    checkCaseCollision(s, name, byName);
    byName.set(name, [...(byName.get(name) ?? []), s.slice(eq + 1)]);
  }
  return [...byName].map(([name, overrides]) => ({ name, overrides }));
}

/**
 * A name is a file name in --out (summary-NAME.json): two that differ only in case are one file on
 * a case-insensitive file system (macOS, Windows), where the second variant's report replaced the
 * first's.
 */
function checkCaseCollision(spec: string, name: string, byName: ReadonlyMap<string, string[]>): void {
  const lower = name.toLowerCase();
  const other = lower === 'baseline' ? 'baseline' : [...byName.keys()].find((known) => known !== name && known.toLowerCase() === lower);
  if (other === undefined) return;
  throw new UserError(`--what-if ${excerpt(spec)}: "${name}" and "${other}" differ only in case, and name one file on a case-insensitive file system (summary-${lower}.json); pick names that differ otherwise`);
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
    .option('--out <dir>', 'write replay.json, timeseries.csv (a row per window and variant) and one summary per variant', pathArg)
    .option('--json', 'print replay.json to stdout')
    .option('--quiet', 'print nothing but errors (and the JSON with --json)')
    .action(async (file: string, opts: ReplayOptions) => {
      if (opts.out) checkReportTarget(opts.out);
      const variants = [{ name: 'baseline', overrides: [] as string[] }, ...parseWhatIfs(opts.whatIf)].map((v) => ({
        ...v,
        prep: prepare(loadScenario(file, [...opts.set, ...v.overrides.map((text) => ({ text, label: `--what-if ${v.name}=${text}` }))])),
      }));
      const base = variants[0].prep.scenario;
      // One variant at a time: each must fit; their summaries and series are kept till the end.
      for (const v of variants) checkMemory(v.prep.scenario, file, { runs: variants.length, parallel: 1, threads: 0, keptSeries: variants.length, keptSummaries: variants.length });
      // Opened now: an --out that cannot be written fails before the simulation, not after it.
      const out = opts.out ? openReportDir(opts.out, [...new Set(variants.flatMap((v) => inputFiles(v.prep)))], { kind: 'replay' }) : undefined;
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
    variants: runs.map((r) => ({ name: r.name, overrides: r.overrides, complete: r.summary.complete, stop_reason: r.summary.engine.stop_reason, analysis: r.analysis, published: r.published, requests: r.summary.requests, latency_ms: r.summary.latency_ms })),
  };
  const json = `${JSON.stringify(doc, null, 2)}\n`;
  if (out) {
    const files: Record<string, string> = { 'replay.json': json, 'timeseries.csv': replayCsv(runs) };
    for (const r of runs) files[`summary-${r.name}.json`] = `${JSON.stringify(r.summary, null, 2)}\n`;
    files['replay.txt'] = `${renderReplayText(runs, file, base.incident)}\n`;
    // The HTML report: the baseline's charts with every what-if beside it, led by the replay's answer.
    const report = await buildReportFiles({
      summary: runs[0].summary,
      timeseries: runs[0].timeseries,
      variants: runs.map((r) => ({ name: r.name, summary: r.summary, timeseries: r.timeseries })),
    });
    leadWithReplay(report, runs, file, base.incident);
    Object.assign(files, report);
    out.writeAll(files);
    out.commit();
  }
  if (opts.json) process.stdout.write(json);
  else if (!opts.quiet) process.stdout.write(`${renderReplayText(runs, file, base.incident)}\n${opts.out ? `\nreplay written to ${opts.out}/\n` : ''}`);
  reportIncomplete(runs);
}

/** A replay with a variant cut short ends as `run` does for an incomplete run: a line on stderr and exit code 3. */
function reportIncomplete(runs: ReplayRun[]): void {
  const cut = runs.filter((r) => !r.summary.complete);
  if (cut.length === 0) return;
  process.stderr.write(`fleetsim: the replay stopped early in ${cut.map((r) => `${r.name} (${r.summary.engine.stop_reason})`).join(', ')}; their figures cover the simulated part only and are marked incomplete\n`);
  process.exitCode = 3;
}
