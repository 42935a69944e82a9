import type { CalibrationProfile } from '../perf/calibration.ts';
import type { StepModel } from '../perf/step.ts';
import type { CorpusRow } from './corpus.ts';
import { datasetLengths } from './dataset-lengths.ts';
import { cappedGeneratedShare } from './output-cap.ts';
import { lengthDataset, outputLengthLaw, profileFor, rangeRatio, resolveRow, rowScheduler } from './predict.ts';
import { pad } from './table.ts';
import { cacheablePrefixBlocks, VLLM_REPLICA_DEFAULTS } from '../fleet/gpu/replica.ts';

/**
 * The step the model takes at the batch a published serving run held. By Little's law an open
 * loop that keeps up with its arrivals holds rate x (mean TTFT + (output - 1) x mean TPOT)
 * requests, and its mean TPOT is about one step of that batch. The step model's step there
 * separates an error of the physics from one of the replica's dynamics (admission, lengths, a
 * capacity a few per cent off at the knee): MLPerf's Llama 2 70B server runs read 14-78% short
 * while, at the batches they held, the step model was within 0% to +8% of their TPOT
 * (docs/step-model.md, "MLPerf's server runs at the knee").
 */
export interface PublishedBatchStep {
  /** the run's mean TPOT (or ITL) row */
  readonly id: string;
  /** requests the run held, by Little's law */
  readonly sequences: number;
  readonly measured_step_ms: number;
  readonly model_step_ms: number;
  readonly error_pct: number;
}

/** A run keeps up with its arrivals when it completes this share of them (or of the output tokens they ask for). */
const KEEPS_UP_SHARE = 0.95;
/** Iterations of the step's fixed point (its prefill grows with the step); it settles in a few dozen. */
const FIXED_POINT_ITERATIONS = 200;
/** A step this long has not settled: the prefill the arrivals bring outgrows what a step serves. */
const DIVERGED_STEP_MS = 1e6;

interface RunFigures { ttft?: CorpusRow; step?: CorpusRow; tokens?: CorpusRow; requests?: CorpusRow }

/** Rows of one run share everything but their figure (two submitters' runs of one configuration differ in their url). */
function runKey(r: CorpusRow): string {
  return JSON.stringify([r.file, r.url, r.stack, r.stack_version, r.gpu, r.model, r.dtype, r.kv_dtype, r.tp, r.ep, r.batch,
    r.request_rate_per_s, r.num_requests, r.prompt_tokens, r.output_tokens, r.lengths, r.prompts_cached, r.max_output_tokens, r.engine_args]);
}

/** The mean TTFT, mean TPOT (or ITL) and output throughput of each open-loop run among `rows`. */
function openLoopRuns(rows: readonly CorpusRow[]): RunFigures[] {
  const runs = new Map<string, RunFigures>();
  for (const r of rows) {
    if (r.request_rate_per_s === undefined || r.statistic !== 'mean') continue;
    const run = runs.get(runKey(r)) ?? {};
    if (r.kind === 'serving_ttft') run.ttft = r;
    else if (r.kind === 'serving_tpot' || (r.kind === 'serving_itl' && run.step?.kind !== 'serving_tpot')) run.step = r;
    else if (r.kind === 'serving_throughput') run[r.unit === 'req_s' ? 'requests' : 'tokens'] = r;
    runs.set(runKey(r), run);
  }
  return [...runs.values()];
}

/**
 * The share of its mean output a sequence in flight has generated, on average over its time in
 * flight: E[L^2] / 2E[L]^2 (a longer output is in flight longer): 1/2 for fixed outputs, about 1
 * for a geometric law, 2/3 for a uniform one, (1 + r^2 / 3) / 2 within a range r, the dataset's own for a named one.
 */
export function generatedShare(row: CorpusRow): number {
  const dataset = lengthDataset(row.lengths);
  const law = outputLengthLaw(row.lengths);
  if (law === 'fixed') return 0.5;
  if (row.max_output_tokens !== undefined) return cappedGeneratedShare(row.output_tokens, row.max_output_tokens, dataset ? datasetLengths(dataset) : undefined);
  if (dataset) {
    const { outputs, output_mean } = datasetLengths(dataset);
    let squares = 0;
    for (const o of outputs) squares += o * o;
    return squares / outputs.length / (2 * output_mean * output_mean);
  }
  if (law === 'range') {
    // uniform within r of the mean: E[L^2] = mean^2 (1 + r^2 / 3)
    const r = rangeRatio(row.lengths);
    return (1 + r * r / 3) / 2;
  }
  return law === 'uniform' ? 2 / 3 : 1;
}

/**
 * The prompt tokens a request of the run prefills: all of them, or on cached prompts those past the
 * last full KV block (at least one), which the prefix cache cannot hand back (run.ts cached_prompts).
 */
