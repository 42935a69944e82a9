/**
 * The shared-prefix part of one replica's KV cache, after vLLM's automatic prefix caching: the
 * full KV blocks of a system prompt, keyed by (prefix id, block index) and chained from the start
 * (block i is usable only while blocks 0..i-1 are cached).
 *
 * Every request of a prefix reads the same chain, so a prefix is kept as one entry holding its
 * chain length. An entry referenced by a running sequence is pinned: none of its blocks can go.
 * An unpinned entry's blocks are evictable; they are taken least recently released entry first
 * and, within an entry, from the end of the chain (vLLM frees a request's blocks in reverse order
 * for the same reason: the chain stays usable as far as it goes).
 *
 * Cost: a Map look-up per request at submit (its prefix id to an entry), O(1) per pin, unpin and
 * adoption, O(1) per evicted entry. Memory: five int32 per distinct prefix the replica has seen.
 */
export class PrefixCache {
  private readonly entryByPrefix = new Map<number, number>();
  /** Cached blocks of each entry (its chain length). */
  private chain = new Int32Array(16);
  /** Running sequences referencing each entry. */
  private pins = new Int32Array(16);
  /** LRU list of unpinned entries with cached blocks: head = least recently released. */
  private lruPrev = new Int32Array(16);
  private lruNext = new Int32Array(16);
  private lruHead = -1;
  private lruTail = -1;
  private entries = 0;
  /** Blocks held by unpinned entries: in the KV cache, but reclaimable on demand. */
  evictableBlocks = 0;

  /** The entry of a prefix id, created (empty) on first sight. */
  entryFor(prefixId: number): number {
    const known = this.entryByPrefix.get(prefixId);
    if (known !== undefined) return known;
    if (this.entries === this.chain.length) this.grow();
    const e = this.entries++;
    this.chain[e] = 0;
    this.pins[e] = 0;
    this.lruPrev[e] = this.lruNext[e] = -1;
    this.entryByPrefix.set(prefixId, e);
    return e;
  }

  /**
   * Leading blocks of a prefix this cache holds now (0 for a prefix never seen): a read-only query
   * for routers, which must not create entries for replicas they only consider.
   */
  leadingBlocks(prefixId: number): number {
    const e = this.entryByPrefix.get(prefixId);
    return e === undefined ? 0 : this.chain[e];
  }

  /** Blocks of the entry's chain now cached. */
  cachedBlocks(e: number): number {
    return this.chain[e];
  }

  /** True if a running sequence references the entry (its blocks count as allocated). */
  isPinned(e: number): boolean {
    return this.pins[e] > 0;
  }

  /**
   * A sequence starts referencing the entry. Returns the blocks that move from evictable to
   * allocated (the whole chain when the entry was not pinned before, else 0).
   */
  pin(e: number): number {
    if (this.pins[e]++ > 0) return 0;
    const blocks = this.chain[e];
    if (blocks > 0) {
      this.unlinkLru(e);
      this.evictableBlocks -= blocks;
    }
    return blocks;
  }

  /** A sequence stops referencing the entry. Returns the blocks that move from allocated to evictable. */
  unpin(e: number): number {
    if (--this.pins[e] > 0) return 0;
    const blocks = this.chain[e];
    if (blocks > 0) {
      this.linkLruTail(e);
      this.evictableBlocks += blocks;
    }
    return blocks;
  }

  /**
   * A pinned entry's sequence has computed the first `blocks` blocks of the prefix: those beyond
   * the cached chain join it (they were the sequence's own). Returns how many joined.
   */
  adopt(e: number, blocks: number): number {
    const added = blocks - this.chain[e];
    if (added <= 0) return 0;
    this.chain[e] = blocks;
    return added;
  }

  /** Evicts up to `blocks` evictable blocks, least recently released first; returns how many went. */
  evict(blocks: number): number {
    let evicted = 0;
    while (evicted < blocks && this.lruHead >= 0) {
      const e = this.lruHead;
      const take = Math.min(blocks - evicted, this.chain[e]);
      this.chain[e] -= take;
      evicted += take;
      if (this.chain[e] === 0) this.unlinkLru(e);
    }
    this.evictableBlocks -= evicted;
    return evicted;
  }

  /** Forgets everything (a replica that fails or reloads comes back cold). */
  clear(): void {
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
    this.lruPrev = widen(this.lruPrev);
    this.lruNext = widen(this.lruNext);
  }
}
