import { z } from 'zod';
import { nonNegNum } from '../../util/zod-helpers.ts';
import { clustersOf, tiersOf } from '../targets.ts';
import type { FaultKind } from '../types.ts';
import { common } from './common.ts';

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
        const drain = (down: boolean) => {
          for (let i = keep; i < c.replicas.length; i++) {
            c.views[i].down = down;
            c.policy.notify(i);
          }
        };
        ctx.at(f.at_s, () => drain(true));
        ctx.at(end, () => drain(false));
      }
    } else {
      const tiers = tiersOf(ctx, f.target, where);
      const servers = tiers.map((t) => t.station.servers);
      ctx.at(f.at_s, () => tiers.forEach((t, i) => t.setServers(servers[i] * f.factor)));
      ctx.at(end, () => tiers.forEach((t, i) => t.setServers(servers[i])));
    }
    return { index, kind: f.kind, target: f.target ?? 'all tiers', start_s: f.at_s, detected_s: null, mitigated_s: end, end_s: end, recovered_s: end };
  },
};