function prefilledTokens(row: CorpusRow): number {
  const block = VLLM_REPLICA_DEFAULTS.block_size_tokens;
  return row.prompts_cached ? row.prompt_tokens - cacheablePrefixBlocks(row.prompt_tokens, row.prompt_tokens, block) * block : row.prompt_tokens;
}

/**
 * The mean step at `sequences` decoding, with the prefill the arrivals bring (a fixed point), or
 * NaN if it does not settle. Where the arrivals bring less than one prompt chunk a step (long
 * prompts, few arrivals), a share of the steps carries a chunk and the rest decode only: the mean of
 * the two, which a step at the mean prefill would put short (a chunk step is compute-bound, a decode
 * step memory-bound: MLPerf's Llama 3.1 405B runs at TP 8, 9,429-token prompts in 2,560-token chunks,
 * read -32% to -36% spread evenly, -9% to -16% so). `room`: the tokens a step prefills beside its
 * decodes (the token budget less the batch; a whole prompt without chunked prefill).
 */
function stepAtBatch(step: StepModel, row: CorpusRow, sequences: number, room: number, startMs: number): number {
  const rate_per_ms = row.request_rate_per_s! / 1000;
  const prompt = prefilledTokens(row);
  const chunk = Math.min(prompt, room);
  const context = sequences * (row.prompt_tokens + generatedShare(row) * row.output_tokens);
  const decodeOnly = step.stepTimeMs(0, 0, sequences, context);
  let t = startMs;
  for (let i = 0; i < FIXED_POINT_ITERATIONS && t < DIVERGED_STEP_MS; i++) {
    const prefill = rate_per_ms * t * prompt;
    // a prefill-carrying step takes one chunk, or its even share when the arrivals fill every step
    const carried = Math.max(chunk, prefill);
    const share = Math.min(1, prefill / carried);
    // a prefilled token attends to the prompt before it: half the prompt on average, or on cached prompts all of it
    t = share * step.stepTimeMs(carried, carried * (row.prompt_tokens - prompt / 2), sequences, context) + (1 - share) * decodeOnly;
  }
  return t < DIVERGED_STEP_MS ? t : NaN;
}

/**
 * For every open-loop run that publishes its mean TTFT, its mean TPOT (or ITL) and its throughput,
 * and kept up with its arrivals: the step model's step at the batch it held.
 */
export function publishedBatchSteps(rows: readonly CorpusRow[], calibration?: CalibrationProfile): PublishedBatchStep[] {
  const out: PublishedBatchStep[] = [];
  for (const { ttft, step: tpot, tokens, requests } of openLoopRuns(rows)) {
    if (!ttft || !tpot) continue;
    const rate = tpot.request_rate_per_s!;
    // completed requests per second say it best; tokens per second where a run's outputs are its stated mean
    // a run that does not say what it completed may have queued: its batch would read too large
    const keptUp = requests ? requests.value >= KEEPS_UP_SHARE * rate : tokens !== undefined && tokens.value >= KEEPS_UP_SHARE * rate * tpot.output_tokens;
    if (!keptUp) continue;
    const profile = profileFor(tpot, { calibration });
    const resolved = resolveRow(tpot, profile);
    if (typeof resolved === 'string') continue;
    const sequences = (rate * (ttft.value + (tpot.output_tokens - 1) * tpot.value)) / 1000;
    const scheduler = rowScheduler(tpot, profile, resolved.model, resolved.step, resolved.gpu);
    const room = scheduler.chunked_prefill ? Math.max(1, scheduler.max_batched_tokens - sequences) : tpot.prompt_tokens;
    const model = stepAtBatch(resolved.step, tpot, sequences, room, tpot.value);
    if (Number.isNaN(model)) continue;
    out.push({ id: tpot.id, sequences, measured_step_ms: tpot.value, model_step_ms: model, error_pct: (100 * (model - tpot.value)) / tpot.value });
  }
  return out;
}

/** The section `fidelity --rows` prints after its rows. */
export function formatPublishedBatchSteps(steps: readonly PublishedBatchStep[]): string[] {
  if (steps.length === 0) return [];
  const lines = ['', 'the step at the published batch: each open-loop run that gives its mean TTFT, TPOT and throughput and kept up with its arrivals',
    'held rate x (TTFT + (output - 1) x TPOT) requests (Little\'s law); its TPOT against the step model\'s step at that batch',
    '(its prompts\' prefill included) tells the physics\' error apart from the replica\'s dynamics near its knee'];
  const cells = [['run (its TPOT row)', 'batch', 'TPOT', 'model step', 'error']];
  for (const s of steps) cells.push([s.id, s.sequences.toFixed(0), `${s.measured_step_ms.toPrecision(4)} ms`, `${s.model_step_ms.toPrecision(4)} ms`, `${s.error_pct >= 0 ? '+' : ''}${s.error_pct.toFixed(1)}%`]);
  return [...lines, ...pad(cells, [false, true, true, true, true])];
}
