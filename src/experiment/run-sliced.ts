import type { Prepared } from './prepare.ts';
import { startRun, type RunResult } from './simulate.ts';

export interface SliceProgress {
  now_ms: number;
  duration_ms: number;
  events: number;
}

/**
 * Runs one simulation in slices of simulated time, yielding to the event loop between slices so
 * a progress bar can redraw and a signal (Ctrl-C) can stop the run. An interrupted run finishes
 * with what was simulated so far and stop reason 'stopped' (marked incomplete).
 */
export async function simulateSliced(
  prep: Prepared,
  seed: number,
  opts: { onProgress?: (p: SliceProgress) => void; signal?: AbortSignal; slices?: number } = {},
): Promise<RunResult> {
  const run = startRun(prep, seed);
  const slice_ms = run.duration_ms / (opts.slices ?? 200);
  let until = 0;
  for (;;) {
    if (opts.signal?.aborted) return run.finish('stopped');
    until = Math.min(run.duration_ms, until + slice_ms);
    const stop = run.advance(until);
    opts.onProgress?.({ now_ms: run.sim.now_ms, duration_ms: run.duration_ms, events: run.sim.events });
    if (stop !== 'until' || until >= run.duration_ms) return run.finish(stop);
    await new Promise((resolve) => setImmediate(resolve));
  }
}
