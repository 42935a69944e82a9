import { describe, expect, it } from 'vitest';
import { loadCorpus } from '../../src/fidelity/corpus.ts';
import { profileFor, predictRow, resolveRow, runPlanFor, STEADY_TOLERANCE } from '../../src/fidelity/predict.ts';
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
    expect(plan.spec.arrivals).toEqual({ kind: 'closed', concurrency: 50 });
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
