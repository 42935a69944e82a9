import { existsSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { UserError } from '../errors.ts';
import { loadScenario } from '../scenario/load.ts';
import { prepare } from '../scenario/prepare.ts';
import { compareMarkdown, compareSummaries, summaryKind, type CompareSide } from '../report/compare.ts';
import { version } from '../version.ts';
import { excerpt } from '../util/excerpt.ts';
import { checkMemory } from '../experiment/memory.ts';
import type { Summary } from '../results/summary.ts';
import { summaryContradiction } from '../results/summary-contradiction.ts';
import { SummarySchema } from '../results/summary-schema.ts';
import { describeIssue } from '../util/format-issue.ts';
import { collect, nonNegIntArg, posIntArg } from './options.ts';
import { Interrupt, Progress, runReplicationsSliced } from './progress.ts';
import { readInputText } from '../util/read-input.ts';
import { parseJsonInput } from '../util/json-keys.ts';

interface CompareOptions {
  replications?: number;
  seed?: number;
  candidateSeed?: number;
  set: string[];
  candidateSet: string[];
  json?: boolean;
  alpha: number;
  minChange: number;
  failOnRegression?: boolean;
  quiet?: boolean;
}

/** Replications run for scenario inputs when --replications is not given: enough for a t-test to see a real change. */
export const DEFAULT_COMPARE_REPLICATIONS = 5;

function probability(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n <= 0 || n >= 1) throw new InvalidArgumentError(`expected a number between 0 and 1, got "${v}"`);
  return n;
}

function nonNegNumber(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`expected a number >= 0, got "${v}"`);
  return n;
}

/** A summary.json (or a report directory holding one), if `path` is one; undefined for a scenario. */
function readSummary(path: string): Summary | undefined {
  let file = path;
  if (existsSync(path) && statSync(path).isDirectory()) {
    file = join(path, 'summary.json');
    if (!existsSync(file)) throw new UserError(`${path}: a directory without summary.json: expected a report directory, a summary.json or a scenario file`);
  } else if (extname(path).toLowerCase() !== '.json') return undefined;
  const text = readInputText(file, file, (code) => `cannot read the file (${code === 'ENOENT' ? 'no such file' : code})`);
  const doc = parseJsonInput(text, file, 'invalid JSON');
  // fleetsim_version marks a summary (no scenario has it): one missing a block is then refused as
  // a summary, naming the block, not read as a scenario with a dozen unknown keys
  const looksLikeSummary = doc !== null && typeof doc === 'object' && 'fleetsim_version' in doc;
  if (looksLikeSummary) return checkedSummary(doc, file);
  if (file !== path) throw new UserError(`${file}: not a fleetsim summary.json (no fleetsim_version)`);
  return undefined; // a JSON scenario
}

/**
 * A summary.json as summary-schema.ts declares it, or a one-line refusal naming its first field
 * that is not (a summary edited by hand or cut short: `requests` a string, a negative replication
 * count, a missing block were read as nothing and the comparison said "No regression"). Keys the
 * schema does not know are let through: a summary of another fleetsim version may carry them.
 */
function checkedSummary(doc: unknown, file: string): Summary {
  const parsed = SummarySchema.safeParse(doc, { reportInput: true });
  const issue = parsed.success ? undefined : parsed.error.issues.find((i) => i.code !== 'unrecognized_keys');
  if (issue) throw new UserError(`${file}: ${describeIssue(issue)} (not a summary.json fleetsim can compare)`);
  const impossible = summaryContradiction(doc as Summary);
  if (impossible) throw new UserError(`${file}: ${impossible} (not a summary.json fleetsim can compare)`);
  return doc as Summary;
}

export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description("compare two results: every headline metric side by side, significance over replications (paired t-test on common random numbers, else Welch's), regressions flagged")
    .argument('<base>', 'summary.json, a report directory, or a scenario file (run here)')
    .argument('<candidate>', 'summary.json, a report directory, or a scenario file (run here, on the same seeds as the base)')
    .option('--replications <n>', `replications per scenario input, on common random numbers (default ${DEFAULT_COMPARE_REPLICATIONS})`, posIntArg)
    .option('--seed <n>', "first seed of both scenario inputs (default: the base scenario's seed)", nonNegIntArg)
    .option('--candidate-seed <n>', 'first seed of the candidate instead (e.g. to see seed noise: same scenario, other seeds)', nonNegIntArg)
    .option('--set <path=value>', 'override a field of both scenario inputs (repeatable)', collect, [])
    .option('--candidate-set <path=value>', 'override a field of the candidate scenario only (repeatable): a what-if on the base file', collect, [])
    .option('--alpha <p>', 'family-wise significance level (Holm-Bonferroni over the metrics)', probability, 0.05)
    .option('--min-change <fraction>', 'smallest relative change flagged (0.02 = 2%)', nonNegNumber, 0.02)
    .option('--json', 'print the comparison as JSON instead of Markdown')
    .option('--fail-on-regression', 'exit 1 when a regression is flagged, and also when nothing could be tested (a side has a single run: "inconclusive"; give --replications 2 or more, or summaries of replicated runs)')
    .option('--quiet', 'no progress bar or messages on stderr')
    .action(compareAction);
}

