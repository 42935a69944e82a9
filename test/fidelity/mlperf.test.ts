import { describe, expect, it } from 'vitest';
import { loadCorpus } from '../../src/fidelity/corpus.ts';
import { predictRow, predictRows, stackEngine } from '../../src/fidelity/predict.ts';
import { publishedBatchSteps } from '../../src/fidelity/published-batch.ts';

/**
 * MLPerf Inference v4.0/v4.1, Llama 2 70B, NVIDIA's closed submissions (data/corpus/mlperf/, read
 * with --corpus only): published offline throughput of one TP 2 replica on H100 and one TP 1
 * replica on H200, against fleetsim's offline run of the same engine batch, the dataset's own
 * lengths and the run's published request count (24,576-50,160 per replica). v4.0 ran a
 * TensorRT-LLM devdrop of February 2024 batching in flight (trtllm-2024), v4.1 0.12.0.dev
 * (trtllm-0.11, whose GEMM efficiency was fitted on v4.1's row here); both harnesses admit with
 * MAX_UTILIZATION. Measured (2026-12-05): -2.1%, +0.2% (H100), -9.3% (v4.0's H200 with its custom
 * 1,000 W cooling, the model's H200 a 700 W part) and -1.2% (v4.1, +8.1% with trtllm); held within
 * 20%, the error the held-out measurements are judged by.
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
 * The same submissions' server runs, at 93-95% of their own offline throughput, where a capacity
 * error of a few per cent moves latency by tens (docs/fidelity.md, "Near capacity"). Read with the
 * harness's scheduler (MAX_UTILIZATION, in flight) and each request's lengths drawn from the MLPerf
 * OpenOrca set's samples (data/lengths/), the replica holds the batch the real one did: measured
 * 2026-12-05, mean TTFT and TPOT of v4.0's H100 TP 2 run -30.0% and +13.2% (-74.9% and -66.6% with
 * the session runtime's profile and geometric lengths), v5.0's H200 run -6.9% and +12.6%, v5.1's
 * HPE and Dell runs -13.7%/+7.4% and -14.4%/+8.0%, and three added after the reading was set
 * (Cisco's, Dell's virtualised and QCT's, the same rate) -12.3% to -17.0% and +6.1% to +8.9%. Not
 * held: v4.1's H200 run (TTFT +30.5%, TPOT +13.1% at a simulated load of 0.97 with trtllm-0.11;
 * -24.3% and -41.6% with trtllm, whose step at its batch was 12% short), and the
 * runs whose rate is past the simulated capacity (v4.0's 1,000 W H200, v5.1's Nebius and ASUS
 * runs at 14.57-14.75 requests/s), which are flagged unsteady.
 */
describe('MLPerf Llama 2 70B server runs at the knee: the harness\'s scheduler and the dataset\'s lengths', () => {
  const held = /^(m-trtllm-mlpv40-h100-l2-70b-fp8-tp2-q18p36|m5-trtllm-mlpv50-h200-l2-70b-fp8-tp1-q14p32|m51-trtllm-(hpe|dell|dell-broadcom|cisco|qct)-h200-l2-70b-fp8-tp1-q14p27925)-orca-(ttft|tpot)$/;
  const rows = loadCorpus(['data/corpus/mlperf/llama2-70b.csv', 'data/corpus/mlperf/v50.csv', 'data/corpus/mlperf/v51.csv']);
  const meanRows = rows.filter((r) => held.test(r.id));
  const predictions = predictRows(meanRows, { sampleSeeds: 1 });

  it('reads the mean TPOT within 20% and the mean TTFT within 35% of seven runs on two GPUs and three rounds', () => {
    expect(meanRows).toHaveLength(14);
    meanRows.forEach((row, i) => {
      const p = predictions[i];
      if (p.status !== 'predicted') throw new Error(`${row.id}: ${p.reason}`);
      expect(p.steady, row.id).toBe(true);
      expect(Math.abs(p.value / row.value - 1), row.id).toBeLessThan(row.kind === 'serving_tpot' ? 0.2 : 0.35);
    });
  });

  it('read with a geometric law around the same means, v5.0\'s run is past the simulated capacity', () => {
    const row = meanRows.find((r) => r.id.startsWith('m5-') && r.kind === 'serving_tpot')!;
    const geometric = predictRow({ ...row, lengths: 'openorca' }, { sampleSeeds: 1 });
    expect(geometric.status === 'predicted' && geometric.steady).toBe(false);
  });
});

