import { LimitError } from '../errors.ts';
/** A record field: a float64 or an int32. */
export type FieldType = 'f64' | 'i32';

/**
 * Offsets of a record's fields, declared once in order: each field sits at the next multiple of
 * its own size (8 bytes for f64, 4 for i32), and its offset is given in units of its type: an
 * index into `f` (f64) or `i` (i32) of a record starting at index 0. Throws if the fields do not
 * fit in recordBytes (a multiple of 8). The order is the layout: fields read together go together
 * (a cache line is 64 bytes).
 */
export function recordLayout<F extends string>(recordBytes: number, fields: Readonly<Record<F, FieldType>>): Readonly<Record<F, number>> {
  if (!(Number.isInteger(recordBytes) && recordBytes > 0 && recordBytes % 8 === 0)) throw new RangeError(`record size ${recordBytes}: expected a positive multiple of 8 bytes`);
  const offsets = {} as Record<F, number>;
  let byte = 0;
  for (const name of Object.keys(fields) as F[]) {
    const size = fields[name] === 'f64' ? 8 : 4;
    byte = Math.ceil(byte / size) * size;
    offsets[name] = byte / size;
    byte += size;
  }
  if (byte > recordBytes) throw new RangeError(`record fields take ${byte} bytes, more than the record's ${recordBytes}`);
  return Object.freeze(offsets);
}

/**
 * Fixed-size records in one buffer, recycled through a free list (last freed, first reused: the
 * record is likely still in cache), so memory follows the number of records in use. Subclasses
 * name the fields: a record of R bytes is R/8 float64 slots in `f` and R/4 int32 slots in `i`,
 * over the same bytes.
 */
export class RecordPool {
  private buf = new ArrayBuffer(0);
  protected f = new Float64Array(this.buf);
  protected i = new Int32Array(this.buf);
  private free = new Int32Array(0);
  private freeCount = 0;
  private next = 0;
  private capacity = 0;

  constructor(
    private readonly recordBytes: number,
    initial: number,
    private readonly max: number,
    private readonly what: string,
  ) {
    this.resize(initial);
  }

  alloc(): number {
    let id: number;
    if (this.freeCount > 0) id = this.free[--this.freeCount];
    else {
      if (this.next >= this.capacity) this.resize(this.capacity * 2);
      id = this.next++;
    }
    return id;
  }

  release(id: number): void {
    this.free[this.freeCount++] = id;
  }

  /** Calls fn with every record allocated and not released, in id order (once, at the end of a run: O(records)). */
  forEachInUse(fn: (id: number) => void): void {
    const released = new Uint8Array(this.next);
    for (let i = 0; i < this.freeCount; i++) released[this.free[i]] = 1;
    for (let id = 0; id < this.next; id++) if (released[id] === 0) fn(id);
  }

  /** Records allocated and not released (a leak check for tests). */
  get inUse(): number {
    return this.next - this.freeCount;
  }

  private resize(n: number): void {
    if (n > this.max) throw new LimitError(`the run stopped: more than ${this.max.toLocaleString('en-US')} ${this.what} in flight (an overloaded tier, or limits.max_queue above what memory holds); nothing written`);
    const buf = new ArrayBuffer(this.recordBytes * n);
    new Uint8Array(buf).set(new Uint8Array(this.buf));
    this.buf = buf;
    this.f = new Float64Array(buf);
    this.i = new Int32Array(buf);
    const free = new Int32Array(n);
    free.set(this.free);
    this.free = free;
    this.capacity = n;
  }
}
