import { describe, expect, it } from 'vitest';
import { makeSampler } from '../../src/engine/distributions.ts';
import { stream } from '../../src/engine/random.ts';
import { Simulator } from '../../src/engine/sim.ts';
import { Cluster, type ReplicaLike } from '../../src/fleet/llm/cluster.ts';
import { FleetMetrics } from '../../src/fleet/llm/metrics.ts';
import { FleetPipeline, userHash01, type ArmRoute, type ModelRoute } from '../../src/fleet/llm/pipeline.ts';
import { S, T, TIER_KINDS } from '../../src/fleet/llm/stages.ts';
import { TokenSource } from '../../src/fleet/llm/tokens.ts';
import { RateLimiter, UserPopulation } from '../../src/fleet/llm/users.ts';
import { F_ARM_B, F_SPILLED, RequestPool } from '../../src/fleet/request-pool.ts';
import { ServiceTier } from '../../src/fleet/stations/tier.ts';
import type { Outcome } from '../../src/metrics/outcomes.ts';

/**
 * FleetPipeline in isolation: real service tiers with constant service times, scripted GPU
 * replicas (first token after TTFT_MS, last after DECODE_MS more) and a sink recording each
 * request's outcome, so every path's end-to-end time is a sum of known stage times.
 */

const EDGE_IN_MS = 11, EDGE_OUT_MS = 5, TTFT_MS = 50, DECODE_MS = 100, OVERHEAD_MS = 7;
/** Service ms by tier kind; the API tiers hold a slot instead of serving for a time. */
const SERVICE_MS: Record<(typeof TIER_KINDS)[number], number | null> = {
  gateway: 2, postgres: 3, redis: 0.25, chat_api: null, completions_api: null, vector_db: 4, moderation: 10, router: 1,
};

/** A replica that answers on a fixed schedule (or never), counting what it was given. */
class ScriptedReplica implements ReplicaLike {
  healthy = true;
  /** Whether the router's policy picks it (the router may not know yet that it failed). */
  routable = true;
  waiting = 0;
  outstanding = 0;
  submitted: number[] = [];
  respond = true;
  pipeline!: FleetPipeline;
  private readonly firstHandler: number;
  private readonly doneHandler: number;
  constructor(private readonly sim: Simulator) {
    this.firstHandler = sim.on((req) => this.pipeline.firstToken(req, sim.now_ms));
    this.doneHandler = sim.on((req) => {
      this.outstanding--;
      this.pipeline.done(req, sim.now_ms, 0, 0);
    });
  }
  submit(req: number): number {
    this.submitted.push(req);
    if (!this.respond) return 0;
    this.outstanding++;
    this.sim.after(TTFT_MS, this.firstHandler, req);
    this.sim.after(TTFT_MS + DECODE_MS, this.doneHandler, req);
    return 0;
  }
  abort(): void {
    throw new Error('no test here cancels');
  }
  kvUsedFraction(): number {
    return 0;
  }
}

interface Options {
  authCacheHit?: number;
  authCacheTtl_ms?: number;
  ragShare?: number;
  chatShare?: number;
  moderation?: boolean;
  embed?: boolean;
  apiServers?: number;
  limiter?: RateLimiter;
  regions?: number;
  /** A second model (spill-over target). */
  spillWaiting?: number;
  arm?: Omit<ArmRoute, 'clusters' | 'rng'>;
  users?: number;
  warmup_ms?: number;
  sessionOps?: number;
}

