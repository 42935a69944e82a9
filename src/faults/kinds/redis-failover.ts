import { z } from 'zod';
import { posInt, posNum, nonNegNum } from '../../util/zod-helpers.ts';
import { tiersOf } from '../targets.ts';
import type { FaultKind } from '../types.ts';
import { common } from './common.ts';
import { ReconnectStorm } from './reconnect-storm.ts';

/**
 * The Redis primary is lost; for duration_s (the failover) operations fail (`mode: fail`) or
 * wait for the new primary (`mode: wait`, bounded by the tier's timeout). Every client has lost
 * its connection and reconnects (reconnect-storm.ts): without pooling each attempt that times out
 * is retried at once, and when the set-up work outruns the connect timeout the storm never ends by
 * itself; pooled clients back off between attempts, so the node catches up. Added capacity (a
 * `capacity` fault on the tier) sets connections up faster and can end a storm.
 */
export const redisFailoverSchema = z.strictObject({
  ...common('redis-failover'),
  mode: z.enum(['fail', 'wait']).default('fail'),
  pooling: z.boolean().default(false),
  connections_per_node: posInt().max(10_000_000).default(1000),
  connect_ms: posNum().max(60_000).default(5),
  connect_timeout_ms: posNum().max(600_000).default(1000),
  accept_backlog: posInt().max(10_000_000).default(511),
  backoff_s: nonNegNum().max(3600).default(30),
});

export const redisFailover: FaultKind<z.infer<typeof redisFailoverSchema>> = {
  kind: 'redis-failover',
  apply(ctx, f, index) {
    const tiers = tiersOf(ctx, f.target ?? 'redis', `faults[${index}]`);
    const end = f.at_s + f.duration_s;
    const servers = tiers.map((t) => t.station.servers);
    const band = { index, kind: f.kind, target: f.target ?? 'redis', start_s: f.at_s, detected_s: f.at_s + ctx.detectSeconds('tier'), mitigated_s: end, end_s: end, recovered_s: null as number | null };
    // Recovered when the last tier's clients all have their connections again.
    let stormsRunning = 0;
    const recovered = (t_ms: number) => {
      if (--stormsRunning === 0) band.recovered_s = t_ms / 1000;
    };
    const spec = { ...f, backoff_ms: f.pooling ? f.backoff_s * 1000 : 0 };
    const storms = tiers.map((t) => new ReconnectStorm(ctx.sim, t, spec, recovered));
    ctx.at(f.at_s, () => tiers.forEach((t) => (f.mode === 'fail' ? t.setDown(true) : t.setServers(0))));
    ctx.at(end, () =>
      tiers.forEach((t, i) => {
        if (f.mode === 'fail') t.setDown(false);
        else t.setServers(servers[i]);
        stormsRunning++;
        storms[i].start();
      }),
    );
    return band;
  },
};
