import { z } from 'zod';
import { nonNegNum } from '../../util/zod-helpers.ts';
import { clustersOf, tiersOf } from '../targets.ts';
import type { FaultKind } from '../types.ts';
import { common } from './common.ts';
import { effectDuring } from './tier-effect.ts';

/**
 * Scales a component's capacity by `factor` for duration_s: a tier's servers, or a GPU cluster's
 * serving replicas (the rest drained: they finish what they hold and take nothing new).
 */
export const capacitySchema = z.strictObject({
  ...common('capacity'),
  factor: nonNegNum(),
});

export const capacity: FaultKind<z.infer<typeof capacitySchema>> = {
  kind: 'capacity',
  apply(ctx, f, index) {
    const end = f.at_s + f.duration_s;
    const where = `faults[${index}]`;
    if (f.target?.startsWith('gpu:')) {
      for (const c of clustersOf(ctx, f.target, where)) {
        const keep = Math.round(c.replicas.length * Math.min(1, f.factor));
        // Held and released by this fault only: what the control plane holds stays held.
        ctx.at(f.at_s, () => { for (let i = keep; i < c.replicas.length; i++) c.views[i].hold('capacity_fault'); });
        ctx.at(end, () => { for (let i = keep; i < c.replicas.length; i++) c.views[i].release('capacity_fault'); });
      }
    } else {
      // On top of whatever count the tier is configured or autoscaled to meanwhile.
      effectDuring(ctx, tiersOf(ctx, f.target, where), { capacity_factor: f.factor }, f.at_s, end);
    }
    return { index, kind: f.kind, target: f.target ?? 'all tiers', start_s: f.at_s, detected_s: null, mitigated_s: end, end_s: end, recovered_s: end };
  },
};
