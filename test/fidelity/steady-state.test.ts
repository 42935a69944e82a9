import { describe, expect, it } from 'vitest';
import { loadCorpus } from '../../src/fidelity/corpus.ts';
import { CLIENT_GAP_MS, profileFor, predictRow, resolveRow, runPlanFor, STEADY_TOLERANCE } from '../../src/fidelity/predict.ts';
import { simulate } from '../../src/fidelity/run.ts';

/**
 * A serving row with no published run length is read at the simulated steady state. The
 * reference here is the slow way: the same run with a warm-up of 20,000 requests and a window of
 * 20,000. NIM's Llama-3.3-70B FP8 on two H100s, a closed loop of 50 clients with 5,000/500-token
 * requests (data/corpus/vendor.csv): the clients start in lock-step, and the loop takes thousands
 * of requests to spread out, so a warm-up of a few hundred requests reads a transient.
 */
describe('steady-state readings', () => {
  const row = loadCorpus(['data/corpus/vendor.csv']).find((r) => r.id === 'v-nim-180-h100-l33-70b-fp8-tp2-b50-5000-500-ttft')!;
  const resolved = resolveRow(row, profileFor(row, {}));
  if (typeof resolved === 'string') throw new Error(resolved);
  const plan = runPlanFor(row, resolved.model, resolved.step, resolved.gpu, {});
  const meanTtft = (warmup: number, measured: number) => {
    const run = simulate({ ...plan.spec, warmup, measured, requests: warmup + measured + 51, max_wall_ms: 120_000 });
    return run.ttft_ms.reduce((sum, v) => sum + v, 0) / run.ttft_ms.length;
  };
  const reference = meanTtft(20_000, 20_000);

  it('the row is a closed loop of 50 with no run length published', () => {
    expect(plan.spec.arrivals).toEqual({ kind: 'closed', concurrency: 50, client_gap_ms: CLIENT_GAP_MS });
    expect(row.num_requests).toBeUndefined();
  });

  it('a short warm-up reads a transient more than 20% away from the long run', () => {
    expect(Math.abs(meanTtft(plan.spec.warmup, plan.spec.measured) / reference - 1)).toBeGreaterThan(0.2);
  });

  it('the prediction agrees with the long run within twice the tolerance of its stopping rule', () => {
    const p = predictRow(row);
    if (p.status !== 'predicted') throw new Error(p.reason);
    expect(Math.abs(p.value / reference - 1)).toBeLessThan(2 * STEADY_TOLERANCE);
    expect(p.steady).toBe(true);
  });
});

/**
 * An open loop near capacity fills its batch over many request lifetimes, and its readings drift
 * for as long: MLPerf Inference v5.1's Llama 3.1 8B server run on one H200 (HPE, 63 requests/s,
 * 0.94 of the simulated capacity; data/corpus/mlperf/v51.csv). Read after 200 requests it put
 * TPOT 45% under the published figure and was flagged as not settled; the reading now starts past
 * four request lifetimes (Little's law: four times the mean in flight) and, below capacity, ends
 * at its longest run. Past capacity (v5.1's Llama 2 70B run on Nebius's H200 at 14.57 requests/s,
 * 1.02) a queue grows without bound, and the first reading is kept and flagged.
 */
describe('steady-state readings of an open loop near capacity', () => {
  const rows = loadCorpus(['data/corpus/mlperf/v50.csv', 'data/corpus/mlperf/v51.csv']);
  const meanOf = (a: Float64Array) => a.reduce((sum, v) => sum + v, 0) / a.length;
  const longRun = (id: string) => {
    const row = rows.find((r) => r.id === id)!;
    const resolved = resolveRow(row, profileFor(row, {}));
    if (typeof resolved === 'string') throw new Error(resolved);
    const plan = runPlanFor(row, resolved.model, resolved.step, resolved.gpu, {});
    const run = simulate({ ...plan.spec, warmup: 20_000, measured: 20_000, requests: 40_001, max_wall_ms: 120_000 });
    return { row, plan, ttft_ms: meanOf(run.ttft_ms), tpot_ms: meanOf(run.tpot_ms) };
  };

  it('below capacity, reads TPOT within 10% of a run of 40,000 requests', () => {
    const long = longRun('m51-trtllm-hpe-h200-l31-8b-fp8-tp1-q63p116875-cnndm-tpot');
    expect(long.plan.spec.warmup).toBe(200);
    const p = predictRow(long.row);
    if (p.status !== 'predicted') throw new Error(p.reason);
    expect(p.load).toBeGreaterThan(0.9);
    expect(p.load).toBeLessThan(1);
    expect(Math.abs(p.value / long.tpot_ms - 1)).toBeLessThan(0.1);
    expect(p.steady).toBe(true);
  });

  it('past capacity, keeps the first reading and flags it', () => {
    const long = longRun('m51-trtllm-nebius-h200-l2-70b-fp8-tp1-q14p57425-orca-ttft');
    const p = predictRow(long.row);
    if (p.status !== 'predicted') throw new Error(p.reason);
    expect(p.load).toBeGreaterThan(1);
    expect(p.steady).toBe(false);
    // the queue of the long run: its first tokens wait far longer than the first reading's
    expect(long.ttft_ms / p.value).toBeGreaterThan(10);
  });
});
