import { PENDING_LIMIT_MESSAGE, SLOT_BITS, growF64, growI32 } from './heap.ts';
import { LimitError } from '../errors.ts';

/**
 * Calendar queue of events (R. Brown, CACM 1988), ordered by (time, insertion sequence) exactly
 * as the binary heap (heap.ts) orders them, so a run pops the same events in the same order with
 * either; the full fleet's events are almost all a few milliseconds ahead of the clock, where a
 * heap of 7,000 pending events pays about 13 levels of unpredictable branches per event.
 *
 * Time is cut into buckets of `width_ms`; a ring of RING buckets covers the near future
 * [cur, cur + RING) in bucket numbers, each bucket an unordered list (a push is O(1)), and
 * events further ahead wait in a binary heap (`far`) until the ring reaches them. Bucket numbers
 * are floor((time - origin) / width), monotone in time, so bucket order is time order and the
 * earliest event is the least (time, seq) of the list at bucket `cur`, found by a scan. The width
 * adapts to the event density (wider when pops pass many empty buckets, narrower when they scan
 * long lists); a change rebuilds the queue and never alters the order. Cancellation marks the slot dead (skipped when it comes up);
 * a slot's generation makes a stale cancel token harmless.
 */
const DEAD = -1;
const NONE = -1;
const RING = 32768;
const RING_MASK = RING - 1;
/** Bucket numbers stay below this (the origin moves on): int32 arithmetic on them. */
const MAX_BUCKET = 2 ** 30;
/** Pops between looks at the width. */
const ADAPT_EVERY = 8192;

export class CalendarQueue {
  // slot -> event
  private times: Float64Array;
  private seq: Float64Array;
  private handlerOf: Int32Array;
  private payloadOf: Int32Array;
  private gen: Int32Array;
  /** Next slot in the same bucket's list. */
  private next: Int32Array;
  private freeSlots: Int32Array;
  private freeCount = 0;
  private nextSlot = 0;
  private nextSeq = 0;
  private liveCount = 0;
  readonly maxPending: number;

  // the ring: bucket index -> first slot of its list
  private readonly head = new Int32Array(RING).fill(NONE);
  /** The slot before findFirst's answer in its list (NONE: it is the head). */
  private firstPrev = NONE;
  private ringCount = 0;
  /** The bucket number of the ring's first bucket: every event in the ring has a bucket number in [cur, cur + RING). */
  private cur = 0;
  private origin_ms = 0;
  private width_ms: number;
  private perWidth: number;

  // events beyond the ring: a binary heap of slots by (time, seq)
  private far: Int32Array;
  private farCount = 0;
  /** 1 while a slot waits in the far heap; its cancelled events there are counted to compact it. */
  private inFar: Uint8Array;
  private farDead = 0;

  // adaptation counters since the last look
  private pops = 0;
  private scans = 0;
  private walks = 0;
  private pushes = 0;
  private farPushes = 0;

  constructor(initialCapacity = 1024, maxPending = SLOT_BITS, width_ms = 1) {
    const cap = Math.max(16, initialCapacity);
    this.maxPending = Math.min(maxPending, SLOT_BITS);
    this.times = new Float64Array(cap);
    this.seq = new Float64Array(cap);
    this.handlerOf = new Int32Array(cap);
    this.payloadOf = new Int32Array(cap);
    this.gen = new Int32Array(cap);
    this.next = new Int32Array(cap);
    this.freeSlots = new Int32Array(cap);
    this.far = new Int32Array(cap);
    this.inFar = new Uint8Array(cap);
    this.width_ms = width_ms;
    this.perWidth = 1 / width_ms;
  }

  /** Events scheduled and not yet run or cancelled. */
  get size(): number {
    return this.liveCount;
  }

  /** The last popped event (valid until the next pop). */
  time = 0;
  handler = 0;
  payload = 0;

  /** Schedules (time, handler, payload); returns a token for cancel(). */
  push(time: number, handler: number, payload: number): number {
    let slot: number;
    if (this.freeCount > 0) slot = this.freeSlots[--this.freeCount];
    else {
      if (this.nextSlot >= this.times.length) this.grow();
      slot = this.nextSlot++;
    }
    this.times[slot] = time;
    this.seq[slot] = this.nextSeq++;
    this.handlerOf[slot] = handler;
    this.payloadOf[slot] = payload;
    this.liveCount++;
    this.pushes++;
    this.place(slot);
    return this.gen[slot] * SLOT_BITS + slot;
  }

  /** Puts a slot in its bucket of the ring, or in the far heap. */
  private place(slot: number): void {
    const t = this.times[slot];
    // a push before the ring's first bucket (after a popUntil that stopped at its limit, or a
    // queue used without a clock): the ring restarts there
    if ((t - this.origin_ms) * this.perWidth < this.cur) this.rebuild(this.width_ms, t);
    const bucket = Math.floor((t - this.origin_ms) * this.perWidth);
    if (bucket < this.cur + RING) this.insertInRing(slot, bucket);
    else {
      this.farPushes++;
      this.farPush(slot);
    }
  }

