import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCorpus, type CorpusColumn, type CorpusRow } from '../../src/fidelity/corpus.ts';
import { CLIENT_GAP_MS, lengthDataset, lengthLaw, outputLengthLaw, predictRow, rangeRatio, predictRows, withEngineArgs, type Prediction } from '../../src/fidelity/predict.ts';
import { lengthSampler, simulate } from '../../src/fidelity/run.ts';
import { datasetLengths, parseLengths } from '../../src/fidelity/dataset-lengths.ts';
import { getGpu, getModel } from '../../src/perf/lookup.ts';
import { ENGINE_PROFILES } from '../../src/perf/profiles.ts';
import { buildStepModel } from '../../src/perf/step.ts';
import { baseCells, csvText } from './helpers.ts';

/** One synthetic row (a valid decode row changed by `over`), read through the loader. */
function row(over: Partial<Record<CorpusColumn, string>>): CorpusRow {
  return parseCorpus(csvText([baseCells(over)]), 'synthetic.csv')[0];
}

function value(p: Prediction): number {
  if (p.status !== 'predicted') throw new Error(`not evaluated: ${p.reason}`);
  return p.value;
}

// Llama-2-7B on one A100-80GB, fp16: the configuration of the hand computations below, under the
// synthetic rows' profile (vLLM 0.6.0: vllm-0.6)
const step = buildStepModel({ model: getModel('llama-2-7b'), gpu: getGpu('a100-80gb'), tp: 1, dtype: 'fp16', calibration: ENGINE_PROFILES['vllm-0.6'] });
/** One iteration of b prompts (within the 8,192-token budget) plus the requests' own fixed cost. */
const prefillByHand = (b: number, p: number) => step.requestOverheadMs + step.stepTimeMs(b * p, (b * p * p) / 2, 0, 0);
/** Decode steps after the prefill: o - 1 of them, the j-th (from 0) reading p + j tokens per sequence. */
function decodeSumByHand(b: number, p: number, o: number): number {
  let sum = 0;
  for (let j = 0; j < o - 1; j++) sum += step.stepTimeMs(0, 0, b, b * (p + j));
  return sum;
}
const relErr = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('batch-level kinds: the step model, summed by hand', () => {
  const B = 8, P = 512, O = 128;
  const cells = { batch: String(B), prompt_tokens: String(P), output_tokens: String(O) };

  it('prefill is one iteration of B prompts', () => {
    expect(value(predictRow(row({ ...cells, kind: 'prefill' })))).toBeCloseTo(prefillByHand(B, P), 9);
    expect(step.requestOverheadMs).toBeGreaterThan(0);
  });

  it('decode is the mean of the o - 1 decode steps as the context grows', () => {
    // predicted as the step at the mean context; the step time is linear in context, so the two agree
    expect(relErr(value(predictRow(row({ ...cells, kind: 'decode' }))), decodeSumByHand(B, P, O) / (O - 1))).toBeLessThan(1e-3);
  });

  it('latency is prefill + (o - 1) decode steps of the static batch', () => {
    const byHand = prefillByHand(B, P) + decodeSumByHand(B, P, O);
    expect(relErr(value(predictRow(row({ ...cells, kind: 'latency' }))), byHand)).toBeLessThan(1e-3);
  });
});

