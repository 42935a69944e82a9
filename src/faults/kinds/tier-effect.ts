import type { ServiceTier, TierEffect } from '../../fleet/stations/tier.ts';
import type { FaultContext } from '../types.ts';

/** Puts `effect` on every tier from start_s to end_s (the tier composes it with the others in force). */
export function effectDuring(ctx: FaultContext, tiers: readonly ServiceTier[], effect: TierEffect, start_s: number, end_s: number): void {
  ctx.at(start_s, () => tiers.forEach((t) => t.addEffect(effect)));
  ctx.at(end_s, () => tiers.forEach((t) => t.removeEffect(effect)));
}
