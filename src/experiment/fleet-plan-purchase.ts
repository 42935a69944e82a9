import { UserError } from '../errors.ts';
import { COMMITMENTS, commitmentFractions, PurchaseMixSchema, reclaimsPerInstanceHour, spotInterruption, type Commitment, type PurchaseMix } from '../cost/purchase.ts';
import { regionPriceFactor } from '../fleet/llm/purchase-cost.ts';
import type { FleetSpec } from '../fleet/schema.ts';
import { excerpt } from '../util/excerpt.ts';

/**
 * The purchase mix as a choice of `plan --fleet` (docs/purchase-mix.md for the bill and the
 * reclaim model).
 *
 * Buying replicas another way changes the bill, not the latency, with one exception: spot
 * replicas are reclaimed. A reclaimed replica is away for the notice (it drains), the provisioning
 * of its on-demand replacement and the load of its weights (the `spot-reclaim` fault's defaults).
 * Reclaims of S spot replicas come as a Poisson process, so the number away at once is Poisson
 * with mean S x reclaims per replica-hour x hours away. A spot share is allowed only with the
 * replicas that keep the SLO when that many are away 99% of the time: the option's fewest
 * replicas meeting the SLO (simulated) plus the 99th percentile of those away (closed form). The
 * month's mean reclaims are far too rare to simulate in a run of minutes; p99 latency targets
 * are read as "met at the capacity present 99% of the time".
 */

/** Warning before a spot instance goes (AWS: 2 minutes; the spot-reclaim fault's notice_s default). */
export const SPOT_NOTICE_S = 120;
/** Provisioning of an on-demand replacement before its weights load (the fault's replace_s default, assumed). */
export const SPOT_REPLACE_S = 300;
/** The share of time the spot headroom must cover: p99 targets, so 99%. */
export const SPOT_COVERED_SHARE = 0.99;
/** At most this many purchase mixes per plan (each multiplies the candidates of every model). */
export const MAX_PURCHASE_MIXES = 8;

/**
 * `--purchase 'reserved_1y=0.6,spot=0.2'`: shares by commitment; what the shares leave is
 * on-demand. `on_demand` alone is all on-demand.
 */
export function parsePurchaseMix(text: string): PurchaseMix {
  const mix: Partial<Record<Commitment, number>> = {};
  for (const part of text.split(',').map((x) => x.trim()).filter((x) => x !== '')) {
    const [name, value] = part.split('=').map((x) => x.trim());
    if (!(COMMITMENTS as readonly string[]).includes(name)) throw new UserError(`--purchase ${excerpt(text)}: unknown commitment "${excerpt(name)}"; expected some of ${COMMITMENTS.join(', ')} as name=share`);
    const share = value === undefined ? 1 : Number(value);
    if (!Number.isFinite(share) || share < 0 || share > 1) throw new UserError(`--purchase ${excerpt(text)}: ${name}: expected a share from 0 to 1, got "${excerpt(value ?? '')}"`);
    mix[name as Commitment] = share;
  }
  const rest = 1 - COMMITMENTS.filter((c) => c !== 'on_demand').reduce((a, c) => a + (mix[c] ?? 0), 0);
  if (mix.on_demand === undefined) mix.on_demand = Math.max(0, Number(rest.toPrecision(12)));
  const parsed = PurchaseMixSchema.safeParse(mix);
  if (!parsed.success) throw new UserError(`--purchase ${excerpt(text)}: ${parsed.error.issues[0].message}`);
  return Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v !== undefined && v > 0)) as PurchaseMix;
}

/** A mix as text, its commitments in the catalog's order: "reserved_1y 0.6, spot 0.2, on_demand 0.2"; the model's own when undefined. */
export function mixLabel(mix: PurchaseMix | undefined): string {
  if (!mix) return 'on_demand';
  return COMMITMENTS.filter((c) => (mix[c] ?? 0) > 0)
    .map((c) => (mix[c] === 1 ? c : `${c} ${mix[c]}`))
    .join(', ');
}

/** Whether every commitment of the mix is sold for the instance type. */
export function mixSold(instance: string, mix: PurchaseMix | undefined): boolean {
  if (!mix) return true;
  const fractions = commitmentFractions(instance);
  return COMMITMENTS.every((c) => (mix[c] ?? 0) === 0 || fractions[c] !== null);
}

/** The bill of a mix over the same instances all on-demand (the fleet's region factor included; 1 without a mix). */
export function mixPriceFactor(f: FleetSpec, instance: string, mix: PurchaseMix | undefined): number {
  if (!mix) return 1;
  const fractions = commitmentFractions(instance);
  // Only the commitments bought: a share of 0 of one not sold (a null fraction) adds nothing.
  return regionPriceFactor(f) * COMMITMENTS.reduce((a, c) => ((mix[c] ?? 0) > 0 ? a + mix[c]! * (fractions[c] ?? Infinity) : a), 0);
}

/** Smallest k with P(N > k) <= 1 - covered for N ~ Poisson(mean). */
export function poissonQuantile(mean: number, covered: number): number {
  if (!(mean > 0)) return 0;
  let k = 0;
  let term = Math.exp(-mean);
  let cumulative = term;
  // The sum converges: k stays below mean + 20 sqrt(mean) + 40 for any covered share a double can tell from 1.
  while (cumulative < covered && k < mean + 20 * Math.sqrt(mean) + 40) {
    k++;
    term *= mean / k;
    cumulative += term;
  }
  return k;
}

export interface SpotRisk {
  /** Reclaims per spot instance a month (the band's middle unless given). */
  interruptions_per_month: number;
  /** Instances one replica spans (a replica on part of an instance: 1). */
  instances_per_replica: number;
  /** Hours a reclaimed replica is away: notice, replacement, weight load. */
  away_h: number;
}

export function spotRisk(instance: string, gpusPerReplica: number, gpusPerInstance: number, weightLoadS: number, interruptionsPerMonth?: number): SpotRisk {
  return {
    interruptions_per_month: interruptionsPerMonth ?? spotInterruption(instance).per_month,
    instances_per_replica: Math.max(1, Math.ceil(gpusPerReplica / Math.max(1, gpusPerInstance))),
    away_h: (SPOT_NOTICE_S + SPOT_REPLACE_S + weightLoadS) / 3600,
  };
}

/**
 * Replicas a mix needs when `needed` meet the SLO: with a spot share, the fewest N = needed + k
 * whose spot replicas (round(share x N), as the spot-reclaim fault counts a model's replicas) are away more
 * than k at once at most 1% of the time. Infinite when reclaims come so often that no headroom
 * up to MAX_SPOT_HEADROOM times the replicas needed covers them.
 */
export function replicasWithSpotHeadroom(needed: number, mix: PurchaseMix | undefined, risk: SpotRisk): { replicas: number; headroom: number; mean_away: number } {
  const share = mix?.spot ?? 0;
  if (share === 0) return { replicas: needed, headroom: 0, mean_away: 0 };
  const perReplicaHour = reclaimsPerInstanceHour(risk.interruptions_per_month) * risk.instances_per_replica;
  let mean_away = 0;
  for (let k = 0; k <= MAX_SPOT_HEADROOM * needed + 1; k++) {
    mean_away = Math.round(share * (needed + k)) * perReplicaHour * risk.away_h;
    if (k >= poissonQuantile(mean_away, SPOT_COVERED_SHARE)) return { replicas: needed + k, headroom: k, mean_away };
  }
  return { replicas: Infinity, headroom: Infinity, mean_away };
}

/** Spot headroom beyond this many times the replicas needed is not sought: the share is refused. */
export const MAX_SPOT_HEADROOM = 1;
