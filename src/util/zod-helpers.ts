import { z } from 'zod';
import { didYouMean } from './did-you-mean.ts';
import { hasControls, quote } from './excerpt.ts';
import { RESERVED_NAMES } from './reserved-names.ts';
import { INT32_MAX, SEED_MAX } from './limits.ts';

/**
 * Number builders whose messages read as "expected ...", so errors say what was expected. Counts
 * are bounded by INT32_MAX: they end up in Int32Array slots and as array lengths (util/limits.ts).
 */
export const posInt = () =>
  z
    .number({ error: 'expected a positive integer' })
    .int({ error: 'expected a positive integer', abort: true })
    .positive({ error: 'expected a positive integer' })
    .max(INT32_MAX, { error: `expected a positive integer <= ${INT32_MAX}` });
export const nonNegInt = () =>
  z
    .number({ error: 'expected an integer >= 0' })
    .int({ error: 'expected an integer >= 0', abort: true })
    .nonnegative({ error: 'expected an integer >= 0' })
    .max(INT32_MAX, { error: `expected an integer in [0, ${INT32_MAX}]` });
/** A random seed: every integer in [0, 2^53) is a distinct stream; beyond, neighbours are the same double. */
export const seedInt = () =>
  z
    .number({ error: 'expected an integer in [0, 2^53)' })
    .int({ error: 'expected an integer in [0, 2^53)', abort: true })
    .min(0, { error: 'expected an integer in [0, 2^53)' })
    .max(SEED_MAX, { error: 'expected an integer in [0, 2^53)' });

export const NAME_MAX_CHARS = 100;

/**
 * The name of a scenario, station, model, region or tier: printed in terminals, CI logs and
 * reports, and (but for the scenario's) kept as an object key. Printable, at most NAME_MAX_CHARS
 * characters, and not one of JavaScript's reserved property names (a station named `__proto__`
 * used to vanish; zod's records skip that key, so document.ts refuses it before the schema runs).
 */
export const nameKey = () =>
  printableName().refine((s) => !RESERVED_NAMES.has(s), { error: 'expected a name other than __proto__, constructor or prototype (reserved in JavaScript)' });
export const printableName = () =>
  z
    .string({ error: 'expected a name' })
    .min(1, { error: 'expected a non-empty name' })
    .max(NAME_MAX_CHARS, { error: `expected a name of at most ${NAME_MAX_CHARS} characters` })
    .refine((s) => !hasControls(s), { error: 'expected a name without control characters' });
export const posNum = () =>
  z.number({ error: 'expected a positive number' }).positive({ error: 'expected a positive number' }).finite({ error: 'expected a finite number' });
export const nonNegNum = () =>
  z.number({ error: 'expected a number >= 0' }).nonnegative({ error: 'expected a number >= 0' }).finite({ error: 'expected a finite number' });
export const prob = () =>
  z.number({ error: 'expected a probability in [0, 1]' }).min(0, { error: 'expected a probability in [0, 1]' }).max(1, { error: 'expected a probability in [0, 1]' });
export const num = () => z.number({ error: 'expected a number' }).finite({ error: 'expected a finite number' });

/** An object that rejects unknown keys, naming the closest known key. */
export function strict<T extends z.ZodRawShape>(shape: T) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (iss) => {
      if (iss.code !== 'unrecognized_keys') return undefined;
      const key = iss.keys[0];
      return `unknown key ${quote(key, 40)}${didYouMean(key, known)}; expected one of: ${known.join(', ')}`;
    },
  });
}
