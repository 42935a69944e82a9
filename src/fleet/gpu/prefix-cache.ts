/**
 * The shared-prefix part of one replica's KV cache, after vLLM's automatic prefix caching: full KV
 * blocks chained from the start of the prompt (block i is usable only while blocks 0..i-1 are).
 *
 * A prompt's prefix is a chain of keyed segments (`PrefixChain`): an application's system prompt;
 * then, for a turn of a multi-turn session, the session's own conversation so far; or, for a
 * Mooncake trace, one segment per 512-token block id. Each segment is one entry holding how many
 * of its blocks are cached (its chain length); an entry has a parent (the segment before it, fixed
 * when the entry is first seen) and a base (the prompt block its first block is). A block that
 * straddles two segments belongs to the later one: its KV depends on both. Everything requests of
 * one segment share is kept once, so a prefix costs O(segments) per request, not O(blocks).
 *
 * An entry referenced by a running sequence is pinned, and so are its ancestors: none of their
 * blocks can go. An unpinned entry's blocks are evictable; they are taken least recently released
 * entry first and, within an entry, from the end of the chain (vLLM frees a request's blocks in
 * reverse order for the same reason: the chain stays usable as far as it goes; a released chain
 * links its deepest entry first, so it is evicted before the segments it extends).
 *
 * Cost: a Map look-up per segment of a request at submit, O(segments) per pin, unpin and
 * adoption, O(1) per evicted entry. Memory: seven numbers per distinct segment the replica has seen.
 */

import type { KvTiers } from './kv-tiers.ts';

/** Keys of one family of segments; a key is `family * 2^32 + id`, so families never collide. */
export const PREFIX_FAMILY = { systemPrompt: 0, session: 1, traceBlock: 2 } as const;
const FAMILY_STRIDE = 2 ** 32;

/** The cache key of segment `id` (a non-negative integer below 2^32) of a family. */
export function prefixKey(family: number, id: number): number {
  return family * FAMILY_STRIDE + id;
}

/** A prompt's prefix as segments: the key of each and the prompt tokens covered up to its end. */
export class PrefixChain {
  length = 0;
  keys = new Float64Array(8);
  endTokens = new Float64Array(8);

  clear(): this {
    this.length = 0;
    return this;
  }

  push(key: number, endTokens: number): this {
    if (this.length === this.keys.length) {
      const keys = new Float64Array(this.length * 2), ends = new Float64Array(this.length * 2);
      keys.set(this.keys);
      ends.set(this.endTokens);
      this.keys = keys;
      this.endTokens = ends;
    }
    this.keys[this.length] = key;
    this.endTokens[this.length++] = endTokens;
    return this;
  }
}

export class PrefixCache {
  /** `tiers`: host and NVMe memory below HBM (kv-tiers.ts); null: evicted blocks are gone. */
  constructor(private readonly tiers: KvTiers | null = null) {}

  private readonly entryByKey = new Map<number, number>();
  /** Cached blocks of each entry (its chain length). */
  private chain = new Int32Array(16);
  /** Running sequences referencing each entry or a descendant of it. */
  private pins = new Int32Array(16);
  /** The entry this one extends (-1: it starts the prompt), and the prompt block its first block is. */
  private parent = new Int32Array(16);
  private base = new Int32Array(16);
  /** The key family of each entry (PREFIX_FAMILY). */
  private family = new Int32Array(16);
  /** LRU list of unpinned entries with cached blocks: head = least recently released. */
  private lruPrev = new Int32Array(16);
  private lruNext = new Int32Array(16);
  private lruHead = -1;
  private lruTail = -1;
  private entries = 0;
  /** Blocks held by unpinned entries: in the KV cache, but reclaimable on demand. */
  evictableBlocks = 0;

  /** The entry of a system prompt id that starts the prompt, created (empty) on first sight. */
  entryFor(prefixId: number): number {
    return this.entryOf(prefixKey(PREFIX_FAMILY.systemPrompt, prefixId), -1, 0);
  }

