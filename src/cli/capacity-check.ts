import type { Prepared } from '../scenario/prepare.ts';
import { stationLoads } from '../fleet/stations/capacity.ts';
import { fleetLoads } from '../fleet/llm/capacity.ts';
import { makeArrivals } from '../workload/arrivals.ts';
import { fmt, table } from '../report/table.ts';

/** The analytical capacity check printed before simulating: offered load vs capacity per tier. */
export function capacityCheck(prep: Prepared): { text: string; overloaded: string[] } {
  const sc = prep.scenario;
  const source = makeArrivals(sc.workload.arrivals, () => 0.5, prep.trace);
  const horizon_ms = sc.duration_s * 1000;
  const rate = source.meanRatePerS(horizon_ms);
  const peakRatio = source.peakRatePerS(horizon_ms) / rate;
  const loads = sc.fleet ? fleetLoads(prep, rate) : stationLoads(sc, rate);
  const overloaded = loads.filter((l) => l.utilization * peakRatio > 1).map((l) => l.tier);
  const rows = loads.map((l) => {
    const peak = l.utilization * peakRatio;
    const warn = l.utilization > 1 ? 'WARNING: over capacity' : peak > 1 ? 'WARNING: over capacity at peak' : '';
    return [l.tier, fmt(l.arrival_rate_per_s), fmt(l.capacity_per_s), `${fmt(l.utilization * 100)}%`, `${fmt(peak * 100)}%`, warn];
  });
  const text = `capacity check (analytical; mean arrival rate ${fmt(rate)}/s, peak ${fmt(rate * peakRatio)}/s):\n${table(['tier', 'offered/s', 'capacity/s', 'mean load', 'peak load', ''], rows)}`;
  return { text, overloaded };
}
