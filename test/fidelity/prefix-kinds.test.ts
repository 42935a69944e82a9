import { describe, expect, it } from 'vitest';
import { parseCorpus, type CorpusColumn, type CorpusRow } from '../../src/fidelity/corpus.ts';
import { predictRows, profileFor, resolveRow, runPlanFor, type Prediction } from '../../src/fidelity/predict.ts';
import { repeatedPromptKeys, simulate, type RunSpec } from '../../src/fidelity/run.ts';
import { formatPossibleCachedSweeps, possibleCachedSweeps } from '../../src/fidelity/sweeps.ts';
import { getGpu, getModel } from '../../src/perf/lookup.ts';
import { buildStepModel } from '../../src/perf/step.ts';
import { baseCells, csvText } from './helpers.ts';

/**
 * The corpus's prefix-cache figures: `repeat-K` lengths (every prompt sent K times, as vLLM's
 * benchmark_prefix_caching.py --repeat-count does), the `hit_rate` kind (prompt tokens found in
 * the cache over prompt tokens) and the `throughput_ratio` kind (offline throughput with the
 * cache's hits over the same run without them).
 */

const row = (over: Partial<Record<CorpusColumn, string>>): CorpusRow => parseCorpus(csvText([baseCells(over)]), 'synthetic.csv')[0];
const refusal = (over: Partial<Record<CorpusColumn, string>>): string => {
  try {
    row(over);
  } catch (e) {
    return (e as Error).message;
  }
  return 'accepted';
};
const value = (p: Prediction): number => {
  if (p.status !== 'predicted') throw new Error(`not evaluated: ${p.reason}`);
  return p.value;
};

const step = buildStepModel({ model: getModel('llama-2-7b'), gpu: getGpu('a100-80gb'), tp: 1, dtype: 'fp16' });
const P = 368, O = 10, N = 400;
const BLOCK = 16;
function run(arrivals: RunSpec['arrivals'], repeat: number) {
  return simulate({
    step, max_num_seqs: 256, scheduler: { max_batched_tokens: 8192, chunked_prefill: true }, arrivals,
    lengths: { prompt_tokens: P, output_tokens: O, law: 'fixed', max_context: 4096, repeat_count: repeat },
    requests: N, warmup: 0, measured: N, seed: 3, max_wall_ms: 60_000,
  });
}

describe('repeat-K: every distinct prompt sent K times, in a seeded random order', () => {
  it('gives each of ceil(n / K) prompts K copies (the last fewer), the same order for the same seed', () => {
    const keys = repeatedPromptKeys(11, 2, 5)!;
    const counts = new Map<number, number>();
    for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5]);
    expect([...counts.values()].filter((c) => c === 2)).toHaveLength(5);
    expect(counts.get(5)).toBe(1);
    expect(repeatedPromptKeys(11, 2, 5)).toEqual(keys);
    expect([...keys]).not.toEqual([...keys].sort((a, b) => a - b)); // shuffled, as the benchmark shuffles
    expect(repeatedPromptKeys(11, 1, 5)).toBeNull();
  });

  it('one request at a time: every second copy finds its twin\'s full blocks short of the last token', () => {
    const r = run({ kind: 'closed', concurrency: 1 }, 2);
    expect(r.completed_measured).toBe(N);
    // every prompt token is counted once, prefilled or found in the cache
    expect(r.prompt_tokens).toBe(N * P);
    const reused = Math.floor((P - 1) / BLOCK) * BLOCK;
    expect(r.cached_prompt_tokens).toBe((N / 2) * reused);
  });

  it('all at once: no more reuse than that, and some (a copy admitted after its twin\'s prefill)', () => {
    const r = run({ kind: 'burst' }, 2);
    expect(r.prompt_tokens).toBe(N * P);
    expect(r.cached_prompt_tokens).toBeLessThanOrEqual((N / 2) * Math.floor((P - 1) / BLOCK) * BLOCK);
    expect(r.cached_prompt_tokens).toBeGreaterThan(0);
    expect(run({ kind: 'burst' }, 1).cached_prompt_tokens).toBe(0);
  });
});

