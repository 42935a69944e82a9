import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EventQueue } from '../../src/engine/heap.ts';
import { Simulator } from '../../src/engine/sim.ts';

describe('EventQueue', () => {
  it('pops in (time, insertion) order, FIFO at equal times, against a sorted reference', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ t: fc.integer({ min: 0, max: 20 }), cancel: fc.boolean() }), { maxLength: 300 }), (ops) => {
        const q = new EventQueue(16);
        const tokens = ops.map((o, i) => q.push(o.t, 0, i));
        ops.forEach((o, i) => o.cancel && q.cancel(tokens[i]));
        const expected = ops
          .map((o, i) => ({ ...o, i }))
          .filter((o) => !o.cancel)
          .sort((a, b) => a.t - b.t || a.i - b.i)
          .map((o) => o.i);
        const got: number[] = [];
        while (q.pop()) got.push(q.payload);
        expect(got).toEqual(expected);
        expect(q.size).toBe(0);
      }),
      { seed: 1, numRuns: 300 },
    );
  });

  it('interleaved push/pop/cancel keep order and size', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constant('pop'), fc.double({ min: 0, max: 100, noNaN: true }), fc.constant('cancel'), fc.constant('peek')), { maxLength: 400 }), (ops) => {
        const q = new EventQueue(4);
        const live = new Map<number, { t: number; seq: number }>();
        let seq = 0;
        let now = 0;
        const tokens: number[] = [];
        for (const op of ops) {
          if (op === 'pop') {
            const ok = q.pop();
            if (live.size === 0) {
              expect(ok).toBe(false);
              continue;
            }
            const min = [...live.entries()].sort((a, b) => a[1].t - b[1].t || a[1].seq - b[1].seq)[0];
            expect(ok).toBe(true);
            expect(q.payload).toBe(min[0]);
            live.delete(min[0]);
            now = q.time;
          } else if (op === 'peek') {
            // the last popped event may still sit at the root until the next push: never shown
            expect(q.peekTime()).toBe(live.size === 0 ? Infinity : Math.min(...[...live.values()].map((v) => v.t)));
          } else if (op === 'cancel') {
            const tok = tokens.pop();
            if (tok === undefined) continue;
            const payloadSeq = [...live.keys()].find((k) => k === tokens.length);
            const cancelled = q.cancel(tok);
            expect(cancelled).toBe(payloadSeq !== undefined);
            if (payloadSeq !== undefined) live.delete(payloadSeq);
          } else {
            const id = tokens.length;
            tokens.push(q.push(now + op, 0, id));
            live.set(id, { t: now + op, seq: seq++ });
          }
          expect(q.size).toBe(live.size);
        }
      }),
      { seed: 2, numRuns: 200 },
    );
  });

  it('a stale token (event already run) cancels nothing, even after its slot is reused', () => {
    const q = new EventQueue();
    const a = q.push(1, 0, 1);
    expect(q.pop()).toBe(true);
    q.push(2, 0, 2); // reuses a's slot
    expect(q.cancel(a)).toBe(false);
    expect(q.pop()).toBe(true);
    expect(q.payload).toBe(2);
  });

  it('grows past its initial capacity and refuses beyond its limit', () => {
    const q = new EventQueue(16, 64);
    for (let i = 0; i < 64; i++) q.push(64 - i, 0, i);
    expect(() => q.push(0, 0, 0)).toThrow(/the run stopped: more than [0-9,]+ pending events/);
    let last = -Infinity;
    let n = 0;
    while (q.pop()) {
      expect(q.time).toBeGreaterThanOrEqual(last);
      last = q.time;
      n++;
    }
    expect(n).toBe(64);
  });
});

describe('Simulator', () => {
  it('runs until a time, leaves later events pending and sets the clock', () => {
    const sim = new Simulator();
    const seen: number[] = [];
    const h = sim.on((p) => seen.push(p));
    sim.at(5, h, 1);
    sim.at(10, h, 2);
    sim.at(15, h, 3);
    expect(sim.run(12)).toBe('until');
    expect(seen).toEqual([1, 2]);
    expect(sim.now_ms).toBe(12);
    expect(sim.pending).toBe(1);
    expect(sim.run()).toBe('empty');
    expect(seen).toEqual([1, 2, 3]);
    expect(sim.now_ms).toBe(15);
  });

  it('handlers can schedule and cancel; limits stop the run', () => {
    const sim = new Simulator();
    let count = 0;
    const tick = sim.on(() => {
      count++;
      sim.after(1, tick);
    });
    sim.after(0, tick);
    expect(sim.run(Infinity, { maxEvents: 1000 })).toBe('max_events');
    expect(count).toBe(1000);
    // maxEvents counts this call's events: a run carried on in slices (simulate.ts passes what is
    // left of limits.max_events) stops where one uninterrupted run would. It counted the
    // simulator's total, so a second slice stopped after one event.
    expect(sim.run(Infinity, { maxEvents: 500 })).toBe('max_events');
    expect(count).toBe(1500);
    expect(sim.events).toBe(1500);
    const sim2 = new Simulator();
    const never = sim2.on(() => {
      throw new Error('cancelled event ran');
    });
    const tok = sim2.after(5, never);
    expect(sim2.cancel(tok)).toBe(true);
    expect(sim2.run()).toBe('empty');
  });

  it('refuses to schedule in the past or with a NaN delay', () => {
    const sim = new Simulator();
    const h = sim.on(() => {});
    sim.at(10, h);
    sim.run();
    expect(() => sim.at(5, h)).toThrow(/before now/);
    expect(() => sim.after(Number.NaN, h)).toThrow(/NaN/);
  });
});
