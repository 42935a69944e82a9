import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { UserError } from '../errors.ts';
import { excerpt } from '../util/excerpt.ts';
import { prob } from '../util/zod-helpers.ts';
import { HOURS_PER_MONTH } from './prices.ts';

/**
 * How instances are bought. Reserved Instances and Savings Plans are no-upfront (billed every hour
 * of the term, used or not); capacity blocks are reserved ML capacity for a stated window; spot is
 * spare capacity at a moving price (its mean here), reclaimed with a notice (faults: spot-reclaim).
 */
export const COMMITMENTS = ['on_demand', 'reserved_1y', 'reserved_3y', 'savings_plan', 'capacity_block', 'spot'] as const;
export type Commitment = (typeof COMMITMENTS)[number];

/** Commitments paid every hour of their term whether the instance runs or not (an autoscaler cannot give them back). */
export const COMMITTED: readonly Commitment[] = ['reserved_1y', 'reserved_3y', 'savings_plan', 'capacity_block'];

/** The share of a model's instances bought by commitment (0 without a purchase mix). */
export function committedShare(mix: PurchaseMix | undefined): number {
  return mix ? COMMITTED.reduce((a, c) => a + (mix[c] ?? 0), 0) : 0;
}

/** Shares of a model's replicas by commitment must sum to 1 within this (decimal shares such as 0.1 + 0.2). */
const SHARE_SUM_TOLERANCE = 1e-6;

/** `fleet.models.<m>.purchase`: the share of the model's replicas bought each way; left-out ways are 0. */
export const PurchaseMixSchema = z
  .strictObject(Object.fromEntries(COMMITMENTS.map((c) => [c, prob().optional()])) as Record<Commitment, z.ZodOptional<ReturnType<typeof prob>>>)
  .superRefine((mix, ctx) => {
    const total = COMMITMENTS.reduce((a, c) => a + (mix[c] ?? 0), 0);
    if (Math.abs(total - 1) > SHARE_SUM_TOLERANCE) {
      ctx.addIssue({ code: 'custom', message: `expected shares of the replicas summing to 1 (${COMMITMENTS.join(', ')}); these sum to ${Number(total.toPrecision(6))}` });
    }
  });
export type PurchaseMix = z.infer<typeof PurchaseMixSchema>;

/** Interruption bands of the AWS Spot Instance Advisor (share of instances interrupted per month). */
export const SPOT_BANDS = ['<5%', '5-10%', '10-15%', '15-20%', '>20%'] as const;
export type SpotBand = (typeof SPOT_BANDS)[number];

interface FamilyOptions {
  reserved_1y: number;
  reserved_3y: number;
  savings_plan: number;
  capacity_block: number | null;
  spot: number;
  spot_band: SpotBand;
}
interface PurchaseData {
  as_of: string;
  bands_per_month: Record<SpotBand, number>;
  default: FamilyOptions;
  families: Record<string, FamilyOptions>;
}

const DATA_FILE = new URL('../../data/prices/purchase-options.json', import.meta.url);
let data: PurchaseData | undefined;
/** Read once, on first use: runs without a purchase mix never open the file. */
function purchaseData(): PurchaseData {
  data ??= JSON.parse(readFileSync(DATA_FILE, 'utf8')) as PurchaseData;
  return data;
}

/** The date the shipped fractions and bands were last checked against their sources. */
export function purchaseDataAsOf(): string {
  return purchaseData().as_of;
}

/** An instance's family: the part of the type before its size ("p4de" of "p4de.24xlarge"). */
function familyOptions(instance: string): FamilyOptions {
  const d = purchaseData();
  const family = instance.split('.')[0];
  return Object.hasOwn(d.families, family) ? d.families[family] : d.default;
}

/** Price per hour of each commitment as a fraction of the on-demand price (null: not sold for this type). */
export function commitmentFractions(instance: string): Record<Commitment, number | null> {
  const f = familyOptions(instance);
  return { on_demand: 1, reserved_1y: f.reserved_1y, reserved_3y: f.reserved_3y, savings_plan: f.savings_plan, capacity_block: f.capacity_block, spot: f.spot };
}

/** The assumed Spot interruption band of an instance type and its share of instances interrupted per month (the band's middle; 25% for >20%). */
export function spotInterruption(instance: string): { band: SpotBand; per_month: number } {
  const band = familyOptions(instance).spot_band;
  return { band, per_month: purchaseData().bands_per_month[band] };
}