/**
 * MLPerf Inference v5.0's Llama 2 70B interactive server on H200 (data/corpus/mlperf/v50.csv,
 * transcribed 2026-12-05, never fitted on): eight TP 1 replicas at 8.44 requests/s each, 57% of
 * the same system's offline rate, under the interactive limits (TTFT 450 ms, TPOT 40 ms at p99),
 * with a token budget of 256 a step. Below the knee a serving run's latencies follow from the step
 * model without the capacity error's amplification. Measured 2026-12-05 with each request's
 * lengths drawn from the OpenOrca set's samples: tokens/s +2.8%, requests/s +2.6%, TPOT -6.0% and
 * p99 +14.6%, held within 25%, the issue's bar for a serving point; TTFT -27.4% and p99 -35.4%,
 * held within 40%. With a geometric law around the same means the first tokens read -23.3% and
 * -17.3%, but that law's 99th-percentile prompt is 1,021 tokens where the set's is 791: the p99
 * first token was right for a prompt longer than the run's. What the real engine spends on a long
 * prompt under a 256-token budget beside 84 decoding sequences is not modelled (its chunk sizes are
 * not published).
 */
describe('MLPerf v5.0 Llama 2 70B interactive server', () => {
  const rows = loadCorpus(['data/corpus/mlperf/v50.csv']).filter((r) => r.id.includes('-l2-70b-int-'));
  const predictions = predictRows(rows);

  it('reads its throughput and TPOT within 25% and its first tokens within 40%, short', () => {
    expect(rows.map((r) => `${r.kind} ${r.statistic}`).sort()).toEqual([
      'serving_throughput mean', 'serving_throughput mean', 'serving_tpot mean', 'serving_tpot p99', 'serving_ttft mean', 'serving_ttft p99',
    ]);
    rows.forEach((row, i) => {
      const p = predictions[i];
      if (p.status !== 'predicted') throw new Error(`${row.id}: ${p.reason}`);
      expect(p.load, row.id).toBeLessThan(0.82);
      const error = p.value / row.value - 1;
      if (row.kind === 'serving_ttft') expect(error, row.id).toBeGreaterThan(-0.4);
      else expect(Math.abs(error), row.id).toBeLessThan(0.25);
      if (row.kind === 'serving_ttft') expect(error, row.id).toBeLessThan(0);
    });
  });
});

/**
 * MLPerf Inference v5.1 (data/corpus/mlperf/v51.csv, transcribed 2026-12-05, never fitted on):
 * offline throughput of one TP 1 replica of five submitters' H200 systems (Llama 2 70B; Llama 3.1
 * 8B on two of them; Dell's virtualised XE9680 and Google's added on 2026-12-05, night) and of
 * NVIDIA's B200 (NVFP4 weights). Measured 2026-12-05 with the sets' own lengths and the harness's
 * MAX_UTILIZATION admission: H200 -2.6% to +10.8%; B200 +32.7% (70B) and
 * +60.5% (8B). The H200 rows are held within 12%. The B200 rows are
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

  it('has nine H200 and two B200 offline rows, all validation', () => {
    expect(rows.filter((r) => r.gpu === 'h200')).toHaveLength(9);
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

/**
 * MLPerf Inference v4.1, Llama 2 70B, ten other submitters' H100 (TP 2) and H200 (TP 1) systems
 * (data/corpus/mlperf/v41-submitters.csv, built by build-v41.mjs from the results repository on
 * 2026-12-05, never fitted on): TensorRT-LLM 0.12.0.dev under NVIDIA's harness, read with
 * `trtllm-0.11`, whose GEMM efficiency was fitted on NVIDIA's own v4.1 offline figure (H200).
 * Three of the H100 systems are 4-GPU HGX boards without NVSwitch ("6x 4th Gen NVLink" between each
 * pair in their system descriptions: `h100-80gb-hgx4`), whose TP 2 pairs all-reduce over a third of
 * the GPU's NVLink (step.ts meshShortfallMsPerByte, at the mesh link's own efficiency, nothing
 * fitted). Measured 2026-12-06: offline -3.8% to +1.4% on every system (the 4-GPU ones +12% to
 * +18% read as switched boards); the step at each server run's published batch (Little's law)
 * -14% to +3% (the 4-GPU ones -7% to -11%; -25% to -27% as switched boards).
 */