function harness(o: Options = {}) {
  const sim = new Simulator();
  const pool = new RequestPool(16);
  const finished = new Map<number, { outcome: Outcome; t_ms: number }>();
  const sink = { finish: (req: number, outcome: Outcome, t_ms: number) => void finished.set(req, { outcome, t_ms }) };
  const constant = (value: number) => makeSampler({ dist: 'constant', value }, stream(1, 'constant'));
  const regions = Array.from({ length: o.regions ?? 1 }, () => ({ tiers: [] as ServiceTier[] }));
  const models: ModelRoute[] = [];
  const metrics = new FleetMetrics(2);
  const users = new UserPopulation(o.users ?? 100, 0, 1, stream(1, 'users'));
  const pipeline = new FleetPipeline(sim, pool, sink, {
    warmup_ms: o.warmup_ms ?? 0, authCacheHit: o.authCacheHit ?? 1, authCacheTtl_ms: o.authCacheTtl_ms ?? 300_000, ragShare: o.ragShare ?? 0, sessionOps: o.sessionOps ?? 1,
    moderationPre: o.moderation ?? true, moderationPost: o.moderation ?? true,
    edgeIn: constant(EDGE_IN_MS), edgeOut: constant(EDGE_OUT_MS),
    regionCum: Float64Array.from(regions, () => 1), regionCapacity: regions.map(() => 1), modelCum: Float64Array.of(1, 1),
  }, regions, models, users, metrics, stream(1, 'pipeline'));
  regions.forEach((region, r) => TIER_KINDS.forEach((kind, k) => {
    const ms = SERVICE_MS[kind];
    const servers = kind === 'chat_api' || kind === 'completions_api' ? o.apiServers ?? 100 : 100;
    region.tiers.push(new ServiceTier(sim, pool, r * TIER_KINDS.length + k, `${kind}-${r}`, servers, ms === null ? null : constant(ms), 10_000, Infinity, 0, pipeline,
      stream(1, `route:${kind}-${r}`), stream(1, `tier-faults:${kind}-${r}`)));
  }));
  const replicas: ScriptedReplica[][] = [];
  let firstGlobal = 0;
  const clusterOf = (model: number, region: number) => {
    const replica = new ScriptedReplica(sim);
    replica.pipeline = pipeline;
    (replicas[model] ??= []).push(replica);
    const policy = { pick: () => (replica.routable ? 0 : -1), notify: () => undefined };
    return new Cluster(model, region, [replica], policy, firstGlobal++);
  };
  for (let m = 0; m < 2; m++) {
    models.push({
      name: `model-${m}`, embed: o.embed ?? false, chatShare: o.chatShare ?? 1,
      tokens: new TokenSource({ prompt: { dist: 'constant', value: 100 }, output: { dist: 'constant', value: 10 } }, stream(1, 'tokens'), 4096, o.embed ?? false),
      limiter: m === 0 ? o.limiter : undefined,
      spillTo: m === 0 && o.spillWaiting !== undefined ? 1 : -1, spillWaiting: o.spillWaiting ?? 0,
      clusters: regions.map((_, r) => clusterOf(m, r)), requestOverheadMs: OVERHEAD_MS, cancelOnDisconnect: false,
    });
  }
  if (o.arm) models[0].arm = { ...o.arm, clusters: regions.map((_, r) => clusterOf(2, r)), rng: stream(1, 'arm') };
  pipeline.indexReplicas();
  const arrive = sim.on(() => {
    const req = pool.alloc();
    pool.setArrivalMs(req, sim.now_ms);
    pool.setCounted(req, sim.now_ms >= (o.warmup_ms ?? 0) ? 1 : 0);
    pipeline.first(req);
  });
  return {
    sim, pool, pipeline, finished, metrics, regions, replicas,
    /** Requests get ids 0, 1, 2, ... in arrival order (the pool hands out fresh records first). */
    arriveAt(...times: number[]) {
      for (const t of times) sim.at(t, arrive);
    },
    tier(kind: (typeof TIER_KINDS)[number], region = 0) {
      return regions[region].tiers[T[kind]].station;
    },
  };
}

/** End to end of one request alone, from the stage times along its path. */
function expectedE2e(p: { authMiss: boolean; chat: boolean; rag: boolean; moderation: boolean }): number {
  let t = EDGE_IN_MS + SERVICE_MS.gateway! + (p.authMiss ? SERVICE_MS.postgres! : 0) + SERVICE_MS.redis!;
  if (p.chat) t += SERVICE_MS.redis! + (p.rag ? SERVICE_MS.vector_db! : 0);
  t += (p.moderation ? SERVICE_MS.moderation! : 0) + SERVICE_MS.router! + TTFT_MS + DECODE_MS + (p.moderation ? SERVICE_MS.moderation! : 0);
  return t + OVERHEAD_MS + EDGE_OUT_MS;
}