  private insertInRing(slot: number, bucket: number): void {
    const i = bucket & RING_MASK;
    this.next[slot] = this.head[i];
    this.head[i] = slot;
    this.ringCount++;
  }

  /** a comes before b in (time, seq). */
  private before(a: number, b: number): boolean {
    const ta = this.times[a], tb = this.times[b];
    return ta < tb || (ta === tb && this.seq[a] < this.seq[b]);
  }

  /** Cancels a scheduled event; a token of an event that already ran is ignored. Returns true if cancelled. */
  cancel(token: number): boolean {
    const slot = token % SLOT_BITS;
    const gen = (token - slot) / SLOT_BITS;
    if (slot >= this.nextSlot || this.gen[slot] !== gen || this.handlerOf[slot] === DEAD) return false;
    this.handlerOf[slot] = DEAD;
    this.liveCount--;
    // cancelled events far ahead (a GPU replica's long decode stretches, cut by arrivals) would
    // pile up in the far heap until their time: past half of it, it is rebuilt without them
    if (this.inFar[slot] === 1 && ++this.farDead > 256 && 2 * this.farDead > this.farCount) this.compactFar();
    return true;
  }

  /** Time of the earliest live event, or Infinity. */
  peekTime(): number {
    const slot = this.findFirst(Infinity);
    return slot === NONE ? Infinity : this.times[slot];
  }

  pop(): boolean {
    return this.popUntil(Infinity);
  }

  /**
   * Removes the earliest live event if its time is at most `limit`: it is then readable through
   * `time`, `handler`, `payload`. Returns false (the queue untouched but for dead events
   * dropped) when the queue is empty or its earliest event is later.
   */
  popUntil(limit: number): boolean {
    const slot = this.findFirst(limit);
    if (slot === NONE || this.times[slot] > limit) return false;
    this.unlink(slot, this.firstPrev);
    this.time = this.times[slot];
    this.handler = this.handlerOf[slot];
    this.payload = this.payloadOf[slot];
    this.release(slot);
    this.liveCount--;
    if (++this.pops >= ADAPT_EVERY) this.adapt();
    return true;
  }

  /**
   * The earliest live event, the least of bucket `cur` (dead events are dropped on the way; its
   * predecessor is left in firstPrev), or NONE when there is none at or before `limit`. The ring
   * does not move past `limit`'s bucket, so a push at the clock (which then reads `limit`) is
   * never before it. Bucket numbers are monotone in time: an event in a later bucket than
   * limit's is later than limit.
   */
  private findFirst(limit: number): number {
    for (;;) {
      if (this.ringCount === 0) {
        if (this.farCount === 0) return NONE;
        const first = this.times[this.far[0]];
        if (first > limit) return NONE;
        this.jumpTo(first);
        continue;
      }
      const found = this.leastOfBucket();
      if (found !== NONE) return found;
      if (this.cur >= (limit - this.origin_ms) * this.perWidth) return NONE;
      this.advance();
    }
  }

  /** The least live (time, seq) in bucket `cur`, its predecessor in firstPrev; dead ones are dropped. */
  private leastOfBucket(): number {
    const times = this.times, next = this.next;
    let best = NONE, bestPrev = NONE, prev = NONE;
    let at = this.head[this.cur & RING_MASK];
    while (at !== NONE) {
      const after = next[at];
      this.walks++;
      if (this.handlerOf[at] === DEAD) {
        this.unlink(at, prev);
        this.release(at);
      } else {
        if (best === NONE || times[at] < times[best] || (times[at] === times[best] && this.seq[at] < this.seq[best])) {
          best = at;
          bestPrev = prev;
        }
        prev = at;
      }
      at = after;
    }
    this.firstPrev = bestPrev;
    return best;
  }

  /** Takes slot out of bucket `cur`'s list, prev its predecessor (NONE: the head). */
  private unlink(slot: number, prev: number): void {
    if (prev === NONE) this.head[this.cur & RING_MASK] = this.next[slot];
    else this.next[prev] = this.next[slot];
    this.ringCount--;
  }

  /** The ring moves one bucket on; far events that enter it move in. */
  private advance(): void {
    this.cur++;
    this.scans++;
    if (this.cur >= MAX_BUCKET) return this.rebuild(this.width_ms);
    this.pullFar();
  }

  /** Moves far events whose bucket is now inside the ring into it. */
  private pullFar(): void {
    const limit = this.cur + RING;
    while (this.farCount > 0) {
      const slot = this.far[0];
      const bucket = Math.floor((this.times[slot] - this.origin_ms) * this.perWidth);
      if (bucket >= limit) return;
      this.farPop();
      if (this.handlerOf[slot] === DEAD) this.release(slot);
      else this.insertInRing(slot, bucket);
    }
  }

