import { parse } from 'csv-parse/sync';
import { UserError } from '../errors.ts';
import { excerpt, quote } from '../util/excerpt.ts';
import { INT32_MAX } from '../util/limits.ts';
import { GPU_IDS } from './hardware.ts';
import { closest } from '../cost/suggest.ts';
import { MODEL_IDS, type ModelSpec } from './models.ts';
import { impossibleTime, type FitPoint } from './calibrate.ts';
import type { CalibrationProfile } from './calibration.ts';
import type { Dtype } from './dtype.ts';
import type { GpuSpec } from './hardware.ts';
import { buildStepGeometry, type StepGeometry } from './step.ts';
import { readInputText } from '../util/read-input.ts';

/**
 * Measured step timings in the Splitwise format (scenarios/data/splitwise/README.md): one row per
 * run of `batch_size` prompts of `prompt_size` tokens generating `token_size` tokens each, with
 * prompt_time (ms, prompt phase of the whole batch) and token_time (ms per decode step).
 */
export interface MeasurementRow {
  readonly line: number;
  readonly model: string;
  readonly hardware: string;
  readonly tp: number;
  readonly prompt: number;
  readonly batch: number;
  readonly output: number;
  readonly prompt_time_ms: number;
  readonly token_time_ms: number;
}

/**
 * Most rows a measurement file may hold, as a corpus file (fidelity/corpus.ts): Splitwise's own
 * file has 2,430. Unbounded, 4.5 million rows ran the heap out (4.5 GB, a native trace, deaf to
 * SIGTERM for the 150 s it took) (2026-12-07).
 */
export const MAX_MEASUREMENT_ROWS = 100_000;

/** Prompts up to this many times the model's context are read (measurements run models past it). */
const MEASURED_CONTEXT_FACTOR = 16;

const REQUIRED = ['model', 'hardware', 'prompt_size', 'batch_size', 'token_size', 'prompt_time', 'token_time', 'tensor_parallel'] as const;

export function parseMeasurements(text: string, file: string): MeasurementRow[] {
  let records: Record<string, string>[];
  let lines: number[];
  try {
    const parsed = parse(text, { columns: true, skip_empty_lines: true, trim: true, info: true, to: MAX_MEASUREMENT_ROWS + 1 }) as unknown as { record: Record<string, string>; info: { lines: number } }[];
    if (parsed.length > MAX_MEASUREMENT_ROWS) throw new UserError(`${file}: expected at most ${MAX_MEASUREMENT_ROWS.toLocaleString('en-US')} measurement rows, got more`);
    records = parsed.map((p) => p.record);
    lines = parsed.map((p) => p.info.lines); // file line of each record (blank lines skipped)
  } catch (e) {
    if (e instanceof UserError) throw e;
    // csv-parse quotes the offending field in its message: keep it short.
    throw new UserError(`${file}: not a valid CSV: ${excerpt((e as Error).message, 120)}`);
  }
  if (records.length === 0) throw new UserError(`${file}: no measurement rows`);
  const missing = REQUIRED.filter((c) => !(c in records[0]));
  if (missing.length) throw new UserError(`${file}: missing column(s) ${missing.join(', ')} (expected the Splitwise format: ${REQUIRED.join(', ')})`);

  return records.map((r, i) => {
    const line = lines[i];
    const num = (col: string, integer: boolean): number => {
      const v = Number(r[col]);
      // Integers are decimal digits within int32 (util/limits.ts), like every count fleetsim reads.
      const ok = integer ? /^\d+$/.test(r[col]) && v >= 1 && v <= INT32_MAX : Number.isFinite(v) && v > 0;
      if (!ok) {
        const what = integer ? (v > INT32_MAX ? `integer <= ${INT32_MAX}` : 'integer') : 'number';
        throw new UserError(`${file}:${line}: ${col}: expected a positive ${what}, got ${quote(r[col] ?? '')}`);
      }
      return v;
    };
    return {
      line, model: r.model, hardware: r.hardware,
      tp: num('tensor_parallel', true), prompt: num('prompt_size', true), batch: num('batch_size', true),
      output: num('token_size', true), prompt_time_ms: num('prompt_time', false), token_time_ms: num('token_time', false),
    };
  });
}

export function loadMeasurements(path: string): MeasurementRow[] {
  // 100,000 rows of the Splitwise format are under 10 MB: a larger file is refused before it is read
  const text = readInputText(path, path, (code) => `cannot read measurements: ${code}`, 64 * 2 ** 20);
  return parseMeasurements(text, path);
}

const squash = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]/g, '');

