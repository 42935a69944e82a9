import { describe, expect, it } from 'vitest';
import { runReplications } from '../../src/experiment/replications.ts';
import { smallFleet, smallModel } from '../helpers/fleet.ts';
import { RateLimiter, UserPopulation } from '../../src/fleet/llm/users.ts';
import { stream } from '../../src/engine/random.ts';

const oneModel = (rate_limit: { tokens_per_min?: number; requests_per_min?: number }) => ({
  users: { count: 1, zipf_s: 0 },
  models: {
    small: {
      ...smallModel(),
      share: 1,
      chat_share: 1,
      tokens: { prompt: { dist: 'constant' as const, value: 100 }, output: { dist: 'constant' as const, value: 100 } },
      rate_limit,
    },
  },
});

describe('per-user rate limits', () => {
  it('one user over its token limit gets 429 for the excess: accepted rate = limit / tokens per request', () => {
    // 2 requests/s of 200 tokens against 6,000 tokens/min: 30 of 120 requests a minute pass.
    const s = runReplications(smallFleet({ rate_per_s: 2, duration_s: 660, warmup_s: 60, fleet: oneModel({ tokens_per_min: 6000 }) }), 1, 1).summary;
    const r = s.by_model!.small.requests;
    const passedPerMin = (r.offered - r.rate_limited) / 10;
    expect(passedPerMin, `seed 1: ${r.offered - r.rate_limited} passed in 10 min`).toBeGreaterThan(29);
    expect(passedPerMin).toBeLessThan(31);
    expect(s.requests.rate_limited).toBe(r.rate_limited);
    expect(r.rejected).toBe(r.rate_limited);
  });

  it('a requests-per-minute limit caps requests the same way', () => {
    const s = runReplications(smallFleet({ rate_per_s: 2, duration_s: 660, warmup_s: 60, fleet: oneModel({ requests_per_min: 50 }) }), 1, 1).summary;
    const r = s.by_model!.small.requests;
    expect((r.offered - r.rate_limited) / 10).toBeGreaterThan(49);
    expect((r.offered - r.rate_limited) / 10).toBeLessThan(51);
  });

  it('without limits nobody is refused', () => {
    const s = runReplications(smallFleet({ rate_per_s: 2, duration_s: 120, warmup_s: 20, fleet: oneModel({}) }), 1, 1).summary;
    expect(s.requests.rate_limited).toBe(0);
  });

  it('the token bucket allows a full burst, then refills continuously', () => {
    const rl = new RateLimiter(1, 1000, Infinity);
    expect(rl.allow(0, 600, 0)).toBe(true);
    expect(rl.allow(0, 600, 0)).toBe(false); // 400 left
    expect(rl.allow(0, 600, 12_000)).toBe(true); // +200 after 12 s
    rl.factor = Infinity; // limiter off
    expect(rl.allow(0, 10_000, 12_000)).toBe(true);
  });

  it('draws every user with its Zipf share (within 5 standard errors, seed 1)', () => {
    const pop = new UserPopulation(50, 0.6, 1, stream(1, 'alias'));
    const n = 300_000;
    const counts = new Float64Array(50);
    for (let i = 0; i < n; i++) counts[pop.draw()]++;
    let total = 0;
    for (let r = 1; r <= 50; r++) total += r ** -0.6;
    for (let r = 1; r <= 50; r++) {
      const p = r ** -0.6 / total;
      const se = Math.sqrt((p * (1 - p)) / n);
      expect(Math.abs(counts[r - 1] / n - p), `rank ${r}: ${counts[r - 1] / n} vs ${p}`).toBeLessThan(5 * se);
    }
  });

  it('Zipf activity: heavier ranks are drawn more often, and sampling keeps per-user rates', () => {
    const full = new UserPopulation(1000, 1, 1, stream(1, 'u'));
    const n = 200_000;
    const counts = new Float64Array(full.count);
    for (let i = 0; i < n; i++) counts[full.draw()]++;
    // Rank 1 vs rank 2 under Zipf(1): ratio 2.
    expect(counts[0] / counts[1]).toBeGreaterThan(1.8);
    expect(counts[0] / counts[1]).toBeLessThan(2.2);
    // A 10% sample: 100 users, each the mean of a stratum of 10 ranks; the top stratum holds
    // the same share of traffic as ranks 1-10 of the full population.
    const sample = new UserPopulation(1000, 1, 0.1, stream(1, 'u'));
    expect(sample.count).toBe(100);
    let top10 = 0, all = 0;
    for (let i = 1; i <= 1000; i++) {
      all += 1 / i;
      if (i <= 10) top10 += 1 / i;
    }
    expect(sample.topShare()).toBeCloseTo(top10 / all, 2);
  });
});