describe('-cached-prompts: every prompt in the engine\'s prefix cache before the run (an earlier run of a sweep sent them)', () => {
  // 40 prompts' blocks fit in the KV cache beside the run's own (400 would not: the first would be
  // evicted by the last before the run reached them, as an engine's LRU cache does)
  const M = 40;
  const cachedRun = (arrivals: RunSpec['arrivals'], cached: boolean, law: 'fixed' | 'geometric' = 'fixed') => simulate({
    step, max_num_seqs: 256, scheduler: { max_batched_tokens: 8192, chunked_prefill: true }, arrivals,
    lengths: { prompt_tokens: P, output_tokens: O, law, max_context: 4096, cached_prompts: cached ? M : 0 },
    requests: M, warmup: 0, measured: M, seed: 3, max_wall_ms: 60_000,
  });

  it('one request at a time: every request finds its whole prompt cached short of the last partial block', () => {
    const r = cachedRun({ kind: 'closed', concurrency: 1 }, true);
    expect(r.completed_measured).toBe(M);
    // the window holds the run's own requests only: the primers before it are not counted
    expect(r.prompt_tokens).toBe(M * P);
    expect(r.cached_prompt_tokens).toBe(M * Math.floor((P - 1) / BLOCK) * BLOCK);
    // a lone request's first token: one step of its last block's tokens instead of its whole prompt
    const cold = cachedRun({ kind: 'closed', concurrency: 1 }, false);
    const mean = (a: Float64Array) => a.reduce((x, y) => x + y, 0) / a.length;
    expect(cold.cached_prompt_tokens).toBe(0);
    const prefillMs = (tokens: number) => step.stepTimeMs(tokens, (tokens * tokens) / 2, 0, 0);
    expect(mean(cold.ttft_ms) - mean(r.ttft_ms)).toBeGreaterThan(0.5 * (prefillMs(P) - prefillMs(P - Math.floor((P - 1) / BLOCK) * BLOCK)));
  });

  it('the run repeats its primers\' drawn lengths, so drawn lengths are cached too, and the same seed gives the same run', () => {
    const r = cachedRun({ kind: 'poisson', rate_per_s: 4 }, true, 'geometric');
    expect(r.completed_measured).toBe(M);
    // every prompt of at least two blocks is found cached but for its last partial block
    expect(r.cached_prompt_tokens / r.prompt_tokens).toBeGreaterThan(0.85);
    expect(cachedRun({ kind: 'poisson', rate_per_s: 4 }, true, 'geometric')).toEqual(r);
  });

  it('is read from a row\'s lengths cell after any other suffix, and refused without num_requests or after repeat-K', () => {
    const cached = row({ kind: 'serving_ttft', batch: '', request_rate_per_s: '2', num_requests: '200', lengths: 'sharegpt-fixed-output-cached-prompts' });
    expect([cached.lengths, cached.prompts_cached]).toEqual(['sharegpt-fixed-output', true]);
    expect(row({ kind: 'serving_ttft', batch: '', request_rate_per_s: '2', num_requests: '200', lengths: 'sharegpt' }).prompts_cached).toBe(false);
    expect(refusal({ kind: 'serving_ttft', batch: '', request_rate_per_s: '2', lengths: 'sharegpt-cached-prompts' })).toBe(
      'synthetic.csv:2: lengths: expected -cached-prompts only with num_requests (the prompts the earlier run sent), got "sharegpt-cached-prompts"');
    expect(refusal({ kind: 'serving_ttft', batch: '', request_rate_per_s: '2', num_requests: '200', lengths: 'repeat-2-cached-prompts' })).toMatch(/^synthetic\.csv:2: lengths: expected -cached-prompts after a dataset or fixed lengths, not after repeat-2/);
    expect(refusal({ kind: 'serving_ttft', batch: '', request_rate_per_s: '2', num_requests: '200', lengths: 'sharegpt-cached-prompts-cached-prompts' })).toBe(
      'synthetic.csv:2: lengths: expected -cached-prompts once, got "sharegpt-cached-prompts-cached-prompts"');
    const resolved = resolveRow(cached, profileFor(cached, {}));
    if (typeof resolved === 'string') throw new Error(resolved);
    expect(runPlanFor(cached, resolved.model, resolved.step, resolved.gpu, {}).spec.lengths.cached_prompts).toBe(200);
  });
});

