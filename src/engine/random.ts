/** A uniform [0, 1) generator. */
export type Rng = () => number;

const TWO_POW_MINUS_32 = 2.3283064365386963e-10;

/**
 * Baagøe's Mash hash, as seedrandom 3.0.5 (lib/alea.js) seeds Alea with it: the state `n`
 * carries from one call to the next, so the three seeding calls of a generator must share one.
 * `n` is a float that may exceed 2^32 between characters; kept as the same float arithmetic so
 * that every seed gives the reference's state bit for bit.
 */
function makeMash(): (data: string) => number {
  let n = 0xefc8249d;
  return (data: string): number => {
    for (let i = 0; i < data.length; i++) {
      n += data.charCodeAt(i);
      let h = 0.02519603282416938 * n;
      n = h >>> 0;
      h -= n;
      h *= n;
      n = h >>> 0;
      h -= n;
      n += h * 0x100000000; // 2^32
    }
    return (n >>> 0) * TWO_POW_MINUS_32;
  };
}

/**
 * Baagøe's Alea, the same number sequence as `seedrandom.alea(seed_text)` (tested draw for draw
 * against it). Ours instead of the library's because its state lives in a Float64Array captured
 * by the closure: the library keeps it in an object's fields behind a closure over that object,
 * one more dependent load per draw. The step's arithmetic is the library's, operation for
 * operation, so results do not move.
 */
export function alea(seed_text: string): Rng {
  const mash = makeMash();
  let s0 = mash(' '), s1 = mash(' '), s2 = mash(' ');
  s0 -= mash(seed_text);
  if (s0 < 0) s0 += 1;
  s1 -= mash(seed_text);
  if (s1 < 0) s1 += 1;
  s2 -= mash(seed_text);
  if (s2 < 0) s2 += 1;
  // [s0, s1, s2, carry]
  const state = new Float64Array([s0, s1, s2, 1]);
  return (): number => {
    const t = 2091639 * state[0] + state[3] * TWO_POW_MINUS_32;
    state[0] = state[1];
    state[1] = state[2];
    const carry = t | 0;
    state[3] = carry;
    return (state[2] = t - carry);
  };
}

/**
 * A named random stream derived from (seed, name). Every component draws from its own stream,
 * so adding a component or a fault does not shift the random numbers of the others, and
 * what-if runs share their arrivals (common random numbers). Alea: fast and passes BigCrush.
 */
export function stream(seed: number | string, name: string): Rng {
  return alea(`fleetsim:${seed}:${name}`);
}
