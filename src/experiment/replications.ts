import type { Prepared } from '../scenario/prepare.ts';
import { defaultWindowMs, simulate } from './simulate.ts';
import type { RunResult } from '../results/run-result.ts';
import { summarizeRun, type Summary } from '../results/summary.ts';
import { aggregateSummaries } from '../results/aggregate.ts';
import type { WindowRow } from '../metrics/timeseries.ts';
import { DistributionCollector } from '../results/distributions.ts';
import type { CdfSeries } from '../results/distributions.ts';
import type { RunOutput } from './parallel-worker.ts';
import type { TimeSeries } from '../metrics/timeseries.ts';

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
 * finishes on a worker (completion order). Outputs are merged as soon as their predecessors are
 * in, so at most ~2 x jobs of them are held at once, whatever the number of replications.
 *
 * When `signal` aborts, no further replication starts and those under way stop within ~1,000
 * events (Runner.stop) with what they simulated: the result covers the replications started,
 * marked incomplete with stop reason 'stopped'; its time series holds the complete ones (or,
 * when none completed, the simulated part of the first).
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
  const merged = new InOrderMerge(dist);
  let started = 0;
  let done = 0;
  await withRunner(Math.min(jobs, replications), async (runner) => {
    const stop = () => runner.stop();
    opts.signal?.addEventListener('abort', stop);
    const lane = async () => {
      while (started < replications && !opts.signal?.aborted) {
        const i = started++;
        const out = await runner.run({ ...taskFor(prep, 'run', seed + i), sketches: true });
        merged.add(i, out);
        opts.onDone?.(i, ++done, out.summary);
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(jobs, replications) }, lane));
    } finally {
      opts.signal?.removeEventListener('abort', stop);
    }
  });
  const interrupted = started < replications || merged.runs.some((r) => r.engine.stop_reason === 'stopped');
  let summary = aggregateSummaries(merged.runs);
  if (interrupted) summary = { ...summary, complete: false, engine: { ...summary.engine, stop_reason: 'stopped' } };
  return { summary, runs: merged.runs, timeseries: merged.rows(), distributions: dist.series(), interrupted };
}

/**
 * Replication outputs arriving in any order, combined in replication order: summaries kept (the
 * aggregate needs them), time series and sketches merged and let go as soon as every earlier
 * replication is in.
 */
class InOrderMerge {
  readonly runs: Summary[] = [];
  private readonly pending = new Map<number, RunOutput>();
  private series: TimeSeries | undefined;
  private complete = 0;
  private firstPartial: RunOutput | undefined;

  constructor(private readonly dist: DistributionCollector) {}

  add(i: number, out: RunOutput): void {
    this.pending.set(i, out);
    for (let next = this.pending.get(this.runs.length); next; next = this.pending.get(this.runs.length)) {
      this.pending.delete(this.runs.length);
      this.runs.push(next.summary);
      this.dist.add(next.run!);
      if (next.summary.engine.stop_reason === 'stopped') this.firstPartial ??= next;
      else if (!this.series) (this.series = next.timeseries), this.complete++;
      else this.series.merge(next.timeseries), this.complete++;
    }
  }

  /** The mean rows of the complete replications; without any, the simulated part of the first stopped one. */
  rows(): WindowRow[] {
    if (this.series) return this.series.rows(this.complete);
    const first = this.firstPartial!;
    return first.timeseries.rows(1).filter((w) => w.t_start_s < first.summary.duration_s);
  }
}
