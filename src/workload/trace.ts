import { parse } from 'csv-parse/sync';
import { UserError } from '../errors.ts';
import { excerpt, quote } from '../util/excerpt.ts';
import { INT32_MAX } from '../util/limits.ts';
import { BURSTGPT_COLUMNS, MAX_TRACE_STAMP_MS, MOONCAKE_BLOCK_TOKENS, readMooncake, type TraceRows } from './trace-formats.ts';
import { readInputText } from '../util/read-input.ts';
import { parseDecimal } from '../util/decimal.ts';
import { DEFAULT_MAX_MEMORY_GB } from '../util/limits.ts';

/** A request trace: arrival offsets from the first request, and token counts. */
export interface Trace {
  length: number;
  t_ms: Float64Array;
  promptTokens: Int32Array;
  outputTokens: Int32Array;
  /** Span of one pass, plus one mean gap so a looped trace does not stack two arrivals. */
  cycle_ms: number;
  /**
   * Mooncake traces: each request's prefix blocks, ids `ids[start[i]..start[i+1]]` of
   * `blockTokens` tokens each, from the start of the prompt. Equal ids mean the same KV content.
   */
  prefixBlocks?: { blockTokens: number; start: Int32Array; ids: Int32Array };
}

/** Requests one trace may hold (typed arrays of this length stay well under a gigabyte). */
export const MAX_TRACE_REQUESTS = 50_000_000;

const COLUMNS = ['TIMESTAMP', 'ContextTokens', 'GeneratedTokens'] as const;
// The 2024 Azure trace writes a UTC offset ("2024-05-10 00:00:00.009930+00:00"); 2023's has none.
const STAMP = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$/;
const TOKENS = /^\d+$/;

/** Days in a month of the proleptic Gregorian calendar (month 1-12). */
function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** A UTC offset ("+02:00", "-0700", "Z") in ms; NaN if its hours or minutes are out of range. */
function offsetMs(offset: string | undefined): number {
  if (!offset || offset === 'Z') return 0;
  const hours = Number(offset.slice(1, 3));
  const minutes = Number(offset.slice(-2));
  if (hours > 23 || minutes > 59) return NaN;
  return (offset[0] === '-' ? -1 : 1) * (hours * 60 + minutes) * 60_000;
}

/** Plain decimal seconds in ms; NaN for anything else (a date included: BurstGPT's stamps are seconds). */
function parseSeconds(s: string): number {
  return parseDecimal(s) * 1000;
}

/**
 * Milliseconds since the epoch from "YYYY-MM-DD HH:MM:SS.fffffff" (UTC), keeping sub-ms digits;
 * or plain decimal seconds. NaN for anything else, an impossible date or time included (Date.UTC
 * would roll 2023-13-45 99:99:99 over into 2024).
 */
function parseStamp(s: string): number {
  const text = s.trim();
  const m = STAMP.exec(text);
  if (!m) return parseSeconds(text);
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59) return NaN;
  const whole = Date.UTC(year, month - 1, day, hour, minute, second);
  const frac = m[7] ? Number(`0.${m[7]}`) * 1000 : 0;
  return whole + frac - offsetMs(m[8]);
}

/** A token count: decimal digits, at most INT32_MAX (the trace keeps them in Int32Arrays); else NaN. */
function parseTokens(cell: string | undefined): number {
  const text = (cell ?? '').trim();
  const n = Number(text);
  return TOKENS.test(text) && n <= INT32_MAX ? n : NaN;
}

/** How a format's time column is read: its parser (ms, NaN if not one) and what the message expects. */
interface StampColumn {
  parse: (cell: string) => number;
  hint: string;
}

/**
 * The header's columns, each given once: a column named twice was read from its first place
 * without a word, whichever the writer meant. Names are compared as a reader sees them, in any
 * case and without invisible characters: `TIMESTAMP` and `timestamp`, or a name and the same name
 * with a zero-width space, were two columns of which one was read (and a header of both Azure's
 * `TIMESTAMP` and BurstGPT's `Timestamp` was read as Azure's).
 */
function checkHeader(header: readonly string[], label: string): void {
  const seen = new Map<string, number>();
  header.forEach((name, i) => {
    const key = name.normalize('NFKC').replace(INVISIBLE, '').toLowerCase();
    const first = seen.get(key);
    if (first !== undefined) throw new UserError(`${label}: line 1, column ${i + 1}: column ${quote(name)} given twice (columns ${first + 1} and ${i + 1}, ${quote(header[first])}); expected each column once`);
    seen.set(key, i);
  });
}

/** Zero-width and other format characters a header may carry unseen. */
const INVISIBLE = /[\u00AD\u200B-\u200F\u2060-\u2064\uFEFF]/g;

