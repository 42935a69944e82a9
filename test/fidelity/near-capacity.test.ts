import { describe, expect, it } from 'vitest';
import { parseCorpus, type CorpusColumn } from '../../src/fidelity/corpus.ts';
import { servingBelowKnee } from '../../src/fidelity/fit-corpus.ts';
import { predictRow, withRunCache, type Prediction } from '../../src/fidelity/predict.ts';
import { getGpu, getModel } from '../../src/perf/lookup.ts';
import { ENGINE_PROFILES } from '../../src/perf/profiles.ts';
import { perfSummary } from '../../src/perf/summary.ts';
import { baseCells, csvText, writeTemp } from './helpers.ts';
import { fitReport, runCalibrateJob } from '../../src/fidelity/cli-calibrate.ts';

/**
 * An open-loop serving row's load is its request rate over the simulated capacity of its
 * configuration (capacityRps: a closed loop that keeps the engine full). The checks are of what a
 * capacity means, each read off other runs of the same configuration: below it a Poisson stream is
 * served at its own rate (throughput = offered) and the queue settles; above it the queue grows
 * without bound; the offline run (every request at once) delivers about as many tokens per
 * second; and `fleetsim perf`'s analytical capacity, which simulates nothing, is close. Llama 2 7B
 * on one A100, vLLM 0.8 (the `vllm` profile), 512-token prompts and 128-token outputs.
 */
const cells = (over: Partial<Record<CorpusColumn, string>>) => baseCells({
  stack: 'vllm', stack_version: '0.8.0', gpu: 'a100-80gb', model: 'llama-2-7b', batch: '', prompt_tokens: '512', output_tokens: '128', lengths: 'fixed', ...over,
});
const rowOf = (id: string, over: Partial<Record<CorpusColumn, string>>) => parseCorpus(csvText([cells({ id, ...over })]), 'synthetic.csv')[0];
const options = withRunCache({});
const predict = (over: Partial<Record<CorpusColumn, string>>): Extract<Prediction, { status: 'predicted' }> => {
  const p = predictRow(rowOf('synthetic-capacity', over), options);
  if (p.status !== 'predicted') throw new Error(p.reason);
  return p;
};
// the configuration's capacity, read through the load of a row at 1 request/s
const capacity_rps = 1 / predict({ kind: 'serving_ttft', unit: 'ms', request_rate_per_s: '1', value: '100' }).load;

describe('the load of an open-loop serving row', () => {

  it('is NaN for a closed loop, which has no offered rate', () => {
    expect(predict({ kind: 'serving_ttft', unit: 'ms', batch: '8', value: '100' }).load).toBeNaN();
  });

  it('at 0.9 times the capacity: the stream is served at its own rate and the run settles (a capacity read 15% high or more would fail here)', () => {
    const rate = (0.9 * capacity_rps).toFixed(3);
    const p = predict({ kind: 'serving_throughput', unit: 'req_s', request_rate_per_s: rate, value: '1' });
    expect(p.value / Number(rate)).toBeGreaterThan(0.97);
    expect(p.value / Number(rate)).toBeLessThan(1.03);
    expect(p.steady).toBe(true);
  });

  it('at 1.3 times the capacity: the queue grows (the run is flagged unsteady) and only about the capacity is served', () => {
    const rate = (1.3 * capacity_rps).toFixed(3);
    const p = predict({ kind: 'serving_throughput', unit: 'req_s', request_rate_per_s: rate, value: '1' });
    expect(p.steady).toBe(false);
    expect(p.value / capacity_rps).toBeGreaterThan(0.9);
    expect(p.value / capacity_rps).toBeLessThan(1.1);
  });

  it('agrees within 10% with the analytical capacity of `fleetsim perf` (the steady step at the KV-cache maximum batch), a path that simulates nothing', () => {
    const perf = perfSummary({
      model: getModel('llama-2-7b'), gpu: getGpu('a100-80gb'), tp: 1, dtype: 'fp16', calibration: ENGINE_PROFILES.vllm, prompt: 512, output: 128, usdPerGpuHour: 1,
    });
    expect(perf.requests_per_s_per_replica).toBeCloseTo(perf.tokens_per_s_per_replica / 128, 9);
    expect(capacity_rps / perf.requests_per_s_per_replica).toBeGreaterThan(0.9);
    expect(capacity_rps / perf.requests_per_s_per_replica).toBeLessThan(1.1);
  });

  it('the offline run of 5,000 requests delivers within 10% of the capacity (its ramp and drain cost a little)', () => {
    const p = predict({ kind: 'throughput', unit: 'output_tok_s', num_requests: '5000', value: '1000' });
    expect(p.value / (capacity_rps * 128)).toBeGreaterThan(0.9);
    expect(p.value / (capacity_rps * 128)).toBeLessThan(1.05);
  });
});

