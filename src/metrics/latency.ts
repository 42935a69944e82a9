import { DDSketch } from '@datadog/sketches-js';
import { z } from 'zod';
import { nonNegNum } from '../util/zod-helpers.ts';

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
 * The sketch's index mapping (DDSketch's LogarithmicMapping, as its paper and the library define
 * it): gamma = (1 + a) / (1 - a) for relative accuracy a, key(v) = ceil(log_gamma(v)) =
 * ceil(log2(v) * ln 2 / ln gamma), no offset, for v above minPossible. Computed from the public
 * parameters, then checked against the library's public `key()` at load: a version that maps
 * differently fails here, at once, instead of filling sketches with wrong bins.
 */
const MAPPING = new DDSketch({ relativeAccuracy: SKETCH_RELATIVE_ACCURACY }).mapping;
// Evaluated in the library's order of operations, so the product is the same double as its own.
const KEY_MULT = (1 / Math.log1p((2 * SKETCH_RELATIVE_ACCURACY) / (1 - SKETCH_RELATIVE_ACCURACY))) * Math.log(2);
const KEY_OFFSET = 0;
const MIN_POSITIVE = MAPPING.minPossible;
for (const probe_ms of [MIN_POSITIVE * 1.5, 1e-3, 0.7, 1, 3.3, 1000, 86_400_000, 1e12]) {
  const key = Math.ceil(Math.log2(probe_ms) * KEY_MULT) + KEY_OFFSET;
  if (key !== MAPPING.key(probe_ms)) throw new Error(`@datadog/sketches-js maps ${probe_ms} to key ${MAPPING.key(probe_ms)}, not ${key}: its LogarithmicMapping changed; update LatencyStats`);
}
/**
 * The values that certainly map to key j: its bin (2^((j-1)/m), 2^(j/m)] for m = KEY_MULT,
 * narrowed by a relative 1e-9 on both sides, far beyond the error of log2 and pow (about 1e-16),
 * so that a value inside gets the key log2 would have given.
 */
const keyLowerBound = (key: number): number => Math.pow(2, (key - KEY_OFFSET - 1) / KEY_MULT) * (1 + 1e-9);
const keyUpperBound = (key: number): number => Math.pow(2, (key - KEY_OFFSET) / KEY_MULT) * (1 - 1e-9);

/**
 * Keys by table instead of log2 (9-15 ns a call on the development VM, about 5 by table): each
 * octave [2^e, 2^(e+1)) is cut into 2^KEY_TABLE_BITS equal parts, found from the value's exponent
 * and leading mantissa bits; a part that lies inside one key's narrowed bin (see keyLowerBound)
 * holds that key, one that straddles a bin edge (about 7% of them) holds KEY_UNKNOWN and its
 * values take the log2. So every value gets exactly the key log2 gives it. Octaves from 2^-20 to
 * 2^30 ms (1 ns to 12 days); values outside take the log2.
 */
const KEY_TABLE_BITS = 10;
const KEY_TABLE_MIN_EXP = -20;
const KEY_TABLE_OCTAVES = 50;
const KEY_UNKNOWN = -32768;
/** A double's bits: its high 32-bit word holds the sign, the exponent and the leading 20 mantissa bits. */
const valueBits = new Float64Array(1);
const valueWords = new Uint32Array(valueBits.buffer);
valueBits[0] = 1;
const HIGH_WORD = valueWords[1] === 0x3ff00000 ? 1 : 0;
/** (biased exponent, leading mantissa bits) of the table's first part, as the high word shifted right gives them */
const KEY_TABLE_BASE = (KEY_TABLE_MIN_EXP + 1023) << KEY_TABLE_BITS;
const KEY_TABLE = buildKeyTable();

function buildKeyTable(): Int16Array {
  const parts = 1 << KEY_TABLE_BITS;
  const table = new Int16Array(KEY_TABLE_OCTAVES * parts).fill(KEY_UNKNOWN);
  for (let octave = 0; octave < KEY_TABLE_OCTAVES; octave++) {
    const base = Math.pow(2, KEY_TABLE_MIN_EXP + octave);
    // the last double of a part is its end less one ulp of the octave
    const ulp = base * Number.EPSILON;
    for (let part = 0; part < parts; part++) {
      const first = base * (1 + part / parts), last = base * (1 + (part + 1) / parts) - ulp;
      const key = Math.ceil(Math.log2(first) * KEY_MULT) + KEY_OFFSET;
      if (key === Math.ceil(Math.log2(last) * KEY_MULT) + KEY_OFFSET && first > keyLowerBound(key) && last < keyUpperBound(key)) table[octave * parts + part] = key;
    }
  }
  return table;
}

