import { UserError } from '../errors.ts';
import { excerpt } from '../util/excerpt.ts';

/**
 * Fleet-wide metrics, constraints and the combination of per-model choices.
 *
 * Given the tiers every model shares (gateway, APIs, state), the served models are independent:
 * each model's choice changes its own GPU line of the bill and its own latency, nothing else. A
 * fleet is one choice per model; a fleet metric is the shared part plus the sum of the per-model
 * parts. `monthly_usd` is the objective; energy (`monthly_mwh`) and carbon (`monthly_t_co2e`),
 * each a per-choice figure from the option's screening run (the shared tiers draw none in the
 * energy model), can be bounded (`--constraint 'metric<=x'`).
 */

/** One model's candidate in the combination: its own share of every fleet metric, and its SLO headroom. */
export interface Choice {
  /** Per metric name: this choice's part of the fleet figure. */
  metrics: Readonly<Record<string, number>>;
  /** The model's worst p99 over its target (<= 1: met). */
  slo_ratio: number;
}

export interface FleetMetric {
  name: string;
  unit: string;
  description: string;
}

/** The fleet metrics a plan can constrain or minimise. */
export const FLEET_METRICS: readonly FleetMetric[] = [
  { name: 'monthly_usd', unit: 'USD/month', description: 'the monthly bill of the full fleet (fleet/llm/cost.ts)' },
  { name: 'monthly_mwh', unit: 'MWh/month', description: "the served models' facility energy a month: GPUs, their nodes and PUE (results/energy-summary.ts)" },
  { name: 'monthly_t_co2e', unit: 't CO2e/month', description: "the served models' emissions a month at their regions' grid intensity (results/energy-summary.ts)" },
];

/** The metrics a plan can minimise (`--objective cost|energy|carbon`). */
export type FleetObjective = 'monthly_usd' | 'monthly_mwh' | 'monthly_t_co2e';
export const OBJECTIVES: Readonly<Record<string, FleetObjective>> = { cost: 'monthly_usd', energy: 'monthly_mwh', carbon: 'monthly_t_co2e' };

export function parseObjective(text: string): FleetObjective {
  if (!Object.hasOwn(OBJECTIVES, text)) throw new UserError(`--objective ${excerpt(text)}: expected one of ${Object.keys(OBJECTIVES).join(', ')}`);
  return OBJECTIVES[text];
}

/**
 * The items no other item beats in every key at once (lower is better; equal keys do not
 * dominate each other), in their input order. Quadratic: the lists are a few dozen points.
 */
export function nondominated<T>(items: readonly T[], keys: (t: T) => readonly number[]): T[] {
  const k = items.map(keys);
  const dominates = (a: readonly number[], b: readonly number[]) => a.every((x, i) => x <= b[i]) && a.some((x, i) => x < b[i]);
  return items.filter((_, i) => !k.some((other, j) => j !== i && dominates(other, k[i])));
}

export interface Constraint {
  text: string;
  metric: string;
  max: number;
}

export function parseConstraint(text: string): Constraint {
  const m = /^\s*([a-z_][a-z0-9_]*)\s*<=\s*([0-9.eE+]+)\s*$/.exec(text);
  const known = FLEET_METRICS.map((x) => x.name).join(', ');
  if (!m) throw new UserError(`--constraint ${excerpt(text)}: expected metric<=value with a metric of ${known}, e.g. 'monthly_usd<=150000000'`);
  if (!FLEET_METRICS.some((x) => x.name === m[1])) throw new UserError(`--constraint ${excerpt(text)}: unknown metric "${excerpt(m[1])}"; expected one of ${known}`);
  const max = Number(m[2]);
  if (!Number.isFinite(max) || max < 0) throw new UserError(`--constraint ${excerpt(text)}: expected a non-negative number after <=`);
  return { text, metric: m[1], max };
}

export interface Combination {
  /** Index of the chosen candidate per model. */
  picks: number[];
  metrics: Record<string, number>;
  /** The worst SLO ratio over the models. */
  slo_ratio: number;
}

/** At most this many combinations are enumerated; longer candidate lists are cut to their cheapest points first. */
export const MAX_COMBINATIONS = 200_000;

function trimmed(candidates: readonly (readonly Choice[])[], objective: string): Choice[][] {
  const lists = candidates.map((c) => [...c].sort((a, b) => a.metrics[objective] - b.metrics[objective]));
  const product = () => lists.reduce((n, l) => n * Math.max(1, l.length), 1);
  // Cut the longest list's most expensive point until the product fits.
  while (product() > MAX_COMBINATIONS) {
    const longest = lists.reduce((j, l, i) => (l.length > lists[j].length ? i : j), 0);
    lists[longest].pop();
  }
  return lists;
}

/**
 * Every combination of one candidate per model (a small knapsack: a few Pareto points per model),
 * with its fleet metrics; `shared` is the part of each metric no model choice changes.
 */
export function combinations(candidates: readonly (readonly Choice[])[], shared: Readonly<Record<string, number>>, objective: string): { lists: Choice[][]; all: Combination[] } {
  const lists = trimmed(candidates, objective);
  if (lists.some((l) => l.length === 0)) return { lists, all: [] };
  const all: Combination[] = [];
  const picks = new Array<number>(lists.length).fill(0);
  for (;;) {
    const metrics: Record<string, number> = { ...shared };
    let slo_ratio = 0;
    lists.forEach((l, m) => {
      const c = l[picks[m]];
      for (const [k, v] of Object.entries(c.metrics)) metrics[k] = (metrics[k] ?? 0) + v;
      slo_ratio = Math.max(slo_ratio, c.slo_ratio);
    });
    all.push({ picks: picks.slice(), metrics, slo_ratio });
    let m = lists.length - 1;
    while (m >= 0 && ++picks[m] === lists[m].length) picks[m--] = 0;
    if (m < 0) break;
  }
  return { lists, all };
}

/** The combination of least objective within every constraint (ties: the smaller SLO ratio, then enumeration order). */
export function bestCombination(all: readonly Combination[], constraints: readonly Constraint[], objective: string): Combination | undefined {
  let best: Combination | undefined;
  for (const c of all) {
    if (!constraints.every((k) => c.metrics[k.metric] <= k.max)) continue;
    if (!best || c.metrics[objective] < best.metrics[objective] || (c.metrics[objective] === best.metrics[objective] && c.slo_ratio < best.slo_ratio)) best = c;
  }
  return best;
}
