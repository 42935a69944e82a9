import { z } from 'zod';
import { nonNegNum, strict } from '../util/zod-helpers.ts';

/** Most KV memory one tier may give a replica, GB (a guard against unit slips: an 8-GPU host has about 2,000 GB of DRAM and 30,000 GB of NVMe). */
export const MAX_KV_TIER_GB = 1_000_000;
/** Fastest transfer a tier may have, GB/s (NVLink-C2C of a Grace Hopper is 450 GB/s each way). */
export const MAX_KV_TIER_GB_PER_S = 10_000;
/**
 * Slowest, GB/s: far below any real tier (host DRAM over PCIe moves tens of GB/s, an NVMe drive a
 * few). At 1e-300 a block's load took longer than any run: requests hung on it while the summary
 * counted the prefill they saved.
 */
export const MIN_KV_TIER_GB_PER_S = 0.01;
/** Slowest fixed cost of one transfer, ms: ten seconds, far above any tier's (microseconds to a millisecond); a minute hung requests the same way. */
export const MAX_KV_TIER_LATENCY_MS = 10_000;

const bandwidthExpected = `expected a bandwidth in GB/s, from ${MIN_KV_TIER_GB_PER_S} to ${MAX_KV_TIER_GB_PER_S}`;
const bandwidth = z
  .number({ error: bandwidthExpected })
  .min(MIN_KV_TIER_GB_PER_S, { error: bandwidthExpected })
  .max(MAX_KV_TIER_GB_PER_S, { error: bandwidthExpected });

/** One KV tier of a replica (docs/kv-tiers.md). */
const KvTier = strict({
  /** KV memory of the tier per replica, GB (1e9 bytes). */
  capacity_gb: nonNegNum().max(MAX_KV_TIER_GB, { error: `expected a capacity in GB, at most ${MAX_KV_TIER_GB}` }),
  /** Transfer bandwidth between the tier and the replica's GPUs, GB/s each way (all its GPUs together). */
  bandwidth_gb_per_s: bandwidth,
  /** Fixed cost of one transfer, ms. */
  latency_ms: nonNegNum().max(MAX_KV_TIER_LATENCY_MS, { error: `expected a latency in ms, at most ${MAX_KV_TIER_LATENCY_MS}` }).default(0),
  /** Price of the tier's memory, USD per GB-month; default the assumed price in data/prices/kv-tiers.json (0: memory the GPU instance already carries). */
  usd_per_gb_month: nonNegNum().max(1_000, { error: 'expected a price in USD per GB-month, at most 1000' }).optional(),
});

/**
 * KV memory below HBM per replica (src/fleet/gpu/kv-tiers.ts): prefix blocks evicted from HBM go
 * down to host DRAM, then local NVMe, and a hit there loads them back at the tier's bandwidth.
 * `preemption_mode: swap` moves a preempted sequence's KV to host memory instead of recomputing it.
 */
export const KvTiersSchema = strict({
  host: KvTier.optional(),
  nvme: KvTier.optional(),
  preemption_mode: z.enum(['recompute', 'swap'], { error: 'expected recompute or swap' }).default('recompute'),
}).superRefine((t, ctx) => {
  if (t.preemption_mode === 'swap' && t.host === undefined) {
    ctx.addIssue({ code: 'custom', path: ['preemption_mode'], input: t.preemption_mode, message: 'swap needs a host tier (kv_tiers.host) to swap to' });
  }
});
