import { describe, expect, it } from 'vitest';
import { Simulator } from '../../src/engine/sim.ts';
import { stream } from '../../src/engine/random.ts';
import { GpuReplica } from '../../src/fleet/gpu/replica.ts';
import { PREFIX_FAMILY, PrefixChain, prefixKey } from '../../src/fleet/gpu/prefix-cache.ts';
import { BASE_CFG, Recorder, linearStep } from './helpers.ts';

const BLOCK = 16;
const sys = (id: number) => prefixKey(PREFIX_FAMILY.systemPrompt, id);
const session = (id: number) => prefixKey(PREFIX_FAMILY.session, id);
const traceBlock = (id: number) => prefixKey(PREFIX_FAMILY.traceBlock, id);

interface Turn {
  prompt: number;
  output: number;
  /** Segments: [key, prompt tokens covered up to its end]. */
  segments: [number, number][];
}

/** Runs turns one after another on one replica; returns the prompt tokens each found cached. */
function runSequential(turns: Turn[], kvTokens?: number): { hits: number[]; evicted: number } {
  const sim = new Simulator();
  const rec = new Recorder();
  const replica = new GpuReplica(sim, linearStep(kvTokens === undefined ? {} : { kvTokens }), BASE_CFG, rec);
  replica.debug = { planned: (r) => r.checkInvariants() };
  const chain = new PrefixChain();
  const hits: number[] = [];
  for (const t of turns) {
    chain.clear();
    for (const [key, end] of t.segments) chain.push(key, end);
    const before = replica.stats().cached_prompt_tokens;
    replica.submit(rec.add(t.prompt, t.output, sim.now_ms), t.prompt, t.output, -1, 0, chain);
    sim.run();
    hits.push(replica.stats().cached_prompt_tokens - before);
  }
  expect(rec.errors).toEqual([]);
  return { hits, evicted: replica.stats().prefix_evicted_blocks };
}

/** A conversation: turn k's prompt = system prompt + every earlier message and answer + its message. */
function conversation(id: number, systemTokens: number, messages: number[], answers: number[]): Turn[] {
  const turns: Turn[] = [];
  let history = systemTokens;
  for (let k = 0; k < messages.length; k++) {
    turns.push({ prompt: history + messages[k], output: answers[k], segments: [[sys(0), systemTokens], [session(id), history]] });
    history += messages[k] + answers[k];
  }
  return turns;
}

describe('prefix chains: a multi-turn session reuses its conversation, closed forms', () => {
  it("turn k finds the system prompt and the previous turns' full blocks (prompt and answer) cached", () => {
    const L = 320, messages = [100, 30, 45], answers = [50, 21, 7];
    const { hits } = runSequential(conversation(1, L, messages, answers));
    // turn 1 is cold; turn k >= 2 hits floor(KV of turn k-1 / 16) blocks, KV = prompt + output - 1
    const kv1 = L + messages[0] + answers[0] - 1, kv2 = kv1 + 1 + messages[1] + answers[1];
    expect(hits).toEqual([0, Math.floor(kv1 / BLOCK) * BLOCK, Math.floor(kv2 / BLOCK) * BLOCK]);
  });

  it("a second session of the same application shares the system prompt's blocks, not the first session's", () => {
    const L = 320;
    const turns = [...conversation(1, L, [100, 30], [50, 20]), ...conversation(2, L, [100, 30], [50, 20])];
    const { hits } = runSequential(turns);
    expect(hits[2]).toBe(L); // 20 full blocks of the system prompt
    expect(hits[3]).toBe(hits[1]);
  });

  it('a session whose blocks were evicted finds nothing of them: turns never hit evicted blocks', () => {
    const L = 320, kvTokens = 4096; // 256 blocks
    const [first, second] = conversation(1, L, [100, 30], [50, 20]);
    // 3 unrelated prompts of 1,600 tokens, each alone on the replica, push the session out
    const others: Turn[] = [7, 8, 9].map((id) => ({ prompt: 1600, output: 2, segments: [[sys(id), 1600]] }));
    const { hits, evicted } = runSequential([first, ...others, second], kvTokens);
    expect(evicted).toBeGreaterThanOrEqual(Math.floor((L + 150 - 1) / BLOCK));
    expect(hits[4]).toBe(0);
  });
});