/** Reclaims per spot instance per hour from a share interrupted per month (a Poisson rate with that mean per 730-hour month). */
export function reclaimsPerInstanceHour(perMonth: number): number {
  return perMonth / HOURS_PER_MONTH;
}

/** Why a mix cannot be bought for an instance type (a commitment it is not sold as), or undefined. */
export function unsoldCommitment(instance: string, mix: PurchaseMix | undefined): { commitment: Commitment; message: string } | undefined {
  if (!mix) return undefined;
  const fractions = commitmentFractions(instance);
  const unsold = COMMITMENTS.find((c) => (mix[c] ?? 0) > 0 && fractions[c] === null);
  if (!unsold) return undefined;
  return { commitment: unsold, message: `${excerpt(instance)} is not sold as ${unsold.replace('_', ' ')} (capacity blocks: p4d, p4de, p5, p5en, p6-b200); expected a share of 0` };
}

export interface PurchaseBill {
  /** Monthly USD by commitment (every commitment, 0 when its share is 0). */
  by_commitment: Record<Commitment, number>;
  monthly_usd: number;
  /** The same instances all on-demand. */
  all_on_demand_monthly_usd: number;
}

/**
 * The month's bill of `instances` instances bought by `mix`: share x instances x on-demand price
 * per hour x the commitment's fraction x 730 h x the region price factor. Shares are of the
 * instances (fractional instances: the bill is the month's expected amount, not a rounding).
 */
export function purchaseMonthlyUsd(o: { instance: string; instances: number; mix: PurchaseMix; on_demand_usd_per_hour: number; region_factor: number; where: string }): PurchaseBill {
  const fractions = commitmentFractions(o.instance);
  const base = o.instances * o.on_demand_usd_per_hour * HOURS_PER_MONTH * o.region_factor;
  const by_commitment = Object.fromEntries(COMMITMENTS.map((c) => [c, 0])) as Record<Commitment, number>;
  let monthly_usd = 0;
  for (const c of COMMITMENTS) {
    const share = o.mix[c] ?? 0;
    if (share === 0) continue;
    const fraction = fractions[c];
    if (fraction === null) throw new UserError(`${o.where}.${c}: ${unsoldCommitment(o.instance, o.mix)!.message}`);
    by_commitment[c] = share * base * fraction;
    monthly_usd += by_commitment[c];
  }
  return { by_commitment, monthly_usd, all_on_demand_monthly_usd: base };
}

/**
 * What a model's expected spot reclaims are billed by: a spot-reclaim fault's rate, time away and
 * replacement (faults/kinds/spot-reclaim.ts), or without one the kind's defaults below, which its
 * schema takes too (one owner: the bill and the fault read the same terms).
 */
export interface SpotReclaimTerms {
  readonly interruptions_per_month?: number;
  readonly back_after_s: number;
  readonly replace: 'on_demand' | 'wait';
}
export const SPOT_RECLAIM_DEFAULTS: SpotReclaimTerms = { back_after_s: 3600, replace: 'on_demand' };

/**
 * The expected cost of spot reclaims over a month, for `spotInstances` spot instances: each is
 * reclaimed at `rate_per_h` while it runs on spot and is away `away_h` per reclaim (until spot
 * capacity returns), so by renewal it is away a share rate x away / (1 + rate x away) of the time.
 * Replaced on-demand meanwhile, that share costs the on-demand price instead of spot (positive);
 * waited out, it is not billed (negative: spot hours not paid).
 */
export function spotReclaimMonthlyUsd(o: { spotInstances: number; rate_per_h: number; away_h: number; on_demand_usd_per_hour: number; spot_fraction: number; region_factor: number; replace: 'on_demand' | 'wait' }): { away_share: number; usd: number } {
  const x = o.rate_per_h * o.away_h;
  const away_share = x / (1 + x);
  const hours = o.spotInstances * HOURS_PER_MONTH * away_share * o.region_factor;
  const spotPrice = o.on_demand_usd_per_hour * o.spot_fraction;
  const usd = o.replace === 'on_demand' ? hours * (o.on_demand_usd_per_hour - spotPrice) : -hours * spotPrice;
  return { away_share, usd };
}
