import { describe, expect, it } from 'vitest';
import { Simulator } from '../../src/engine/sim.ts';
import { stream } from '../../src/engine/random.ts';
import { GpuReplica, type ReplicaConfig } from '../../src/fleet/gpu/replica.ts';
import { SlotPool } from '../../src/fleet/gpu/slot-pool.ts';
import { BASE_CFG, linearStep, Recorder } from './helpers.ts';

/** The test listener, also recording aborts. */
class AbortRecorder extends Recorder {
  abortedAt: number[] = [];
  aborted(req: number, t: number): void {
    if (this.abortedAt[req] !== undefined) this.errors.push(`req ${req}: aborted twice`);
    this.abortedAt[req] = t;
  }
}

const OVERHEAD_MS = 5, PER_PREFILL_MS = 0.02, PER_SEQ_MS = 0.1, PER_CTX_MS = 0.0005;
const step = () => linearStep({ overhead: OVERHEAD_MS, perPrefill: PER_PREFILL_MS, perSeq: PER_SEQ_MS, perCtx: PER_CTX_MS });

/** One request alone, aborted at abort_ms (Infinity: never); the replica's counters at the end. */
function single(prompt: number, output: number, abort_ms: number, cfg: Partial<ReplicaConfig> = {}) {
  const sim = new Simulator();
  const rec = new AbortRecorder();
  const slots = new SlotPool();
  const replica = new GpuReplica(sim, step(), { ...BASE_CFG, ...cfg }, rec, slots);
  const req = rec.add(prompt, output, 0);
  let slot = -1;
  sim.at(0, sim.on(() => (slot = replica.submit(req, prompt, output))));
  if (abort_ms < Infinity) sim.at(abort_ms, sim.on(() => replica.abort(slot, req)));
  sim.run();
  return { stats: replica.stats(), rec, slots, replica };
}

describe('cancellation: abort frees the request wherever it is', () => {
  it('decoded tokens fall by the closed-form amount: the abort takes effect at the end of the iteration in flight', () => {
    const prompt = 400, output = 300;
    // Closed form of the linear step: the prefill iteration ends at o + a P and samples token 1;
    // decode step j (j = 1, 2, ...) runs with j tokens emitted, so P + j - 1 tokens of KV.
    const ends: number[] = [];
    let t = OVERHEAD_MS + PER_PREFILL_MS * prompt;
    for (let j = 1; j < output; j++) ends.push((t += OVERHEAD_MS + PER_SEQ_MS + PER_CTX_MS * (prompt + j - 1)));
    const abort_ms = (ends[120] + ends[121]) / 2; // inside decode step 122: it completes, nothing after
    const decodedBeforeAbort = 122;
    for (const fuse_decode of [true, false]) {
      const full = single(prompt, output, Infinity, { fuse_decode });
      const cut = single(prompt, output, abort_ms, { fuse_decode });
      expect(full.stats.decode_tokens).toBe(output - 1);
      expect(cut.stats.decode_tokens).toBe(decodedBeforeAbort);
      expect(full.stats.decode_tokens - cut.stats.decode_tokens).toBe(output - 1 - decodedBeforeAbort);
      expect(cut.stats.aborted).toBe(1);
      expect(cut.stats.aborted_output_tokens).toBe(output - 1 - decodedBeforeAbort);
      expect(cut.rec.abortedAt[0]).toBeCloseTo(ends[121], 9);
      expect(cut.rec.reqs[0].doneCalls).toBe(0);
      expect(cut.slots.inUse).toBe(0);
      expect(cut.replica.usedBlocks).toBe(0);
    }
  });

  it('a waiting request leaves the queue at once and never runs', () => {
    const sim = new Simulator();
    const rec = new AbortRecorder();
    const replica = new GpuReplica(sim, step(), { ...BASE_CFG, max_num_seqs: 1 }, rec);
    const a = rec.add(100, 50, 0), b = rec.add(100, 50, 0);
    let slotB = -1;
    sim.at(0, sim.on(() => {
      replica.submit(a, 100, 50);
      slotB = replica.submit(b, 100, 50);
    }));
    sim.at(1, sim.on(() => replica.abort(slotB, b)));
    sim.run();
    expect(rec.abortedAt[b]).toBe(1);
    expect(rec.reqs[b].firstCalls).toBe(0);
    expect(replica.stats().aborted_output_tokens).toBe(50);
    expect(replica.stats().prefill_tokens).toBe(100); // only a's prompt
  });

  it('random aborts under load: no KV block or record leaks, every request ends exactly once, fused and plain agree', () => {
    const results = [true, false].map((fuse_decode) => {
      const sim = new Simulator();
      const rec = new AbortRecorder();
      const slots = new SlotPool();
      const replica = new GpuReplica(sim, linearStep({ kvTokens: 6000 }), { ...BASE_CFG, fuse_decode }, rec, slots);
      const rng = stream(7, 'abort-test');
      const invariantErrors: string[] = [];
      const slotOf: number[] = [];
      const abortHandler = sim.on((req) => replica.abort(slotOf[req], req));
      let t = 0;
      const arrive = sim.on((req) => {
        slotOf[req] = replica.submit(req, rec.reqs[req].prompt, rec.reqs[req].output);
        if (rng() < 0.5) sim.after(rng() * 3000, abortHandler, req);
        if (invariantErrors.length === 0) {
          try { replica.checkInvariants(); } catch (e) { invariantErrors.push((e as Error).message); }
        }
      });
      for (let i = 0; i < 400; i++) {
        t += -Math.log(1 - rng()) * 40;
        sim.at(t, arrive, rec.add(50 + Math.floor(rng() * 900), 1 + Math.floor(rng() * 400), t));
      }
      sim.run();
      return { rec, slots, replica, invariantErrors, stats: replica.stats() };
    });
    for (const { rec, slots, replica, invariantErrors, stats } of results) {
      expect(invariantErrors).toEqual([]);
      expect(rec.errors).toEqual([]);
      const ends = rec.reqs.map((r, i) => r.doneCalls + (r.rejected ? 1 : 0) + (rec.abortedAt[i] !== undefined ? 1 : 0));
      expect(ends.every((n) => n === 1)).toBe(true);
      expect(stats.aborted).toBeGreaterThan(50);
      expect(stats.preemptions).toBeGreaterThan(0); // the small KV cache makes the aborts meet preempted sequences too
      expect(slots.inUse).toBe(0);
      expect(replica.usedBlocks).toBe(0);
      // output tokens emitted + those aborted requests did not produce = every completed or aborted request's output
      const owed = rec.reqs.reduce((a, r) => a + (r.rejected ? 0 : r.output), 0);
      expect(stats.output_tokens + stats.aborted_output_tokens).toBe(owed);
    }
    expect(results[0].stats).toEqual(results[1].stats);
  });
});
