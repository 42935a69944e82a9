import { describe, expect, it } from 'vitest';
import { stream } from '../../src/engine/random.ts';
import { Simulator } from '../../src/engine/sim.ts';
import { GpuReplica } from '../../src/fleet/gpu/replica.ts';
import { RoutedReplica } from '../../src/fleet/llm/availability.ts';
import { ConsistentHash } from '../../src/fleet/router/consistent-hash.ts';
import { makePolicy, type RouterTarget } from '../../src/fleet/router/registry.ts';
import { DEFAULT_ROUTER_OPTIONS } from '../../src/fleet/router/target.ts';
import { BASE_CFG, Recorder, linearStep } from '../gpu/helpers.ts';

const BLOCK = 16;

/** A replica reduced to an LRU cache of whole prefixes (room for `room`), loaded by the test. */
class CachingBox implements RouterTarget {
  outstanding = 0;
  healthy = true;
  private readonly lru: number[] = [];
  constructor(private readonly room: number, private readonly prefixBlocks: number) {}
  kvUsedFraction(): number {
    return 0;
  }
  cachedPrefixBlocks(prefixId: number): number {
    return this.lru.includes(prefixId) ? this.prefixBlocks : 0;
  }
  /** Serves a request of the prefix: true on a hit; the prefix becomes the most recently used. */
  serve(prefixId: number): boolean {
    const at = this.lru.indexOf(prefixId);
    if (at >= 0) this.lru.splice(at, 1);
    else if (this.lru.length === this.room) this.lru.shift();
    this.lru.push(prefixId);
    return at >= 0;
  }
}

/** Routes `requests` requests one at a time (no load: each ends before the next) over N prefixes; returns the hit rate after the first N x 5 and the replicas each prefix went to. */
function lowLoadRun(policy: string, n: number, room: number, requests: number) {
  const prefixBlocks = 60, prompt = prefixBlocks * BLOCK + 40;
  const boxes = Array.from({ length: n }, () => new CachingBox(room, prefixBlocks));
  const router = makePolicy(policy, boxes, stream(3, 'router'));
  const rng = stream(4, 'prefixes');
  const replicasOf = Array.from({ length: n }, () => new Set<number>());
  let hits = 0, counted = 0;
  for (let k = 0; k < requests; k++) {
    const prefix = Math.floor(rng() * n);
    const i = router.pick(prefix, prompt, k);
    const hit = boxes[i].serve(prefix);
    if (k >= n * 5) (counted++, hits += hit ? 1 : 0), replicasOf[prefix].add(i);
  }
  return { hitRate: hits / counted, replicasOf };
}

describe('prefix_affinity', () => {
  it('N prefixes over N replicas at low load: each prefix stays on one replica and hits after warm-up; least_outstanding thrashes', () => {
    const n = 16, room = 4;
    const affinity = lowLoadRun('prefix_affinity', n, room, 4000);
    expect(affinity.hitRate).toBeGreaterThan(0.99);
    for (const replicas of affinity.replicasOf) expect(replicas.size).toBe(1);
    // least_outstanding sends everything to replica 0 when idle: one LRU of 4 over 16 equally
    // popular prefixes hits with probability 4/16 (independent references, uniform popularity)
    const least = lowLoadRun('least_outstanding', n, room, 4000);
    expect(least.hitRate).toBeGreaterThan(0.25 - 0.03);
    expect(least.hitRate).toBeLessThan(0.25 + 0.03);
  });

  it('yields to the least-loaded replica when its favourite is out of balance (absolute and relative thresholds)', () => {
    const boxes = Array.from({ length: 3 }, () => new CachingBox(4, 60));
    const router = makePolicy('prefix_affinity', boxes, stream(1, 'r'), { balance_abs_requests: 10, balance_rel: 2, load_weight: 0 });
    const first = router.pick(9, 1000, 0);
    boxes[first].serve(9);
    boxes[first].outstanding = 10; // 10 more than the others (0): not beyond the absolute threshold
    router.notify(first);
    expect(router.pick(9, 1000, 0)).toBe(first);
    boxes[first].outstanding = 11;
    router.notify(first);
    const other = router.pick(9, 1000, 0);
    expect(other).not.toBe(first);
    // both thresholds must be crossed: 31 against 20 is 11 more, but not twice as many
    for (const b of boxes) b.outstanding = b === boxes[first] ? 31 : 20;
    boxes.forEach((_, i) => router.notify(i));
    expect(router.pick(9, 1000, 0)).toBe(first);
  });

  it('with cache_view_lag_ms, a cache filled after the reading is not seen until the next lag window', () => {
    let now = 0;
    const boxes = Array.from({ length: 8 }, () => new CachingBox(4, 60));
    const router = makePolicy('prefix_affinity', boxes, stream(1, 'r'), { cache_view_lag_ms: 1000, now_ms: () => now, load_weight: 0.5, max_num_seqs: 1 });
    const home = router.pick(5, 1000, 0);
    // the router reads the home's cache (empty) in window 0; the prefix then arrives there
    boxes[home].outstanding = 1;
    router.notify(home);
    // scores: 0.96 x cached - 0.5 x load; the home is loaded (1 of max_num_seqs 1), the others idle
    expect(router.pick(5, 1000, 0)).not.toBe(home); // its reading (window 0): cold, so -0.5 < 0
    boxes[home].serve(5);
    expect(router.pick(5, 1000, 0)).not.toBe(home); // warm now, but the view is window 0's
    now = 1000;
    expect(router.pick(5, 1000, 0)).toBe(home); // window 1 reads it warm: 0.96 - 0.5 > 0
    const exact = makePolicy('prefix_affinity', boxes, stream(1, 'r'), { load_weight: 0.5, max_num_seqs: 1 });
    expect(exact.pick(5, 1000, 0)).toBe(home); // without lag the view is the cache itself
  });
});

