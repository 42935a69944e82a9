import { describe, expect, it } from 'vitest';
import { getGpu, getModel } from '../../src/perf/lookup.ts';
import {
  acceptanceProfile, buildSpeculativeStepModel, closedFormTokensPerStep, expectedTokensPerStep,
  type SpeculativeSpec,
} from '../../src/perf/speculative.ts';
import { buildStepModel } from '../../src/perf/step.ts';
import { runMain } from '../check/run-main.ts';

const h100 = getGpu('h100-80gb');
const llama8b = getModel('llama-3.1-8b');
const llama70b = getModel('llama-3.1-70b');

/** A slow reference: simulate accept/reject position by position with a seeded generator. */
function monteCarloTokensPerStep(profile: readonly number[], steps: number, seed: number): number {
  let state = seed >>> 0;
  const uniform = () => {
    // xorshift32: independent of the simulator's random streams
    state ^= state << 13; state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5; state >>>= 0;
    return state / 4294967296;
  };
  let tokens = 0;
  for (let s = 0; s < steps; s++) {
    let accepted = 0;
    while (accepted < profile.length && uniform() < profile[accepted]) accepted++;
    tokens += accepted + 1; // the bonus token: the target's own sample after the accepted prefix
  }
  return tokens / steps;
}

const eagle8b = (spec: Partial<SpeculativeSpec>) => buildSpeculativeStepModel({
  model: llama8b, gpu: h100, tp: 1, dtype: 'bf16',
  speculative: { method: 'eagle', tokens_per_step: 3, acceptance_rate: 0.7, ...spec },
});
const draft70b = (spec: Partial<SpeculativeSpec>) => buildSpeculativeStepModel({
  model: llama70b, gpu: h100, tp: 4, dtype: 'bf16', draftModel: llama8b,
  speculative: { method: 'draft', tokens_per_step: 4, acceptance_rate: 0.8, draft_model: 'llama-3.1-8b', ...spec },
});
/** per-token decode time of D sequences at C context tokens each */
const perToken = (m: { stepTimeMs(a: number, b: number, c: number, d: number): number }, batch: number, ctx: number) => m.stepTimeMs(0, 0, batch, batch * ctx);

describe('expected tokens per step', () => {
  it('a constant acceptance gives Leviathan et al.\'s closed form (1 - a^(k+1)) / (1 - a)', () => {
    for (const [alpha, k] of [[0, 4], [0.5, 1], [0.7, 3], [0.8, 4], [0.9, 8], [0.95, 16]] as const) {
      const profile = acceptanceProfile({ method: 'eagle', tokens_per_step: k, acceptance_rate: alpha });
      expect(profile).toHaveLength(k);
      expect(expectedTokensPerStep(profile)).toBeCloseTo(closedFormTokensPerStep(alpha, k), 12);
    }
    // hand values: k = 1 at 0.5 keeps 1.5 tokens; nothing accepted keeps the bonus token only
    expect(closedFormTokensPerStep(0.5, 1)).toBe(1.5);
    expect(closedFormTokensPerStep(0, 4)).toBe(1);
  });

  it('a per-position profile matches a Monte Carlo of accept/reject draws', () => {
    const profile = [0.9, 0.75, 0.6, 0.4];
    const exact = expectedTokensPerStep(profile);
    expect(exact).toBeCloseTo(1 + 0.9 + 0.9 * 0.75 + 0.9 * 0.75 * 0.6 + 0.9 * 0.75 * 0.6 * 0.4, 12);
    const simulated = monteCarloTokensPerStep(profile, 400_000, 12345);
    // standard error of the mean is below 0.002 here
    expect(Math.abs(simulated - exact)).toBeLessThan(0.01);
  });
});

