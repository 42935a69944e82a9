/**
 * Typed-array containers used by the GPU replica: a min-heap of (finish step, slot, epoch) and
 * a double-ended ring of slots. Both grow by doubling and allocate nothing per operation.
 */

/** A finish-heap entry: key (float64), slot and epoch (int32 each). */
const ENTRY_BYTES = 16;

/**
 * Min-heap keyed by a decode-step number, carrying (slot, epoch). Entries are never removed from
 * the middle: a preempted sequence bumps its slot's epoch and its stale entry is dropped when it
 * reaches the top (lazy deletion). Equal keys pop in no particular order; callers that need
 * determinism get it because the heap itself is deterministic.
 *
 * An entry is 16 bytes of one buffer, [key as float64, slot as int32, epoch as int32], seen through
 * two views: at fleet scale the heap is cold whenever its replica finishes a sequence, and the top
 * entry's three fields then cost one cache line (and the first levels of a pop share it), where
 * three parallel arrays cost a line and a typed-array object each.
 */
export class FinishHeap {
  /** keys[2 * i]: entry i's key */
  private keys: Float64Array;
  /** ints[4 * i + 2]: entry i's slot; ints[4 * i + 3]: its epoch */
  private ints: Int32Array;
  private capacity: number;
  size = 0;

  constructor(capacity = 64) {
    this.capacity = Math.max(4, capacity);
    const buf = new ArrayBuffer(ENTRY_BYTES * this.capacity);
    this.keys = new Float64Array(buf);
    this.ints = new Int32Array(buf);
  }

  /** Key of the top entry, or Infinity when empty. */
  topKey(): number {
    return this.size > 0 ? this.keys[0] : Infinity;
  }
  topSlot(): number {
    return this.ints[2];
  }
  topEpoch(): number {
    return this.ints[3];
  }

  push(k: number, s: number, e: number): void {
    if (this.size === this.capacity) this.grow();
    const keys = this.keys, ints = this.ints;
    let i = this.size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parentKey = keys[2 * p];
      if (parentKey <= k) break;
      keys[2 * i] = parentKey;
      ints[4 * i + 2] = ints[4 * p + 2];
      ints[4 * i + 3] = ints[4 * p + 3];
      i = p;
    }
    keys[2 * i] = k;
    ints[4 * i + 2] = s;
    ints[4 * i + 3] = e;
  }

  /** Removes the top entry (read it first with topKey/topSlot/topEpoch). */
  pop(): void {
    const keys = this.keys, ints = this.ints;
    const last = --this.size;
    if (last <= 0) return;
    const k = keys[2 * last], s = ints[4 * last + 2], e = ints[4 * last + 3];
    let i = 0;
    const half = last >> 1;
    while (i < half) {
      let c = 2 * i + 1;
      if (c + 1 < last && keys[2 * c + 2] < keys[2 * c]) c++;
      const childKey = keys[2 * c];
      if (k <= childKey) break;
      keys[2 * i] = childKey;
      ints[4 * i + 2] = ints[4 * c + 2];
      ints[4 * i + 3] = ints[4 * c + 3];
      i = c;
    }
    keys[2 * i] = k;
    ints[4 * i + 2] = s;
    ints[4 * i + 3] = e;
  }

  clear(): void {
    this.size = 0;
  }

  private grow(): void {
    const buf = new ArrayBuffer(2 * ENTRY_BYTES * this.capacity);
    new Uint8Array(buf).set(new Uint8Array(this.keys.buffer));
    this.capacity *= 2;
    this.keys = new Float64Array(buf);
    this.ints = new Int32Array(buf);
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
