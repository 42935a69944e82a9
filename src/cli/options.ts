import { InvalidArgumentError, type Command, type Option } from 'commander';
import { excerpt } from '../util/excerpt.ts';
import { INT32_MAX, SEED_MAX } from '../util/limits.ts';

/** Commander argument parsers that say what was expected. Integers are decimal digits only. */
const DIGITS = /^\s*\d+\s*$/;

/**
 * A seed (or another integer >= 0): at most 2^53 - 1, beyond which neighbouring integers are the
 * same double and every replication would get the same seed (util/limits.ts).
 */
export function nonNegIntArg(v: string): number {
  const n = Number(v);
  if (!DIGITS.test(v) || n > SEED_MAX) throw new InvalidArgumentError(`expected an integer in [0, 2^53), got "${excerpt(v)}"`);
  return n;
}

/** A count (replications, jobs): at most INT32_MAX, like every count in a scenario. */
export function posIntArg(v: string): number {
  const n = Number(v);
  if (!DIGITS.test(v) || n < 1 || n > INT32_MAX) throw new InvalidArgumentError(`expected a positive integer <= ${INT32_MAX}, got "${excerpt(v)}"`);
  return n;
}

export { pathArg } from '../util/path-arg.ts';

/** Repeatable option collector (--set a=1 --set b=2). */
export function collect(v: string, acc: string[] = []): string[] {
  return [...acc, v];
}

/** An option that takes a value once: not a flag, not repeatable (`collect`'s []) and not variadic (`<files...>`). */
function takesOneValue(option: Option): boolean {
  return (option.required || option.optional) && !option.variadic && !Array.isArray(option.defaultValue);
}

/**
 * The first option of `command` that the command line gives twice, with both values, where the
 * option takes one value: commander keeps the last without a word, so `--gpu h100 --gpu h200`
 * would run on H200 though the user may have meant either. Reads `--name value` and
 * `--name=value` up to a bare `--`; a flag (no value) given twice means the same either way.
 */
export function repeatedOption(command: Command, tokens: readonly string[]): { name: string; first: string; second: string } | undefined {
  const seen = new Map<string, string>();
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token === '--') break;
    if (!token.startsWith('-') || token === '-') continue;
    const equals = token.indexOf('=');
    const name = equals > 0 ? token.slice(0, equals) : token;
    const option = command.options.find((o) => o.long === name || o.short === name);
    if (option === undefined || !(option.required || option.optional)) continue;
    const value = equals > 0 ? token.slice(equals + 1) : (tokens[i + 1] ?? '');
    if (equals < 0) i++; // the next token is this option's value, whatever it looks like
    if (!takesOneValue(option)) continue;
    const key = option.attributeName();
    const first = seen.get(key);
    if (first !== undefined) return { name: option.long ?? name, first, second: value };
    seen.set(key, value);
  }
  return undefined;
}
