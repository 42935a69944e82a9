import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { UserError } from '../errors.ts';
import { DEFAULT_ENGINE, ENGINE_NAMES, resolveEngine } from '../perf/profiles.ts';
import { NEAR_CAPACITY_LOAD } from '../perf/model-error.ts';
import { loadCorpus, type CorpusRow } from './corpus.ts';
import { CLIENT_GAP_MS, DEFAULT_SAMPLE_SEEDS, DEFAULT_SEED, MAX_CLIENT_GAP_MS, MAX_SAMPLE_SEEDS, profileFor, stacksWithoutProfile } from './predict.ts';
import { inSampleRows, inSampleWarning } from './in-sample.ts';
import { predictRowsYielding, WALL_SPENT_REASON } from './predict-yielding.ts';
import { distServeFinding, formatDisaggregationFinding } from './disaggregation-finding.ts';
import { formatTable, SPLIT_FILTERS, summarize, type FidelityTable, type SplitFilter } from './table.ts';
import { formatSpeculative, loadSpeculativeCorpus, predictSpeculative } from './speculative.ts';
import { formatPublishedBatchSteps, publishedBatchSteps } from './published-batch.ts';
import { formatPossibleCachedSweeps, possibleCachedSweeps } from './sweeps.ts';
import { strayOption } from '../util/stray-option.ts';

interface FidelityFlags {
  corpus?: string[];
  split: string;
  calibration?: string;
  engine?: string;
  seed: string;
  json?: boolean;
  rows?: boolean;
  maxMape?: string;
  maxError?: string;
  speculative?: boolean;
  disaggregation?: boolean;
  maxWallS: string;
  samples: string;
  rateScan?: boolean;
  clientGapMs: string;
}

/** The default bound of a whole fidelity or calibrate command: the shipped corpora take seconds to minutes (a serving fit 7-30). */
export const DEFAULT_MAX_WALL_S = 3600;
/** Its largest bound: a week. */
const MAX_WALL_S = 7 * 24 * 3600;

/** The repository's corpus directory (not the working directory's: the command runs from anywhere). */
export const DEFAULT_CORPUS_DIR = fileURLToPath(new URL('../../data/corpus/', import.meta.url));

/** What the rows are predicted with by default: their stacks' profiles, and the default for stacks without one. */
function stackFactors(rows: readonly CorpusRow[]): string {
  const without = stacksWithoutProfile(rows);
  if (without.length === 0) return 'each row\'s stack\'s engine profile';
  const list = without.map((s) => `${s.stack} (${s.rows} ${s.rows === 1 ? 'row' : 'rows'})`).join(', ');
  return `each row's stack's engine profile; stacks without one, predicted with ${DEFAULT_ENGINE} (the default): ${list}`;
}

/** Every *.csv of the default corpus directory, in name order. */
export function defaultCorpusFiles(dir = DEFAULT_CORPUS_DIR): string[] {
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.csv')).sort() : [];
  if (files.length === 0) throw new UserError(`${dir}: no corpus files (*.csv); pass --corpus FILE`);
  return files.map((f) => join(dir, f));
}

/**
 * The corpus files `--corpus` names: a directory stands for its own *.csv files in name order (not
 * its subdirectories'), so `--corpus data/corpus/fresh-2026-12` reads that part; a file is itself.
 * None given: the default corpus.
 */
export function corpusFiles(given: readonly string[] | undefined): string[] {
  if (!given?.length) return defaultCorpusFiles();
  // an empty path named no file in its error ("": cannot read ...)
  if (given.some((path) => path.trim() === '')) throw new UserError('--corpus: expected a corpus CSV file or a directory of them, got an empty path');
  return given.flatMap((path) => (existsSync(path) && statSync(path).isDirectory() ? defaultCorpusFiles(path) : [path]));
}

export function parseWallSeconds(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n <= 0 || n > MAX_WALL_S) throw new UserError(`--max-wall-s: expected seconds in (0, ${MAX_WALL_S}], got "${v}"`);
  return n;
}

function parseSampleSeeds(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !(n >= 1 && n <= MAX_SAMPLE_SEEDS)) throw new UserError(`--samples: expected a whole number of seeds from 1 to ${MAX_SAMPLE_SEEDS}, got "${v.slice(0, 40)}"`);
  return n;
}

function parseClientGap(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0 || n > MAX_CLIENT_GAP_MS) throw new UserError(`--client-gap-ms: expected milliseconds from 0 to ${MAX_CLIENT_GAP_MS}, got "${v.slice(0, 40)}"`);
  return n;
}

