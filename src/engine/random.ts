import seedrandom from 'seedrandom';

/** A uniform [0, 1) generator. */
export type Rng = () => number;

/**
 * A named random stream derived from (seed, name). Every component draws from its own stream,
 * so adding a component or a fault does not shift the random numbers of the others, and
 * what-if runs share their arrivals (common random numbers). Alea: fast and passes BigCrush.
 */
export function stream(seed: number | string, name: string): Rng {
  return seedrandom.alea(`fleetsim:${seed}:${name}`);
}
