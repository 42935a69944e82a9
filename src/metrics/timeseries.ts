import { z } from 'zod';
import { LatencyStats, LatencyStatsJSONSchema, type LatencyStatsJSON } from './latency.ts';
import { nonNegNum, posNum } from '../util/zod-helpers.ts';
import { MAX_WINDOW_S } from '../util/limits.ts';

/** One serialised field of a TimeSeries. */
type FieldJSON =
  | { typed: string; values: (number | string)[] }
  | { sketches: LatencyStatsJSON[] }
  | { sketch: LatencyStatsJSON }
  | { num: number | string }
  | { value: string | boolean | null };

/** A serialised TimeSeries (see `TimeSeries.toJSON`). */
export interface TimeSeriesJSON {
  fields: Record<string, FieldJSON>;
}

/**
 * Counters, one a window (or one a window and tracked model), as `toJSON` writes a Float64Array:
 * counts of requests and tokens, whole numbers >= 0. A run file edited to hold NaN, -5 or 1e308
 * was merged into the point's series without a word.
 */
const isCount = (x: unknown): boolean => Number.isSafeInteger(x) && (x as number) >= 0;
const CountsJSONSchema = z.strictObject({
  typed: z.literal('Float64Array'),
  // one loop, not a schema an element: a series holds millions
  values: z.custom<unknown[]>(Array.isArray, { error: 'expected a list of counts' }).superRefine((xs, ctx) => {
    const i = xs.findIndex((x) => !isCount(x));
    if (i >= 0) ctx.addIssue({ code: 'custom', message: 'expected a count (a whole number >= 0)', input: xs[i], path: [i] });
  }),
});

const SketchesJSONSchema = z.strictObject({ sketches: z.array(LatencyStatsJSONSchema) });

/**
 * A TimeSeriesJSON read from a file (a shard's run), before `fromJSON` rebuilds a series from it:
 * every field `toJSON` writes, of its kind, one entry a window as long as `arrivals` (the prefix
 * counters one a window and tracked model), and no other (`fromJSON` sets each field it finds on
 * the series: a `merge` field would have replaced the method). A series edited by hand failed in
 * `merge` or `rows` with internal errors.
 */
export const TimeSeriesJSONSchema = z
  .strictObject({
    fields: z.strictObject({
      window_ms: z.strictObject({ num: posNum().max(MAX_WINDOW_S * 1000) }),
      warmup_ms: z.strictObject({ num: nonNegNum() }),
      arrivals: CountsJSONSchema,
      completions: CountsJSONSchema,
      errors: CountsJSONSchema,
      rejections: CountsJSONSchema,
      retries: CountsJSONSchema,
      queued: CountsJSONSchema,
      inFlight: CountsJSONSchema,
      latency: SketchesJSONSchema,
      ttft: SketchesJSONSchema,
      prefixModels: z.strictObject({ value: z.string() }),
      prefixCached: CountsJSONSchema,
      prefixBrought: CountsJSONSchema,
    }),
  })
  .superRefine(({ fields: f }, ctx) => {
    const windows = f.arrivals.values.length;
    if (windows === 0) {
      ctx.addIssue({ code: 'custom', message: 'expected at least one entry (one a window)', input: f.arrivals.values, path: ['fields', 'arrivals'] });
      return;
    }
    const models = f.prefixModels.value === '' ? 0 : f.prefixModels.value.split('\n').length;
    const perWindow = (length: number): [number, number, string] => [length, windows, 'one a window, as fields.arrivals'];
    const lengths: Record<string, [number, number, string]> = {
      completions: perWindow(f.completions.values.length),
      errors: perWindow(f.errors.values.length),
      rejections: perWindow(f.rejections.values.length),
      retries: perWindow(f.retries.values.length),
      queued: perWindow(f.queued.values.length),
      inFlight: perWindow(f.inFlight.values.length),
      latency: perWindow(f.latency.sketches.length),
      ttft: perWindow(f.ttft.sketches.length),
      prefixCached: [f.prefixCached.values.length, windows * models, 'one a window and model of fields.prefixModels'],
      prefixBrought: [f.prefixBrought.values.length, windows * models, 'one a window and model of fields.prefixModels'],
    };
    for (const [field, [length, expected, why]] of Object.entries(lengths)) {
      if (length !== expected) ctx.addIssue({ code: 'custom', message: `expected ${expected} entries (${why})`, input: length, path: ['fields', field] });
    }
  });

