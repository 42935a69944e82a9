/**
 * The link a prefill replica sends finished prompts' KV caches over to the decode pool: a single
 * server of fixed bandwidth, first come first served. A transfer of B bytes that starts at s
 * (when the link is free) holds it for B / bandwidth and arrives `latency_ms` after that (the
 * latency is the per-transfer fixed cost: set-up, handshake, propagation; it does not hold the
 * link). On an idle link the transfer time is exactly B / bandwidth + latency.
 *
 * A bandwidth change (a degraded link) applies to transfers that start after it; a failed link
 * refuses new transfers, and those it carries at the moment it fails are lost (the caller fails
 * them). Times are simulated ms.
 */
export class KvLink {
  private readonly fullBytesPerMs: number;
  private bytesPerMs: number;
  private busyUntil_ms = 0;
  private down = false;
  /** Measured from `countFrom_ms` (the end of warm-up): link-busy time and transfers started. */
  busy_ms = 0;
  transfers = 0;
  bytes = 0;

  constructor(
    bandwidth_gbps: number,
    readonly latency_ms: number,
    private readonly countFrom_ms = 0,
  ) {
    if (!(bandwidth_gbps > 0)) throw new RangeError(`KV link bandwidth: expected > 0 Gbit/s, got ${bandwidth_gbps}`);
    if (!(latency_ms >= 0)) throw new RangeError(`KV link latency: expected >= 0 ms, got ${latency_ms}`);
    // Gbit/s -> bytes per ms
    this.fullBytesPerMs = this.bytesPerMs = (bandwidth_gbps * 1e9) / 8 / 1000;
  }

  get failed(): boolean {
    return this.down;
  }

  /** The share of the full bandwidth the link now has (1: healthy); 0 fails it. */
  setCondition(bandwidthFraction: number, now_ms: number): void {
    if (!(bandwidthFraction >= 0 && bandwidthFraction <= 1)) throw new RangeError(`KV link bandwidth fraction: expected [0, 1], got ${bandwidthFraction}`);
    this.down = bandwidthFraction === 0;
    if (this.down) this.busyUntil_ms = now_ms; // what it carried is lost; it starts empty when back
    else this.bytesPerMs = this.fullBytesPerMs * bandwidthFraction;
  }

  /** When the link will have sent everything queued on it. */
  get freeAt_ms(): number {
    return this.busyUntil_ms;
  }

  /** Queues a transfer of `bytes` at now_ms behind those already on the link; returns its arrival time. Throws when failed. */
  send(now_ms: number, bytes: number): number {
    if (this.down) throw new Error('KvLink.send on a failed link (check `failed` first)');
    const start = now_ms > this.busyUntil_ms ? now_ms : this.busyUntil_ms;
    const hold_ms = bytes / this.bytesPerMs;
    this.busyUntil_ms = start + hold_ms;
    if (start >= this.countFrom_ms) {
      this.busy_ms += hold_ms;
      this.transfers++;
      this.bytes += bytes;
    }
    return this.busyUntil_ms + this.latency_ms;
  }
}
