// Replication memory benchmark: how much the heap grows per replication, on the three paths that
// run replications (in this thread, in slices as `fleetsim run` does, and on worker threads). After
// each replication it forces a GC and reads heapUsed + external + arrayBuffers; the growth per
// replication is the least-squares slope over the second half of the replications (the first ones
// warm up code and caches). Aggregating as the replications complete keeps the slope near zero;
// keeping every replication's summary costs the summary's size per replication.
// Run: node --expose-gc --import tsx test/bench/replication-memory.bench.ts [--replications N] [--fleet]
import { join } from 'node:path';
import { loadScenario } from '../../src/scenario/load.ts';
import { prepare } from '../../src/scenario/prepare.ts';
import { runReplications, runReplicationsJobs } from '../../src/experiment/replications.ts';
import { runReplicationsSliced, type Progress } from '../../src/cli/progress.ts';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const argAt = process.argv.indexOf('--replications');
const REPLICATIONS = argAt > 0 ? Number(process.argv[argAt + 1]) : 200;
const FLEET = process.argv.includes('--fleet');
const REPO = join(import.meta.dirname, '../..');
const prep = FLEET
  ? prepare(loadScenario(join(REPO, 'scenarios/openai-2024.yaml'), ['duration_s=4', 'warmup_s=1']))
  : prepare(loadScenario(join(REPO, 'scenarios/mmc-example.yaml'), ['duration_s=20', 'warmup_s=2']));

function used_bytes(): number {
  gc!();
  const m = process.memoryUsage();
  return m.heapUsed + m.external + m.arrayBuffers;
}

/** Least-squares slope of bytes against replication index over the second half of the samples. */
function slope_bytes(samples: readonly number[]): number {
  const xs = samples.map((_, i) => i).slice(Math.floor(samples.length / 2));
  const ys = samples.slice(Math.floor(samples.length / 2));
  const mx = xs.reduce((a, x) => a + x, 0) / xs.length;
  const my = ys.reduce((a, y) => a + y, 0) / ys.length;
  let sxy = 0;
  let sxx = 0;
  for (let k = 0; k < xs.length; k++) (sxy += (xs[k] - mx) * (ys[k] - my)), (sxx += (xs[k] - mx) ** 2);
  return sxy / sxx;
}

/** A progress sink that samples memory each time a new replication starts reporting. */
function samplingProgress(samples: number[]): Progress {
  let current = -1;
  return {
    start: () => {},
    stop: () => {},
    update: (_done: number, _now: number, _duration: number, rep: number) => {
      if (rep !== current) (current = rep), samples.push(used_bytes());
    },
  } as unknown as Progress;
}

function report(path: string, samples: readonly number[], wall_s: number): void {
  const kb = slope_bytes(samples) / 1024;
  const total_mb = (samples[samples.length - 1] - samples[0]) / 1024 ** 2;
  console.log(`${path.padEnd(34)} ${kb.toFixed(2).padStart(8)} KB per replication   first-to-last ${total_mb.toFixed(2).padStart(7)} MB   (${samples.length} samples, ${wall_s.toFixed(1)} s)`);
}

console.log(`${FLEET ? 'openai-2024, duration_s=4' : 'mmc-example, duration_s=20'}: ${REPLICATIONS} replications, Node ${process.version}`);
let samples: number[] = [];
let t0 = performance.now();
runReplications(prep, 1, REPLICATIONS, () => samples.push(used_bytes()));
report('runReplications (this thread)', samples, (performance.now() - t0) / 1000);

samples = [];
t0 = performance.now();
await runReplicationsSliced(prep, 1, REPLICATIONS, { progress: samplingProgress(samples) });
report('runReplicationsSliced (fleetsim run)', samples, (performance.now() - t0) / 1000);

samples = [];
t0 = performance.now();
await runReplicationsJobs(prep, 1, REPLICATIONS, 2, { onDone: () => samples.push(used_bytes()) });
report('runReplicationsJobs, 2 jobs', samples, (performance.now() - t0) / 1000);
