import type { CostLine } from '../../cost/monthly.ts';
import { kvTierUsdPerGbMonth } from '../../cost/kv-tier-prices.ts';
import type { ServedSpec } from '../schema.ts';

/**
 * The bill line of a model's KV tiers (docs/kv-tiers.md): every replica of the full fleet holds
 * each tier's capacity_gb, priced per GB-month (the scenario's price, or the assumed one of
 * data/prices/kv-tiers.json). None for a model without tiers.
 */
export function kvTierBillLine(name: string, m: ServedSpec): CostLine | null {
  const tiers = m.kv_tiers;
  if (tiers === undefined || (!tiers.host && !tiers.nvme)) return null;
  const replicas = m.gpus / (m.ep > 1 ? m.ep : m.tp);
  let usd = 0;
  for (const kind of ['host', 'nvme'] as const) {
    const t = tiers[kind];
    if (t) usd += replicas * t.capacity_gb * (t.usd_per_gb_month ?? kvTierUsdPerGbMonth(kind));
  }
  return { component: `kv_tiers:${name}`, plane: 'gpu', monthly_usd: usd };
}
