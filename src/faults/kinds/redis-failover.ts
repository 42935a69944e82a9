import { z } from 'zod';
import { posNum } from '../../util/zod-helpers.ts';
import { tiersOf } from '../targets.ts';
import type { FaultKind } from '../types.ts';
import { common } from './common.ts';

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
    const servers = tiers.map((t) => t.station.servers);
    ctx.at(f.at_s, () => tiers.forEach((t) => (f.mode === 'fail' ? t.setDown(true) : t.setServers(0))));
    ctx.at(end, () =>
      tiers.forEach((t, i) => {
        if (f.mode === 'fail') t.setDown(false);
        else t.setServers(servers[i]);
        if (!f.pooling) t.slowdown *= f.reconnect_slowdown;
      }),
    );
    const recovered = f.pooling ? end : end + f.reconnect_s;
    if (!f.pooling) ctx.at(recovered, () => tiers.forEach((t) => (t.slowdown /= f.reconnect_slowdown)));
    return { index, kind: f.kind, target: f.target ?? 'redis', start_s: f.at_s, detected_s: f.at_s + ctx.detectSeconds('tier'), mitigated_s: end, end_s: end, recovered_s: recovered };
  },
};
