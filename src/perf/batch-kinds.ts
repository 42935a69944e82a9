import type { SchedulerDefaults } from './calibration.ts';
import { sequenceKvTokens, windowKvTokens, type StepModel } from './step.ts';

/**
 * Closed forms for measurements of a static batch or an offline run on one replica: what
 * latency benchmarks (vLLM benchmark_latency, TensorRT-LLM latency tables, Splitwise) and
 * throughput benchmarks (trtllm-bench, vLLM benchmark_throughput) report. Serving at a request
 * rate needs queueing and is simulated instead (src/fidelity/).
 */
export type BatchKind = 'prefill' | 'decode' | 'latency' | 'throughput';

export interface BatchWorkload {
  readonly kind: BatchKind;
  /** static batch, or the most requests running at once (undefined: the engine's max_num_seqs) */
  readonly batch?: number;
  /** offline runs: requests submitted at once (undefined: many) */
  readonly numRequests?: number;
  readonly prompt_tokens: number;
  readonly output_tokens: number;
  /** throughput: output tokens/s, or prompt + output tokens/s */
  readonly throughputTokens?: 'output' | 'total';
}

/**
 * Prompts of `batch` requests processed together: in chunks of the token budget when chunked
 * prefill is on (the total attention work is the same, spread over the chunks), plus the
 * requests' own fixed cost. The value is the time to the batch's first tokens (ms).
 */
export function prefillMs(m: StepModel, s: SchedulerDefaults, batch: number, prompt_tokens: number): number {
  const tokens = batch * prompt_tokens;
  const pairs = batch * prompt_tokens * prompt_tokens / 2;
  const budget = s.chunked_prefill ? s.max_batched_tokens : Math.max(s.max_batched_tokens, prompt_tokens);
  const steps = Math.max(1, Math.ceil(tokens / budget));
  return m.requestOverheadMs + steps * m.stepTimeMs(tokens / steps, pairs / steps, 0, 0);
}

/** One decode step of `batch` sequences at the mean context of their generation (ms). */
export function decodeStepMs(m: StepModel, batch: number, prompt_tokens: number, output_tokens: number): number {
  return m.stepTimeMs(0, 0, batch, batch * (prompt_tokens + output_tokens / 2));
}

/**
 * Offline throughput with continuous batching. In steady state every iteration decodes C
 * sequences and, amortised, prefills the prompts of the C/O sequences that finish per iteration.
 * C is the smallest of the batch limit, what the KV cache holds at the sequences' mean length
 * (P + O/2), and what the token budget feeds (C (P + O)/O tokens per iteration at most). A run of
 * fewer than 2C requests is a few static waves instead.
 */
export function throughputTokensPerS(m: StepModel, s: SchedulerDefaults, w: BatchWorkload): number {
  const P = w.prompt_tokens, O = w.output_tokens;
  const concurrency = steadyConcurrency(m, s, P, O, w.batch);
  const share = w.throughputTokens === 'total' ? (P + O) / O : 1;
  const n = w.numRequests ?? Infinity;
  if (n < 2 * concurrency) {
    const waves = Math.ceil(n / concurrency);
    const perWave = Math.ceil(n / waves);
    const waveMs = prefillMs(m, s, perWave, P) - m.requestOverheadMs + (O - 1) * decodeStepMs(m, perWave, P, O);
    return share * n * O * 1000 / (waves * waveMs);
  }
  const newPerStep = concurrency / O;
  const stepMs = m.stepTimeMs(newPerStep * P, newPerStep * P * P / 2, concurrency, concurrency * (P + O / 2));
  return share * concurrency * 1000 / stepMs;
}

/**
 * Sequences running at once in steady state: the batch limit, the KV cache or the token budget.
 * The cache holds sequences at their mean length (P + O/2) when blocks are taken on demand, at
 * their whole length (P + O) when admission reserves the output (TensorRT-LLM's GUARANTEED_NO_EVICT).
 */
export function steadyConcurrency(m: StepModel, s: SchedulerDefaults, prompt_tokens: number, output_tokens: number, batch?: number): number {
  const limit = batch ?? s.max_num_seqs;
  const own = prompt_tokens + (s.kv_admission === 'reserve-output' ? output_tokens : output_tokens / 2);
  // where every layer slides, at most the window, held from admission as the replica does (sequenceKvTokens)
  const footprint = m.kvTokensPerSequenceBound > 0 ? sequenceKvTokens(m, prompt_tokens + output_tokens) : own + windowKvTokens(m, prompt_tokens + output_tokens);
  const kvLimit = Math.floor(m.kvCapacityTokens / footprint);
  const budgetLimit = s.chunked_prefill ? Math.floor(s.max_batched_tokens * output_tokens / (prompt_tokens + output_tokens)) : Infinity;
  return Math.max(1, Math.min(limit, kvLimit, budgetLimit));
}

export function predictBatch(m: StepModel, s: SchedulerDefaults, w: BatchWorkload): number {
  const batch = w.batch ?? 1;
  switch (w.kind) {
    case 'prefill': return prefillMs(m, s, batch, w.prompt_tokens);
    case 'decode': return decodeStepMs(m, batch, w.prompt_tokens, w.output_tokens);
    case 'latency':
      return prefillMs(m, s, batch, w.prompt_tokens) + Math.max(0, w.output_tokens - 1) * decodeStepMs(m, batch, w.prompt_tokens, w.output_tokens);
    case 'throughput': return throughputTokensPerS(m, s, w);
  }
}
