import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { UserError } from '../errors.ts';
import { excerpt, quote } from '../util/excerpt.ts';
import { INT32_MAX } from '../util/limits.ts';
import { GPU_IDS } from './hardware.ts';
import { closest } from '../cost/suggest.ts';
import { MODEL_IDS } from './models.ts';

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

const REQUIRED = ['model', 'hardware', 'prompt_size', 'batch_size', 'token_size', 'prompt_time', 'token_time', 'tensor_parallel'] as const;

export function parseMeasurements(text: string, file: string): MeasurementRow[] {
  let records: Record<string, string>[];
  let lines: number[];
  try {
    const parsed = parse(text, { columns: true, skip_empty_lines: true, trim: true, info: true }) as unknown as { record: Record<string, string>; info: { lines: number } }[];
    records = parsed.map((p) => p.record);
    lines = parsed.map((p) => p.info.lines); // file line of each record (blank lines skipped)
  } catch (e) {
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
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UserError(`${path}: cannot read measurements: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  return parseMeasurements(text, path);
}

const squash = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]/g, '');

/** Map a name used in a measurement file ("llama2-70b", "A100-80GB") to a catalog id by ignoring case and punctuation. */
export function catalogIdFor(name: string, ids: readonly string[], kind: string, flag: string): string {
  const hit = ids.find((id) => squash(id) === squash(name));
  if (hit) return hit;
  throw new UserError(`${kind} "${excerpt(name)}" in the measurements is not in the catalog (closest: "${closest(name, ids)}"); pass ${flag} to choose one`);
}

export function modelIdFor(name: string): string {
  return catalogIdFor(name, MODEL_IDS, 'model', '--model');
}

export function gpuIdFor(name: string): string {
  return catalogIdFor(name, GPU_IDS, 'hardware', '--gpu');
}
