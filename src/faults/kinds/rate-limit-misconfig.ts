import { z } from 'zod';
import { posNum } from '../../util/zod-helpers.ts';
import { UserError } from '../../errors.ts';
import { excerpt, listNames } from '../../util/excerpt.ts';
import type { FaultKind } from '../types.ts';
import { common } from './common.ts';

/**
 * The limiter's parameters change for duration_s, then roll back: `factor` scales the configured
 * per-user limits (0.1: ten times too low; a large value: effectively off).
 */
export const rateLimitMisconfigSchema = z.strictObject({
  ...common('rate-limit-misconfig'),
  factor: posNum(),
});

export const rateLimitMisconfig: FaultKind<z.infer<typeof rateLimitMisconfigSchema>> = {
  kind: 'rate-limit-misconfig',
  apply(ctx, f, index) {
    const models = f.target === undefined ? ctx.modelNames : [f.target];
    const limiters = models.map((m) => ctx.limiter?.(m)).filter((l) => l !== undefined);
    if (limiters.length === 0) {
      throw new UserError(`faults[${index}].target: expected a served model with a rate_limit (${listNames(ctx.modelNames)}), got "${excerpt(f.target ?? 'all models')}"`);
    }
    const end = f.at_s + f.duration_s;
    ctx.at(f.at_s, () => limiters.forEach((l) => (l.factor *= f.factor)));
    ctx.at(end, () => limiters.forEach((l) => (l.factor /= f.factor)));
    return { index, kind: f.kind, target: f.target ?? 'all models', start_s: f.at_s, detected_s: null, mitigated_s: end, end_s: end, recovered_s: end };
  },
};
