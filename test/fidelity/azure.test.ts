import { describe, expect, it } from 'vitest';
import { loadCorpus } from '../../src/fidelity/corpus.ts';
import { predictRows } from '../../src/fidelity/predict.ts';

/**
 * Microsoft's Azure AI benchmarking guide (data/corpus/azure/benchmarking-guide.csv, transcribed
 * 2026-12-05, never fitted on): TensorRT-LLM static batches on A100, H100 and H200 (2024-09),
 * TensorRT-LLM 0.15 `trtllm-bench` offline runs on H100 and H200 and vLLM offline runs on MI300X
 * (2024-12, 2025-01). The 70B and 405B rows, where the GPU's work dominates, read within 25% on all
 * four GPUs and both stacks (2026-12-05: -17.9% to +20.7%; -17.2% to +22.9% before the
 * `trtllm-bench` rows took the tool's own engine limits). The 8B rows are not held: the
 * `trtllm-bench` engine was built once from the 2048/2048 dataset and reused for every length
 * pair, with limits that were not published (128/128 on H100 reads +72.6%), nor the 7B and 8B static
 * batches of 128/8 tokens on H100 and H200 (+33% to +36%, Mistral 7B as Llama 3 8B).
 */
describe('Azure benchmarking guide: large models within 25%', () => {
  const rows = loadCorpus(['data/corpus/azure/benchmarking-guide.csv']);
  const large = rows.filter((r) => r.model !== 'llama-3-8b' && r.model !== 'llama-3.1-8b' && r.model !== 'mistral-7b');
  const predictions = predictRows(large);

  it('has 69 validation rows, 45 of them of 70B and 405B models on four GPUs', () => {
    expect(rows).toHaveLength(69);
    for (const r of rows) expect(r.split).toBe('validation');
    expect(large).toHaveLength(45);
    expect([...new Set(large.map((r) => r.gpu))].sort()).toEqual(['a100-80gb', 'h100-80gb', 'h200', 'mi300x']);
  });

  it('reads every 70B and 405B row within 25%', () => {
    large.forEach((row, i) => {
      const p = predictions[i];
      if (p.status !== 'predicted') throw new Error(`${row.id}: ${p.reason}`);
      expect(Math.abs(p.value / row.value - 1), row.id).toBeLessThan(0.25);
    });
  });
});
