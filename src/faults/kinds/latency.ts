import { z } from 'zod';
import { nonNegNum, posNum } from '../../util/zod-helpers.ts';
import { tiersOf } from '../targets.ts';
import type { FaultKind } from '../types.ts';
import { common } from './common.ts';

/** A tier gets slower: service times multiplied by `factor` and/or `add_ms` added. */
export const latencySchema = z.strictObject({
  ...common('latency'),
  factor: posNum().default(1),
  add_ms: nonNegNum().default(0),
});

export const latency: FaultKind<z.infer<typeof latencySchema>> = {
  kind: 'latency',
  apply(ctx, f, index) {
    const tiers = tiersOf(ctx, f.target, `faults[${index}]`);
    const end = f.at_s + f.duration_s;
    ctx.at(f.at_s, () => tiers.forEach((t) => { t.slowdown *= f.factor; t.addDelay_ms += f.add_ms; }));
    ctx.at(end, () => tiers.forEach((t) => { t.slowdown /= f.factor; t.addDelay_ms -= f.add_ms; }));
    return { index, kind: f.kind, target: f.target ?? 'all tiers', start_s: f.at_s, detected_s: null, mitigated_s: end, end_s: end, recovered_s: end };
  },
};
