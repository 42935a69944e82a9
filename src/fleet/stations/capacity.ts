import { makeSampler } from '../../engine/distributions.ts';
import type { TopologySpec } from './schema.ts';

export interface TierLoad {
  tier: string;
  /** Mean arrival rate at the tier (visits per second). */
  arrival_rate_per_s: number;
  capacity_per_s: number;
  /** Offered load / capacity; above 1 the tier cannot keep up. */
  utilization: number;
}

/**
 * Offered load against capacity for every station, from the traffic equations of an open
 * network: lambda_j = lambda_0 [j = entry] + sum_i lambda_i p_ij (solved by iteration).
 */
export function stationLoads(sc: { topology?: TopologySpec }, entryRate_per_s: number): TierLoad[] {
  const topology = sc.topology!;
  const names = Object.keys(topology.stations);
  const idx = new Map(names.map((n, i) => [n, i]));
  const lambda = new Float64Array(names.length);
  for (let iter = 0; iter < 10_000; iter++) {
    const next = new Float64Array(names.length);
    next[idx.get(topology.entry)!] = entryRate_per_s;
    for (const [i, n] of names.entries()) {
      const nx = topology.stations[n].next;
      const routes = nx === undefined ? [] : typeof nx === 'string' ? [{ to: nx, p: 1 }] : nx;
      for (const r of routes) next[idx.get(r.to)!] += lambda[i] * r.p;
    }
    let delta = 0;
    for (let i = 0; i < names.length; i++) delta = Math.max(delta, Math.abs(next[i] - lambda[i]));
    lambda.set(next);
    if (delta < 1e-9 * Math.max(1, entryRate_per_s)) break;
  }
  return names.map((n, i) => {
    const st = topology.stations[n];
    const mean_ms = makeSampler(st.service_ms, () => 0.5).mean;
    const capacity = (st.servers * 1000) / mean_ms;
    return { tier: n, arrival_rate_per_s: lambda[i], capacity_per_s: capacity, utilization: lambda[i] / capacity };
  });
}