/** Reads the CSV's rows in the given columns; `stamp` parses the first, the others are token counts. */
function readCsvColumns(rows: string[][], lines: number[], columns: readonly string[], label: string, stamp: StampColumn): TraceRows {
  const header = rows[0];
  checkHeader(header, label);
  const idx = columns.map((c) => header.indexOf(c));
  const missing = columns.filter((_, i) => idx[i] < 0);
  if (missing.length) throw new UserError(`${label}: line 1: expected columns ${columns.join(',')}, missing ${missing.join(', ')}`);
  // Line and column (1-based, as in an editor's CSV view) of a bad cell.
  const at = (line: number, c: number) => `${label}: line ${line}, column ${idx[c] + 1} (${columns[c]})`;
  const out: TraceRows = { stamps_ms: [], prompt: [], output: [] };
  for (let r = 1; r < rows.length; r++) {
    const row = rows[r];
    const t = stamp.parse(row[idx[0]] ?? '');
    if (!Number.isFinite(t)) throw new UserError(`${at(lines[r], 0)}: expected ${stamp.hint}, got ${quote(row[idx[0]] ?? '')}`);
    if (Math.abs(t) > MAX_TRACE_STAMP_MS) throw new UserError(`${at(lines[r], 0)}: expected seconds of at most ${(MAX_TRACE_STAMP_MS / 1000).toExponential()} either side of 0, got ${quote(row[idx[0]] ?? '')}`);
    const p = parseTokens(row[idx[1]]); // an empty cell is not 0 tokens
    const g = parseTokens(row[idx[2]]);
    if (Number.isNaN(p)) throw new UserError(`${at(lines[r], 1)}: expected an integer in [0, ${INT32_MAX}], got ${quote(row[idx[1]] ?? '')}`);
    if (Number.isNaN(g)) throw new UserError(`${at(lines[r], 2)}: expected an integer in [0, ${INT32_MAX}], got ${quote(row[idx[2]] ?? '')}`);
    out.stamps_ms.push(t);
    out.prompt.push(p);
    out.output.push(g);
  }
  return out;
}

/** Parses a CSV trace: the Azure format (2023 and 2024) or BurstGPT's, told apart by the header. */
function readCsv(text: string, label: string): TraceRows {
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
  if (!rows[0].includes(COLUMNS[0]) && rows[0].includes(BURSTGPT_COLUMNS[0])) {
    return readCsvColumns(rows, lines, BURSTGPT_COLUMNS, label, { parse: parseSeconds, hint: 'seconds as a decimal number' });
  }
  return readCsvColumns(rows, lines, COLUMNS, label, { parse: parseStamp, hint: 'a valid "YYYY-MM-DD HH:MM:SS.fff" (UTC) or seconds' });
}

/** Sorts rows by time (stable), shifts them to start at 0 and packs them into typed arrays. */
function packTrace(rows: TraceRows, label: string): Trace {
  const n = rows.stamps_ms.length;
  if (n === 0) throw new UserError(`${label}: expected at least one request`);
  if (n > MAX_TRACE_REQUESTS) throw new UserError(`${label}: expected at most ${MAX_TRACE_REQUESTS} requests, got ${n}`);
  const stamps = rows.stamps_ms;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => stamps[a] - stamps[b] || a - b);
  const t_ms = new Float64Array(n);
  const promptTokens = new Int32Array(n);
  const outputTokens = new Int32Array(n);
  const t0 = stamps[order[0]];
  for (let i = 0; i < n; i++) {
    t_ms[i] = stamps[order[i]] - t0;
    promptTokens[i] = rows.prompt[order[i]];
    outputTokens[i] = rows.output[order[i]];
  }
  const span = t_ms[n - 1];
  const cycle_ms = n > 1 && span > 0 ? span + span / (n - 1) : 1000;
  const trace: Trace = { length: n, t_ms, promptTokens, outputTokens, cycle_ms };
  if (rows.hashStart) trace.prefixBlocks = packHashes(rows, order);
  return trace;
}

/** The rows' block ids in time order. */
function packHashes(rows: TraceRows, order: number[]): NonNullable<Trace['prefixBlocks']> {
  const from = rows.hashStart!;
  const start = new Int32Array(order.length + 1);
  const ids = new Int32Array(rows.hashIds!.length);
  let k = 0;
  for (let i = 0; i < order.length; i++) {
    const r = order[i];
    for (let j = from[r]; j < from[r + 1]; j++) ids[k++] = rows.hashIds![j];
    start[i + 1] = k;
  }
  return { blockTokens: MOONCAKE_BLOCK_TOKENS, start, ids };
}

/**
 * Loads a request trace: a CSV in the Azure LLM inference trace format
 * (TIMESTAMP,ContextTokens,GeneratedTokens; 2023 and 2024), a BurstGPT CSV (Timestamp in seconds,
 * Request tokens, Response tokens), or a Mooncake JSONL file (name ending in .jsonl). Rows are
 * sorted by time if they are not already.
 */
export function loadTrace(file: string, label = file, maxMemoryGb = DEFAULT_MAX_MEMORY_GB): Trace {
  const text = readInputText(file, label, (code) => `cannot read the trace (${code})`);
  checkTraceMemory(text, label, maxMemoryGb);
  const rows = file.toLowerCase().endsWith('.jsonl') ? readMooncake(text, label) : readCsv(text, label);
  return packTrace(rows, label);
}

/**
 * Reading a trace holds every line parsed at once before it is packed into typed arrays: about
 * 0.9 KB a line on Node 20 (3,000,000 Azure lines took 2.7 GB; 10,000,000, a 340 MB file within
 * the input size cap, ran out of heap at 4.7 GB). A trace whose lines would need more than the
 * memory limit is refused before parsing, naming the file and the limit.
 */
const TRACE_PARSE_BYTES_PER_LINE = 900;

function checkTraceMemory(text: string, label: string, maxMemoryGb: number): void {
  // line breaks of every kind: rows ended by a lone CR (old Mac files) passed as one line and were read for minutes
  let lines = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) lines++;
  }
  const bytes = lines * TRACE_PARSE_BYTES_PER_LINE;
  if (bytes > maxMemoryGb * 1024 ** 3) {
    throw new UserError(`${label}: a trace of ${lines.toLocaleString('en-US')} lines needs about ${(bytes / 1024 ** 3).toFixed(1)} GB to read (0.9 KB a line), over the limit of ${maxMemoryGb} GB; cut the trace, or raise limits.max_memory_gb if the machine has the memory`);
  }
}
