import { commandWallSpent } from '../util/wall-budget.ts';
import cliProgress from 'cli-progress';
import type { Prepared } from '../scenario/prepare.ts';
import { simulateSliced } from '../experiment/run-sliced.ts';
import { defaultWindowMs } from '../experiment/simulate.ts';
import type { RunResult } from '../results/run-result.ts';
import { ReplicationResults, type Experiment } from '../experiment/replications.ts';
import { summarizeRun } from '../results/summary.ts';
import { DistributionCollector } from '../results/distributions.ts';
import type { CdfSeries } from '../results/distributions.ts';
import type { WindowRow } from '../metrics/timeseries.ts';
import { fmt } from '../report/table.ts';
import { EXIT_INTERRUPTED, EXIT_TERMINATED, exitCodeFor, onInterrupt } from '../util/signals.mjs';

export { EXIT_INTERRUPTED, EXIT_TERMINATED, installSignalHandlers } from '../util/signals.mjs';

export interface SlicedExperiment extends Experiment {
  /** True when Ctrl-C stopped the run: the last replication is the interrupted one. */
  interrupted: boolean;
  /** Latency CDF points pooled over the replications (from the sketches). */
  distributions: CdfSeries[];
}

/** A progress bar on stderr, drawn only when stderr is a terminal and not --quiet. */
export class Progress {
  private bar: cliProgress.SingleBar | undefined;
  /** Wall-clock start of the current bar (events/s is over it). */
  private t0 = performance.now();

  constructor(enabled: boolean, private readonly stream: NodeJS.WriteStream = process.stderr) {
    if (enabled && stream.isTTY) {
      this.bar = new cliProgress.SingleBar(
        {
          stream,
          format: '{label}{bar} {percentage}% | simulated {sim} | {reps}{eps} events/s | ETA {eta_formatted}',
          barsize: 24,
          hideCursor: true,
          clearOnComplete: true,
          etaBuffer: 40,
          fps: 8,
        },
        cliProgress.Presets.shades_classic,
      );
    }
  }

  get active(): boolean {
    return this.bar !== undefined;
  }

  /** Starts (or restarts) the bar for `total_ms` of simulated time over all replications. */
  start(total_ms: number, label = ''): void {
    this.t0 = performance.now();
    this.bar?.start(total_ms, 0, { label: label ? `${label} ` : '', sim: '0 s', reps: '', eps: '-' });
  }

  /**
   * `done_ms` of simulated time done over all replications; replication `rep` (0-based) of
   * `reps` is at `now_ms` of `duration_ms`; `eventsTotal` events since start().
   */
  update(done_ms: number, now_ms: number, duration_ms: number, rep: number, reps: number, eventsTotal: number): void {
    if (!this.bar) return;
    const wall = (performance.now() - this.t0) / 1000;
    this.bar.update(done_ms, {
      sim: `${fmt(now_ms / 1000)}/${fmt(duration_ms / 1000)} s`,
      reps: reps > 1 ? `replication ${rep + 1}/${reps} | ` : '',
      eps: wall > 0 ? fmt(eventsTotal / wall) : '-',
    });
  }

  stop(): void {
    this.bar?.stop();
  }
}

/**
 * Stops long runs on Ctrl-C or SIGTERM: the first signal aborts (the simulation stops within a
 * slice of wall time, see run-sliced.ts, and the caller writes what was simulated), a second one
 * exits at once. Signals go through signals.mjs: without an Interrupt listening, the command exits
 * at once.
 */
export class Interrupt {
  readonly controller = new AbortController();
  /** The signal that stopped the run, if any. */
  private received: NodeJS.Signals | null = null;
  private readonly stopListening: () => void;
  private readonly handler = (sig: 'SIGINT' | 'SIGTERM') => {
    if (this.controller.signal.aborted) {
      process.stderr.write('\nfleetsim: interrupted again; exiting without writing the report\n');
      process.exit(exitCodeFor(sig));
    }
    this.received = sig;
    const again = sig === 'SIGINT' ? 'Ctrl-C again' : 'SIGTERM again';
    if (this.simulationOver) process.stderr.write(`\nfleetsim: interrupted (${this.reason}) after the simulation ended: writing its results first (${again} to quit at once, writing nothing)\n`);
    else process.stderr.write(`\nfleetsim: interrupted (${this.reason}): stopping the simulation and writing what was simulated so far (${again} to quit at once)\n`);
    this.controller.abort();
  };
  /** Set once the simulation has returned: a signal then no longer stops anything, it only sets the exit code. */
  private simulationOver = false;

