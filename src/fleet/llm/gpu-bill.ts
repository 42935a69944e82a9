import { HOURS_PER_MONTH } from '../../cost/prices.ts';
import { COMMITMENTS, SPOT_RECLAIM_DEFAULTS, commitmentFractions, purchaseMonthlyUsd, reclaimsPerInstanceHour, spotInterruption, spotReclaimMonthlyUsd, type Commitment, type PurchaseBill, type SpotReclaimTerms } from '../../cost/purchase.ts';
import { gpusPerReplica, type FleetSpec, type ServedSpec } from '../schema.ts';
import { scaledCount } from '../../util/scaled-count.ts';
import { poolName, poolSpecs } from './disaggregated.ts';
import { gpusPerInstance, modelOnDemandUsdPerHour, regionPriceFactor } from './purchase-cost.ts';

// The GPU lines of the bill, one place for the bill (cost.ts), the purchase block, the autoscaled
// bill and the energy's nodes: a model's instances (a disaggregated model's pools packed on them),
// priced on-demand or by its purchase mix, by region, with the expected cost of spot reclaims.

/** One GPU line of a model's bill: the model's instances, or a disaggregated pool's share of them. */
export interface GpuBillPart {
  /** `gpu:<model>`, or `gpu:<model>:prefill` and `gpu:<model>:decode` */
  component: string;
  /** the model's spec, or the pool's (its GPU, TP, GPU count and instance type) */
  spec: ServedSpec;
  /** instances billed to this line; a pool's share of the instances it fills with the other pool may be fractional */
  instances: number;
  /** the price multiplier these instances average over the regions they are placed in (regionPriceFactor's, weighted by instances) */
  region_factor: number;
}

/**
 * The instances of `specs` (one instance type: a model, or a disaggregated model's pools on that
 * type) region by region, as the simulator places them: each region runs its capacity share of a
 * spec's replicas, rounded to whole replicas and at least one (build.ts: scaledCount at the full
 * fleet's scale), and no instance spans two regions, so each region's replicas' GPUs are rounded up
 * to whole instances there, at its region's multiplier. Rounding the fleet's GPUs once was a lower
 * bound by up to one instance per region (8 GPUs at 0.5 / 0.5 billed one 8-GPU instance); rounding
 * each region's share of the GPUs, not of the replicas, billed instances no replica used (10 TP 8
 * replicas at 0.54 / 0.46 run 5 + 5, in 10 instances, not 11). `gpus`: each spec's GPUs placed.
 */
export function placedInstances(f: FleetSpec, specs: readonly ServedSpec[], gpus_per_instance: number): { instances: number; region_factor: number; gpus: number[] } {
  const multipliers = f.prices.region_multipliers ?? {};
  const gpus = specs.map(() => 0);
  let instances = 0, weighted = 0;
  for (const [region, r] of Object.entries(f.regions)) {
    let here_gpus = 0;
    specs.forEach((spec, i) => {
      const per_replica = gpusPerReplica(spec);
      const placed = scaledCount(spec.gpus / per_replica, r.capacity_share, 1) * per_replica;
      gpus[i] += placed;
      here_gpus += placed;
    });
    const here = Math.ceil(here_gpus / gpus_per_instance);
    instances += here;
    weighted += here * (multipliers[region] ?? 1);
  }
  if (instances > 0) return { instances, region_factor: weighted / instances, gpus };
  // a fleet without regions: the GPUs as written, in one place
  return { instances: Math.ceil(specs.reduce((a, x) => a + x.gpus, 0) / gpus_per_instance), region_factor: regionPriceFactor(f), gpus: specs.map((x) => x.gpus) };
}

/**
 * The GPU lines of a model's bill. A colocated model fills the instances its replicas are placed
 * on, region by region, for the full fleet (placedInstances). A disaggregated model's pools on the
 * same instance type are packed together, as a deployment places them on the same nodes: their
 * replicas' GPUs together are rounded up to whole instances in each region, shared between the
 * pools by GPUs (6 + 6 and 10 + 2 A100s fill 2 p4de; billing each pool alone took 10 + 2 as 3).
 * Pools on different types are rounded up each. The energy's nodes are these instances.
 */
