import { LimitError } from '../errors.ts';

/** The refusal when a run holds more pending events than the queue allows (calendar-queue.ts too). */
export const PENDING_LIMIT_MESSAGE = (max: number): string =>
  `the run stopped: more than ${max.toLocaleString('en-US')} pending events (a retry storm with no backoff, or a fault or control loop that fires every instant?); nothing written`;
/**
 * Binary min-heap of events over parallel typed arrays, ordered by (time, insertion sequence),
 * so events at equal times pop first-in first-out and every run is reproducible.
 *
 * An event is (time, handler id, payload). Cancellation is O(1): the event's slot is marked dead
 * and skipped when it reaches the top. Slots are recycled through a free list, and a slot's
 * generation makes a stale cancel token harmless.
 *
 * Pop and push are fused: the popped event stays at the root (a "zombie", its slot already
 * released) until its handler schedules the next event, which then takes the root's place in one
 * sift-down (heapq's heapreplace) instead of a sift-down and a sift-up. Most handlers schedule
 * exactly one event, so this halves the heap work; the order of events, which depends only on
 * (time, sequence), is unchanged.
 */
const DEAD = -1;
export const SLOT_BITS = 2 ** 25; // at most ~33M pending events; tokens stay below 2^53

export class EventQueue {
  // Heap order arrays: position -> (time, seq, slot).
  private hTime: Float64Array;
  private hSeq: Float64Array;
  private hSlot: Int32Array;
  // Slot arrays: slot -> (handler, payload, generation).
  private sHandler: Int32Array;
  private sPayload: Int32Array;
  private sGen: Int32Array;
  private freeSlots: Int32Array;
  private freeCount = 0;
  private nextSlot = 0;
  private seq = 0;
  private n = 0;
  private liveCount = 0;
  /** The root is the last popped event, already released: the next push replaces it. */
  private zombie = false;
  readonly maxPending: number;

  constructor(initialCapacity = 1024, maxPending = SLOT_BITS) {
    const cap = Math.max(16, initialCapacity);
    this.maxPending = Math.min(maxPending, SLOT_BITS);
    this.hTime = new Float64Array(cap);
    this.hSeq = new Float64Array(cap);
    this.hSlot = new Int32Array(cap);
    this.sHandler = new Int32Array(cap);
    this.sPayload = new Int32Array(cap);
    this.sGen = new Int32Array(cap);
    this.freeSlots = new Int32Array(cap);
  }

  /** Events scheduled and not yet run or cancelled. */
  get size(): number {
    return this.liveCount;
  }

  /** Time of the earliest live event, or Infinity. */
  peekTime(): number {
    this.buryZombie();
    this.dropDeadTop();
    return this.n > 0 ? this.hTime[0] : Infinity;
  }