  /**
   * The deepest entry of the chain's segments that start within the prompt's first `blocks`
   * blocks (segments cut at `blockSize`; a block that straddles two belongs to the later one),
   * created on first sight with its parent and base; -1 if there is none. A segment without a
   * block of its own yet (a session's first turn) still gets its entry: the turn's blocks join it.
   */
  entryForChain(chain: PrefixChain, blockSize: number, blocks: number): number {
    let e = -1, from = 0;
    for (let i = 0; i < chain.length && from <= blocks; i++) {
      e = this.entryOf(chain.keys[i], e, from);
      const end = Math.floor(chain.endTokens[i] / blockSize);
      if (end > from) from = end;
    }
    return e;
  }

  private entryOf(key: number, parent: number, base: number): number {
    const known = this.entryByKey.get(key);
    if (known !== undefined) return known;
    if (this.entries === this.chain.length) this.grow();
    const e = this.entries++;
    this.tiers?.ensure(this.entries);
    this.chain[e] = 0;
    this.pins[e] = 0;
    this.parent[e] = parent;
    this.base[e] = base;
    this.family[e] = Math.floor(key / FAMILY_STRIDE);
    this.lruPrev[e] = this.lruNext[e] = -1;
    this.entryByKey.set(key, e);
    return e;
  }

  /** True for a session's segment: a finished turn's blocks join it (see GpuReplica). */
  growsByTurn(e: number): boolean {
    return this.family[e] === PREFIX_FAMILY.session;
  }

  /**
   * Leading blocks of a system prompt this cache holds now (0 for one never seen): a read-only
   * query for routers, which must not create entries for replicas they only consider.
   */
  leadingBlocks(prefixId: number): number {
    const e = this.entryByKey.get(prefixKey(PREFIX_FAMILY.systemPrompt, prefixId));
    return e === undefined ? 0 : this.chain[e];
  }

  /** Blocks of the entry's own segment now cached. */
  cachedBlocks(e: number): number {
    return this.chain[e];
  }

  /** Blocks from the start of the prompt usable through entry e (lower tiers included): each ancestor must be whole. */
  usableBlocks(e: number): number {
    const p = this.parent[e];
    const own = this.tiers === null ? this.chain[e] : this.chain[e] + this.tiers.lower(e);
    if (p < 0) return own;
    const before = this.usableBlocks(p);
    return before < this.base[e] ? before : this.base[e] + own;
  }

  /** Of the first `blocks` prompt blocks through entry e, those held in lower tiers (to be loaded on a hit). */
  lowerBlocksWithin(e: number, blocks: number): number {
    let sum = 0;
    for (let x = e; x >= 0; x = this.parent[x]) {
      const from = this.base[x] + this.chain[x];
      const to = Math.min(blocks, from + this.tiers!.lower(x));
      if (to > from) sum += to - from;
    }
    return sum;
  }

  /**
   * A sequence pinning e reuses the first `blocks` prompt blocks: those in lower tiers come back to
   * HBM (the entries are pinned, so they count as allocated). Returns how many came back.
   */
  loadFromTiers(e: number, blocks: number, blockSize: number): number {
    let loaded = 0;
    for (let x = e; x >= 0; x = this.parent[x]) {
      const from = this.base[x] + this.chain[x];
      const take = Math.min(blocks, from + this.tiers!.lower(x)) - from;
      if (take <= 0) continue;
      this.tiers!.load(x, take, blockSize);
      this.chain[x] += take;
      loaded += take;
    }
    return loaded;
  }

  /** True if a running sequence references the entry (its blocks count as allocated). */
  isPinned(e: number): boolean {
    return this.pins[e] > 0;
  }

  /** Evictable blocks that pinning e (and its ancestors) would make allocated. */
  pinCost(e: number): number {
    let blocks = 0;
    for (let x = e; x >= 0 && this.pins[x] === 0; x = this.parent[x]) blocks += this.chain[x];
    return blocks;
  }

