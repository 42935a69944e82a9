import { z } from 'zod';
import type { Rng } from '../engine/random.ts';
import { LatencyStats } from '../metrics/latency.ts';
import { emptyCounts, type Outcome, type RequestCounts } from '../metrics/outcomes.ts';
import { nameKey, nonNegInt, posNum, prob, strict } from '../util/zod-helpers.ts';
import { MAX_PRIORITY } from './gpu/priority.ts';

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
});

export const ClassesSchema = z
  .record(nameKey(), RequestClass)
  .refine((c) => Object.keys(c).length >= 1 && Object.keys(c).length <= MAX_CLASSES, { message: `expected 1 to ${MAX_CLASSES} classes` })
  .refine((c) => Math.abs(Object.values(c).reduce((a, k) => a + k.share, 0) - 1) < 1e-6, { message: 'expected class shares that sum to 1' });

export type ClassesSpec = z.infer<typeof ClassesSchema>;

/** One class's measurements (requests that arrived after warm-up). */
export class ClassMetrics {
  readonly counts: RequestCounts = emptyCounts();
  readonly ttft = new LatencyStats();
  readonly tpot = new LatencyStats();
  readonly e2e = new LatencyStats();
  /** Requests completed meeting both their TTFT and TPOT targets (DistServe's SLO attainment). */
  good = 0;
}

/** The classes of a run: the draw, each class's priority and targets, and its measurements. */
export class RequestClasses {
  readonly names: string[];
  readonly priority: Int32Array;
  readonly ttftTarget_ms: Float64Array;
  readonly tpotTarget_ms: Float64Array;
  readonly metrics: ClassMetrics[];
  private readonly cumShare: Float64Array;

  constructor(readonly spec: ClassesSpec, private readonly rng: Rng) {
    this.names = Object.keys(spec);
    const list = Object.values(spec);
    this.priority = Int32Array.from(list, (c) => c.priority);
    this.ttftTarget_ms = Float64Array.from(list, (c) => c.slo?.ttft_p99_ms ?? Infinity);
    this.tpotTarget_ms = Float64Array.from(list, (c) => c.slo?.tpot_p99_ms ?? Infinity);
    this.metrics = list.map(() => new ClassMetrics());
    let acc = 0;
    this.cumShare = Float64Array.from(list, (c) => (acc += c.share));
  }

  /** A new request's class, by share (its own random stream: drawing it shifts no other draw). */
  draw(): number {
    const u = this.rng();
    const cum = this.cumShare;
    for (let i = 0; i < cum.length - 1; i++) if (u < cum[i]) return i;
    return cum.length - 1;
  }

  /** A logical request of class cls arrived (counted ones only). */
  offered(cls: number): void {
    this.metrics[cls].counts.offered++;
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
