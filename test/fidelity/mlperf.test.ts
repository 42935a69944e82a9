import { describe, expect, it } from 'vitest';
import { loadCorpus } from '../../src/fidelity/corpus.ts';
import { predictRows, stackEngine } from '../../src/fidelity/predict.ts';

/**
 * MLPerf Inference v4.0/v4.1, Llama 2 70B, NVIDIA's closed submissions (data/corpus/mlperf/, read
 * with --corpus only): published offline throughput of one TP 2 replica on H100 and one TP 1
 * replica on H200, against fleetsim's offline run of the same engine batch, the dataset's mean
 * lengths and the run's published request count (24,576-50,160 per replica); v4.0 ran a
 * TensorRT-LLM devdrop of February 2024, before 0.10, so its rows take the session runtime's
 * profile (trtllm-session, no per-sequence cost), though its harness batched in flight; v4.1 one of
 * mid-2024 (trtllm). Measured (2026-12-05, TensorRT-LLM's memory rule): -0.8%, +13.7%, +16.9%
 * (v4.0; -13.3%, -7.3%, -4.9% with trtllm-2024 on 2026-12-04) and +2.8% (v4.1); held within 20%,
 * the error the held-out measurements are judged by. The server rows of the file are not held here:
 * they run at 93-95% of the same system's offline throughput (5,272 of 5,539 tokens/s on H100;
 * 3,732 of 4,020 and 3,654 of 3,913 on H200), where a capacity error of 5-15% either way leaves
 * fleetsim overloaded or far from the knee, and its TTFT and TPOT 14-78% short (docs/step-model.md;
 * docs/fidelity.md, "Near capacity": `fleetsim fidelity` puts them at simulated loads of 0.83-0.92).
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

/**
 * MLPerf Inference v5.0's Llama 2 70B interactive server on H200 (data/corpus/mlperf/v50.csv,
 * transcribed 2026-12-05, never fitted on): eight TP 1 replicas at 8.44 requests/s each, 57% of
 * the same system's offline rate, under the interactive limits (TTFT 450 ms, TPOT 40 ms at p99).
 * Below the knee a serving run's latencies follow from the step model without the capacity
 * error's amplification: all six figures read within 25% (2026-12-05: tokens/s +2.3%, requests/s
 * +3.0%, TTFT -23.2% and p99 -16.6%, TPOT -5.2% and p99 +20.4%), the issue's bar for a serving point.
 */
describe('MLPerf v5.0 Llama 2 70B interactive server', () => {
  const rows = loadCorpus(['data/corpus/mlperf/v50.csv']).filter((r) => r.id.includes('-l2-70b-int-'));
  const predictions = predictRows(rows);

  it('reads every published figure within 25%', () => {
    expect(rows.map((r) => `${r.kind} ${r.statistic}`).sort()).toEqual([
      'serving_throughput mean', 'serving_throughput mean', 'serving_tpot mean', 'serving_tpot p99', 'serving_ttft mean', 'serving_ttft p99',
    ]);
    rows.forEach((row, i) => {
      const p = predictions[i];
      if (p.status !== 'predicted') throw new Error(`${row.id}: ${p.reason}`);
      expect(p.load, row.id).toBeLessThan(0.82);
      expect(Math.abs(p.value / row.value - 1), row.id).toBeLessThan(0.25);
    });
  });
});

/**
 * MLPerf Inference v5.1 (data/corpus/mlperf/v51.csv, transcribed 2026-12-05, never fitted on):
 * offline throughput of one TP 1 replica of five submitters' H200 systems (Llama 2 70B; Llama 3.1
 * 8B on two of them) and of NVIDIA's B200 (NVFP4 weights). Measured 2026-12-05: H200 -8.5% to
 * +9.5%; B200 +23.8% (70B) and +57.6% (8B). The H200 rows are held within 12%. The B200 rows are
 * held above +15%: that is the known bias `perf` and a run's verdict state for Blackwell GPUs
 * (model-error.ts knownHardwareBias), and a change that removes it must also revise what they say.
 */
describe('MLPerf v5.1 offline throughput: H200 within 12%, B200 read fast as stated', () => {
  const rows = loadCorpus(['data/corpus/mlperf/v51.csv']).filter((r) => r.kind === 'throughput');
  const predictions = predictRows(rows);
  const errors = rows.map((row, i) => {
    const p = predictions[i];
    if (p.status !== 'predicted') throw new Error(`${row.id}: ${p.reason}`);
    return { row, error: p.value / row.value - 1 };
  });

  it('has seven H200 and two B200 offline rows, all validation', () => {
    expect(rows.filter((r) => r.gpu === 'h200')).toHaveLength(7);
    expect(rows.filter((r) => r.gpu === 'b200')).toHaveLength(2);
    for (const r of rows) expect(r.split).toBe('validation');
  });

  it('reads every H200 row within 12% and every B200 row more than 15% high', () => {
    for (const { row, error } of errors) {
      if (row.gpu === 'h200') expect(Math.abs(error), row.id).toBeLessThan(0.12);
      else expect(error, row.id).toBeGreaterThan(0.15);
    }
  });
});

/**
 * Krai's MLPerf Inference v5.0 open-division runs of vLLM (data/corpus/mlperf/v50-krai-vllm.csv,
 * transcribed 2026-12-05, never fitted on): Llama 2 70B FP8 at TP 1 on H200 and MI300X, vLLM 0.6.4
 * and 0.7.3 on the V0 engine scheduling every step, behind its OpenAI server. Measured 2026-12-05:
 * offline throughput on H200 +72% and +69% (FlashAttention), +28% (FlashInfer), on MI300X +37% and
 * +48%; the server runs, at 86-92% of their own offline rate, TPOT 60-78% short. That is the known
 * bias `perf` and a run's verdict state for `vllm-v0` (model-error.ts knownEngineBias): the offline
 * rows are held above +20%, and a change that removes the bias must also revise what it says. A
 * server run's tokens per second follows its arrivals while it keeps up: within 10%.
 */
describe('Krai MLPerf v5.0 vLLM V0 runs on H200 and MI300X: offline read fast as stated', () => {
  const rows = loadCorpus(['data/corpus/mlperf/v50-krai-vllm.csv']);
  const measured = rows.filter((r) => r.kind === 'throughput' || r.kind === 'serving_throughput');
  const predictions = predictRows(measured);

  it('has five systems of six figures, all validation, each taking the V0 profile', () => {
    expect(rows).toHaveLength(30);
    expect(rows.filter((r) => r.gpu === 'mi300x')).toHaveLength(12);
    for (const r of rows) {
      expect(r.split).toBe('validation');
      expect(stackEngine(r.stack, r.stack_version, r.engine_args), r.id).toBe('vllm-v0');
    }
  });

  it('reads every offline run more than 20% fast and every server run\'s tokens per second within 10%', () => {
    measured.forEach((row, i) => {
      const p = predictions[i];
      if (p.status !== 'predicted') throw new Error(`${row.id}: ${p.reason}`);
      const error = p.value / row.value - 1;
      if (row.kind === 'throughput') expect(error, row.id).toBeGreaterThan(0.2);
      else expect(Math.abs(error), row.id).toBeLessThan(0.1);
    });
  });
});
