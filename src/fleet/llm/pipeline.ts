import type { Sampler } from '../../engine/distributions.ts';
import type { Rng } from '../../engine/random.ts';
import type { Simulator } from '../../engine/sim.ts';
import type { Outcome } from '../../metrics/outcomes.ts';
import { F_ABANDONED, F_ARM_A, F_ARM_B, F_CHAT, F_EMBED, F_HOLDS_API, F_SPILLED, SESSION_OPS_MASK, SESSION_OPS_SHIFT, type RequestPool } from '../request-pool.ts';
import type { RequestClasses } from '../classes.ts';
import { classDone, classFirstToken, metTargets } from './class-hooks.ts';
import type { LatencyStats } from '../../metrics/latency.ts';
import type { RequestSink } from '../stations/network.ts';
import type { ServiceTier, TierOutput } from '../stations/tier.ts';
import type { Cluster } from './cluster.ts';
import type { DisaggregatedRoute } from './disaggregated.ts';
import type { FleetMetrics } from './metrics.ts';
import { S, T, TIER_KINDS } from './stages.ts';
import type { TokenSource } from './tokens.ts';
import type { SessionBook } from './sessions.ts';
import type { ReasoningBook } from './reasoning.ts';
import { PrefixChain } from '../gpu/prefix-cache.ts';
import type { RateLimiter, UserPopulation } from './users.ts';

/** One served model as the pipeline sees it. */
export interface ModelRoute {
  name: string;
  embed: boolean;
  chatShare: number;
  tokens: TokenSource;
  limiter?: RateLimiter;
  /** Index of the spill-over model and the waiting-per-replica threshold, or -1. */
  spillTo: number;
  spillWaiting: number;
  /** clusters[region] */
  clusters: Cluster[];
  /** The serving engine's own fixed cost per request (API server, tokenisation): in TTFT and end to end, not GPU time. */
  requestOverheadMs: number;
  /** False: the engine runs without prefix caching (the requests keep their system prompts, nothing is reused). */
  prefixCaching?: boolean;
  /** The stack aborts a request whose client left (vLLM on disconnect); otherwise it keeps working on it. */
  cancelOnDisconnect: boolean;
  /** A second version of the model (canary or A/B arm B), when the control plane runs one. */
  arm?: ArmRoute;
  /** Its multi-turn sessions and agent loops, when it has any (sessions.ts). */
  sessions?: SessionBook;
  /** Prefill/decode disaggregation: `clusters` are then the prefill pool's; this hands requests on to the decode pool. */
  disaggregated?: DisaggregatedRoute;
}

/** Arm B of a served model: its own replicas, the share of traffic it gets and how it is split. */
export interface ArmRoute {
  /** clusters[region] */
  clusters: Cluster[];
  /** Share of the model's requests sent to arm B (the control plane moves it). */
  share: number;
  /** Split by a hash of the user id (sticky) instead of per request. */
  byUser: boolean;
  /** Share of arm B's requests that fail at once (a buggy version). */
  errorRate: number;
  /** The arm's own random stream (split and errors), so other draws do not shift. */
  rng: Rng;
}

/** Per-arm measurements for the control plane (arm 0 = stable, 1 = arm B). Server-side TTFT (no return path). */
export interface ArmObserver {
  firstToken(model: number, arm: number, ttft_ms: number): void;
  finish(model: number, arm: number, outcome: Outcome, e2e_ms: number): void;
}

