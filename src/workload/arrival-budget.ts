import { fmt } from '../util/format-number.ts';
import { makeArrivals, scaledArrivals } from './arrivals.ts';
import type { ArrivalsSpec } from './schema.ts';
import type { Trace } from './trace.ts';

export interface ArrivalBudget {
  /** the scenario's workload.arrivals, before fleet.scale */
  readonly arrivals: ArrivalsSpec;
  /** fleet.scale: the rate times it, a trace replayed that much faster */
  readonly scale: number;
  readonly duration_s: number;
  /** limits.max_events */
  readonly max_events: number;
  /** the loaded trace of trace arrivals (without it they are not counted) */
  readonly trace?: Trace;
}

/**
 * Why a run's arrivals alone would exceed limits.max_events, or undefined when they fit. Every
 * arrival is at least one event of the simulator, so such a run could only end incomplete, when
 * its event or wall budget ran out, after up to an hour of the default max_wall_s: a rate typed
 * with a few zeros too many, 1e300 a second or a looped trace at time_scale 1e-300 (gaps that no
 * longer move the clock) is refused at once instead (docs/hostile-inputs.md).
 */
export function arrivalBudgetProblem(b: ArrivalBudget): string | undefined {
  const a = b.arrivals;
  if (a.kind === 'trace' && b.trace === undefined) return undefined;
  const meanRate_per_s = makeArrivals(scaledArrivals(a, b.scale), () => 0.5, b.trace).meanRatePerS(b.duration_s * 1000);
  const expected = meanRate_per_s * b.duration_s;
  if (expected <= b.max_events) return undefined;
  const scale = b.scale === 1 ? '' : ` (fleet.scale ${fmt(b.scale)} included)`;
  const what = a.kind === 'trace'
    ? `workload.arrivals.time_scale: the trace's ${fmt(b.trace!.length)} requests${a.loop ? ', looped and' : ''} replayed at time_scale ${fmt(a.time_scale)}${scale} arrive at ${fmt(meanRate_per_s)} requests/s`
    : `workload.arrivals.rate_per_s: ${fmt(meanRate_per_s)} requests/s${scale}`;
  return `${what} over duration_s ${fmt(b.duration_s)} is about ${fmt(expected)} arrivals, more than limits.max_events (${fmt(b.max_events)}); ` +
    'every arrival is at least one event, so the run could only stop incomplete: lower the rate or duration_s, or raise limits.max_events';
}
