import { describe, expect, it } from 'vitest';
import { Simulator } from '../../src/engine/sim.ts';
import { stream } from '../../src/engine/random.ts';
import { GpuReplica, type ReplicaConfig } from '../../src/fleet/gpu/replica.ts';
import { UserPopulation } from '../../src/fleet/llm/users.ts';
import { BASE_CFG, Recorder, linearStep } from './helpers.ts';

const BLOCK = 16;
// 5 ms + 0.02 ms per prefill token + 0.1 ms per decode sequence + 0.0005 ms per context token
const step = linearStep();

/** Submits requests one at a time, each after the previous one ended: no batching, so every figure is a closed form. */
function runSequential(cfg: ReplicaConfig, requests: { prompt: number; output: number; prefixId: number; prefixTokens: number }[], kvTokens?: number) {
  const sim = new Simulator();
  const rec = new Recorder();
  const replica = new GpuReplica(sim, kvTokens === undefined ? step : linearStep({ kvTokens }), cfg, rec);
  replica.debug = { planned: (r) => r.checkInvariants() };
  for (const q of requests) {
    const id = rec.add(q.prompt, q.output, sim.now_ms);
    replica.submit(id, q.prompt, q.output, q.prefixId, q.prefixTokens);
    sim.run();
  }
  expect(rec.errors).toEqual([]);
  return { replica, rec, sim };
}

describe('prefix cache: one shared system prompt, closed forms', () => {
  it('after the first request every prompt reuses floor(L/16) blocks: prefill and TTFT fall to the unique part', () => {
    const L = 1000, U = 100, n = 20;
    const requests = Array.from({ length: n }, () => ({ prompt: L + U, output: 4, prefixId: 7, prefixTokens: L }));
    const { replica, rec } = runSequential(BASE_CFG, requests);
    const cached = Math.floor(L / BLOCK) * BLOCK; // 992
    const st = replica.stats();
    expect(st.cached_prompt_tokens).toBe((n - 1) * cached);
    expect(st.prefill_tokens).toBe(L + U + (n - 1) * (L + U - cached));
    expect(st.prefix_evicted_blocks).toBe(0);
    // the budget (512 tokens) splits the cold prompt into chunks; a warm one (108 tokens) is one iteration
    const ttft = (r: (typeof rec.reqs)[number]) => r.first - r.submit;
    expect(ttft(rec.reqs[1])).toBeCloseTo(5 + 0.02 * (L + U - cached), 9);
    for (const r of rec.reqs.slice(2)) expect(ttft(r)).toBeCloseTo(ttft(rec.reqs[1]), 9);
    expect(ttft(rec.reqs[0])).toBeGreaterThan(ttft(rec.reqs[1]) * 5);
    expect(replica.usedBlocks).toBe(0);
  });

  it('a warm prefill still attends over the cached context: its attention pairs are c (cached + c/2)', () => {
    const L = 320, U = 40;
    const requests = [0, 1].map(() => ({ prompt: L + U, output: 1, prefixId: 1, prefixTokens: L }));
    const { replica } = runSequential(BASE_CFG, requests);
    // linearStep's FLOPs: 2e6 per token + attention pairs (+ decode context, none here)
    const pairs = (c: number, before: number) => c * (before + c / 2);
    expect(replica.stats().flops).toBeCloseTo(2e6 * (L + U) + pairs(L + U, 0) + 2e6 * U + pairs(U, L), 3);
  });

  it('a prompt that is all prefix still computes its last token; shorter than a block, nothing is shared', () => {
    const whole = [0, 1].map(() => ({ prompt: 64, output: 2, prefixId: 3, prefixTokens: 64 }));
    expect(runSequential(BASE_CFG, whole).replica.stats().cached_prompt_tokens).toBe(48); // floor(63/16) blocks
    const tiny = [0, 1].map(() => ({ prompt: 40, output: 2, prefixId: 3, prefixTokens: 15 }));
    expect(runSequential(BASE_CFG, tiny).replica.stats().cached_prompt_tokens).toBe(0);
  });

  /**
   * Two requests with the same L-token system prompt (and U tokens of their own) submitted at one
   * instant while the replica is busy with an unrelated request, so one iteration plans both.
   */
  function together(L: number, U: number) {
    const sim = new Simulator();
    const rec = new Recorder();
    const replica = new GpuReplica(sim, step, BASE_CFG, rec);
    replica.debug = { planned: (r) => r.checkInvariants() };
    replica.submit(rec.add(100, 50, 0), 100, 50);
    for (let i = 0; i < 2; i++) replica.submit(rec.add(L + U, 2, 0), L + U, 2, 5, L);
    sim.run();
    expect(rec.errors).toEqual([]);
    return { st: replica.stats(), first: (i: number) => rec.reqs[i].first };
  }

  it('a request admitted in the iteration that computes a prefix, or later, reuses its blocks (vLLM V1 caches a block when its iteration is scheduled)', () => {
    // one iteration: the first computes its 360 tokens, the second, admitted after it, only its own 40
    const short = together(320, 40);
    expect(short.st.cached_prompt_tokens).toBe(320);
    expect(short.st.prefill_tokens).toBe(100 + 360 + 40);
    expect(short.first(2)).toBe(short.first(1));
    // a prefix over three chunks (budget 512): the second is admitted when the budget allows, in the
    // first's last iteration, by which time all floor(1000/16) = 62 prefix blocks are scheduled
    const long = together(1000, 100);
    expect(long.st.cached_prompt_tokens).toBe(992);
    expect(long.st.prefill_tokens).toBe(100 + 1100 + 108);
    expect(long.first(2)).toBe(long.first(1));
  });

  it('a replica that fails comes back cold: the first request after restore prefills the whole prompt', () => {
    const sim = new Simulator();
    const rec = new Recorder();
    const replica = new GpuReplica(sim, step, BASE_CFG, rec);
    const submit = () => {
      const id = rec.add(600, 3, sim.now_ms);
      replica.submit(id, 600, 3, 0, 512);
      sim.run();
    };
    submit();
    submit();
    expect(replica.stats().cached_prompt_tokens).toBe(512);
    replica.fail(sim.now_ms, () => {});
    replica.restore();
    submit();
    expect(replica.stats().cached_prompt_tokens).toBe(512);
    submit();
    expect(replica.stats().cached_prompt_tokens).toBe(1024);
  });
});

