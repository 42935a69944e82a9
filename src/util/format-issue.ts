import type { z } from 'zod';
import { excerpt, quote } from './excerpt.ts';

type Issue = z.core.$ZodIssue;
type Path = readonly PropertyKey[];

/** Segments of a long path shown at each end. */
const PATH_ENDS = 6;

/** a.b[0].c; keys come from the input, so each is cut short and its control characters escaped. */
export function formatPath(path: Path): string {
  if (path.length > 2 * PATH_ENDS + 1) {
    const head = formatPath(path.slice(0, PATH_ENDS));
    const tail = formatPath(path.slice(-PATH_ENDS));
    return `${head}...(${path.length - 2 * PATH_ENDS} more)...${tail.startsWith('[') ? '' : '.'}${tail}`;
  }
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += `${out === '' ? '' : '.'}${excerpt(String(seg), 40)}`;
  }
  return out === '' ? '(top level)' : out;
}

/**
 * The offending value: a short excerpt (numbers as written: JSON would show Infinity and NaN as
 * null). An integer beyond 2^53 - 1 shown in full digits (below 1e21) need not be the one written
 * but the nearest double: a seed of 9007199254740993 was refused as "got 9007199254740992".
 */
const show = (input: unknown): string => (isRoundedInteger(input) ? `a number beyond 2^53 - 1 (read as ${quote(input)})` : quote(input));
const isRoundedInteger = (x: unknown): boolean => typeof x === 'number' && Number.isInteger(x) && Math.abs(x) > Number.MAX_SAFE_INTEGER && Math.abs(x) < 1e21;

/** The most specific issue inside a union: the branch that matched the discriminator, if any. */
function innermost(issue: Issue, path: Path): { issue: Issue; path: Path } {
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    let best: { issue: Issue; path: Path } | undefined;
    for (const branch of issue.errors) {
      for (const sub of branch) {
        const cand = innermost(sub, [...path, ...sub.path]);
        // Prefer a discriminator complaint, else the deepest path: that branch got furthest.
        const score = (i: Issue, p: Path) => ((i as { note?: string }).note ? 1000 : 0) + p.length;
        if (!best || score(cand.issue, cand.path) > score(best.issue, best.path)) best = cand;
      }
    }
    if (best) return best;
  }
  return { issue, path };
}

/** zod's type names as a scenario's reader knows them (a YAML mapping is an object). */
const TYPE_WORDS: Readonly<Record<string, string>> = { object: 'a mapping (key: value)', record: 'a mapping (key: value)', array: 'a list', string: 'a string', number: 'a number', boolean: 'true or false', int: 'an integer' };

/** The zod helpers' messages (util/zod-helpers.ts), given the maximum a schema adds to them. */
const HELPER_MESSAGES: Readonly<Record<string, (max: string) => string>> = {
  'expected a positive number': (max) => `expected a positive number of at most ${max}`,
  'expected a positive integer': (max) => `expected a positive integer of at most ${max}`,
  'expected a number >= 0': (max) => `expected a number from 0 to ${max}`,
  'expected an integer >= 0': (max) => `expected an integer from 0 to ${max}`,
};

function withMaximum(message: string, maximum: unknown): string | undefined {
  const f = Object.hasOwn(HELPER_MESSAGES, message) ? HELPER_MESSAGES[message] : undefined;
  return f && (typeof maximum === 'number' || typeof maximum === 'bigint') ? f(Number(maximum).toLocaleString('en-US')) : undefined;
}

/** One line: "path: expected ..., got ..." */
export function describeIssue(top: Issue): string {
  const { issue, path } = innermost(top, top.path);
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case 'unrecognized_keys':
      // zod's own message quotes the key whole; strict() (util/zod-helpers.ts) writes one with an excerpt.
      return `${formatPath([...path, issue.keys[0]])}: ${issue.message.startsWith('unknown key') ? issue.message : `unknown key ${quote(issue.keys[0], 40)}`}`;
    case 'invalid_union': {
      const d = issue as unknown as { discriminator?: string; options?: unknown[] };
      if (d.discriminator) {
        const got = input && typeof input === 'object' ? (input as Record<string, unknown>)[d.discriminator] : input;
        const p = path[path.length - 1] === d.discriminator ? path : [...path, d.discriminator];
        return `${formatPath(p)}: expected one of ${d.options?.join(', ')}, got ${show(got)}`;
      }
      return `${formatPath(path)}: ${issue.message}, got ${show(input)}`;
    }
    case 'invalid_type': {
      const msg = issue.message.startsWith('expected') ? issue.message : `expected ${TYPE_WORDS[issue.expected] ?? issue.expected}`;
      return `${formatPath(path)}: ${msg}, got ${show(input)}`;
    }
    case 'invalid_value':
      return `${formatPath(path)}: expected one of ${issue.values.map((v) => quote(v)).join(', ')}, got ${show(input)}`;
    case 'too_small':
    case 'too_big': {
      // a bound added to a helper (posNum().max(N)) inherits the helper's message, which says
      // nothing of the bound: "expected a positive number, got 100000000"
      const bounded = issue.code === 'too_big' ? withMaximum(issue.message, issue.maximum) : undefined;
      if (bounded) return `${formatPath(path)}: ${bounded}, got ${show(input)}`;
      if (issue.message.startsWith('expected')) return `${formatPath(path)}: ${issue.message}, got ${show(input)}`;
      const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      const op = issue.code === 'too_small' ? (issue.inclusive ? '>=' : '>') : issue.inclusive ? '<=' : '<';
      const what = issue.origin === 'array' ? 'a list with length' : issue.origin === 'string' ? 'a string with length' : 'a number';
      return `${formatPath(path)}: expected ${what} ${op} ${String(bound)}, got ${show(input)}`;
    }
    case 'invalid_key': {
      // A record's key failed its schema (zod-helpers nameKey): the key is in the path already.
      const inner = issue.issues[0];
      return `${formatPath(path)}: ${inner?.message ?? issue.message}`;
    }
    default:
      return `${formatPath(path)}: ${issue.message}${input !== undefined ? `, got ${show(input)}` : ''}`;
  }
}