describe('decode speed under speculation', () => {
  it('at batch 1 an EAGLE head speeds decoding by E / (1 + k x head cost): verification is memory-bound', () => {
    const f = 0.05, k = 3, alpha = 0.7;
    const m = eagle8b({ draft_cost_fraction: f, tokens_per_step: k, acceptance_rate: alpha });
    const speedup = perToken(m.plain, 1, 600) / perToken(m, 1, 600);
    // a verification of k + 1 tokens at batch 1 streams the same weights as a plain step: cost 1
    const closedForm = closedFormTokensPerStep(alpha, k) / (1 + k * f);
    expect(speedup).toBeGreaterThan(1.5);
    expect(Math.abs(speedup / closedForm - 1)).toBeLessThan(0.03);
  });

  it('at batch 1 a draft model speeds decoding by E / (1 + k x its own step / the target\'s step)', () => {
    const m = draft70b({});
    const target = buildStepModel({ model: llama70b, gpu: h100, tp: 4, dtype: 'bf16' });
    const draft = buildStepModel({ model: llama8b, gpu: h100, tp: 4, dtype: 'bf16' });
    const ctx = 600;
    const ratio = draft.stepTimeMs(0, 0, 1, ctx) / target.stepTimeMs(0, 0, 1, ctx);
    const closedForm = closedFormTokensPerStep(0.8, 4) / (1 + 4 * ratio);
    const speedup = perToken(target, 1, ctx) / perToken(m, 1, ctx);
    expect(Math.abs(speedup / closedForm - 1)).toBeLessThan(0.03);
  });

  it('the speedup shrinks with the batch and turns into a slowdown once verification is compute-bound', () => {
    const m = draft70b({});
    const speedups = [1, 8, 32, 64, 128, 256, 512].map((b) => perToken(m.plain, b, 300) / perToken(m, b, 300));
    for (let i = 1; i < speedups.length; i++) expect(speedups[i]).toBeLessThan(speedups[i - 1]);
    expect(speedups[0]).toBeGreaterThan(1.3);
    expect(speedups.at(-1)!).toBeLessThan(0.85);
  });

  it('with nothing accepted speculation is slower than plain decoding by at least the drafts\' cost', () => {
    for (const m of [eagle8b({ acceptance_rate: 0 }), draft70b({ acceptance_rate: 0 })]) {
      expect(m.tokensPerStep).toBe(1);
      const verifyExtra = [1, 16, 128].map((batch) => {
        const plain = perToken(m.plain, batch, 500), spec = perToken(m, batch, 500);
        const drafts = m.draftMs(batch, batch * 500);
        expect(spec).toBeGreaterThanOrEqual(plain + drafts);
        return (spec - plain - drafts) / plain;
      });
      // verifying k + 1 tokens instead of one: nearly free while memory-bound, dearer as the GEMMs fill
      expect(verifyExtra[0]).toBeLessThan(0.05);
      expect(verifyExtra[2]).toBeGreaterThan(verifyExtra[0]);
    }
  });

  it('a decode-only step stays the line intercept + slope x context the replica plans with', () => {
    const m = draft70b({});
    for (const [batch, ctx] of [[1, 100], [32, 40_000], [256, 300_000]]) {
      expect(m.stepTimeMs(0, 0, batch, ctx)).toBeCloseTo(m.decodeInterceptMs(batch) + m.decodeMsPerContextToken * ctx, 9);
      expect(m.speculativeStepMs(batch, ctx) / m.tokensPerStep).toBeCloseTo(m.stepTimeMs(0, 0, batch, ctx), 9);
    }
  });

  it('a prefill carries the drafter\'s own prefill on top of the target\'s', () => {
    const m = draft70b({});
    const draft = buildStepModel({ model: llama8b, gpu: h100, tp: 4, dtype: 'bf16' });
    const pairs = 2000 * 2000 / 2;
    expect(m.stepTimeMs(2000, pairs, 0, 0)).toBeCloseTo(m.plain.stepTimeMs(2000, pairs, 0, 0) + draft.stepTimeMs(2000, pairs, 0, 0), 9);
  });
});

describe('memory under speculation', () => {
  it('the draft model\'s weights and KV come out of the target\'s KV cache', () => {
    const m = draft70b({});
    const target = buildStepModel({ model: llama70b, gpu: h100, tp: 4, dtype: 'bf16' });
    const draft = buildStepModel({ model: llama8b, gpu: h100, tp: 4, dtype: 'bf16' });
    const bytes = target.kvCapacityTokens * target.kvBytesPerToken - draft.weightBytesPerGpu * 4;
    expect(m.kvCapacityTokens).toBe(Math.floor(bytes / (target.kvBytesPerToken + draft.kvBytesPerToken)));
    expect(m.kvCapacityTokens).toBeLessThan(0.7 * target.kvCapacityTokens);
  });
});

