import { z } from 'zod';

/** `ci95` of a replicated block: [lo, hi] per numeric sibling (results/aggregate.ts adds it). */
export const Ci95 = z
  .record(z.string(), z.tuple([z.number(), z.number()]))
  .meta({ id: 'ci95', description: 'Two-sided 95% Student-t confidence interval [lo, hi] of each numeric sibling figure (replicated runs only).' });

/**
 * A block of summary.json that holds figures: with --replications N > 1 they are means and the
 * block gains a sibling `ci95` (results/aggregate.ts adds one wherever a block has a number).
 */
export function replicated<Shape extends z.ZodRawShape>(shape: Shape) {
  return z.strictObject({ ...shape, ci95: Ci95.optional() });
}

export const nullableNumber = () => z.number().nullable();

/** True when A and B are assignable both ways: compile-time agreement of a declared block with the interface that produces it. */
export type Agrees<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
