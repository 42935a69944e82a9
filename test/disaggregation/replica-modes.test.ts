import { describe, expect, it } from 'vitest';
import { Simulator } from '../../src/engine/sim.ts';
import { stream } from '../../src/engine/random.ts';
import { GpuReplica, type ReplicaListener } from '../../src/fleet/gpu/replica.ts';
import { BASE_CFG, linearStep } from '../gpu/helpers.ts';

/** Every callback of a replica, per request id. */
class Calls implements ReplicaListener {
  firstAt = new Map<number, number>();
  doneAt = new Map<number, number>();
  rejectedWhy = new Map<number, string>();
  tokens = new Map<number, number>();
  errors: string[] = [];
  firstToken(req: number, t: number): void {
    if (this.firstAt.has(req)) this.errors.push(`first twice: ${req}`);
    this.firstAt.set(req, t);
  }
  done(req: number, t: number): void {
    if (this.doneAt.has(req)) this.errors.push(`done twice: ${req}`);
    this.doneAt.set(req, t);
  }
  rejected(req: number, _t: number, reason: string): void {
    this.rejectedWhy.set(req, reason);
  }
}

const o = 5, b = 0.1, c = 0.0005, a = 0.02;

describe('GpuReplica modes: prefill-only and decode-only (closed forms)', () => {
  it('prefill mode: a request ends at its first token, after one prefill of its prompt; its KV is freed', () => {
    const sim = new Simulator();
    const calls = new Calls();
    const r = new GpuReplica(sim, linearStep(), { ...BASE_CFG, mode: 'prefill' }, calls);
    r.submit(0, 300, 50);
    sim.run();
    // one prefill step of 300 tokens (budget 512): overhead + a * 300
    expect(calls.firstAt.get(0)).toBeCloseTo(o + a * 300, 12);
    expect(calls.doneAt.get(0)).toBe(calls.firstAt.get(0));
    expect(r.usedBlocks).toBe(0);
    expect(r.stats().prefill_tokens).toBe(300);
    expect(r.stats().decode_tokens).toBe(0);
  });

  it('decode mode: a transferred request decodes from its arrival, one step per remaining token, no firstToken call', () => {
    const sim = new Simulator();
    const calls = new Calls();
    const r = new GpuReplica(sim, linearStep(), { ...BASE_CFG, mode: 'decode' }, calls);
    const P = 300, O = 40;
    sim.at(10, sim.on(() => r.submit(0, P, O)));
    sim.run();
    // O - 1 decode steps; step k reads a context of P + k tokens (the first token's KV is written by step 0)
    let t = 10;
    for (let k = 0; k < O - 1; k++) t += o + b + c * (P + k);
    expect(calls.doneAt.get(0)).toBeCloseTo(t, 9);
    expect(calls.firstAt.has(0)).toBe(false);
    expect(r.stats().prefill_tokens).toBe(0);
    expect(r.stats().decode_tokens).toBe(O - 1);
    expect(r.usedBlocks).toBe(0);
  });

  it('prefill mode under load: every request ends at its first token, once; its blocks are all given back', () => {
    const sim = new Simulator();
    const calls = new Calls();
    const r = new GpuReplica(sim, linearStep({ kvTokens: 4096 }), { ...BASE_CFG, mode: 'prefill' }, calls);
    const rng = stream(5, 'prefill-mode');
    const n = 300;
    for (let i = 0; i < n; i++) sim.at(i * 2, sim.on(() => r.submit(i, 50 + Math.floor(rng() * 1500), 100)));
    sim.run();
    expect(calls.errors).toEqual([]);
    expect(calls.doneAt.size).toBe(n);
    for (let i = 0; i < n; i++) expect(calls.doneAt.get(i)).toBe(calls.firstAt.get(i));
    expect(r.stats().decode_tokens).toBe(0);
    expect(r.usedBlocks).toBe(0);
  });

  it('decode mode: refuses a request with a single output token (it has nothing left to decode)', () => {
    const r = new GpuReplica(new Simulator(), linearStep(), { ...BASE_CFG, mode: 'decode' }, new Calls());
    expect(() => r.submit(0, 100, 1)).toThrow(/at least 2/);
  });

  it('decode mode under KV pressure: every request finishes once with its tokens, invariants hold, no block leaks', () => {
    const sim = new Simulator();
    const calls = new Calls();
    // a small cache (4096 tokens) so arrivals wait for space and running sequences get preempted
    const r = new GpuReplica(sim, linearStep({ kvTokens: 4096 }), { ...BASE_CFG, mode: 'decode' }, calls);
    const invariantErrors: string[] = [];
    r.debug = {
      planned(x) {
        try {
          x.checkInvariants();
        } catch (e) {
          if (invariantErrors.length < 3) invariantErrors.push((e as Error).message);
        }
      },
      token(req) {
        calls.tokens.set(req, (calls.tokens.get(req) ?? 0) + 1);
      },
    };
    const rng = stream(7, 'decode-mode');
    const n = 400;
    const outputs: number[] = [];
    let t = 0;
    const arrive = sim.on((i) => {
      const prompt = 50 + Math.floor(rng() * 900), out = 2 + Math.floor(rng() * 300);
      outputs[i] = out;
      r.submit(i, prompt, out);
      if (i + 1 < n) sim.at((t += -Math.log(1 - rng()) * 40), arrive, i + 1);
    });
    sim.at(0, arrive, 0);
    sim.run();
    expect(invariantErrors).toEqual([]);
    expect(calls.errors).toEqual([]);
    expect(calls.rejectedWhy.size).toBe(0);
    expect(calls.doneAt.size).toBe(n);
    expect(r.stats().preemptions).toBeGreaterThan(0);
    // every request gets out - 1 tokens here (the first came from prefill), preemption or not
    for (let i = 0; i < n; i++) expect(calls.tokens.get(i)).toBe(outputs[i] - 1);
    expect(r.usedBlocks).toBe(0);
    expect(r.outstanding).toBe(0);
  });
});
