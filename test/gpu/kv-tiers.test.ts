import { describe, expect, it } from 'vitest';
import { Simulator } from '../../src/engine/sim.ts';
import { GpuReplica, type ReplicaConfig } from '../../src/fleet/gpu/replica.ts';
import type { KvTiersConfig } from '../../src/fleet/gpu/kv-tiers.ts';
import { BASE_CFG, Recorder, linearStep } from './helpers.ts';

const BLOCK = 16;
// linearStep's times (5 ms + 0.02 ms per prefill token + 0.1 ms per decode sequence + 0.0005 ms per
// context token) with 1 MB of KV per token: a block is 16 MB, 1 ms at 16 GB/s
const KV_BYTES_PER_TOKEN = 1e6;
const HOST_GB_PER_S = 16, HOST_LATENCY_MS = 0.5;
const MS_PER_BLOCK = (BLOCK * KV_BYTES_PER_TOKEN) / (HOST_GB_PER_S * 1e9) * 1000;
const host = (blocks: number) => ({ capacity_gb: (blocks * BLOCK * KV_BYTES_PER_TOKEN) / 1e9, bandwidth_gb_per_s: HOST_GB_PER_S, latency_ms: HOST_LATENCY_MS });

function stepWith(kvTokens: number) {
  return { ...linearStep({ kvTokens }), kvBytesPerToken: KV_BYTES_PER_TOKEN };
}

/** Each request alone (submitted after the previous one ended): every figure is a closed form. */
function runSequential(kvTokens: number, tiers: KvTiersConfig | undefined, prefixIds: number[], prefixTokens: number, own: number) {
  const sim = new Simulator();
  const rec = new Recorder();
  const replica = new GpuReplica(sim, stepWith(kvTokens), { ...BASE_CFG, kv_tiers: tiers }, rec);
  replica.debug = { planned: (r) => r.checkInvariants() };
  for (const id of prefixIds) {
    const req = rec.add(prefixTokens + own, 4, sim.now_ms);
    replica.submit(req, prefixTokens + own, 4, id, prefixTokens);
    sim.run();
  }
  expect(rec.errors).toEqual([]);
  return { replica, rec };
}

describe('KV tiers: prefix blocks evicted from HBM go to host memory', () => {
  // five system prompts of 64 blocks each cycled three times; HBM holds 100 blocks (one prompt and a half)
  const P = 64 * BLOCK, U = 60, N = 5, ROUNDS = 3;
  const ids = Array.from({ length: N * ROUNDS }, (_, i) => i % N);

  it('a host tier larger than the working set: every repeated prompt hits there, and its TTFT is an HBM hit\'s plus the transfer', () => {
    const tiered = runSequential(100 * BLOCK, { host: host(10 * N * 64) }, ids, P, U);
    const hbm = runSequential(100_000 * BLOCK, undefined, ids, P, U);
    const st = tiered.replica.stats(), ref = hbm.replica.stats();
    // same tokens saved as an HBM large enough for everything; all of them from host memory
    expect(st.cached_prompt_tokens).toBe(ref.cached_prompt_tokens);
    expect(st.cached_prompt_tokens).toBe((ROUNDS - 1) * N * P);
    expect(st.host_hit_tokens).toBe((ROUNDS - 1) * N * P);
    expect(st.kv_tier_dropped_blocks).toBe(0);
    const transfer = HOST_LATENCY_MS + 64 * MS_PER_BLOCK;
    expect(st.kv_transfer_ms).toBeCloseTo((ROUNDS - 1) * N * transfer, 6);
    const ttft = (r: { first: number; submit: number }) => r.first - r.submit;
    for (let i = 0; i < ids.length; i++) {
      const expected = ttft(hbm.rec.reqs[i]) + (i >= N ? transfer : 0);
      expect(ttft(tiered.rec.reqs[i])).toBeCloseTo(expected, 9);
    }
    // and an HBM hit is the closed form of prefilling the unique part only
    expect(ttft(hbm.rec.reqs[N])).toBeCloseTo(5 + 0.02 * U, 9);
  });

  it('without a host tier, the repeated prompts miss; a host tier of no capacity changes nothing', () => {
    const none = runSequential(100 * BLOCK, undefined, ids, P, U);
    const empty = runSequential(100 * BLOCK, { host: host(0) }, ids, P, U);
    expect(none.replica.stats().cached_prompt_tokens).toBe(0);
    expect(empty.rec.reqs).toEqual(none.rec.reqs);
    const a = { ...empty.replica.stats() }, b = { ...none.replica.stats() };
    // what fell through the empty tier is exactly what HBM evicted
    expect(a.kv_tier_dropped_blocks).toBe(b.prefix_evicted_blocks);
    a.kv_tier_dropped_blocks = 0;
    expect(a).toEqual(b);
  });

  it('a host tier smaller than the working set pushes its oldest blocks to NVMe; hits there pay the NVMe transfer', () => {
    const nvme = { capacity_gb: host(10_000).capacity_gb, bandwidth_gb_per_s: 4, latency_ms: 0.1 };
    const run = runSequential(100 * BLOCK, { host: host(64), nvme }, ids, P, U);
    const hbm = runSequential(100_000 * BLOCK, undefined, ids, P, U);
    const st = run.replica.stats();
    expect(st.cached_prompt_tokens).toBe((ROUNDS - 1) * N * P);
    expect(st.nvme_hit_tokens).toBeGreaterThan(0);
    expect(st.host_hit_tokens + st.nvme_hit_tokens).toBe(st.cached_prompt_tokens);
    // TTFT over an HBM hit, summed, is the transfer time: one transfer per tier a hit reads from
    let extra = 0;
    for (let i = 0; i < ids.length; i++) extra += run.rec.reqs[i].first - run.rec.reqs[i].submit - (hbm.rec.reqs[i].first - hbm.rec.reqs[i].submit);
    expect(extra).toBeCloseTo(st.kv_transfer_ms, 6);
    const nvmeMsPerBlock = (BLOCK * KV_BYTES_PER_TOKEN) / (4 * 1e9) * 1000;
    const blockMs = (st.host_hit_tokens / BLOCK) * MS_PER_BLOCK + (st.nvme_hit_tokens / BLOCK) * nvmeMsPerBlock;
    expect(st.kv_transfer_ms).toBeGreaterThan(blockMs);
    expect(st.kv_transfer_ms).toBeLessThanOrEqual(blockMs + (ROUNDS - 1) * N * (HOST_LATENCY_MS + 0.1) + 1e-9);
  });

  it('a restart loses the host tier too: the next request prefills its whole prompt', () => {
    const sim = new Simulator();
    const rec = new Recorder();
    const replica = new GpuReplica(sim, stepWith(100 * BLOCK), { ...BASE_CFG, kv_tiers: { host: host(1000) } }, rec);
    const submit = (id: number) => {
      replica.submit(rec.add(P + U, 4, sim.now_ms), P + U, 4, id, P);
      sim.run();
    };
    for (const id of [0, 1, 2]) submit(id);
    replica.dropCachedPrefixes();
    submit(0);
    expect(replica.stats().cached_prompt_tokens).toBe(0);
  });
});

