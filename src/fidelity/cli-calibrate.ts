import { mkdirSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Command } from 'commander';
import { UserError } from '../errors.ts';
import { listNames, quote } from '../util/excerpt.ts';
import { calibrate, evaluate, logErrorsMapePct, type FitPoint, type FitResult } from '../perf/calibrate.ts';
import { CALIBRATION_PROFILE_FILE, FACTOR_NAMES, loadCalibration, type CalibrationProfile, type FactorName } from '../perf/calibration.ts';
import { fraction } from '../perf/cli-args.ts';
import { checkNotInput } from '../util/not-input.ts';
import { checkFileTarget, writeFileAtomic } from '../util/write-atomic.ts';
import { parseDtype } from '../perf/dtype.ts';
import { catalogGpuId, getGpu, getModel } from '../perf/lookup.ts';
import { gpuIdFor, loadMeasurements, modelIdFor, splitwisePoints, type MeasurementRow } from '../perf/measurements.ts';
import { DEFAULT_ENGINE, ENGINE_NAMES, getEngineProfile } from '../perf/profiles.ts';
import { DEFAULT_MAX_WALL_S, corpusFiles, parseWallSeconds } from './cli-fidelity.ts';
import { loadCorpus, rowConfiguration } from './corpus.ts';
import { fitRowsRecord } from './in-sample.ts';
import { corpusFitSet, servingBelowKnee, servingLogErrors } from './fit-corpus.ts';
import { SPLIT_FILTERS, type SplitFilter } from './table.ts';
import { versionAtLeast } from './versions.ts';
import { pathArg } from '../util/path-arg.ts';

export interface CalibrateFlags {
  measurements?: string;
  corpus?: string[];
  split: string;
  serving?: boolean;
  nearCapacity?: boolean;
  since?: string;
  before?: string;
  model?: string;
  gpu?: string;
  dtype: string;
  stack?: string;
  base?: string;
  fit?: string;
  name?: string;
  gpuMemoryUtilization?: string;
  out?: string;
  json?: boolean;
  maxWallS: string;
  /** set by the command from --max-wall-s at its start: the fit stops by then (ms since the epoch) */
  deadline_ms?: number;
}

/** The one model or hardware name of a measurement file, and where it is first read (file:line). */
function single(rows: readonly MeasurementRow[], key: 'model' | 'hardware', flag: string, file: string): [name: string, where: string] {
  const names = [...new Set(rows.map((r) => r[key]))];
  if (names.length > 1) throw new UserError(`${file}: ${key}: the measurements hold several names (${listNames(names)}): split the file, or pass ${flag} if they are one ${key}`);
  return [names[0], `${file}:${rows[0].line}`];
}

const pct = (x: number) => (Number.isNaN(x) ? '-' : `${x.toFixed(1)}%`);

/** The per-point table and the MAPE before and after, as `calibrate` prints them. */
export function fitReport(r: FitResult, before: FitResult, excluded: readonly string[], serving?: ServingFit): string {
  const out = r.points.length > 0 ? ['id                                      kind        measured   predicted   error'] : [];
  for (const p of r.points) {
    out.push(`${p.id.padEnd(40)}${p.kind.padEnd(10)}${p.measured.toFixed(1).padStart(10)}  ${p.predicted.toFixed(1).padStart(10)}  ${(p.error_pct >= 0 ? '+' : '') + p.error_pct.toFixed(1)}%`);
  }
  for (const e of excluded) out.push(`excluded ${e}`);
  const line = (x: FitResult) => `${pct(x.mape_pct)} (${Object.entries(x.mape_pct_by_kind).map(([k, v]) => `${k} ${pct(v)}`).join(', ')})`;
  if (r.points.length > 0) out.push('', `mean absolute percentage error, base profile: ${line(before)}`, `mean absolute percentage error, fitted:       ${line(r)}`);
  else out.push('', 'batch-level points: none (the fit read the serving rows alone)');
  if (serving) out.push(`serving rows simulated (${serving.rows}): base profile ${pct(serving.base_mape_pct)}, fitted ${pct(serving.mape_pct)}`);
  for (const [g, v] of Object.entries(r.mape_pct_by_group)) out.push(`  ${g}: ${pct(v)}`);
  out.push('', `fitted: ${FACTOR_NAMES.map((f) => `${f} ${r.profile[f]}`).join(', ')}`);
  return out.join('\n') + '\n';
}

