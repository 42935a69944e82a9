import { describe, expect, it } from 'vitest';
import { loadCorpus, type CorpusRow } from '../../src/fidelity/corpus.ts';
import { predictRows, stackEngine } from '../../src/fidelity/predict.ts';
import { schedulerOf, type CalibrationProfile } from '../../src/perf/calibration.ts';
import { ENGINE_PROFILES } from '../../src/perf/profiles.ts';

/**
 * The NVIDIA course dataset of NIM 1.0 under GenAI-Perf (data/corpus/nim-course/, read with
 * --corpus only): 715 closed-loop runs of Llama 3 8B and 70B on A100 and H100. The `nim-2024`
 * profile was fitted on its calibration half (ITL and throughput of three lengths at four
 * concurrencies); here a sample of the other half (every configuration and length at concurrency
 * 2 and 250, ITL and throughput: 280 rows; measured 2026-12-04: 13.0% with `nim-2024`, 15.3% with
 * `trtllm-2024`, 21.2% with `trtllm`, the profile these rows took before; 12.5% since `nim-2024`'s
 * all-reduce latency was fitted too, 2026-12-06) is held within 15%, and at least 5 points below
 * what `trtllm` makes of it. Its token budget (40,960 tokens an iteration) was chosen on the
 * calibration half's TTFT as well (2026-12-07); the first tokens of the runs at concurrency 10 and
 * 50 (144, none in that half) read 16.1% with it and 40.2% with the 8,192 of TensorRT-LLM 0.11
 * and later, which took a wave of 2,000-token prompts in several iterations where NIM 1.0 took it
 * in one (15.4% and 36.3% before a closed loop's client had a gap of its own, the same day).
 */
describe('NIM 1.0 under GenAI-Perf: the course dataset', () => {
  const rows = loadCorpus(['data/corpus/nim-course/llama3.csv']);
  const concurrency = new Set([2, 250]);
  const sample = rows.filter((r) => r.split === 'validation' && r.kind !== 'serving_ttft' && concurrency.has(r.batch!));

  function mape(predicted: readonly CorpusRow[], calibration?: CalibrationProfile): number {
    const predictions = predictRows(predicted, calibration ? { calibration } : {});
    const errors = predictions.map((p, i) => {
      if (p.status !== 'predicted') throw new Error(`${predicted[i].id}: ${p.reason}`);
      return Math.abs(p.value / predicted[i].value - 1);
    });
    return errors.reduce((a, b) => a + b, 0) / errors.length;
  }

  it('holds every run once, NIM 1.0, its calibration half with every statistic of 143 runs', () => {
    expect(rows).toHaveLength(2145);
    expect(new Set(rows.map((r) => r.id.replace(/-(ttft|itl|thr)$/, ''))).size).toBe(715);
    const calibration = rows.filter((r) => r.split === 'calibration');
    expect(calibration).toHaveLength(429);
    expect(calibration.filter((r) => r.kind === 'serving_ttft')).toHaveLength(143);
    for (const r of rows) expect(stackEngine(r.stack, r.stack_version)).toBe('nim-2024');
  });

  it('predicts ITL and throughput of the validation sample within 15% MAPE, better than trtllm', () => {
    expect(sample.length).toBe(280);
    const own = mape(sample);
    expect(own).toBeLessThan(0.15);
    expect(own).toBeLessThan(mape(sample, ENGINE_PROFILES.trtllm) - 0.05);
  }, 120_000);

  it('reads the first tokens of the runs at concurrency 10 and 50 within 20%, where a budget of 8,192 tokens misses them', () => {
    const firstTokens = rows.filter((r) => r.kind === 'serving_ttft' && (r.batch === 10 || r.batch === 50));
    expect(firstTokens.every((r) => r.split === 'validation')).toBe(true);
    expect(firstTokens.length).toBe(144);
    const nim = ENGINE_PROFILES['nim-2024'];
    expect(schedulerOf(nim).max_batched_tokens).toBe(40_960);
    const own = mape(firstTokens);
    expect(own).toBeLessThan(0.2);
    const budget8192 = { ...nim, scheduler: { ...schedulerOf(nim), max_batched_tokens: 8192 } };
    expect(own).toBeLessThan(mape(firstTokens, budget8192) - 0.1);
  }, 120_000);
});
