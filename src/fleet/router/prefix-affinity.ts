import { mix32 } from './hash.ts';
import { LeastOutstanding } from './least-outstanding.ts';
import { HealthySet, type RouterOptions, type RouterPolicy, type RouterTarget } from './target.ts';

/** Replicas the router remembers per prefix (where it sent the prefix last). */
const HOLDERS = 4;

/** The router's record of one prefix: the replicas it sent it to, and its last reading of each one's cache. */
interface PrefixRecord {
  replicas: Int32Array;
  /** Leading blocks of the prefix the replica held at the reading. */
  blocks: Int32Array;
  /** Lag window of the reading (floor(t / lag)); -1: never read. */
  window: Float64Array;
  size: number;
  /** Next slot to overwrite once full (the oldest). */
  next: number;
}

/**
 * Prefix affinity scored against load, after SGLang's cache-aware router and llm-d's weighted
 * scorers (no code of either is used). For a request with a shared prefix the candidates are the
 * replicas the router sent that prefix to (its record, at most 4), the prefix's home (a hash of the
 * prefix over the healthy replicas: where a new prefix goes, so prefixes spread instead of all
 * landing on the least-loaded replica) and the least-loaded replica. Each scores
 *
 *   cache_weight x (cached prefix tokens / prompt tokens) - load_weight x (outstanding / max_num_seqs)
 *
 * and the best wins (the earlier candidate on a tie). As in SGLang's router, the pick yields to the
 * least-loaded replica when the two are out of balance: more than `balance_abs_requests` extra
 * outstanding requests and more than `balance_rel` times the least-loaded one's.
 *
 * The router's view of a replica's cache: exact when `cache_view_lag_ms` is 0; otherwise a
 * replica's cached length is read at most once per lag window (a snapshot between 0 and lag old),
 * and only for replicas in the record (a router learns of a cache from where it sent requests).
 *
 * Cost per request: O(4) plus least_outstanding's O(1); memory: one record per prefix seen.
 */
export class PrefixAffinity implements RouterPolicy {
  readonly name = 'prefix_affinity' as const;
  private readonly leastLoaded: LeastOutstanding;
  private readonly set: HealthySet;
  private readonly records = new Map<number, PrefixRecord>();

  constructor(private readonly targets: readonly RouterTarget[], private readonly options: RouterOptions) {
    this.leastLoaded = new LeastOutstanding(targets);
    this.set = new HealthySet(targets);
  }

  notify(i: number): void {
    this.leastLoaded.notify(i);
    this.set.update(i);
  }

  pick(prefixId = -1, promptTokens = 0, _user?: number): number {
    const least = this.leastLoaded.pick();
    if (least < 0 || prefixId < 0 || promptTokens <= 0) return least;
    const record = this.recordOf(prefixId);
    let best = -1, bestScore = -Infinity;
    const consider = (i: number, blocks: number) => {
      const score = this.score(i, blocks, promptTokens);
      if (score > bestScore) (best = i), (bestScore = score);
    };
    for (let k = 0; k < record.size; k++) {
      const i = record.replicas[k];
      if (this.targets[i].healthy) consider(i, this.viewBlocks(record, k, prefixId));
    }
    const home = this.home(prefixId);
    if (home >= 0) consider(home, this.unrecordedBlocks(record, home, prefixId));
    consider(least, this.unrecordedBlocks(record, least, prefixId));
    const chosen = this.outOfBalance(best, least) ? least : best;
    this.remember(record, chosen);
    return chosen;
  }

  private score(i: number, blocks: number, promptTokens: number): number {
    const o = this.options;
    const matched = Math.min(1, (blocks * o.block_size_tokens) / promptTokens);
    return o.cache_weight * matched - (o.load_weight * this.targets[i].outstanding) / o.max_num_seqs;
  }

  private outOfBalance(i: number, least: number): boolean {
    const a = this.targets[i].outstanding, b = this.targets[least].outstanding;
    return a - b > this.options.balance_abs_requests && a > this.options.balance_rel * b;
  }

  /** The healthy replica a prefix hashes to. */
  private home(prefixId: number): number {
    const n = this.set.size;
    if (n === 0) return -1;
    const i = this.set.members[Math.floor((mix32(prefixId, 0x51ed270b) / 4294967296) * n)];
    return this.targets[i].healthy ? i : -1;
  }

  /** The router's view of slot k of the record: live when the lag is 0, else the window's reading. */
  private viewBlocks(record: PrefixRecord, k: number, prefixId: number): number {
    const lag = this.options.cache_view_lag_ms;
    if (lag <= 0) return this.liveBlocks(record.replicas[k], prefixId);
    const window = Math.floor(this.options.now_ms() / lag);
    if (record.window[k] !== window) {
      record.window[k] = window;
      record.blocks[k] = this.liveBlocks(record.replicas[k], prefixId);
    }
    return record.blocks[k];
  }

  /** A replica's blocks of the prefix as the router sees them, whether or not it is in the record. */
  private unrecordedBlocks(record: PrefixRecord, i: number, prefixId: number): number {
    for (let k = 0; k < record.size; k++) if (record.replicas[k] === i) return this.viewBlocks(record, k, prefixId);
    return this.options.cache_view_lag_ms <= 0 ? this.liveBlocks(i, prefixId) : 0;
  }

  private liveBlocks(i: number, prefixId: number): number {
    return this.targets[i].cachedPrefixBlocks?.(prefixId) ?? 0;
  }

  private recordOf(prefixId: number): PrefixRecord {
    let record = this.records.get(prefixId);
    if (record === undefined) {
      record = { replicas: new Int32Array(HOLDERS), blocks: new Int32Array(HOLDERS), window: new Float64Array(HOLDERS), size: 0, next: 0 };
      this.records.set(prefixId, record);
    }
    return record;
  }

  /** Adds replica i to the prefix's record (its reading unknown until the next read), replacing the oldest when full. */
  private remember(record: PrefixRecord, i: number): void {
    for (let k = 0; k < record.size; k++) if (record.replicas[k] === i) return;
    const k = record.size < HOLDERS ? record.size++ : record.next;
    if (record.size === HOLDERS) record.next = (k + 1) % HOLDERS;
    record.replicas[k] = i;
    record.blocks[k] = 0;
    record.window[k] = -1;
  }
}