/** --base: an engine name or a profile file. */
export function baseProfile(value: string | undefined): CalibrationProfile {
  if (value === undefined) return getEngineProfile(DEFAULT_ENGINE);
  return value.endsWith('.json') ? loadCalibration(value) : getEngineProfile(value, '--base');
}

/** --fit: a comma-separated subset of the factor names. */
export function factorList(value: string | undefined): FactorName[] | undefined {
  if (value === undefined) return undefined;
  return value.split(',').map((v) => {
    const f = v.trim();
    if ((FACTOR_NAMES as readonly string[]).includes(f)) return f as FactorName;
    throw new UserError(`--fit: unknown factor "${f.slice(0, 80)}"; factors: ${FACTOR_NAMES.join(', ')}`);
  });
}

/**
 * --since and --before: a version with a number. One without ("x", "latest") compares as current,
 * so it bounded nothing: every row was fitted, silently.
 */
export function checkVersionFlag(value: string | undefined, flag: string): void {
  if (value !== undefined && !/\d/.test(value)) throw new UserError(`${flag}: expected a version with a number (e.g. 0.6 or v0.12), got ${quote(value)}`);
}

/** Writes the profile (when asked) and prints the report or the JSON. */
export function writeFit(result: FitResult, before: FitResult, excluded: readonly string[], flags: { out?: string; json?: boolean }, serving?: ServingFit): void {
  if (flags.out) {
    mkdirSync(dirname(resolve(flags.out)), { recursive: true });
    writeFileAtomic(flags.out, JSON.stringify(result.profile, null, 2) + '\n', [], '--out', CALIBRATION_PROFILE_FILE);
  }
  if (flags.json) {
    process.stdout.write(JSON.stringify({ ...result, mape_pct_base: before.mape_pct, excluded, ...(serving ? { serving } : {}) }, null, 2) + '\n');
    return;
  }
  process.stdout.write(fitReport(result, before, excluded, serving));
  process.stdout.write(flags.out ? `profile written to ${flags.out}\n` : `profile (use --out FILE to save):\n${JSON.stringify(result.profile, null, 2)}\n`);
}

function splitwiseFit(flags: CalibrateFlags, base: CalibrationProfile): { points: FitPoint[]; excluded: string[] } {
  const file = flags.measurements!;
  const rows = loadMeasurements(file);
  const model = getModel(flags.model ?? modelIdFor(...single(rows, 'model', '--model', file)));
  // --gpu reads as perf's does (aliases such as h100); the file's names as the catalog spells them
  const gpu = getGpu(flags.gpu === undefined ? gpuIdFor(...single(rows, 'hardware', '--gpu', file)) : catalogGpuId(flags.gpu));
  return splitwisePoints(rows, {
    model, gpu, dtype: parseDtype(flags.dtype, '--dtype'),
    gpuMemoryUtilization: fraction(flags.gpuMemoryUtilization, '--gpu-memory-utilization'), file, base,
  });
}

interface FitInput {
  points: FitPoint[];
  excluded: string[];
  corpus: string;
  extraLogErrors?: (p: CalibrationProfile) => number[];
  /** the serving rows extraLogErrors simulates */
  servingRows?: number;
  /** how many distinct configurations those serving rows measure (rowConfiguration) */
  servingConfigurations?: number;
  /** fit.rows: the fitted corpus rows' digests */
  rows?: string;
  /** lines for stderr: rows left out that the user should know of */
  notes?: string[];
}

/** The serving rows a --serving fit simulated, and their MAPE under the base and the fitted profile. */
export interface ServingFit {
  readonly rows: number;
  readonly base_mape_pct: number;
  readonly mape_pct: number;
}

