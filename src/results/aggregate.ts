import { meanCi95 } from '../metrics/ci.ts';
import { round } from './round.ts';
import type { Summary } from './summary.ts';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Fields that describe the run rather than measure it: copied from the first replication. */
const DESCRIPTIVE = new Set(['fleetsim_version', 'scenario', 'scenario_file', 'seed', 'duration_s', 'warmup_s', 'window_s', 'servers']);

/**
 * Means over replications of every numeric figure, with a sibling `ci95: { key: [lo, hi] }` in
 * each block (Student t, n - 1 degrees of freedom). A figure missing (null) in some replication
 * is averaged over those that have it.
 */
function combine(values: Json[], key: string): Json {
  const first = values[0];
  if (DESCRIPTIVE.has(key) || typeof first === 'string' || typeof first === 'boolean') return first;
  if (typeof first === 'number' || first === null) {
    const nums = values.filter((v): v is number => typeof v === 'number');
    return nums.length === 0 ? null : round(meanCi95(nums).mean);
  }
  if (Array.isArray(first)) return first;
  const out: { [k: string]: Json } = {};
  const ci: { [k: string]: Json } = {};
  for (const k of Object.keys(first)) {
    const vs = values.map((v) => (v as { [k: string]: Json })[k]);
    out[k] = combine(vs, k);
    if (typeof out[k] === 'number' && !DESCRIPTIVE.has(k)) {
      const nums = vs.filter((v): v is number => typeof v === 'number');
      const { ci95 } = meanCi95(nums);
      if (ci95) ci[k] = [round(ci95[0]), round(ci95[1])];
    }
  }
  if (Object.keys(ci).length > 0) out.ci95 = ci;
  return out;
}

export function aggregateSummaries(reps: Summary[]): Summary {
  if (reps.length === 1) return reps[0];
  const { engine: _e, ...rest } = reps[0];
  const restAll = reps.map(({ engine: _x, ...r }) => r as unknown as Json);
  const combined = combine(restAll, '') as unknown as Omit<Summary, 'engine'>;
  const events = reps.reduce((a, r) => a + r.engine.events, 0);
  const wall_s = reps.reduce((a, r) => a + r.engine.wall_s, 0);
  return {
    ...(combined as typeof rest),
    seed: reps[0].seed,
    replications: reps.length,
    complete: reps.every((r) => r.complete),
    engine: {
      events,
      wall_s: round(wall_s),
      events_per_s: round(wall_s > 0 ? events / wall_s : 0),
      stop_reason: reps.every((r) => r.engine.stop_reason === reps[0].engine.stop_reason) ? reps[0].engine.stop_reason : 'mixed',
    },
  };
}
