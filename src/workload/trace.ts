import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { UserError } from '../errors.ts';
import { excerpt, quote } from '../util/excerpt.ts';
import { INT32_MAX } from '../util/limits.ts';

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
const SECONDS = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
const TOKENS = /^\d+$/;

/** Days in a month of the proleptic Gregorian calendar (month 1-12). */
function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * Milliseconds since the epoch from "YYYY-MM-DD HH:MM:SS.fffffff" (UTC), keeping sub-ms digits;
 * or plain decimal seconds. NaN for anything else, an impossible date or time included (Date.UTC
 * would roll 2023-13-45 99:99:99 over into 2024).
 */
function parseStamp(s: string): number {
  const text = s.trim();
  const m = STAMP.exec(text);
  if (!m) {
    const secs = Number(text);
    return SECONDS.test(text) && Number.isFinite(secs) ? secs * 1000 : NaN;
  }
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59) return NaN;
  const whole = Date.UTC(year, month - 1, day, hour, minute, second);
  const frac = m[7] ? Number(`0.${m[7]}`) * 1000 : 0;
  return whole + frac;
}

/** A token count: decimal digits, at most INT32_MAX (the trace keeps them in Int32Arrays); else NaN. */
function parseTokens(cell: string | undefined): number {
  const text = (cell ?? '').trim();
  const n = Number(text);
  return TOKENS.test(text) && n <= INT32_MAX ? n : NaN;
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
    // csv-parse quotes the offending field in its message: keep it short.
    throw new UserError(`${label}: invalid CSV: ${excerpt((e as Error).message, 120)}`);
  }
  if (rows.length < 2) throw new UserError(`${label}: expected a header and at least one request row`);
  const header = rows[0];
  const idx = COLUMNS.map((c) => header.indexOf(c));
  const missing = COLUMNS.filter((_, i) => idx[i] < 0);
  // Line and column (1-based, as in an editor's CSV view) of a bad cell.
  const at = (line: number, c: number) => `${label}: line ${line}, column ${idx[c] + 1} (${COLUMNS[c]})`;
  if (missing.length) throw new UserError(`${label}: line 1: expected columns ${COLUMNS.join(',')}, missing ${missing.join(', ')}`);
  const n = rows.length - 1;
  const stamps = new Float64Array(n);
  const prompt = new Int32Array(n);
  const output = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const row = rows[r + 1];
    const line = lines[r + 1];
    const t = parseStamp(row[idx[0]] ?? '');
    if (!Number.isFinite(t)) throw new UserError(`${at(line, 0)}: expected a valid "YYYY-MM-DD HH:MM:SS.fff" (UTC) or seconds, got ${quote(row[idx[0]] ?? '')}`);
    const p = parseTokens(row[idx[1]]); // an empty cell is not 0 tokens
    const g = parseTokens(row[idx[2]]);
    if (Number.isNaN(p)) throw new UserError(`${at(line, 1)}: expected an integer in [0, ${INT32_MAX}], got ${quote(row[idx[1]] ?? '')}`);
    if (Number.isNaN(g)) throw new UserError(`${at(line, 2)}: expected an integer in [0, ${INT32_MAX}], got ${quote(row[idx[2]] ?? '')}`);
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
