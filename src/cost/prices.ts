import { UserError } from '../errors.ts';
import { excerpt } from '../util/excerpt.ts';
import { closest } from './suggest.ts';

/**
 * AWS us-east-1 (N. Virginia) on-demand Linux prices, USD.
 *
 * Two price sets:
 * - '2024': list prices in force from 2023 until May 2025, as on the AWS EC2 on-demand pricing
 *   page (and the RDS page for db.*) in 2024, entered from our records; p4d $32.77, p4de $40.97
 *   and p5 $98.32 cross-checked against third-party quotes of that period. Other entries were not
 *   re-checked here: verify before quoting.
 * - 'current': from June 2025, when AWS cut on-demand prices of P4d/P4de (about 33%) and P5
 *   (about 44%) ("Announcing up to 45% price reduction for Amazon EC2 NVIDIA GPU-accelerated
 *   instances", AWS What's New, June 2025). Other types here are taken as unchanged. The cut
 *   prices are our reading of that announcement, not re-verified here.
 * GPU types launched after 2024 (p6-b200) have no 2024 price: both sets carry their launch price.
 * A few GPUs are not sold by AWS; their entries name the cloud and say so in `note`: Azure (East
 * US, pay-as-you-go) for MI300X, CoreWeave's list price for GB200 NVL72, and assumed prices, named
 * `*.assumed`, for MI325X and H20 (no public hyperscaler list price). Verify or override those.
 * Scenarios may override any price (monthly.ts, PriceOverridesSchema).
 */
export type PriceSet = '2024' | 'current';
export const PRICE_SETS: readonly PriceSet[] = ['2024', 'current'];

/** AWS bills a month as 730 hours (8760 / 12) in its calculator and price pages. */
export const HOURS_PER_MONTH = 730;

export type Plane = 'edge' | 'services' | 'gpu' | 'state' | 'control';

export interface InstanceType {
  readonly type: string;
  readonly vcpu: number;
  readonly memory_gib: number;
  readonly gpus: number;
  /** catalog GPU id (src/perf/hardware.ts) when gpus > 0 */
  readonly gpu?: string;
  readonly usd_per_hour_2024: number;
  /** undefined: unchanged from 2024 */
  readonly usd_per_hour_current?: number;
  readonly note?: string;
  /**
   * Why the price is not an AWS on-demand list price, where it is not (another cloud's, assumed or
   * approximate): a plan that buys the type says so, since its bill compares clouds. Undefined: an
   * AWS list price.
   */
  readonly price_basis?: string;
  /** Sold only in whole units of this many instances (GB200's NVL72 rack of 18 trays); undefined: one at a time. Bills count instances; a report warns of a part unit (fleet/llm/cost.ts partRackPools). */
  readonly sold_in_instances?: number;
}

const I = (type: string, vcpu: number, memory_gib: number, usd_per_hour_2024: number, extra: Partial<InstanceType> = {}): InstanceType =>
  ({ type, vcpu, memory_gib, gpus: 0, usd_per_hour_2024, ...extra });

