import type { Summary } from '../results/summary.ts';
import { fmt } from './table.ts';

const COLUMNS = ['on_demand', 'reserved_1y', 'reserved_3y', 'savings_plan', 'capacity_block', 'spot'] as const;
type Purchase = NonNullable<Summary['purchase']>;

/** The one-line headline of the purchase mix: its bill against all on-demand. */
export function purchaseHeadline(p: Purchase): string {
  return `purchase mix: GPU bill $${fmt(p.monthly_usd)}/month against $${fmt(p.all_on_demand_monthly_usd)} all on-demand: $${fmt(p.saved_usd)} saved (${fmt(p.saved_pct)}%); prices as of ${p.prices_as_of}`;
}

/** Per model: monthly USD by commitment, the total, and what it saves against all on-demand. */
export function purchaseRows(p: Purchase): { header: string[]; rows: string[][] } {
  const header = ['model', ...COLUMNS.map((c) => c.replace('_', ' ')), 'total', 'all on-demand', 'saved'];
  const rows = Object.entries(p.by_model).map(([name, m]) => [
    name,
    ...COLUMNS.map((c) => (m.monthly_usd_by_commitment[c] > 0 ? `$${fmt(m.monthly_usd_by_commitment[c])}` : '-')),
    `$${fmt(m.monthly_usd)}`,
    `$${fmt(m.all_on_demand_monthly_usd)}`,
    `$${fmt(m.saved_usd)}`,
  ]);
  return { header, rows };
}

/** The risk taken on spot, per model with a spot share. */
export function spotRiskNote(p: Purchase): string {
  return Object.entries(p.by_model)
    .filter(([, m]) => m.spot)
    .map(([name, m]) => {
      const s = m.spot!;
      const slo = s.slo_attainment === null ? 'no e2e SLO' : `${fmt(s.slo_attainment * 100)}% of requests within the e2e SLO`;
      return `${name}: ${fmt(s.reclaims_simulated)} spot reclaims simulated (${fmt(s.accelerate)}x the expected rate), ${fmt(s.requests_failed)} requests failed, ${slo}; expected ${fmt(s.expected_replica_reclaims_per_month)} reclaims a month (${s.interruption_band}), costing $${fmt(s.expected_reclaim_monthly_usd)}`;
    })
    .join('. ');
}
