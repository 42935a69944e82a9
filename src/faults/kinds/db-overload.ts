import { z } from 'zod';
import { posNum } from '../../util/zod-helpers.ts';
import { tiersOf } from '../targets.ts';
import type { FaultKind } from '../types.ts';
import { common } from './common.ts';
import { effectDuring } from './tier-effect.ts';

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
    effectDuring(ctx, tiers, f.mode === 'unreachable' ? { down: true } : { slowdown: f.factor }, f.at_s, end);
    return { index, kind: f.kind, target: f.target ?? 'postgres', start_s: f.at_s, detected_s: f.at_s + ctx.detectSeconds('tier'), mitigated_s: end, end_s: end, recovered_s: end };
  },
};
