import { albMonthlyUsd, buildCostBreakdown, cdnMonthlyUsd, instanceLine, storageMonthlyUsd, type CostBreakdown, type CostLine, type PriceOptions } from '../../cost/monthly.ts';
import { HOURS_PER_MONTH, INSTANCES, getInstance } from '../../cost/prices.ts';
import { gpuPartBill, modelGpuParts } from './gpu-bill.ts';
import type { SpotReclaimTerms } from '../../cost/purchase.ts';
import type { FleetSpec } from '../schema.ts';
import { UserError } from '../../errors.ts';
import { excerpt } from '../../util/excerpt.ts';
import { kvTierBillLine } from './kv-tiers-cost.ts';

const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600;

/**
 * The monthly bill of the full fleet as configured (not the sampled part): instances x hourly
 * price x 730 h per component, plus CDN, load balancers, storage and the flat lines the scenario
 * lists. `meanRate_per_s` is the full-fleet request rate, used for per-request charges;
 * `spotTermsOf` gives a model's spot-reclaim terms (the scenario's spot-reclaim fault on it:
 * faults/kinds/spot-reclaim.ts spotFaultOf), which set the expected reclaims billed.
 */
export function fleetMonthlyCost(f: FleetSpec, meanRate_per_s: number, spotTermsOf: (model: string) => SpotReclaimTerms | undefined = () => undefined): CostBreakdown {
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
    // A line per GPU line of the model (a disaggregated model's pools), by its purchase mix or
    // all on-demand, at the regions' prices, with the expected cost of spot reclaims (gpu-bill.ts).
    const spotTerms = spotTermsOf(name);
    for (const part of modelGpuParts(f, name)) {
      const b = gpuPartBill(f, name, part, spotTerms);
      lines.push({ component: part.component, plane: 'gpu', monthly_usd: b.monthly_usd + b.reclaim_usd });
    }
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

/**
 * GPU pools that fill part of a unit their instance is sold in only whole (gb200-4x: NVL72 racks of
 * 18 trays, at the catalog's seller's price). Billed per instance, as GPUs are sized; the report
 * says the bill is a lower bound there. Billing whole racks per pool was tried and not kept: pools,
 * models and regions share or split racks, autoscaling returns trays, and a scenario's own price
 * is another seller's terms, none of which a pool's bill can see.
 */
export function partRackPools(f: FleetSpec): string[] {
  const out: string[] = [];
  for (const name of Object.keys(f.models)) {
    // by instance type: a disaggregated model's pools on one type are packed on its instances (gpu-bill.ts)
    const byType = new Map<string, { components: string[]; instances: number }>();
    for (const p of modelGpuParts(f, name)) {
      const t = byType.get(p.spec.instance) ?? { components: [], instances: 0 };
      t.components.push(p.component);
      t.instances += p.instances;
      byType.set(p.spec.instance, t);
    }
    for (const [instance, t] of byType) {
      const unit = Object.hasOwn(INSTANCES, instance) && !Object.hasOwn(f.prices.overrides, instance) ? INSTANCES[instance].sold_in_instances : undefined;
      const filled = Math.round(t.instances);
      if (unit === undefined || filled % unit === 0) continue;
      const rackUsd = unit * getInstance(instance).usd_per_hour_2024 * HOURS_PER_MONTH;
      out.push(`${t.components.join(' and ')} fill${t.components.length > 1 ? '' : 's'} ${filled % unit} of the ${unit} ${instance} of a rack its seller sells only whole: billed per instance, a lower bound (a whole rack lists at $${Math.round(rackUsd).toLocaleString('en-US')} a month; each region needs its own)`);
    }
  }
  return out;
}
