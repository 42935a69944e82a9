import { UserError } from '../errors.ts';
import { excerpt } from '../util/excerpt.ts';

/** Flag values arrive as strings; these check them and name the flag in the error. */
export function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n <= 0) {
    throw new UserError(`${flag}: expected a positive integer, got "${excerpt(value)}"`);
  }
  return n;
}

export function fraction(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0 || n > 1) {
    throw new UserError(`${flag}: expected a number in (0, 1], got "${excerpt(value)}"`);
  }
  return n;
}

export function positiveIntList(value: string | undefined, flag: string): number[] | undefined {
  if (value === undefined) return undefined;
  return value.split(',').map((v) => positiveInt(v.trim(), flag)!);
}

/** A probability in [0, 1), or in [0, 1] with `closed`. */
export function probability(value: string | undefined, flag: string, closed = false): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  const range = closed ? '[0, 1]' : '[0, 1)';
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || (closed ? n > 1 : n >= 1)) {
    throw new UserError(`${flag}: expected a number in ${range}, got "${excerpt(value)}"`);
  }
  return n;
}
