import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../errors.ts';
import { excerpt } from '../util/excerpt.ts';
import { loadScenario, readDocument } from '../scenario/load.ts';
import { inputFiles, prepare, type Prepared } from '../scenario/prepare.ts';
import { precheckBudgetPaths, scenarioBudgets, scenarioSloTargets } from './scenario-budgets.ts';
import { checkBudgetPaths, checkJunit, checkMarkdown, errorJunit, evaluateBudgets, JUNIT_REPORT, outcome, parseBudgets, type Budget } from '../report/budgets.ts';
import { sloBudgets, withSloRules, type ScenarioSlo } from '../report/slo-budgets.ts';
import { sloVerdictHeadline } from '../report/verdict-text.ts';
import type { Summary } from '../results/summary.ts';
import { checkReportTarget, openReportDir, partialPath } from '../report/write.ts';
import { checkNotInput } from '../report/output-dir.ts';
import { checkFileTarget, writeFileAtomic } from '../util/write-atomic.ts';
import { checkMemory } from '../experiment/memory.ts';
import { buildReportFiles } from '../report/report-files.ts';
import { stationsCsv, timeseriesCsv } from '../report/csv.ts';
import { collect, nonNegIntArg, posIntArg, pathArg } from './options.ts';
import { Interrupt, Progress, runReplicationsSliced } from './progress.ts';
import type { OutputDir } from '../report/output-dir.ts';

interface CheckOptions {
  budgets?: string;
  replications?: number;
  seed?: number;
  set: string[];
  junit?: string;
  allowInconclusive?: boolean;
  budgetsOnly?: boolean;
  out?: string;
  quiet?: boolean;
}

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description("simulate a scenario and check budgets on summary.json figures and the scenario's own SLOs: exit 0 all pass, 1 a budget or SLO target fails (or is inconclusive), 2 bad input")
    .argument('<scenario>', 'scenario file (YAML or JSON); an optional top-level budgets: list in it is checked too')
    .option('--budgets <file>', 'budgets file (YAML or JSON): a list of "metric op value" strings or {metric, op, value} (op: <=, <, >=, >)')
    .option('--replications <n>', 'independent runs (seeds seed..seed+n-1): verdicts use 95% confidence intervals', posIntArg)
    .option('--seed <n>', 'random seed (overrides the scenario)', nonNegIntArg)
    .option('--set <path=value>', 'override a scenario field (repeatable)', collect, [])
    .option('--junit <file>', 'write a JUnit XML report (one test case per budget)', pathArg)
    .option('--allow-inconclusive', 'exit 0 when no budget fails but some are inconclusive because their CI straddles the bound (not when the run is not at steady state: that stays exit 1)')
    .option('--budgets-only', "gate on the budgets alone: the scenario's SLOs (slo, fleet.models.<m>.slo, fleet.classes.<c>.slo) are shown, not checked")
    .option('--out <dir>', 'also write the run report (summary.json, report.html, ...) into this directory; a run stopped by Ctrl-C or SIGTERM writes it to <dir>.partial/ instead', pathArg)
    .option('--quiet', 'no progress bar or messages on stderr (the Markdown summary still goes to stdout)')
    .action(async (file: string, opts: CheckOptions) => {
      const t0 = performance.now();
      // every input known so far (the scenario's model configs and profiles once it is loaded),
      // and whether the refusal is of the JUnit path itself
      const seen: JunitContext = { inputs: [file, ...(opts.budgets ? [opts.budgets] : [])], targetRefused: false };
      try {
        await check(file, opts, t0, seen);
      } catch (e) {
        // a JUnit file for bad input, unless the bad input is where the JUnit file goes; the
        // refusal is what the user reads, not a failure to write that file
        if (e instanceof UserError && opts.junit && !seen.targetRefused && !e.message.startsWith('--junit ')) {
          try {
            writeJunit(opts.junit, errorJunit(file, e.message), seen.inputs);
          } catch {
            // the JUnit path is itself unusable: the refusal above says what to mend first
          }
        }
        throw e;
      }
    });
}

/** Writes the JUnit report atomically, never over one of the command's inputs. */
function writeJunit(path: string, text: string, inputs: string[]): void {
  mkdirSync(dirname(resolve(path)), { recursive: true });
  writeFileAtomic(path, text, inputs, '--junit', JUNIT_REPORT);
}

/**
 * Where the JUnit file goes, checked before the simulation: not inside --out (the report replaces
 * that directory whole, and a JUnit file written there was deleted with the earlier report, or
 * refused after the run for want of the directory), and in a directory that exists and takes files.
 */
function checkJunitTarget(junit: string, out: string | undefined): void {
  const target = resolve(junit);
  if (out !== undefined) {
    const dir = resolve(out);
    if (target === dir || target.startsWith(`${dir}${sep}`)) throw new UserError(`--junit ${excerpt(junit)}: inside --out ${excerpt(out)}, which the report replaces whole; write the JUnit file elsewhere`);
  }
  checkFileTarget(junit, '--junit', JUNIT_REPORT);
}

/** What the error path needs to write its JUnit file safely (check's action). */
interface JunitContext {
  inputs: string[];
  targetRefused: boolean;
}

