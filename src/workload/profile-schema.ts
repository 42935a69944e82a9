import { z } from 'zod';
import { nonNegNum, posNum, strict } from '../util/zod-helpers.ts';

/** A piecewise-linear rate multiplier: [t_s, factor] knots, optionally repeating every period_s. */
export const Profile = strict({
  points: z
    .array(z.tuple([nonNegNum(), nonNegNum()], { error: 'expected a [t_s, factor] pair' }))
    .min(2, { error: 'expected at least two [t_s, factor] points' })
    .refine((ps) => ps.every((p, i) => i === 0 || p[0] > ps[i - 1][0]), { message: 'expected strictly increasing t_s' })
    .refine((ps) => ps[0][0] === 0, { message: 'expected the first point at t_s = 0' }),
  period_s: posNum().optional(),
});

export type ProfileSpec = z.infer<typeof Profile>;
