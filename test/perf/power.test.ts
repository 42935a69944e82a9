import { describe, expect, it } from 'vitest';
import { getGpu, getModel } from '../../src/perf/lookup.ts';
import { buildStepModel } from '../../src/perf/step.ts';
import { buildPowerModel, busyPowerW, cappedStepModel, IDLE_SHARE_OF_TDP, MEMORY_BOUND_ACTIVITY, uncappedPowerW } from '../../src/perf/power.ts';
import { ReplicaStats } from '../../src/fleet/gpu/stats.ts';
import { modelPowerPerGpu } from '../../src/results/energy-summary.ts';
import { userError } from '../helpers/errors.ts';
import { BASE_CFG, runWorkload } from '../gpu/helpers.ts';

/**
 * The GPU power model (src/perf/power.ts) against its closed forms: idle draw, TDP for
 * compute-bound work, the memory-bound share for a one-sequence decode, never above TDP or the
 * cap; a cap's clock ratio cbrt((cap - idle) / (P - idle)) stretching compute-bound steps only.
 */
const gpu = getGpu('h100-80gb');
const step = buildStepModel({ model: getModel('llama-3-8b'), gpu, tp: 1 });
const pm = buildPowerModel(step, gpu);
const idle = gpu.tdp_w * IDLE_SHARE_OF_TDP['h100-80gb'];

/** Draw of one step of the given shape, uncapped, from the step model's own FLOPs, bytes and time. */
const drawOf = (pt: number, pairs: number, ds: number, ctx: number) =>
  uncappedPowerW(pm, step.stepFlops(pt, pairs, ds, ctx), step.stepBytes(pt, pairs, ds, ctx), step.stepTimeMs(pt, pairs, ds, ctx));

describe('GPU power', () => {
  it('an idle GPU draws its idle share of TDP; a long prefill draws TDP; a one-sequence decode idle + 0.9 x its bandwidth utilisation x (TDP - idle)', () => {
    expect(pm.idle_w).toBeCloseTo(0.11 * 700, 9);
    expect(modelPowerPerGpu(pm, new ReplicaStats(), 60_000).mean_w).toBeCloseTo(idle, 9);
    expect(drawOf(4096, 4096 * 2048, 0, 0)).toBeCloseTo(700, 9);
    // a one-sequence decode: its bandwidth utilisation times the memory-bound coefficient, plus its small compute share
    const decode_s = step.stepTimeMs(0, 0, 1, 1) / 1000;
    const decodeMfu = step.stepFlops(0, 0, 1, 1) / (step.peakFlopsPerS * decode_s);
    const decodeMbu = step.stepBytes(0, 0, 1, 1) / (step.peakBytesPerS * decode_s);
    expect(decodeMfu / pm.computeSaturationMfu).toBeLessThan(0.01);
    expect(decodeMbu).toBeGreaterThan(0.3);
    expect(decodeMbu).toBeLessThan(1);
    expect(drawOf(0, 0, 1, 1)).toBeCloseTo(idle + (MEMORY_BOUND_ACTIVITY * decodeMbu + decodeMfu / pm.computeSaturationMfu) * (700 - idle), 9);
  });

  it('never draws below idle or above TDP, for any step shape', () => {
    for (const pt of [0, 16, 256, 2048, 8192]) {
      for (const ds of [0, 1, 32, 256]) {
        if (pt + ds === 0) continue;
        const w = drawOf(pt, pt * pt / 2, ds, ds * 2000);
        expect(w).toBeGreaterThanOrEqual(idle);
        expect(w).toBeLessThanOrEqual(700 + 1e-9);
      }
    }
  });

  it('a replica kept busy with long prompts draws TDP, and its mean over a half-idle period is the time-weighted mean', () => {
    // one-token answers: only prefill iterations, each a whole 4,096-token prompt (a compute-bound step)
    const cfg = { ...BASE_CFG, chunked_prefill: false, max_batched_tokens: 4096 };
    const { replica } = runWorkload(step, cfg, { n: 200, rate_per_s: 1e6, prompt: () => 4096, output: () => 1 }, { debug: false });
    const s = replica.stats();
    expect(s.prefill_busy_ms).toBe(s.busy_ms);
    expect(modelPowerPerGpu(pm, s, s.busy_ms).mean_w).toBeCloseTo(700, 6);
    // the same work over twice the time: half of it idle
    expect(modelPowerPerGpu(pm, s, 2 * s.busy_ms).mean_w).toBeCloseTo((700 + idle) / 2, 6);
  });

  it('the replica sums busy time, FLOPs and bytes of prefilling iterations as a per-iteration reference does', () => {
    let prefill_ms = 0, prefillFlops = 0;
    const { replica } = runWorkload(step, { ...BASE_CFG }, { n: 300, rate_per_s: 40, prompt: (r) => 100 + Math.floor(r() * 1500), output: (r) => 1 + Math.floor(r() * 300) }, {
      before: (_sim, r) => {
        const planned = r.debug!.planned!;
        r.debug!.planned = (rep) => {
          planned(rep);
          // the iteration just planned, read from its private fields: a slow, independent sum
          const it = rep as unknown as { iterPrefillTokens: number; iterDuration_ms: number; iterAttentionPairs: number; iterDecodeSeqs: number; iterContextTokens: number };
          if (it.iterPrefillTokens > 0) {
            prefill_ms += it.iterDuration_ms;
            prefillFlops += step.stepFlops(it.iterPrefillTokens, it.iterAttentionPairs, it.iterDecodeSeqs, it.iterContextTokens);
          }
        };
      },
    });
    const s = replica.stats();
    expect(prefill_ms).toBeGreaterThan(0);
    expect(s.prefill_busy_ms).toBeCloseTo(prefill_ms, 6);
    expect(s.prefill_flops / prefillFlops).toBeCloseTo(1, 12);
    expect(s.prefill_busy_ms).toBeLessThan(s.busy_ms);
  });
});

