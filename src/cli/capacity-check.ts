import type { Prepared } from '../scenario/prepare.ts';
import { capacityLoads } from '../results/capacity.ts';
import { inFile } from '../util/in-file.ts';
import { isFirstTokenShort, isNearCapacity } from '../results/verdict.ts';
import { fmt, table } from '../report/table.ts';

/**
 * The analytical capacity check printed before simulating: offered load vs capacity per tier. It
 * builds every served model's step model, so a problem found there names the scenario file, as
 * the same problem found by `validate` or while the run is built does (`run` printed it without).
 */
export function capacityCheck(prep: Prepared): { text: string; overloaded: string[] } {
  const c = inFile(prep.file, () => capacityLoads(prep));
  const overloaded = c.loads.filter((l) => l.peak_utilization > 1).map((l) => l.tier);
  const rows = c.loads.map((l) => {
    const warn = l.utilization > 1 ? 'WARNING: over capacity'
      : l.peak_utilization > 1 ? 'WARNING: over capacity at peak'
        : isNearCapacity(l) ? 'near capacity: within the step model\'s error'
          : isFirstTokenShort(l) ? 'first tokens likely short of published runs' : '';
    return [l.tier, fmt(l.arrival_rate_per_s), fmt(l.capacity_per_s), `${fmt(l.utilization * 100)}%`, `${fmt(l.peak_utilization * 100)}%`, warn];
  });
  const text = `capacity check (analytical; mean arrival rate ${fmt(c.mean_rate_per_s)}/s, peak ${fmt(c.peak_rate_per_s)}/s):\n${table(['tier', 'offered/s', 'capacity/s', 'mean load', 'peak load', ''], rows)}`;
  return { text, overloaded };
}