describe('FleetPipeline: the path of one request', () => {
  for (const authMiss of [false, true]) for (const chat of [false, true]) for (const rag of [false, true]) {
    if (rag && !chat) continue;
    it(`auth ${authMiss ? 'miss' : 'hit'}, ${chat ? 'chat' : 'completions'}${rag ? ' with RAG' : ''}: end to end is the sum of its stages`, () => {
      const h = harness({ authCacheHit: authMiss ? 0 : 1, chatShare: chat ? 1 : 0, ragShare: rag ? 1 : 0 });
      h.arriveAt(0);
      h.sim.run();
      expect(h.finished.get(0)).toEqual({ outcome: 'completed', t_ms: expectedE2e({ authMiss, chat, rag, moderation: true }) });
      expect(h.tier('postgres').stats.arrivals).toBe(authMiss ? 1 : 0);
      expect(h.tier('vector_db').stats.arrivals).toBe(rag ? 1 : 0);
      expect(h.tier(chat ? 'chat_api' : 'completions_api').stats.completed).toBe(1);
      expect(h.tier('moderation').stats.arrivals).toBe(2);
      // time to first token includes the engine's fixed cost and the way back
      const ttft = expectedE2e({ authMiss, chat, rag, moderation: true }) - DECODE_MS - SERVICE_MS.moderation!;
      expect(h.metrics.ttft.summary().mean).toBeCloseTo(ttft, 9);
      expect(h.metrics.stages[S.gpu_ttft].summary().mean).toBeCloseTo(TTFT_MS, 9);
      expect(h.metrics.stages[S.gpu_decode].summary().mean).toBeCloseTo(DECODE_MS, 9);
      expect(h.metrics.stages[S.edge_in].summary().mean).toBeCloseTo(EDGE_IN_MS, 9);
      expect(h.metrics.models[0].output_tokens).toBe(10);
      expect(h.metrics.tpot.summary().mean).toBeCloseTo(DECODE_MS / 9, 9);
    });
  }

  it('a chat request makes chat_api.session_ops Redis operations one after another, as the capacity check counts them', () => {
    for (const sessionOps of [0, 1, 3]) {
      const h = harness({ chatShare: 1, sessionOps });
      h.arriveAt(0);
      h.sim.run();
      // expectedE2e counts one session operation
      const e2e = expectedE2e({ authMiss: false, chat: true, rag: false, moderation: true }) + (sessionOps - 1) * SERVICE_MS.redis!;
      expect(h.finished.get(0)).toEqual({ outcome: 'completed', t_ms: e2e });
      // one rate-limit lookup and the session operations: the 1 + chat x session_ops of capacity.ts
      expect(h.tier('redis').stats.arrivals).toBe(1 + sessionOps);
    }
  });

  it('an embedding skips session, RAG and moderation and uses the completions API', () => {
    const h = harness({ embed: true, ragShare: 1, chatShare: 1 });
    h.arriveAt(0);
    h.sim.run();
    expect(h.finished.get(0)).toEqual({ outcome: 'completed', t_ms: expectedE2e({ authMiss: false, chat: false, rag: false, moderation: false }) });
    expect(h.tier('completions_api').stats.completed).toBe(1);
    expect(h.tier('moderation').stats.arrivals).toBe(0);
  });

  it('requests before the warm-up end are served but not measured', () => {
    const h = harness({ warmup_ms: 1000 });
    h.arriveAt(0);
    h.sim.run();
    expect(h.finished.get(0)!.outcome).toBe('completed');
    expect(h.metrics.ttft.summary().mean).toBeNull();
    expect(h.metrics.models[0].output_tokens).toBe(0);
  });
});

describe('FleetPipeline: the API worker slot', () => {
  it('is held from acquisition until the response is done: a second request waits for the whole of the first', () => {
    const h = harness({ apiServers: 1, chatShare: 0 });
    h.arriveAt(0, 0);
    h.sim.run();
    const alone = expectedE2e({ authMiss: false, chat: false, rag: false, moderation: true });
    // the slot is taken after edge, gateway and rate limit, and freed before the way back
    const acquired = EDGE_IN_MS + SERVICE_MS.gateway! + SERVICE_MS.redis!;
    const held = alone - OVERHEAD_MS - EDGE_OUT_MS - acquired;
    expect(h.finished.get(0)!.t_ms).toBe(alone);
    expect(h.finished.get(1)!.t_ms).toBeCloseTo(alone + held, 9);
    expect(h.tier('completions_api').busy).toBe(0);
  });

  it('a rate-limited request is rejected before it takes a slot', () => {
    // one user; one request per minute
    const h = harness({ users: 1, limiter: new RateLimiter(1, 1e9, 1) });
    h.arriveAt(0, 0);
    h.sim.run();
    expect([h.finished.get(0)!.outcome, h.finished.get(1)!.outcome]).toEqual(['completed', 'rejected']);
    expect(h.metrics.rate_limited).toBe(1);
    expect(h.tier('chat_api').stats.arrivals).toBe(1);
  });
});

