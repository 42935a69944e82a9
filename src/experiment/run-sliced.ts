import type { Prepared } from '../scenario/prepare.ts';
import { startRun } from './simulate.ts';
import type { RunResult } from '../results/run-result.ts';

export interface SliceProgress {
  now_ms: number;
  duration_ms: number;
  events: number;
}

/**
 * Wall time of one slice. Between slices the event loop turns: the progress bar redraws and a
 * signal handler runs, so Ctrl-C is seen within this (plus up to ~1,000 events, see
 * engine/sim.ts) however dense the simulated time. A turn costs microseconds: 20 a second are free.
 */
export const SLICE_WALL_MS = 50;

/**
 * Runs one simulation in slices of wall time (not of simulated time: a slice of simulated time
 * can hold any number of events), yielding to the event loop between them so a progress bar can
 * redraw and a signal (Ctrl-C) can stop the run. An interrupted run finishes with what was
 * simulated so far and stop reason 'stopped' (marked incomplete). The events, hence the result,
 * do not depend on where the slices fall.
 */
export async function simulateSliced(
  prep: Prepared,
  seed: number,
  opts: { onProgress?: (p: SliceProgress) => void; signal?: AbortSignal; sliceWallMs?: number } = {},
): Promise<RunResult> {
  const run = startRun(prep, seed);
  const sliceWallMs = opts.sliceWallMs ?? SLICE_WALL_MS;
  for (;;) {
    if (opts.signal?.aborted) return run.finish('stopped');
    const stop = run.advance(run.duration_ms, { yieldAtMs: lastTurn_ms + sliceWallMs });
    opts.onProgress?.({ now_ms: run.sim.now_ms, duration_ms: run.duration_ms, events: run.sim.events });
    if (stop !== 'yield') {
      const result = run.finish(stop);
      // Runs shorter than a slice end without a turn; one after another (replications, sweep
      // points) they kept the loop from turning at all, and SIGTERM went unanswered for as long
      // as they lasted. The slice is counted across runs, so they share the turns.
      if (performance.now() - lastTurn_ms >= sliceWallMs) await turnEventLoop();
      return result;
    }
    await turnEventLoop();
  }
}

/** When the event loop last turned for a sliced run (simulateSliced). */
let lastTurn_ms = performance.now();

/** Lets timers, signal handlers and I/O run (a macrotask: awaiting a resolved promise would not). */
async function turnEventLoop(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  lastTurn_ms = performance.now();
}
