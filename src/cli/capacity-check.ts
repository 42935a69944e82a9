import type { Prepared } from '../experiment/prepare.ts';
import { stationLoads } from '../fleet/stations/capacity.ts';
import { makeArrivals } from '../workload/arrivals.ts';
import { fmt, table } from '../report/table.ts';

/** The analytical capacity check printed before simulating: offered load vs capacity per tier. */
export function capacityCheck(prep: Prepared): { text: string; overloaded: string[] } {
  const sc = prep.scenario;
  const rate = makeArrivals(sc.workload.arrivals, () => 0.5, prep.trace).meanRatePerS(sc.duration_s * 1000);
  const loads = stationLoads(sc, rate);
  const overloaded = loads.filter((l) => l.utilization > 1).map((l) => l.tier);
  const rows = loads.map((l) => [l.tier, fmt(l.arrival_rate_per_s), fmt(l.capacity_per_s), `${fmt(l.utilization * 100)}%`, l.utilization > 1 ? 'WARNING: over capacity' : '']);
  const text = `capacity check (analytical, mean arrival rate ${fmt(rate)}/s):\n${table(['tier', 'offered/s', 'capacity/s', 'load', ''], rows)}`;
  return { text, overloaded };
}