describe('offline throughput on one simulated replica', () => {
  it('at a fixed batch with fixed lengths equals the closed form B*o / (prefill(B) + decode steps)', () => {
    // 4 waves of 16 requests: B*P = 4096 tokens fit one iteration's budget, so each wave is one
    // prefill iteration and o - 1 decode iterations, and all 16 finish together
    const B = 16, P = 256, O = 128, N = 4 * B;
    // a wave's GPU time: the requests' fixed cost is not GPU time
    const wave_ms = prefillByHand(B, P) - step.requestOverheadMs + decodeSumByHand(B, P, O);
    const cells = { kind: 'throughput', batch: String(B), num_requests: String(N), prompt_tokens: String(P), output_tokens: String(O) };
    const out = value(predictRow(row({ ...cells, unit: 'output_tok_s' })));
    expect(relErr(out, (B * O * 1000) / wave_ms)).toBeLessThan(0.02);
    const total = value(predictRow(row({ ...cells, unit: 'total_tok_s' })));
    expect(relErr(total, (B * (P + O) * 1000) / wave_ms)).toBeLessThan(0.02);
  });

  it('notes a request count above the bound', () => {
    const p = predictRow(row({ kind: 'throughput', unit: 'output_tok_s', batch: '', num_requests: '100000' }), { maxOfflineRequests: 300 });
    expect(p.status === 'predicted' && p.notes).toContain('simulated 300 of the 100000 requests');
  });
});

