import type { ReplicaStats } from './stats.ts';

/**
 * KV memory below one replica's GPU HBM: a host-DRAM tier and a local-NVMe tier, each with a
 * capacity in KV blocks and a transfer bandwidth (docs/kv-tiers.md).
 *
 * Prefix blocks: when the HBM prefix cache evicts the tail of an entry's chain, those blocks go down
 * to the first tier instead of vanishing; when a tier is over its capacity it moves the tail blocks
 * of its least recently filled entry down to the next tier, or drops them from the last one. So an
 * entry's blocks are one run from the start of its segment: HBM, then host, then NVMe, each part
 * contiguous (a block lives in one tier only: an exclusive hierarchy). A hit that reaches blocks in a
 * lower tier loads them back into HBM (they leave the tier) and pays their transfer time.
 *
 * Preemption by swap (vLLM's `preemption_mode=swap`): a decoding sequence's KV goes to the host tier
 * and comes back when it is readmitted, each way at the host bandwidth. Swapped blocks take host
 * capacity before cached prefixes (prefix blocks are pushed down or dropped to make room); when the
 * host cannot hold them even so, the preemption recomputes instead. Only the sequence's own blocks
 * go: its shared prefix stays in the prefix cache, and if that prefix is no longer whole when the
 * sequence is readmitted, the swapped blocks are dropped and it recomputes.
 *
 * Cost: O(1) per entry touched (arrays indexed by the prefix cache's entries), a Map entry per
 * swapped sequence.
 */

export interface KvTierSpec {
  /** KV memory of this tier per replica, GB (1e9 bytes). */
  capacity_gb: number;
  /** Transfer bandwidth between this tier and HBM per replica, GB/s, each direction. */
  bandwidth_gb_per_s: number;
  /** Fixed cost of one transfer (launch, a file read's first byte), ms. */
  latency_ms: number;
}

export interface KvTiersConfig {
  host?: KvTierSpec;
  nvme?: KvTierSpec;
  /** 'swap': a preempted decoding sequence's KV goes to host memory (needs `host`); default 'recompute'. */
  preemption_mode?: 'recompute' | 'swap';
}

/** One tier: its capacity and transfer cost, the blocks each prefix entry holds in it, and an LRU list of those entries. */
class TierLevel {
  held = new Int32Array(16);
  prev = new Int32Array(16).fill(-1);
  next = new Int32Array(16).fill(-1);
  head = -1;
  tail = -1;
  /** Prefix blocks held (swapped blocks are counted apart). */
  used = 0;
  /** Blocks waiting to be charged by the transfer in progress (see KvTiers.takeTransfer). */
  pendingBlocks = 0;

  constructor(
    readonly kind: 'host' | 'nvme',
    readonly capacityBlocks: number,
    readonly msPerBlock: number,
    readonly latency_ms: number,
  ) {}

  grow(n: number): void {
    const widen = (a: Int32Array, fill: number) => {
      const b = new Int32Array(n).fill(fill);
      b.set(a);
      return b;
    };
    this.held = widen(this.held, 0);
    this.prev = widen(this.prev, -1);
    this.next = widen(this.next, -1);
  }

  linkTail(e: number): void {
    this.prev[e] = this.tail;
    this.next[e] = -1;
    if (this.tail >= 0) this.next[this.tail] = e;
    else this.head = e;
    this.tail = e;
  }

  unlink(e: number): void {
    const p = this.prev[e], n = this.next[e];
    if (p >= 0) this.next[p] = n;
    else if (this.head === e) this.head = n;
    else return; // not linked
    if (n >= 0) this.prev[n] = p;
    else this.tail = p;
    this.prev[e] = this.next[e] = -1;
  }

  clear(): void {
    this.held.fill(0);
    this.prev.fill(-1);
    this.next.fill(-1);
    this.head = this.tail = -1;
    this.used = 0;
    this.pendingBlocks = 0;
  }

  /** Transfer time of `blocks` blocks in one transfer, ms. */
  transferMs(blocks: number): number {
    return this.latency_ms + blocks * this.msPerBlock;
  }
}

