import type { Simulator } from '../../engine/sim.ts';

/**
 * The link a prefill replica sends finished prompts' KV caches over to the decode pool: a single
 * server of fixed bandwidth, first come first served. A transfer of B bytes holds the link for
 * B / bandwidth once it reaches the head of the queue, and arrives `latency_ms` after it leaves
 * (the per-transfer fixed cost: set-up, handshake, propagation; it does not hold the link). On an
 * idle link the transfer time is exactly B / bandwidth + latency.
 *
 * A bandwidth change (a degraded link) applies from the next transfer that starts; the one being
 * sent keeps its rate. A failed link drops what it is sending and what is queued on it (the caller
 * fails those requests) and refuses new transfers until it is back. Times are simulated ms;
 * transfers are named by the caller's integer ids, and `arriveHandler` is called with the id.
 */
export class KvLink {
  private readonly fullBytesPerMs: number;
  private bytesPerMs: number;
  private down = false;
  /** Waiting transfers (ids and bytes) from `head` on; the one being sent is `sendingId`. */
  private readonly queueIds: number[] = [];
  private readonly queueBytes: number[] = [];
  private head = 0;
  private sendingId = -1;
  private sendEvent = -1;
  private readonly sentHandler: number;
  /** Measured from `countFrom_ms` (the end of warm-up): link-busy time, transfers started, bytes. */
  busy_ms = 0;
  transfers = 0;
  bytes = 0;

  constructor(
    private readonly sim: Simulator,
    bandwidth_gbps: number,
    readonly latency_ms: number,
    private readonly arriveHandler: number,
    private readonly countFrom_ms = 0,
  ) {
    if (!(bandwidth_gbps > 0)) throw new RangeError(`KV link bandwidth: expected > 0 Gbit/s, got ${bandwidth_gbps}`);
    if (!(latency_ms >= 0)) throw new RangeError(`KV link latency: expected >= 0 ms, got ${latency_ms}`);
    // Gbit/s -> bytes per ms
    this.fullBytesPerMs = this.bytesPerMs = (bandwidth_gbps * 1e9) / 8 / 1000;
    this.sentHandler = sim.on(() => this.sent());
  }

  get failed(): boolean {
    return this.down;
  }

  /** Transfers waiting behind the one being sent. */
  get queued(): number {
    return this.queueIds.length - this.head;
  }

  /** Queues transfer `id` of `bytes`; throws when the link has failed (check `failed` first). */
  send(id: number, bytes: number): void {
    if (this.down) throw new Error('KvLink.send on a failed link (check `failed` first)');
    this.queueIds.push(id);
    this.queueBytes.push(bytes);
    if (this.sendingId < 0) this.startNext();
  }

  /**
   * The share of the full bandwidth the link now has (1: healthy); 0 fails it. Returns the ids of
   * the transfers a failure dropped (the one being sent first, then the queue in order).
   */
  setCondition(bandwidthFraction: number): number[] {
    if (!(bandwidthFraction >= 0 && bandwidthFraction <= 1)) throw new RangeError(`KV link bandwidth fraction: expected [0, 1], got ${bandwidthFraction}`);
    this.down = bandwidthFraction === 0;
    if (!this.down) {
      this.bytesPerMs = this.fullBytesPerMs * bandwidthFraction;
      return [];
    }
    const lost = this.sendingId >= 0 ? [this.sendingId] : [];
    if (this.sendEvent >= 0) this.sim.cancel(this.sendEvent);
    this.sendEvent = this.sendingId = -1;
    lost.push(...this.queueIds.slice(this.head));
    this.queueIds.length = this.queueBytes.length = this.head = 0;
    return lost;
  }

  private startNext(): void {
    if (this.head === this.queueIds.length) {
      this.queueIds.length = this.queueBytes.length = this.head = 0;
      return;
    }
    if (this.head >= 1024 && 2 * this.head >= this.queueIds.length) {
      // a long-busy link: drop the sent part of the queue now and then (amortised O(1))
      this.queueIds.splice(0, this.head);
      this.queueBytes.splice(0, this.head);
      this.head = 0;
    }
    const bytes = this.queueBytes[this.head];
    this.sendingId = this.queueIds[this.head++];
    const hold_ms = bytes / this.bytesPerMs;
    if (this.sim.now_ms >= this.countFrom_ms) {
      this.busy_ms += hold_ms;
      this.transfers++;
      this.bytes += bytes;
    }
    this.sendEvent = this.sim.after(hold_ms, this.sentHandler);
  }

  private sent(): void {
    const id = this.sendingId;
    this.sendEvent = this.sendingId = -1;
    this.sim.after(this.latency_ms, this.arriveHandler, id);
    this.startNext();
  }
}