describe('serving on one simulated replica', () => {
  it('at a tiny request rate: TTFT -> one prefill, TPOT -> the batch-1 decode step, e2e -> their sum', () => {
    const P = 512, O = 128;
    const cells = { batch: '', request_rate_per_s: '0.01', prompt_tokens: String(P), output_tokens: String(O) };
    const rows = (['serving_ttft', 'serving_tpot', 'serving_e2e'] as const).map((kind, i) => row({ ...cells, id: `synthetic-${i}`, kind }));
    const [ttft, tpot, e2e] = predictRows(rows).map(value);
    expect(relErr(ttft, prefillByHand(1, P))).toBeLessThan(0.02);
    expect(relErr(tpot, decodeSumByHand(1, P, O) / (O - 1))).toBeLessThan(0.02);
    expect(relErr(e2e, prefillByHand(1, P) + decodeSumByHand(1, P, O))).toBeLessThan(0.02);
  });

  it('rows predicted together read as each does alone: rows that differ only in their expert-parallel degree do not share a run', () => {
    // Mixtral 8x7B at TP 2 on H100: EP 2 moves the experts' traffic to an all-to-all, so the two
    // configurations' steps differ; predicted alone (a fresh run cache each), the slow reference
    const cells = { stack: 'vllm', stack_version: '0.10.0', gpu: 'h100-80gb', model: 'mixtral-8x7b', tp: '2', batch: '', request_rate_per_s: '1', num_requests: '60', kind: 'serving_tpot' };
    const rows = [row({ ...cells, id: 'synthetic-ep1', ep: '1' }), row({ ...cells, id: 'synthetic-ep2', ep: '2' })];
    const alone = rows.map((r) => value(predictRow(r)));
    expect(alone[0]).not.toBeCloseTo(alone[1], 3);
    expect(predictRows(rows).map(value)).toEqual(alone);
    expect(predictRows([...rows].reverse()).map(value)).toEqual([...alone].reverse());
  });

  it("obeys Little's law: mean in flight = arrival rate x mean e2e", () => {
    const rate_per_s = 4;
    const run = simulate({
      step, max_num_seqs: 256, scheduler: { max_batched_tokens: 8192, chunked_prefill: true }, arrivals: { kind: 'poisson', rate_per_s },
      lengths: { prompt_tokens: 512, output_tokens: 128, law: 'geometric', max_context: 4096 },
      requests: 5_000, warmup: 200, measured: 4_000, seed: 7, max_wall_ms: 60_000,
    });
    expect(run.completed_measured).toBe(4_000);
    const meanE2e_s = run.e2e_ms.reduce((a, b) => a + b, 0) / run.e2e_ms.length / 1000;
    // the window runs from the first measured submission to the first one after them: 4,000 arrivals
    const observedRate_per_s = 4_000 / (run.window_ms / 1000);
    expect(run.mean_in_flight).toBeGreaterThan(5); // a real queue, not an idle replica
    expect(relErr(run.mean_in_flight, observedRate_per_s * meanE2e_s)).toBeLessThan(0.03);
    expect(relErr(run.mean_in_flight, rate_per_s * meanE2e_s)).toBeLessThan(0.05);
  });

  it('a closed loop keeps its concurrency in flight, and completes concurrency / mean e2e requests per second', () => {
    const c = 12;
    const cells = { batch: String(c), prompt_tokens: '300', output_tokens: '100', lengths: 'sharegpt' };
    const [rps, e2e] = predictRows([
      row({ ...cells, id: 'synthetic-rps', kind: 'serving_throughput', unit: 'req_s' }),
      row({ ...cells, id: 'synthetic-e2e', kind: 'serving_e2e' }),
    ]).map(value);
    expect(relErr(rps, c / (e2e / 1000))).toBeLessThan(0.05);
    const run = simulate({
      step, max_num_seqs: 256, scheduler: { max_batched_tokens: 8192, chunked_prefill: true }, arrivals: { kind: 'closed', concurrency: c },
      lengths: { prompt_tokens: 300, output_tokens: 100, law: 'geometric', max_context: 4096 },
      requests: 2_000, warmup: 200, measured: 1_000, seed: 1, max_wall_ms: 60_000,
    });
    // each client's cycle is its request in the engine, then the stack's request cost before the
    // next one reaches it (run.ts startArrivals): the engine holds c x engine time / cycle of them
    const meanE2e_ms = run.e2e_ms.reduce((a, b) => a + b, 0) / run.e2e_ms.length;
    const engine_ms = meanE2e_ms - step.requestOverheadMs;
    expect(step.requestOverheadMs).toBeGreaterThan(0);
    expect(relErr(run.mean_in_flight, (c * engine_ms) / meanE2e_ms)).toBeLessThan(0.01);
  });

  // A closed loop's client gap (CLIENT_GAP_MS, docs/step-model.md "Closed loops loosen"): requests
  // alike to the token keep a deterministic loop in lock-step; the client's jitter loosens it.
  const closedLoop = (concurrency: number, client_gap_ms: number, output_tokens: number) => simulate({
    step, max_num_seqs: 256, scheduler: { max_batched_tokens: 40_960, chunked_prefill: true }, arrivals: { kind: 'closed', concurrency, client_gap_ms },
    lengths: { prompt_tokens: 200, output_tokens, law: 'fixed', max_context: 4096 },
    requests: 3_000, warmup: 1_000, measured: 1_000, seed: 1, max_wall_ms: 60_000,
  });
  const mean = (a: Float64Array) => a.reduce((x, y) => x + y, 0) / a.length;

  it('a closed loop of equal requests stays in lock-step without a client gap, and loosens with one', () => {
    const locked = closedLoop(16, 0, 200), loose = closedLoop(16, CLIENT_GAP_MS, 200);
    // without a gap every wave's prompts share their iterations: a couple of first-token times
    expect(new Set(Array.from(locked.ttft_ms, (v) => v.toFixed(3))).size).toBeLessThanOrEqual(3);
    expect(new Set(Array.from(loose.ttft_ms, (v) => v.toFixed(3))).size).toBeGreaterThan(500);
    expect(mean(loose.ttft_ms)).toBeLessThan(0.95 * mean(locked.ttft_ms));
    for (const bad of [-1, NaN, Infinity]) expect(() => closedLoop(2, bad, 10)).toThrow(RangeError);
  });

  it('counts a client gap in no latency: one client sees the same first tokens, and completes 1 / (e2e + gap) requests per second', () => {
    const gap_ms = 50;
    const without = closedLoop(1, 0, 100), withGap = closedLoop(1, gap_ms, 100);
    expect(mean(withGap.ttft_ms)).toBeCloseTo(mean(without.ttft_ms), 9);
    expect(mean(withGap.e2e_ms)).toBeCloseTo(mean(without.e2e_ms), 9);
    const rate_per_s = withGap.output_tokens / 100 / (withGap.window_ms / 1000);
    // the 1,000 gaps' sample mean strays from 50 ms by about its standard error, 1.6 ms: 0.1% of a cycle
    expect(relErr(rate_per_s, 1000 / (mean(withGap.e2e_ms) + gap_ms))).toBeLessThan(0.01);
  });

  it('per request, e2e = TTFT + (o - 1) TPOT, so the means agree with fixed lengths', () => {
    const cells = { batch: '', request_rate_per_s: '3', prompt_tokens: '512', output_tokens: '200', num_requests: '400' };
    const [ttft, tpot, e2e] = predictRows((['serving_ttft', 'serving_tpot', 'serving_e2e'] as const)
      .map((kind) => row({ ...cells, id: `synthetic-${kind}`, kind }))).map(value);
    expect(e2e).toBeCloseTo(ttft + 199 * tpot, 6);
  });

  it('flags a run whose latency keeps rising (offered load above capacity) as not steady', () => {
    const p = predictRow(row({ kind: 'serving_ttft', batch: '', request_rate_per_s: '500' }));
    expect(p.status).toBe('predicted');
    expect(p.status === 'predicted' && p.steady).toBe(false);
    expect(p.status === 'predicted' && p.notes.join(' ')).toMatch(/not steady: \d+ more requests in flight/);
    const light = predictRow(row({ kind: 'serving_ttft', batch: '', request_rate_per_s: '1' }));
    expect(light.status === 'predicted' && light.steady).toBe(true);
  });

  it('is deterministic for a seed', () => {
    const r = row({ kind: 'serving_itl', statistic: 'p99', batch: '', request_rate_per_s: '4', lengths: 'sharegpt' });
    expect(predictRow(r, { seed: 3 })).toEqual(predictRow(r, { seed: 3 }));
  });
});

