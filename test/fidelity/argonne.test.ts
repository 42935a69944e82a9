import { describe, expect, it } from 'vitest';
import { loadCorpus } from '../../src/fidelity/corpus.ts';
import { predictRows } from '../../src/fidelity/predict.ts';
import { ENGINE_PROFILES } from '../../src/perf/profiles.ts';

/**
 * Argonne's LLM-Inference-Bench (data/corpus/argonne/, transcribed 2026-12-05): vLLM static batches
 * of L tokens in and L out on A100 40GB and H100 (FP16, TP 1-4, batch 1-64, L 128-2,048), the V0
 * engine scheduling every step, and MI300X under vLLM 0.6.1. Its A100 and H100 rows alternate
 * halves; `vllm-v0`'s per-sequence cost is fitted on the calibration half. Seed-free closed forms.
 * On 2026-12-05, all 533 A100/H100 rows: A100 8.5%, H100 8.4% with the V1-era `vllm` profile;
 * MI300X about 2.2x faster than measured (not held: that ROCm build ran far below the tuned builds
 * of azure/benchmarking-guide.csv, which read -6.9%).
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

  it('read the held-back half better with the V0 engine\'s per-sequence cost than with the V1 engine\'s', () => {
    // the rows a stated bias or a starved KV cache governs are in neither half's fit
    const heldBack = rows.filter((r) => r.split === 'validation' && !(r.gpu === 'h100-80gb' && r.model === 'mistral-7b') && !(r.gpu === 'a100-40gb' && r.model === 'llama-2-70b' && r.tp === 4));
    expect(heldBack.length).toBeGreaterThan(200);
    const mape = (engine: 'vllm' | 'vllm-v0') => {
      const p = predictRows(heldBack, { calibration: ENGINE_PROFILES[engine] });
      return heldBack.reduce((s, r, i) => s + Math.abs((p[i] as { value: number }).value / r.value - 1), 0) / heldBack.length;
    };
    const [v1, v0] = [mape('vllm'), mape('vllm-v0')];
    expect(v0).toBeLessThan(v1 - 0.005);
    expect(v0).toBeLessThan(0.08);
  });
});

