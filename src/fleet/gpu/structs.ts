/**
 * Typed-array containers used by the GPU replica: a min-heap of (finish step, slot, epoch) and
 * a double-ended ring of slots. Both grow by doubling and allocate nothing per operation.
 */

/**
 * Min-heap keyed by a decode-step number, carrying (slot, epoch). Entries are never removed from
 * the middle: a preempted sequence bumps its slot's epoch and its stale entry is dropped when it
 * reaches the top (lazy deletion). Equal keys pop in no particular order; callers that need
 * determinism get it because the heap itself is deterministic.
 */
export class FinishHeap {
  private key: Float64Array;
  private slot: Int32Array;
  private epoch: Int32Array;
  size = 0;

  constructor(capacity = 64) {
    const c = Math.max(4, capacity);
    this.key = new Float64Array(c);
    this.slot = new Int32Array(c);
    this.epoch = new Int32Array(c);
  }

  /** Key of the top entry, or Infinity when empty. */
  topKey(): number {
    return this.size > 0 ? this.key[0] : Infinity;
  }
  topSlot(): number {
    return this.slot[0];
  }
  topEpoch(): number {
    return this.epoch[0];
  }

  push(k: number, s: number, e: number): void {
    if (this.size === this.key.length) this.grow();
    const key = this.key, slot = this.slot, epoch = this.epoch;
    let i = this.size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (key[p] <= k) break;
      key[i] = key[p];
      slot[i] = slot[p];
      epoch[i] = epoch[p];
      i = p;
    }
    key[i] = k;
    slot[i] = s;
    epoch[i] = e;
  }

  /** Removes the top entry (read it first with topKey/topSlot/topEpoch). */
  pop(): void {
    const key = this.key, slot = this.slot, epoch = this.epoch;
    const last = --this.size;
    if (last <= 0) return;
    const k = key[last], s = slot[last], e = epoch[last];
    let i = 0;
    const half = last >> 1;
    while (i < half) {
      let c = 2 * i + 1;
      if (c + 1 < last && key[c + 1] < key[c]) c++;
      if (k <= key[c]) break;
      key[i] = key[c];
      slot[i] = slot[c];
      epoch[i] = epoch[c];
      i = c;
    }
    key[i] = k;
    slot[i] = s;
    epoch[i] = e;
  }

  clear(): void {
    this.size = 0;
  }

  private grow(): void {
    const n = this.key.length * 2;
    const k = new Float64Array(n), s = new Int32Array(n), e = new Int32Array(n);
    k.set(this.key);
    s.set(this.slot);
    e.set(this.epoch);
    this.key = k;
    this.slot = s;
    this.epoch = e;
  }
}

/** A double-ended FIFO of slot numbers over a power-of-two ring. */
export class SlotDeque {
  private ring: Int32Array;
  private mask: number;
  private head = 0;
  length = 0;

  constructor(capacity = 64) {
    let c = 16;
    while (c < capacity) c *= 2;
    this.ring = new Int32Array(c);
    this.mask = c - 1;
  }

  peekFront(): number {
    return this.ring[this.head];
  }

  /** i-th element from the front (0 = front); for iteration in tests and fail(). */
  at(i: number): number {
    return this.ring[(this.head + i) & this.mask];
  }

  pushBack(s: number): void {
    if (this.length === this.ring.length) this.grow();
    this.ring[(this.head + this.length) & this.mask] = s;
    this.length++;
  }

  pushFront(s: number): void {
    if (this.length === this.ring.length) this.grow();
    this.head = (this.head - 1) & this.mask;
    this.ring[this.head] = s;
    this.length++;
  }

  popFront(): number {
    const s = this.ring[this.head];
    this.head = (this.head + 1) & this.mask;
    this.length--;
    return s;
  }

  clear(): void {
    this.head = 0;
    this.length = 0;
  }

  /** Removes s wherever it is (O(length): a cancelled request leaving the queue); false if absent. */
  remove(s: number): boolean {
    for (let i = 0; i < this.length; i++) {
      if (this.ring[(this.head + i) & this.mask] !== s) continue;
      for (let j = i; j < this.length - 1; j++) this.ring[(this.head + j) & this.mask] = this.ring[(this.head + j + 1) & this.mask];
      this.length--;
      return true;
    }
    return false;
  }

  private grow(): void {
    const n = this.ring.length * 2;
    const r = new Int32Array(n);
    for (let i = 0; i < this.length; i++) r[i] = this.ring[(this.head + i) & this.mask];
    this.ring = r;
    this.mask = n - 1;
    this.head = 0;
  }
}
