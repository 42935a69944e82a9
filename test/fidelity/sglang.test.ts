import { describe, expect, it } from 'vitest';
import { loadCorpus } from '../../src/fidelity/corpus.ts';
import { stackEngine } from '../../src/fidelity/predict.ts';
import { ENGINE_PROFILES } from '../../src/perf/profiles.ts';
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

/**
 * SGLang runs a batch of new prompts on its own, the running decodes waiting for it, unless
 * --enable-mixed-chunk is given (off by default): so does the `sglang` profile since 2026-12-06.
 * Held out: SGLang 0.4.6 serving Llama 3.2 3B on one A100 at 8 and 16 requests/s
 * (data/corpus/fresh-2026-12/serving-2.csv, transcribed before any prediction), whose decodes
 * stall for each prefill batch: with prefill chunks mixed into the decodes' steps, as vLLM's
 * chunked prefill does, their inter-token p99 read -10% and -49% and the part 16.1% below capacity.
 */
describe('SGLang 0.4.6 below capacity (out of sample)', () => {
  const rows = loadCorpus(['data/corpus/fresh-2026-12/serving-2.csv']).filter((r) => /^fs2-kvc-a100-l32-3b-r(8|16)-/.test(r.id));

  it('runs prefill batches without the decodes, and reads the 20 figures within 12% MAPE, the inter-token p99s within 20%', () => {
    expect(ENGINE_PROFILES.sglang.scheduler?.chunked_prefill).toBe(false);
    expect(rows.length).toBe(20);
    const errors = predictedErrors(rows);
    expect(meanError(errors)).toBeLessThan(0.12);
    const tails = errors.filter((e) => e.row.kind === 'serving_itl' && e.row.statistic === 'p99');
    expect(tails.length).toBe(2);
    for (const e of tails) expect(e.error, e.row.id).toBeLessThan(0.2);
  });
});
