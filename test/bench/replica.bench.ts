// Replica benchmark: one Llama-2-70B replica, TP8 on A100-80GB, vLLM-style continuous batching
// (chunked prefill, max_num_seqs 256, max_batched_tokens 8192), 50,000 requests arriving
// Poisson at 2 requests/s, prompt and output lengths drawn (seeded) from the Azure 2023
// conversation trace, one warm-up run then RUNS (default 5) measured ones. Prints simulated requests
// per wall second (the measured runs' median and best, and the warm-up's), events/s, iterations, peak RSS
// and the latency summary. Then a closed loop at fixed concurrency 8, 64 and 256 shows that the
// wall cost of an iteration does not grow with the batch size.
// With `-- --prefix-caching`, every prompt starts with one of 8 applications' system prompts
// (512 to 4,096 tokens, chosen uniformly, seeded), so the replica's prefix cache is exercised.
// Run: npm run bench:replica   (node --import tsx test/bench/replica.bench.ts)
import { fileURLToPath } from 'node:url';
import { Simulator } from '../../src/engine/sim.ts';
import { stream } from '../../src/engine/random.ts';
import { GpuReplica, VLLM_REPLICA_DEFAULTS, type ReplicaListener } from '../../src/fleet/gpu/replica.ts';
import { replicaUtilisation } from '../../src/fleet/gpu/stats.ts';
import { LatencyStats } from '../../src/metrics/latency.ts';
import { getGpu, getModel } from '../../src/perf/lookup.ts';
import { buildStepModel } from '../../src/perf/step.ts';
import { loadTrace } from '../../src/workload/trace.ts';
import { runReplicaWorkload } from './replica-workload.ts';

const REQUESTS = 50_000;
const RATE_PER_S = 2;
const SEED = 1;
/** Measured runs, after one warm-up run (JIT compilation) that is reported apart and not in the median. */
const RUNS = Number(process.env.RUNS ?? 5);
const PREFIX_CACHING = process.argv.includes('--prefix-caching');
/** System prompt tokens of the 8 applications of the prefix-caching variant. */
const SYSTEM_PROMPT_TOKENS = [512, 1024, 1536, 2048, 2560, 3072, 3584, 4096];

const trace = loadTrace(fileURLToPath(new URL('../../scenarios/data/azure-llm-2023/conv.csv', import.meta.url)), 'conv.csv');
const step = buildStepModel({ model: getModel('llama-2-70b'), gpu: getGpu('a100-80gb'), tp: 8 });

interface RunResult {
  wall_s: number;
  events: number;
  iterations: number;
  sim_s: number;
  ttft: LatencyStats;
  tpot: LatencyStats;
  itl: LatencyStats;
  e2e: LatencyStats;
  replica: GpuReplica;
  completed: number;
}

function runOnce(): RunResult {
  const modules = { Simulator, stream, GpuReplica, VLLM_REPLICA_DEFAULTS, LatencyStats };
  const r = runReplicaWorkload(modules, { requests: REQUESTS, rate_per_s: RATE_PER_S, seed: SEED, step, trace, systemPromptTokens: PREFIX_CACHING ? SYSTEM_PROMPT_TOKENS : undefined });
  const replica = r.replica as GpuReplica;
  return { wall_s: r.wall_s, events: r.sim.events, iterations: replica.stats().iterations, sim_s: r.sim.now_ms / 1000, ttft: r.ttft, tpot: r.tpot, itl: r.itl, e2e: r.e2e, replica, completed: r.completed };
}

const warmup = runOnce();
const results: RunResult[] = [];
let peakRss = process.memoryUsage().rss;
for (let r = 0; r < RUNS; r++) {
  results.push(runOnce());
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}
const byRate = [...results].sort((a, b) => a.wall_s - b.wall_s);
const median = byRate[Math.floor(byRate.length / 2)];
const best = byRate[0];
const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
const ms = (x: number | null) => (x === null ? '-' : x >= 100 ? x.toFixed(0) : x.toFixed(1));
const last = results[results.length - 1];
const u = replicaUtilisation(last.replica.stats(), step, last.replica.kvCapacityTokens, last.sim_s * 1000);