/** --corpus: the rows of the chosen stacks and split; serving rows join the fit with --serving. */
function corpusFit(flags: CalibrateFlags, base: CalibrationProfile): FitInput {
  const split = flags.split as SplitFilter;
  if (!(SPLIT_FILTERS as readonly string[]).includes(split)) throw new UserError(`--split: expected one of ${SPLIT_FILTERS.join(', ')}, got "${String(split).slice(0, 40)}"`);
  if (!flags.stack) throw new UserError('--stack: required with --corpus (the stacks whose rows to fit, comma-separated, e.g. trtllm or vllm,sglang)');
  const stacks = new Set(flags.stack.split(',').map((x) => x.trim()));
  const files = corpusFiles(flags.corpus as string[]);
  const inEra = (v: string) => (flags.since === undefined || versionAtLeast(v, flags.since)) && (flags.before === undefined || !versionAtLeast(v, flags.before));
  const ofStacks = loadCorpus(files).filter((r) => stacks.has(r.stack) && inEra(r.stack_version));
  const rows = ofStacks.filter((r) => split === 'all' || r.split === split);
  if (rows.length === 0 && ofStacks.length > 0) {
    throw new UserError(`--split: no ${split} rows of stack ${[...stacks].join('+')} to fit, ${ofStacks.length} of the other split (--split all fits every row; a file without a split column reads as validation)`);
  }
  const set = corpusFitSet(rows, base);
  if (set.points.length === 0 && (!flags.serving || set.serving.length === 0) && set.skipped.length > 0) {
    // every row is one fleetsim cannot model (an unknown model, TensorRT-LLM on an AMD GPU): said, not "no measurements"
    const others = set.skipped.length - 1;
    const more = others > 0 ? ` (and the other ${others === 1 ? 'row' : `${others} rows`}, each for its own reason: fidelity --rows lists them)` : '';
    throw new UserError(`${files.join(', ')}: no row of stack ${[...stacks].join('+')} that fleetsim can model: ${set.skipped[0]}${more}`);
  }
  const notes = fasterThanRooflineNotes(set.fasterThanRoofline, set.points.length + (flags.serving ? set.serving.length : 0));
  const era = `${flags.since ? ` since ${flags.since}` : ''}${flags.before ? ` before ${flags.before}` : ''}`;
  const corpus = `${files.map((f) => f.split('/').pop()).join(', ')}, ${split} split, stack ${[...stacks].join('+')}${era}`;
  const excluded = [...set.skipped, ...set.fasterThanRoofline];
  const pointIds = new Set(set.points.map((p) => p.id));
  const pointRows = rows.filter((r) => pointIds.has(r.id));
  if (!flags.serving || set.serving.length === 0) return { points: set.points, excluded, corpus, notes, rows: fitRowsRecord(pointRows) };
  const { kept, left } = flags.nearCapacity ? { kept: set.serving, left: [] } : servingBelowKnee(set.serving, base);
  return {
    points: set.points, excluded: [...excluded, ...left], corpus, notes, extraLogErrors: kept.length ? servingLogErrors(kept) : undefined,
    servingRows: kept.length, servingConfigurations: distinctCount(kept, rowConfiguration), rows: fitRowsRecord([...pointRows, ...kept]),
  };
}

/** How many distinct keys the items have. */
function distinctCount<T>(items: readonly T[], key: (item: T) => string): number {
  return new Set(items.map(key)).size;
}

/** What a fit point measures, without its id, label and measured value: one key per configuration. */
function pointConfiguration(p: FitPoint): string {
  const { id: _id, group: _group, measured: _measured, ...configuration } = p;
  return JSON.stringify(configuration);
}

/**
 * The corpus rows left out as faster than the roofline or slower than any profile, said on stderr
 * (how many, which); every row to fit so left out is refused: the fit had nothing but impossible
 * times to go on.
 */
function fasterThanRooflineNotes(faster: readonly string[], left: number): string[] {
  if (faster.length === 0) return [];
  const rows = `${faster.length} ${faster.length === 1 ? 'row' : 'rows'}`;
  if (left === 0) {
    throw nothingLeftToFit(faster[0], faster.length, 'times in ms of the configuration each row names');
  }
  return [`calibrate: ${rows} left out, faster than the roofline allows or slower than any profile (not measurements of the configuration they name): ${faster.slice(0, 5).join('; ')}${faster.length > 5 ? `; and ${faster.length - 5} more` : ''}`];
}

