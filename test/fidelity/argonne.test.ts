import { describe, expect, it } from 'vitest';
import { loadCorpus } from '../../src/fidelity/corpus.ts';
import { predictRows } from '../../src/fidelity/predict.ts';

/**
 * Argonne's LLM-Inference-Bench (data/corpus/argonne/, transcribed 2026-12-05, never fitted on):
 * vLLM static batches of L tokens in and L out on A100 40GB and H100 (FP16, TP 1-4, batch 1-64,
 * L 128-2,048), and MI300X under vLLM 0.6.1. Seed-free closed forms. On 2026-12-05: A100 8.5%,
 * H100 8.4% over 533 rows; MI300X 2.2x faster than measured (not held: that ROCm build ran far below
 * the tuned builds of azure/benchmarking-guide.csv, which read -6.9%).
 */
describe("Argonne's vLLM static batches", () => {
  const rows = loadCorpus(['data/corpus/argonne/inference-bench.csv']).filter((r) => r.gpu !== 'mi300x');
  const predictions = predictRows(rows);
  const byId = new Map(rows.map((r, i) => [r.id, { measured: r.value, predicted: predictions[i] }]));
  const predicted = (id: string) => {
    const p = byId.get(id)?.predicted;
    if (!p) throw new Error(`${id}: no such row`);
    if (p.status !== 'predicted') throw new Error(`${id}: ${p.reason}`);
    return p.value;
  };

  it('read the A100 40GB and H100 rows within 12% on average', () => {
    for (const gpu of ['a100-40gb', 'h100-80gb']) {
      const ids = rows.filter((r) => r.gpu === gpu).map((r) => r.id);
      expect(ids.length, gpu).toBeGreaterThan(200);
      const mape = ids.reduce((s, id) => s + Math.abs(predicted(id) / byId.get(id)!.measured - 1), 0) / ids.length;
      expect(mape, gpu).toBeLessThan(0.12);
    }
  });

  it("credit Llama 3 8B's 8 KV heads against Llama 2 7B's 32 as the measurements do, batch by batch on H100", () => {
    // the saving is all in the KV cache read: at batch 32-64 and 1,024-2,048 tokens the measured
    // latency ratio falls to 0.41-0.69, and the model's follows it within 12%; at batch 16 the
    // model credits more of it than was measured (0.60 against 0.72 at 2,048 tokens), within 20%
    let compared = 0;
    for (const b of [16, 32, 64]) {
      const bound = b === 16 ? 0.2 : 0.12;
      for (const l of [512, 1024, 2048]) {
        const pair = (m: string) => `ar-h100-vllm-${m}-tp1-b${b}-l${l}-lat`;
        if (!byId.has(pair('l2-7b')) || !byId.has(pair('l3-8b'))) continue;
        const measured = byId.get(pair('l3-8b'))!.measured / byId.get(pair('l2-7b'))!.measured;
        const model = predicted(pair('l3-8b')) / predicted(pair('l2-7b'));
        expect(Math.abs(model / measured - 1), `batch ${b}, ${l} tokens: measured ${measured.toFixed(2)}, model ${model.toFixed(2)}`).toBeLessThan(bound);
        compared++;
      }
    }
    expect(compared).toBeGreaterThanOrEqual(8);
  });
});