/** The sketch key of value_ms (above MIN_POSITIVE): ceil(log2(value) * KEY_MULT) + KEY_OFFSET, by table where it can. */
function keyOf(value_ms: number): number {
  valueBits[0] = value_ms;
  const part = (valueWords[HIGH_WORD] >>> (20 - KEY_TABLE_BITS)) - KEY_TABLE_BASE;
  if (part >= 0 && part < KEY_TABLE.length) {
    const key = KEY_TABLE[part];
    if (key !== KEY_UNKNOWN) return key;
  }
  return Math.ceil(Math.log2(value_ms) * KEY_MULT) + KEY_OFFSET;
}
/** Exported for tests: the table's answer (or log2's) for any value above MIN_POSITIVE. */
export const sketchKeyOf = keyOf;

/** Widest key range counted before the library sees it: 16 KB, values spanning a factor of ~10^8. */
const MAX_PENDING_KEYS = 2048;

/**
 * A latency distribution in bounded memory: a DDSketch (relative-error, mergeable; its size
 * depends on the value range, not on the count) plus exact count, sum and max.
 *
 * Adds go to a small array of counts per sketch key first, and reach the library's sketch in one
 * pass whenever anything reads it: a full-fleet run adds tens of values per request, and the
 * library's add path (a store lookup per value) was a tenth of the run time. The keys are the
 * library's own, so the sketch ends up with exactly the bins it would have had.
 */
export class LatencyStats {
  private readonly sk = new DDSketch({ relativeAccuracy: SKETCH_RELATIVE_ACCURACY });
  /** Pending counts: pBins[i] counts key pLo + i. */
  private pBins: Float64Array | null = null;
  private pLo = 0;
  private pending = false;
  private pCount = 0;
  private pSum = 0;
  private pZero = 0;
  private pMin = Infinity;
  private pMax = -Infinity;
  /**
   * Remember runs of values in one bin (see `bracket`): worth it for a stream whose consecutive
   * values are close (a replica's inter-token gaps), a loss for one whose values are independent
   * draws (a fleet's per-request latencies: about one value in eight repeats its predecessor's bin,
   * so the two pows of a bracket cost more than the key lookups they save).
   */
  private readonly rememberRuns: boolean;
  constructor(options: { rememberRuns?: boolean } = {}) {
    this.rememberRuns = options.rememberRuns ?? false;
  }
  /** The key of the last value added; values strictly between lastLo and lastHi map to it (see `bracket`). */
  private lastKey = NaN;
  private lastLo = Infinity;
  private lastHi = -Infinity;

  /** The library sketch, with every value added so far. */
  get sketch(): DDSketch {
    if (this.pending) this.flush();
    return this.sk;
  }

  add(value_ms: number): void {
    this.addWeighted(value_ms, 1);
  }

  /** Adds value_ms with a weight (a count of identical values). */
  addWeighted(value_ms: number, weight: number): void {
    if (value_ms > MIN_POSITIVE) {
      let key: number;
      if (value_ms > this.lastLo && value_ms < this.lastHi) key = this.lastKey;
      else {
        key = keyOf(value_ms);
        // two values in a row in one bin: a run, whose bin is worth remembering (two pows)
        if (this.rememberRuns) {
          if (key === this.lastKey) this.bracket(key);
          else this.forget(key);
        }
      }
      const bins = this.pBins;
      const i = key - this.pLo;
      if (bins !== null && i >= 0 && i < bins.length) bins[i] += weight;
      else {
        const grown = this.binsFor(key);
        if (grown === null) {
          // far from the pending range (a rounding residue of 1e-13 ms, say): straight to the
          // library, without flushing the pending counts (a flush scans them all)
          this.sk.accept(value_ms, weight);
          return;
        }
        grown[key - this.pLo] += weight;
      }
    } else if (value_ms < -MIN_POSITIVE) {
      // negative values do not occur in latencies; let the library place them
      this.sk.accept(value_ms, weight);
      return;
    } else this.pZero += weight;
    this.pending = true;
    this.pCount += weight;
    this.pSum += value_ms * weight;
    if (value_ms < this.pMin) this.pMin = value_ms;
    if (value_ms > this.pMax) this.pMax = value_ms;
  }

  /**
   * Remembers the values that certainly map to key, the key of the last value: its narrowed bin
   * (see keyLowerBound). Consecutive values often share a bin (a replica's inter-token gaps grow
   * by microseconds per step), and two comparisons cost less than finding the key.
   */
  private bracket(key: number): void {
    this.lastLo = keyLowerBound(key);
    this.lastHi = keyUpperBound(key);
  }

  private forget(key: number): void {
    this.lastKey = key;
    this.lastLo = Infinity;
    this.lastHi = -Infinity;
  }

