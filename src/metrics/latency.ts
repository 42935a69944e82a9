import { DDSketch } from '@datadog/sketches-js';

/** A DenseStore's exact state (bins, offset, key range): restoring it gives a sketch that behaves identically. */
export interface DenseStoreJSON {
  bins: (number | string)[];
  count: number | string;
  minKey: number | string;
  maxKey: number | string;
  offset: number;
  chunkSize: number;
}

/** A serialised LatencyStats (see `LatencyStats.toJSON`). */
export interface LatencyStatsJSON {
  count: number | string;
  sum: number | string;
  min: number | string;
  max: number | string;
  zeroCount: number | string;
  store: DenseStoreJSON;
  negativeStore: DenseStoreJSON;
}

/** JSON has no Infinity or NaN: non-finite numbers travel as strings. */
const enc = (x: number): number | string => (Number.isFinite(x) ? x : String(x));
const dec = (x: number | string): number => (typeof x === 'string' ? Number(x) : x);

type Store = DDSketch['store'];
function storeToJSON(s: Store): DenseStoreJSON {
  return { bins: s.bins.map(enc), count: enc(s.count), minKey: enc(s.minKey), maxKey: enc(s.maxKey), offset: s.offset, chunkSize: s.chunkSize };
}
function storeFromJSON(s: Store, j: DenseStoreJSON): void {
  s.bins = j.bins.map(dec);
  s.count = dec(j.count);
  s.minKey = dec(j.minKey);
  s.maxKey = dec(j.maxKey);
  s.offset = j.offset;
  s.chunkSize = j.chunkSize;
}

/** Relative accuracy of every latency sketch: quantiles are within 0.5% of the true value. */
export const SKETCH_RELATIVE_ACCURACY = 0.005;

export interface LatencySummary {
  p50: number | null;
  p90: number | null;
  p99: number | null;
  p999: number | null;
  mean: number | null;
  max: number | null;
}

export const LATENCY_KEYS = ['p50', 'p90', 'p99', 'p999', 'mean', 'max'] as const;

/**
 * A latency distribution in bounded memory: a DDSketch (relative-error, mergeable; its size
 * depends on the value range, not on the count) plus exact count, sum and max.
 */
export class LatencyStats {
  readonly sketch = new DDSketch({ relativeAccuracy: SKETCH_RELATIVE_ACCURACY });

  add(value_ms: number): void {
    this.sketch.accept(value_ms);
  }

  get count(): number {
    return this.sketch.count;
  }

  quantile(q: number): number | null {
    return this.sketch.count === 0 ? null : this.sketch.getValueAtQuantile(q);
  }

  merge(other: LatencyStats): void {
    if (other.sketch.count > 0) this.sketch.merge(other.sketch);
  }

  /**
   * The exact state of the sketch (every bin, the store layout, count, sum, min, max) as plain
   * JSON, for worker threads and shard files. `fromJSON` rebuilds a sketch that answers and merges
   * exactly like this one (DDSketch's own `toProto` drops min, max and sum).
   */
  toJSON(): LatencyStatsJSON {
    const s = this.sketch;
    return {
      count: enc(s.count),
      sum: enc(s.sum),
      min: enc(s.min),
      max: enc(s.max),
      zeroCount: enc(s.zeroCount),
      store: storeToJSON(s.store),
      negativeStore: storeToJSON(s.negativeStore),
    };
  }

  static fromJSON(j: LatencyStatsJSON): LatencyStats {
    const out = new LatencyStats();
    const s = out.sketch;
    storeFromJSON(s.store, j.store);
    storeFromJSON(s.negativeStore, j.negativeStore);
    s.count = dec(j.count);
    s.sum = dec(j.sum);
    s.min = dec(j.min);
    s.max = dec(j.max);
    s.zeroCount = dec(j.zeroCount);
    return out;
  }

  summary(): LatencySummary {
    const s = this.sketch;
    if (s.count === 0) return { p50: null, p90: null, p99: null, p999: null, mean: null, max: null };
    return {
      p50: s.getValueAtQuantile(0.5),
      p90: s.getValueAtQuantile(0.9),
      p99: s.getValueAtQuantile(0.99),
      p999: s.getValueAtQuantile(0.999),
      mean: s.sum / s.count,
      max: s.max,
    };
  }
}
