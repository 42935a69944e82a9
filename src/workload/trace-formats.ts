import { UserError } from '../errors.ts';
import { quote } from '../util/excerpt.ts';
import { INT32_MAX } from '../util/limits.ts';
import { firstRepeatedKey } from '../util/json-keys.ts';

/** Rows of a trace as read, in file order, before sorting by time. */
export interface TraceRows {
  stamps_ms: number[];
  prompt: number[];
  output: number[];
  /** Mooncake only: the request's prefix block ids, rows concatenated; `hashStart[r]..hashStart[r+1]`. */
  hashStart?: number[];
  hashIds?: number[];
}

/**
 * Largest timestamp a trace may give, in ms either side of 0 (1e12 s, about 31,700 years; a date
 * up to 9999-12-31 is 2.5e14 ms from the epoch). Two stamps of +-1.7e305 s spanned past the double
 * range: the span was infinite, the offered rate 0, and the run went on with one request (exit 0).
 * Within it a span is finite and still kept to a fraction of a ms (2^53 ms is 9e15).
 */
export const MAX_TRACE_STAMP_MS = 1e15;

/** Tokens of one Mooncake prefix block (the FAST'25 trace README: "The block size is 512 tokens"). */
export const MOONCAKE_BLOCK_TOKENS = 512;
/** Prefix block ids one Mooncake request may list (a 2,000,000-token prompt at 512 tokens a block). */
export const MAX_HASH_IDS_PER_REQUEST = 4096;
/** Distinct block ids are kept in Int32Array slots. */
const MAX_HASH_ID = INT32_MAX;

function isCount(v: unknown, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;
}

/** 1-based column of a JSON key in a line (where an editor puts the cursor), 1 if absent. */
function columnOf(line: string, key: string): number {
  const at = line.indexOf(`"${key}"`);
  return at < 0 ? 1 : at + 1;
}

/** Parses one JSONL line, refusing it with its line and column (from V8's "position N"). */
function parseJsonLine(text: string, label: string, lineNo: number): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const pos = /position (\d+)/.exec((e as Error).message);
    const column = pos ? Number(pos[1]) + 1 : 1;
    throw new UserError(`${label}: line ${lineNo}, column ${column}: expected one JSON object per line (Mooncake trace format)`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new UserError(`${label}: line ${lineNo}, column 1: expected a JSON object {timestamp, input_length, output_length, hash_ids}`);
  }
  // JSON.parse keeps the last of two equal keys without a word. Each key is followed by a colon,
  // so a line with no more colons than its object's keys repeats none: only the rare line with
  // more (a colon in a string, a nested object) is scanned, and a trace of millions of lines is not.
  if (colonsIn(text) > Object.keys(value).length) {
    const repeated = firstRepeatedKey(text);
    if (repeated) throw new UserError(`${label}: line ${lineNo}: key ${quote(repeated.key)} appears twice in one object (JSON would keep the last without a word; remove one)`);
  }
  return value as Record<string, unknown>;
}

function colonsIn(text: string): number {
  let n = 0;
  for (let at = text.indexOf(':'); at >= 0; at = text.indexOf(':', at + 1)) n++;
  return n;
}

/**
 * Reads a Mooncake-style JSONL trace: one object per line with `timestamp` (ms from the start),
 * `input_length`, `output_length` and `hash_ids` (prefix block ids of 512 tokens; equal ids at the
 * same position mean a shared prefix). Blank lines are skipped.
 */
/**
 * Block ids a trace may hold in all: one list of them is built while reading, and 30,000 lines of
 * 4,096 ids each (within the per-line and per-file bounds) grew it past what V8 allocates (a
 * native crash, exit 133, 2026-12-07). Mooncake's published traces hold a few million.
 */
export const MAX_TRACE_HASH_IDS = 50_000_000;

export function readMooncake(text: string, label: string): TraceRows {
  const rows: TraceRows = { stamps_ms: [], prompt: [], output: [], hashStart: [0], hashIds: [] };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    const lineNo = i + 1;
    const o = parseJsonLine(line, label, lineNo);
    const bad = (key: string, expected: string, got: unknown) =>
      new UserError(`${label}: line ${lineNo}, column ${columnOf(lines[i], key)} (${key}): expected ${expected}, got ${quote(shown(got))}`);
    const t = o.timestamp;
    if (typeof t !== 'number' || !Number.isFinite(t) || t < 0 || t > MAX_TRACE_STAMP_MS) throw bad('timestamp', `milliseconds from 0 to ${MAX_TRACE_STAMP_MS.toExponential()}`, t);
    if (!isCount(o.input_length, INT32_MAX)) throw bad('input_length', `an integer in [0, ${INT32_MAX}]`, o.input_length);
    if (!isCount(o.output_length, INT32_MAX)) throw bad('output_length', `an integer in [0, ${INT32_MAX}]`, o.output_length);
    const ids = o.hash_ids ?? [];
    if (!Array.isArray(ids) || ids.length > MAX_HASH_IDS_PER_REQUEST || !ids.every((h) => isCount(h, MAX_HASH_ID))) {
      throw bad('hash_ids', `a list of at most ${MAX_HASH_IDS_PER_REQUEST} integers in [0, ${MAX_HASH_ID}]`, ids);
    }
    if (rows.hashIds!.length + ids.length > MAX_TRACE_HASH_IDS) {
      throw bad('hash_ids', `at most ${MAX_TRACE_HASH_IDS.toLocaleString('en-US')} block ids in the whole trace (the lines so far and this one)`, rows.hashIds!.length + ids.length);
    }
    rows.stamps_ms.push(t);
    rows.prompt.push(o.input_length);
    rows.output.push(o.output_length);
    for (const h of ids as number[]) rows.hashIds!.push(h);
    rows.hashStart!.push(rows.hashIds!.length);
  }
  return rows;
}

/** The BurstGPT columns read (HPMLL/BurstGPT README); `Model`, `Total tokens` and `Log Type` are not used. */
export const BURSTGPT_COLUMNS = ['Timestamp', 'Request tokens', 'Response tokens'] as const;

/** A JSON value as the message quotes it: numbers as numbers (JSON.stringify writes a number past the double range, parsed as Infinity, as "null"). */
function shown(value: unknown): string {
  return typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? 'nothing');
}