export class KvTiers {
  private readonly levels: TierLevel[];
  /** The host level (swap target), or null. */
  private readonly host: TierLevel | null;
  readonly swapOnPreempt: boolean;
  /** Blocks of swapped sequences in the host tier, by slot. */
  private readonly swapped = new Map<number, number>();
  private swapBlocks = 0;
  private capacityEntries = 16;
  /**
   * The hits and transfer time of the iteration planned or in flight, counted in `stats` when it
   * ends (endFetches): a fetch that outlasts the run saved no prefill (a tier of 0.01 GB/s and 10 s
   * had its hits counted as savings while the requests waiting on them never finished).
   */
  private readonly fetched = { host_hit_tokens: 0, nvme_hit_tokens: 0, kv_transfer_ms: 0 };

  /** `blockBytes`: bytes of one KV block of the whole replica; `stats`: the replica's counters, written here. */
  constructor(cfg: KvTiersConfig, blockBytes: number, private readonly stats: ReplicaStats) {
    const level = (kind: 'host' | 'nvme', t: KvTierSpec) =>
      new TierLevel(kind, Math.floor((t.capacity_gb * 1e9) / blockBytes), (blockBytes / (t.bandwidth_gb_per_s * 1e9)) * 1000, t.latency_ms);
    this.levels = [];
    if (cfg.host) this.levels.push(level('host', cfg.host));
    if (cfg.nvme) this.levels.push(level('nvme', cfg.nvme));
    this.host = cfg.host ? this.levels[0] : null;
    this.swapOnPreempt = cfg.preemption_mode === 'swap';
    if (this.swapOnPreempt && this.host === null) throw new RangeError('kv_tiers.preemption_mode swap needs a host tier');
  }

  /** Tiers for a replica, or null when none is configured (then nothing here runs). */
  static forReplica(cfg: KvTiersConfig | undefined, blockBytes: number, stats: ReplicaStats): KvTiers | null {
    if (cfg === undefined || (!cfg.host && !cfg.nvme)) return null;
    return new KvTiers(cfg, blockBytes, stats);
  }

  /** Makes room for prefix entries 0..entries-1. */
  ensure(entries: number): void {
    if (entries <= this.capacityEntries) return;
    let n = this.capacityEntries;
    while (n < entries) n *= 2;
    for (const l of this.levels) l.grow(n);
    this.capacityEntries = n;
  }

  /** Blocks of entry e held below HBM (they follow its HBM chain). */
  lower(e: number): number {
    let sum = 0;
    for (const l of this.levels) sum += l.held[e];
    return sum;
  }

  /** HBM evicted the last `blocks` HBM blocks of entry e: they become the front of its run in the first tier. */
  demote(e: number, blocks: number): void {
    this.pushDown(0, e, blocks);
  }

  private pushDown(i: number, e: number, blocks: number): void {
    if (i >= this.levels.length) {
      this.stats.kv_tier_dropped_blocks += blocks;
      return;
    }
    const l = this.levels[i];
    l.held[e] += blocks;
    l.used += blocks;
    l.unlink(e);
    l.linkTail(e);
    this.fit(i);
  }

  /** Moves the tail blocks of the least recently filled entries down (or out) until level i fits. */
  private fit(i: number): void {
    const l = this.levels[i];
    const swap = l === this.host ? this.swapBlocks : 0;
    let over = l.used + swap - l.capacityBlocks;
    while (over > 0 && l.head >= 0) {
      const e = l.head;
      const take = Math.min(over, l.held[e]);
      l.held[e] -= take;
      l.used -= take;
      over -= take;
      if (l.held[e] === 0) l.unlink(e);
      this.pushDown(i + 1, e, take);
    }
  }

  /**
   * A hit loads the first `blocks` lower-tier blocks of entry e back into HBM (host ones first:
   * they come first in the run). Counted as hits of their tier when the iteration ends
   * (endFetches); the transfer is charged by takeTransfer.
   */
  load(e: number, blocks: number, blockSize: number): void {
    for (const l of this.levels) {
      if (blocks === 0) return;
      const take = Math.min(blocks, l.held[e]);
      if (take === 0) continue;
      this.remove(l, e, take);
      l.pendingBlocks += take;
      if (l.kind === 'host') this.fetched.host_hit_tokens += take * blockSize;
      else this.fetched.nvme_hit_tokens += take * blockSize;
      blocks -= take;
    }
  }

  /** HBM now holds the first `blocks` lower-tier blocks of e by computing them: the tier copies are dropped. */
  dropFront(e: number, blocks: number): void {
    for (const l of this.levels) {
      if (blocks === 0) return;
      const take = Math.min(blocks, l.held[e]);
      if (take > 0) this.remove(l, e, take);
      blocks -= take;
    }
  }