  /**
   * A sequence starts referencing the entry and its ancestors. Returns the blocks that move from
   * evictable to allocated (the chains of those not pinned before).
   */
  pin(e: number): number {
    let moved = 0;
    for (let x = e; x >= 0; x = this.parent[x]) {
      if (this.pins[x]++ > 0) continue;
      const blocks = this.chain[x];
      if (blocks > 0) {
        this.unlinkLru(x);
        moved += blocks;
      }
    }
    this.evictableBlocks -= moved;
    return moved;
  }

  /** A sequence stops referencing the entry and its ancestors. Returns the blocks that move from allocated to evictable. */
  unpin(e: number): number {
    let moved = 0;
    for (let x = e; x >= 0; x = this.parent[x]) {
      if (--this.pins[x] > 0) continue;
      const blocks = this.chain[x];
      if (blocks > 0) {
        this.linkLruTail(x);
        moved += blocks;
      }
    }
    this.evictableBlocks += moved;
    return moved;
  }

  /**
   * A sequence referencing e has computed the first `blocks` blocks of its prompt: those beyond the
   * cached chains of e and its ancestors join them (they were the sequence's own). Returns how many joined.
   */
  adopt(e: number, blocks: number): number {
    let added = 0, end = blocks;
    for (let x = e; x >= 0; x = this.parent[x]) {
      const own = end - this.base[x];
      if (own > this.chain[x]) {
        added += own - this.chain[x];
        if (this.tiers !== null) this.tiers.dropFront(x, own - this.chain[x]);
        this.chain[x] = own;
      }
      end = this.base[x];
    }
    return added;
  }

  /**
   * Evicts up to `blocks` evictable blocks, least recently released first; returns how many went.
   * With tiers they go down to the first one (`demote`), unless the memory itself is lost.
   */
  evict(blocks: number, demote = true): number {
    let evicted = 0;
    while (evicted < blocks && this.lruHead >= 0) {
      const e = this.lruHead;
      const take = Math.min(blocks - evicted, this.chain[e]);
      this.chain[e] -= take;
      evicted += take;
      if (this.tiers !== null && demote && take > 0) this.tiers.demote(e, take);
      if (this.chain[e] === 0) this.unlinkLru(e);
    }
    this.evictableBlocks -= evicted;
    return evicted;
  }

  /** Forgets everything (a replica that fails or reloads comes back cold). */
  clear(): void {
    this.tiers?.clearPrefixes();
    this.chain.fill(0, 0, this.entries);
    this.pins.fill(0, 0, this.entries);
    this.lruPrev.fill(-1, 0, this.entries);
    this.lruNext.fill(-1, 0, this.entries);
    this.lruHead = this.lruTail = -1;
    this.evictableBlocks = 0;
  }

  /** Blocks of pinned entries (counted in the replica's allocated blocks); O(entries), for invariant checks. */
  pinnedBlocks(): number {
    let sum = 0;
    for (let e = 0; e < this.entries; e++) if (this.pins[e] > 0) sum += this.chain[e];
    return sum;
  }

  /** The tiers' sums against their entries (kv-tiers.ts); for invariant checks. */
  checkTiers(fail: (msg: string) => void): void {
    this.tiers?.checkInvariants(this.entries, fail);
  }

  private linkLruTail(e: number): void {
    this.lruPrev[e] = this.lruTail;
    this.lruNext[e] = -1;
    if (this.lruTail >= 0) this.lruNext[this.lruTail] = e;
    else this.lruHead = e;
    this.lruTail = e;
  }

  private unlinkLru(e: number): void {
    const p = this.lruPrev[e], n = this.lruNext[e];
    if (p >= 0) this.lruNext[p] = n;
    else this.lruHead = n;
    if (n >= 0) this.lruPrev[n] = p;
    else this.lruTail = p;
    this.lruPrev[e] = this.lruNext[e] = -1;
  }

  private grow(): void {
    const n = this.chain.length * 2;
    const widen = (a: Int32Array) => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    this.chain = widen(this.chain);
    this.pins = widen(this.pins);
    this.parent = widen(this.parent);
    this.base = widen(this.base);
    this.family = widen(this.family);
    this.lruPrev = widen(this.lruPrev);
    this.lruNext = widen(this.lruNext);
  }
}
