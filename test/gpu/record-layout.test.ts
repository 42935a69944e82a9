import { describe, expect, it } from 'vitest';
import { recordLayout } from '../../src/fleet/record-pool.ts';
import * as requests from '../../src/fleet/request-pool.ts';
import { RequestPool } from '../../src/fleet/request-pool.ts';
import { SlotPool } from '../../src/fleet/gpu/slot-pool.ts';

/** Every accessor pair of a pool, [getter, setter] (setFirstTokenMs goes with first_token_ms), found on its prototype. */
function accessorPairs(proto: object): [string, string][] {
  const names = Object.getOwnPropertyNames(proto);
  const pairs: [string, string][] = [];
  for (const setter of names.filter((n) => /^set[A-Z]/.test(n))) {
    const key = (n: string) => n.replace(/_/g, '').toLowerCase();
    const getter = names.find((n) => key(n) === key(setter.slice(3)));
    if (getter) pairs.push([getter, setter]);
  }
  return pairs;
}

describe('record layouts', () => {
  it('places each field at the next multiple of its size, in declaration order, and refuses what does not fit', () => {
    expect(recordLayout(32, { a: 'i32', b: 'f64', c: 'i32', d: 'i32', e: 'f64' })).toEqual({ a: 0, b: 1, c: 4, d: 5, e: 3 });
    expect(() => recordLayout(16, { a: 'f64', b: 'i32', c: 'f64' })).toThrow(/24 bytes, more than the record's 16/);
    expect(() => recordLayout(12, { a: 'i32' })).toThrow(/multiple of 8/);
  });

  // every field with a setter: the slot pool's epoch is only bumped
  it.each([
    ['SlotPool', () => new SlotPool(4), SlotPool.prototype, 23],
    ['RequestPool', () => new RequestPool(4), RequestPool.prototype, 24],
  ] as const)('%s: every field keeps its own value, in neighbouring records too (no two fields share bytes)', (_name, make, proto, fields) => {
    const pool = make() as unknown as Record<string, (...args: number[]) => number>;
    const pairs = accessorPairs(proto);
    expect(pairs.length, pairs.map((p) => p[0]).join(' ')).toBe(fields);
    const ids = [pool.alloc(), pool.alloc(), pool.alloc()];
    pairs.forEach(([, set], k) => ids.forEach((id, r) => pool[set](id, 1000 * r + k + 1)));
    pairs.forEach(([get], k) => ids.forEach((id, r) => expect(pool[get](id), `${get} of record ${r}`).toBe(1000 * r + k + 1)));
  });

  it('request flags are single bits, each its own', () => {
    const flags = Object.entries(requests).filter(([name]) => /^F_[A-Z_]+$/.test(name)).map(([, bit]) => bit as number);
    expect(flags.length).toBeGreaterThanOrEqual(7);
    for (const bit of flags) expect(Number.isInteger(Math.log2(bit)) && bit < 2 ** 31, `${bit}`).toBe(true);
    expect(new Set(flags).size).toBe(flags.length);
  });
});
