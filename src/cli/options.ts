import { InvalidArgumentError } from 'commander';
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

/** Repeatable option collector (--set a=1 --set b=2). */
export function collect(v: string, acc: string[] = []): string[] {
  return [...acc, v];
}
