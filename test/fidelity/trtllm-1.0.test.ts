import { describe, expect, it } from 'vitest';
import { loadCorpus } from '../../src/fidelity/corpus.ts';
import { meanError, predictedErrors } from '../helpers/fidelity.ts';

/**
 * TensorRT-LLM 1.0's published H100 and H200 throughput (data/corpus/trtllm-1.0/perf-overview.csv,
 * 48 cells of its dense models never fitted on: the page's other 12 are vendor.csv's). Measured
 * 2026-12-06: 8.1% MAPE, every figure within 25% (Llama 3.1 405B at TP 8 the shortest, -25% on the
 * prefill-heavy pairs). Held: within 12% MAPE, each figure within 30%.
 */
describe('TensorRT-LLM 1.0 offline throughput on H100 and H200 (never fitted on)', () => {
  const rows = loadCorpus(['data/corpus/trtllm-1.0/perf-overview.csv']);
  const errors = predictedErrors(rows);

  it('has 48 validation figures of three dense FP8 models on H100 and H200', () => {
    expect(rows).toHaveLength(48);
    for (const r of rows) {
      expect(r.split).toBe('validation');
      expect(['h100-80gb', 'h200']).toContain(r.gpu);
      expect(['llama-3.1-8b', 'llama-3.3-70b', 'llama-3.1-405b']).toContain(r.model);
    }
  });

  it('reads them within 12% MAPE, each within 30%', () => {
    expect(meanError(errors)).toBeLessThan(0.12);
    for (const e of errors) expect(e.error, e.row.id).toBeLessThan(0.3);
  });
});
