import { z } from 'zod';
import { posNum } from '../../util/zod-helpers.ts';
import { tiersOf } from '../targets.ts';
import type { FaultKind } from '../types.ts';
import { common } from './common.ts';

/**
 * Service discovery stops answering (e.g. an overloaded Kubernetes control plane). Callers keep
 * working from cached DNS records until they expire; cache ages are spread evenly, so the share
 * of calls that fail to resolve their target climbs linearly from 0 to 1 over dns_ttl_s, and
 * stays there until discovery is back (the end of the fault).
 */
export const discoveryFailureSchema = z.strictObject({
  ...common('discovery-failure'),
  dns_ttl_s: posNum().default(300),
});

export const discoveryFailure: FaultKind<z.infer<typeof discoveryFailureSchema>> = {
  kind: 'discovery-failure',
  apply(ctx, f, index) {
    const tiers = tiersOf(ctx, f.target, `faults[${index}]`);
    const end = f.at_s + f.duration_s;
    const steps = 20;
    for (let k = 1; k <= steps; k++) {
      const t = f.at_s + (f.dns_ttl_s * k) / steps;
      if (t < end) ctx.at(t, () => tiers.forEach((tier) => (tier.failProb = k / steps)));
    }
    ctx.at(end, () => tiers.forEach((tier) => (tier.failProb = 0)));
    return { index, kind: f.kind, target: f.target ?? 'all tiers', start_s: f.at_s, detected_s: f.at_s + Math.min(f.dns_ttl_s, f.duration_s) / steps, mitigated_s: end, end_s: end, recovered_s: end };
  },
};
