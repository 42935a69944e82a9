import { albMonthlyUsd, buildCostBreakdown, cdnMonthlyUsd, instanceLine, storageMonthlyUsd, type CostBreakdown, type CostLine, type PriceOptions } from '../../cost/monthly.ts';
import { HOURS_PER_MONTH, billedInstances, getInstance } from '../../cost/prices.ts';
import { modelInstances, modelPurchaseBill } from './purchase-cost.ts';
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
      for (const p of poolBillLines(name, m, f)) lines.push(instanceLine(p.component, 'gpu', p.instance, poolInstances(f, name, p).billed, opts));
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

/** The instances a pool's GPUs fill, and those billed (whole racks where the catalog sells only them: billedInstances). */
function poolInstances(f: FleetSpec, name: string, p: { instance: string; gpus: number }): { perInstance: number; filled: number; billed: number } {
  const priced = Object.hasOwn(f.prices.overrides, p.instance);
  const perInstance = priced ? 8 : getInstance(p.instance).gpus;
  if (perInstance < 1) throw new UserError(`fleet.models.${name}.instance: ${excerpt(p.instance)} carries no GPU`);
  const filled = Math.ceil(p.gpus / perInstance);
  return { perInstance, filled, billed: billedInstances(p.instance, filled, priced) };
}

/**
 * The GPU pools billed for more instances than their GPUs fill, because the catalog sells their
 * instance only in whole racks (gb200-4x: NVL72 racks of 18): 8 GB200s were billed as two trays of
 * a rack no one sells, without a word. The run's report says so (summary.ts).
 */
export function wholeRackBills(f: FleetSpec): string[] {
  const out: string[] = [];
  for (const [name, m] of Object.entries(f.models)) {
    const pools = m.disaggregation ? poolBillLines(name, m, f) : [{ component: `gpu:${name}`, instance: m.instance, gpus: m.gpus }];
    for (const p of pools) {
      const { perInstance, filled, billed } = poolInstances(f, name, p);
      if (billed === filled) continue;
      const unit = getInstance(p.instance).sold_in_instances!;
      out.push(`${p.component} is billed for ${billed / unit} whole rack(s) of ${unit} ${p.instance} (${billed * perInstance} GPUs) for its ${p.gpus} GPUs, as the catalog sells ${p.instance} in no smaller unit (price it in fleet.prices.overrides to buy single instances)`);
    }
  }
  return out;
}
