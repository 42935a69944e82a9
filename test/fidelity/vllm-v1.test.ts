import { describe, expect, it } from 'vitest';
import { loadCorpus } from '../../src/fidelity/corpus.ts';
import { predictRows, stackEngine } from '../../src/fidelity/predict.ts';

/**
 * vLLM's V1 engine (0.10-0.19) serving on one H100, from two public sources (data/corpus/vllm-v1/,
 * transcribed 2026-12-05, all validation, never fitted on): the vLLM blog's FP8 KV-cache study
 * and a vLLM pull request's baseline. The `vllm` profile is meant to describe this engine; its
 * decode at light load (ITL and TPOT of closed loops of 8 and 10) came out at 10.3% MAPE
 * (2026-12-05). First tokens are further off (docs/fidelity.md, "vLLM's V1 engine").
 */
describe("vLLM's V1 engine on H100 (out of sample)", () => {
  const rows = loadCorpus(['data/corpus/vllm-v1/measurements.csv']);
  const predictions = predictRows(rows);

  it('predicts every row, each with the vllm profile', () => {
    expect(rows.length).toBe(20);
    expect(new Set(rows.map((r) => r.split))).toEqual(new Set(['validation']));
    expect(new Set(rows.map((r) => stackEngine(r.stack, r.stack_version)))).toEqual(new Set(['vllm']));
    expect(predictions.every((p) => p.status === 'predicted')).toBe(true);
  });

  it('decode at light load: ITL and TPOT within 15% MAPE, none more than 25% off', () => {
    const errors = rows.flatMap((row, i) => {
      const p = predictions[i];
      if (p.status !== 'predicted' || !(row.kind === 'serving_itl' || row.kind === 'serving_tpot')) return [];
      return [Math.abs(p.value / row.value - 1)];
    });
    expect(errors.length).toBe(7);
    expect(errors.reduce((a, b) => a + b, 0) / errors.length).toBeLessThan(0.15);
    expect(Math.max(...errors)).toBeLessThan(0.25);
  });
});