export const INSTANCES: Readonly<Record<string, InstanceType>> = Object.fromEntries([
  // --- CPU: edge and services (architecture doc: gateway, chat, completions, router) ---
  I('c6i.8xlarge', 32, 64, 1.36),
  I('c6i.12xlarge', 48, 96, 2.04),
  I('c6i.16xlarge', 64, 128, 2.72),
  I('r6i.4xlarge', 16, 128, 1.008),
  // --- control plane ---
  I('m6i.8xlarge', 32, 128, 1.536, { note: 'Kubernetes masters (doc); EKS adds $0.10 per cluster-hour' }),
  I('i3en.24xlarge', 96, 768, 10.848, { note: '8 x 7.5 TB NVMe; logging (doc)' }),
  // --- state ---
  I('r6gd.16xlarge', 64, 512, 3.6864, { note: '2 x 1.9 TB NVMe; Redis (doc)' }),
  // 32 x db.r6g.large ($0.225/h for PostgreSQL); RDS prices scale linearly with size
  I('db.r6g.16xlarge', 64, 512, 7.2, { note: 'RDS for PostgreSQL, single-AZ (Multi-AZ doubles it); storage billed apart' }),
  // --- GPU ---
  I('g4dn.xlarge', 4, 16, 0.526, { gpus: 1, gpu: 't4' }),
  I('g4dn.12xlarge', 48, 192, 3.912, { gpus: 4, gpu: 't4', note: 'embeddings (doc)' }),
  I('g5.xlarge', 4, 16, 1.006, { gpus: 1, gpu: 'a10g' }),
  I('g5.2xlarge', 8, 32, 1.212, { gpus: 1, gpu: 'a10g', note: 'moderation (doc)' }),
  I('g5.12xlarge', 48, 192, 5.672, { gpus: 4, gpu: 'a10g' }),
  I('g5.48xlarge', 192, 768, 16.288, { gpus: 8, gpu: 'a10g' }),
  I('g6.xlarge', 4, 16, 0.8048, { gpus: 1, gpu: 'l4' }),
  I('g6.12xlarge', 48, 192, 4.6016, { gpus: 4, gpu: 'l4' }),
  I('p3.2xlarge', 8, 61, 3.06, { gpus: 1, gpu: 'v100-16gb' }),
  I('p3.16xlarge', 64, 488, 24.48, { gpus: 8, gpu: 'v100-16gb' }),
  I('p3dn.24xlarge', 96, 768, 31.212, { gpus: 8, gpu: 'v100-32gb', note: 'GPT-3.5 pods (doc)' }),
  I('p4d.24xlarge', 96, 1152, 32.7726, { gpus: 8, gpu: 'a100-40gb', usd_per_hour_current: 21.96 }),
  // the doc's "p6id.24xlarge" (8x A100 80GB) does not exist: the A100 80GB instance is p4de
  I('p4de.24xlarge', 96, 1152, 40.9657, { gpus: 8, gpu: 'a100-80gb', usd_per_hour_current: 27.45, note: "GPT-4 pods (the doc's \"p6id.24xlarge\")" }),
  I('p5.48xlarge', 192, 2048, 98.32, { gpus: 8, gpu: 'h100-80gb', usd_per_hour_current: 55.04 }),
  // H200: p5en launched Dec 2024 at about $84.80; estimate after the June 2025 cut, not verified
  I('p5en.48xlarge', 192, 2048, 84.8, { gpus: 8, gpu: 'h200', usd_per_hour_current: 63.3, note: 'price approximate: verify or override', price_basis: 'an approximate AWS price (after the June 2025 cut, not verified)' }),
  // L40S (Aug 2024): us-east-1 on-demand Linux, AWS price list as carried by the SkyPilot AWS
  // catalog (catalogs/v7/aws/vms.csv): $1.861, $10.49264, $30.13118; not part of the June 2025 cut.
  I('g6e.xlarge', 4, 32, 1.861, { gpus: 1, gpu: 'l40s' }),
  I('g6e.12xlarge', 48, 384, 10.49264, { gpus: 4, gpu: 'l40s' }),
  I('g6e.48xlarge', 192, 1536, 30.13118, { gpus: 8, gpu: 'l40s' }),
  // B200: p6-b200 went GA in May 2025 (Capacity Blocks first); its us-east-1 on-demand Linux price,
  // $113.9328 ($14.24 per GPU), as listed by instances.vantage.sh from the AWS price list in 2025-26.
  I('p6-b200.48xlarge', 192, 2048, 113.9328, { gpus: 8, gpu: 'b200', note: 'launched May 2025: no 2024 price, both sets carry the launch price' }),
  // GB200 NVL72: AWS sells it only as p6e-gb200 UltraServers through Capacity Blocks, whose price is
  // set per offer. CoreWeave's published on-demand price stands in: $42.00 per gb200-4x instance-hour
  // (4 GPUs, 2 Grace CPUs = 144 vCPU, 960 GB; sold as whole 18-instance NVL72 racks), i.e. $10.50
  // per GPU-hour (CoreWeave pricing page as quoted by gpu.blog, 2025-26; not re-verified here).
  I('gb200-4x', 144, 960, 42, { gpus: 4, gpu: 'gb200', note: 'CoreWeave list price (not AWS); whole NVL72 racks of 18 instances only', price_basis: 'CoreWeave\'s list price (not AWS), sold as whole NVL72 racks of 18 instances', sold_in_instances: 18 }),
  // MI300X: Azure ND MI300X v5 (96 vCPU, 1,850 GiB, 8 GPUs, GA May 2024), $6.00 per GPU-hour
  // pay-as-you-go = $48.00 per VM-hour (cliffcenter.com, "AMD inference economics", May 2026,
  // quoting Azure and Oracle at $6/GPU-hr; Azure's price page not re-checked here).
  I('Standard_ND96isr_MI300X_v5', 96, 1850, 48, { gpus: 8, gpu: 'mi300x', note: 'Azure East US pay-as-you-go (not AWS); verify or override', price_basis: 'Azure East US pay-as-you-go (not AWS)' }),
  // MI325X: no hyperscaler lists it. Assumed at Azure's MI300X rate ($6.00/GPU-h): neoclouds rent it
  // at $1.95-2.25/GPU-h, about 1.3x their MI300X rate (cliffcenter.com May 2026; awesomeagents.ai),
  // so this is a floor for a hyperscaler price. Host size assumed like the ND MI300X v5.
  I('mi325x-8x.assumed', 96, 1850, 48, { gpus: 8, gpu: 'mi325x', note: 'ASSUMED price (no public hyperscaler list price): override per scenario', price_basis: 'an ASSUMED price (no public hyperscaler list price)' }),
  // H100 PCIe: no hyperscaler rents it (AWS, GCP and Azure sell the SXM part, Azure also the 94 GB
  // NVL). Assumed at the p5 price per GPU times the ratio of Lambda's published on-demand rates for
  // the two parts (gpu_1x_h100_pcie $2.49 and gpu_1x_h100_sxm5 $2.99 per GPU-hour, 2024-25; not
  // re-verified): 2024 set $98.32 / 8 x 2.49 / 2.99 = $10.2348, current $55.04 / 8 x 2.49 / 2.99 =
  // $5.7295 for one card; host size as Lambda's 1x H100 PCIe (26 vCPU, 200 GiB).
  I('h100-pcie-1x.assumed', 26, 200, 10.2348, { gpus: 1, gpu: 'h100-pcie', usd_per_hour_current: 5.7295, note: 'ASSUMED price (no hyperscaler rents the PCIe card): p5 per GPU scaled by Lambda\'s PCIe/SXM ratio; override per scenario', price_basis: 'an ASSUMED price (no hyperscaler rents the PCIe card)' }),
  // A100 80GB PCIe: Azure's NC A100 v4 series rents it (Standard_NC24ads_A100_v4: one card, 24
  // vCPU, 220 GiB), East US pay-as-you-go about $3.67 an hour (our records of Azure's price page,
  // 2024; not re-verified): both sets carry it. AWS and GCP rent only the SXM parts.
  I('Standard_NC24ads_A100_v4', 24, 220, 3.673, { gpus: 1, gpu: 'a100-80gb-pcie', note: 'Azure East US pay-as-you-go (not AWS); verify or override', price_basis: 'Azure East US pay-as-you-go (not AWS), not re-verified' }),
  // A100 40GB PCIe: no hyperscaler rents it. Assumed at the p4d price per GPU (2024 $32.7726 / 8,
  // current $21.96 / 8): Lambda listed its 1x A100 40GB PCIe and its 8x A100 40GB SXM at the same
  // $1.29 per GPU-hour (2024, not re-verified). Host size as Lambda's 1x (30 vCPU, 200 GiB).
  I('a100-40gb-pcie-1x.assumed', 30, 200, 4.0966, { gpus: 1, gpu: 'a100-40gb-pcie', usd_per_hour_current: 2.745, note: 'ASSUMED price (no hyperscaler rents the 40 GB PCIe card): p4d per GPU; override per scenario', price_basis: 'an ASSUMED price (no hyperscaler rents the 40 GB PCIe card)' }),
  // H100 SXM on a 4-GPU HGX board (no NVSwitch): the clouds rent 8-GPU NVSwitch boards; such boards
  // are bought (Dell XE8640/XE9640, Fujitsu GX2560 M7) or rented from smaller hosts. Assumed at the
  // p5 price per GPU for four (2024 set $98.32 / 2 = $49.16, current $55.04 / 2 = $27.52), host
  // size half a p5's.
  I('h100-hgx4-4x.assumed', 96, 1024, 49.16, { gpus: 4, gpu: 'h100-80gb-hgx4', usd_per_hour_current: 27.52, note: 'ASSUMED price (no cloud lists the 4-GPU board): p5 per GPU; override per scenario', price_basis: 'an ASSUMED price (no cloud lists the 4-GPU board)' }),
  // H100 NVL: Azure rents it (NC H100 v5, one or two bridged cards), at a price not verified here.
  // Assumed at the p5 price per GPU (2024 set $98.32 / 8 = $12.29, current $55.04 / 8 = $6.88 a card).
  I('h100-nvl-1x.assumed', 40, 320, 12.29, { gpus: 1, gpu: 'h100-nvl', usd_per_hour_current: 6.88, note: 'ASSUMED price (not verified: Azure NC H100 v5 rents the card): p5 per GPU; override per scenario', price_basis: 'an ASSUMED price (p5 per GPU; Azure\'s NC H100 v5 not verified)' }),
  // H20: not sold by US clouds (export-licensed for China). Assumed at half the p5 price per GPU, as
  // H20 cards were reported to sell for about half an H100 in 2024: 2024 set $98.32/2 = $49.16,
  // current $55.04/2 = $27.52 per 8-GPU host.
  I('h20-8x.assumed', 192, 2048, 49.16, { gpus: 8, gpu: 'h20', usd_per_hour_current: 27.52, note: 'ASSUMED price (not sold by US clouds): override per scenario', price_basis: 'an ASSUMED price (not sold by US clouds)' }),
].map((i) => [i.type, i]));

