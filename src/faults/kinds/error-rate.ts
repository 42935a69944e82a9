import { z } from 'zod';
import { prob } from '../../util/zod-helpers.ts';
import { tiersOf } from '../targets.ts';
import type { FaultKind } from '../types.ts';
import { common } from './common.ts';

/** A tier fails a share of the requests that reach it (5xx). */
export const errorRateSchema = z.strictObject({
  ...common('error-rate'),
  error_rate: prob(),
});

export const errorRate: FaultKind<z.infer<typeof errorRateSchema>> = {
  kind: 'error-rate',
  apply(ctx, f, index) {
    const tiers = tiersOf(ctx, f.target, `faults[${index}]`);
    const end = f.at_s + f.duration_s;
    ctx.at(f.at_s, () => tiers.forEach((t) => (t.failProb = f.error_rate)));
    ctx.at(end, () => tiers.forEach((t) => (t.failProb = 0)));
    return { index, kind: f.kind, target: f.target ?? 'all tiers', start_s: f.at_s, detected_s: null, mitigated_s: end, end_s: end, recovered_s: end };
  },
};
