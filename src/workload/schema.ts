import { z } from 'zod';
import { posNum, strict } from '../util/zod-helpers.ts';
import { Profile } from './profile-schema.ts';
import { gammaCv } from '../engine/distribution-schema.ts';

/** How requests arrive: a Poisson or gamma process (optionally shaped by a rate profile), or a trace. */
export const ArrivalsSchema = z.discriminatedUnion('kind', [
  strict({ kind: z.literal('poisson'), rate_per_s: posNum(), profile: Profile.optional() }),
  strict({ kind: z.literal('gamma'), rate_per_s: posNum(), cv: gammaCv(), profile: Profile.optional() }),
  strict({
    kind: z.literal('trace'),
    /** A request trace relative to the scenario file: Azure LLM trace CSV (2023, 2024), BurstGPT CSV or Mooncake JSONL (scenarios/data/traces/README.md). */
    file: z.string({ error: 'expected a file path' }).min(1),
    /** Trace gaps are multiplied by this: 0.5 replays twice as fast. */
    time_scale: posNum().default(1),
    /** Start the trace over when it ends, until duration_s. */
    loop: z.boolean().default(false),
  }),
]);

export type ArrivalsSpec = z.infer<typeof ArrivalsSchema>;