describe('prefix cache: LRU under memory pressure', () => {
  /** LRU over whole prefixes, the slow way: a list in recency order. Returns the hits of a reference string. */
  function lruHits(refs: number[], capacity: number): { hits: number; evictions: number } {
    const order: number[] = [];
    let hits = 0, evictions = 0;
    for (const p of refs) {
      const at = order.indexOf(p);
      if (at >= 0) {
        hits++;
        order.splice(at, 1);
      } else if (order.length === capacity) {
        order.shift();
        evictions++;
      }
      order.push(p);
    }
    return { hits, evictions };
  }

  /** Che's approximation of LRU's hit rate under independent references with probabilities p (Che, Tung, Wang 2002). */
  function cheHitRate(p: number[], capacity: number): number {
    const filled = (T: number) => p.reduce((s, pi) => s + 1 - Math.exp(-pi * T), 0);
    let lo = 0, hi = 1;
    while (filled(hi) < capacity) hi *= 2;
    for (let i = 0; i < 100; i++) {
      const mid = (lo + hi) / 2;
      if (filled(mid) < capacity) lo = mid;
      else hi = mid;
    }
    const T = (lo + hi) / 2;
    return p.reduce((s, pi) => s + pi * (1 - Math.exp(-pi * T)), 0);
  }

  // 200 system prompts of 8 blocks each; Zipf(0.8) popularity; room for 40 of them beside the running request
  const prompts = 200, zipf_s = 0.8, blocksPerPrefix = 8, unique = 24, capacity = 40;
  const L = blocksPerPrefix * BLOCK;
  const ownBlocks = Math.ceil((L + unique) / BLOCK) - blocksPerPrefix;
  const kvTokens = (capacity * blocksPerPrefix + ownBlocks) * BLOCK;
  const popularity = new UserPopulation(prompts, zipf_s, 1, stream(11, 'prefix-popularity'));
  const refs = Array.from({ length: 20_000 }, () => popularity.draw());
  const requests = refs.map((p) => ({ prompt: L + unique, output: 1, prefixId: p, prefixTokens: L }));
  const { replica } = runSequential({ ...BASE_CFG, watermark_fraction: 0 }, requests, kvTokens);
  const st = replica.stats();

  it('hits and evictions are those of an LRU cache of 40 prompts over the same references', () => {
    const reference = lruHits(refs, capacity);
    expect(st.cached_prompt_tokens).toBe(reference.hits * L);
    expect(st.prefix_evicted_blocks).toBe(reference.evictions * blocksPerPrefix);
    expect(reference.evictions).toBeGreaterThan(1000); // the cache was under pressure
  });

  it("the hit rate agrees with Che's approximation for Zipf popularity", () => {
    const weights = Array.from({ length: prompts }, (_, i) => Math.pow(i + 1, -zipf_s));
    const total = weights.reduce((a, b) => a + b, 0);
    const che = cheHitRate(weights.map((w) => w / total), capacity);
    const measured = st.cached_prompt_tokens / L / refs.length;
    // 20,000 references: the binomial standard error is about 0.0035
    expect(Math.abs(measured - che)).toBeLessThan(0.015);
    expect(che).toBeGreaterThan(0.4);
  });
});

