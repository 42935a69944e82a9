import { InvalidArgumentError } from 'commander';

/** Commander argument parsers that say what was expected. */
export function nonNegIntArg(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected an integer >= 0, got "${v}"`);
  return n;
}

export function posIntArg(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer, got "${v}"`);
  return n;
}

/** Repeatable option collector (--set a=1 --set b=2). */
export function collect(v: string, acc: string[] = []): string[] {
  return [...acc, v];
}