/** A replica the test loads: outstanding counts only. */
class LoadBox implements RouterTarget {
  outstanding = 0;
  healthy = true;
  kvUsedFraction(): number {
    return 0;
  }
}

describe('consistent_hash with bounded loads', () => {
  it('never sends a request that puts a replica above ceil((1 + eps) x mean), under arrivals, departures and failures', () => {
    const n = 40, eps = 0.1;
    const boxes = Array.from({ length: n }, () => new LoadBox());
    const router = makePolicy('consistent_hash', boxes, stream(1, 'r'), { hash_load_eps: eps });
    const rng = stream(2, 'ops');
    // Zipf-skewed users: a few users would overload their replicas without the bound
    const user = () => Math.floor(1 / (rng() + 1e-3));
    const held: number[] = [];
    let maxSeen = 0;
    for (let k = 0; k < 20_000; k++) {
      if (held.length > 0 && rng() < 0.45) {
        const at = Math.floor(rng() * held.length);
        const i = held[at];
        held[at] = held[held.length - 1];
        held.pop();
        boxes[i].outstanding--;
        router.notify(i);
      } else if (rng() < 0.001) {
        const i = Math.floor(rng() * n);
        boxes[i].healthy = !boxes[i].healthy;
        router.notify(i);
      } else {
        const i = router.pick(-1, 0, user());
        // the bound, from a scan of the healthy replicas (the request counted in the mean)
        const healthy = boxes.filter((b) => b.healthy);
        const total = healthy.reduce((a, b) => a + b.outstanding, 0) + 1;
        expect(boxes[i].healthy).toBe(true);
        expect(boxes[i].outstanding + 1).toBeLessThanOrEqual(Math.ceil(((1 + eps) * total) / healthy.length));
        boxes[i].outstanding++;
        held.push(i);
        router.notify(i);
        maxSeen = Math.max(maxSeen, boxes[i].outstanding);
      }
    }
    expect(maxSeen).toBeGreaterThan(1); // the test did load the fleet
  });

  it('a user sticks to one replica at low load; a failed replica moves only its own users, about 1/n of them', () => {
    const n = 50;
    const boxes = Array.from({ length: n }, () => new LoadBox());
    const router = makePolicy('consistent_hash', boxes, stream(1, 'r'));
    const users = 5000;
    const before = Array.from({ length: users }, (_, u) => router.pick(-1, 0, u));
    for (let u = 0; u < users; u++) expect(router.pick(-1, 0, u)).toBe(before[u]);
    boxes[7].healthy = false;
    router.notify(7);
    let moved = 0;
    for (let u = 0; u < users; u++) {
      const now = router.pick(-1, 0, u);
      if (now !== before[u]) (moved++, expect(before[u]).toBe(7));
    }
    const onSeven = before.filter((i) => i === 7).length;
    expect(moved).toBe(onSeven);
    // 32 points per replica: its share of the ring is 1/n within a few times 1/sqrt(32)
    expect(onSeven / users).toBeGreaterThan(0.3 / n);
    expect(onSeven / users).toBeLessThan(3 / n);
  });

  it('refuses more replicas than its ring can name', () => {
    const many = { length: 2 ** 20 + 1 } as unknown as RouterTarget[];
    expect(() => new ConsistentHash(many, { ...DEFAULT_ROUTER_OPTIONS, now_ms: () => 0 })).toThrow(/at most 1048576/);
  });
});

describe('cold caches', () => {
  /** A routed replica whose cache holds a 640-token system prompt (40 blocks) after one request. */
  function warmReplica() {
    const sim = new Simulator();
    const rec = new Recorder();
    const replica = new GpuReplica(sim, linearStep(), BASE_CFG, rec);
    const view = new RoutedReplica(replica);
    const serve = () => {
      replica.submit(rec.add(700, 2, sim.now_ms), 700, 2, 3, 640);
      sim.run();
    };
    serve();
    expect(view.cachedPrefixBlocks(3)).toBe(640 / BLOCK);
    return { view, replica, serve };
  }

  it('a replica booted again (scale-up, deploy) or restarted comes back with an empty cache', () => {
    for (const reason of ['booting', 'restarting'] as const) {
      const { view, serve } = warmReplica();
      view.hold(reason);
      expect(view.cachedPrefixBlocks(3)).toBe(640 / BLOCK); // kept while held (draining, loading)
      view.release(reason);
      expect(view.cachedPrefixBlocks(3)).toBe(0);
      serve();
      expect(view.cachedPrefixBlocks(3)).toBe(640 / BLOCK);
    }
  });

  it('a replica that fails and is repaired comes back cold; one held out for other reasons keeps its cache', () => {
    const { view } = warmReplica();
    view.fail(0, () => {});
    view.repair();
    expect(view.cachedPrefixBlocks(3)).toBe(0);
    for (const reason of ['standby', 'draining', 'capacity_fault', 'health_check'] as const) {
      const warm = warmReplica().view;
      warm.hold(reason);
      warm.release(reason);
      expect(warm.cachedPrefixBlocks(3)).toBe(640 / BLOCK);
    }
  });
});
