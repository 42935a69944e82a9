import { describe, expect, it } from 'vitest';
import { apportion } from '../../src/util/apportion.ts';

/** A slow reference: hand out round(share x total) units one at a time, each to the part furthest below its exact share. */
function byHand(sizes: number[], share: number): number[] {
  const counts = sizes.map(() => 0);
  const total = Math.round(sizes.reduce((a, n) => a + n, 0) * share);
  for (let u = 0; u < total; u++) {
    let best = -1;
    for (let i = 0; i < sizes.length; i++) {
      if (counts[i] >= sizes[i]) continue;
      if (best < 0 || sizes[i] * share - counts[i] > sizes[best] * share - counts[best] + 1e-12) best = i;
    }
    counts[best]++;
  }
  return counts;
}

describe('apportion (largest remainder)', () => {
  it('gives half of three parts of 3 five units, where rounding each part gives six', () => {
    expect(apportion([3, 3, 3], 0.5)).toEqual([2, 2, 1]);
    expect([3, 3, 3].map((n) => Math.round(n * 0.5))).toEqual([2, 2, 2]);
  });

  it('keeps the total at round(share x total) and each part within one unit of its share, as the reference does', () => {
    let seed = 7;
    const next = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let trial = 0; trial < 500; trial++) {
      const sizes = Array.from({ length: 1 + Math.floor(next() * 6) }, () => Math.floor(next() * 12));
      const share = Math.round(next() * 100) / 100;
      const counts = apportion(sizes, share);
      const total = sizes.reduce((a, n) => a + n, 0);
      expect(counts.reduce((a, k) => a + k, 0), `${sizes} x ${share}`).toBe(Math.round(total * share));
      counts.forEach((k, i) => {
        expect(k).toBeLessThanOrEqual(sizes[i]);
        expect(Math.abs(k - sizes[i] * share)).toBeLessThan(1);
      });
      expect(counts, `${sizes} x ${share}`).toEqual(byHand(sizes, share));
    }
  });

  it('gives nothing at a share of 0 and everything at 1', () => {
    expect(apportion([4, 0, 7], 0)).toEqual([0, 0, 0]);
    expect(apportion([4, 0, 7], 1)).toEqual([4, 0, 7]);
  });
});