describe('FleetPipeline: routing to the GPUs', () => {
  for (const [what, routable, healthy] of [['no replica to pick', false, true], ['the picked replica died undetected', true, false]] as const) {
    it(`${what}: the request fails at the router and frees its API slot`, () => {
      const h = harness();
      Object.assign(h.replicas[0][0], { routable, healthy });
      h.arriveAt(0);
      h.sim.run();
      const atRouter = EDGE_IN_MS + SERVICE_MS.gateway! + 2 * SERVICE_MS.redis! + SERVICE_MS.moderation! + SERVICE_MS.router!;
      expect(h.finished.get(0)).toEqual({ outcome: 'failed', t_ms: atRouter });
      expect(h.replicas[0][0].submitted).toEqual([]);
      expect(h.tier('chat_api').busy).toBe(0);
    });
  }

  it('spills to the other model when the chosen replica has more than spill_waiting queued', () => {
    const h = harness({ spillWaiting: 2 });
    h.replicas[0][0].waiting = 3;
    h.arriveAt(0);
    h.sim.run();
    expect(h.replicas[0][0].submitted).toEqual([]);
    expect(h.replicas[1][0].submitted).toEqual([0]);
    expect(h.pool.flags(0) & F_SPILLED).toBe(F_SPILLED);
    expect(h.metrics.models[0].spilled).toBe(1);
    expect(h.finished.get(0)!.outcome).toBe('completed');
  });

  it('a replica lost before the first token reroutes the request; after it, the request fails', () => {
    const h = harness();
    const replica = h.replicas[0][0];
    replica.respond = false;
    h.arriveAt(0, 0);
    h.sim.run();
    expect(replica.submitted).toEqual([0, 1]);
    replica.respond = true;
    h.pipeline.lostOnGpu(0, true);
    h.sim.run();
    expect(replica.submitted).toEqual([0, 1, 0]);
    expect(h.finished.get(0)!.outcome).toBe('completed');
    h.pool.setFirstTokenMs(1, 123); // as if its first token was out
    h.pipeline.lostOnGpu(1, true);
    expect(h.finished.get(1)!.outcome).toBe('failed');
  });

  it('a failed-over region sends its requests to the others', () => {
    const h = harness({ regions: 2 });
    h.pipeline.setRegionFailedOver(0, true);
    h.arriveAt(0, 1, 2);
    h.sim.run();
    expect(h.tier('gateway', 0).stats.arrivals).toBe(0);
    expect(h.tier('gateway', 1).stats.arrivals).toBe(3);
    expect(h.replicas[0][1].submitted.length).toBe(3);
  });
});

describe('FleetPipeline: a model with a second arm', () => {
  it('share 1 sends every request to arm B, share 0 none', () => {
    for (const share of [0, 1]) {
      const h = harness({ arm: { share, byUser: false, errorRate: 0 } });
      h.arriveAt(0, 1, 2, 3);
      h.sim.run();
      expect(h.replicas[2][0].submitted.length).toBe(4 * share);
      expect(h.replicas[0][0].submitted.length).toBe(4 * (1 - share));
      expect([...h.finished.values()].every((f) => f.outcome === 'completed')).toBe(true);
    }
  });

  it('by user: a user always lands on the same arm, the one its hash picks', () => {
    const h = harness({ users: 50, arm: { share: 0.5, byUser: true, errorRate: 0 } });
    h.arriveAt(...Array.from({ length: 200 }, (_, i) => i));
    h.sim.run();
    for (let req = 0; req < 200; req++) {
      const armB = (h.pool.flags(req) & F_ARM_B) !== 0;
      expect(armB).toBe(userHash01(h.pool.user(req)) < 0.5);
    }
  });

  it('error rate 1: every request sent to arm B fails at once', () => {
    const h = harness({ arm: { share: 1, byUser: false, errorRate: 1 } });
    h.arriveAt(0, 1);
    h.sim.run();
    expect([...h.finished.values()].map((f) => f.outcome)).toEqual(['failed', 'failed']);
    expect(h.replicas[2][0].submitted).toEqual([]);
    expect(h.tier('chat_api').busy).toBe(0);
  });
});
