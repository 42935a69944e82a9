import type { BatchBook, BacklogDispatcher } from '../fleet/batch.ts';
import { hourOfDay } from '../fleet/batch.ts';
import type { RequestClasses } from '../fleet/classes.ts';
import { round } from './round.ts';
import { HOURS_PER_MONTH } from '../cost/prices.ts';
import { firstRegionHourly } from '../fleet/llm/class-setup.ts';
import type { FleetSpec } from '../fleet/schema.ts';
import type { FleetParts } from './fleet-summary.ts';

/**
 * The bill and the carbon of each request class (docs/priorities.md, docs/energy.md). fleetsim
 * bills GPUs, not tokens, so a class's share of the GPU bill is its share of the prompt and
 * output tokens the GPUs processed (a prefill token and a decode token weigh alike: a
 * simplification, as a decode token costs a GPU more time); a batch class's revenue is its tokens
 * at its list price less its discount, when it declares a list price. Carbon is attributed the
 * same way hour by hour: the facility energy drawn in each hour of the day clock, split by the
 * classes' tokens in that hour, times that hour's intensity on the first region's grid.
 */

/** What the fleet's summary already knows, full-fleet and per month. */
export interface FleetFigures {
  gpu_monthly_usd: number;
  /** Full-fleet tokens per month per token of the simulated sample: (730 h) / (measured time x fleet scale). */
  month_per_sample: number;
  gpus: number;
  /** Facility energy per month drawn in each hour of the day clock, kWh (24 values). */
  kwh_by_hour: readonly number[];
  /** Carbon intensity of each hour of the day on the first region's grid, g CO2e/kWh. */
  g_by_hour: readonly number[];
}

/** kg CO2e per month of each class: sum over hours of energy x (class tokens / all tokens) x intensity. */
export function carbonByClass(tokensByHour: readonly ArrayLike<number>[], kwh_by_hour: readonly number[], g_by_hour: readonly number[]): number[] {
  const kg = tokensByHour.map(() => 0);
  for (let h = 0; h < 24; h++) {
    let all = 0;
    for (const t of tokensByHour) all += t[h];
    if (all <= 0) continue; // an hour without tokens: its (idle) energy belongs to no class
    tokensByHour.forEach((t, c) => (kg[c] += (kwh_by_hour[h] * (t[h] / all) * g_by_hour[h]) / 1000));
  }
  return kg;
}

/** Monthly facility energy by hour of the day clock, from the power series (windows after warm-up) scaled to monthly_kwh. */
export function kwhByHour(series: { t_s: readonly number[]; facility_power_w: readonly number[] } | undefined, monthly_kwh: number, warmup_s: number, window_s: number, day_s: number): number[] {
  const wh = Array.from({ length: 24 }, () => 0);
  let total = 0;
  series?.t_s.forEach((t, i) => {
    if (t - window_s < warmup_s) return;
    const e = series.facility_power_w[i] * window_s;
    wh[hourOfDay((t - window_s / 2) * 1000, day_s)] += e;
    total += e;
  });
  // without a series, spread flat over the hours
  return total > 0 ? wh.map((x) => (monthly_kwh * x) / total) : wh.map(() => monthly_kwh / 24);
}

/** A batch class's completion-window figures (every request of the class, warm-up ones too). */
export function batchFigures(book: BatchBook, dispatcher: BacklogDispatcher | null) {
  const ended = book.completedInWindow + book.completedLate + book.notCompleted;
  return {
    completion_window_h: book.spec.completion_window_h,
    discount: book.spec.discount,
    submitted: book.submitted,
    completed_in_window: book.completedInWindow,
    completed_late: book.completedLate,
    not_completed: book.notCompleted,
    pending_at_end: book.submitted - ended,
    ...(dispatcher ? { not_yet_sent_at_end: dispatcher.waiting } : {}),
    in_window_share: round(book.submitted > 0 ? book.completedInWindow / book.submitted : 0),
  };
}

/** Each class's share of the GPU bill, its cost per million tokens, its tokens per GPU-hour, a batch class's revenue, and its carbon. */
export function classBills(classes: RequestClasses, fleet: FleetFigures) {
  const tokens = classes.metrics.map((m) => m.tokensByHour.reduce((a, x) => a + x, 0));
  const all = tokens.reduce((a, x) => a + x, 0);
  const kg = carbonByClass(classes.metrics.map((m) => m.tokensByHour), fleet.kwh_by_hour, fleet.g_by_hour);
  return classes.names.map((name, c) => {
    const share = all > 0 ? tokens[c] / all : 0;
    const monthlyTokens = tokens[c] * fleet.month_per_sample;
    const usd = share * fleet.gpu_monthly_usd;
    const batch = classes.spec[name].batch;
    const list = batch?.list_usd_per_mtok;
    return {
      token_share: round(share),
      gpu_monthly_usd: round(usd),
      usd_per_million_tokens: round(monthlyTokens > 0 ? usd / (monthlyTokens / 1e6) : 0),
      tokens_per_gpu_hour: round(fleet.gpus > 0 ? monthlyTokens / (fleet.gpus * 730) : 0),
      ...(list !== undefined ? { revenue_monthly_usd: round((monthlyTokens / 1e6) * list * (1 - batch!.discount)) } : {}),
      monthly_kg_co2e: round(kg[c]),
      g_co2e_per_million_tokens: round(monthlyTokens > 0 ? (kg[c] * 1000) / (monthlyTokens / 1e6) : 0),
    };
  });
}

/** The fleet figures the class bills rest on, from the fleet's summary blocks. */
export function fleetFigures(
  f: FleetSpec, parts: Pick<FleetParts, 'cost' | 'energy'>, classes: RequestClasses, run: { warmup_s: number; measured_s: number; window_s: number },
): FleetFigures {
  const energy = parts.energy;
  return {
    gpu_monthly_usd: parts.cost.by_plane.gpu ?? 0,
    month_per_sample: (HOURS_PER_MONTH * 3600) / (run.measured_s * f.scale),
    gpus: Object.values(energy.by_model).reduce((a, m) => a + m.gpus, 0),
    kwh_by_hour: kwhByHour(energy.series, energy.monthly_kwh, run.warmup_s, run.window_s, classes.day_s),
    g_by_hour: firstRegionHourly(f),
  };
}
