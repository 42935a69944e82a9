import { commandDeadline } from '../util/wall-budget.ts';
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { UserError } from '../errors.ts';
import { TimeSeries } from '../metrics/timeseries.ts';
import type { Prepared } from '../scenario/prepare.ts';
import { outputOf, preparedFor, runFromSketches, type RunOutput, type RunTask, type TaskReply } from './parallel-worker.ts';
import { simulateSliced } from './run-sliced.ts';

export type { RunOutput, RunTask } from './parallel-worker.ts';

/** Default for --jobs: every core the process may use. */
export function defaultJobs(): number {
  return availableParallelism();
}

/**
 * --jobs as given, but at most the cores the process may use (the default): a run is CPU-bound,
 * so more threads than cores only add memory (~32 MB each) and contention. Says so on stderr.
 */
export function capJobs(requested: number | undefined, quiet = false): number {
  const cores = defaultJobs();
  if (requested === undefined || requested <= cores) return requested ?? cores;
  if (!quiet) process.stderr.write(`fleetsim: --jobs ${requested} capped at ${cores}, the number of cores available (more threads would only add memory)\n`);
  return cores;
}

/**
 * Runs simulation tasks, in worker threads (piscina) when jobs > 1, else in this thread. A task
 * is a pure function of (scenario, seed), so the answer never depends on which thread ran it or
 * when it finished; callers put results in order by their own index, never by completion.
 */
export interface Runner {
  readonly jobs: number;
  run(task: RunTask): Promise<RunOutput>;
  /**
   * Asks the runs under way to stop within ~1,000 events and resolve with what they simulated
   * (stop reason 'stopped', marked incomplete); runs started later stop at once. For Ctrl-C.
   */
  stop(): void;
  close(): Promise<void>;
}

/** The task for replication `seed` of a prepared scenario. */
export function taskFor(prep: Prepared, key: string, seed: number): RunTask {
  return { key, scenario: prep.scenario, file: prep.file, dir: prep.dir ?? process.cwd(), roots: prep.roots, seed, deadline_epoch_ms: commandDeadline() };
}

function unwrap(reply: TaskReply): RunOutput {
  if (reply.ok) return { summary: reply.summary, timeseries: TimeSeries.fromJSON(reply.timeseries), ...(reply.sketches ? { run: runFromSketches(reply.sketches) } : {}) };
  if (reply.user) throw new UserError(reply.message);
  const e = new Error(`in a worker thread: ${reply.message}`);
  if (reply.stack) e.stack = `${e.message}\n(worker) ${reply.stack}`;
  throw e;
}

/**
 * In this thread, one task at a time, in slices of wall time (simulateSliced): between slices the
 * event loop turns, so progress prints and a signal is handled while a run is under way.
 */
class InlineRunner implements Runner {
  readonly jobs = 1;
  private tail: Promise<unknown> = Promise.resolve();
  private readonly stopping = new AbortController();

  run(task: RunTask): Promise<RunOutput> {
    const next = this.tail.then(async () => {
      const prep = preparedFor(task);
      return outputOf(prep, await simulateSliced(prep, task.seed, { signal: this.stopping.signal }), task.sketches === true);
    });
    this.tail = next.catch(() => undefined);
    return next;
  }

  stop(): void {
    this.stopping.abort();
  }

  async close(): Promise<void> {
    await this.tail;
  }
}

const WORKER = new URL('./worker.mjs', import.meta.url).href;

/** A pool of `jobs` worker threads; at most 2 x jobs tasks are handed over at once (bounded memory). */
class PoolRunner implements Runner {
  private readonly pool: Piscina;
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  /** The stop flag every task carries (see RunTask.abort): shared memory, so busy workers see it. */
  private readonly abort = new Int32Array(new SharedArrayBuffer(4));

  constructor(readonly jobs: number) {
    this.pool = new Piscina({ filename: WORKER, minThreads: jobs, maxThreads: jobs, idleTimeout: 60_000 });
  }

  async run(task: RunTask): Promise<RunOutput> {
    if (this.inFlight >= 2 * this.jobs) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.inFlight++;
    try {
      return unwrap((await this.pool.run({ ...task, abort: this.abort })) as TaskReply);
    } finally {
      this.inFlight--;
      this.waiting.shift()?.();
    }
  }

  stop(): void {
    Atomics.store(this.abort, 0, 1);
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}

export function createRunner(jobs: number): Runner {
  return jobs > 1 ? new PoolRunner(jobs) : new InlineRunner();
}

/** Runs `fn` with a runner and always closes it (the worker threads would keep the process alive). */
export async function withRunner<T>(jobs: number, fn: (runner: Runner) => Promise<T>): Promise<T> {
  const runner = createRunner(jobs);
  try {
    return await fn(runner);
  } finally {
    await runner.close();
  }
}
