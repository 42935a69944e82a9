import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CalendarQueue } from '../../src/engine/calendar-queue.ts';
import { EventQueue } from '../../src/engine/heap.ts';

/** Pushes (delay from the clock), pops (with a limit ahead of the clock), cancels of earlier pushes. */
type Op = { kind: 'push'; delay: number } | { kind: 'pop'; ahead: number } | { kind: 'cancel'; back: number };

/** Runs the same operations on the calendar queue and the binary heap (the reference): every answer must agree. */
function sameAsHeap(ops: Op[], width_ms: number): void {
  const cal = new CalendarQueue(16, 2 ** 25, width_ms), heap = new EventQueue(16);
  const calTokens: number[] = [], heapTokens: number[] = [];
  // each queue's answers in order (pop results, popped times and payloads, cancels, sizes), compared once at the end
  const calSaid: number[] = [], heapSaid: number[] = [];
  let now = 0;
  for (const op of ops) {
    if (op.kind === 'push') {
      calTokens.push(cal.push(now + op.delay, 0, calTokens.length));
      heapTokens.push(heap.push(now + op.delay, 0, heapTokens.length));
    } else if (op.kind === 'cancel') {
      const i = calTokens.length - 1 - op.back;
      if (i >= 0) {
        calSaid.push(cal.cancel(calTokens[i]) ? 1 : 0);
        heapSaid.push(heap.cancel(heapTokens[i]) ? 1 : 0);
      }
    } else {
      const limit = now + op.ahead;
      const popped = heap.popUntil(limit);
      calSaid.push(cal.popUntil(limit) ? 1 : 0, cal.time, cal.payload);
      heapSaid.push(popped ? 1 : 0, heap.time, heap.payload);
      now = popped ? heap.time : limit; // the clock moves to the limit, as Simulator.run does
    }
    calSaid.push(cal.size);
    heapSaid.push(heap.size);
  }
  while (heap.pop()) heapSaid.push(heap.time, heap.payload);
  while (cal.pop()) calSaid.push(cal.time, cal.payload);
  expect(calSaid).toEqual(heapSaid);
}

const delays = fc.oneof(
  fc.constant(0),
  fc.double({ min: 0, max: 5, noNaN: true }),
  fc.double({ min: 0, max: 1e4, noNaN: true }),
  fc.integer({ min: 0, max: 3 }), // ties
  fc.constant(1e300),
);
const ops: fc.Arbitrary<Op[]> = fc.array(
  fc.oneof(
    { weight: 5, arbitrary: delays.map((delay) => ({ kind: 'push' as const, delay })) },
    { weight: 4, arbitrary: fc.oneof(fc.constant(Infinity), fc.double({ min: 0, max: 50, noNaN: true })).map((ahead) => ({ kind: 'pop' as const, ahead })) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 20 }).map((back) => ({ kind: 'cancel' as const, back })) },
  ),
  { maxLength: 600 },
);

describe('CalendarQueue', () => {
  it('pops, cancels and stops at limits exactly as the binary heap, whatever the bucket width', () => {
    fc.assert(
      fc.property(ops, fc.constantFrom(1e-6, 0.01, 1, 1000), (o, width) => sameAsHeap(o, width)),
      { seed: 7, numRuns: 400 },
    );
  });

  it('keeps the heap order through width changes and ring moves on a long mixed stream', () => {
    // dense near-future events (narrowing), then sparse far ones (widening), then dense again
    const long: Op[] = [];
    let x = 12345;
    const u = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (let phase = 0; phase < 3; phase++) {
      const scale = phase === 1 ? 5000 : 0.5;
      for (let i = 0; i < 30000; i++) {
        const r = u();
        if (r < 0.5) long.push({ kind: 'push', delay: -Math.log(1 - u()) * scale });
        else if (r < 0.97) long.push({ kind: 'pop', ahead: Infinity });
        else long.push({ kind: 'cancel', back: Math.floor(u() * 50) });
      }
    }
    sameAsHeap(long, 1);
  });

  it('refuses to hold more than its limit', () => {
    const q = new CalendarQueue(16, 64);
    for (let i = 0; i < 64; i++) q.push(i, 0, i);
    expect(() => q.push(1, 0, 0)).toThrow(/the run stopped: more than [0-9,]+ pending events/);
  });
});
