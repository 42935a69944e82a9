import type { RouterPolicy, RouterTarget } from './target.ts';

/**
 * Fewest outstanding requests wins; ties go to the lowest index. An indexed binary min-heap over
 * the healthy targets, keyed by (outstanding as of the last notify, index): pick() is O(1),
 * notify(i) is O(log n). Nothing scans the fleet per request.
 */
export class LeastOutstanding implements RouterPolicy {
  readonly name = 'least_outstanding' as const;
  /** heap position -> target index */
  private readonly heap: Int32Array;
  /** target index -> heap position, -1 when not in the heap (unhealthy) */
  private readonly pos: Int32Array;
  /** target index -> key used for ordering */
  private readonly key: Float64Array;
  private n = 0;

  constructor(private readonly targets: readonly RouterTarget[]) {
    const m = targets.length;
    this.heap = new Int32Array(m);
    this.pos = new Int32Array(m).fill(-1);
    this.key = new Float64Array(m);
    for (let i = 0; i < m; i++) this.notify(i);
  }

  pick(): number {
    while (this.n > 0) {
      const i = this.heap[0];
      if (this.targets[i].healthy) return i;
      this.remove(i); // a missed notify: drop it now
    }
    return -1;
  }

  notify(i: number): void {
    const t = this.targets[i];
    const p = this.pos[i];
    if (!t.healthy) {
      if (p >= 0) this.remove(i);
      return;
    }
    const k = t.outstanding;
    if (p < 0) {
      this.key[i] = k;
      const q = this.n++;
      this.heap[q] = i;
      this.pos[i] = q;
      this.up(q);
      return;
    }
    const old = this.key[i];
    if (k === old) return;
    this.key[i] = k;
    if (k < old) this.up(p);
    else this.down(p);
  }

  private less(a: number, b: number): boolean {
    const ka = this.key[a], kb = this.key[b];
    return ka < kb || (ka === kb && a < b);
  }

  private remove(i: number): void {
    const p = this.pos[i];
    const last = this.heap[--this.n];
    this.pos[i] = -1;
    if (last === i) return;
    this.heap[p] = last;
    this.pos[last] = p;
    this.up(p);
    this.down(this.pos[last]);
  }

  private up(p: number): void {
    const heap = this.heap, pos = this.pos;
    const i = heap[p];
    while (p > 0) {
      const parent = (p - 1) >> 1;
      const j = heap[parent];
      if (!this.less(i, j)) break;
      heap[p] = j;
      pos[j] = p;
      p = parent;
    }
    heap[p] = i;
    pos[i] = p;
  }

  private down(p: number): void {
    const heap = this.heap, pos = this.pos, n = this.n;
    const i = heap[p];
    for (;;) {
      let c = 2 * p + 1;
      if (c >= n) break;
      if (c + 1 < n && this.less(heap[c + 1], heap[c])) c++;
      if (!this.less(heap[c], i)) break;
      heap[p] = heap[c];
      pos[heap[p]] = p;
      p = c;
    }
    heap[p] = i;
    pos[i] = p;
  }
}
