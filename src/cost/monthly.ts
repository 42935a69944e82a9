import { z } from 'zod';
import { UserError } from '../errors.ts';
import { excerpt } from '../util/excerpt.ts';
import {
  ALB_LCU, ALB_USD_PER_HOUR, ALB_USD_PER_LCU_HOUR, CDN_USD_PER_GB, EGRESS_USD_PER_GB, HOURS_PER_MONTH,
  S3_STANDARD_USD_PER_GB_MONTH, getInstance, listPriceUsdPerHour, type Plane, type PriceSet, type PriceTier,
} from './prices.ts';

/** A scenario's price overrides: instance type -> USD per hour (may also price types not in the table). */
export const PriceOverridesSchema = z.record(
  z.string().min(1),
  z.number({ error: 'expected a price in USD per hour' }).positive('expected a positive price in USD per hour').finite(),
);
export type PriceOverrides = z.infer<typeof PriceOverridesSchema>;

export function parsePriceOverrides(json: unknown, where: string): PriceOverrides {
  const r = PriceOverridesSchema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new UserError(`${where}${i.path.length ? '.' + excerpt(i.path.join('.')) : ''}: ${i.message}`);
  }
  return r.data;
}

export interface PriceOptions {
  overrides?: PriceOverrides;
  priceSet?: PriceSet;
}

export function instanceHourlyUsd(type: string, opts: PriceOptions = {}): number {
  const o = opts.overrides;
  if (o && Object.hasOwn(o, type)) return o[type];
  return listPriceUsdPerHour(getInstance(type), opts.priceSet);
}

function checkCount(what: string, n: number): void {
  if (!(Number.isFinite(n) && n >= 0)) throw new UserError(`${what}: expected a non-negative number, got ${n}`);
}

/** Monthly cost of `count` instances running all month (730 h). */
export function instanceMonthlyUsd(type: string, count: number, opts: PriceOptions = {}): number {
  checkCount(`${type} count`, count);
  return instanceHourlyUsd(type, opts) * count * HOURS_PER_MONTH;
}

/** Cost of `volume` units under cumulative tiers (each unit priced at the tier it falls in). */
export function tieredUsd(volume: number, tiers: readonly PriceTier[]): number {
  checkCount('volume', volume);
  let usd = 0;
  let from = 0;
  for (const t of tiers) {
    if (volume <= from) break;
    usd += (Math.min(volume, t.upto) - from) * t.usd_per_unit;
    from = t.upto;
  }
  return usd;
}

/** Object storage, GB stored over the month (S3 Standard tiers unless given). */
export function storageMonthlyUsd(gbMonth: number, tiers: readonly PriceTier[] = S3_STANDARD_USD_PER_GB_MONTH): number {
  return tieredUsd(gbMonth, tiers);
}

/** Internet egress, GB transferred in the month. */
export function egressMonthlyUsd(gb: number, tiers: readonly PriceTier[] = EGRESS_USD_PER_GB): number {
  return tieredUsd(gb, tiers);
}

/** CDN delivery, GB served in the month. */
export function cdnMonthlyUsd(gb: number, tiers: readonly PriceTier[] = CDN_USD_PER_GB): number {
  return tieredUsd(gb, tiers);
}

/**
 * ALB: hourly charge per load balancer plus LCU-hours. LCUs per ALB are the highest of the
 * dimensions (new connections/s, active connections, GB/h processed, rule evaluations/s).
 */
export function albMonthlyUsd(albs: number, load: { new_connections_per_s?: number; active_connections?: number; gb_per_hour?: number; rule_evaluations_per_s?: number }): number {
  checkCount('ALB count', albs);
  const lcu = Math.max(
    (load.new_connections_per_s ?? 0) / ALB_LCU.new_connections_per_s,
    (load.active_connections ?? 0) / ALB_LCU.active_connections,
    (load.gb_per_hour ?? 0) / ALB_LCU.gb_per_hour,
    (load.rule_evaluations_per_s ?? 0) / ALB_LCU.rule_evaluations_per_s,
  );
  return albs * HOURS_PER_MONTH * (ALB_USD_PER_HOUR + lcu * ALB_USD_PER_LCU_HOUR);
}

export interface CostLine {
  readonly component: string;
  readonly plane: Plane;
  readonly monthly_usd: number;
}

export interface CostBreakdown {
  readonly lines: readonly CostLine[];
  readonly monthly_usd: number;
  readonly by_component: Readonly<Record<string, number>>;
  readonly by_plane: Readonly<Record<Plane, number>>;
}

/** Sum cost lines; a component named twice is summed under its name. */
export function buildCostBreakdown(lines: readonly CostLine[]): CostBreakdown {
  const by_plane: Record<Plane, number> = { edge: 0, services: 0, gpu: 0, state: 0, control: 0 };
  const by_component: Record<string, number> = {};
  let total = 0;
  for (const l of lines) {
    if (!(Number.isFinite(l.monthly_usd) && l.monthly_usd >= 0)) {
      throw new UserError(`cost of ${excerpt(l.component)}: expected a non-negative amount, got ${l.monthly_usd}`);
    }
    if (!Object.hasOwn(by_plane, l.plane)) throw new UserError(`cost of ${excerpt(l.component)}: unknown plane "${excerpt(l.plane)}"`);
    by_plane[l.plane] += l.monthly_usd;
    by_component[l.component] = (by_component[l.component] ?? 0) + l.monthly_usd;
    total += l.monthly_usd;
  }
  return { lines: [...lines], monthly_usd: total, by_component, by_plane };
}

/** Convenience: a line for `count` instances of a type. */
export function instanceLine(component: string, plane: Plane, type: string, count: number, opts: PriceOptions = {}): CostLine {
  return { component, plane, monthly_usd: instanceMonthlyUsd(type, count, opts) };
}
