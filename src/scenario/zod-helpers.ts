import { z } from 'zod';
import { didYouMean } from '../util/did-you-mean.ts';

/** Number builders whose messages read as "expected ...", so errors say what was expected. */
export const posInt = () =>
  z.number({ error: 'expected a positive integer' }).int({ error: 'expected a positive integer' }).positive({ error: 'expected a positive integer' });
export const nonNegInt = () =>
  z.number({ error: 'expected an integer >= 0' }).int({ error: 'expected an integer >= 0' }).nonnegative({ error: 'expected an integer >= 0' });
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
      return `unknown key "${key}"${didYouMean(key, known)}; expected one of: ${known.join(', ')}`;
    },
  });
}
