import { instanceHourlyUsd } from '../../cost/monthly.ts';
import { INSTANCES, getInstance } from '../../cost/prices.ts';
import { UserError } from '../../errors.ts';
import { excerpt } from '../../util/excerpt.ts';
import { gpusPerReplica, type FleetSpec, type ServedSpec } from '../schema.ts';

/**
 * GPUs per instance of an instance type: the catalog's, whatever price the scenario gives it (an
 * override of gb200-4x's price took it as 8 GPUs and billed half its trays); a type priced only by
 * an override, not in the catalog, is taken as an 8-GPU host.
 */
export function catalogGpusPerInstance(instance: string): number {
  return Object.hasOwn(INSTANCES, instance) ? getInstance(instance).gpus : 8;
}

/** Instances one replica spans (at least 1: replicas sharing an instance are each counted as on one, for reclaims). */
export function instancesPerReplica(m: ServedSpec, overrides: Readonly<Record<string, number>> = {}): number {
  return Math.max(1, Math.ceil(gpusPerReplica(m) / catalogGpusPerInstance(m.instance)));
}

/** GPUs per instance of a model's (or pool's) instance type (see catalogGpusPerInstance); an unknown type or one without GPUs is refused. */
export function gpusPerInstance(f: FleetSpec, instance: string, name: string): number {
  if (!Object.hasOwn(f.prices.overrides, instance)) getInstance(instance); // an unknown type: "did you mean"
  const perInstance = catalogGpusPerInstance(instance);
  if (perInstance < 1) throw new UserError(`fleet.models.${name}.instance: ${excerpt(instance)} carries no GPU`);
  return perInstance;
}


/** The fleet's region price factor: each region's multiplier (1 when not given) weighted by its capacity share. */
export function regionPriceFactor(f: FleetSpec): number {
  // The schema refuses multipliers of regions the fleet does not have (fleet/schema.ts).
  const multipliers = f.prices.region_multipliers ?? {};
  let weighted = 0, total = 0;
  for (const [r, spec] of Object.entries(f.regions)) {
    weighted += spec.capacity_share * (multipliers[r] ?? 1);
    total += spec.capacity_share;
  }
  return total > 0 ? weighted / total : 1;
}

/** A model's on-demand price per instance-hour, as the scenario prices it (price set, overrides). */
export function modelOnDemandUsdPerHour(f: FleetSpec, m: ServedSpec): number {
  return instanceHourlyUsd(m.instance, { overrides: f.prices.overrides, priceSet: f.prices.set });
}