/** Map a name used in a measurement file ("llama2-70b", "A100-80GB") to a catalog id by ignoring case and punctuation. */
export function catalogIdFor(name: string, ids: readonly string[], kind: string, flag: string, where = 'the measurements'): string {
  const hit = ids.find((id) => squash(id) === squash(name));
  if (hit) return hit;
  throw new UserError(`${where}: ${kind}: "${excerpt(name)}" is not in the catalog (closest: "${closest(name, ids)}"); pass ${flag} to choose one`);
}

/** `where`: the file and line the name is first read at, for the message (file:line). */
export function modelIdFor(name: string, where?: string): string {
  return catalogIdFor(name, MODEL_IDS, 'model', '--model', where);
}

export function gpuIdFor(name: string, where?: string): string {
  return catalogIdFor(name, GPU_IDS, 'hardware', '--gpu', where);
}

export interface SplitwisePointsOptions {
  readonly model: ModelSpec;
  readonly gpu: GpuSpec;
  readonly dtype: Dtype;
  readonly gpuMemoryUtilization?: number;
  /** the measurement file, for messages naming a row (file:line: column) */
  readonly file?: string;
  /** the profile the fit starts from: a run slower than any profile allows is screened against its scheduler */
  readonly base: CalibrationProfile;
}

/**
 * Splitwise runs as fit points: each run gives a prefill point (its prompt phase) and a decode
 * point (its mean token time), averaged over the repetitions of one (TP, prompt, batch, output).
 * A run faster than the roofline at 100% of every peak is not a measurement of this
 * configuration (Splitwise's TP 2 batch-64 runs report 796 ms for a prompt phase that needs more
 * than 7 s), nor one slower than any profile allows (a prompt of 5,000 s): the whole run is left
 * out, and listed, as a corpus row is (calibrate.ts impossibleTime).
 */
export function splitwisePoints(rows: readonly MeasurementRow[], o: SplitwisePointsOptions): { points: FitPoint[]; excluded: string[] } {
  const geometry = new Map<number, StepGeometry>();
  const geometryOf = (r: MeasurementRow) => {
    let g = geometry.get(r.tp);
    if (!g) geometry.set(r.tp, (g = rowGeometry(r, o)));
    return g;
  };
  const groups = new Map<string, { r: MeasurementRow; prefill: number[]; decode: number[] }>();
  const excluded: string[] = [];
  for (const r of rows) {
    // A bound of plausibility, not the context: Splitwise's own runs send Llama 2 prompts of 8,192
    // tokens, twice its 4,096; one of 2^31 - 1 was only listed as faster than the roofline, exit 0.
    const most = MEASURED_CONTEXT_FACTOR * o.model.max_context;
    if (r.prompt > most) {
      throw new UserError(`${o.file ?? 'the measurements'}:${r.line}: prompt_size: expected at most ${most.toLocaleString('en-US')} tokens (${MEASURED_CONTEXT_FACTOR} times ${o.model.id}'s context), got ${r.prompt.toLocaleString('en-US')}`);
    }
    const g = geometryOf(r);
    const key = `tp${r.tp}-p${r.prompt}-b${r.batch}-o${r.output}`;
    const run = { id: key, group: `tp${r.tp}`, geometry: g, batch: r.batch, prompt_tokens: r.prompt, output_tokens: r.output };
    const impossible = impossibleTime({ ...run, kind: 'prefill', measured: r.prompt_time_ms }, o.base) ?? impossibleTime({ ...run, kind: 'decode', measured: r.token_time_ms }, o.base);
    if (impossible) {
      excluded.push(`line ${r.line}: ${impossible}`);
      continue;
    }
    let e = groups.get(key);
    if (!e) groups.set(key, (e = { r, prefill: [], decode: [] }));
    e.prefill.push(r.prompt_time_ms);
    e.decode.push(r.token_time_ms);
  }
  const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const points: FitPoint[] = [];
  for (const [key, { r, prefill, decode }] of groups) {
    const common = { group: `tp${r.tp}`, geometry: geometryOf(r), batch: r.batch, prompt_tokens: r.prompt, output_tokens: r.output };
    points.push({ ...common, id: `${key}-prefill`, kind: 'prefill', measured: avg(prefill) });
    points.push({ ...common, id: `${key}-decode`, kind: 'decode', measured: avg(decode) });
  }
  return { points, excluded };
}

/** The step geometry of a row's TP degree; a degree the model or GPU cannot take is refused naming the row and its column, not a flag. */
function rowGeometry(r: MeasurementRow, o: SplitwisePointsOptions): StepGeometry {
  try {
    return buildStepGeometry({ model: o.model, gpu: o.gpu, tp: r.tp, dtype: o.dtype, gpuMemoryUtilization: o.gpuMemoryUtilization });
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    throw new UserError(`${o.file ?? 'the measurements'}:${r.line}: tensor_parallel: ${e.message.replace(/^--tp: /, '')}`);
  }
}
