import { z } from 'zod';
import type { Simulator } from '../engine/sim.ts';
import type { Outcome } from '../metrics/outcomes.ts';
import { nonNegInt, nonNegNum, posInt, posNum, prob, strict } from '../util/zod-helpers.ts';

/**
 * The batch tier (docs/priorities.md): a request class flagged `batch` runs below every other
 * class (the replica's lowest priority: it never preempts them, and they preempt it), its client
 * never times out, and it is judged by its completion window instead of latency targets. A
 * backlog (a file of requests submitted at once, as OpenAI's Batch API takes them) is fed into
 * the fleet by a dispatcher that keeps at most `max_in_flight` of them in the fleet, in the hours
 * its schedule allows.
 */

/** Most requests one backlog may hold. */
export const MAX_BACKLOG_REQUESTS = 10_000_000;

export const BatchSchema = strict({
  /** A request completes in time when it finishes within this many hours of the day clock from its submission (OpenAI's Batch API: 24 h). */
  completion_window_h: posNum().max(24 * 31, { error: 'expected at most 744 hours' }).default(24),
  /** Price reduction against the class's list price (OpenAI's Batch API: 50%). */
  discount: prob().default(0.5),
  /** List price per million tokens (prompt + output) before the discount, USD: gives the bill the class's revenue. */
  list_usd_per_mtok: posNum().max(1e6).optional(),
  /** Requests submitted at once at `at_s`, instead of (or on top of) the class's share of the arrivals. */
  backlog: strict({
    requests: posInt().max(MAX_BACKLOG_REQUESTS, { error: `expected at most ${MAX_BACKLOG_REQUESTS} requests` }),
    at_s: nonNegNum().default(0),
    /** Backlog requests in the fleet at once: the dispatcher sends the next when one ends. */
    max_in_flight: posInt().max(1_000_000).default(64),
  }).optional(),
  /** Hours of the day (0-23) in which the dispatcher sends backlog requests; default every hour. */
  hours: z.array(nonNegInt().max(23, { error: 'expected an hour in 0..23' })).min(1).max(24).optional(),
  /** Send backlog requests only in the N hours of the day with the lowest carbon intensity on the first region's grid. */
  cleanest_hours: posInt().max(24, { error: 'expected at most 24 hours' }).optional(),
  /**
   * Simulated seconds per day of the day clock (hours, windows, schedules): 86400, or less for a
   * compressed day, down to hours of a second (1e-300 made an hour too small to move the clock,
   * and the dispatcher looked for the next allowed hour for ever).
   */
  day_s: posNum().min(24, { error: 'expected at least 24 (hours of a second or more)' }).max(86400 * 365).default(86400),
});

export type BatchSpec = z.infer<typeof BatchSchema>;

/** The hour of the day (0-23) at simulated time t_ms on a day of day_s seconds. */
export function hourOfDay(t_ms: number, day_s: number): number {
  const h = Math.floor(((t_ms / 1000) % day_s) / (day_s / 24));
  return h > 23 ? 23 : h;
}

/** The N hours of the day with the lowest intensity (ties to the earlier hour), ascending. */
export function cleanestHours(hourly_g_per_kwh: readonly number[], n: number): number[] {
  return hourly_g_per_kwh.map((g, h) => ({ g, h })).sort((a, b) => a.g - b.g || a.h - b.h).slice(0, n).map((x) => x.h).sort((a, b) => a - b);
}

/** One batch class's completion-window book: every request of the class, warm-up ones too. */
export class BatchBook {
  submitted = 0;
  completedInWindow = 0;
  completedLate = 0;
  /** Ended without completing (failed, rejected, timed out at a tier). */
  notCompleted = 0;
  readonly window_ms: number;

  constructor(readonly spec: BatchSpec) {
    this.window_ms = (spec.completion_window_h / 24) * spec.day_s * 1000;
  }

  /** A request submitted at submitted_ms ended at t_ms. */
  ended(outcome: Outcome, t_ms: number, submitted_ms: number): void {
    if (outcome !== 'completed') this.notCompleted++;
    else if (t_ms - submitted_ms <= this.window_ms) this.completedInWindow++;
    else this.completedLate++;
  }
}

/** What the dispatcher needs of the client and the classes. */
export interface BatchTarget {
  /** A new request of class cls arrives now (the client's arrive with the class forced). */
  submit(cls: number): void;
}

/**
 * Feeds one class's backlog into the fleet: at `at_s` every request is submitted; at most
 * max_in_flight are in the fleet at once, and only in the allowed hours of the day clock.
 */
export class BacklogDispatcher {
  private remaining = 0;
  private inFlight = 0;
  private readonly wakeHandler: number;
  private wakePending = false;
  readonly submitted_ms: number;

  constructor(
    private readonly sim: Simulator,
    private readonly cls: number,
    private readonly spec: BatchSpec,
    private readonly book: BatchBook,
    private readonly target: BatchTarget,
    /** allowed[h]: the dispatcher may send in hour h. */
    private readonly allowed: readonly boolean[],
  ) {
    const backlog = spec.backlog!;
    this.submitted_ms = backlog.at_s * 1000;
    this.wakeHandler = sim.on(() => {
      this.wakePending = false;
      this.release();
    });
    sim.at(this.submitted_ms, sim.on(() => {
      this.remaining = backlog.requests;
      book.submitted += backlog.requests;
      this.release();
    }), 0);
  }

  /** Requests of the backlog not yet sent into the fleet. */
  get waiting(): number {
    return this.remaining;
  }

  /** A request of the backlog ended. */
  ended(outcome: Outcome, t_ms: number): void {
    this.inFlight--;
    this.book.ended(outcome, t_ms, this.submitted_ms);
    this.release();
  }

  private release(): void {
    const now = this.sim.now_ms;
    if (this.remaining === 0) return;
    if (!this.allowed[hourOfDay(now, this.spec.day_s)]) return this.wakeAtNextAllowedHour(now);
    const max = this.spec.backlog!.max_in_flight;
    while (this.remaining > 0 && this.inFlight < max) {
      this.remaining--;
      this.inFlight++;
      this.target.submit(this.cls);
    }
  }

  private wakeAtNextAllowedHour(now: number): void {
    if (this.wakePending || !this.allowed.includes(true)) return;
    const hour_ms = (this.spec.day_s / 24) * 1000;
    let t = (Math.floor(now / hour_ms) + 1) * hour_ms;
    while (!this.allowed[hourOfDay(t, this.spec.day_s)]) t += hour_ms;
    this.wakePending = true;
    this.sim.at(t, this.wakeHandler, 0);
  }
}