export function modelGpuParts(f: FleetSpec, name: string): GpuBillPart[] {
  const m = f.models[name];
  if (!m.disaggregation) {
    const { instances, region_factor } = placedInstances(f, [m], gpusPerInstance(f, m.instance, name));
    return [{ component: `gpu:${name}`, spec: m, instances, region_factor }];
  }
  const pools = poolSpecs(name, m, f.prices.set);
  const parts = (['prefill', 'decode'] as const).map((k) => ({ component: `gpu:${poolName(name, k)}`, spec: pools[k], instances: 0, region_factor: 1 }));
  for (const p of parts) {
    const sameType = parts.filter((o) => o.spec.instance === p.spec.instance);
    const placed = placedInstances(f, sameType.map((o) => o.spec), gpusPerInstance(f, p.spec.instance, name));
    const all = placed.gpus.reduce((a, g) => a + g, 0);
    p.instances = (placed.instances * placed.gpus[sameType.indexOf(p)]) / all;
    p.region_factor = placed.region_factor;
  }
  return parts;
}

/** The model a GPU fault target names: "gpu:llama", "gpu:llama/us-east", a disaggregated pool "gpu:llama:decode" (its model's). */
export function faultTargetModel(f: FleetSpec, target: string): string {
  const cluster = target.slice('gpu:'.length).split('/')[0];
  if (Object.hasOwn(f.models, cluster)) return cluster;
  const pool = /^(.*):(prefill|decode)$/.exec(cluster);
  return pool && Object.hasOwn(f.models, pool[1]) && f.models[pool[1]].disaggregation ? pool[1] : cluster;
}

/** A GPU line's month: by commitment (all on-demand without a purchase mix), with the expected cost of its spot reclaims. */
export interface GpuPartBill extends PurchaseBill {
  /** expected monthly cost of spot reclaims (replacements on-demand: positive; waited out: negative), beside monthly_usd: the bill's line is their sum */
  reclaim_usd: number;
  /** spot instances and the share of their time away (0 without spot) */
  spot_instances: number;
  away_share: number;
}

/**
 * The month of one GPU line: its instances at the scenario's on-demand price (price set,
 * overrides) x 730 h x the region price factor, by the model's purchase mix when it has one, and
 * the expected cost of its spot reclaims (the fault's rate and replacement, else the kind's defaults).
 */
export function gpuPartBill(f: FleetSpec, name: string, part: GpuBillPart, spotTerms: SpotReclaimTerms | undefined): GpuPartBill {
  const m = f.models[name];
  const on_demand_usd_per_hour = modelOnDemandUsdPerHour(f, part.spec);
  const region_factor = part.region_factor;
  if (!m.purchase) {
    // all on-demand: priced without the purchase data (a run without a mix never reads it)
    const usd = part.instances * on_demand_usd_per_hour * HOURS_PER_MONTH * region_factor;
    const by_commitment = Object.fromEntries(COMMITMENTS.map((c) => [c, c === 'on_demand' ? usd : 0])) as Record<Commitment, number>;
    return { by_commitment, monthly_usd: usd, all_on_demand_monthly_usd: usd, reclaim_usd: 0, spot_instances: 0, away_share: 0 };
  }
  const bill = purchaseMonthlyUsd({ instance: part.spec.instance, instances: part.instances, mix: m.purchase, on_demand_usd_per_hour, region_factor, where: `fleet.models.${name}.purchase` });
  const spot_instances = (m.purchase.spot ?? 0) * part.instances;
  if (spot_instances === 0) return { ...bill, reclaim_usd: 0, spot_instances, away_share: 0 };
  const spec = spotTerms ?? SPOT_RECLAIM_DEFAULTS;
  const perMonth = spec.interruptions_per_month ?? spotInterruption(part.spec.instance).per_month;
  const reclaim = spotReclaimMonthlyUsd({
    spotInstances: spot_instances, rate_per_h: reclaimsPerInstanceHour(perMonth), away_h: spec.back_after_s / 3600, on_demand_usd_per_hour,
    spot_fraction: commitmentFractions(part.spec.instance).spot!, region_factor, replace: spec.replace,
  });
  return { ...bill, reclaim_usd: reclaim.usd, spot_instances, away_share: reclaim.away_share };
}

/** A model's bill by its purchase mix (all on-demand without one), over its GPU lines, without reclaims. */
export function modelPurchaseBill(f: FleetSpec, name: string): PurchaseBill {
  const sum: PurchaseBill = { by_commitment: Object.fromEntries(COMMITMENTS.map((c) => [c, 0])) as Record<Commitment, number>, monthly_usd: 0, all_on_demand_monthly_usd: 0 };
  for (const part of modelGpuParts(f, name)) {
    const b = gpuPartBill(f, name, part, undefined);
    for (const c of COMMITMENTS) sum.by_commitment[c] += b.by_commitment[c];
    sum.monthly_usd += b.monthly_usd;
    sum.all_on_demand_monthly_usd += b.all_on_demand_monthly_usd;
  }
  return sum;
}
