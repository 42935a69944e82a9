import type { Prepared } from './prepare.ts';
import { defaultWindowMs, simulate, type RunResult } from './simulate.ts';
import { summarizeRun, type Summary } from '../report/summary.ts';
import { aggregateSummaries } from '../report/aggregate.ts';
import type { WindowRow } from '../metrics/timeseries.ts';

export interface Experiment {
  summary: Summary;
  /** Per-replication summaries (replication i ran with seed + i). */
  runs: Summary[];
  timeseries: WindowRow[];
}

/**
 * Runs `replications` independent runs; replication i uses seed + i, so any single replication
 * can be reproduced with `--seed <seed + i> --replications 1`.
 */
export function runReplications(prep: Prepared, seed: number, replications: number, onRun?: (i: number, r: RunResult) => void): Experiment {
  const window_ms = defaultWindowMs(prep.scenario.duration_s, prep.scenario.window_s);
  const runs: Summary[] = [];
  let first: RunResult | undefined;
  for (let i = 0; i < replications; i++) {
    const r = simulate(prep, seed + i);
    onRun?.(i, r);
    runs.push(summarizeRun(prep, r, window_ms));
    if (!first) first = r;
    else first.timeseries.merge(r.timeseries);
  }
  return { summary: aggregateSummaries(runs), runs, timeseries: first!.timeseries.rows(replications) };
}
