import { z } from 'zod';
import { posNum } from '../../scenario/zod-helpers.ts';
import { tiersOf } from '../targets.ts';
import type { FaultKind } from '../types.ts';
import { common } from './common.ts';
import { effectDuring } from './tier-effect.ts';

/**
 * The Redis primary is lost; for duration_s (the failover) operations fail (`mode: fail`) or
 * wait for the new primary (`mode: wait`, bounded by the tier's timeout). Then every client
 * reconnects: without connection pooling as a storm (operations slowed `reconnect_slowdown`
 * times for reconnect_s, the new primary busy with connection setup), with pooling smoothly.
 */
export const redisFailoverSchema = z.strictObject({
  ...common('redis-failover'),
  mode: z.enum(['fail', 'wait']).default('fail'),
  pooling: z.boolean().default(false),
  reconnect_s: posNum().default(60),
  reconnect_slowdown: posNum().default(5),
});

export const redisFailover: FaultKind<z.infer<typeof redisFailoverSchema>> = {
  kind: 'redis-failover',
  apply(ctx, f, index) {
    const tiers = tiersOf(ctx, f.target ?? 'redis', `faults[${index}]`);
    const end = f.at_s + f.duration_s;
    // Failing over: every operation fails, or none is served (they wait) until the new primary is up.
    effectDuring(ctx, tiers, f.mode === 'fail' ? { down: true } : { capacity_factor: 0 }, f.at_s, end);
    const recovered = f.pooling ? end : end + f.reconnect_s;
    if (!f.pooling) effectDuring(ctx, tiers, { slowdown: f.reconnect_slowdown }, end, recovered);
    return { index, kind: f.kind, target: f.target ?? 'redis', start_s: f.at_s, detected_s: f.at_s + ctx.detectSeconds('tier'), mitigated_s: end, end_s: end, recovered_s: recovered };
  },
};
