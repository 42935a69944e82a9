import { z } from 'zod';
import type { Rng } from '../engine/random.ts';
import { LatencyStats } from '../metrics/latency.ts';
import { emptyCounts, type Outcome, type RequestCounts } from '../metrics/outcomes.ts';
import { nameKey, nonNegInt, posNum, prob, strict } from '../util/zod-helpers.ts';
import { MAX_PRIORITY } from './gpu/priority.ts';
import { BatchBook, BatchSchema, hourOfDay, type BacklogDispatcher } from './batch.ts';

/**
 * Request classes (priority and SLO classes): interactive and batch traffic, paid and free tiers,
 * tenants. Each request is drawn into one class by share; its class's priority orders it in the
 * GPU replica's waiting queue and chooses whom preemption takes (vLLM's priority scheduling
 * policy, src/fleet/gpu/priority.ts); its class's SLO judges it for goodput. docs/priorities.md.
 */

/** Most classes a fleet may declare (priority levels are 0 .. MAX_PRIORITY). */
export const MAX_CLASSES = MAX_PRIORITY + 1;

const ClassSlo = strict({
  /** A request meets its TTFT target when its TTFT is at most this; the class's p99 is judged against it too. */
  ttft_p99_ms: posNum().optional(),
  /** Time per output token after the first, per request (its mean over the response). */
  tpot_p99_ms: posNum().optional(),
  /** A request meets its e2e target when it completes within this of being sent. */
  e2e_p99_ms: posNum().optional(),
});

const RequestClass = strict({
  /** Share of all requests in this class; the shares sum to 1. */
  share: prob(),
  /** 0 runs first (as vLLM's --scheduling-policy priority: a lower value is served first). */
  priority: nonNegInt().max(MAX_PRIORITY, { error: `expected an integer in 0..${MAX_PRIORITY} (0 runs first)` }).default(0),
  slo: ClassSlo.optional(),
  /** The tenant the class belongs to, for per-tenant results. */
  tenant: nameKey().optional(),
  /**
   * Weight in the gateway's weighted fair queueing: when the gateway's servers are the bottleneck,
   * waiting classes are served in proportion to their weights. Any class with a weight turns it on
   * (a class without one weighs 1); without weights the gateway is FCFS.
   */
  weight: posNum().max(1e6, { error: 'expected a weight of at most 1e6' }).optional(),
  /** A batch class (src/fleet/batch.ts): the lowest priority whatever `priority` says, no client timeout, a completion window, a discount. */
  batch: BatchSchema.optional(),
});

export const ClassesSchema = z
  .record(nameKey(), RequestClass)
  .refine((c) => Object.keys(c).length >= 1 && Object.keys(c).length <= MAX_CLASSES, { message: `expected 1 to ${MAX_CLASSES} classes` })
  .refine((c) => Math.abs(Object.values(c).reduce((a, k) => a + k.share, 0) - 1) < 1e-6, { message: 'expected class shares that sum to 1' })
  .refine((c) => Object.values(c).every((k) => !k.batch?.backlog || k.share === 0), { message: 'expected share 0 for a class with a batch backlog (its requests come from the backlog)' })
  .refine((c) => new Set(Object.values(c).flatMap((k) => (k.batch ? [k.batch.day_s] : []))).size <= 1, { message: 'expected one batch.day_s for every batch class (one day clock)' });

export type ClassesSpec = z.infer<typeof ClassesSchema>;

/** One class's measurements (requests that arrived after warm-up). */
export class ClassMetrics {
  readonly counts: RequestCounts = emptyCounts();
  readonly ttft = new LatencyStats();
  readonly tpot = new LatencyStats();
  readonly e2e = new LatencyStats();
  /** Counted requests completed meeting every target of the class's SLO: TTFT, TPOT, e2e (DistServe's SLO attainment). */
  good = 0;
  /** Requests completed inside the measured window, whenever they arrived, meeting every target (goodput). */
  good_in_window = 0;
  /** Prompt and output tokens of the class's finished attempts, by hour of the day clock (the bill and carbon by class). */
  readonly tokensByHour = new Float64Array(24);
}

