import { commandWallSpent } from '../util/wall-budget.ts';
import type { Prepared } from '../scenario/prepare.ts';
import { defaultWindowMs, simulate } from './simulate.ts';
import type { RunResult } from '../results/run-result.ts';
import { summarizeRun, type Summary } from '../results/summary.ts';
import { SummaryAggregator } from '../results/aggregate.ts';
import type { WindowRow } from '../metrics/timeseries.ts';
import { DistributionCollector } from '../results/distributions.ts';
import type { CdfSeries } from '../results/distributions.ts';
import type { RunOutput } from './parallel-worker.ts';
import type { TimeSeries } from '../metrics/timeseries.ts';

export interface Experiment {
  summary: Summary;
  /** The last replication's summary (after an interruption, the interrupted one). */
  last: Summary;
  /**
   * Per-replication summaries (replication i ran with seed + i), only when asked for with
   * `keepRuns` (compare pairs them); otherwise each is folded into the aggregate as it completes
   * and let go, so memory does not grow with the number of replications.
   */
  runs?: Summary[];
  timeseries: WindowRow[];
}

/**
 * Replication summaries taken in replication order: aggregated as they come (SummaryAggregator),
 * kept as well only with `keepRuns`. Every path that runs replications goes through here.
 */
export class ReplicationResults {
  private readonly aggregator = new SummaryAggregator();
  readonly runs: Summary[] | undefined;
  private latest: Summary | undefined;
  /** True once a replication stopped early on a signal (stop reason 'stopped'). */
  stopped = false;

  constructor(keepRuns = false) {
    this.runs = keepRuns ? [] : undefined;
  }

  add(s: Summary): void {
    this.aggregator.add(s);
    this.runs?.push(s);
    this.latest = s;
    if (s.engine.stop_reason === 'stopped') this.stopped = true;
  }

  /** Replications taken so far. */
  get count(): number {
    return this.aggregator.replications;
  }

  get last(): Summary {
    return this.latest!;
  }

  /**
   * The aggregate; when `interrupted`, marked incomplete with stop reason 'stopped'. Fewer
   * replications than `requested` without an interruption means the command's wall time ran out
   * between replications: incomplete, stop reason 'max_wall'.
   */
  summary(interrupted: boolean, requested = this.count): Summary {
    const summary = this.aggregator.result();
    if (interrupted) return { ...summary, complete: false, engine: { ...summary.engine, stop_reason: 'stopped' } };
    if (this.count < requested) return { ...summary, complete: false, engine: { ...summary.engine, stop_reason: 'max_wall' } };
    return summary;
  }
}

/**
 * Runs `replications` independent runs; replication i uses seed + i, so any single replication
 * can be reproduced with `--seed <seed + i> --replications 1`. Summaries are aggregated as the
 * replications complete (kept only with `keepRuns`).
 */
export function runReplications(prep: Prepared, seed: number, replications: number, onRun?: (i: number, r: RunResult) => void, opts: { keepRuns?: boolean } = {}): Experiment {
  const window_ms = defaultWindowMs(prep.scenario.duration_s, prep.scenario.window_s);
  const results = new ReplicationResults(opts.keepRuns);
  // Only the first run's time series is kept (the others merged into it), not the whole run.
  let series: TimeSeries | undefined;
  // Once the command's wall time is spent (util/wall-budget.ts) no further replication starts.
  for (let i = 0; i < replications && !(i > 0 && commandWallSpent()); i++) {
    const r = simulate(prep, seed + i);
    onRun?.(i, r);
    results.add(summarizeRun(prep, r, window_ms));
    if (!series) series = r.timeseries;
    else series.merge(r.timeseries);
  }
  return { summary: results.summary(false, replications), last: results.last, runs: results.runs, timeseries: series!.rows(results.count) };
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
  opts: { onDone?: (i: number, done: number, summary: Summary) => void; signal?: AbortSignal; keepRuns?: boolean } = {},
): Promise<JobsExperiment> {
  const dist = new DistributionCollector();
  if (jobs <= 1) {
    const exp = runReplications(prep, seed, replications, (_i, r) => dist.add(r), { keepRuns: opts.keepRuns });
    return { ...exp, distributions: dist.series(), interrupted: false };
  }
  const { withRunner, taskFor } = await import('./parallel.ts');
  const merged = new InOrderMerge(dist, new ReplicationResults(opts.keepRuns));
  let started = 0;
  let done = 0;
  await withRunner(Math.min(jobs, replications), async (runner) => {
    const stop = () => runner.stop();
    opts.signal?.addEventListener('abort', stop);
    const lane = async () => {
      while (started < replications && !opts.signal?.aborted && !(started > 0 && commandWallSpent())) {
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
  const results = merged.results;
  const interrupted = (started < replications && !commandWallSpent()) || results.stopped;
  return { summary: results.summary(interrupted, replications), last: results.last, runs: results.runs, timeseries: merged.rows(), distributions: dist.series(), interrupted };
}

/**
 * Replication outputs arriving in any order, combined in replication order: summaries folded into
 * the aggregate, time series and sketches merged, and each output let go as soon as every earlier
 * replication is in (what waits is at most what the other jobs finished meanwhile).
 */
class InOrderMerge {
  private readonly pending = new Map<number, RunOutput>();
  private series: TimeSeries | undefined;
  private complete = 0;
  private firstPartial: RunOutput | undefined;

  constructor(
    private readonly dist: DistributionCollector,
    readonly results: ReplicationResults,
  ) {}

  add(i: number, out: RunOutput): void {
    this.pending.set(i, out);
    for (let next = this.pending.get(this.results.count); next; next = this.pending.get(this.results.count)) {
      this.pending.delete(this.results.count);
      this.results.add(next.summary);
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
