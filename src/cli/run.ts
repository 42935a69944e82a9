import { InvalidArgumentError, type Command } from 'commander';
import { loadScenario } from '../scenario/load.ts';
import { inputFiles, prepare, type Prepared } from '../scenario/prepare.ts';
import { runReplicationsJobs } from '../experiment/replications.ts';
import { capJobs } from '../experiment/parallel.ts';
import { checkReportTarget, openReportDir, partialPath } from '../report/write.ts';
import { checkMemory } from '../experiment/memory.ts';
import { precheckBudgetPaths, scenarioBudgets } from './scenario-budgets.ts';
import type { Summary } from '../results/summary.ts';
import { stationsCsv, timeseriesCsv } from '../report/csv.ts';
import { vllmResult, vllmWarnings } from '../report/vllm-format.ts';
import { renderSummary } from '../report/terminal.ts';
import { capacityCheck } from './capacity-check.ts';
import { collect, nonNegIntArg, posIntArg, pathArg } from './options.ts';
import { buildReportFiles } from '../report/report-files.ts';
import { Interrupt, Progress, runReplicationsSliced } from './progress.ts';
import { fmt } from '../report/table.ts';
import { escapeControls } from '../util/excerpt.ts';
import { UserError } from '../errors.ts';

interface RunOptions {
  seed?: number;
  replications?: number;
  out?: string;
  json?: boolean;
  format: OutputFormat;
  set: string[];
  quiet?: boolean;
  jobs?: number;
}

const OUTPUT_FORMATS = ['table', 'json', 'vllm'] as const;
type OutputFormat = (typeof OUTPUT_FORMATS)[number];

function formatArg(value: string): OutputFormat {
  if ((OUTPUT_FORMATS as readonly string[]).includes(value)) return value as OutputFormat;
  throw new InvalidArgumentError(`expected one of ${OUTPUT_FORMATS.join(', ')}`);
}

/** `runReplicationsJobs` with the progress bar advanced per finished replication. */
async function runReplicationsOnJobs(prep: Prepared, seed: number, reps: number, jobs: number, progress: Progress, signal: AbortSignal) {
  const duration_ms = prep.scenario.duration_s * 1000;
  let events = 0;
  progress.start(duration_ms * reps, `${Math.min(jobs, reps)} jobs`);
  try {
    return await runReplicationsJobs(prep, seed, reps, jobs, {
      signal,
      onDone: (i, done, s) => progress.update(done * duration_ms, duration_ms, duration_ms, done - 1, reps, (events += s.engine.events)),
    });
  } finally {
    progress.stop();
  }
}

/** Where an interrupted run's report goes: beside --out, never over it. */
const OUT_HELP =
  'write summary.json, timeseries.csv, stations.csv, report.html, report.md and one SVG per chart into this directory ' +
  '(atomically: a temporary sibling renamed into place). A run stopped by Ctrl-C or SIGTERM writes what it simulated to <dir>.partial/ instead, ' +
  'marked "complete": false, and leaves <dir> as it was';

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('simulate a scenario and report latencies, errors and utilisation')
    .argument('<scenario>', 'scenario file (YAML or JSON)')
    .option('--seed <n>', 'random seed (overrides the scenario)', nonNegIntArg)
    .option('--replications <n>', 'independent runs (seeds seed..seed+n-1), with 95% confidence intervals', posIntArg)
    .option('--set <path=value>', 'override a scenario field, e.g. topology.stations.api.servers=12 (repeatable)', collect, [])
    .option('--out <dir>', OUT_HELP, pathArg)
    .option('--json', 'print summary.json to stdout instead of the table')
    .option('--format <format>', 'what to print to stdout: table (default), json (summary.json, as --json) or vllm (the latency figures under vLLM benchmark_serving names, also written to <out>/vllm.json)', formatArg, 'table')
    .option('--quiet', 'print nothing but errors (and the JSON with --json); no progress bar')
    .option('--jobs <n>', 'worker threads for the replications (default and most: every core); results do not depend on it', posIntArg)
    .action(async (file: string, opts: RunOptions, command: Command) => {
      // one of the two won without a word: --json --format vllm printed summary.json
      if (opts.json && command.getOptionValueSource('format') !== 'default') throw new UserError(`--json: not with --format (--json is --format json; give one of them)`);
      if (opts.out) checkReportTarget(opts.out);
      const loaded = loadScenario(file, opts.set);
      const sc = loaded.scenario;
      const prep = prepare(loaded);
      const seed = opts.seed ?? sc.seed;
      const reps = opts.replications ?? sc.replications;
      // --jobs: replications on worker threads; the same result whatever the number of jobs.
      const jobs = capJobs(opts.jobs, opts.quiet);
      const parallel = jobs > 1 && reps > 1 ? Math.min(jobs, reps) : 1;
      checkMemory(sc, file, { runs: reps, parallel, threads: parallel > 1 ? parallel : 0, report: opts.out !== undefined });
      // budgets are check's, but a scenario check refuses for them is not run as if valid
      const budgets = scenarioBudgets(prep);
      if (budgets) precheckBudgetPaths(prep, seed, budgets);
      // Opened now: an --out that cannot be written fails before the simulation, not after it.
      const out = opts.out ? openReportDir(opts.out, inputFiles(prep), { interruptible: true }) : undefined;
      const machine = opts.json || opts.format !== 'table'; // stdout holds JSON: the rest goes to stderr
      const info = (s: string) => {
        if (opts.quiet) return;
        (machine ? process.stderr : process.stdout).write(`${s}\n`);
      };
      const check = capacityCheck(prep);
      info(check.text);
      info('');
      // Ctrl-C or SIGTERM stops the simulation within a slice of wall time; what was simulated is reported.
      const interrupt = new Interrupt();
      try {
        const exp = parallel > 1
          ? await runReplicationsOnJobs(prep, seed, reps, jobs, new Progress(!opts.quiet), interrupt.signal)
          : await runReplicationsSliced(prep, seed, reps, { progress: new Progress(!opts.quiet), signal: interrupt.signal });
        interrupt.simulationEnded();
        const summaryJson = `${JSON.stringify(exp.summary, null, 2)}\n`;
        const vllmJson = `${JSON.stringify(vllmResult(exp.summary), null, 2)}\n`;
        const where = out && (exp.interrupted ? partialPath(opts.out!) : opts.out!);
        if (out) {
          const report = await buildReportFiles({ summary: exp.summary, timeseries: exp.timeseries, distributions: exp.distributions });
          out.writeAll({
            'summary.json': summaryJson,
            'timeseries.csv': timeseriesCsv(exp.timeseries, exp.summary.faults, exp.summary.window_s),
            'stations.csv': stationsCsv(exp.summary),
            ...(opts.format === 'vllm' ? { 'vllm.json': vllmJson } : {}),
            ...report,
          });
          out.commit(exp.interrupted ? where : undefined);
        }
        printResult(opts, exp.summary, { summaryJson, vllmJson }, info);
        if (!opts.quiet) for (const w of stderrWarnings(exp.summary)) process.stderr.write(`fleetsim: warning: ${escapeControls(w)}\n`);
        if (where) info(`\nreport written to ${where}/ (open ${where}/report.html)`);
        reportEnd(exp, interrupt, { seed, reps, duration_s: sc.duration_s, max_wall_s: sc.limits.max_wall_s, out: opts.out, where });
      } finally {
        out?.abort();
        interrupt.dispose();
      }
    });
}

