import { z } from 'zod';
import { tiersOf } from '../targets.ts';
import type { FaultKind } from '../types.ts';
import { common } from './common.ts';
import { effectDuring } from './tier-effect.ts';

/**
 * A network partition: the target (a tier, or every tier of a region) is unreachable from its
 * callers for duration_s. Unlike an outage it keeps working on what it already holds, and
 * nothing fails over.
 */
export const partitionSchema = z.strictObject({ ...common('partition') });

export const partition: FaultKind<z.infer<typeof partitionSchema>> = {
  kind: 'partition',
  apply(ctx, f, index) {
    const tiers = tiersOf(ctx, f.target, `faults[${index}]`);
    const end = f.at_s + f.duration_s;
    effectDuring(ctx, tiers, { fail_prob: 1 }, f.at_s, end);
    return { index, kind: f.kind, target: f.target ?? 'all tiers', start_s: f.at_s, detected_s: null, mitigated_s: null, end_s: end, recovered_s: end };
  },
};