export const INSTANCE_TYPES: readonly string[] = Object.keys(INSTANCES);

export function getInstance(type: string): InstanceType {
  if (Object.hasOwn(INSTANCES, type)) return INSTANCES[type];
  throw new UserError(`unknown instance type "${excerpt(type)}" (did you mean "${closest(type, INSTANCE_TYPES)}"?); priced types: ${INSTANCE_TYPES.join(', ')}; or give its price in the scenario's price overrides`);
}

export function listPriceUsdPerHour(i: InstanceType, priceSet: PriceSet = 'current'): number {
  return priceSet === 'current' ? (i.usd_per_hour_current ?? i.usd_per_hour_2024) : i.usd_per_hour_2024;
}

/** Price per GPU-hour of the cheapest listed instance carrying this GPU (catalog GPU id). */
export function gpuHourlyUsd(gpuId: string, priceSet: PriceSet = 'current'): number {
  let best = Infinity;
  for (const i of Object.values(INSTANCES)) {
    if (i.gpu === gpuId && i.gpus > 0) best = Math.min(best, listPriceUsdPerHour(i, priceSet) / i.gpus);
  }
  if (best === Infinity) {
    const gpus = [...new Set(Object.values(INSTANCES).flatMap((i) => (i.gpu ? [i.gpu] : [])))];
    throw new UserError(`no priced instance carries GPU "${gpuId}"; priced GPUs: ${gpus.join(', ')}`);
  }
  return best;
}

