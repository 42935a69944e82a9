import { describe, expect, it } from 'vitest';
import { loadCorpus } from '../../src/fidelity/corpus.ts';
import { predictRows } from '../../src/fidelity/predict.ts';

/**
 * MLPerf Inference v4.0/v4.1, Llama 2 70B, NVIDIA's closed submissions (data/corpus/mlperf/, read
 * with --corpus only): published offline throughput of one TP 2 replica on H100 and one TP 1
 * replica on H200, against fleetsim's offline run of the same engine batch, the dataset's mean
 * lengths and the run's published request count (24,576-50,160 per replica). Measured
 * (2026-12-04): +8.8% to +16.4%, fleetsim too fast on all four; held within 20%, the error the
 * held-out measurements are judged by. Cut at 5,000 requests the same runs read +2.7% to +6.2%:
 * the ramp and drain of a short run hid most of the error. The server rows of the file are not
 * held here: they run at 95-98% of the same system's offline throughput, where a capacity 9-16%
 * too high leaves fleetsim's batch at a third of the real one and its TTFT and TPOT 49-77% short
 * (docs/step-model.md).
 */
describe('MLPerf Llama 2 70B offline throughput', () => {
  const rows = loadCorpus(['data/corpus/mlperf/llama2-70b.csv']);
  const offline = rows.filter((r) => r.kind === 'throughput');
  const predictions = predictRows(offline);

  it('has the four offline rows of the two rounds, all validation', () => {
    expect(offline.map((r) => `${r.gpu} tp${r.tp}`).sort()).toEqual(['h100-80gb tp2', 'h100-80gb tp2', 'h200 tp1', 'h200 tp1']);
    for (const r of rows) expect(r.split).toBe('validation');
  });

  it('each is within 20% of the published tokens per second', () => {
    offline.forEach((row, i) => {
      const p = predictions[i];
      if (p.status !== 'predicted') throw new Error(`${row.id}: ${p.reason}`);
      expect(Math.abs(p.value / row.value - 1), row.id).toBeLessThan(0.2);
    });
  });
});
