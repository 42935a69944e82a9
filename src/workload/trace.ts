import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { UserError } from '../errors.ts';

/** A request trace: arrival offsets from the first request, and token counts. */
export interface Trace {
  length: number;
  t_ms: Float64Array;
  promptTokens: Int32Array;
  outputTokens: Int32Array;
  /** Span of one pass, plus one mean gap so a looped trace does not stack two arrivals. */
  cycle_ms: number;
}

const COLUMNS = ['TIMESTAMP', 'ContextTokens', 'GeneratedTokens'] as const;
const STAMP = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?$/;

/** Milliseconds since the epoch from "YYYY-MM-DD HH:MM:SS.fffffff" (UTC), keeping sub-ms digits; or plain seconds. */
function parseStamp(s: string): number {
  const m = STAMP.exec(s.trim());
  if (!m) {
    const secs = Number(s);
    return s.trim() !== '' && Number.isFinite(secs) ? secs * 1000 : NaN;
  }
  const whole = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  const frac = m[7] ? Number(`0.${m[7]}`) * 1000 : 0;
  return whole + frac;
}

/**
 * Loads a CSV in the Azure LLM inference trace format (TIMESTAMP,ContextTokens,GeneratedTokens).
 * TIMESTAMP is a date-time or seconds; rows are sorted by time if they are not already.
 */
export function loadTrace(file: string, label = file): Trace {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`${label}: cannot read the trace (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  let rows: string[][];
  let lines: number[];
  try {
    const parsed = parse(text, { skip_empty_lines: true, trim: true, info: true }) as unknown as { record: string[]; info: { lines: number } }[];
    rows = parsed.map((p) => p.record);
    lines = parsed.map((p) => p.info.lines); // file line of each record (blank lines skipped)
  } catch (e) {
    throw new UserError(`${label}: invalid CSV: ${(e as Error).message}`);
  }
  if (rows.length < 2) throw new UserError(`${label}: expected a header and at least one request row`);
  const header = rows[0];
  const idx = COLUMNS.map((c) => header.indexOf(c));
  const missing = COLUMNS.filter((_, i) => idx[i] < 0);
  if (missing.length) throw new UserError(`${label}: line 1: expected columns ${COLUMNS.join(',')}, missing ${missing.join(', ')}`);
  const n = rows.length - 1;
  const stamps = new Float64Array(n);
  const prompt = new Int32Array(n);
  const output = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const row = rows[r + 1];
    const line = lines[r + 1];
    const t = parseStamp(row[idx[0]] ?? '');
    if (!Number.isFinite(t)) throw new UserError(`${label}: line ${line}: TIMESTAMP: expected "YYYY-MM-DD HH:MM:SS.fff" or seconds, got "${row[idx[0]]}"`);
    const p = Number(row[idx[1]] || NaN); // an empty cell is not 0 tokens
    const g = Number(row[idx[2]] || NaN);
    if (!Number.isInteger(p) || p < 0) throw new UserError(`${label}: line ${line}: ContextTokens: expected an integer >= 0, got "${row[idx[1]]}"`);
    if (!Number.isInteger(g) || g < 0) throw new UserError(`${label}: line ${line}: GeneratedTokens: expected an integer >= 0, got "${row[idx[2]]}"`);
    stamps[r] = t;
    prompt[r] = p;
    output[r] = g;
  }
  // Sort by time (stable), then shift to start at 0.
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => stamps[a] - stamps[b] || a - b);
  const t_ms = new Float64Array(n);
  const promptTokens = new Int32Array(n);
  const outputTokens = new Int32Array(n);
  const t0 = stamps[order[0]];
  for (let i = 0; i < n; i++) {
    t_ms[i] = stamps[order[i]] - t0;
    promptTokens[i] = prompt[order[i]];
    outputTokens[i] = output[order[i]];
  }
  const span = t_ms[n - 1];
  const cycle_ms = n > 1 && span > 0 ? span + span / (n - 1) : 1000;
  return { length: n, t_ms, promptTokens, outputTokens, cycle_ms };
}