  /** The pending array, grown (or first made) to cover key; null if that would take more than MAX_PENDING_KEYS. */
  private binsFor(key: number): Float64Array | null {
    const old = this.pBins;
    if (old === null) {
      this.pBins = new Float64Array(128);
      this.pLo = key - 64;
      return this.pBins;
    }
    const lo = Math.min(this.pLo, key - 32), hi = Math.max(this.pLo + old.length, key + 33);
    if (hi - lo > MAX_PENDING_KEYS) return null;
    const bins = new Float64Array(Math.min(MAX_PENDING_KEYS, Math.max(2 * old.length, hi - lo)));
    bins.set(old, this.pLo - lo);
    this.pBins = bins;
    this.pLo = lo;
    return bins;
  }

  /** Moves the pending counts into the library sketch (its add path, once per non-empty key). */
  private flush(): void {
    const s = this.sk;
    const bins = this.pBins;
    if (bins !== null) {
      let first = 0, last = bins.length - 1;
      while (first <= last && bins[first] === 0) first++;
      while (last > first && bins[last] === 0) last--;
      if (first < bins.length) {
        // the two ends first: the store grows once to the whole range, not chunk by chunk
        this.moveBin(bins, last);
        this.moveBin(bins, first);
        for (let i = first + 1; i < last; i++) this.moveBin(bins, i);
      }
    }
    s.zeroCount += this.pZero;
    s.count += this.pCount;
    s.sum += this.pSum;
    if (this.pMin < s.min) s.min = this.pMin;
    if (this.pMax > s.max) s.max = this.pMax;
    this.pending = false;
    this.pCount = this.pSum = this.pZero = 0;
    this.pMin = Infinity;
    this.pMax = -Infinity;
  }

  private moveBin(bins: Float64Array, i: number): void {
    if (bins[i] > 0) {
      this.sk.store.add(this.pLo + i, bins[i]);
      bins[i] = 0;
    }
  }

  get count(): number {
    return this.sketch.count;
  }

  quantile(q: number): number | null {
    const s = this.sketch;
    return s.count === 0 ? null : s.getValueAtQuantile(q);
  }

  merge(other: LatencyStats): void {
    const o = other.sketch;
    if (o.count > 0) this.sketch.merge(o);
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

/** A number as `toJSON` writes it (`enc`): JSON has no Infinity or NaN, so those travel as strings. */
const isEncodedNumber = (x: unknown): x is number | string => typeof x === 'number' || x === 'Infinity' || x === '-Infinity' || x === 'NaN';
const EncodedNumberSchema = z.custom<number | string>(isEncodedNumber, { error: 'expected a number (or "Infinity", "-Infinity", "NaN")' });

/** The keys the sketch's mapping gives (about -71,000 to 71,000): a store beyond them is not one a sketch wrote. */
const KEY_MIN = MAPPING.key(MAPPING.minPossible);
const KEY_MAX = MAPPING.key(MAPPING.maxPossible);
const CHUNK_SIZE = new DDSketch({ relativeAccuracy: SKETCH_RELATIVE_ACCURACY }).store.chunkSize;

/**
 * A DenseStoreJSON read from a file (a shard's run): a store holding counts has its key range
 * inside its bins and inside the mapping's keys, as the library keeps it; merging one that does
 * not grew the bins by the distance between the ranges (an edited minKey of -1e12: an array
 * length out of range, an internal error).
 */
const DenseStoreJSONSchema = z
  .strictObject({
    // one loop, not a schema an element: a run's sketches hold millions of bins
    bins: z.custom<number[]>((bins) => Array.isArray(bins) && bins.every((n) => typeof n === 'number' && n >= 0), { error: 'expected a list of counts >= 0' }),
    count: nonNegNum(),
    minKey: EncodedNumberSchema,
    maxKey: EncodedNumberSchema,
    offset: z.int({ error: 'expected an integer' }),
    chunkSize: z.literal(CHUNK_SIZE),
  })
  .superRefine((j, ctx) => {
    if (j.count === 0) return;
    for (const key of ['minKey', 'maxKey'] as const) {
      const k = j[key];
      const inside = typeof k === 'number' && Number.isInteger(k) && KEY_MIN <= k && k <= KEY_MAX && j.offset <= k && k < j.offset + j.bins.length;
      if (!inside) ctx.addIssue({ code: 'custom', message: `expected an integer key from ${KEY_MIN} to ${KEY_MAX} inside the bins (offset ${j.offset}, ${j.bins.length} bins) in a store holding a count`, input: k, path: [key] });
    }
  });

/** A LatencyStatsJSON read from a file, before `fromJSON` rebuilds a sketch from it. */
export const LatencyStatsJSONSchema = z.strictObject({
  count: nonNegNum(),
  sum: EncodedNumberSchema,
  min: EncodedNumberSchema,
  max: EncodedNumberSchema,
  zeroCount: nonNegNum(),
  store: DenseStoreJSONSchema,
  negativeStore: DenseStoreJSONSchema,
});
