import { describe, expect, it } from 'vitest';
import { loadCorpus, parseCorpus, type CorpusColumn } from '../../src/fidelity/corpus.ts';
import { profileFor, resolveRow } from '../../src/fidelity/predict.ts';
import { generatedShare, publishedBatchSteps } from '../../src/fidelity/published-batch.ts';
import { baseCells, csvText } from './helpers.ts';

/** One invented run's rows: mean TTFT, mean TPOT and completed requests/s at `rate` requests/s. */
function run(rate: number, ttft_ms: number, tpot_ms: number, completed_per_s: number, over: Partial<Record<CorpusColumn, string>> = {}) {
  const common = { batch: '', request_rate_per_s: String(rate), prompt_tokens: '512', output_tokens: '128', ...over };
  return parseCorpus(csvText([
    baseCells({ ...common, id: 'synthetic-run-ttft', kind: 'serving_ttft', value: String(ttft_ms) }),
    baseCells({ ...common, id: 'synthetic-run-tpot', kind: 'serving_tpot', value: String(tpot_ms) }),
    baseCells({ ...common, id: 'synthetic-run-rps', kind: 'serving_throughput', unit: 'req_s', value: String(completed_per_s) }),
  ]), 'synthetic.csv');
}

describe('the step at the published batch (Little\'s law)', () => {
  it('a run whose TPOT is the step model\'s own step at the batch its TTFT and rate imply reads 0%', () => {
    // Llama 2 7B on one A100 80GB, fixed 512/128 lengths, 4 requests/s holding 60 sequences: the
    // mean step there, solved here by bisection. Fewer than one prompt arrives per step, so a share
    // of the steps (the prompt tokens arriving per step over one prompt) carries a whole prompt and
    // the rest decode only
    const [probe] = run(4, 100, 20, 4);
    const resolved = resolveRow(probe, profileFor(probe, {}));
    if (typeof resolved === 'string') throw new Error(resolved);
    const B = 60, rate = 4;
    const context = B * (512 + 0.5 * 128);
    const stepAt = (t: number) => {
      const share = Math.min(1, (rate * t) / 1000);
      return share * resolved.step.stepTimeMs(512, (512 * 512) / 2, B, context) + (1 - share) * resolved.step.stepTimeMs(0, 0, B, context);
    };
    let lo = 1, hi = 1000;
    for (let i = 0; i < 100; i++) {
      const mid = (lo + hi) / 2;
      if (stepAt(mid) > mid) lo = mid;
      else hi = mid;
    }
    const step_ms = lo;
    // Little's law: B = rate x (TTFT + 127 x TPOT)
    const ttft_ms = (B * 1000) / rate - 127 * step_ms;
    const [s] = publishedBatchSteps(run(rate, ttft_ms, step_ms, rate));
    expect(s.id).toBe('synthetic-run-tpot');
    expect(s.sequences).toBeCloseTo(B, 9);
    expect(Math.abs(s.error_pct)).toBeLessThan(1e-6);
    // a TPOT 20% above the model's step reads -16.7%
    const [slow] = publishedBatchSteps(run(rate, (B * 1000) / rate - 127 * step_ms * 1.2, step_ms * 1.2, rate));
    expect(slow.error_pct).toBeLessThan(-5);
  });

  it('on cached prompts a step carries only the prompts\' last partial blocks, attending to the whole prompt', () => {
    // 4 requests/s of 520-token prompts: 8 tokens past the last of 32 full 16-token blocks each
    const over = { prompt_tokens: '520', lengths: 'fixed-cached-prompts', num_requests: '200' };
    const cached = run(4, 100, 20, 4, over);
    const [s] = publishedBatchSteps(cached);
    const resolved = resolveRow(cached[1], profileFor(cached[1], {}));
    if (typeof resolved === 'string') throw new Error(resolved);
    const B = s.sequences, context = B * (520 + 0.5 * 128);
    const stepAt = (t: number) => {
      const share = Math.min(1, (4 * t) / 1000);
      return share * resolved.step.stepTimeMs(8, 8 * (520 - 4), B, context) + (1 - share) * resolved.step.stepTimeMs(0, 0, B, context);
    };
    let t = 20;
    for (let i = 0; i < 200; i++) t = stepAt(t);
    expect(s.model_step_ms).toBeCloseTo(t, 6);
    // the same run on new prompts carries whole prompts: a longer step
    const [cold] = publishedBatchSteps(run(4, 100, 20, 4, { ...over, lengths: 'fixed' }));
    expect(cold.model_step_ms).toBeGreaterThan(s.model_step_ms);
  });

  it('where prompts arrive less than once a step the mean of chunk and decode-only steps is longer than a step at the mean prefill', () => {
    // 20,000-token prompts in vLLM V1's 2,048-token budget on A100 at 0.05 requests/s: about one step in
    // ten carries a chunk; spread evenly the prefill would make every step a little longer instead
    const rows = run(0.05, 5000, 30, 0.05, { prompt_tokens: '20000', model: 'llama-3.1-8b', gpu: 'a100-80gb', stack_version: '0.10.0' });
    const [s] = publishedBatchSteps(rows);
    const resolved = resolveRow(rows[1], profileFor(rows[1], {}));
    if (typeof resolved === 'string') throw new Error(resolved);
    const B = s.sequences, context = B * (20000 + 0.5 * 128);
    const evenAt = (t: number) => resolved.step.stepTimeMs(0.05 * t / 1000 * 20000, (0.05 * t / 1000 * 20000 * 20000) / 2, B, context);
    let even = 30;
    for (let i = 0; i < 200; i++) even = evenAt(even);
    expect(s.model_step_ms).toBeGreaterThan(even * 1.02);
    // and never above a step that carries a whole chunk
    expect(s.model_step_ms).toBeLessThan(resolved.step.stepTimeMs(2048 - Math.ceil(B), ((2048 - B) * 20000) / 2, B, context));
  });

  it('leaves out a run that fell behind its arrivals, one that does not say what it completed, and one without a mean TTFT', () => {
    expect(publishedBatchSteps(run(4, 100, 20, 3.6))).toHaveLength(0);
    expect(publishedBatchSteps(run(4, 100, 20, 3.9))).toHaveLength(1);
    expect(publishedBatchSteps(run(4, 100, 20, 4).filter((r) => r.kind !== 'serving_throughput'))).toHaveLength(0);
    expect(publishedBatchSteps(run(4, 100, 20, 4).filter((r) => r.kind !== 'serving_ttft'))).toHaveLength(0);
  });

  it('a sequence in flight has generated E[L^2] / 2E[L]^2 of the mean output: 1/2 fixed, 2/3 uniform, about 1 geometric', () => {
    const [fixed] = run(4, 100, 20, 4);
    expect(generatedShare(fixed)).toBe(0.5);
    expect(generatedShare(run(4, 100, 20, 4, { lengths: 'random-uniform' })[0])).toBeCloseTo(2 / 3, 9);
    expect(generatedShare(run(4, 100, 20, 4, { lengths: 'sharegpt' })[0])).toBe(1);
    // uniform within 15% of the mean: variance (0.3 mean)^2 / 12, so (1 + 0.15^2 / 3) / 2
    expect(generatedShare(run(4, 100, 20, 4, { lengths: 'random-range-0.15' })[0])).toBeCloseTo(0.50375, 9);
    // MLPerf's OpenOrca answers: coefficient of variation 0.79, so (1 + 0.79^2) / 2
    expect(generatedShare(run(4, 100, 20, 4, { lengths: 'openorca-mlperf' })[0])).toBeCloseTo((1 + 0.7873 ** 2) / 2, 3);
    expect(generatedShare(run(4, 100, 20, 4, { lengths: 'cnndm-mlperf-fixed-output' })[0])).toBe(0.5);
  });

  it('MLPerf\'s Llama 2 70B server runs on H100 and H200: the step at the batch each held within 8% for the engine that ran', () => {
    const rows = loadCorpus(['data/corpus/mlperf/llama2-70b.csv', 'data/corpus/mlperf/v50.csv', 'data/corpus/mlperf/v51.csv']);
    const steps = publishedBatchSteps(rows);
    const held = steps.filter((s) => /-l2-70b-fp8-tp[12]-q[0-9p]+-orca-tpot$/.test(s.id) && !s.id.includes('mlpv41'));
    // v4.0 on H100 and H200, v5.0, v5.1's Nebius, HPE, Dell, ASUSTeK, QCT, Cisco and Dell's virtualised runs
    expect(held).toHaveLength(10);
    for (const s of held) {
      expect(s.sequences, s.id).toBeGreaterThan(500);
      expect(Math.abs(s.error_pct), s.id).toBeLessThan(8);
    }
  });
});