/** A uniform [0, 1) value per user id (murmur3 finaliser): sticky A/B assignment. */
export function userHash01(user: number): number {
  let h = (user ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  h = (h ^ (h >>> 16)) >>> 0;
  return h / 4294967296;
}

export interface RegionTiers {
  /** tiers[kind] (see TIER_KINDS) */
  tiers: ServiceTier[];
}

export interface PipelineConfig {
  warmup_ms: number;
  authCacheHit: number;
  /** Milliseconds a user's auth-cache state lasts (authCached). */
  authCacheTtl_ms: number;
  ragShare: number;
  sessionOps: number;
  moderationPre: boolean;
  moderationPost: boolean;
  edgeIn: Sampler;
  edgeOut: Sampler;
  /** Cumulative traffic shares of regions and models. */
  regionCum: Float64Array;
  /** Capacity share of each region (where failed-over traffic goes). */
  regionCapacity: number[];
  modelCum: Float64Array;
}

/**
 * The path of one request through the production architecture, as a state machine driven by
 * tier and replica callbacks (no closure per request):
 *
 * arrive -> edge (CDN + LB, a fused delay) -> gateway -> [auth: PostgreSQL on cache miss] ->
 * rate limit (Redis; 429 if over) -> API worker slot (held until the response is done) ->
 * [session: Redis] -> [RAG: vector DB] -> [moderation] -> router -> GPU replica (first token,
 * last token) -> [moderation] -> release the worker -> back through the edge.
 */
export class FleetPipeline implements TierOutput {
  private readonly gatewayHandler: number;
  private readonly tierKinds = TIER_KINDS.length;
  /** Global replica index -> its cluster. */
  private readonly replicaCluster: Cluster[] = [];

  constructor(
    private readonly sim: Simulator,
    private readonly pool: RequestPool,
    private readonly sink: RequestSink,
    private readonly cfg: PipelineConfig,
    readonly regions: RegionTiers[],
    readonly models: ModelRoute[],
    private readonly users: UserPopulation,
    private readonly metrics: FleetMetrics,
    private readonly rng: Rng,
  ) {
    this.regionFailedOver = new Uint8Array(regions.length);
    this.gatewayHandler = sim.on((req) => this.atGateway(req));
  }

  /** 1 where DNS/CDN has failed a region's traffic over to the others. */
  private readonly regionFailedOver: Uint8Array;
  private altRegionCum = new Float64Array(0);

  /** Region failover (faults): while on, requests homed in region r are served elsewhere. */
  setRegionFailedOver(r: number, on: boolean): void {
    this.regionFailedOver[r] = on ? 1 : 0;
    const caps = this.cfg.regionCapacity.map((c, i) => (this.regionFailedOver[i] ? 0 : c));
    const total = caps.reduce((a, b) => a + b, 0);
    let acc = 0;
    this.altRegionCum = Float64Array.from(caps, (c) => (acc += total > 0 ? c / total : 0));
  }

  private pickAltRegion(): number {
    const u = this.rng();
    const cum = this.altRegionCum;
    for (let i = 0; i < cum.length; i++) if (u < cum[i]) return i;
    return cum.length - 1;
  }

  /** Call once the models' clusters exist: maps global replica indices to clusters. */
  indexReplicas(): void {
    for (const m of this.models) for (const c of m.clusters) for (let i = 0; i < c.replicas.length; i++) this.replicaCluster[c.firstGlobal + i] = c;
    for (const m of this.models) for (const c of m.arm?.clusters ?? []) for (let i = 0; i < c.replicas.length; i++) this.replicaCluster[c.firstGlobal + i] = c;
    for (const m of this.models) for (const c of m.disaggregated?.decode ?? []) for (let i = 0; i < c.replicas.length; i++) this.replicaCluster[c.firstGlobal + i] = c;
  }

  /** The control plane's per-arm measurements (models with an arm only). */
  armObserver: ArmObserver | null = null;
  /** Request classes (priorities and per-class SLOs), when the fleet declares them. */
  requestClasses: RequestClasses | null = null;
  /** Hidden thinking tokens and first visible tokens, when some model reasons. */
  reasoning: ReasoningBook | null = null;

  /** The request belongs to a batch class (src/fleet/batch.ts). */
  private isBatchRequest(req: number): boolean {
    return this.requestClasses !== null && this.requestClasses.isBatch[this.pool.requestClass(req)] === 1;
  }

  /** The scheduling priority of the request's class (0 without classes); a disaggregated model's decode pool asks too. */
  priorityOf(req: number): number {
    return this.requestClasses === null ? 0 : this.requestClasses.priority[this.pool.requestClass(req)];
  }

  /** Models with an arm: send the request to arm B (its share, by user hash or at random) or to the stable replicas. */
  private routeArm(req: number, arm: ArmRoute): void {
    const pool = this.pool;
    const u = arm.share <= 0 ? 1 : arm.byUser ? userHash01(pool.user(req)) : arm.rng();
    if (u < arm.share) {
      const c = arm.clusters[pool.region(req)];
      const i = c.policy.pick(pool.prefixId(req), pool.promptTokens(req), pool.user(req));
      if (i >= 0 && c.replicas[i].healthy) {
        pool.setFlags(req, (pool.flags(req) & ~F_ARM_A) | F_ARM_B);
        if (arm.errorRate > 0 && arm.rng() < arm.errorRate) return this.finish(req, 'failed', this.sim.now_ms);
        this.setStage(req, S.gpu_ttft);
        pool.setStation(req, c.firstGlobal + i);
        pool.setGpuSlot(req, c.replicas[i].submit(req, pool.promptTokens(req), pool.outputTokens(req), pool.prefixId(req), pool.prefixTokens(req), this.chainOf(req), this.priorityOf(req)));
        c.policy.notify?.(i);
        return;
      }
    }
    pool.setFlags(req, (pool.flags(req) & ~F_ARM_B) | F_ARM_A);
    this.toGpu(req);
  }


  private pickCum(cum: Float64Array): number {
    const u = this.rng();
    for (let i = 0; i < cum.length - 1; i++) if (u < cum[i]) return i;
    return cum.length - 1;
  }

  get classes(): number {
    return this.models.length;
  }

  /** A new request's first attempt (allocated, arrival time and counted flag set): draw what it asks for. */
  first(req: number): void {
    if (this.turnModel >= 0) return this.firstOfTurn(req);
    const pool = this.pool;
    const m = this.pickCum(this.cfg.modelCum);
    const route = this.models[m];
    route.tokens.draw();
    pool.setModel(req, m);
    pool.setRegion(req, this.pickCum(this.cfg.regionCum));
    pool.setUser(req, this.users.draw());
    pool.setPromptTokens(req, route.tokens.prompt);
    pool.setOutputTokens(req, route.tokens.output);
    if (this.reasoning !== null) this.reasoning.drawn(m, pool.logical(req), route.tokens, pool.counted(req) !== 0);
    pool.setPrefixId(req, route.prefixCaching === false ? -1 : route.tokens.prefixId); // without caching nothing is shared
    pool.setPrefixTokens(req, route.tokens.prefixTokens);
    pool.setFlags(req, (route.embed ? F_EMBED : 0) | (!route.embed && this.rng() < route.chatShare ? F_CHAT : 0));
    if (route.sessions !== undefined) route.sessions.maybeOpen(req, pool, route.tokens);
    pool.setRequestClass(req, this.requestClasses === null ? 0 : this.requestClasses.draw());
    this.retry(req);
  }

  /** The model and session slot of a session's next turn while the client makes it a request. */
  private turnModel = -1;
  private turnSlot = -1;
  private readonly chain = new PrefixChain();

  /** A session's next turn is due (SessionBook): it arrives at the client as a new request. */
  sendTurn(model: number, slot: number): void {
    this.turnModel = model;
    this.turnSlot = slot;
    this.sink.arrive!();
    // the client sent nothing (its breaker is open): the user leaves
    if (this.turnModel >= 0) this.models[model].sessions!.abandon(slot);
    this.turnModel = this.turnSlot = -1;
  }

  /** The first attempt of a session's next turn: its model, user, region and prompt are the session's. */
  private firstOfTurn(req: number): void {
    const route = this.models[this.turnModel];
    this.pool.setModel(req, this.turnModel);
    route.tokens.draw(); // the answer's length; the prompt is the conversation
    route.sessions!.fillTurn(this.turnSlot, req, this.pool, route.tokens.output);
    if (this.reasoning !== null) this.reasoning.drawn(this.turnModel, this.pool.logical(req), route.tokens, this.pool.counted(req) !== 0);
    if (route.prefixCaching === false) this.pool.setPrefixId(req, -1); // without caching nothing is shared
    this.turnModel = -1;
    this.retry(req);
  }

  /** The prefix chain of a session's turn or a Mooncake trace row; null for any other request (its prefix id says all). */
  private chainOf(req: number): PrefixChain | null {
    const pool = this.pool;
    const route = this.models[pool.model(req)];
    // without prefix caching nothing is reused: a session's turn prefills its whole conversation
    if (route.prefixCaching === false) return null;
    if (pool.sessionId(req) >= 0) return route.sessions!.chainOf(req, pool, this.chain);
    const tokens = route.tokens;
    return tokens.prefixIsTraceRow && pool.prefixId(req) >= 0 ? tokens.chainOfRow(pool.prefixId(req), pool.promptTokens(req), this.chain) : null;
  }

  /** An attempt whose model, region, user, tokens and API are already set (a client retry). */
  retry(req: number): void {
    // DNS has moved a failed region's traffic to the others, in proportion to their capacity.
    if (this.regionFailedOver[this.pool.region(req)] === 1) this.pool.setRegion(req, this.pickAltRegion());
    // deadline-aware tiers (cancellation) skip only the attempts of models whose stack cancels
    if (this.tiersCancel && !this.models[this.pool.model(req)].cancelOnDisconnect) this.pool.setDeadlineMs(req, Infinity);
    this.pool.setFirstTokenMs(req, -1);
    this.setStage(req, S.edge_in);
    this.sim.after(this.cfg.edgeIn.sample(), this.gatewayHandler, req);
  }

  /** Records the time spent in the current stage and enters the next. */
  private setStage(req: number, stage: number): void {
    this.pool.setStage(req, stage);
    this.pool.setStageMs(req, this.sim.now_ms);
  }

  private closeStage(req: number): void {
    const pool = this.pool;
    if (pool.counted(req)) this.metrics.stages[pool.stage(req)].add(this.sim.now_ms - pool.stage_ms(req));
  }

  private tier(req: number, kind: number): ServiceTier {
    return this.regions[this.pool.region(req)].tiers[kind];
  }

  private atGateway(req: number): void {
    this.closeStage(req);
    this.setStage(req, S.gateway);
    this.tier(req, T.gateway).enter(req);
  }

  /** Some model cancels: the CPU tiers are deadline-aware (an attempt whose client left is skipped in their queues). */
  tiersCancel = false;

  /**
   * The client stopped waiting for the attempt (timeout): where the model's stack cancels, a GPU
   * replica aborts it now (queue) or at the end of its iteration (batch); elsewhere it is dropped
   * at its next hop (served).
   */
  cancel(req: number): void {
    const pool = this.pool;
    if (!this.models[pool.model(req)].cancelOnDisconnect) return;
    const stage = pool.stage(req);
    if (stage !== S.gpu_ttft && stage !== S.gpu_decode) return;
    const g = pool.station(req);
    const cluster = this.replicaCluster[g];
    cluster.replicas[g - cluster.firstGlobal].abort(pool.gpuSlot(req), req);
  }

  /** The client left the attempt and its model's stack cancels (a disaggregated model's KV hand-over asks). */
  isCancelled(req: number): boolean {
    return (this.pool.flags(req) & F_ABANDONED) !== 0 && this.models[this.pool.model(req)].cancelOnDisconnect;
  }

  /** Replica callback: the attempt was aborted (cancel), its KV blocks freed. */
  aborted(req: number, t_ms: number): void {
    this.notifyReplica(req);
    this.closeStage(req);
    this.finish(req, 'timed_out', t_ms);
  }

  /** An attempt whose client left reached its next hop: the stack drops it (its API worker slot, if just granted, is released). */
  private dropCancelled(req: number): void {
    const pool = this.pool;
    if (pool.stage(req) === S.api_queue) pool.setFlags(req, pool.flags(req) | F_HOLDS_API);
    this.finish(req, 'timed_out', this.sim.now_ms);
  }

  /**
   * Whether the gateway's cache holds `user`'s key now: a share authCacheHit of users in each epoch
   * of the cache's lifetime (epochs staggered by user), so one user's requests and their retries
   * hit or miss together, as a cache keyed by API key does.
   */
  private authCached(user: number): boolean {
    const ttl = this.cfg.authCacheTtl_ms;
    const epoch = Math.floor((this.sim.now_ms + userHash01(user) * ttl) / ttl);
    return userHash01((user ^ Math.imul(epoch + 1, 0x9e3779b1)) >>> 0) < this.cfg.authCacheHit;
  }

  /** A tier finished with the request: move it along according to its stage. */
  served(req: number, tier: ServiceTier): void {
    const pool = this.pool;
    const kind = tier.id % this.tierKinds;
    this.closeStage(req);
    if (pool.flags(req) & F_ABANDONED && this.models[pool.model(req)].cancelOnDisconnect) return this.dropCancelled(req);
    switch (pool.stage(req)) {
      case S.gateway:
        if (!this.authCached(pool.user(req))) return this.enterTier(req, S.auth, T.postgres);
        return this.enterTier(req, S.rate_limit, T.redis);
      case S.auth:
        return this.enterTier(req, S.rate_limit, T.redis);
      case S.rate_limit: {
        const m = this.models[pool.model(req)];
        // A batch request is not held to the per-minute limits of the synchronous API (OpenAI's
        // Batch API has its own quota, of enqueued tokens): its backlog dispatcher's in-flight cap
        // is what paces it. It neither spends a user's tokens nor is refused for them.
        if (m.limiter && !this.isBatchRequest(req) && !m.limiter.allow(pool.user(req), pool.promptTokens(req) + pool.outputTokens(req), this.sim.now_ms)) {
          if (pool.counted(req)) {
            this.metrics.rate_limited++;
            this.metrics.models[pool.model(req)].rate_limited++;
          }
          return this.finish(req, 'rejected', this.sim.now_ms);
        }
        this.setStage(req, S.api_queue);
        return this.tier(req, pool.flags(req) & F_CHAT ? T.chat_api : T.completions_api).acquire(req);
      }
      case S.api_queue:
        // a retried attempt starts its session operations anew
        pool.setFlags(req, (pool.flags(req) | F_HOLDS_API) & ~SESSION_OPS_MASK);
        if (pool.flags(req) & F_CHAT && this.cfg.sessionOps > 0) return this.enterTier(req, S.session, T.redis);
        return this.afterSession(req);
      case S.session: {
        // session state: chat_api.session_ops Redis operations, one after another
        const flags = pool.flags(req);
        const done = ((flags & SESSION_OPS_MASK) >>> SESSION_OPS_SHIFT) + 1;
        if (done < this.cfg.sessionOps) {
          pool.setFlags(req, (flags & ~SESSION_OPS_MASK) | (done << SESSION_OPS_SHIFT));
          return this.enterTier(req, S.session, T.redis);
        }
        pool.setFlags(req, flags & ~SESSION_OPS_MASK);
        return this.afterSession(req);
      }
      case S.rag:
        return this.afterRag(req);
      case S.moderation_pre:
        return this.enterTier(req, S.router, T.router);
      case S.router: {
        const arm = this.models[pool.model(req)].arm;
        return arm ? this.routeArm(req, arm) : this.toGpu(req);
      }
      case S.moderation_post:
        return this.complete(req);
      default:
        throw new Error(`request ${req} served by ${TIER_KINDS[kind]} in unexpected stage ${pool.stage(req)}`);
    }
  }

  private enterTier(req: number, stage: number, kind: number): void {
    this.setStage(req, stage);
    this.tier(req, kind).enter(req);
  }

  private afterSession(req: number): void {
    if (this.pool.flags(req) & F_CHAT && this.rng() < this.cfg.ragShare) return this.enterTier(req, S.rag, T.vector_db);
    this.afterRag(req);
  }

  private afterRag(req: number): void {
    if (!(this.pool.flags(req) & F_EMBED) && this.cfg.moderationPre) return this.enterTier(req, S.moderation_pre, T.moderation);
    this.enterTier(req, S.router, T.router);
  }

  /** The router picks a replica of the requested model, or spills over when it is saturated. */
  private toGpu(req: number): void {
    const pool = this.pool;
    const region = pool.region(req);
    let route = this.models[pool.model(req)];
    let cluster = route.clusters[region];
    let i = cluster.policy.pick(pool.prefixId(req), pool.promptTokens(req), pool.user(req));
    if (route.spillTo >= 0 && (i < 0 || cluster.replicas[i].waiting > route.spillWaiting)) {
      const alt = this.models[route.spillTo].clusters[region];
      const j = alt.policy.pick(pool.prefixId(req), pool.promptTokens(req), pool.user(req));
      if (j >= 0) {
        pool.setFlags(req, pool.flags(req) | F_SPILLED);
        if (pool.counted(req)) this.metrics.models[pool.model(req)].spilled++;
        route = this.models[route.spillTo];
        cluster = alt;
        i = j;
      }
    }
    if (i < 0) return this.finish(req, 'failed', this.sim.now_ms);
    // A replica that died and has not been detected yet: the connection fails.
    if (!cluster.replicas[i].healthy) return this.finish(req, 'failed', this.sim.now_ms);
    this.setStage(req, S.gpu_ttft);
    pool.setStation(req, cluster.firstGlobal + i); // which replica holds it
    pool.setGpuSlot(req, cluster.replicas[i].submit(req, pool.promptTokens(req), pool.outputTokens(req), pool.prefixId(req), pool.prefixTokens(req), this.chainOf(req), this.priorityOf(req)));
    cluster.policy.notify?.(i);
  }

  /** Tells the replica's router policy that its load changed. */
  private notifyReplica(req: number): void {
    const g = this.pool.station(req);
    const cluster = this.replicaCluster[g];
    cluster.policy.notify?.(g - cluster.firstGlobal);
  }

  /**
   * Adds to `all` and `byModel` the ages of the counted attempts still waiting for their first
   * token at end_ms (censored observations: each TTFT is at least that age). Attempts the client
   * abandoned are left out (their request is counted through its retry, or has ended).
   */
  addWaitingTtftAges(end_ms: number, all: LatencyStats, byModel: readonly LatencyStats[]): void {
    const pool = this.pool;
    pool.forEachInUse((req) => {
      if (!pool.counted(req) || pool.first_token_ms(req) !== -1 || pool.flags(req) & F_ABANDONED) return;
      const age_ms = end_ms - pool.arrival_ms(req);
      all.add(age_ms);
      byModel[pool.model(req)].add(age_ms);
    });
  }

  /** Replica callback: the first output token is out. */
  firstToken(req: number, t_ms: number): void {
    const pool = this.pool;
    this.closeStage(req);
    pool.setFirstTokenMs(req, t_ms);
    this.setStage(req, S.gpu_decode);
    if (pool.flags(req) & (F_ARM_A | F_ARM_B)) this.armObserver?.firstToken(pool.model(req), pool.flags(req) & F_ARM_B ? 1 : 0, t_ms - pool.arrival_ms(req));
    if (pool.counted(req)) {
      const ttft = t_ms + this.models[pool.model(req)].requestOverheadMs + this.cfg.edgeOut.sample() - pool.arrival_ms(req);
      this.metrics.ttft.add(ttft);
      this.metrics.series?.firstToken(t_ms, ttft);
      this.metrics.models[pool.model(req)].ttft.add(ttft);
      if (this.requestClasses !== null) classFirstToken(this.requestClasses, pool, req, ttft);
      if (this.reasoning !== null) this.reasoning.firstToken(pool.logical(req), ttft);
    } else if (this.requestClasses !== null) {
      // an attempt from before the warm-up may complete inside the window (goodput): its target
      // is judged without the edge's draw, which only counted attempts take (the streams stay as they were)
      classFirstToken(this.requestClasses, pool, req, t_ms + this.models[pool.model(req)].requestOverheadMs - pool.arrival_ms(req));
    }
  }

  /** Replica callback: the last output token is out. */
  done(req: number, t_ms: number, preemptions: number, schedDelay_ms: number): void {
    const pool = this.pool;
    this.notifyReplica(req);
    this.closeStage(req);
    const out = pool.outputTokens(req);
    if (pool.counted(req)) {
      const mm = this.metrics.models[pool.model(req)];
      mm.preemptions += preemptions;
      mm.scheduling_delay.add(schedDelay_ms);
      mm.output_tokens += out;
      mm.prompt_tokens += pool.promptTokens(req);
      if (out > 1) {
        const tpot = (t_ms - pool.first_token_ms(req)) / (out - 1);
        this.metrics.tpot.add(tpot);
        mm.tpot.add(tpot);
      }
      if (this.reasoning !== null) this.reasoning.done(pool.model(req), pool.logical(req), pool.first_token_ms(req), t_ms, out);
    }
    if (this.requestClasses !== null) classDone(this.requestClasses, pool, req, out > 1 ? (t_ms - pool.first_token_ms(req)) / (out - 1) : 0, t_ms);
    if (!(pool.flags(req) & F_EMBED) && this.cfg.moderationPost) return this.enterTier(req, S.moderation_post, T.moderation);
    this.complete(req);
  }

  /** Replica callback: refused (its queue is full, or the request can never fit). */
  rejected(req: number, t_ms: number): void {
    this.notifyReplica(req);
    this.finish(req, 'rejected', t_ms);
  }

  /** A replica failed while holding the request: it fails, or the router sends it elsewhere. */
  lostOnGpu(req: number, reroute: boolean): void {
    this.closeStage(req);
    if (reroute && this.pool.first_token_ms(req) < 0) return this.toGpu(req);
    this.finish(req, 'failed', this.sim.now_ms);
  }

  dropped(req: number, outcome: 'rejected' | 'timed_out' | 'failed', t_ms: number): void {
    this.finish(req, outcome, t_ms);
  }

  private complete(req: number): void {
    // the engine's fixed cost shifts the whole response (it is paid before the first token)
    this.finish(req, 'completed', this.sim.now_ms + this.models[this.pool.model(req)].requestOverheadMs + this.cfg.edgeOut.sample());
  }

  /** Every request leaves through here exactly once: release what it holds, count it. */
  private finish(req: number, outcome: Outcome, t_ms: number): void {
    const pool = this.pool;
    if (pool.flags(req) & F_HOLDS_API) {
      pool.setFlags(req, pool.flags(req) & (~F_HOLDS_API));
      this.tier(req, pool.flags(req) & F_CHAT ? T.chat_api : T.completions_api).release(req);
    }
    if (pool.flags(req) & (F_ARM_A | F_ARM_B)) this.armObserver?.finish(pool.model(req), pool.flags(req) & F_ARM_B ? 1 : 0, outcome, t_ms - pool.arrival_ms(req));
    if (pool.sessionId(req) >= 0) this.models[pool.model(req)].sessions?.ended(req, pool, outcome === 'completed', t_ms);
    if (this.requestClasses !== null && outcome === 'completed' && metTargets(this.requestClasses, pool, req, t_ms - pool.arrival_ms(req))) {
      const m = this.requestClasses.metrics[pool.requestClass(req)];
      if (pool.counted(req) === 1) m.good++; // SLO attainment: of the counted attempts
      if (t_ms >= this.cfg.warmup_ms) m.good_in_window++; // goodput: inside the measured window
    }
    this.sink.finish(req, outcome, t_ms);
  }
}