describe('speculative in a scenario', () => {
  const run = (spec: string) => runMain(['validate', 'scenarios/openai-2024.yaml', '--set', `fleet.models.gpt-4.speculative=${spec}`]);

  it.each([
    ['{method: eagle, tokens_per_step: 0, acceptance_rate: 0.7}', 'fleet.models.gpt-4.speculative.tokens_per_step', 'expected an integer in [1, 16]'],
    ['{method: eagle, tokens_per_step: 17, acceptance_rate: 0.7}', 'fleet.models.gpt-4.speculative.tokens_per_step', 'expected an integer in [1, 16]'],
    ['{method: eagle, tokens_per_step: 3, acceptance_rate: 1}', 'fleet.models.gpt-4.speculative.acceptance_rate', 'expected an acceptance rate in [0, 1)'],
    ['{method: eagle, tokens_per_step: 3, acceptance_rate: -0.1}', 'fleet.models.gpt-4.speculative.acceptance_rate', 'expected an acceptance rate in [0, 1)'],
    ['{method: medusa, tokens_per_step: 3, acceptance_rate: 0.7}', 'fleet.models.gpt-4.speculative.method', 'got "medusa"'],
    ['{method: eagle, tokens_per_step: 3, acceptance_by_position: [0.9, 0.8]}', 'fleet.models.gpt-4.speculative.acceptance_by_position', 'expected 3 values'],
    ['{method: draft, tokens_per_step: 3, acceptance_rate: 0.7}', 'fleet.models.gpt-4.speculative.draft_model', 'expected a draft model'],
    ['{method: draft, tokens_per_step: 3, acceptance_rate: 0.7, draft_model: llama-9b}', 'fleet.models.gpt-4.speculative.draft_model', 'llama-9b'],
  ])('%s is refused in one line naming the field, exit 2', async (spec, field, expected) => {
    const r = await run(spec);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(field);
    expect(lines[0]).toContain(expected);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a valid block validates', async () => {
    const r = await run('{method: mtp, tokens_per_step: 2, acceptance_by_position: [0.85, 0.6]}');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});

describe('fleetsim perf --speculative', () => {
  const perf = (...flags: string[]) => runMain(['perf', '--model', 'llama-3.1-70b', '--gpu', 'h100-80gb', '--tp', '4', '--dtype', 'bf16', '--json', ...flags]);

  it('reports speculation beside plain decoding on the same replica', async () => {
    const r = await perf('--speculative', 'draft', '--draft-model', 'llama-3.1-8b', '--speculative-tokens', '4', '--acceptance-rate', '0.8');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    const plain = JSON.parse((await perf()).stdout);
    expect(s.speculative.expected_tokens_per_step).toBeCloseTo(closedFormTokensPerStep(0.8, 4), 12);
    expect(s.speculative.tpot_plain_ms).toBe(plain.tpot_ms);
    expect(s.speculative.tpot_speedup).toBeCloseTo(plain.tpot_ms / s.tpot_ms, 12);
    expect(s.speculative.tpot_speedup).toBeGreaterThan(1.3);
    // at the KV cache's maximum batch speculation loses throughput
    expect(s.speculative.throughput_speedup).toBeLessThan(1);
    expect(s.kv_capacity_tokens).toBeLessThan(plain.kv_capacity_tokens);
  });

  it.each([
    [['--speculative', 'medusa', '--acceptance-rate', '0.5'], '--speculative: expected one of draft, eagle, mtp'],
    [['--speculative', 'eagle', '--acceptance-rate', '1'], '--acceptance-rate: expected a number in [0, 1)'],
    [['--speculative', 'eagle', '--speculative-tokens', '17', '--acceptance-rate', '0.5'], '--speculative-tokens: expected an integer in [1, 16]'],
    [['--speculative', 'eagle'], '--acceptance-rate: expected exactly one of'],
    [['--acceptance-rate', '0.5'], '--speculative: required with --acceptance-rate'],
  ])('%j is refused in one line, exit 2', async (flags, expected) => {
    const r = await perf(...flags);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(expected);
  });
});