describe('prefix cache: batching, preemption, eviction and decode fusion together', () => {
  /** Poisson arrivals with a few prefixes on a small KV cache; returns every request's timeline and the counters. */
  function run(fuse: boolean, seed: number) {
    const sim = new Simulator();
    const rec = new Recorder();
    const replica = new GpuReplica(sim, linearStep({ kvTokens: 3000 }), { ...BASE_CFG, max_num_seqs: 16, max_batched_tokens: 256, fuse_decode: fuse }, rec);
    const errors: string[] = [];
    if (!fuse) {
      replica.debug = {
        planned(r) {
          try {
            r.checkInvariants();
          } catch (e) {
            if (errors.length < 3) errors.push((e as Error).message);
          }
        },
      };
    }
    const rng = stream(seed, 'prefix-mix');
    let t = 0;
    const handler = sim.on((id) => {
      const q = rec.reqs[id];
      replica.submit(id, q.prompt, q.output, id % 3 === 0 ? -1 : id % 4, 100 + 60 * (id % 4));
    });
    for (let i = 0; i < 400; i++) {
      t += -Math.log(1 - rng()) * 40;
      const prefix = 100 + 60 * (i % 4);
      const id = rec.add(prefix + 1 + Math.floor(rng() * 200), 1 + Math.floor(rng() * 120), t);
      sim.at(t, handler, id);
    }
    sim.run();
    return { rec, stats: replica.stats(), errors };
  }

  it.each([1, 2, 3])('seed %i: invariants hold at every iteration, and fused decode gives the same results', (seed) => {
    const plain = run(false, seed);
    const fused = run(true, seed);
    expect(plain.errors).toEqual([]);
    expect(plain.rec.errors).toEqual([]);
    expect(plain.stats.preemptions).toBeGreaterThan(0);
    expect(plain.stats.prefix_evicted_blocks).toBeGreaterThan(0);
    expect(plain.stats.cached_prompt_tokens).toBeGreaterThan(0);
    expect(fused.stats).toEqual(plain.stats);
    expect(fused.rec.reqs.map((r) => [r.first, r.done])).toEqual(plain.rec.reqs.map((r) => [r.first, r.done]));
  });
});