describe('fidelity names load sweeps on vLLM V1 that may have run on cached prompts', () => {
  const sweepRow = (id: string, over: Partial<Record<CorpusColumn, string>>) => row({
    id, kind: 'serving_ttft', batch: '', request_rate_per_s: '2', num_requests: '200', stack: 'vllm', stack_version: '0.8.5', lengths: 'sharegpt', ...over,
  });

  it('lists a configuration measured at two rates, not one said to be cached, one of one rate, or an engine that does not cache by default', () => {
    const sweep = [sweepRow('s-1', {}), sweepRow('s-4', { request_rate_per_s: '4' }), sweepRow('s-4-tpot', { request_rate_per_s: '4', kind: 'serving_tpot' })];
    expect(possibleCachedSweeps(sweep)).toEqual([{ configuration: expect.stringContaining('vllm 0.8.5, a100-80gb, llama-2-7b, tp 1, fp16, sharegpt, 200 requests') as unknown as string, points: ['2', '4'], rows: 3 }]);
    expect(possibleCachedSweeps([sweep[0], sweepRow('s-4c', { request_rate_per_s: '4', lengths: 'sharegpt-cached-prompts' })])).toEqual([]);
    expect(possibleCachedSweeps([sweep[0], sweepRow('s-2b', { kind: 'serving_tpot' })])).toEqual([]);
    // vLLM 0.6 (V0: prefix caching off by default) and a steady-state reading (no run length) are not sweeps of a seeded set
    expect(possibleCachedSweeps([sweepRow('v0-1', { stack_version: '0.6.0' }), sweepRow('v0-4', { stack_version: '0.6.0', request_rate_per_s: '4' })])).toEqual([]);
    expect(possibleCachedSweeps([sweepRow('n-1', { num_requests: '' }), sweepRow('n-4', { num_requests: '', request_rate_per_s: '4' })])).toEqual([]);
    expect(formatPossibleCachedSweeps(possibleCachedSweeps(sweep))[0]).toMatch(/^sweeps: 1 configuration \(3 rows\) measured at several loads on vLLM's V1 engine/);
  });
});

describe('hit_rate and throughput_ratio rows', () => {
  const offline = { batch: '', num_requests: String(N), prompt_tokens: String(P), output_tokens: String(O) };

  it('hit_rate is the run\'s cached prompt tokens over its prompt tokens', () => {
    const hitRow = row({ ...offline, kind: 'hit_rate', unit: 'fraction', value: '0.4', lengths: 'repeat-2' });
    const [hit] = predictRows([hitRow]).map(value);
    // the run the row describes: offline, every prompt twice, the row's engine profile
    const resolved = resolveRow(hitRow, profileFor(hitRow, {}));
    if (typeof resolved === 'string') throw new Error(resolved);
    const plan = runPlanFor(hitRow, resolved.model, resolved.step, resolved.gpu, {});
    expect(plan.spec.arrivals.kind).toBe('burst');
    expect(plan.spec.lengths.repeat_count).toBe(2);
    const r = simulate(plan.spec);
    expect(hit).toBeCloseTo(r.cached_prompt_tokens / r.prompt_tokens, 12);
  });

  it('throughput_ratio is 1 when nothing is shared, and above 1 when copies reuse their twins', () => {
    const [none, repeated] = predictRows([
      row({ ...offline, id: 'synthetic-none', kind: 'throughput_ratio', unit: 'ratio', value: '1', lengths: 'sharegpt' }),
      row({ ...offline, id: 'synthetic-rep', kind: 'throughput_ratio', unit: 'ratio', value: '1.5', lengths: 'repeat-2' }),
    ]).map(value);
    expect(none).toBe(1);
    expect(repeated).toBeGreaterThan(1.1);
  });

  it('refuses a repeat count below 2, a hit rate above 1 and units that do not go with the kinds', () => {
    expect(refusal({ ...offline, kind: 'throughput', unit: 'output_tok_s', lengths: 'repeat-1' })).toMatch(/lengths: expected repeat-K with K >= 2/);
    expect(refusal({ ...offline, kind: 'hit_rate', unit: 'fraction', value: '1.5', lengths: 'repeat-2' })).toMatch(/value: expected a hit rate as a fraction in \(0, 1\]/);
    expect(refusal({ ...offline, kind: 'hit_rate', unit: 'ratio', value: '0.5' })).toMatch(/unit: expected fraction for kind hit_rate/);
    expect(refusal({ ...offline, kind: 'throughput_ratio', unit: 'fraction', value: '0.5' })).toMatch(/unit: expected ratio for kind throughput_ratio/);
    expect(refusal({ ...offline, kind: 'hit_rate', unit: 'fraction', value: '0.5', request_rate_per_s: '2' })).toMatch(/request_rate_per_s: expected blank/);
  });
});
