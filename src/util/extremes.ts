/**
 * The least and greatest of a list, by a loop: `Math.min(...xs)` passes every element as an
 * argument and overflows the stack past about 100,000 of them (a report of 1,000 models' charts,
 * a replay of a million windows). Of an empty list: Infinity and -Infinity, as Math.min() and
 * Math.max() give.
 */
export function minOf(xs: Iterable<number>): number {
  let m = Infinity;
  for (const x of xs) if (x < m || Number.isNaN(x)) m = x;
  return m;
}

export function maxOf(xs: Iterable<number>): number {
  let m = -Infinity;
  for (const x of xs) if (x > m || Number.isNaN(x)) m = x;
  return m;
}
