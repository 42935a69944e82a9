// Side by side in one process, the replica benchmark's workload: this checkout and another
// (`-- --other DIR`, a git worktree of an older commit with node_modules linked) each load their
// own GpuReplica, step model and latency sketches, then run bench:replica's 50,000 requests
// (Llama-2-70B TP8 on A100-80GB, vLLM defaults, Poisson at 2 requests/s, Azure conversation
// lengths) in alternating rounds, each timed in CPU time of this thread, so both see the same
// phase of a VM whose speed drifts by +-30% over minutes (bench:replica's wall times of 0.1 s
// are mostly that drift). Prints the ratio of the sums (this / other), the median of the
// per-round ratios, and both sides' iteration counts and TTFT sums, which must agree when a
// change is not meant to move results.
// Run: npm run bench:pair-replica -- --other /path/to/other/checkout [--rounds 15]
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runReplicaWorkload } from './replica-workload.ts';

const { values } = parseArgs({
  options: {
    other: { type: 'string' },
    rounds: { type: 'string', default: '15' },
  },
});
if (!values.other) throw new Error('--other DIR: the checkout to compare with is required');
const rounds = Number(values.rounds);
if (!(Number.isInteger(rounds) && rounds >= 1 && rounds <= 1000)) throw new Error('--rounds: expected an integer in [1, 1000]');

const REQUESTS = 50_000;
const RATE_PER_S = 2;
const SEED = 1;

interface Outcome {
  iterations: number;
  ttftSum_ms: number;
}
interface Side {
  name: string;
  runOnce(): Outcome;
  cpu_s: number[];
  outcomes: Outcome[];
}

/** A counter of a replica's stats, read the way that checkout exposes them (a getter before 2026-12-03, a method since). */
function iterationsOf(replica: { stats: unknown }): number {
  const stats = typeof replica.stats === 'function' ? (replica.stats as () => { iterations: number })() : (replica.stats as { iterations: number });
  return stats.iterations;
}

/** Loads a checkout's replica and the modules bench:replica uses, and returns one run of its workload. */
async function load(name: string, root: string): Promise<Side> {
  const at = (file: string) => import(pathToFileURL(resolve(root, file)).href);
  const { Simulator } = await at('src/engine/sim.ts');
  const { stream } = await at('src/engine/random.ts');
  const { GpuReplica, VLLM_REPLICA_DEFAULTS } = await at('src/fleet/gpu/replica.ts');
  const { LatencyStats } = await at('src/metrics/latency.ts');
  const { getGpu, getModel } = await at('src/perf/lookup.ts');
  const { buildStepModel } = await at('src/perf/step.ts');
  const { loadTrace } = await at('src/workload/trace.ts');
  const trace = loadTrace(resolve(root, 'scenarios/data/azure-llm-2023/conv.csv'), 'conv.csv');
  const step = buildStepModel({ model: getModel('llama-2-70b'), gpu: getGpu('a100-80gb'), tp: 8 });
  const modules = { Simulator, stream, GpuReplica, VLLM_REPLICA_DEFAULTS, LatencyStats };
  const runOnce = (): Outcome => {
    const r = runReplicaWorkload(modules, { requests: REQUESTS, rate_per_s: RATE_PER_S, seed: SEED, step, trace });
    return { iterations: iterationsOf(r.replica), ttftSum_ms: r.ttftSum_ms };
  };
  return { name, runOnce, cpu_s: [], outcomes: [] };
}

function timedRun(side: Side): void {
  const before = process.cpuUsage();
  side.outcomes.push(side.runOnce());
  const used = process.cpuUsage(before);
  side.cpu_s.push((used.user + used.system) / 1e6);
}

const here = await load('this', process.cwd());
const other = await load('other', values.other);
// Unmeasured warm-up: two runs each, so the JIT has settled on both sides.
for (let i = 0; i < 2; i++) {
  here.runOnce();
  other.runOnce();
}
for (let k = 0; k < rounds; k++) for (const side of k % 2 === 0 ? [here, other] : [other, here]) timedRun(side);
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const ratios = here.cpu_s.map((c, i) => c / other.cpu_s[i]).sort((a, b) => a - b);
const a = here.outcomes[0], b = other.outcomes[0];
const same = a.iterations === b.iterations && a.ttftSum_ms === b.ttftSum_ms;
const medianOf = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1];
console.log(`replica workload of bench:replica (${REQUESTS.toLocaleString('en-US')} requests), ${rounds} alternating rounds; node ${process.version}`);
console.log(`CPU s: this ${sum(here.cpu_s).toFixed(3)}, other ${sum(other.cpu_s).toFixed(3)}: ratio ${(sum(here.cpu_s) / sum(other.cpu_s)).toFixed(3)}, median round ratio ${ratios[ratios.length >> 1].toFixed(3)}`);
console.log(`median simulated requests per CPU second: this ${Math.round(REQUESTS / medianOf(here.cpu_s)).toLocaleString('en-US')}, other ${Math.round(REQUESTS / medianOf(other.cpu_s)).toLocaleString('en-US')}`);
console.log(`iterations: this ${a.iterations}, other ${b.iterations}; TTFT sum: this ${a.ttftSum_ms.toFixed(3)} ms, other ${b.ttftSum_ms.toFixed(3)} ms${same ? ' (identical)' : ' (DIFFERENT)'}`);