/**
 * Two requests decode together; at 40 ms the KV cache shrinks so that only the first fits (the
 * second, the most recently admitted, is preempted), at 120 ms it grows back and the second is readmitted.
 */
function preemptOnce(mode: 'recompute' | 'swap') {
  const sim = new Simulator();
  const rec = new Recorder();
  const cfg: ReplicaConfig = { ...BASE_CFG, kv_tiers: { host: host(1000), preemption_mode: mode } };
  const replica = new GpuReplica(sim, stepWith(1000 * BLOCK), cfg, rec);
  replica.debug = { token: (req, t) => rec.token(req, t), planned: (r) => r.checkInvariants() };
  const PROMPT = 400, OUT = 100;
  for (let i = 0; i < 2; i++) replica.submit(rec.add(PROMPT, OUT, 0), PROMPT, OUT);
  sim.at(40, sim.on(() => replica.setKvCapacityTokens(40 * BLOCK)));
  sim.at(120, sim.on(() => replica.setKvCapacityTokens(1000 * BLOCK)));
  sim.run();
  expect(rec.errors).toEqual([]);
  const [a, b] = rec.reqs;
  // B's longest gap between tokens is its time out of the batch
  let gap = 0;
  for (let i = 1; i < b.tokens.length; i++) if (b.tokens[i] - b.tokens[i - 1] > b.tokens[gap + 1] - b.tokens[gap]) gap = i - 1;
  const emittedBefore = gap + 1, backAt = b.tokens[gap + 1];
  // A decodes in every iteration: the readmission iteration started at A's token before backAt
  const aBefore = a.tokens.filter((t) => t < backAt);
  const readmission_ms = backAt - aBefore[aBefore.length - 1];
  const aContext = PROMPT + aBefore.length - 1;
  // the iteration that preempted B: it starts at A's first token after 40 ms
  const k = a.tokens.findIndex((t) => t > 40);
  const preemptIteration_ms = a.tokens[k + 1] - a.tokens[k];
  return { replica, rec, emittedBefore, readmission_ms, aContext, preemptIteration_ms, PROMPT };
}

