import { albMonthlyUsd, buildCostBreakdown, cdnMonthlyUsd, instanceLine, storageMonthlyUsd, type CostBreakdown, type CostLine, type PriceOptions } from '../../cost/monthly.ts';
import { HOURS_PER_MONTH, INSTANCES, getInstance } from '../../cost/prices.ts';
import { gpusPerInstance, modelInstances, modelPurchaseBill } from './purchase-cost.ts';
import type { FleetSpec } from '../schema.ts';
import { UserError } from '../../errors.ts';
import { excerpt } from '../../util/excerpt.ts';
import { poolBillLines } from './disaggregated.ts';
import { kvTierBillLine } from './kv-tiers-cost.ts';

const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600;

/**
 * The monthly bill of the full fleet as configured (not the sampled part): instances x hourly
 * price x 730 h per component, plus CDN, load balancers, storage and the flat lines the scenario
 * lists. `meanRate_per_s` is the full-fleet request rate, used for per-request charges.
 */
export function fleetMonthlyCost(f: FleetSpec, meanRate_per_s: number): CostBreakdown {
  const opts: PriceOptions = { overrides: f.prices.overrides, priceSet: f.prices.set };
  const lines: CostLine[] = [];
  const requestsPerMonth = meanRate_per_s * SECONDS_PER_MONTH;
  const cdnGb = (requestsPerMonth * f.cdn.response_kb) / 2 ** 20;
  lines.push({ component: 'cdn', plane: 'edge', monthly_usd: f.cdn.monthly_usd ?? cdnMonthlyUsd(cdnGb) });
  lines.push({
    component: 'load_balancer',
    plane: 'edge',
    monthly_usd: albMonthlyUsd(f.load_balancer.count, { new_connections_per_s: meanRate_per_s / f.load_balancer.count, gb_per_hour: (cdnGb / HOURS_PER_MONTH) / f.load_balancer.count }),
  });
  lines.push(instanceLine('gateway', 'edge', f.gateway.instance, f.gateway.instances, opts));
  lines.push(instanceLine('chat_api', 'services', f.chat_api.instance, f.chat_api.instances, opts));
  lines.push(instanceLine('completions_api', 'services', f.completions_api.instance, f.completions_api.instances, opts));
  lines.push(instanceLine('router', 'services', f.router.instance, f.router.instances, opts));
  lines.push(instanceLine('moderation', 'services', f.moderation.instance, f.moderation.instances, opts));
  for (const [name, m] of Object.entries(f.models)) {
    // A disaggregated model is billed as its two pools, each on its own instance type; a purchase
    // mix bills the model's instances by commitment (cost/purchase.ts); otherwise all on-demand.
    if (m.disaggregation) {
      for (const p of poolBillLines(name, m, f)) lines.push(instanceLine(p.component, 'gpu', p.instance, poolInstances(name, p, f), opts));
    } else if (m.purchase) lines.push({ component: `gpu:${name}`, plane: 'gpu', monthly_usd: modelPurchaseBill(f, name).monthly_usd });
    else lines.push(instanceLine(`gpu:${name}`, 'gpu', m.instance, modelInstances(f, m, name), opts));
    const kvLine = kvTierBillLine(name, m);
    if (kvLine) lines.push(kvLine);
  }
  lines.push(instanceLine('redis', 'state', f.redis.instance, f.redis.instances, opts));
  lines.push(instanceLine('postgres', 'state', f.postgres.instance, f.postgres.instances, opts));
  lines.push(instanceLine('vector_db', 'state', f.vector_db.instance, f.vector_db.instances, opts));
  lines.push({ component: 's3', plane: 'state', monthly_usd: f.s3.monthly_usd ?? storageMonthlyUsd(f.s3.stored_gb) });
  for (const o of f.other_costs) {
    if (o.monthly_usd !== undefined) lines.push({ component: o.component, plane: o.plane, monthly_usd: o.monthly_usd });
    else if (o.instance && o.count !== undefined) lines.push(instanceLine(o.component, o.plane, o.instance, o.count, opts));
    else throw new UserError(`fleet.other_costs: ${excerpt(o.component)}: expected monthly_usd, or instance and count`);
  }
  return buildCostBreakdown(lines);
}

/** The instances a pool's GPUs fill, rounded up. */
function poolInstances(name: string, p: { instance: string; gpus: number }, f: FleetSpec): number {
  return Math.ceil(p.gpus / gpusPerInstance(f, p.instance, name));
}

/**
 * GPU pools that fill part of a unit their instance is sold in only whole (gb200-4x: NVL72 racks of
 * 18 trays, at the catalog's seller's price). Billed per instance, as GPUs are sized; the report
 * says the bill is a lower bound there. Billing whole racks per pool was tried and not kept: pools,
 * models and regions share or split racks, autoscaling returns trays, and a scenario's own price
 * is another seller's terms, none of which a pool's bill can see.
 */
export function partRackPools(f: FleetSpec): string[] {
  const out: string[] = [];
  for (const [name, m] of Object.entries(f.models)) {
    const pools = m.disaggregation ? poolBillLines(name, m, f) : [{ component: `gpu:${name}`, instance: m.instance, gpus: m.gpus }];
    for (const p of pools) {
      const unit = Object.hasOwn(INSTANCES, p.instance) && !Object.hasOwn(f.prices.overrides, p.instance) ? INSTANCES[p.instance].sold_in_instances : undefined;
      const filled = poolInstances(name, p, f);
      if (unit === undefined || filled % unit === 0) continue;
      const rackUsd = unit * getInstance(p.instance).usd_per_hour_2024 * HOURS_PER_MONTH;
      out.push(`${p.component} fills ${filled % unit} of the ${unit} ${p.instance} of a rack its seller sells only whole: billed per instance, a lower bound (a whole rack lists at $${Math.round(rackUsd).toLocaleString('en-US')} a month; each region needs its own)`);
    }
  }
  return out;
}