describe('finite runs: the spread of their samples (sampleSeeds)', () => {
  const burst = { kind: 'throughput', unit: 'output_tok_s', statistic: 'mean', batch: '', num_requests: '200', prompt_tokens: '220', output_tokens: '190', value: '3000' };
  const spread = { sampleSeeds: 5 };

  it('a burst of drawn lengths is read with five seeds of them: the range holds the first seed\'s figure, which stays the prediction', () => {
    const r = row({ ...burst, lengths: 'sharegpt' });
    const p = predictRow(r, { seed: 1, ...spread });
    if (p.status !== 'predicted' || !p.sampleRange) throw new Error('expected a range');
    expect(p.sampleRange.seeds).toBe(5);
    expect(p.sampleRange.min).toBeLessThanOrEqual(p.value);
    expect(p.sampleRange.max).toBeGreaterThanOrEqual(p.value);
    // independent samples of 200 geometric outputs: their longest requests differ, so do the runs
    expect(p.sampleRange.max).toBeGreaterThan(p.sampleRange.min);
    // the range is the seeds' own figures: each seed read alone lies within it
    for (const seed of [2, 3, 4, 5]) {
      const v = value(predictRow(r, { seed }));
      expect(v).toBeGreaterThanOrEqual(p.sampleRange.min);
      expect(v).toBeLessThanOrEqual(p.sampleRange.max);
    }
    expect(value(predictRow(r, { seed: 1 }))).toBe(p.value);
    // without the option, no range and the same figure
    const plain = predictRow(r, { seed: 1 });
    expect('sampleRange' in plain).toBe(false);
    expect(value(plain)).toBe(p.value);
  });

  it('a serving run of a stated length under Poisson arrivals has one; a steady-state reading and a fixed-length burst have none', () => {
    const finite = predictRow(row({ kind: 'serving_ttft', unit: 'ms', batch: '', request_rate_per_s: '2', num_requests: '100', lengths: 'fixed' }), spread);
    expect(finite.status === 'predicted' && finite.sampleRange?.seeds).toBe(5);
    const steady = predictRow(row({ kind: 'serving_ttft', unit: 'ms', batch: '', request_rate_per_s: '2', num_requests: '', lengths: 'fixed' }), spread);
    expect(steady.status).toBe('predicted');
    expect('sampleRange' in steady).toBe(false);
    const fixed = predictRow(row({ ...burst, lengths: 'fixed' }), spread);
    expect(fixed.status).toBe('predicted');
    expect('sampleRange' in fixed).toBe(false);
  });
});

