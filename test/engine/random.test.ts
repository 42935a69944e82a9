import { describe, expect, it } from 'vitest';
import seedrandom from 'seedrandom';
import { alea, stream } from '../../src/engine/random.ts';

/** Index of the first draw where the two generators differ, or -1 when all `draws` agree bit for bit. */
function firstDifference(ours: () => number, reference: () => number, draws: number): number {
  for (let i = 0; i < draws; i++) if (!Object.is(ours(), reference())) return i;
  return -1;
}

describe('our Alea against seedrandom.alea (the reference)', () => {
  // Seeds as stream() forms them, plus texts that exercise Mash: empty, non-ASCII, long.
  const seed_texts = ['fleetsim:1:arrivals', 'fleetsim:42:tier:us-east:gateway', 'fleetsim:0:capacity:gpt-4', '', 'é€😀 seed', 'x'.repeat(1_000)];

  it.each(seed_texts)('draws the same first 1,000,000 numbers for seed %j', (seed_text) => {
    expect(firstDifference(alea(seed_text), seedrandom.alea(seed_text), 1_000_000)).toBe(-1);
  });

  it('stream(seed, name) is the reference generator seeded with fleetsim:seed:name', () => {
    for (const [seed, name] of [[1, 'client'], [7, 'fleet:users'], ['s', 'router:gpt-4']] as const) {
      expect(firstDifference(stream(seed, name), seedrandom.alea(`fleetsim:${seed}:${name}`), 100_000)).toBe(-1);
    }
  });

  it('draws lie in [0, 1)', () => {
    const rng = stream(3, 'range');
    let lowest = 1, highest = 0;
    for (let i = 0; i < 1_000_000; i++) {
      const u = rng();
      lowest = Math.min(lowest, u);
      highest = Math.max(highest, u);
    }
    expect(lowest).toBeGreaterThanOrEqual(0);
    expect(highest).toBeLessThan(1);
  });
});
