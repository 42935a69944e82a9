import { EventQueue } from './heap.ts';

/** A callback event handler; the payload is an integer (usually an index into typed-array state). */
export type Handler = (payload: number) => void;

export interface RunLimits {
  /** Stop after this many events (a guard against runaway scenarios). */
  maxEvents?: number;
  /** Stop after this much wall-clock time. */
  maxWallMs?: number;
}

export type StopReason = 'until' | 'empty' | 'max_events' | 'max_wall' | 'stopped';

/**
 * The simulation clock and event loop. It only schedules and steps (as SimPy's core does):
 * handlers are registered once and events carry (handler id, integer payload), so the hot
 * path allocates nothing and creates no closures.
 */
export class Simulator {
  /** Current simulated time in milliseconds. */
  now_ms = 0;
  /** Events executed so far. */
  events = 0;
  private readonly queue: EventQueue;
  private readonly handlers: Handler[] = [];
  private stopRequested = false;

  constructor(initialCapacity = 1024) {
    this.queue = new EventQueue(initialCapacity);
  }

  /** Registers a handler and returns its id for schedule calls. */
  on(handler: Handler): number {
    this.handlers.push(handler);
    return this.handlers.length - 1;
  }

  /** Schedules handler(payload) at absolute time t_ms (never in the past). Returns a cancel token. */
  at(t_ms: number, handler: number, payload = 0): number {
    if (!(t_ms >= this.now_ms)) throw new RangeError(`cannot schedule at ${t_ms} ms, before now (${this.now_ms} ms)`);
    return this.queue.push(t_ms, handler, payload);
  }

  /** Schedules handler(payload) after delay_ms. Returns a cancel token. */
  after(delay_ms: number, handler: number, payload = 0): number {
    if (!(delay_ms >= 0)) throw new RangeError(`negative or NaN delay: ${delay_ms} ms`);
    return this.queue.push(this.now_ms + delay_ms, handler, payload);
  }

  cancel(token: number): boolean {
    return this.queue.cancel(token);
  }

  /** Pending (live) events. */
  get pending(): number {
    return this.queue.size;
  }

  /** Asks the running loop to return after the current event. */
  stop(): void {
    this.stopRequested = true;
  }

  /**
   * Runs events in (time, sequence) order until the next event is later than until_ms (the clock
   * then reads until_ms), the queue is empty, or a limit is hit.
   */
  run(until_ms = Infinity, limits: RunLimits = {}): StopReason {
    const q = this.queue;
    const handlers = this.handlers;
    const maxEvents = limits.maxEvents ?? Infinity;
    const maxWallMs = limits.maxWallMs ?? Infinity;
    const wallStart = maxWallMs < Infinity ? performance.now() : 0;
    this.stopRequested = false;
    let events = this.events;
    try {
      for (;;) {
        if (!q.popUntil(until_ms)) {
          if (q.size === 0 && until_ms === Infinity) return 'empty';
          this.now_ms = until_ms;
          return 'until';
        }
        this.now_ms = q.time;
        events++;
        handlers[q.handler](q.payload);
        if (this.stopRequested) return 'stopped';
        if (events >= maxEvents) return 'max_events';
        // Check the wall clock only every 64k events: performance.now() is not free.
        if ((events & 0xffff) === 0 && maxWallMs < Infinity && performance.now() - wallStart > maxWallMs) return 'max_wall';
      }
    } finally {
      this.events = events;
    }
  }
}
