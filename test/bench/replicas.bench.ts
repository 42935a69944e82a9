// Replicas at fleet scale: the GPU replica's cost when its state is cold in cache, as in the full
// fleet (7,625 replicas), against the same work on 50 replicas (hot). GPT-3-175B TP8 on
// A100-80GB (the default scenario's GPT-4 stand-in), vLLM-style batching (chunked prefill, 256
// sequences, 8,192 tokens, 64 waiting), Poisson arrivals of 2.5 requests/s per replica (over
// capacity, as the fleet at peak), each sent to the less loaded of two random replicas, prompt and
// output lengths from the Azure conversation trace. About 5.5M iterations either way; prints the
// wall time per iteration, and the rounds alternate the two cases (the VM's speed drifts).
// Run: npm run bench:replicas   (-- --rounds N)
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Simulator } from '../../src/engine/sim.ts';
import { stream } from '../../src/engine/random.ts';
import { GpuReplica, type ReplicaListener } from '../../src/fleet/gpu/replica.ts';
import { SlotPool } from '../../src/fleet/gpu/slot-pool.ts';
import { LatencyStats } from '../../src/metrics/latency.ts';
import { getGpu, getModel } from '../../src/perf/lookup.ts';
import { buildStepModel } from '../../src/perf/step.ts';
import { loadTrace } from '../../src/workload/trace.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' } } });
const ROUNDS = Number(values.rounds);
if (!(Number.isInteger(ROUNDS) && ROUNDS >= 1)) throw new Error(`--rounds: expected a positive integer, got ${values.rounds}`);
const RATE_PER_REPLICA_PER_S = 2.5;
const SEED = 1;
/** Replica-seconds simulated in each case: the same work, spread over few or many replicas. */
const REPLICA_S = 1_000_000;

const trace = loadTrace(fileURLToPath(new URL('../../scenarios/data/azure-llm-2023/conv.csv', import.meta.url)), 'conv.csv');
const step = buildStepModel({ model: getModel('gpt-3-175b'), gpu: getGpu('a100-80gb'), tp: 8 });

interface Result {
  replicas: number;
  wall_s: number;
  iterations: number;
  events: number;
  submitted: number;
  completed: number;
}

function run(replicas: number): Result {
  const sim = new Simulator();
  let completed = 0;
  const listener: ReplicaListener = { firstToken() {}, done() { completed++; }, rejected() {} };
  const slots = new SlotPool();
  const itl = new LatencyStats({ rememberRuns: true });
  const reps: GpuReplica[] = [];
  for (let i = 0; i < replicas; i++) {
    const r = new GpuReplica(sim, step, { max_num_seqs: 256, max_batched_tokens: 8192, chunked_prefill: true, block_size_tokens: 16, max_waiting: 64 }, listener, slots);
    r.itl = itl;
    reps.push(r);
  }
  const arrivals = stream(SEED, 'bench:arrivals'), rows = stream(SEED, 'bench:rows'), pick = stream(SEED, 'bench:pick');
  const meanGap_ms = 1000 / (RATE_PER_REPLICA_PER_S * replicas);
  let submitted = 0;
  const arrive = sim.on(() => {
    const row = Math.floor(rows() * trace.length);
    const a = reps[Math.floor(pick() * replicas)], b = reps[Math.floor(pick() * replicas)];
    (a.outstanding <= b.outstanding ? a : b).submit(submitted++, trace.promptTokens[row], trace.outputTokens[row]);
    sim.after(-meanGap_ms * Math.log(1 - arrivals()), arrive);
  });
  sim.at(0, arrive);
  const t0 = performance.now();
  sim.run((REPLICA_S / replicas) * 1000);
  const wall_s = (performance.now() - t0) / 1000;
  let iterations = 0;
  for (const r of reps) iterations += r.stats().iterations;
  return { replicas, wall_s, iterations, events: sim.events, submitted, completed };
}

const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
const ns = (r: Result) => (r.wall_s * 1e9) / r.iterations;
const cold: Result[] = [], hot: Result[] = [];
for (let i = 0; i < ROUNDS; i++) {
  cold.push(run(7_500));
  hot.push(run(50));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`GPT-3-175B TP8 A100-80GB replicas, ${RATE_PER_REPLICA_PER_S} requests/s each (over capacity), ${fmt(REPLICA_S)} replica-seconds per case, ${ROUNDS} rounds`);
for (const [label, rs] of [['7,500 replicas (cold)', cold], ['50 replicas (hot)', hot]] as const) {
  const r = rs[rs.length - 1];
  console.log(
    `${label}: ${rs.map((x) => ns(x).toFixed(0)).join(', ')} ns per iteration (median ${median(rs.map(ns)).toFixed(0)}); ` +
    `${fmt(r.iterations)} iterations, ${fmt(r.events)} events, ${fmt(r.submitted)} requests, ${fmt(r.completed)} completed; ` +
    `median ${fmt(r.submitted / median(rs.map((x) => x.wall_s)))} requests/s, ${fmt(r.events / median(rs.map((x) => x.wall_s)))} events/s`,
  );
}
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB; node ${process.version}`);
