import { UserError } from '../errors.ts';
import { excerpt, listNames } from '../util/excerpt.ts';
import type { FaultContext } from './types.ts';
import type { ServiceTier } from '../fleet/stations/tier.ts';
import type { GpuCluster } from '../fleet/llm/replicas.ts';

/**
 * Target syntax: a tier kind or station ("redis", "api"), optionally in a region
 * ("us-east/redis"); a GPU cluster ("gpu:gpt-4", "gpu:gpt-4/us-east"); a region ("us-east").
 */
export function tiersOf(ctx: FaultContext, target: string | undefined, where: string): ServiceTier[] {
  if (target === undefined) return ctx.tiers.map((t) => t.tier);
  const matches = ctx.index.tiersNamed(target, true);
  if (matches.length === 0) {
    const names = [...ctx.index.tierKinds, ...ctx.regions];
    throw new UserError(`${where}.target: expected a tier or region (${listNames(names)}), optionally region/tier, got "${excerpt(target)}"`);
  }
  return matches.map((t) => t.tier);
}

export function clustersOf(ctx: FaultContext, target: string | undefined, where: string): readonly GpuCluster[] {
  if (ctx.clusters.length === 0) throw new UserError(`${where}: GPU faults need a fleet scenario`);
  if (target === undefined) return ctx.clusters;
  const matches = ctx.index.clustersNamed(target);
  if (matches.length === 0) {
    throw new UserError(`${where}.target: expected a GPU cluster (${listNames(ctx.index.clusterNames)}), optionally gpu:model/region, got "${excerpt(target)}"`);
  }
  return matches;
}

export function regionOf(ctx: FaultContext, target: string | undefined, where: string): number {
  const r = target === undefined ? -1 : ctx.regions.indexOf(target);
  if (r < 0) throw new UserError(`${where}.target: expected a region (${listNames(ctx.regions)}), ${target === undefined ? 'none given' : `got "${excerpt(target)}"`}`);
  return r;
}
