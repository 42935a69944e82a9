import type { CostBreakdown } from '../cost/monthly.ts';
import type { ReplicaStats } from '../fleet/gpu/stats.ts';
import type { ServedSpec } from '../fleet/schema.ts';
import { round } from './round.ts';

/** The model has a host or an NVMe tier (`kv_tiers: {}` is none). */
function hasKvTiers(spec: ServedSpec): boolean {
  return spec.kv_tiers?.host !== undefined || spec.kv_tiers?.nvme !== undefined;
}

/**
 * The KV-tier figures of a model's GPU summary (docs/kv-tiers.md), only for a model with
 * `kv_tiers`: hits per tier as a share of the prompt tokens brought into the KV cache (the
 * denominator of prefix_hit_rate, so the tiers' rates are parts of it), transfer time, swaps.
 */
export function kvTierFigures(stats: ReplicaStats, spec: ServedSpec) {
  if (!hasKvTiers(spec)) return {};
  const brought = stats.cached_prompt_tokens + stats.prefill_tokens;
  const rate = (tokens: number) => round(brought > 0 ? tokens / brought : 0);
  return {
    kv_host_hit_rate: rate(stats.host_hit_tokens),
    kv_nvme_hit_rate: rate(stats.nvme_hit_tokens),
    kv_host_hit_tokens: stats.host_hit_tokens,
    kv_nvme_hit_tokens: stats.nvme_hit_tokens,
    kv_transfer_s: round(stats.kv_transfer_ms / 1000),
    kv_transfer_unfinished_s: round(stats.kv_transfer_unfinished_ms / 1000),
    kv_swap_outs: stats.swap_outs,
    kv_swap_fallbacks: stats.swap_fallbacks,
    kv_tier_dropped_blocks: stats.kv_tier_dropped_blocks,
  };
}

/** The model's KV-tier memory on the bill, USD a month, full fleet (fleet/llm/kv-tiers-cost.ts); undefined without tiers. */
export function kvTiersMonthlyUsd(name: string, spec: ServedSpec, bill: CostBreakdown): number | undefined {
  return !hasKvTiers(spec) ? undefined : round(bill.by_component[`kv_tiers:${name}`] ?? 0);
}