const TYPED: Record<string, new (xs: number[]) => ArrayLike<number>> = { Float64Array, Float32Array, Int32Array, Uint32Array, Int16Array, Uint16Array, Int8Array, Uint8Array };
const encNum = (x: number): number | string => (Number.isFinite(x) ? x : String(x));
const decNum = (x: number | string): number => (typeof x === 'string' ? Number(x) : x);

/** One window's counters; latency sketches are per window, so memory grows with windows only. */
export interface WindowRow {
  t_start_s: number;
  warmup: boolean;
  arrivals: number;
  completions: number;
  /** Failed and timed-out requests (rejections are counted apart). */
  errors: number;
  rejections: number;
  /** Client retries sent in the window. */
  retries: number;
  e2e_p50_ms: number | null;
  e2e_p99_ms: number | null;
  ttft_p50_ms: number | null;
  ttft_p99_ms: number | null;
  /** Requests waiting in queues (tiers and GPU replicas) at the end of the window. */
  queued: number;
  /** Requests arrived and not yet completed, failed or rejected at the end of the window (the client's view). */
  in_flight: number;
  /** Per model with prefix caching: cached prompt tokens / prompt tokens brought into the KV cache in the window (null: none). */
  prefix_hit_rate?: Record<string, number | null>;
}

/** Counters and latency quantiles per fixed window of simulated time. */
export class TimeSeries {
  private arrivals: Float64Array;
  private completions: Float64Array;
  private errors: Float64Array;
  private rejections: Float64Array;
  private retries: Float64Array;
  private queued: Float64Array;
  private inFlight: Float64Array;
  private latency: LatencyStats[] = [];
  private ttft: LatencyStats[] = [];
  /** Models whose prefix caches are sampled, joined by newlines ('' for none; see trackPrefixModels). */
  private prefixModels = '';
  /** Cached and brought prompt tokens in each window, [window x models + model]. */
  private prefixCached = new Float64Array(0);
  private prefixBrought = new Float64Array(0);

