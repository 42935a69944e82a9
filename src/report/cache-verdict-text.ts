import type { Summary } from '../results/summary.ts';
import { fmt } from './table.ts';

/**
 * One verdict line per model whose requests share prefixes: its hit rate (and the tiers' parts of
 * it), the prefill tokens saved and what they are worth (prefix_usd_saved_per_month), and what
 * its KV tiers cost when it has any (docs/prefix-caching.md, docs/kv-tiers.md).
 */
export function cacheVerdictLines(s: Summary): string[] {
  if (!s.gpu) return [];
  const lines: string[] = [];
  for (const [name, g] of Object.entries(s.gpu)) {
    if (g.prefix_hit_rate === undefined) continue;
    const tiers = g.kv_host_hit_rate !== undefined ? ` (from host DRAM ${fmt(g.kv_host_hit_rate)}, from NVMe ${fmt(g.kv_nvme_hit_rate ?? 0)})` : '';
    const saved = `${fmt(g.prefix_tokens_saved_per_s ?? 0)} prefill tokens/s saved, worth $${fmt(g.prefix_usd_saved_per_month ?? 0)} a month of GPU time`;
    const bill = g.kv_tiers_monthly_usd !== undefined ? `; KV tier memory $${fmt(g.kv_tiers_monthly_usd)} a month` : '';
    lines.push(`prefix cache ${name}: hit rate ${fmt(g.prefix_hit_rate)}${tiers}, ${saved}${bill}`);
  }
  return lines;
}

/** The terminal's KV-tier table: one row per model with a host or NVMe tier (docs/kv-tiers.md); empty without. */
export function kvTierTable(s: Summary): { header: string[]; rows: string[][] } | null {
  const tiered = Object.entries(s.gpu ?? {}).filter(([, g]) => g.kv_host_hit_rate !== undefined);
  if (tiered.length === 0) return null;
  const rows = tiered.map(([name, g]) => [
    name, fmt(g.kv_host_hit_rate!), fmt(g.kv_nvme_hit_rate!), fmt(g.kv_transfer_s!), fmt(g.kv_swap_outs!), fmt(g.kv_swap_fallbacks!), fmt(g.kv_tier_dropped_blocks!), `$${fmt(g.kv_tiers_monthly_usd ?? 0)}`,
  ]);
  return { header: ['kv tiers', 'host hit rate', 'nvme hit rate', 'transfer s', 'swaps', 'swap fallbacks', 'dropped blocks', 'a month'], rows };
}