describe('preemption by swap against recompute, one replica', () => {
  it('swap costs the transfer out and in; recompute costs the re-prefill of prompt + output so far', () => {
    const rc = preemptOnce('recompute'), sw = preemptOnce('swap');
    expect(rc.replica.stats().preemptions).toBe(1);
    expect(sw.replica.stats().swap_outs).toBe(1);
    expect(sw.emittedBefore).toBe(rc.emittedBefore);
    const e = rc.emittedBefore, kvBlocks = Math.ceil((rc.PROMPT + e - 1) / BLOCK);
    const transfer = HOST_LATENCY_MS + kvBlocks * MS_PER_BLOCK;
    // swap-out: the preempting iteration (A decoding alone) waits for it
    expect(sw.preemptIteration_ms - rc.preemptIteration_ms).toBeCloseTo(transfer, 9);
    // readmission: recompute prefills prompt + e tokens in the step model; swap loads the KV back and computes one token
    expect(rc.readmission_ms).toBeCloseTo(5 + 0.02 * (rc.PROMPT + e) + 0.1 + 0.0005 * rc.aContext, 9);
    expect(sw.readmission_ms).toBeCloseTo(transfer + 5 + 0.02 * 1 + 0.1 + 0.0005 * sw.aContext, 9);
    expect(rc.replica.stats().recompute_tokens).toBe(rc.PROMPT + e);
    expect(sw.replica.stats().recompute_tokens).toBe(0);
    expect(sw.replica.stats().kv_transfer_ms).toBeCloseTo(2 * transfer, 9);
    // both produce every token once
    for (const run of [rc, sw]) for (const r of run.rec.reqs) expect(r.tokens.length).toBe(r.output);
  });

  it('a host tier too small for the sequence falls back to recompute', () => {
    const sim = new Simulator();
    const rec = new Recorder();
    const replica = new GpuReplica(sim, stepWith(1000 * BLOCK), { ...BASE_CFG, kv_tiers: { host: host(10), preemption_mode: 'swap' } }, rec);
    for (let i = 0; i < 2; i++) replica.submit(rec.add(400, 100, 0), 400, 100);
    sim.at(40, sim.on(() => replica.setKvCapacityTokens(40 * BLOCK)));
    sim.at(120, sim.on(() => replica.setKvCapacityTokens(1000 * BLOCK)));
    sim.run();
    const st = replica.stats();
    expect(st.swap_outs).toBe(0);
    expect(st.swap_fallbacks).toBe(1);
    expect(st.recompute_tokens).toBeGreaterThan(400);
    expect(rec.reqs.every((r) => r.done > 0)).toBe(true);
  });
});

describe('KV tiers under load: the block accounting holds', () => {
  it('random arrivals over 12 system prompts, a tight HBM, small host and NVMe tiers, swap preemption: invariants at every iteration, every token once', () => {
    const sim = new Simulator();
    const rec = new Recorder();
    const nvme = { capacity_gb: host(300).capacity_gb, bandwidth_gb_per_s: 4, latency_ms: 0.2 };
    const replica = new GpuReplica(sim, stepWith(160 * BLOCK), { ...BASE_CFG, kv_tiers: { host: host(120), nvme, preemption_mode: 'swap' } }, rec);
    const errors: string[] = [];
    replica.debug = {
      planned: (r) => {
        try {
          r.checkInvariants();
        } catch (e) {
          if (errors.length < 3) errors.push((e as Error).message);
        }
      },
      token: (req, t) => rec.token(req, t),
    };
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const prefixLength = Array.from({ length: 12 }, (_, i) => 200 + 97 * i);
    let t = 0;
    const arrive = sim.on(() => {
      const id = Math.floor(rand() * 12), own = 20 + Math.floor(rand() * 200), out = 1 + Math.floor(rand() * 300);
      const prompt = prefixLength[id] + own;
      replica.submit(rec.add(prompt, out, sim.now_ms), prompt, out, id, prefixLength[id]);
      if (rec.reqs.length < 400) sim.at((t += -Math.log(1 - rand()) * 60), arrive);
    });
    sim.at(0, arrive);
    sim.run();
    expect(errors).toEqual([]);
    expect(rec.errors).toEqual([]);
    const st = replica.stats();
    expect(st.preemptions).toBeGreaterThan(0);
    expect(st.swap_outs).toBeGreaterThan(0);
    expect(st.host_hit_tokens).toBeGreaterThan(0);
    expect(st.nvme_hit_tokens).toBeGreaterThan(0);
    expect(st.host_hit_tokens + st.nvme_hit_tokens).toBeLessThanOrEqual(st.cached_prompt_tokens);
    for (const r of rec.reqs) {
      if (r.rejected) continue;
      expect(r.tokens.length).toBe(r.output);
    }
    expect(replica.usedBlocks).toBe(0);
  });
});