describe('MLPerf v4.1 submitters: read with the profile of TensorRT-LLM 0.11-0.13, fitted on NVIDIA\'s own offline figure', () => {
  const all = loadCorpus(['data/corpus/mlperf/v41-submitters.csv']);
  // HPE's H100 NVL system (transcribed 2026-12-06 with the card's catalog entry): read on its own, below
  const nvl = (id: string) => /h100nvl/.test(id);
  const rows = all.filter((r) => !nvl(r.id));
  const offline = rows.filter((r) => r.kind === 'throughput');
  const predictions = predictRows(offline, { sampleSeeds: 1 });
  const fourGpu = (id: string) => /h100x4/.test(id);

  it('has 118 figures of 18 systems, all validation, on the trtllm-0.11 profile; the 4-GPU boards and the NVL cards on their own GPU ids', () => {
    expect(all).toHaveLength(118);
    expect(new Set(all.map((r) => r.url.split('/closed/')[1].split('/llama2-70b')[0])).size).toBe(18);
    for (const r of all) {
      expect(r.split).toBe('validation');
      expect(stackEngine(r.stack, r.stack_version, r.engine_args), r.id).toBe('trtllm-0.11');
      expect(r.gpu === 'h100-80gb-hgx4', r.id).toBe(fourGpu(r.id));
      expect(r.gpu === 'h100-nvl', r.id).toBe(nvl(r.id));
    }
  });

  it('reads the H100 NVL run\'s offline throughput within 5% with the card\'s GEMM fraction (from MLPerf\'s GPT-J ratio; +15% at the SXM\'s), its server step at batch within 25%', () => {
    const nvlRows = all.filter((r) => nvl(r.id));
    expect(nvlRows).toHaveLength(7);
    const offlineRow = nvlRows.find((r) => r.kind === 'throughput')!;
    const [p] = predictRows([offlineRow], { sampleSeeds: 1 });
    if (p.status !== 'predicted') throw new Error(p.reason);
    expect(Math.abs(p.value / offlineRow.value - 1)).toBeLessThan(0.05);
    // its server run's step at the batch it held: 20% short (the SXM systems -14% to +3%)
    const [step] = publishedBatchSteps(nvlRows);
    expect(Math.abs(step.error_pct)).toBeLessThan(25);
  });

  it('reads every other system\'s offline throughput within 5%, the 4-GPU boards 10-20% high as switched ones', () => {
    expect(offline).toHaveLength(15);
    offline.forEach((row, i) => {
      const p = predictions[i];
      if (p.status !== 'predicted') throw new Error(`${row.id}: ${p.reason}`);
      expect(Math.abs(p.value / row.value - 1), row.id).toBeLessThan(0.05);
    });
    const fourRows = offline.filter((r) => fourGpu(r.id));
    expect(fourRows).toHaveLength(3);
    predictRows(fourRows.map((r) => ({ ...r, gpu: 'h100-80gb' })), { sampleSeeds: 1 }).forEach((p, i) => {
      if (p.status !== 'predicted') throw new Error(`${fourRows[i].id}: ${p.reason}`);
      const error = p.value / fourRows[i].value - 1;
      expect(error, fourRows[i].id).toBeGreaterThan(0.1);
      expect(error, fourRows[i].id).toBeLessThan(0.2);
    });
  });

  it('reads the step at each server run\'s published batch within 15%, the 4-GPU boards 20-30% short as switched ones', () => {
    const steps = publishedBatchSteps(rows);
    expect(steps).toHaveLength(16);
    for (const s of steps) expect(Math.abs(s.error_pct), s.id).toBeLessThan(15);
    const switched = publishedBatchSteps(rows.map((r) => (fourGpu(r.id) ? { ...r, gpu: 'h100-80gb' } : r))).filter((x) => fourGpu(x.id));
    expect(switched).toHaveLength(3);
    for (const s of switched) {
      expect(s.error_pct, s.id).toBeLessThan(-20);
      expect(s.error_pct, s.id).toBeGreaterThan(-30);
    }
  });
});