function parseSplit(v: string): SplitFilter {
  if ((SPLIT_FILTERS as readonly string[]).includes(v)) return v as SplitFilter;
  throw new UserError(`--split: expected one of ${SPLIT_FILTERS.join(', ')}, got "${v}"`);
}

function parsePercent(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw new UserError(`${flag}: expected a percentage >= 0 (e.g. 25), got "${v}"`);
  return n;
}

function parseSeed(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n)) throw new UserError(`--seed: expected an integer >= 0, got "${v}"`);
  return n;
}

/** Rows beyond --max-error named in its message, the worst first. */
const MAX_ROWS_NAMED = 5;

/** Why a CI gate of `fidelity` fails (none: it passes). A gate on part of the rows vouches for nothing. */
export function gateFailures(table: FidelityTable, unpredicted: number, maxMape?: number, maxError?: number): string[] {
  const gates = [maxMape !== undefined ? `--max-mape ${maxMape}%` : '', maxError !== undefined ? `--max-error ${maxError}%` : ''].filter(Boolean);
  if (gates.length === 0) return [];
  if (unpredicted > 0) return [`${gates.join(' and ')} not checked: ${unpredicted} rows were not predicted in time`];
  const out: string[] = [];
  const mape = table.overall.mape_pct;
  if (maxMape !== undefined && Number.isNaN(mape)) out.push(`no row evaluated, so the overall MAPE cannot be held to --max-mape ${maxMape}%`);
  else if (maxMape !== undefined && mape > maxMape) out.push(`overall MAPE ${mape.toFixed(1)}% is above --max-mape ${maxMape}%`);
  if (maxError !== undefined) {
    const beyond = table.rows.filter((r) => Math.abs(r.error_pct) > maxError).sort((a, b) => Math.abs(b.error_pct) - Math.abs(a.error_pct));
    if (table.rows.length === 0) out.push(`no row evaluated, so no row can be held to --max-error ${maxError}%`);
    else if (beyond.length > 0) {
      const named = beyond.slice(0, MAX_ROWS_NAMED).map((r) => `${r.id} ${r.error_pct >= 0 ? '+' : ''}${r.error_pct.toFixed(1)}%`).join(', ');
      out.push(`${beyond.length} of ${table.rows.length} rows are off by more than --max-error ${maxError}%: ${named}${beyond.length > MAX_ROWS_NAMED ? ', ...' : ''}`);
    }
  }
  return out;
}

/** A mode of fidelity ignored the corpus flags without a word: `--speculative --corpus mine.csv --rate-scan` read neither. */
function refuseStrayOption(command: Command, mode: string, taken: readonly string[], what: string): void {
  const stray = strayOption(command, [mode, ...taken]);
  if (stray !== undefined) throw new UserError(`${stray}: not with ${mode} (${what})`);
}