  private remove(l: TierLevel, e: number, blocks: number): void {
    l.held[e] -= blocks;
    l.used -= blocks;
    if (l.held[e] === 0) l.unlink(e);
  }

  /** The time of the loads since the last call, one transfer per tier, ms (0 when nothing loaded). */
  takeTransfer(): number {
    let ms = 0;
    for (const l of this.levels) {
      if (l.pendingBlocks === 0) continue;
      ms += l.transferMs(l.pendingBlocks);
      l.pendingBlocks = 0;
    }
    this.fetched.kv_transfer_ms += ms;
    return ms;
  }

  /** The iteration that waited for the fetches since the last call ended (`ended`: they are counted) or was abandoned (forgotten). */
  endFetches(ended: boolean): void {
    const f = this.fetched;
    if (ended) {
      this.stats.host_hit_tokens += f.host_hit_tokens;
      this.stats.nvme_hit_tokens += f.nvme_hit_tokens;
      this.stats.kv_transfer_ms += f.kv_transfer_ms;
    }
    f.host_hit_tokens = f.nvme_hit_tokens = f.kv_transfer_ms = 0;
  }

  /** Forgets every cached prefix block (a restart: host memory and local files of the old process are gone). */
  clearPrefixes(): void {
    for (const l of this.levels) l.clear();
  }

  /**
   * Swaps out the KV of slot s (`blocks` blocks) to host memory; returns the swap-out time in ms,
   * or -1 when the host tier cannot hold it (the caller recomputes instead).
   */
  swapOut(s: number, blocks: number): number {
    const host = this.host!;
    if (this.swapBlocks + blocks > host.capacityBlocks) {
      this.stats.swap_fallbacks++;
      return -1;
    }
    this.swapBlocks += blocks;
    this.swapped.set(s, blocks);
    this.fit(0);
    const ms = host.transferMs(blocks);
    this.stats.swap_outs++;
    this.fetched.kv_transfer_ms += ms;
    return ms;
  }

  /**
   * KV blocks slot s has swapped out (0: none), as it is being readmitted. They follow its prefix:
   * when the prefix is no longer whole in the cache (`prefixWhole` false), the swapped blocks are
   * dropped and it recomputes (counted as a fallback).
   */
  swappedBlocks(s: number, prefixWhole: boolean): number {
    if (this.swapped.size === 0) return 0;
    const blocks = this.swapped.get(s);
    if (blocks === undefined) return 0;
    if (prefixWhole) return blocks;
    this.forget(s);
    this.stats.swap_fallbacks++;
    return 0;
  }

  /** Slot s is readmitted: its swapped KV comes back; returns the swap-in time, ms. */
  swapIn(s: number): number {
    const blocks = this.swapped.get(s)!;
    this.forget(s);
    const ms = this.host!.transferMs(blocks);
    this.fetched.kv_transfer_ms += ms;
    return ms;
  }

  /** Recomputes each tier's sums from its entries (O(entries)) and reports any disagreement; for tests. */
  checkInvariants(entries: number, fail: (msg: string) => void): void {
    for (const l of this.levels) {
      let held = 0, nonEmpty = 0, linked = 0;
      for (let e = 0; e < entries; e++) {
        if (l.held[e] < 0) fail(`${l.kind} tier: entry ${e} holds ${l.held[e]} blocks`);
        held += l.held[e];
        if (l.held[e] > 0) nonEmpty++;
      }
      for (let e = l.head; e >= 0; e = l.next[e]) linked++;
      if (held !== l.used) fail(`${l.kind} tier: used ${l.used} != held ${held}`);
      if (linked !== nonEmpty) fail(`${l.kind} tier: LRU list ${linked} entries, ${nonEmpty} hold blocks`);
      const swap = l === this.host ? this.swapBlocks : 0;
      if (l.used + swap > l.capacityBlocks) fail(`${l.kind} tier: ${l.used} + ${swap} swapped blocks > capacity ${l.capacityBlocks}`);
    }
  }

  /** Slot s leaves the replica (finished, aborted, lost): its swapped KV, if any, is freed. */
  forget(s: number): void {
    if (this.swapped.size === 0) return;
    const blocks = this.swapped.get(s);
    if (blocks === undefined) return;
    this.swapBlocks -= blocks;
    this.swapped.delete(s);
  }
}