/** The refusal of a fit whose every row was left out as faster than the roofline; `first` names the file and row. */
function nothingLeftToFit(first: string, count: number, expected: string): UserError {
  const others = count > 2 ? `, and so are the other ${count - 1}` : count === 2 ? ', and so is the other one' : ', the only one';
  return new UserError(`${first}${others}: nothing left to fit (expected ${expected})`);
}

/** The files calibrate reads: measurements, corpus files (data/corpus/*.csv when none is named) and a --base profile. */
function calibrateInputs(flags: CalibrateFlags): string[] {
  const corpus = flags.corpus ? corpusFiles(Array.isArray(flags.corpus) ? flags.corpus : []) : [];
  return [...(flags.measurements ? [flags.measurements] : []), ...corpus, ...(flags.base?.endsWith('.json') ? [flags.base] : [])];
}

function measurementsFit(flags: CalibrateFlags, base: CalibrationProfile): FitInput {
  const { points, excluded } = splitwiseFit(flags, base);
  // every run left out (timings in seconds): said here, naming the file, not as "no measurements"
  if (points.length === 0 && excluded.length > 0) throw nothingLeftToFit(`${flags.measurements}: ${excluded[0]}`, excluded.length, 'prompt_time and token_time in milliseconds');
  // the runs left out named on stderr, as a corpus's rows are
  const notes = fasterThanRooflineNotes(excluded.map((e) => `${flags.measurements}: ${e}`), points.length);
  return { points, excluded, corpus: flags.measurements!, notes };
}

export function registerCalibrate(program: Command): void {
  program
    .command('calibrate')
    .description('fit an engine profile (the step-time model\'s factors) to measurements: a corpus (data/corpus format) or a Splitwise CSV')
    .option('--corpus [files...]', 'corpus CSV files, or directories of them (no files: data/corpus/*.csv); fits the rows of --stack')
    .option('--split <split>', `corpus rows to fit: ${SPLIT_FILTERS.join(', ')}`, 'calibration')
    .option('--serving', 'also fit the serving rows, each simulated on one replica per candidate (slow: minutes)')
    .option('--near-capacity', 'with --serving: also fit the latencies of runs at 82% of their capacity or more (left out by default: they amplify every capacity error)')
    .option('--since <version>', 'corpus: only rows of stack versions from this one on (an unnumbered version counts as current)')
    .option('--before <version>', 'corpus: only rows of stack versions before this one')
    .option('--measurements <file>', 'Splitwise CSV: model, hardware, prompt_size, batch_size, token_size, prompt_time, token_time, tensor_parallel')
    .option('--model <id>', 'Splitwise CSV: catalog model id of the measured model (default: from the CSV\'s model column)')
    .option('--gpu <id>', 'Splitwise CSV: catalog GPU id of the measured hardware (default: from the CSV\'s hardware column)')
    .option('--dtype <t>', 'Splitwise CSV: weight dtype of the measured runs', 'fp16')
    .option('--base <engine|file>', `profile to start from, and to keep unfitted factors of: ${ENGINE_NAMES.join(', ')} or a .json file (default ${DEFAULT_ENGINE})`)
    .option('--fit <factors>', `comma-separated factors to fit (default: all): ${FACTOR_NAMES.join(', ')}`)
    .option('--stack <names>', 'corpus: the stacks whose rows to fit (comma-separated); also written into the profile')
    .option('--name <name>', 'profile name written into the profile')
    .option('--gpu-memory-utilization <f>', 'fraction of GPU memory the measured engine used', '0.9')
    .option('--out <file>', 'write the fitted profile (JSON) here', pathArg)
    .option('--json', 'print the points, errors and profile as one JSON object')
    .option('--max-wall-s <s>', 'wall-clock bound of the fit, seconds: when it runs out the best profile found so far is written, marked as stopped', String(DEFAULT_MAX_WALL_S))
    .action(async (flags: CalibrateFlags) => {
      const maxWall_s = parseWallSeconds(flags.maxWallS);
      flags.deadline_ms = Date.now() + maxWall_s * 1000;
      if (!flags.measurements && !flags.corpus) throw new UserError('--corpus or --measurements: required (e.g. --corpus --stack trtllm, or --measurements scenarios/data/splitwise/llama2-70b-a100.csv)');
      if (flags.measurements && flags.corpus) throw new UserError('--corpus and --measurements: give one of them');
      if (flags.nearCapacity && !flags.serving) throw new UserError('--near-capacity: only with --serving (it keeps serving latencies near capacity in the fit)');
      checkVersionFlag(flags.since, '--since');
      checkVersionFlag(flags.before, '--before');
      fraction(flags.gpuMemoryUtilization, '--gpu-memory-utilization'); // read by --measurements only, checked either way
      // The profile never replaces what it is fitted to: `--out m.csv` used to overwrite the measurements.
      if (flags.out) {
        checkNotInput(flags.out, calibrateInputs(flags));
        // and a place to write it, before a fit of minutes (the missing directories are made then)
        checkFileTarget(flags.out, '--out', CALIBRATION_PROFILE_FILE);
      }
      // The fit is synchronous and long (a simplex over thousands of closed-form rows, or serving
      // rows simulated per candidate profile: tens of seconds): on a worker thread, so that this
      // thread's event loop stays free and Ctrl-C or SIGTERM stop the command at once (the worker
      // ends with the process). In this thread a 5,000-row corpus left SIGTERM unanswered.
      const { result, before, excluded, serving, notes } = await calibrateOnWorker(flags);
      const named = profileName(flags).note;
      for (const note of [...(notes ?? []), ...(named ? [named] : [])]) process.stderr.write(`${note}\n`);
      if (result.profile.fit?.stopped === 'deadline') {
        process.stderr.write(`calibrate: --max-wall-s ${flags.maxWallS} ran out before the fit converged: the profile is the best found by then (it depends on this machine's speed; its fit.stopped says "deadline")\n`);
      }
      writeFit(result, before, excluded, flags, serving);
    });
}