/** Catalog instances carrying this GPU (catalog GPU id), in catalog order. */
export function instancesCarrying(gpuId: string): InstanceType[] {
  return Object.values(INSTANCES).filter((i) => i.gpu === gpuId && i.gpus > 0);
}

/**
 * The instance a model on `gpuId` at tensor parallelism `tp` runs on when the scenario names only
 * the GPU: among the instances carrying it, those holding a whole TP group on one host (the
 * group's all-reduce stays on the host's interconnect), the cheapest per GPU, then the largest.
 * Undefined when no catalog instance carries the GPU.
 */
export function matchingInstance(gpuId: string, tp: number, priceSet: PriceSet = '2024'): InstanceType | undefined {
  const carrying = instancesCarrying(gpuId);
  const whole = carrying.filter((i) => i.gpus >= tp);
  const pool = whole.length > 0 ? whole : carrying;
  const perGpu = (i: InstanceType) => listPriceUsdPerHour(i, priceSet) / i.gpus;
  return [...pool].sort((a, b) => perGpu(a) - perGpu(b) || b.gpus - a.gpus)[0];
}

/** A tiered per-unit price: `upto` is the cumulative volume where the tier ends (Infinity for the last). */
export interface PriceTier {
  readonly upto: number;
  readonly usd_per_unit: number;
}

