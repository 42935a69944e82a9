import { describe, expect, it } from 'vitest';
import { loadCorpus, type CorpusRow } from '../../src/fidelity/corpus.ts';
import { predictRows } from '../../src/fidelity/predict.ts';
import { meanError, predictedErrors } from '../helpers/fidelity.ts';

/**
 * A GPU no profile was fitted on: the 80 GB H100 PCIe (added to the catalog on 2026-12-05 from its
 * datasheet: 2 TB/s, 756 TF FP16, PCIe between cards), under vLLM 0.8.5 (V1) at stated request
 * rates: data/corpus/iog/h100-pcie-serving.csv, IOG Foundation's benchmark_serving results (200
 * ShareGPT prompts at 32, 16, 8, 4 and 1 requests/s in turn, one seed, one server; Llama 3 8B, the
 * R1 distillations of Llama 3.1 8B and Qwen 7B/14B, AceMath 7B, Gemma 2 9B). From the second rate
 * on, every prompt was in the engine's prefix cache (the README, "Cached prompts"). Three models'
 * runs are calibration rows since 2026-12-06: they fit the vllm profile's cost per request alone.
 * Measured 2026-12-06 (first seed): 240 figures 9.3% MAPE; the cached runs' p99 first tokens 4.5%,
 * where read as new prompts they were +30% to +54%.
 */
describe('H100 PCIe under vLLM 0.8.5, serving at stated rates (a GPU no profile was fitted on)', () => {
  const rows = loadCorpus(['data/corpus/iog/h100-pcie-serving.csv']);
  const readings = predictedErrors(rows);

  it('has 240 figures of six models on one H100 PCIe, three models\' calibration, the rates after each model\'s first on cached prompts', () => {
    expect(rows.length).toBe(240);
    expect(new Set(rows.filter((r) => r.split === 'calibration').map((r) => r.id.replace(/-qps.*$/, '')))).toEqual(new Set([
      'iog-h100pcie-deepseek-r1-distill-llama-8b', 'iog-h100pcie-acemath-7b-instruct', 'iog-h100pcie-gemma-2-9b-it',
    ]));
    for (const r of rows) {
      expect(r.gpu).toBe('h100-pcie');
      expect(r.tp).toBe(1);
      expect(r.prompts_cached).toBe(r.request_rate_per_s !== 32);
    }
  });

  it('reads the means, medians and throughputs below a load of 0.82 within 10%, every figure within 10%, and the validation half within 11%', () => {
    const belowKnee = readings.filter((r) => r.row.statistic !== 'p99' && r.load < 0.82);
    expect(belowKnee.length).toBeGreaterThan(150);
    expect(meanError(belowKnee)).toBeLessThan(0.1);
    expect(meanError(readings)).toBeLessThan(0.1);
    expect(meanError(readings.filter((r) => r.row.split === 'validation'))).toBeLessThan(0.11);
  });

  it('reads the cached runs\' p99 first tokens within 10%, which read as new prompts are more than 25% long', () => {
    const p99 = (r: CorpusRow) => r.prompts_cached && r.kind === 'serving_ttft' && r.statistic === 'p99';
    const cached = readings.filter((r) => p99(r.row));
    expect(cached).toHaveLength(24);
    expect(meanError(cached)).toBeLessThan(0.1);
    const asNew = predictRows(cached.map((r) => ({ ...r.row, prompts_cached: false })));
    const bias = asNew.reduce((sum, p, i) => sum + (p.status === 'predicted' ? p.value / cached[i].row.value - 1 : NaN), 0) / asNew.length;
    expect(bias).toBeGreaterThan(0.25);
  });
});
