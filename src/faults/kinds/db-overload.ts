import { z } from 'zod';
import { posNum } from '../../util/zod-helpers.ts';
import { tiersOf } from '../targets.ts';
import type { FaultKind } from '../types.ts';
import { common } from './common.ts';

/**
 * A connection-pool surge makes PostgreSQL unreachable (`mode: unreachable`: every query fails)
 * or crawl (`mode: slow`: queries take `factor` times longer, connections saturate).
 */
export const dbOverloadSchema = z.strictObject({
  ...common('db-overload'),
  mode: z.enum(['unreachable', 'slow']).default('unreachable'),
  factor: posNum().default(20),
});

export const dbOverload: FaultKind<z.infer<typeof dbOverloadSchema>> = {
  kind: 'db-overload',
  apply(ctx, f, index) {
    const tiers = tiersOf(ctx, f.target ?? 'postgres', `faults[${index}]`);
    const end = f.at_s + f.duration_s;
    ctx.at(f.at_s, () => tiers.forEach((t) => (f.mode === 'unreachable' ? t.setDown(true) : (t.slowdown *= f.factor))));
    ctx.at(end, () => tiers.forEach((t) => (f.mode === 'unreachable' ? t.setDown(false) : (t.slowdown /= f.factor))));
    return { index, kind: f.kind, target: f.target ?? 'postgres', start_s: f.at_s, detected_s: f.at_s + ctx.detectSeconds('tier'), mitigated_s: end, end_s: end, recovered_s: end };
  },
};