/**
 * MLPerf Inference v5.0, Llama 3.1 405B, NVIDIA's H200 x8 server run (data/corpus/mlperf/v50.csv):
 * one TP 8 replica at 0.45 requests/s of 9,429-token prompts, its engine built with
 * gemm_allreduce_plugin float16 (each row-parallel GEMM fused with its all-reduce; the class
 * H200_SXM_141GBx8_TP8PP1 of the configuration the rows cite). Measured 2026-12-05: with the
 * fusion modelled (step.ts allReducePayloadMs) its six figures -1.8% to +12.5%; without it TTFT
 * +347% and TPOT +154%, the replica past a capacity the unfused all-reduce halves. Transcribed
 * afterwards (v51.csv), never fitted on: Dell's virtualised, Nebius's and Quanta's v5.1 H200
 * server runs and Nebius's interactive run, the same build flag, 24 figures -12.2% to +11.6%
 * (153% read unfused).
 */
describe('MLPerf Llama 3.1 405B servers at TP 8: the GEMM-fused all-reduce their engines were built with', () => {
  const rows = loadCorpus(['data/corpus/mlperf/v50.csv', 'data/corpus/mlperf/v51.csv']).filter((r) => r.model === 'llama-3.1-405b');
  const fused = predictRows(rows, { sampleSeeds: 1 });

  it('reads the throughput and the mean and p99 TTFT and TPOT of five runs of four submitters within 15%', () => {
    expect(rows).toHaveLength(30);
    rows.forEach((row, i) => {
      expect(row.engine_args.gemm_allreduce_plugin, row.id).toBe('float16');
      const p = fused[i];
      if (p.status !== 'predicted') throw new Error(`${row.id}: ${p.reason}`);
      expect(Math.abs(p.value / row.value - 1), row.id).toBeLessThan(0.15);
    });
  });

  it('read as if the all-reduce ran after each GEMM, NVIDIA\'s v5.0 run\'s first tokens and steps come out over twice the measured', () => {
    const unfusedRows = rows.filter((r) => /^m5-.*-(ttft|tpot)$/.test(r.id)).map((r) => ({ ...r, engine_args: { ...r.engine_args, gemm_allreduce_plugin: undefined } }));
    expect(unfusedRows).toHaveLength(2);
    predictRows(unfusedRows, { sampleSeeds: 1 }).forEach((p, i) => {
      if (p.status !== 'predicted') throw new Error(`${unfusedRows[i].id}: ${p.reason}`);
      expect(p.value / unfusedRows[i].value, unfusedRows[i].id).toBeGreaterThan(2);
    });
  });
});

/**
 * MLPerf Inference v5.0, Mixtral 8x7B, NVIDIA's H200 x8 runs (data/corpus/mlperf/v50.csv, eight TP 1
 * replicas at a batch of 3,072): the checkpoint is ModelOpt AutoQuantize's mix of FP8 and FP16
 * layers at 8.75 effective bits (configs/mixtral-8x7b, code/mixtral-8x7b/modelopt/quantize.py of
 * NVIDIA's results), 9.4% of the layer weights FP16 (engine_args effective_bits). Read as all FP8,
 * the offline throughput was +24.9% and the step at the server run's batch (1,331 sequences by
 * Little's law) -36.8%; with the mix (2026-12-08) +15.8% and -27.0%. Still fast: no other term
 * found (docs/step-model.md, "An FP8 + FP16 checkpoint").
 */
describe('MLPerf v5.0 Mixtral 8x7B: an FP8 + FP16 AutoQuantize checkpoint', () => {
  const rows = loadCorpus(['data/corpus/mlperf/v50.csv']).filter((r) => r.model === 'mixtral-8x7b');

  it('every row names the checkpoint\'s effective bits', () => {
    expect(rows).toHaveLength(7);
    for (const r of rows) expect(r.engine_args.effective_bits, r.id).toBe(8.75);
  });

  it('reads the offline throughput within 20% (25% fast read as all FP8), and the server step at its batch within 30%', () => {
    const offline = rows.find((r) => r.kind === 'throughput')!;
    const [p, allFp8] = predictRows([offline, { ...offline, engine_args: { ...offline.engine_args, effective_bits: undefined } }], { sampleSeeds: 1 });
    if (p.status !== 'predicted' || allFp8.status !== 'predicted') throw new Error('not predicted');
    expect(Math.abs(p.value / offline.value - 1)).toBeLessThan(0.2);
    expect(allFp8.value / offline.value - 1).toBeGreaterThan(0.2);
    const [step] = publishedBatchSteps(rows);
    expect(Math.abs(step.error_pct)).toBeLessThan(30);
  });
});