/** `fleetsim compare`: reads or runs each side (common random numbers when both are scenarios), then compares. */
async function compareAction(baseArg: string, candArg: string, opts: CompareOptions): Promise<void> {
  const baseSummary = readSummary(baseArg);
  const candSummary = readSummary(candArg);
  const reps = opts.replications ?? DEFAULT_COMPARE_REPLICATIONS;
  const say = (s: string) => {
    if (!opts.quiet) process.stderr.write(`${s}\n`);
  };
  // Load both scenarios before running either, so a bad candidate fails fast.
  const basePrep = baseSummary ? undefined : prepare(loadScenario(baseArg, opts.set));
  const candPrep = candSummary ? undefined : prepare(loadScenario(candArg, [...opts.set, ...opts.candidateSet]));
  if (candSummary && opts.candidateSet.length > 0) throw new UserError(`--candidate-set: the candidate ${candArg} is a summary, not a scenario: there is nothing to override`);
  const baseKind = baseSummary ? summaryKind(baseSummary) : basePrep!.scenario.fleet ? 'fleet' : 'station network';
  const candKind = candSummary ? summaryKind(candSummary) : candPrep!.scenario.fleet ? 'fleet' : 'station network';
  if (baseKind !== candKind) throw new UserError(`compare: ${baseArg} is a ${baseKind} result and ${candArg} a ${candKind} one: their figures are not comparable; compare results of the same kind`);
  const versions = [baseSummary?.fleetsim_version ?? version, candSummary?.fleetsim_version ?? version];
  // a summary's strings are a file's words: escaped, as every other name on the terminal
  if (versions[0] !== versions[1]) say(`fleetsim compare: warning: the base comes from fleetsim ${excerpt(versions[0])} and the candidate from ${excerpt(versions[1])}: model changes between versions may account for differences`);
  for (const prep of [basePrep, candPrep]) if (prep) checkMemory(prep.scenario, prep.file, { runs: reps, parallel: 1, threads: 0, keptSummaries: reps });
  const seed = opts.seed ?? basePrep?.scenario.seed ?? candPrep?.scenario.seed ?? 1;
  const candSeed = opts.candidateSeed ?? seed;
  const interrupt = new Interrupt();
  const progress = new Progress(!opts.quiet);
  let base: CompareSide;
  let cand: CompareSide;
  try {
    if (basePrep) {
      say(`fleetsim compare: running the base ${baseArg}: ${reps} replications from seed ${seed}`);
      const e = await runReplicationsSliced(basePrep, seed, reps, { progress, label: 'base', signal: interrupt.signal, keepRuns: true });
      base = { label: baseArg, summary: e.summary, runs: e.runs };
    } else base = { label: baseArg, summary: baseSummary! };
    if (!interrupt.interrupted && candPrep) {
      say(`fleetsim compare: running the candidate ${candArg}: ${reps} replications from seed ${candSeed}${candSeed === seed && basePrep ? ' (common random numbers)' : ''}`);
      const e = await runReplicationsSliced(candPrep, candSeed, reps, { progress, label: 'candidate', signal: interrupt.signal, keepRuns: true });
      cand = { label: candArg, summary: e.summary, runs: e.runs };
    } else cand = { label: candArg, summary: candSummary ?? base.summary };
  } finally {
    interrupt.dispose();
  }
  if (interrupt.interrupted) {
    process.stderr.write(`fleetsim: compare stopped by ${interrupt.reason}; nothing compared\n`);
    process.exitCode = interrupt.exitCode;
    return;
  }
  if (opts.candidateSet.length > 0) cand.label = `${candArg} (${opts.candidateSet.join(', ')})`;
  else if (opts.candidateSeed !== undefined) cand.label = `${candArg} (seed ${candSeed})`;
  const c = compareSummaries(base, cand, { alpha: opts.alpha, minChange: opts.minChange });
  process.stdout.write(opts.json ? `${JSON.stringify(c, null, 2)}\n` : compareMarkdown(c));
  process.exitCode = opts.failOnRegression && c.regressions.length > 0 ? 1 : 0;
  // A single run per side tests nothing: a gate that passed here would pass on any change.
  if (opts.failOnRegression && c.regressions.length === 0 && c.metrics.some((m) => m.verdict === 'untested')) {
    process.stderr.write(`fleetsim compare: inconclusive: ${c.base.replications < 2 ? `the base (${baseArg})` : `the candidate (${candArg})`} has a single run, so no change could be tested; --fail-on-regression needs 2 or more replications per side (--replications N for scenario inputs)\n`);
    process.exitCode = 1;
  }
}
