import { describe, expect, it } from 'vitest';
import { loadCorpus } from '../../src/fidelity/corpus.ts';
import { catalogModelId } from '../../src/perf/lookup.ts';
import { meanError, predictedErrors } from '../helpers/fidelity.ts';

/**
 * DeepSeek-R1's distillations under vLLM 0.7.2, one request at a time on A100 80GB and H100
 * (data/corpus/r1-distill/r1-distill-single-stream.csv: Neural Magic's model cards, transcribed
 * 2026-12-05, all validation, never fitted on). They are read as the models they were distilled
 * into (Llama-3.3-70B at TP 2, Qwen2.5-32B on one GPU); on 2026-12-05 the `vllm` profile read
 * them at 4.3% MAPE, every row within 15%, and `vllm-v0` (0.7's own engine, since that evening) at 4.4%.
 */
describe('DeepSeek-R1 distillations, end to end at batch 1 (out of sample)', () => {
  const rows = loadCorpus(['data/corpus/r1-distill/r1-distill-single-stream.csv']);
  const errors = predictedErrors(rows);

  it('has 32 validation rows of two distillations on two GPUs, each read as its base model', () => {
    expect(rows.length).toBe(32);
    expect(new Set(rows.map((r) => r.split))).toEqual(new Set(['validation']));
    expect(new Set(rows.map((r) => catalogModelId(r.model)))).toEqual(new Set(['llama-3.3-70b', 'qwen2.5-32b']));
    expect(new Set(rows.map((r) => r.gpu))).toEqual(new Set(['a100-80gb', 'h100-80gb']));
  });

  it('within 10% MAPE, and every row within 20%', () => {
    expect(meanError(errors)).toBeLessThan(0.10);
    for (const e of errors) expect(e.error, e.row.id).toBeLessThan(0.20);
  });
});

/**
 * The same cards' quantized rows and three smaller distillations (r1-distill-quantized.csv, 208
 * rows, validation). On 2026-12-05: 16.6% MAPE, BF16 4.7%, INT4 W4A16 30.4% (docs/fidelity.md); the same
 * 16.6% with `vllm-v0`.
 */
describe('DeepSeek-R1 distillations, quantized and small (out of sample)', () => {
  const rows = loadCorpus(['data/corpus/r1-distill/r1-distill-quantized.csv']);
  const errors = predictedErrors(rows);
  const mape = (dtype?: string) => meanError(errors.filter((e) => dtype === undefined || e.row.dtype === dtype));

  it('has 208 validation rows of five distillations in four dtypes', () => {
    expect(rows.length).toBe(208);
    expect(new Set(rows.map((r) => r.split))).toEqual(new Set(['validation']));
    expect(new Set(rows.map((r) => r.dtype))).toEqual(new Set(['bf16', 'fp8', 'int8', 'int4']));
    expect(new Set(rows.map((r) => catalogModelId(r.model))).size).toBe(5);
  });

  it('within 20% MAPE overall, 10% on the BF16 rows, 15% on FP8 and INT8', () => {
    expect(mape()).toBeLessThan(0.20);
    expect(mape('bf16')).toBeLessThan(0.10);
    expect(mape('fp8')).toBeLessThan(0.15);
    expect(mape('int8')).toBeLessThan(0.15);
  });
});