  /** Schedules (time, handler, payload); returns a token for cancel(). */
  push(time: number, handler: number, payload: number): number {
    if (!this.zombie && this.n >= this.hTime.length) this.grow();
    let slot: number;
    if (this.freeCount > 0) slot = this.freeSlots[--this.freeCount];
    else slot = this.nextSlot++;
    this.sHandler[slot] = handler;
    this.sPayload[slot] = payload;
    const seq = this.seq++;
    this.liveCount++;
    if (this.zombie) {
      this.zombie = false;
      this.siftDownFromRoot(time, seq, slot);
      return this.sGen[slot] * SLOT_BITS + slot;
    }
    // Sift up from the new leaf.
    let i = this.n++;
    const hTime = this.hTime, hSeq = this.hSeq, hSlot = this.hSlot;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pt = hTime[p];
      if (pt < time || (pt === time && hSeq[p] < seq)) break;
      hTime[i] = pt;
      hSeq[i] = hSeq[p];
      hSlot[i] = hSlot[p];
      i = p;
    }
    hTime[i] = time;
    hSeq[i] = seq;
    hSlot[i] = slot;
    return this.sGen[slot] * SLOT_BITS + slot;
  }

  /** Cancels a scheduled event; a token of an event that already ran is ignored. Returns true if cancelled. */
  cancel(token: number): boolean {
    const slot = token % SLOT_BITS;
    const gen = (token - slot) / SLOT_BITS;
    if (slot >= this.nextSlot || this.sGen[slot] !== gen || this.sHandler[slot] === DEAD) return false;
    this.sHandler[slot] = DEAD;
    this.liveCount--;
    return true;
  }

  /**
   * Removes the earliest live event. Returns false when empty; otherwise the event is readable
   * through `time`, `handler`, `payload` until the next pop.
   */
  time = 0;
  handler = 0;
  payload = 0;
  pop(): boolean {
    return this.popUntil(Infinity);
  }

  /** Like pop(), but leaves the queue untouched and returns false if the earliest live event is later than limit. */
  popUntil(limit: number): boolean {
    this.buryZombie();
    for (;;) {
      if (this.n === 0) return false;
      const slot = this.hSlot[0];
      const h = this.sHandler[slot];
      const t = this.hTime[0];
      if (h === DEAD) {
        this.removeTop();
        this.releaseSlot(slot);
        continue;
      }
      if (t > limit) return false;
      this.time = t;
      this.handler = h;
      this.payload = this.sPayload[slot];
      this.releaseSlot(slot);
      this.liveCount--;
      this.zombie = true; // removed by the next push (replacing it) or pop
      return true;
    }
  }

  /** The last popped event is still at the root and nothing replaced it: remove it now. */
  private buryZombie(): void {
    if (this.zombie) {
      this.zombie = false;
      this.removeTop();
    }
  }

  private dropDeadTop(): void {
    while (this.n > 0 && this.sHandler[this.hSlot[0]] === DEAD) {
      const slot = this.hSlot[0];
      this.removeTop();
      this.releaseSlot(slot);
    }
  }

  private releaseSlot(slot: number): void {
    this.sHandler[slot] = DEAD;
    this.sGen[slot] = (this.sGen[slot] + 1) & 0x3ffffff;
    this.freeSlots[this.freeCount++] = slot;
  }

  private removeTop(): void {
    const last = --this.n;
    if (last === 0) return;
    this.siftDownFromRoot(this.hTime[last], this.hSeq[last], this.hSlot[last]);
  }

  /** Places (t, s, sl) at the root of the n entries and sifts it down. */
  private siftDownFromRoot(t: number, s: number, sl: number): void {
    const hTime = this.hTime, hSeq = this.hSeq, hSlot = this.hSlot;
    const last = this.n;
    let i = 0;
    const half = last >> 1;
    while (i < half) {
      let c = 2 * i + 1;
      const r = c + 1;
      if (r < last && (hTime[r] < hTime[c] || (hTime[r] === hTime[c] && hSeq[r] < hSeq[c]))) c = r;
      const ct = hTime[c];
      if (t < ct || (t === ct && s < hSeq[c])) break;
      hTime[i] = ct;
      hSeq[i] = hSeq[c];
      hSlot[i] = hSlot[c];
      i = c;
    }
    hTime[i] = t;
    hSeq[i] = s;
    hSlot[i] = sl;
  }

  private grow(): void {
    const cap = this.hTime.length;
    if (cap >= this.maxPending) {
      throw new LimitError(PENDING_LIMIT_MESSAGE(this.maxPending));
    }
    const next = Math.min(cap * 2, this.maxPending);
    this.hTime = growF64(this.hTime, next);
    this.hSeq = growF64(this.hSeq, next);
    this.hSlot = growI32(this.hSlot, next);
    this.sHandler = growI32(this.sHandler, next);
    this.sPayload = growI32(this.sPayload, next);
    this.sGen = growI32(this.sGen, next);
    this.freeSlots = growI32(this.freeSlots, next);
  }
}

/** A copy of a in a longer array of n entries (queues grow by doubling). */
export function growF64(a: Float64Array, n: number): Float64Array {
  const b = new Float64Array(n);
  b.set(a);
  return b;
}
export function growI32(a: Int32Array, n: number): Int32Array {
  const b = new Int32Array(n);
  b.set(a);
  return b;
}