  /** The ring is empty: it restarts at the bucket of time t (the far heap's earliest). */
  private jumpTo(t: number): void {
    this.origin_ms = t;
    this.cur = 0;
    this.pullFar();
  }

  /** Every few thousand pops: wider buckets if pops scan empty ones, narrower if pushes walk long lists or the ring is too short. */
  private adapt(): void {
    const pops = this.pops, scans = this.scans, walks = this.walks, pushes = this.pushes, far = this.farPushes;
    this.pops = this.scans = this.walks = this.pushes = this.farPushes = 0;
    // narrowing needs few scans, which widening brings: no flip-flop
    if (scans > 2 * pops || far > pushes / 4) {
      // as many times wider as empty buckets were passed per pop (a power of two), at least twice
      const factor = 2 ** Math.min(10, Math.max(1, Math.ceil(Math.log2(scans / pops))));
      this.rebuild(this.width_ms * factor);
    } else if (walks > 3 * pops && 2 * scans < pops) this.rebuild(this.width_ms / 2);
  }

  /**
   * Puts every live event back with a new width, the ring starting at the last popped time (no
   * push comes before it) or at `from_ms` or the earliest event if before: the order of (time,
   * seq) is unchanged.
   */
  private rebuild(width_ms: number, from_ms = Infinity): void {
    const live: number[] = [];
    for (let i = 0; i < RING; i++) {
      for (let s = this.head[i]; s !== NONE; s = this.next[s]) live.push(s);
      this.head[i] = NONE;
    }
    for (let k = 0; k < this.farCount; k++) {
      live.push(this.far[k]);
      this.inFar[this.far[k]] = 0;
    }
    this.farCount = 0;
    this.farDead = 0;
    this.ringCount = 0;
    let earliest = Infinity;
    const kept: number[] = [];
    for (const s of live) {
      if (this.handlerOf[s] === DEAD) this.release(s);
      else {
        kept.push(s);
        if (this.times[s] < earliest) earliest = this.times[s];
      }
    }
    this.width_ms = width_ms;
    this.perWidth = 1 / width_ms;
    this.origin_ms = Math.min(from_ms, earliest, this.time);
    this.cur = 0;
    for (const s of kept) {
      const bucket = Math.floor((this.times[s] - this.origin_ms) * this.perWidth);
      if (bucket < RING) this.insertInRing(s, bucket);
      else this.farPush(s);
    }
  }

  private release(slot: number): void {
    this.handlerOf[slot] = DEAD;
    this.gen[slot] = (this.gen[slot] + 1) & 0x3ffffff;
    this.freeSlots[this.freeCount++] = slot;
  }

  /** Drops the far heap's cancelled events and restores the heap order (Floyd's construction). */
  private compactFar(): void {
    const far = this.far;
    let n = 0;
    for (let k = 0; k < this.farCount; k++) {
      const slot = far[k];
      if (this.handlerOf[slot] === DEAD) {
        this.inFar[slot] = 0;
        this.release(slot);
      } else far[n++] = slot;
    }
    this.farCount = n;
    this.farDead = 0;
    for (let i = (n >> 1) - 1; i >= 0; i--) this.siftDown(i, far[i]);
  }

  private farPush(slot: number): void {
    this.inFar[slot] = 1;
    const far = this.far;
    let i = this.farCount++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(slot, far[p])) break;
      far[i] = far[p];
      i = p;
    }
    far[i] = slot;
  }

  private farPop(): number {
    const far = this.far;
    const top = far[0];
    this.inFar[top] = 0;
    if (this.handlerOf[top] === DEAD) this.farDead--;
    const last = far[--this.farCount];
    if (this.farCount > 0) this.siftDown(0, last);
    return top;
  }

  /** Places slot at position i of the far heap and sifts it down. */
  private siftDown(i: number, slot: number): void {
    const far = this.far, n = this.farCount;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && this.before(far[c + 1], far[c])) c++;
      if (!this.before(far[c], slot)) break;
      far[i] = far[c];
      i = c;
    }
    far[i] = slot;
  }

  private grow(): void {
    const cap = this.times.length;
    if (cap >= this.maxPending) throw new LimitError(PENDING_LIMIT_MESSAGE(this.maxPending));
    const size = Math.min(cap * 2, this.maxPending);
    this.times = growF64(this.times, size);
    this.seq = growF64(this.seq, size);
    this.handlerOf = growI32(this.handlerOf, size);
    this.payloadOf = growI32(this.payloadOf, size);
    this.gen = growI32(this.gen, size);
    this.next = growI32(this.next, size);
    this.freeSlots = growI32(this.freeSlots, size);
    this.far = growI32(this.far, size);
    const inFar = new Uint8Array(size);
    inFar.set(this.inFar);
    this.inFar = inFar;
  }
}