describe('lengths', () => {
  it('a dataset draws lengths with the stated means; fixed and random lengths are exact', () => {
    const draw = lengthSampler({ prompt_tokens: 220, output_tokens: 190, law: 'geometric', max_context: 4096 }, 1);
    let p = 0, o = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const [a, b] = draw();
      p += a;
      o += b;
    }
    // geometric: sd = sqrt(m(m-1)), so the mean of 20,000 draws is within 1.5% at 2 sigma
    expect(relErr(p / n, 220)).toBeLessThan(0.015);
    expect(relErr(o / n, 190)).toBeLessThan(0.015);
    expect(lengthSampler({ prompt_tokens: 220, output_tokens: 190, law: 'fixed', max_context: 4096 }, 1)()).toEqual([220, 190]);
  });

  it("vLLM's random dataset at --random-range-ratio r: every length uniform on [floor(L(1 - r)), ceil(L(1 + r))]", () => {
    expect(lengthLaw('random-range-0.15')).toBe('range');
    expect(rangeRatio('random-range-0.15')).toBe(0.15);
    expect(rangeRatio('random-range-0.5-fixed-output')).toBe(0.5);
    expect(outputLengthLaw('random-range-0.5-fixed-output')).toBe('fixed');
    expect(rangeRatio('random')).toBe(0);
    const draw = lengthSampler({ prompt_tokens: 1001, output_tokens: 20, law: 'range', range_ratio: 0.15, max_context: 131072 }, 1);
    const seen = new Map<number, number>();
    let promptSum = 0;
    const n = 40_000;
    for (let i = 0; i < n; i++) {
      const [prompt, output] = draw();
      promptSum += prompt;
      seen.set(output, (seen.get(output) ?? 0) + 1);
      expect(prompt).toBeGreaterThanOrEqual(850);
      expect(prompt).toBeLessThanOrEqual(1152);
    }
    // outputs: floor(17) to ceil(23), seven values, each about n / 7
    expect([...seen.keys()].sort((a, b) => a - b)).toEqual([17, 18, 19, 20, 21, 22, 23]);
    for (const count of seen.values()) expect(relErr(count, n / 7)).toBeLessThan(0.05);
    // prompts: mean (850 + 1152) / 2 = 1001; sd about 87, so 40,000 draws hold it within 0.1% at 2 sigma
    expect(relErr(promptSum / n, 1001)).toBeLessThan(0.001);
  });

  it('a dataset whose outputs were forced to max_tokens: prompts drawn by the dataset\'s law, every output exact', () => {
    expect(lengthLaw('cnndm-mlperf-fixed-output')).toBe('geometric');
    expect(outputLengthLaw('cnndm-mlperf-fixed-output')).toBe('fixed');
    expect(lengthLaw('random-uniform-fixed-output')).toBe('uniform');
    expect(outputLengthLaw('sharegpt')).toBe('geometric');
    const draw = lengthSampler({ prompt_tokens: 871, output_tokens: 128, law: 'geometric', output_law: 'fixed', max_context: 131072 }, 1);
    const prompts: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const [a, b] = draw();
      expect(b).toBe(128);
      prompts.push(a);
    }
    expect(relErr(prompts.reduce((x, y) => x + y, 0) / prompts.length, 871)).toBeLessThan(0.015);
    expect(new Set(prompts).size).toBeGreaterThan(1000);
    // the prompts are the same draws as with a drawn output (the two laws have their own streams)
    const both = lengthSampler({ prompt_tokens: 871, output_tokens: 128, law: 'geometric', max_context: 131072 }, 1);
    const again = lengthSampler({ prompt_tokens: 871, output_tokens: 128, law: 'geometric', output_law: 'fixed', max_context: 131072 }, 1);
    for (let i = 0; i < 100; i++) expect(again()[0]).toBe(both()[0]);
  });

  it('SGLang\'s random dataset at range ratio 0: uniform on [1, 2m - 1], mean m, variance ((2m - 1)^2 - 1) / 12', () => {
    expect(lengthLaw('random-uniform')).toBe('uniform');
    expect(lengthLaw('random')).toBe('fixed');
    expect(lengthLaw('sharegpt')).toBe('geometric');
    expect(lengthLaw('synthetic')).toBe('fixed');
    const m = 512;
    const draw = lengthSampler({ prompt_tokens: m, output_tokens: m, law: 'uniform', max_context: 1 << 20 }, 1);
    const n = 20_000;
    let sum = 0, sumSq = 0, lo = Infinity, hi = 0;
    for (let i = 0; i < n; i++) {
      const [a] = draw();
      sum += a;
      sumSq += a * a;
      lo = Math.min(lo, a);
      hi = Math.max(hi, a);
    }
    const mean = sum / n;
    const variance = sumSq / n - mean * mean;
    // sd of the mean = 295 / sqrt(20,000) = 2.1 tokens: within 1% (5 tokens) at over 2 sigma
    expect(relErr(mean, m)).toBeLessThan(0.01);
    expect(relErr(variance, ((2 * m - 1) ** 2 - 1) / 12)).toBeLessThan(0.03);
    expect(lo).toBe(1);
    expect(hi).toBe(2 * m - 1);
  });

  it('a dataset with per-sample lengths: pairs drawn from its samples, scaled to the row\'s means, keeping its spread', () => {
    expect(lengthDataset('openorca-mlperf')).toBe('openorca-mlperf');
    expect(lengthDataset('cnndm-mlperf-fixed-output')).toBe('cnndm-mlperf');
    expect(lengthDataset('sharegpt')).toBeUndefined();
    // the file read independently: its samples' means and the outputs' coefficient of variation
    const lines = readFileSync('data/lengths/openorca-mlperf.csv', 'utf8').trim().split('\n').slice(1);
    const outputs = lines.map((l) => Number(l.split(',')[1]));
    const moments = (xs: number[]) => {
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      return { mean, cv: Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length) / mean };
    };
    const file = moments(outputs);
    const d = datasetLengths('openorca-mlperf');
    expect(d.prompts.length).toBe(24_576);
    // the corpus rows state the prompts' mean as 222.33 tokens: the same file
    expect(d.prompt_mean).toBeCloseTo(222.33, 2);
    expect(d.output_mean).toBeCloseTo(file.mean, 9);
    // Llama 2 70B answers about 294 tokens where the reference answers average 219
    const draw = lengthSampler({ prompt_tokens: 222, output_tokens: 294, law: 'geometric', max_context: 4096, dataset: 'openorca-mlperf' }, 1);
    const drawnPrompts: number[] = [], drawnOutputs: number[] = [];
    for (let i = 0; i < 40_000; i++) {
      const [a, b] = draw();
      drawnPrompts.push(a);
      drawnOutputs.push(b);
    }
    const drawn = moments(drawnOutputs);
    // cv 0.79: the mean of 40,000 draws is within 1.5% at 3.8 sigma
    expect(relErr(drawn.mean, 294)).toBeLessThan(0.015);
    expect(relErr(moments(drawnPrompts).mean, 222)).toBeLessThan(0.015);
    expect(relErr(drawn.cv, file.cv)).toBeLessThan(0.03);
    // a geometric law's cv is about 1: the spread the dataset replaces
    expect(file.cv).toBeLessThan(0.85);
    // an output forced to its max_tokens stays fixed; the prompts are still the dataset's
    const fixed = lengthSampler({ prompt_tokens: 871, output_tokens: 128, law: 'geometric', output_law: 'fixed', max_context: 131072, dataset: 'cnndm-mlperf' }, 1);
    for (let i = 0; i < 100; i++) expect(fixed()[1]).toBe(128);
  });

  it('a per-sample file that is not two positive integers a line is refused, naming its line', () => {
    expect(() => parseLengths('input,output\n1,2\n', 'x')).toThrow('data/lengths/x.csv: expected the header input_length,output_length');
    expect(() => parseLengths('input_length,output_length\n1,2\n3,0\n', 'x')).toThrow('data/lengths/x.csv line 3: expected two positive integers');
    expect(() => parseLengths('input_length,output_length\n', 'x')).toThrow(/expected 1 to 1000000 samples, found 0/);
  });
});

