import type { Summary } from '../results/summary.ts';
import { unjudgedReason } from '../results/verdict.ts';

/**
 * The latency figures of a summary under the names of vLLM's benchmark_serving result files
 * (benchmarks/benchmark_serving.py, `--save-result`): for each of ttft, tpot, itl and e2el,
 * mean_<m>_ms, median_<m>_ms and p<q>_<m>_ms (p90, p99, p99.9: benchmark_serving writes a
 * percentile q as p{q}, 99.9 as p99.9), plus request_throughput (req/s), completed and duration.
 * fleetsim's e2e is vLLM's e2el. Figures fleetsim has no data for are null. The whole fleet at
 * the top, each served model under `models` (a benchmark_serving run drives one model). Keys
 * benchmark_serving does not write say whether the figures can be taken as a benchmark's:
 * complete, steady_state (yes, no, unjudged) and fleetsim_warnings (the verdict's warnings).
 */

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => x !== null && typeof x === 'object' && !Array.isArray(x);

/** fleetsim's latency blocks and vLLM's metric names. */
const METRICS: readonly [string, string][] = [['ttft', 'ttft'], ['tpot', 'tpot'], ['itl', 'itl'], ['e2e', 'e2el']];
/** fleetsim's statistic keys and vLLM's prefixes. */
const STATISTICS: readonly [string, string][] = [['mean', 'mean'], ['p50', 'median'], ['p90', 'p90'], ['p99', 'p99'], ['p999', 'p99.9']];

function latencyFigures(latency: unknown): Obj {
  const out: Obj = {};
  for (const [ours, theirs] of METRICS) {
    const block = isObj(latency) ? latency[ours] : undefined;
    for (const [stat, prefix] of STATISTICS) {
      const v = isObj(block) ? block[stat] : undefined;
      out[`${prefix}_${theirs}_ms`] = typeof v === 'number' ? v : null;
    }
  }
  return out;
}

const num = (x: unknown) => (typeof x === 'number' ? x : null);

export function vllmResult(s: Summary): Obj {
  const requests = s.requests;
  const models: Obj = {};
  for (const [name, m] of Object.entries(s.by_model ?? {})) {
    models[name] = { completed: num(m.requests?.completed), output_throughput: num(m.output_tokens_per_s), ...latencyFigures(m.latency_ms) };
  }
  return {
    fleetsim_version: s.fleetsim_version,
    scenario: s.scenario,
    seed: s.seed,
    replications: s.replications,
    // Measured after warm-up, like the figures.
    duration: s.duration_s - s.warmup_s,
    completed: num(requests.completed),
    request_throughput: num(requests.throughput_per_s),
    ...latencyFigures(s.latency_ms),
    ...(Object.keys(models).length > 0 ? { models } : {}),
    // What benchmark_serving's files cannot say, beside figures that look like a measured
    // benchmark: an overloaded run's throughput and p99 describe its length, not the system.
    complete: s.complete,
    steady_state: steadyStateWord(s),
    fleetsim_warnings: vllmWarnings(s),
  };
}

/** The run's steady state in one word: yes, no, unjudged (too short for the trend test), or null (no verdict: a summary of another version). */
function steadyStateWord(s: Summary): 'yes' | 'no' | 'unjudged' | null {
  const verdict = s.verdict as Summary['verdict'] | undefined;
  if (!verdict) return null;
  if (!verdict.steady_state.ok) return 'no';
  return unjudgedReason(s) === undefined ? 'yes' : 'unjudged';
}

/** The verdict's warnings as `code: message`, the lines `run --format vllm` also writes to stderr. */
export function vllmWarnings(s: Summary): string[] {
  return ((s.verdict as Summary['verdict'] | undefined)?.warnings ?? []).map((w) => `${w.code}: ${w.message}`);
}