async function check(file: string, opts: CheckOptions, t0: number, seen: JunitContext): Promise<void> {
  if (opts.out) checkReportTarget(opts.out);
  const fromFile = opts.budgets ? parseBudgets(readDocument(opts.budgets), opts.budgets) : [];
  const prep = prepare(loadScenario(file, opts.set));
  const inScenario = scenarioBudgets(prep);
  const budgets = [...(inScenario ?? []), ...fromFile];
  const slos = opts.budgetsOnly ? 0 : scenarioSloTargets(prep);
  if (budgets.length === 0 && slos === 0) throw new UserError(`${file}: no budgets to check: give --budgets FILE, or a budgets: list in the scenario${opts.budgetsOnly ? ' (--budgets-only leaves its SLOs out)' : ' (it sets no SLO either)'}`);
  const from = [inScenario ? `${file} (budgets:)` : '', opts.budgets ?? ''].filter(Boolean).join(' and ');
  const seed = opts.seed ?? prep.scenario.seed;
  const reps = opts.replications ?? prep.scenario.replications;
  checkMemory(prep.scenario, file, { runs: reps, parallel: 1, threads: 0, report: opts.out !== undefined });
  precheckBudgetPaths(prep, seed, budgets);
  const inputs = [...inputFiles(prep), ...(opts.budgets ? [opts.budgets] : [])];
  seen.inputs = inputs;
  if (opts.junit) {
    seen.targetRefused = true;
    checkNotInput(opts.junit, inputs, '--junit');
    checkJunitTarget(opts.junit, opts.out);
    seen.targetRefused = false;
  }
  // Opened now: an --out that cannot be written fails before the simulation, not after it.
  const out = opts.out ? openReportDir(opts.out, inputs, { interruptible: true }) : undefined;
  try {
    await checkAndReport(file, opts, t0, { prep, budgets, from, seed, reps, inputs, out });
  } finally {
    out?.abort();
  }
}

/** The budgets' verdicts and, unless --budgets-only, each SLO target's, judged together (an error-rate budget decides whether a latency is of survivors for both). */
function judge(budgets: readonly Budget[], s: Summary, budgetsOnly: boolean, scenario_slo?: ScenarioSlo) {
  return withSloRules(evaluateBudgets([...budgets, ...(budgetsOnly ? [] : sloBudgets(s, scenario_slo))], s));
}

/** Where the verdicts come from beside the budgets: the scenario's SLOs gated, or shown as not gated. */
function sloSources(s: Summary, budgetsOnly: boolean, scenario_slo?: ScenarioSlo): { sloTargets?: number; notGated?: string } {
  const targets = sloBudgets(s, scenario_slo).length;
  if (targets === 0) return {};
  return budgetsOnly ? { notGated: `the scenario's SLOs (--budgets-only); the run's verdict: ${sloVerdictHeadline(s)}` } : { sloTargets: targets };
}

async function checkAndReport(
  file: string,
  opts: CheckOptions,
  t0: number,
  c: { prep: Prepared; budgets: Budget[]; from: string; seed: number; reps: number; inputs: string[]; out?: OutputDir },
): Promise<void> {
  const { prep, budgets, from, seed, reps, out } = c;
  const say = (s: string) => {
    if (!opts.quiet) process.stderr.write(`${s}\n`);
  };
  const slos = opts.budgetsOnly ? 0 : scenarioSloTargets(prep);
  say(`fleetsim check: ${budgets.length} budget${budgets.length === 1 ? '' : 's'}${slos > 0 ? ` and ${slos} SLO target${slos === 1 ? '' : 's'}` : ''} on ${prep.scenario.name}, ${reps} replication${reps === 1 ? '' : 's'} from seed ${seed}`);
  const interrupt = new Interrupt();
  let exp;
  try {
    exp = await runReplicationsSliced(prep, seed, reps, { progress: new Progress(!opts.quiet), signal: interrupt.signal });
  } finally {
    interrupt.dispose();
  }
  const s = exp.summary;
  if (exp.interrupted) {
    // No verdict on part of a run: its budgets may name figures it has not reached (a stage no
    // request got to yet), and a pass on a shortened run would mislead the gate.
    process.stderr.write(`fleetsim check: stopped by ${interrupt.reason} before the end of the run; no verdict\n`);
  } else {
    checkBudgetPaths(budgets, s);
    const o = outcome(judge(budgets, s, !!opts.budgetsOnly, prep.scenario.slo), !!opts.allowInconclusive);
    process.stdout.write(checkMarkdown(o, s, { budgetsFrom: from, allowInconclusive: !!opts.allowInconclusive, ...sloSources(s, !!opts.budgetsOnly, prep.scenario.slo) }));
    if (opts.junit) writeJunit(opts.junit, checkJunit(o, s, { allowInconclusive: !!opts.allowInconclusive, wall_s: (performance.now() - t0) / 1000, timestamp: new Date().toISOString().replace(/\.\d+Z$/, '') }), c.inputs);
    process.exitCode = o.exitCode;
  }
  if (out) {
    const report = await buildReportFiles({ summary: s, timeseries: exp.timeseries, distributions: exp.distributions });
    out.writeAll({ 'summary.json': `${JSON.stringify(s, null, 2)}\n`, 'timeseries.csv': timeseriesCsv(exp.timeseries, s.faults ?? [], s.window_s), 'stations.csv': stationsCsv(s), ...report });
    // An interrupted run never replaces a report: it goes beside it.
    out.commit(exp.interrupted ? partialPath(opts.out!) : undefined);
    if (exp.interrupted) process.stderr.write(`fleetsim: stopped by ${interrupt.reason}; the partial report is in ${partialPath(opts.out!)}/ ("complete": false)\n`);
  }
  if (exp.interrupted) process.exitCode = interrupt.exitCode;
}