describe('prefix chains: Mooncake block ids onto 16-token blocks', () => {
  it('two requests sharing their first 12 of 512-token block ids share 12 x 512 tokens (the trace README example)', () => {
    const ids = (list: number[], input: number): [number, number][] => list.map((h, k) => [traceBlock(h), Math.min((k + 1) * 512, input)]);
    const a = [46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 2353, 2354];
    const b = [46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 2366];
    const { hits } = runSequential([
      { prompt: 6955, output: 52, segments: ids(a, 6955) },
      { prompt: 6472, output: 26, segments: ids(b, 6472) },
    ]);
    expect(hits).toEqual([0, 12 * 512]);
  });
});

const blockIndex = (b: string) => Number(b.slice(b.indexOf(':') + 1));
const segmentRank = (t: Turn, b: string) => t.segments.findIndex(([key]) => b.startsWith(`${key}:`));

/**
 * A slow reference of vLLM's block-level LRU: every block is a (segment key, index) string in a
 * Map kept in LRU order, with a released request's blocks appended from the end of its prompt.
 */
class SlowBlockCache {
  private readonly free = new Map<string, true>(); // evictable, insertion order = LRU
  evicted = 0;
  constructor(private readonly capacity: number) {}

  blocksOf(t: Turn, upTo: number): string[] {
    const out: string[] = [];
    let from = 0;
    t.segments.forEach(([key, end], i) => {
      // the last segment goes on with the blocks the request itself computes (a session's)
      const to = i === t.segments.length - 1 ? upTo : Math.min(Math.floor(end / BLOCK), upTo);
      for (let b = from; b < to; b++) out.push(`${key}:${b}`);
      from = Math.max(from, to);
    });
    return out;
  }

  /** Runs one request alone; returns the tokens it found cached. */
  run(t: Turn, isSession: boolean): number {
    const prefixBlocks = Math.floor(Math.min(t.segments.at(-1)![1], t.prompt - 1) / BLOCK);
    const wanted = this.blocksOf(t, prefixBlocks);
    let hit = 0;
    while (hit < wanted.length && this.free.has(wanted[hit])) hit++;
    // every cached block of its segments is pinned while it runs (hit or not)
    const keys = new Set(t.segments.map(([key]) => `${key}:`));
    const pinned = [...this.free.keys()].filter((b) => keys.has(b.slice(0, b.indexOf(':') + 1)));
    for (const b of pinned) this.free.delete(b);
    const peak = Math.ceil((t.prompt + t.output - 1) / BLOCK) - hit + pinned.length;
    for (const b of this.free.keys()) {
      if (this.free.size + peak <= this.capacity) break;
      this.free.delete(b);
      this.evicted++;
    }
    const kept = new Set([...pinned, ...(isSession ? this.blocksOf(t, Math.floor((t.prompt + t.output - 1) / BLOCK)) : wanted)]);
    // released from the end of the prompt: deepest segment first, each from its last block
    const order = [...kept].sort((a, b) => segmentRank(t, b) - segmentRank(t, a) || blockIndex(b) - blockIndex(a));
    for (const b of order) this.free.set(b, true);
    return hit * BLOCK;
  }
}

describe('prefix chains against a slow block-level LRU', () => {
  it('random sessions of random applications: the same hits on every turn', () => {
    const rng = stream(11, 'chains');
    const draw = (lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
    const systems = [200, 333, 64, 900];
    const live = Array.from({ length: 12 }, (_, i) => ({ app: i % systems.length, key: -1, history: 0 }));
    const turns: Turn[] = [];
    for (let n = 0; n < 300; n++) {
      const s = live[draw(0, live.length - 1)];
      const L = systems[s.app];
      if (s.key < 0 || s.history > 2500) [s.key, s.history] = [session(n), L]; // a new conversation when too long
      const message = draw(1, 200), answer = draw(1, 120);
      turns.push({ prompt: s.history + message, output: answer, segments: [[sys(s.app), L], [s.key, s.history]] });
      s.history += message + answer;
    }
    const slow = new SlowBlockCache(320);
    const expected = turns.map((t) => slow.run(t, true));
    const { hits, evicted } = runSequential(turns, 320 * BLOCK);
    expect(hits).toEqual(expected);
    expect(evicted).toBe(slow.evicted);
    expect(expected.filter((h) => h > 0).length).toBeGreaterThan(50); // the workload does reuse
    expect(slow.evicted).toBeGreaterThan(100); // and does evict
  });
});