describe('calibrate --serving leaves out latencies near capacity', () => {
  const at = (share: number) => (share * capacity_rps).toFixed(3);
  const rows = [
    rowOf('synthetic-light-ttft', { kind: 'serving_ttft', unit: 'ms', request_rate_per_s: at(0.5), value: '100' }),
    rowOf('synthetic-knee-ttft', { kind: 'serving_ttft', unit: 'ms', request_rate_per_s: at(0.9), value: '100' }),
    rowOf('synthetic-knee-thr', { kind: 'serving_throughput', unit: 'req_s', request_rate_per_s: at(0.9), value: '10' }),
    rowOf('synthetic-closed-ttft', { kind: 'serving_ttft', unit: 'ms', batch: '8', value: '100' }),
  ];

  it('keeps light runs, closed loops and throughput at any load; leaves out a latency at 0.9 of capacity, saying why', () => {
    const { kept, left } = servingBelowKnee(rows, ENGINE_PROFILES.vllm);
    expect(kept.map((r) => r.id)).toEqual(['synthetic-light-ttft', 'synthetic-knee-thr', 'synthetic-closed-ttft']);
    expect(left).toHaveLength(1);
    expect(left[0]).toMatch(/^synthetic-knee-ttft: near capacity \(load 0\.9\d under the base profile\)/);
  });
});


describe('calibrate --serving on serving rows alone', () => {
  it('recovers a request cost from first tokens simulated with it, and reports the serving rows\' error before and after', () => {
    // the measured figures are the vllm profile's own predictions with a 6-ms cost per request: the
    // fit from the profile's own cost must find 6 ms again (a first token is the cost plus the rest)
    const truth = { ...ENGINE_PROFILES.vllm, request_overhead_ms: 6 };
    const over = (rate: string) => ({ kind: 'serving_ttft', unit: 'ms', split: 'calibration', request_rate_per_s: rate, num_requests: '200' });
    const measured = ['1', '4'].map((rate, i) => {
      const row = rowOf(`synthetic-cost-${i}`, { ...over(rate), value: '1' });
      const p = predictRow(row, { calibration: truth });
      if (p.status !== 'predicted') throw new Error(p.reason);
      return cells({ id: `synthetic-cost-${i}`, ...over(rate), value: p.value.toFixed(4) });
    });
    const file = writeTemp({ 'cost.csv': csvText(measured) })['cost.csv'];
    const job = runCalibrateJob({
      corpus: [file], split: 'calibration', stack: 'vllm', serving: true, base: 'vllm', fit: 'request_overhead_ms',
      dtype: 'fp16', gpuMemoryUtilization: '0.9', maxWallS: '600', deadline_ms: Date.now() + 600_000,
    });
    // within the fit's tolerance (its simplex stops within about 2%)
    expect(Math.abs(job.result.profile.request_overhead_ms - 6)).toBeLessThan(0.25);
    expect(job.serving?.rows).toBe(2);
    expect(job.serving!.base_mape_pct).toBeGreaterThan(1);
    expect(job.serving!.mape_pct).toBeLessThan(0.5);
    expect(fitReport(job.result, job.before, job.excluded, job.serving)).toMatch(/batch-level points: none \(the fit read the serving rows alone\)\nserving rows simulated \(2\): base profile \d+\.\d%, fitted 0\.\d%/);
  });
});
