import { z } from 'zod';
import { nonNegNum, posNum } from '../../util/zod-helpers.ts';

/** Fields every fault has: when, for how long, and what it hits. */
export function common<K extends string>(kind: K) {
  return {
    kind: z.literal(kind),
    at_s: nonNegNum(),
    duration_s: posNum(),
    target: z.string().min(1).optional(),
    /** Free text: what this fault stands for. */
    note: z.string().optional(),
  };
}