console.log(`Llama-2-70B TP8 A100-80GB, vLLM-style (chunked prefill, 256 seqs, 8192 tokens), ${fmt(REQUESTS)} requests at ${RATE_PER_S}/s, Azure conv trace lengths${PREFIX_CACHING ? ', prefix caching on (8 system prompts of 512-4,096 tokens)' : ''}`);
console.log(`${RUNS} runs after one warm-up run; simulated ${fmt(last.sim_s)} s, ${fmt(last.completed)} completed, ${fmt(last.iterations)} iterations, ${fmt(last.events)} events`);
for (const [label, r] of [['warm-up', warmup], ['median', median], ['best', best]] as const) {
  console.log(`${label}: ${r.wall_s.toFixed(3)} s wall, ${fmt(REQUESTS / r.wall_s)} requests/s, ${fmt(r.events / r.wall_s)} events/s, ${fmt(r.iterations / r.wall_s)} iterations/s`);
}
// resourceUsage().maxRSS is the OS's high-water mark (KiB), sampled rss the value between runs
const maxRss = Math.max(peakRss, process.resourceUsage().maxRSS * 1024);
console.log(`peak RSS ${(maxRss / 2 ** 20).toFixed(0)} MiB (process high-water mark, tsx compiler included); node ${process.version}`);
for (const [name, s] of [['TTFT', last.ttft], ['TPOT', last.tpot], ['ITL', last.itl], ['e2e', last.e2e]] as const) {
  const q = s.summary();
  console.log(`${name.padEnd(5)} ms  p50 ${ms(q.p50)}  p90 ${ms(q.p90)}  p99 ${ms(q.p99)}  p99.9 ${ms(q.p999)}  mean ${ms(q.mean)}  max ${ms(q.max)}`);
}
const st = last.replica.stats();
console.log(
  `replica: busy ${(u.busy_fraction * 100).toFixed(1)}%, mean batch ${u.mean_batch_size.toFixed(1)}, KV ${(u.kv_utilization * 100).toFixed(1)}% ` +
  `(peak ${(st.max_kv_used_tokens / last.replica.kvCapacityTokens * 100).toFixed(1)}%), ${u.output_tokens_per_s.toFixed(0)} output tokens/s, ` +
  `MFU ${(u.mfu * 100).toFixed(1)}%, HBM bandwidth ${(u.bandwidth_utilization * 100).toFixed(1)}%, preemptions ${st.preemptions}` +
    (PREFIX_CACHING ? `, prompt tokens from the prefix cache ${((st.cached_prompt_tokens / (st.cached_prompt_tokens + st.prefill_tokens)) * 100).toFixed(1)}%` : ''),
);

// Per-iteration cost against batch size: a closed loop keeps `concurrency` requests in flight
// (prompt 200, output 1000 tokens, a new request on every completion), 200,000 iterations.
function closedLoop(concurrency: number): { ns_per_iteration: number; mean_batch: number } {
  const sim = new Simulator();
  let replica!: GpuReplica;
  let id = 0;
  const listener: ReplicaListener = {
    firstToken() {},
    done() {
      replica.submit(id++, 200, 1000);
    },
    rejected() {},
  };
  replica = new GpuReplica(sim, step, { ...VLLM_REPLICA_DEFAULTS, max_num_seqs: 256 }, listener);
  for (let k = 0; k < concurrency; k++) replica.submit(id++, 200, 1000);
  const t0 = performance.now();
  sim.run(Infinity, { maxEvents: 200_000 });
  const wall = performance.now() - t0;
  return { ns_per_iteration: (wall * 1e6) / replica.stats().iterations, mean_batch: replica.stats().batch_size_sum / replica.stats().iterations };
}
closedLoop(64); // warm-up
const scaling = [8, 64, 256].map((c) => ({ c, ...closedLoop(c) }));
console.log(`per-iteration wall cost: ${scaling.map((r) => `batch ${r.mean_batch.toFixed(0)}: ${r.ns_per_iteration.toFixed(0)} ns`).join(', ')}`);