const TB = 1024; // AWS tiers are in TB of 1024 GB

/** S3 Standard storage, per GB-month: first 50 TB, next 450 TB, over 500 TB (AWS S3 pricing page, unchanged 2023-25). */
export const S3_STANDARD_USD_PER_GB_MONTH: readonly PriceTier[] = [
  { upto: 50 * TB, usd_per_unit: 0.023 },
  { upto: 500 * TB, usd_per_unit: 0.022 },
  { upto: Infinity, usd_per_unit: 0.021 },
];

/**
 * S3 Intelligent-Tiering, per GB-month by access tier (AWS S3 pricing page): frequent = Standard
 * (tiered as above), infrequent 0.0125, archive instant 0.004; monitoring $0.0025 per 1,000 objects.
 */
export const S3_INTELLIGENT_TIERING = {
  infrequent_usd_per_gb_month: 0.0125,
  archive_instant_usd_per_gb_month: 0.004,
  monitoring_usd_per_1000_objects_month: 0.0025,
} as const;

/**
 * Data transfer out from EC2/S3 to the internet, per GB per month: first 10 TB 0.09, next 40 TB
 * 0.085, next 100 TB 0.07, over 150 TB 0.05 (AWS EC2 on-demand pricing page, "Data Transfer").
 * The first 100 GB a month are free (since Dec 2021), ignored here at fleet scale.
 */
export const EGRESS_USD_PER_GB: readonly PriceTier[] = [
  { upto: 10 * TB, usd_per_unit: 0.09 },
  { upto: 50 * TB, usd_per_unit: 0.085 },
  { upto: 150 * TB, usd_per_unit: 0.07 },
  { upto: Infinity, usd_per_unit: 0.05 },
];

/**
 * CDN delivery per GB, CloudFront United States/Europe tiers (AWS CloudFront pricing page):
 * 10 TB 0.085, next 40 TB 0.080, next 100 TB 0.060, next 350 TB 0.040, next 524 TB 0.030, next
 * 4 PB 0.025, over 5 PB 0.020. The architecture doc uses Cloudflare, whose enterprise prices are
 * not public (the doc says $2M/month); CloudFront list prices stand in, override per scenario.
 */
export const CDN_USD_PER_GB: readonly PriceTier[] = [
  { upto: 10 * TB, usd_per_unit: 0.085 },
  { upto: 50 * TB, usd_per_unit: 0.08 },
  { upto: 150 * TB, usd_per_unit: 0.06 },
  { upto: 500 * TB, usd_per_unit: 0.04 },
  { upto: 1024 * TB, usd_per_unit: 0.03 },
  { upto: 5 * 1024 * TB, usd_per_unit: 0.025 },
  { upto: Infinity, usd_per_unit: 0.02 },
];
/** CloudFront HTTPS requests, United States: $0.0100 per 10,000. */
export const CDN_USD_PER_10K_HTTPS_REQUESTS = 0.01;

/**
 * Application Load Balancer, us-east-1 (Elastic Load Balancing pricing page): $0.0225 per
 * ALB-hour and $0.008 per LCU-hour. One LCU: 25 new connections/s, 3,000 active connections,
 * 1 GB/h processed, or 1,000 rule evaluations/s, whichever dimension is highest.
 */
export const ALB_USD_PER_HOUR = 0.0225;
export const ALB_USD_PER_LCU_HOUR = 0.008;
export const ALB_LCU = { new_connections_per_s: 25, active_connections: 3000, gb_per_hour: 1, rule_evaluations_per_s: 1000 } as const;