export function registerFidelity(program: Command): void {
  program
    .command('fidelity')
    .description('fleetsim\'s error against published hardware measurements: predicts every corpus row, prints the MAPE per kind, GPU, stack and dtype')
    .option('--corpus <files...>', 'corpus CSV files, or directories of them (default: data/corpus/*.csv of the repository)')
    .option('--split <split>', `rows to evaluate: ${SPLIT_FILTERS.join(', ')}`, 'validation')
    .option('--engine <name>', `one engine profile for every row: ${ENGINE_NAMES.join(', ')} (default: each row's stack's profile)`)
    .option('--calibration <file>', 'one calibration profile written by `fleetsim calibrate` for every row (instead of --engine)')
    .option('--seed <n>', 'seed of the simulated arrivals and lengths', String(DEFAULT_SEED))
    .option('--samples <n>', `seeds a finite run whose figure turns on its sample is read with (the figure stays the first seed's; its range is shown beside it; 1: none, at most ${MAX_SAMPLE_SEEDS})`, String(DEFAULT_SAMPLE_SEEDS))
    .option('--client-gap-ms <ms>', 'a closed loop\'s client gap between a response\'s end and its next request: the mean of an exponential law, counted in no latency (0: a client in lock-step)', String(CLIENT_GAP_MS))
    .option('--rate-scan', `for each latency row at load ${NEAR_CAPACITY_LOAD.toFixed(2)} to 1: the request rate at which fleetsim reads the measured figure, against the published one (a few more simulated runs a row)`)
    .option('--json', 'print one JSON object')
    .option('--rows', 'print every row: measured, predicted, error')
    .option('--max-mape <pct>', 'exit 1 if the overall MAPE is above this percentage (for CI)')
    .option('--max-error <pct>', 'exit 1 if any evaluated row is off by more than this percentage (for CI: every point within a bound)')
    .option('--max-wall-s <s>', 'wall-clock bound of the whole command, seconds: rows left when it runs out are not evaluated', String(DEFAULT_MAX_WALL_S))
    .option('--speculative', 'the speculative-decoding measurements (data/corpus/speculative/) instead: speedups with and without speculation')
    .option('--disaggregation', 'DistServe\'s finding instead: goodput per GPU of prefill/decode disaggregation against colocated serving, simulated (a few seconds)')
    .action(async (flags: FidelityFlags, command: Command) => {
      if (flags.disaggregation) {
        refuseStrayOption(command, '--disaggregation', ['--seed', '--json'], 'it simulates DistServe\'s finding, with --seed and --json only');
        const finding = distServeFinding(parseSeed(flags.seed));
        process.stdout.write(flags.json ? JSON.stringify(finding, null, 2) + '\n' : formatDisaggregationFinding(finding));
        return;
      }
      if (flags.speculative) {
        refuseStrayOption(command, '--speculative', ['--json'], 'it reads data/corpus/speculative/, with --json only');
        const table = predictSpeculative(loadSpeculativeCorpus());
        process.stdout.write(flags.json ? JSON.stringify(table, null, 2) + '\n' : formatSpeculative(table));
        return;
      }
      const split = parseSplit(flags.split);
      const maxMape = parsePercent(flags.maxMape, '--max-mape');
      const maxError = parsePercent(flags.maxError, '--max-error');
      const seed = parseSeed(flags.seed);
      // every flag checked, and the wall clock started, before the corpus is read
      const sampleSeeds = parseSampleSeeds(flags.samples);
      const clientGapMs = parseClientGap(flags.clientGapMs);
      const deadline_ms = Date.now() + parseWallSeconds(flags.maxWallS) * 1000;
      const files = corpusFiles(flags.corpus);
      const calibration = flags.engine || flags.calibration ? resolveEngine(flags.engine, flags.calibration, '--engine') : undefined;
      const rows = loadCorpus(files);
      const inSplit = rows.filter((r) => split === 'all' || r.split === split);
      const factors = flags.calibration ?? (flags.engine ? `engine ${flags.engine}` : stackFactors(inSplit));
      // a profile's error on the rows it was fitted on is no validation: said, before the rows are predicted
      const inSample = inSampleRows(inSplit, (row) => calibration ?? profileFor(row, {}));
      const warning = inSampleWarning(inSample, inSplit.length, flags.calibration ?? (flags.engine ? `engine ${flags.engine}` : undefined));
      if (warning) process.stderr.write(`fidelity: ${warning}\n`);
      // a finite run's figure turns on its sample: say by how much, beside the first seed's
      const predictions = await predictRowsYielding(inSplit, { calibration, seed, sampleSeeds, clientGapMs, rateScan: flags.rateScan === true }, () => deadline_ms - Date.now());
      const unpredicted = predictions.filter((p) => p.status === 'not_evaluated' && p.reason === WALL_SPENT_REASON).length;
      if (unpredicted > 0) process.stderr.write(`fidelity: --max-wall-s ${flags.maxWallS} ran out: ${unpredicted} of ${inSplit.length} rows not evaluated\n`);
      const table = summarize(rows, predictions, split);
      // the step model at the batches the published runs held: read from the rows, not simulated
      // (a run's figures are read across the splits: its throughput tells whether it kept up)
      const inSplitIds = new Set(inSplit.map((r) => r.id));
      const batchSteps = flags.json || flags.rows ? publishedBatchSteps(rows, calibration).filter((b) => inSplitIds.has(b.id)) : [];
      const sweeps = possibleCachedSweeps(inSplit);
      process.stdout.write(flags.json
        ? JSON.stringify({ corpus: files, factors, seed, client_gap_ms: clientGapMs, in_sample: inSample.rows > 0, in_sample_rows: inSample.rows, warnings: warning ? [warning] : [], ...table, published_batch_steps: batchSteps, possible_cached_sweeps: sweeps }, null, 2) + '\n'
        : formatTable(table, { rows: flags.rows, factors, notes: formatPossibleCachedSweeps(sweeps) }) + formatPublishedBatchSteps(batchSteps).map((l) => `${l}\n`).join(''));
      const failures = gateFailures(table, unpredicted, maxMape, maxError);
      for (const f of failures) process.stderr.write(`fidelity: ${f}\n`);
      if (failures.length > 0) process.exitCode = 1;
    });
}
