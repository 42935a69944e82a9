import type { Sampler } from '../../engine/distributions.ts';
import type { Rng } from '../../engine/random.ts';
import { LatencyStats } from '../../metrics/latency.ts';
import type { FairQueue } from './fair-queue.ts';

/** Time-weighted and per-visit statistics of one station, collected after warm-up only. */
export class StationStats {
  areaBusy = 0; // server-ms
  areaQueue = 0; // request-ms
  queueMax = 0;
  arrivals = 0;
  /** Visits that found every server busy and had to queue. */
  waited = 0;
  completed = 0;
  rejected = 0;
  timedOut = 0;
  readonly wait = new LatencyStats();
  readonly sojourn = new LatencyStats();
}

/**
 * A multi-server FCFS station: `servers` parallel servers, a bounded FIFO queue (ring buffer of
 * request ids), an optional wait timeout. State changes go through advance() first so the
 * time-weighted areas stay exact.
 */
export class Station {
  busy = 0;
  private ring: Int32Array;
  private head = 0;
  qlen = 0;
  private last_ms = 0;
  readonly stats = new StationStats();
  /** Cumulative routing probabilities and target station indices; -1 = leave the network. */
  routeCum = new Float64Array(0);
  routeTo = new Int32Array(0);
  /** Weighted fair queueing by request class (the gateway with class weights); null keeps the FIFO ring. */
  fair: FairQueue | null = null;

  constructor(
    readonly index: number,
    readonly name: string,
    /** Changed only through ServiceTier.setServers (faults, scaling). */
    readonly servers: number,
    readonly service: Sampler,
    readonly routeRng: Rng,
    readonly queueLimit: number,
    readonly timeout_ms: number,
    readonly warmup_ms: number,
  ) {
    this.ring = new Int32Array(Math.min(64, Math.max(1, queueLimit)));
  }

  /** Accumulates busy and queue areas up to now (only the part after warm-up). */
  advance(now_ms: number): void {
    const from = this.last_ms > this.warmup_ms ? this.last_ms : this.warmup_ms;
    if (now_ms > from) {
      const dt = now_ms - from;
      this.stats.areaBusy += this.busy * dt;
      this.stats.areaQueue += this.qlen * dt;
    }
    this.last_ms = now_ms;
  }

  /** Enqueues; false if the queue is full. Call advance() first. */
  enqueue(req: number, now_ms: number): boolean {
    if (this.qlen >= this.queueLimit) return false;
    if (this.fair !== null) this.fair.push(req);
    else {
      if (this.qlen === this.ring.length) this.growRing();
      this.ring[(this.head + this.qlen) % this.ring.length] = req;
    }
    this.qlen++;
    if (now_ms >= this.warmup_ms && this.qlen > this.stats.queueMax) this.stats.queueMax = this.qlen;
    return true;
  }

  peek(): number {
    return this.fair !== null ? this.fair.peek() : this.ring[this.head];
  }

  dequeue(): number {
    if (this.fair !== null) {
      this.qlen--;
      return this.fair.pop();
    }
    const req = this.ring[this.head];
    this.head = this.head + 1 === this.ring.length ? 0 : this.head + 1;
    this.qlen--;
    return req;
  }

  /** The request that has waited longest (the next to serve, unless the queue is fair). */
  peekOldest(): number {
    return this.fair !== null ? this.fair.peekOldest() : this.ring[this.head];
  }

  /** Removes the request that has waited longest (it timed out). */
  dequeueOldest(): number {
    if (this.fair === null) return this.dequeue();
    this.qlen--;
    return this.fair.popOldest();
  }

  /**
   * A request that timed out at deadline_ms is removed lazily, at the next event that touches
   * the queue; this corrects the queue area for the time it was wrongly counted. With one timeout
   * per station, expired requests are always the oldest (FIFO's head, or a fair queue's oldest head).
   */
  correctExpired(deadline_ms: number, now_ms: number): void {
    const from = deadline_ms > this.warmup_ms ? deadline_ms : this.warmup_ms;
    if (now_ms > from) this.stats.areaQueue -= now_ms - from;
  }

  /** Next routing target (-1 = exit). */
  route(): number {
    const n = this.routeTo.length;
    if (n === 0) return -1;
    if (n === 1 && this.routeCum[0] >= 1) return this.routeTo[0];
    const u = this.routeRng();
    for (let i = 0; i < n; i++) if (u < this.routeCum[i]) return this.routeTo[i];
    return -1;
  }

  private growRing(): void {
    const next = new Int32Array(Math.min(this.ring.length * 2, Math.max(this.queueLimit, 1)));
    for (let i = 0; i < this.qlen; i++) next[i] = this.ring[(this.head + i) % this.ring.length];
    this.ring = next;
    this.head = 0;
  }
}
