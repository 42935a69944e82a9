import { describe, expect, it } from 'vitest';
import { loadCorpus } from '../../src/fidelity/corpus.ts';
import { predictRows } from '../../src/fidelity/predict.ts';

/**
 * Models the catalog gained on 2026-12-05, held against published measurements of them that no
 * profile was fitted on (data/corpus/new-models/, transcribed the same day): TensorRT-LLM 0.9.0's
 * GPT-J 6B, Mistral 7B and Falcon 180B tables, the Qwen team's vLLM speed benchmarks, Lambda's
 * vLLM bursts. Seed 1, 2026-12-05: 59 rows 18.2%; Qwen2.5 on vLLM 0.6.3 -2% to +8%; GPT-J 6B
 * -23% to +6%; the A100 rows 10.5%. Not held: Mistral 7B FP8 on H100 and H200 (+32% to +102%:
 * the measured runs got little of its 8-KV-head advantage, docs/fidelity.md) and Qwen2 on vLLM
 * 0.4.2 at 14-30K-token prompts (+28% to +43%).
 */
describe('models fleetsim was never fitted on', () => {
  const rows = loadCorpus(['data/corpus/new-models/measurements.csv']);
  const predictions = predictRows(rows);
  const error = (i: number) => {
    const p = predictions[i];
    if (p.status !== 'predicted') throw new Error(`${rows[i].id}: ${p.reason}`);
    return p.value / rows[i].value - 1;
  };
  const fitted = ['llama-2-7b', 'llama-2-13b', 'llama-2-70b', 'llama-3-8b', 'llama-3-70b', 'llama-3.1-8b', 'llama-3.1-70b', 'mixtral-8x7b'];

  it('are 59 validation rows of models no profile has seen', () => {
    expect(rows).toHaveLength(59);
    for (const r of rows) {
      expect(r.split).toBe('validation');
      expect(fitted, r.id).not.toContain(r.model);
    }
  });

  it('read Qwen2.5 on vLLM 0.6.3 within 10% and GPT-J 6B within 25%, row by row', () => {
    const qwen = rows.flatMap((r, i) => (r.model.startsWith('qwen2.5-') ? [i] : []));
    const gptj = rows.flatMap((r, i) => (r.model === 'gpt-j-6b' ? [i] : []));
    expect(qwen.length).toBeGreaterThanOrEqual(10);
    expect(gptj.length).toBeGreaterThanOrEqual(12);
    for (const i of qwen) expect(Math.abs(error(i)), rows[i].id).toBeLessThan(0.1);
    for (const i of gptj) expect(Math.abs(error(i)), rows[i].id).toBeLessThan(0.25);
  });

  it('read the A100 rows within 15% on average (three publishers, ten models)', () => {
    const a100 = rows.flatMap((r, i) => (r.gpu === 'a100-80gb' ? [i] : []));
    expect(a100.length).toBeGreaterThanOrEqual(30);
    const mape = a100.reduce((s, i) => s + Math.abs(error(i)), 0) / a100.length;
    expect(mape).toBeLessThan(0.15);
  });
});