  constructor(
    private readonly window_ms: number,
    duration_ms: number,
    private readonly warmup_ms: number,
  ) {
    const n = Math.max(1, Math.ceil(duration_ms / window_ms));
    this.arrivals = new Float64Array(n);
    this.completions = new Float64Array(n);
    this.errors = new Float64Array(n);
    this.rejections = new Float64Array(n);
    this.retries = new Float64Array(n);
    this.queued = new Float64Array(n);
    this.inFlight = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      this.latency.push(new LatencyStats());
      this.ttft.push(new LatencyStats());
    }
  }

  /** Windows in the series. */
  get windows(): number {
    return this.arrivals.length;
  }

  get windowMs(): number {
    return this.window_ms;
  }

  private index(t_ms: number): number {
    const i = Math.floor(t_ms / this.window_ms);
    return i < this.arrivals.length ? i : this.arrivals.length - 1;
  }

  arrival(t_ms: number): void {
    this.arrivals[this.index(t_ms)]++;
  }

  completion(t_ms: number, e2e_ms: number): void {
    const i = this.index(t_ms);
    this.completions[i]++;
    this.latency[i].add(e2e_ms);
  }

  error(t_ms: number, rejected = false): void {
    if (rejected) this.rejections[this.index(t_ms)]++;
    else this.errors[this.index(t_ms)]++;
  }

  retry(t_ms: number): void {
    this.retries[this.index(t_ms)]++;
  }

  firstToken(t_ms: number, ttft_ms: number): void {
    this.ttft[this.index(t_ms)].add(ttft_ms);
  }

  /** Queue depth and requests in flight sampled at the end of window i. */
  sampleQueue(i: number, depth: number, inFlight: number): void {
    if (i < this.queued.length) {
      this.queued[i] = depth;
      this.inFlight[i] = inFlight;
    }
  }

  /** Samples the prefix caches of these models at each window's end (samplePrefix). */
  trackPrefixModels(names: readonly string[]): void {
    this.prefixModels = names.join('\n');
    this.prefixCached = new Float64Array(this.windows * names.length);
    this.prefixBrought = new Float64Array(this.windows * names.length);
  }

  /** Model m's cached and brought prompt tokens in window i (every replica). */
  samplePrefix(i: number, m: number, cached: number, brought: number): void {
    const models = this.prefixCached.length / this.windows;
    if (i >= this.windows || m >= models) return;
    this.prefixCached[i * models + m] = cached;
    this.prefixBrought[i * models + m] = brought;
  }

  /** Per tracked model, its hit rate in window i. */
  private prefixRow(i: number): Record<string, number | null> | undefined {
    if (this.prefixModels === '') return undefined;
    const names = this.prefixModels.split('\n');
    const models = names.length;
    const row: Record<string, number | null> = {};
    names.forEach((name, m) => {
      const brought = this.prefixBrought[i * models + m];
      row[name] = brought > 0 ? this.prefixCached[i * models + m] / brought : null;
    });
    return row;
  }

  /** Adds another run's windows (same window and duration) into this one. */
  merge(other: TimeSeries): void {
    const n = Math.min(this.arrivals.length, other.arrivals.length);
    for (let i = 0; i < n; i++) {
      this.arrivals[i] += other.arrivals[i];
      this.completions[i] += other.completions[i];
      this.errors[i] += other.errors[i];
      this.rejections[i] += other.rejections[i];
      this.retries[i] += other.retries[i];
      this.queued[i] += other.queued[i];
      this.inFlight[i] += other.inFlight[i];
      this.latency[i].merge(other.latency[i]);
      this.ttft[i].merge(other.ttft[i]);
    }
    if (this.prefixModels !== '' && other.prefixModels === this.prefixModels) {
      for (let k = 0; k < this.prefixCached.length; k++) (this.prefixCached[k] += other.prefixCached[k]), (this.prefixBrought[k] += other.prefixBrought[k]);
    }
  }

  /**
   * Every field of the series (counters and per-window sketches) as plain JSON, exactly: merging
   * series rebuilt with `fromJSON` gives the same rows as merging the originals. Fields are found
   * by reflection, so a counter added to this class later travels too.
   */
  toJSON(): TimeSeriesJSON {
    const fields: Record<string, FieldJSON> = {};
    for (const [k, v] of Object.entries(this) as [string, unknown][]) {
      if (ArrayBuffer.isView(v) && !(v instanceof DataView) && TYPED[v.constructor.name]) {
        fields[k] = { typed: v.constructor.name, values: Array.from(v as unknown as ArrayLike<number>, encNum) };
      } else if (Array.isArray(v) && v.every((x) => x instanceof LatencyStats)) {
        fields[k] = { sketches: (v as LatencyStats[]).map((x) => x.toJSON()) };
      } else if (v instanceof LatencyStats) {
        fields[k] = { sketch: v.toJSON() };
      } else if (typeof v === 'number') {
        fields[k] = { num: encNum(v) };
      } else if (typeof v === 'string' || typeof v === 'boolean' || v === null) {
        fields[k] = { value: v };
      } else {
        throw new Error(`TimeSeries.toJSON: field "${k}" has no serialisation`);
      }
    }
    return { fields };
  }

  static fromJSON(j: TimeSeriesJSON): TimeSeries {
    const out = Object.create(TimeSeries.prototype) as Record<string, unknown>;
    for (const [k, f] of Object.entries(j.fields)) {
      if ('typed' in f) out[k] = new TYPED[f.typed](f.values.map(decNum));
      else if ('sketches' in f) out[k] = f.sketches.map((x) => LatencyStats.fromJSON(x));
      else if ('sketch' in f) out[k] = LatencyStats.fromJSON(f.sketch);
      else if ('num' in f) out[k] = decNum(f.num);
      else out[k] = f.value;
    }
    return out as unknown as TimeSeries;
  }

  /** Rows with counts divided by `runs` (the mean per replication) and pooled quantiles. */
  rows(runs = 1): WindowRow[] {
    const out: WindowRow[] = [];
    for (let i = 0; i < this.arrivals.length; i++) {
      const start_ms = i * this.window_ms;
      out.push({
        t_start_s: start_ms / 1000,
        warmup: start_ms < this.warmup_ms,
        arrivals: this.arrivals[i] / runs,
        completions: this.completions[i] / runs,
        errors: this.errors[i] / runs,
        rejections: this.rejections[i] / runs,
        retries: this.retries[i] / runs,
        e2e_p50_ms: this.latency[i].quantile(0.5),
        e2e_p99_ms: this.latency[i].quantile(0.99),
        ttft_p50_ms: this.ttft[i].quantile(0.5),
        ttft_p99_ms: this.ttft[i].quantile(0.99),
        queued: this.queued[i] / runs,
        in_flight: this.inFlight[i] / runs,
      });
      const prefix = this.prefixRow(i);
      if (prefix) out[i].prefix_hit_rate = prefix;
    }
    return out;
  }
}