describe('rows fleetsim cannot model are reported, not refused', () => {
  it.each([
    [{ model: 'synthetic-model-1t' }, 'unknown model synthetic-model-1t'],
    [{ gpu: 'synthetic-gpu-9000' }, 'unknown gpu synthetic-gpu-9000'],
  ])('%o', (over, reason) => {
    expect(predictRow(row(over))).toEqual({ id: 'synthetic-test-row', status: 'not_evaluated', reason });
  });

  it('a model that does not fit the GPUs', () => {
    // 69B parameters x 2 bytes = 138 GB of weights on one 80 GB GPU
    const p = predictRow(row({ model: 'llama-2-70b', tp: '1' }));
    expect(p.status === 'not_evaluated' && p.reason).toMatch(/^step model refused the configuration: llama-2-70b \(fp16\) does not fit/);
  });

  it('a KV cache the GPU cannot hold (int4 anywhere, fp4 before Blackwell), as perf and scenarios refuse it', () => {
    const int4 = predictRow(row({ kv_dtype: 'int4' }));
    expect(int4.status === 'not_evaluated' && int4.reason).toBe('step model refused the configuration: kv_dtype: int4 is a weight-only format and cannot hold the KV cache; use fp16, bf16, fp8, int8 or fp4');
    const fp4 = predictRow(row({ kv_dtype: 'fp4' }));
    expect(fp4.status === 'not_evaluated' && fp4.reason).toMatch(/^step model refused the configuration: kv_dtype: \S+ has no FP4 tensor cores/);
  });
});

