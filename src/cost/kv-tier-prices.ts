import { readFileSync } from 'node:fs';

/** Assumed prices of KV memory below the GPUs (data/prices/kv-tiers.json, with their derivation). */
interface KvTierPriceFile {
  host_dram: { usd_per_gb_month: number };
  local_nvme: { usd_per_gb_month: number };
}

const DATA_FILE = new URL('../../data/prices/kv-tiers.json', import.meta.url);
let prices: KvTierPriceFile | null = null;

/** USD per GB-month of a KV tier's memory when the scenario names no price: assumed, see the data file's note. */
export function kvTierUsdPerGbMonth(tier: 'host' | 'nvme'): number {
  prices ??= JSON.parse(readFileSync(DATA_FILE, 'utf8')) as KvTierPriceFile;
  return tier === 'host' ? prices.host_dram.usd_per_gb_month : prices.local_nvme.usd_per_gb_month;
}
