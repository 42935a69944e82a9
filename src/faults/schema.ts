import { z } from 'zod';
import { nameKey, posInt, posNum, strict } from '../util/zod-helpers.ts';
import { FaultSchema } from './registry.ts';

const Process = strict({ mtbf_h: posNum(), mttr_min: posNum() });
const Check = strict({ interval_s: posNum(), threshold: posInt() });

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
