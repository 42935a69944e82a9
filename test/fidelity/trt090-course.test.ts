import { describe, expect, it } from 'vitest';
import { loadCorpus, type CorpusRow } from '../../src/fidelity/corpus.ts';
import { predictRows, stackEngine } from '../../src/fidelity/predict.ts';
import { ENGINE_PROFILES } from '../../src/perf/profiles.ts';

/**
 * TensorRT-LLM 0.9.0's static batches (data/corpus/trt090-course/, read with --corpus only, all
 * validation): Llama 2 7B/13B/70B on A100, H100 and H200, batch 1-1,536. Its rows take
 * `trtllm-session`, `trtllm-2024` without a per-sequence cost. Measured 2026-12-04: 9.9% MAPE over
 * all 1,525 (`trtllm-2024`: 11.6%); the batch latencies at batch 256 and more, where a cost per
 * sequence and step would show: +30% with `trtllm-2024`, about 0 with `trtllm-session`.
 */
describe('TensorRT-LLM 0.9.0 static batches: the course dataset', () => {
  const rows = loadCorpus(['data/corpus/trt090-course/static-batch.csv']);

  function errors(subset: readonly CorpusRow[], engine?: 'trtllm-2024'): number[] {
    const predictions = predictRows(subset, engine ? { calibration: ENGINE_PROFILES[engine] } : {});
    return predictions.map((p, i) => {
      if (p.status !== 'predicted') throw new Error(`${subset[i].id}: ${p.reason}`);
      return p.value / subset[i].value - 1;
    });
  }
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

  it('holds the dense models of the catalog, all validation, TensorRT-LLM 0.9.0', () => {
    expect(rows).toHaveLength(1525);
    expect(new Set(rows.map((r) => r.model))).toEqual(new Set(['llama-2-7b', 'llama-2-13b', 'llama-2-70b']));
    for (const r of rows) {
      expect(r.split).toBe('validation');
      expect(stackEngine(r.stack, r.stack_version)).toBe('trtllm-session');
    }
  });

  it('predicts them within 12% MAPE', () => {
    expect(mean(errors(rows).map(Math.abs))).toBeLessThan(0.12);
  });

  it('has no per-sequence cost to show at batch 256 and more, where trtllm-2024 reads 20% slow or more', () => {
    const large = rows.filter((r) => r.kind === 'latency' && r.batch! >= 256);
    expect(large.length).toBeGreaterThan(70);
    expect(Math.abs(mean(errors(large)))).toBeLessThan(0.08);
    expect(mean(errors(large, 'trtllm-2024'))).toBeGreaterThan(0.2);
  });
});