/**
 * Verdict warnings that say part of the run describes nothing (a class that got no requests,
 * reasoning answers the context window cut): also on stderr, where they reach a reader of
 * --json or of a redirected table.
 */
const STDERR_WARNINGS: readonly string[] = ['class_without_requests', 'reasoning_answers_cut'];

function stderrWarnings(s: Summary): string[] {
  return (s.verdict?.warnings ?? []).filter((w) => STDERR_WARNINGS.includes(w.code)).map((w) => w.message);
}

/** The result on stdout in the format asked for. */
function printResult(opts: RunOptions, summary: Summary, json: { summaryJson: string; vllmJson: string }, info: (s: string) => void): void {
  if (opts.json || opts.format === 'json') process.stdout.write(json.summaryJson);
  else if (opts.format === 'vllm') {
    process.stdout.write(json.vllmJson);
    // benchmark-style figures read as a measurement: what undermines them goes where a person looks
    for (const w of vllmWarnings(summary)) info(`fleetsim: warning: ${escapeControls(w)}`);
  } else info(renderSummary(summary));
}

/** How the run ended, on stderr and in the exit code: stopped by a signal, signalled after it ended, or cut short by a limit. */
function reportEnd(exp: { summary: Summary; last: Summary; interrupted: boolean }, interrupt: Interrupt, o: { seed: number; reps: number; duration_s: number; max_wall_s: number; out?: string; where?: string }): void {
  if (exp.interrupted) reportInterruption(exp, interrupt, o);
  else if (interrupt.signalledAfterSimulation) {
    process.stderr.write(`fleetsim: ${interrupt.reason} arrived after the simulation had ended; its results are complete${o.where ? ` and written to ${o.where}/` : ''}\n`);
    process.exitCode = interrupt.exitCode;
  } else if (!exp.summary.complete) {
    const ran = exp.summary.replications < o.reps ? ` after ${exp.summary.replications} of ${o.reps} replications (limits.max_wall_s = ${o.max_wall_s} s bounds the whole command)` : '';
    process.stderr.write(`fleetsim: the run stopped early (${exp.summary.engine.stop_reason})${ran}; results cover the simulated part only and are marked incomplete (seed ${o.seed})\n`);
    process.exitCode = 3;
  }
}

/** The message after Ctrl-C or SIGTERM: where the run stopped and where its partial report is. */
function reportInterruption(exp: { summary: Summary; last: Summary }, interrupt: Interrupt, o: { seed: number; reps: number; duration_s: number; out?: string; where?: string }): void {
  const last = exp.last;
  const ran = exp.summary.replications;
  const at = o.reps > 1 ? ` in replication ${ran} of ${o.reps} (seed ${o.seed + ran - 1})` : ` (seed ${o.seed})`;
  const report = o.where ? `the report in ${o.where}/ covers the simulated part only and is marked "complete": false (${o.out}/ was left as it was)` : 'the results cover the simulated part only and are marked "complete": false';
  // stopped between two replications: the last one ran to its end
  const when = last.duration_s >= o.duration_s && o.reps > 1 ? `after replication ${ran} of ${o.reps}, before the next began` : `after ${fmt(last.duration_s)} of ${fmt(o.duration_s)} simulated seconds${at}`;
  process.stderr.write(`fleetsim: stopped by ${interrupt.reason} ${when}; ${report}\n`);
  process.exitCode = interrupt.exitCode;
}