/** What calibrate computes before it writes: the fit, the profile's error before it, the points left out. */
export interface CalibrateJob {
  result: FitResult;
  before: FitResult;
  excluded: string[];
  /** with --serving: the simulated rows' error before and after (the table lists the batch-level points only) */
  serving?: ServingFit;
  /** lines for stderr (rows left out as impossible), written by the command's own thread */
  notes?: string[];
}

/** The fit of calibrate's flags (the worker thread's task; see calibrate-worker.mjs). */
export function runCalibrateJob(flags: CalibrateFlags): CalibrateJob {
  const base = baseProfile(flags.base);
  const input = flags.corpus ? corpusFit(flags, base) : measurementsFit(flags, base);
  const before = evaluate(input.points, base);
  const fit = factorList(flags.fit) ?? [...FACTOR_NAMES];
  const underdetermined = underdeterminedNote(input.points, input.servingRows ?? 0, input.servingConfigurations ?? 0, fit, base);
  const result = calibrate(input.points, {
    base, fit, corpus: input.corpus, stack: flags.stack ?? 'measured', name: profileName(flags).name, rows: input.rows,
    extraLogErrors: input.extraLogErrors, maxIterations: input.extraLogErrors ? 150 : undefined, deadline_ms: flags.deadline_ms,
  });
  const extra = input.extraLogErrors;
  const serving = extra && { rows: input.servingRows ?? 0, base_mape_pct: logErrorsMapePct(extra(base)), mape_pct: logErrorsMapePct(extra(result.profile)) };
  const notes = [...(input.notes ?? []), ...(underdetermined ? [underdetermined] : [])];
  return { result, before, excluded: input.excluded, ...(serving ? { serving } : {}), ...(notes.length ? { notes } : {}) };
}

/**
 * The profile's name without --name: its --out file's (vllm-h200.json: vllm-h200), else calibrate's
 * default. A built-in engine's name taken from --out gets "-fitted", and a note says so: `--out
 * vllm.json` named the fitted profile "vllm", which read as the built-in. --name of a built-in is
 * kept (it is how the built-ins are fitted again: docs/step-model.md), with a note.
 */
