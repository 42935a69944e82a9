import type { Prepared } from './prepare.ts';
import { defaultWindowMs, simulate, type RunResult } from './simulate.ts';
import { summarizeRun, type Summary } from '../report/summary.ts';
import { aggregateSummaries } from '../report/aggregate.ts';
import type { WindowRow } from '../metrics/timeseries.ts';
import { DistributionCollector } from '../report/distributions.ts';
import type { CdfSeries } from '../report/charts/input.ts';
import type { RunOutput } from './parallel-worker.ts';

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

/** An experiment run by `runReplicationsJobs`: also the pooled latency CDFs for the report, and whether Ctrl-C stopped it. */
export interface JobsExperiment extends Experiment {
  distributions: CdfSeries[];
  interrupted: boolean;
}

/**
 * `runReplications` on `jobs` worker threads (jobs <= 1: the sequential path above). The same
 * seeds (seed + i); the per-replication summaries are put back in replication order and the
 * time series and latency sketches merged in that order, so the result is the same whatever
 * `jobs` is (wall-clock fields aside). `onDone(i, done, summary)` is called as replication i
 * finishes on a worker (completion order). When `signal` aborts, no further replication starts; those already
 * running finish, and the result covers them, marked incomplete with stop reason 'stopped'.
 */
export async function runReplicationsJobs(
  prep: Prepared,
  seed: number,
  replications: number,
  jobs: number,
  opts: { onDone?: (i: number, done: number, summary: Summary) => void; signal?: AbortSignal } = {},
): Promise<JobsExperiment> {
  const dist = new DistributionCollector();
  if (jobs <= 1) {
    const exp = runReplications(prep, seed, replications, (_i, r) => dist.add(r));
    return { ...exp, distributions: dist.series(), interrupted: false };
  }
  const { withRunner, taskFor } = await import('./parallel.ts');
  const outs: RunOutput[] = [];
  let started = 0;
  let done = 0;
  await withRunner(Math.min(jobs, replications), async (runner) => {
    const lane = async () => {
      while (started < replications && !opts.signal?.aborted) {
        const i = started++;
        outs[i] = await runner.run({ ...taskFor(prep, 'run', seed + i), sketches: true });
        opts.onDone?.(i, ++done, outs[i].summary);
      }
    };
    await Promise.all(Array.from({ length: Math.min(jobs, replications) }, lane));
  });
  // Replications start in order, so those run are 0..started-1.
  const series = outs[0].timeseries;
  for (let i = 1; i < started; i++) series.merge(outs[i].timeseries);
  for (let i = 0; i < started; i++) dist.add(outs[i].run!);
  const runs = outs.slice(0, started).map((o) => o.summary);
  const interrupted = started < replications;
  let summary = aggregateSummaries(runs);
  if (interrupted) summary = { ...summary, complete: false, engine: { ...summary.engine, stop_reason: 'stopped' } };
  return { summary, runs, timeseries: series.rows(started), distributions: dist.series(), interrupted };
}