describe('power cap', () => {
  const cap_w = 400;
  const capped = buildPowerModel(step, gpu, cap_w);
  const cappedStep = cappedStepModel(step, capped);
  const s = Math.cbrt((cap_w - idle) / (700 - idle));

  it('a compute-bound prefill runs 1/s slower, s = cbrt((cap - idle) / (TDP - idle)), and draws the cap', () => {
    const pt = 4096, pairs = pt * pt / 2;
    expect(cappedStep.stepTimeMs(pt, pairs, 0, 0) / step.stepTimeMs(pt, pairs, 0, 0)).toBeCloseTo(1 / s, 9);
    const ms = cappedStep.stepTimeMs(pt, pairs, 0, 0);
    expect(busyPowerW(capped, step.stepFlops(pt, pairs, 0, 0), step.stepBytes(pt, pairs, 0, 0), ms)).toBe(cap_w);
  });

  it('a memory-bound decode under the cap is not slowed (its context slope, capped as a step of its own, by under 0.01%)', () => {
    expect(drawOf(0, 0, 1, 1000)).toBeLessThan(cap_w);
    expect(cappedStep.decodeInterceptMs(1)).toBeCloseTo(step.decodeInterceptMs(1), 9);
    // the per-context-token slope is a KV read at a higher bandwidth utilisation than the whole
    // step's: on its own it draws above 400 W, so its tiny compute share stretches
    const ratio = cappedStep.stepTimeMs(0, 0, 1, 1000) / step.stepTimeMs(0, 0, 1, 1000);
    expect(ratio).toBeGreaterThanOrEqual(1);
    expect(ratio).toBeLessThan(1.0001);
  });

  it('a capped decode step is still a line in its context tokens (the replica fuses decode runs on it)', () => {
    const tight = cappedStepModel(step, buildPowerModel(step, gpu, 200));
    for (const ds of [8, 64, 256]) {
      for (const ctx of [0, 10_000, 200_000]) {
        expect(tight.stepTimeMs(0, 0, ds, ctx)).toBeCloseTo(tight.decodeInterceptMs(ds) + tight.decodeMsPerContextToken * ctx, 9);
        expect(tight.stepTimeMs(0, 0, ds, ctx)).toBeGreaterThanOrEqual(step.stepTimeMs(0, 0, ds, ctx) - 1e-9);
      }
    }
  });

  it('refuses a cap at or below the idle draw or above TDP, naming the field', () => {
    expect(userError(() => buildPowerModel(step, gpu, 50, 'fleet.models.m.power_cap_w'))).toMatch(/^fleet\.models\.m\.power_cap_w: expected watts above the h100-80gb's idle draw of 77 W and at most its TDP of 700 W, got 50$/);
    expect(userError(() => buildPowerModel(step, gpu, 701))).toMatch(/at most its TDP of 700 W, got 701/);
  });
});
