import { describe, expect, it } from 'vitest';
import { stream } from '../../src/engine/random.ts';
import { runReplications } from '../../src/experiment/replications.ts';
import { TokenSource } from '../../src/fleet/llm/tokens.ts';
import { embedModel, smallFleet, smallModel } from '../helpers/fleet.ts';

describe('workloads that share system prompts', () => {
  it('a prompt is its system prompt (fixed per application) followed by its own part; applications by Zipf popularity', () => {
    const count = 50, zipf_s = 1.1, n = 40_000;
    const src = new TokenSource(
      {
        prompt: { dist: 'uniform', min: 10, max: 30 },
        output: { dist: 'constant', value: 5 },
        system_prompts: { count, length: { dist: 'uniform', min: 200, max: 2000 }, zipf_s },
      },
      stream(3, 'tokens'),
      100_000,
      false,
    );
    const lengthOf = new Map<number, number>();
    const drawn = new Array<number>(count).fill(0);
    for (let i = 0; i < n; i++) {
      src.draw();
      const own = src.prompt - src.prefixTokens;
      expect(own >= 10 && own <= 30, `own part ${own}`).toBe(true);
      expect(lengthOf.get(src.prefixId) ?? src.prefixTokens).toBe(src.prefixTokens);
      lengthOf.set(src.prefixId, src.prefixTokens);
      drawn[src.prefixId]++;
    }
    // the Zipf law: application i is drawn with probability i^-s / H(count, s); 4 binomial sd
    const H = Array.from({ length: count }, (_, i) => Math.pow(i + 1, -zipf_s)).reduce((a, b) => a + b, 0);
    for (const i of [0, 1, 9]) {
      const p = Math.pow(i + 1, -zipf_s) / H;
      expect(Math.abs(drawn[i] - n * p)).toBeLessThan(4 * Math.sqrt(n * p * (1 - p)));
    }
  });

  it('a prompt clipped to the context window keeps the start of its system prompt', () => {
    const src = new TokenSource(
      { prompt: { dist: 'constant', value: 100 }, output: { dist: 'constant', value: 50 }, system_prompts: { count: 1, length: { dist: 'constant', value: 3000 }, zipf_s: 1 } },
      stream(1, 'tokens'),
      2048,
      false,
    );
    src.draw();
    expect(src.prompt).toBe(2048 - 50);
    expect(src.prefixTokens).toBe(src.prompt);
  });
});

describe('a fleet whose requests share a system prompt', () => {
  const L = 1000;
  const run = (systemPrompt: boolean) => {
    const small = smallModel();
    const tokens = systemPrompt
      ? { ...small.tokens, system_prompts: { count: 1, length: { dist: 'constant' as const, value: L }, zipf_s: 1 } }
      : { ...small.tokens, prompt: { dist: 'uniform' as const, min: 100 + L, max: 900 + L } };
    return runReplications(smallFleet({ rate_per_s: 20, fleet: { models: { small: { ...small, tokens }, embed: embedModel() } } }), 1, 1).summary;
  };
  const cached = run(true);
  const uncached = run(false);

  it('once each replica is warm, every prompt reuses floor(L/16) blocks: hit rate = 992 / mean prompt', () => {
    const gpu = cached.gpu!.small;
    // prompts are 1000 + U(100, 900) tokens: mean 1500; each of the 4 replicas misses once, and a few
    // requests admitted while the first prefill is still running miss too
    expect(gpu.prefix_hit_rate).toBeGreaterThan(0.64);
    expect(gpu.prefix_hit_rate).toBeLessThanOrEqual(992 / 1500 + 0.01);
    expect(gpu.prefix_evicted_blocks).toBe(0);
    expect(gpu.prefix_tokens_saved_per_s).toBeGreaterThan(0);
    expect(cached.gpu!.embed.prefix_hit_rate).toBeUndefined();
    expect(uncached.gpu!.small.prefix_hit_rate).toBeUndefined();
  });

  it('the same prompts without a shared prefix have a longer time to first token', () => {
    const ttft = (s: typeof cached) => s.by_model!.small.latency_ms.ttft.p50!;
    expect(ttft(cached)).toBeLessThan(ttft(uncached) * 0.8);
  });
});