describe('a row\'s engine_args over its profile\'s scheduler', () => {
  it('replaces the settings it names, turns chunked prefill off under multi-step, and a run of one step undoes a profile\'s runs', () => {
    const v1 = ENGINE_PROFILES.vllm.scheduler!;
    expect(withEngineArgs(v1, {})).toEqual({ ...v1, decode_run_steps: 1 });
    expect(withEngineArgs(v1, { num_scheduler_steps: 10, max_num_seqs: 256 })).toEqual({ ...v1, max_num_seqs: 256, chunked_prefill: false, decode_run_steps: 10 });
    const v06 = ENGINE_PROFILES['vllm-0.6'].scheduler!;
    expect(v06.decode_run_steps).toBe(10);
    expect(withEngineArgs(v06, { num_scheduler_steps: 1 }).decode_run_steps).toBe(1);
    expect(withEngineArgs(v06, { enable_chunked_prefill: true, num_scheduler_steps: 1 })).toMatchObject({ chunked_prefill: true, decode_run_steps: 1 });
    // chunked prefill on a multi-step profile's row: the run had no multi-step (the replica refuses both)
    expect(withEngineArgs(v06, { enable_chunked_prefill: true })).toMatchObject({ chunked_prefill: true, decode_run_steps: 1 });
    expect(withEngineArgs(v1, { max_num_batched_tokens: 4096 }).max_batched_tokens).toBe(4096);
  });
});
