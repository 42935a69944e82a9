import { describe, expect, it } from 'vitest';
import { loadCorpus } from '../../src/fidelity/corpus.ts';
import { stackEngine } from '../../src/fidelity/predict.ts';
import { meanError, predictedErrors } from '../helpers/fidelity.ts';

/**
 * SGLang 0.4-0.4.6 serving dense models on A100 and H200 (data/corpus/sglang/pr-serving.csv,
 * transcribed 2026-12-05 from three sgl-project/sglang threads, all validation, never fitted on).
 * On 2026-12-05 the `sglang` profile read them at 9.6% MAPE, every serving figure below the
 * simulated capacity within 25%.
 */
describe('SGLang 0.4 serving dense models (out of sample)', () => {
  const rows = loadCorpus(['data/corpus/sglang/pr-serving.csv']);
  const errors = predictedErrors(rows);

  it('has 18 validation rows of three threads, each predicted with the sglang profile', () => {
    expect(rows.length).toBe(18);
    expect(new Set(rows.map((r) => r.split))).toEqual(new Set(['validation']));
    expect(new Set(rows.map((r) => stackEngine(r.stack, r.stack_version)))).toEqual(new Set(['sglang']));
    expect(new Set(rows.map((r) => /^sgps-([a-z]\d+)-/.exec(r.id)?.[1])).size).toBe(3);
  });

  it('within 15% MAPE overall, and each serving figure below capacity within 25%', () => {
    expect(meanError(errors)).toBeLessThan(0.15);
    const below = errors.filter((e) => e.row.kind.startsWith('serving_') && e.load < 1);
    expect(below.length).toBeGreaterThanOrEqual(6);
    for (const e of below) expect(e.error, e.row.id).toBeLessThan(0.25);
  });
});
