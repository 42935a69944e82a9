import { describe, expect, it } from 'vitest';
import { runReplications } from '../../src/experiment/replications.ts';
import { simulate } from '../../src/experiment/simulate.ts';
import { SKETCH_RELATIVE_ACCURACY } from '../../src/metrics/latency.ts';
import { prepared } from '../helpers/scenario.ts';
import { smallFleet, smallModel } from '../helpers/fleet.ts';
import { userError } from '../helpers/errors.ts';

const PROMPT = 2000;
const VISIBLE = 50;
const HIDDEN = 400;

/** One Llama-2-7B replica, every request alike: PROMPT prompt tokens, VISIBLE visible output tokens, and the given reasoning tokens. */
function fleetWith(reasoning: unknown, rate_per_s: number, duration_s: number) {
  const tokens = { prompt: { dist: 'constant' as const, value: PROMPT }, output: { dist: 'constant' as const, value: VISIBLE } };
  const model = { ...smallModel(), share: 1, gpus: 1, tokens, ...(reasoning === undefined ? {} : { reasoning_tokens: reasoning }) };
  return smallFleet({ rate_per_s, duration_s, warmup_s: 20, fleet: { models: { small: model } as never } });
}

describe('reasoning tokens: the first visible token', () => {
  it('on an unloaded replica TTFVT - TTFT = hidden tokens x the step model\'s decode step at batch 1', () => {
    // one request every 50 s on average, each on the replica for about 3 s: nearly all run alone (batch 1)
    const prep = fleetWith({ dist: 'constant', value: HIDDEN }, 0.02, 4000);
    const run = simulate(prep, 7);
    const step = run.fleet!.served[0].step;
    const mm = run.fleet!.metrics.models[0];
    const ttft = mm.ttft.summary().p50!;
    const ttfvt = mm.ttfvt!.summary().p50!;
    // the truth: the first HIDDEN decode steps at batch 1, the context growing a token a step
    let truth = 0;
    for (let k = 1; k <= HIDDEN; k++) truth += step.stepTimeMs(0, 0, 1, PROMPT + k);
    // what the run measures: HIDDEN x the request's mean time per output token over its whole decode
    // (exact when every step takes the same time; here the steps lengthen with the context)
    const out = HIDDEN + VISIBLE;
    let all = 0;
    for (let k = 1; k < out; k++) all += step.stepTimeMs(0, 0, 1, PROMPT + k);
    const interpolated = (HIDDEN * all) / (out - 1);
    expect(truth).toBeGreaterThan(1000); // the thinking is most of the wait
    expect(Math.abs(interpolated - truth) / truth).toBeLessThan(0.01);
    // sketch quantiles are within SKETCH_RELATIVE_ACCURACY of the true ones, each
    const sketch = SKETCH_RELATIVE_ACCURACY * (ttft + ttfvt) + 1e-9;
    expect(Math.abs(ttfvt - ttft - interpolated)).toBeLessThanOrEqual(sketch);
    expect(Math.abs(ttfvt - ttft - truth)).toBeLessThanOrEqual(sketch + Math.abs(interpolated - truth));
  });

  it('hidden tokens are output: decoded, counted in output tokens, and the summary and verdict show both first tokens', () => {
    const summary = runReplications(fleetWith({ ratio_to_output: 2 }, 0.5, 200), 1, 1).summary;
    const m = summary.by_model!.small;
    // 2 hidden tokens per visible one: 100 of every 150 output tokens
    expect(m.reasoning_tokens_per_s! / m.output_tokens_per_s).toBeCloseTo(100 / 150, 6);
    expect(m.latency_ms.ttfvt!.p50!).toBeGreaterThan(m.latency_ms.ttft.p50! + 90 * m.latency_ms.tpot.p50!);
    const v = summary.verdict.first_visible_token!.small;
    expect(v.ttfvt_p99_ms).toBe(m.latency_ms.ttfvt!.p99);
    expect(v.thinking_ms_p99).toBeCloseTo(v.ttfvt_p99_ms! - v.ttft_p99_ms!, 3);
  });

  it('hidden tokens lengthen every request: the same load without them finishes sooner', () => {
    const run = (reasoning: unknown) => runReplications(fleetWith(reasoning, 0.5, 200), 1, 1).summary.by_model!.small;
    const thinking = run({ dist: 'constant', value: HIDDEN });
    const plain = run(undefined);
    expect(plain.latency_ms.ttfvt).toBeUndefined();
    expect(plain.reasoning_tokens_per_s).toBeUndefined();
    expect(thinking.latency_ms.e2e.p50!).toBeGreaterThan(plain.latency_ms.e2e.p50! + HIDDEN * plain.latency_ms.tpot.p50! * 0.9);
  });

  it('a model without reasoning tokens has no TTFVT and no first_visible_token verdict', () => {
    const summary = runReplications(fleetWith(undefined, 0.5, 60), 1, 1).summary;
    expect(summary.by_model!.small.latency_ms.ttfvt).toBeUndefined();
    expect(summary.verdict.first_visible_token).toBeUndefined();
  });

  it('refuses a negative ratio or an unknown key, naming the field', () => {
    const doc = (reasoning: unknown) => () => prepared({ ...fleetWith(undefined, 1, 60).scenario, fleet: { ...fleetWith(undefined, 1, 60).scenario.fleet!, models: { small: { ...smallModel(), share: 1, reasoning_tokens: reasoning } } } } as never);
    expect(userError(doc({ ratio_to_output: -1 }))).toMatch(/fleet\.models\.small\.reasoning_tokens/);
    expect(userError(doc({ ratio: 2 }))).toMatch(/fleet\.models\.small\.reasoning_tokens.*expected/);
  });
});
