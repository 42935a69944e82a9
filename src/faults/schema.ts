import { z } from 'zod';
import { nameKey, posInt, posNum, strict } from '../util/zod-helpers.ts';
import { FaultSchema } from './registry.ts';

// Bounded below: an MTBF of 1e-300 h scheduled failures that never moved the clock (the run stood
// still and grew to 4 GB). A failure every 36 s of each instance, a repair of a second, and a
// check every millisecond are already past any real fleet; a threshold of a million checks is too.
const Process = strict({
  mtbf_h: posNum().min(0.01, { error: 'expected hours between failures of at least 0.01 (36 s)' }),
  mttr_min: posNum().min(1 / 60, { error: 'expected minutes to repair of at least 1/60 (a second)' }).max(525_600, { error: 'expected minutes to repair of at most 525,600 (a year)' }),
});
const Check = strict({
  interval_s: posNum().min(0.001, { error: 'expected seconds between health checks of at least 0.001' }).max(3600, { error: 'expected seconds between health checks of at most 3,600' }),
  threshold: posInt().max(1_000_000, { error: 'expected at most 1,000,000 failed checks' }),
});

export const FaultsFields = {
  /** A timeline of faults: [{ at_s, duration_s, kind, target, ...kind fields }]. */
  faults: z.array(FaultSchema).default([]),
  /** Stochastic failures: exponential times between failures and to repair, per component class. */
  failures: strict({
    /** Per GPU: one failure takes its tensor-parallel replica down. */
    gpu: Process.optional(),
    /** Per instance of a tier (by tier kind or station name): capacity drops by one instance. */
    tiers: z.record(nameKey(), Process).optional(),
  }).optional(),
  /** Health checks: a failure is detected after interval_s x threshold (the document: 30 s for GPUs). */
  detection: strict({
    gpu: Check.default({ interval_s: 10, threshold: 3 }),
    region: Check.default({ interval_s: 10, threshold: 3 }),
    tier: Check.default({ interval_s: 10, threshold: 3 }),
  }).default({ gpu: { interval_s: 10, threshold: 3 }, region: { interval_s: 10, threshold: 3 }, tier: { interval_s: 10, threshold: 3 } }),
};

/** The scenario's fault fields, as validated: what installing faults reads. */
export type FaultsSpec = z.output<z.ZodObject<typeof FaultsFields>>;
