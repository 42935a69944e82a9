import { z } from 'zod';
import { posNum } from '../../util/zod-helpers.ts';
import { regionOf } from '../targets.ts';
import type { FaultKind } from '../types.ts';
import { failReplica } from './gpu-common.ts';
import { common } from './common.ts';

/**
 * Everything in a region stops: its tiers fail what they hold and refuse new work, its GPU
 * replicas die. Health checks detect it, then DNS/CDN moves its traffic to the other regions
 * once cached records expire (dns_ttl_s); those regions take it within their capacity. When the
 * region is back (its replicas reloaded), traffic returns after another TTL.
 */
export const regionOutageSchema = z.strictObject({
  ...common('region-outage'),
  dns_ttl_s: posNum().default(60),
});

export const regionOutage: FaultKind<z.infer<typeof regionOutageSchema>> = {
  kind: 'region-outage',
  apply(ctx, f, index) {
    const r = regionOf(ctx, f.target, `faults[${index}]`);
    const region = ctx.regions[r];
    const tiers = ctx.tiers.filter((t) => t.region === region).map((t) => t.tier);
    const end = f.at_s + f.duration_s;
    ctx.at(f.at_s, () => tiers.forEach((t) => t.setDown(true)));
    ctx.at(end, () => tiers.forEach((t) => t.setDown(false)));
    let back = end;
    for (const c of ctx.clusters.filter((c) => c.region === r)) {
      for (let i = 0; i < c.replicas.length; i++) back = Math.max(back, failReplica(ctx, c, i, f.at_s, end, false));
    }
    const detected = f.at_s + ctx.detectSeconds('region');
    const shifted = detected + f.dns_ttl_s;
    ctx.at(shifted, () => ctx.pipeline?.setRegionFailedOver(r, true));
    ctx.at(back + f.dns_ttl_s, () => ctx.pipeline?.setRegionFailedOver(r, false));
    return { index, kind: f.kind, target: region, start_s: f.at_s, detected_s: detected, mitigated_s: shifted, end_s: end, recovered_s: back + f.dns_ttl_s };
  },
};