/** The classes of a run: the draw, each class's priority and targets, and its measurements. */
export class RequestClasses {
  readonly names: string[];
  readonly priority: Int32Array;
  readonly ttftTarget_ms: Float64Array;
  readonly tpotTarget_ms: Float64Array;
  readonly e2eTarget_ms: Float64Array;
  readonly metrics: ClassMetrics[];
  /** 1 for a batch class. */
  readonly isBatch: Uint8Array;
  /** Each batch class's completion-window book (null for others), and its backlog's dispatcher if any. */
  readonly books: (BatchBook | null)[];
  readonly dispatchers: (BacklogDispatcher | null)[];
  /** Simulated seconds per day of the day clock (the batch classes' day_s, else 86400). */
  readonly day_s: number;
  /** The class the next drawn request takes (a batch dispatcher's submission); -1 draws by share. */
  forced = -1;
  private readonly cumShare: Float64Array;

  constructor(readonly spec: ClassesSpec, private readonly rng: Rng) {
    this.names = Object.keys(spec);
    const list = Object.values(spec);
    // a batch class runs below every other: it never preempts them
    this.priority = Int32Array.from(list, (c) => (c.batch ? MAX_PRIORITY : c.priority));
    this.isBatch = Uint8Array.from(list, (c) => (c.batch ? 1 : 0));
    this.books = list.map((c) => (c.batch ? new BatchBook(c.batch) : null));
    this.dispatchers = list.map(() => null);
    this.day_s = list.find((c) => c.batch)?.batch?.day_s ?? 86400;
    this.ttftTarget_ms = Float64Array.from(list, (c) => c.slo?.ttft_p99_ms ?? Infinity);
    this.tpotTarget_ms = Float64Array.from(list, (c) => c.slo?.tpot_p99_ms ?? Infinity);
    this.e2eTarget_ms = Float64Array.from(list, (c) => c.slo?.e2e_p99_ms ?? Infinity);
    this.metrics = list.map(() => new ClassMetrics());
    let acc = 0;
    this.cumShare = Float64Array.from(list, (c) => (acc += c.share));
  }

  /** A new request's class, by share (its own random stream: drawing it shifts no other draw). */
  draw(): number {
    if (this.forced >= 0) return this.forced;
    const u = this.rng();
    const cum = this.cumShare;
    for (let i = 0; i < cum.length - 1; i++) if (u < cum[i]) return i;
    return cum.length - 1;
  }

  /** A logical request of class cls arrived (counted ones only). */
  offered(cls: number): void {
    this.metrics[cls].counts.offered++;
  }

  /** A logical request of class cls ended (every one, warm-up ones too): its batch book or dispatcher. */
  ended(cls: number, outcome: Outcome, t_ms: number, arrival_ms: number): void {
    const dispatcher = this.dispatchers[cls];
    if (dispatcher !== null) return dispatcher.ended(outcome, t_ms);
    this.books[cls]?.ended(outcome, t_ms, arrival_ms);
  }

  /** A logical request of class cls arrived (every one): a batch class without a backlog is submitted one by one. */
  arrived(cls: number): void {
    const book = this.books[cls];
    if (book !== null && this.dispatchers[cls] === null) book.submitted++;
  }

  /** An attempt of class cls did GPU work on `tokens` prompt and output tokens, ending at t_ms. */
  addTokens(cls: number, tokens: number, t_ms: number): void {
    this.metrics[cls].tokensByHour[hourOfDay(t_ms, this.day_s)] += tokens;
  }

  /** A logical request of class cls ended (counted ones only); e2e_ms for completed ones. */
  resolved(cls: number, outcome: Outcome, e2e_ms: number): void {
    const m = this.metrics[cls];
    m.counts[outcome]++;
    if (outcome === 'completed') m.e2e.add(e2e_ms);
  }
}

/** Jain's fairness index of xs: (sum x)^2 / (n sum x^2), 1 when all are equal, 1/n when one takes all; 1 for none. */
export function jainIndex(xs: readonly number[]): number {
  let sum = 0, squares = 0;
  for (const x of xs) {
    sum += x;
    squares += x * x;
  }
  return squares > 0 ? (sum * sum) / (xs.length * squares) : 1;
}
