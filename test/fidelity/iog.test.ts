import { describe, expect, it } from 'vitest';
import { loadCorpus } from '../../src/fidelity/corpus.ts';
import { meanError, predictedErrors } from '../helpers/fidelity.ts';

/**
 * A GPU no profile was fitted on: the 80 GB H100 PCIe (added to the catalog on 2026-12-05 from its
 * datasheet: 2 TB/s, 756 TF FP16, PCIe between cards), under vLLM 0.8.5 (V1) at stated request
 * rates: data/corpus/iog/h100-pcie-serving.csv, IOG Foundation's benchmark_serving results (200
 * ShareGPT prompts at 1-32 requests/s; Llama 3 8B, the R1 distillations of Llama 3.1 8B and Qwen
 * 7B/14B, AceMath 7B, Gemma 2 9B), all validation, never fitted on. Measured 2026-12-05 (first
 * seed): 240 figures 12.5% MAPE; the means, medians and throughputs at simulated loads below 0.82,
 * 182 figures, 9.0% (the worst, the 7B models' first tokens at 32 requests/s, -34%); the p99 first
 * tokens of 200 requests read +30% to +54% at low load (the tail of fleetsim's ShareGPT lengths).
 * Held: those 182 within 12% MAPE, all 240 within 15%.
 */
describe('H100 PCIe under vLLM 0.8.5, serving at stated rates (a GPU no profile was fitted on)', () => {
  const rows = loadCorpus(['data/corpus/iog/h100-pcie-serving.csv']);
  const readings = predictedErrors(rows);

  it('has 240 validation figures of six models on one H100 PCIe', () => {
    expect(rows.length).toBe(240);
    for (const r of rows) {
      expect(r.split).toBe('validation');
      expect(r.gpu).toBe('h100-pcie');
      expect(r.tp).toBe(1);
    }
  });

  it('reads the means, medians and throughputs below a load of 0.82 within 12%, and every figure within 15%', () => {
    const belowKnee = readings.filter((r) => r.row.statistic !== 'p99' && r.load < 0.82);
    expect(belowKnee.length).toBeGreaterThan(150);
    expect(meanError(belowKnee)).toBeLessThan(0.12);
    expect(meanError(readings)).toBeLessThan(0.15);
  });
});