export function profileName(flags: Pick<CalibrateFlags, 'name' | 'out'>): { name?: string; note?: string } {
  if (flags.name !== undefined) {
    return isBuiltInName(flags.name)
      ? { name: flags.name, note: `calibrate: --name "${flags.name}" is a built-in engine profile's name: the fitted profile reads as the built-in (as a built-in fitted again should)` }
      : { name: flags.name };
  }
  if (flags.out === undefined) return {};
  const name = basename(flags.out).replace(/\.json$/i, '');
  if (name === '') return {};
  if (!isBuiltInName(name)) return { name };
  return { name: `${name}-fitted`, note: `calibrate: the profile is named "${name}-fitted", not "${name}" (the built-in engine profile's name); --name sets another` };
}

const isBuiltInName = (name: string) => (ENGINE_NAMES as readonly string[]).includes(name.toLowerCase());

/** Kinds whose time holds a prefill: GEMMs of many tokens and prefill attention. */
const PREFILL_KINDS: ReadonlySet<string> = new Set(['prefill', 'latency', 'throughput']);

/**
 * The warning of a fit of more factors than rows: one batch-1 decode row was fitted with all
 * twelve to "fitted MAPE: 0.1%", moving GEMM factors it cannot tell apart. Names the factors the
 * rows' kinds cannot constrain where a simple rule says so: no prefill and no decode batch near
 * the base's gemm_half_tokens (GEMMs stay memory-bound), no prefill (attention), no first token
 * timed (request overhead), no tp above 1 (all-reduces), no PCIe ring (its hop latency).
 */
function underdeterminedNote(points: readonly FitPoint[], servingRows: number, servingConfigurations: number, fitted: readonly FactorName[], base: CalibrationProfile): string | undefined {
  // configurations, not rows: twelve copies of one row under twelve ids fitted twelve factors unwarned
  const configurations = distinctCount(points, pointConfiguration) + servingConfigurations;
  if (configurations >= fitted.length) return undefined;
  const rows = points.length + servingRows;
  const prefill = servingRows > 0 || points.some((p) => PREFILL_KINDS.has(p.kind));
  // a throughput run's waves do not pay it (batch-kinds.ts): a prefill's or latency's first token does
  const firstToken = servingRows > 0 || points.some((p) => p.kind === 'prefill' || p.kind === 'latency');
  const largeBatch = points.some((p) => (p.batch ?? 1) >= base.gemm_half_tokens);
  const tensorParallel = servingRows > 0 || points.some((p) => p.geometry.tp > 1);
  const pcie = servingRows > 0 || points.some((p) => p.geometry.pcieRingHops > 0);
  const blind: FactorName[] = [
    ...(prefill || largeBatch ? [] : ['gemm_efficiency', 'gemm_half_tokens'] as const),
    ...(prefill ? [] : ['attention_efficiency'] as const),
    ...(firstToken ? [] : ['request_overhead_ms'] as const),
    ...(tensorParallel ? [] : ['link_bw_efficiency', 'allreduce_latency_us', 'allreduce_doubling_latency_us'] as const),
    ...(pcie ? [] : ['pcie_hop_latency_us'] as const),
  ].filter((f) => fitted.includes(f));
  const cannot = blind.length ? `; these rows cannot constrain ${blind.join(', ')}` : '';
  const distinct = configurations === rows ? '' : ` (${configurations} distinct ${configurations === 1 ? 'configuration' : 'configurations'})`;
  return `calibrate: ${rows} ${rows === 1 ? 'row' : 'rows'}${distinct} to fit ${fitted.length} factors: the fit cannot determine them, and its MAPE says nothing of other configurations${cannot}; fit at most ${configurations} with --fit (e.g. --fit step_overhead_ms)`;
}

/** runCalibrateJob on a worker thread; a UserError there is one here (one line, exit 2). */
function calibrateOnWorker(flags: CalibrateFlags): Promise<CalibrateJob> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./calibrate-worker.mjs', import.meta.url), { workerData: { ...flags } });
    worker.once('message', (m: { job?: CalibrateJob; error?: string; user?: boolean }) => {
      if (m.job) resolve(m.job);
      else reject(m.user ? new UserError(m.error!) : new Error(m.error));
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`calibrate: the worker thread exited with code ${code}`));
    });
  });
}