  constructor() {
    this.stopListening = onInterrupt(this.handler);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get interrupted(): boolean {
    return this.controller.signal.aborted;
  }

  /** How the run was stopped, for messages: "Ctrl-C" or "SIGTERM". */
  get reason(): string {
    return this.received === 'SIGTERM' ? 'SIGTERM' : 'Ctrl-C';
  }

  /** 130 after Ctrl-C, 143 after SIGTERM, as shells and container runtimes report them. */
  get exitCode(): number {
    return this.received === 'SIGTERM' ? EXIT_TERMINATED : EXIT_INTERRUPTED;
  }

  /**
   * The simulation has returned. A signal from here on finds nothing to stop: the command writes
   * the results it has (a few hundred ms), then exits with 130 or 143 and says so
   * (signalledAfterSimulation), rather than taking the signal for a stop and exiting 0.
   */
  simulationEnded(): void {
    this.simulationOver = true;
  }

  /** A signal came after simulationEnded(): the results are whole, but the command was asked to end. */
  get signalledAfterSimulation(): boolean {
    return this.simulationOver && this.received !== null;
  }

  dispose(): void {
    this.stopListening();
  }
}

/**
 * Like runReplications, but each replication runs in slices (simulateSliced) so the progress bar
 * redraws and Ctrl-C stops the run; also pools the latency sketches for the CDF chart. After an
 * interruption the replications done so far and the interrupted one are summarised, marked
 * incomplete with stop reason 'stopped'; timeseries.csv then holds the complete replications
 * (or, when the first one was interrupted, the part of it that was simulated). Summaries are
 * aggregated as the replications complete (kept only with `keepRuns`).
 */
export async function runReplicationsSliced(
  prep: Prepared,
  seed: number,
  replications: number,
  opts: { progress?: Progress; label?: string; signal?: AbortSignal; keepRuns?: boolean } = {},
): Promise<SlicedExperiment> {
  const window_ms = defaultWindowMs(prep.scenario.duration_s, prep.scenario.window_s);
  const duration_ms = prep.scenario.duration_s * 1000;
  const results = new ReplicationResults(opts.keepRuns);
  const dist = new DistributionCollector();
  let series: RunResult['timeseries'] | undefined;
  let merged = 0;
  let partial: RunResult | undefined;
  let eventsBefore = 0;
  let interrupted = false;
  opts.progress?.start(duration_ms * replications, opts.label);
  for (let i = 0; i < replications && !(i > 0 && commandWallSpent()); i++) {
    // a signal between two replications: none is started only to be stopped at once
    if (i > 0 && opts.signal?.aborted === true) {
      interrupted = true;
      break;
    }
    const r = await simulateSliced(prep, seed + i, {
      signal: opts.signal,
      onProgress: (p) => opts.progress?.update(i * duration_ms + p.now_ms, p.now_ms, p.duration_ms, i, replications, eventsBefore + p.events),
    });
    eventsBefore += r.events;
    results.add(summarizeRun(prep, r, window_ms));
    dist.add(r);
    if (r.stop_reason === 'stopped') {
      interrupted = true;
      partial = r;
      break;
    }
    if (!series) series = r.timeseries;
    else series.merge(r.timeseries);
    merged++;
  }
  opts.progress?.stop();
  let timeseries: WindowRow[];
  if (series) timeseries = series.rows(merged);
  else {
    const end_s = partial!.duration_ms / 1000;
    timeseries = partial!.timeseries.rows(1).filter((w) => w.t_start_s < end_s);
  }
  return { summary: results.summary(interrupted, replications), last: results.last, runs: results.runs, timeseries, interrupted, distributions: dist.series() };
}
