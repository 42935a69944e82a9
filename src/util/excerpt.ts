/**
 * How input values are quoted in error messages. A scenario, trace or flag may come from an
 * untrusted pull request, and an error message lands in a CI log: it must stay one line, show no
 * terminal control sequences, and never reproduce a file's content. Every message that echoes an
 * input value goes through here (see docs/security.md).
 */

/** Characters of an input value an error message may show. */
export const EXCERPT_CHARS = 80;

/** Names listed in a message ("expected a station name (a, b, ...)"). */
const LISTED_NAMES = 12;

/**
 * C0 and C1 controls, DEL, the line and paragraph separators, the bidirectional overrides,
 * isolates and marks (they reorder what a terminal or a code review shows: CVE-2021-42574,
 * "Trojan Source"), and the invisible format characters (soft hyphen, zero-width space and
 * joiners, word joiner, byte-order mark): two names differing by one looked identical, and a
 * table's columns shifted.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** Does `text` hold a character escapeControls would escape? */
export function hasControls(text: string): boolean {
  return UNSAFE_ONE.test(text);
}
const UNSAFE_ONE = new RegExp(UNSAFE.source);

/** Control characters written as escapes (\n, \u001b): the text stays on one line and inert. */
export function escapeControls(text: string): string {
  return text.replace(UNSAFE, (c) => NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** At most `max` characters of `text` with control characters escaped, and "..." when cut. */
export function excerpt(text: string, max = EXCERPT_CHARS): string {
  // Escaping only lengthens text: cutting the raw text first bounds the work on a huge input.
  const head = text.length > max ? text.slice(0, max) : text;
  const escaped = escapeControls(head);
  if (escaped.length <= max && head.length === text.length) return escaped;
  // Cut to leave room for "...", not through a surrogate pair or an escape sequence.
  let cut = escaped.slice(0, max - 3);
  if (/[\ud800-\udbff]$/.test(cut)) cut = cut.slice(0, -1);
  cut = cut.replace(/\\(u[0-9a-f]{0,3})?$/, '');
  return `${cut}...`;
}

/**
 * Any input value for a message, at most about EXCERPT_CHARS characters: strings quoted, numbers
 * as written (Infinity, NaN), lists and mappings as a JSON-like preview cut at the limit. Never
 * walks more of a value than it shows, so a deep or huge value costs nothing.
 */
export function quote(value: unknown, max = EXCERPT_CHARS): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return `"${excerpt(value, max)}"`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' || value === null) return String(value);
  const out = { text: '', full: false };
  preview(value, out, max, 0);
  return out.full ? `${out.text.slice(0, max - 3)}...` : out.text;
}

function preview(value: unknown, out: { text: string; full: boolean }, max: number, depth: number): void {
  const put = (s: string) => {
    if (out.full) return;
    out.text += s;
    if (out.text.length > max) out.full = true;
  };
  if (out.full) return;
  if (typeof value === 'string') return put(JSON.stringify(excerpt(value, max)));
  if (typeof value === 'symbol') return put(`a YAML merge key (${excerpt(value.description ?? '', 20)})`);
  if (value === null || typeof value !== 'object') return put(String(value));
  if (depth > 8) return put('...');
  // YAML tags read as objects a reader would not recognise printed as {}: say what they are
  if (value instanceof Date) return put(Number.isNaN(value.getTime()) ? 'a date (invalid)' : `a date (${value.toISOString()})`);
  if (value instanceof Uint8Array) return put(`binary data (${value.length} bytes)`);
  if (value instanceof Map) return put(`a mapping of ${value.size} entries`);
  if (value instanceof Set) return put(`a set of ${value.size} entries`);
  if (Array.isArray(value)) {
    put('[');
    for (let i = 0; i < value.length && !out.full; i++) {
      if (i > 0) put(',');
      preview(value[i], out, max, depth + 1);
    }
    return put(']');
  }
  put('{');
  let first = true;
  for (const key in value) {
    if (out.full) break;
    if (!Object.hasOwn(value, key)) continue;
    put(`${first ? '' : ','}${JSON.stringify(excerpt(key, max))}:`);
    first = false;
    preview((value as Record<string, unknown>)[key], out, max, depth + 1);
  }
  put('}');
}

/** "a, b, c" for names taken from the input: each name cut short, at most LISTED_NAMES of them. */
export function listNames(names: readonly string[], max = LISTED_NAMES): string {
  const shown = names.slice(0, max).map((n) => excerpt(n, 40));
  return names.length > max ? `${shown.join(', ')}, ... (${names.length - max} more)` : shown.join(', ');
}
