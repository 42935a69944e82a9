import { describe, expect, it } from 'vitest';
import { stream } from '../../src/engine/random.ts';
import { runReplications } from '../../src/experiment/replications.ts';
import { ReasoningDraw } from '../../src/fleet/llm/reasoning.ts';
import { TokenSource } from '../../src/fleet/llm/tokens.ts';
import { smallFleet, smallModel } from '../helpers/fleet.ts';
import { userError } from '../helpers/errors.ts';

/**
 * `fleet.models.<m>.max_output_tokens`, the API's max_tokens: no drawn output runs past it, hidden
 * reasoning tokens included (max_completion_tokens counts them), held against the exponential
 * law's capped mean and against a fleet run's token rate.
 */

const prompt = { dist: 'constant' as const, value: 200 };

describe('max_output_tokens on drawn outputs', () => {
  it('cuts every output at the cap, and leaves outputs under it as drawn', () => {
    const over = new TokenSource({ prompt, output: { dist: 'constant', value: 800 } }, stream(1, 't'), 8192, false, null, 512);
    const under = new TokenSource({ prompt, output: { dist: 'constant', value: 300 } }, stream(1, 't'), 8192, false, null, 512);
    over.draw();
    under.draw();
    expect([over.output, under.output]).toEqual([512, 300]);
  });

  it('gives the capped mean of the law: an exponential of mean m capped at N averages m (1 - e^(-N/m))', () => {
    const m = 500;
    const n = 512;
    const tokens = new TokenSource({ prompt, output: { dist: 'exponential', mean: m } }, stream(3, 't'), 1 << 20, false, null, n);
    const draws = 200_000;
    let sum = 0;
    let most = 0;
    for (let i = 0; i < draws; i++) {
      tokens.draw();
      sum += tokens.output;
      most = Math.max(most, tokens.output);
    }
    expect(most).toBe(n);
    // rounding each draw to a whole token (at least 1) moves the mean by well under a token
    expect(Math.abs(sum / draws - m * (1 - Math.exp(-n / m))) / (m * (1 - Math.exp(-n / m)))).toBeLessThan(0.01);
  });

  it('counts a reasoning model\'s hidden tokens against the cap, and keeps one visible token', () => {
    const thinking = new TokenSource({ prompt, output: { dist: 'constant', value: 300 } }, stream(1, 't'), 8192, false, new ReasoningDraw({ ratio_to_output: 1 }, stream(1, 'r')), 512);
    thinking.draw();
    expect([thinking.output, thinking.reasoning]).toEqual([512, 300]);
    const all = new TokenSource({ prompt, output: { dist: 'constant', value: 10 } }, stream(1, 't'), 8192, false, new ReasoningDraw({ dist: 'constant', value: 900 }, stream(1, 'r')), 512);
    all.draw();
    expect([all.output, all.reasoning]).toEqual([512, 511]);
  });
});

describe('max_output_tokens in a fleet', () => {
  const fleet = (max: number | undefined) => {
    const tokens = { prompt, output: { dist: 'constant' as const, value: 400 } };
    const model = { ...smallModel(), share: 1, gpus: 1, tokens, ...(max === undefined ? {} : { max_output_tokens: max }) };
    return smallFleet({ rate_per_s: 0.5, duration_s: 200, warmup_s: 20, fleet: { models: { small: model } as never } });
  };

  it('emits the capped tokens: the same requests at a cap of 100 stream a quarter of the output', () => {
    const capped = runReplications(fleet(100), 1, 1).summary.by_model!.small;
    const plain = runReplications(fleet(undefined), 1, 1).summary.by_model!.small;
    // the same seeded arrivals (the cap draws nothing); tokens per completed request, 100 against 400
    expect(capped.output_tokens_per_s / plain.output_tokens_per_s).toBeCloseTo(0.25, 1);
  });

  it('is refused below 1 or fractional, naming the key', () => {
    for (const bad of [0, 2.5]) {
      // smallFleet validates the scenario it builds
      const message = userError(() => fleet(bad as number));
      expect(message).toMatch(/fleet\.models\.small\.max_output_tokens/);
      expect(message.split('\n')).toHaveLength(1);
    }
  });
});
