import type { Simulator } from '../../engine/sim.ts';
import type { LatencyStats } from '../../metrics/latency.ts';
import { sequenceKvTokens, windowKvTokens, type StepModel } from '../../perf/step.ts';
import { ReplicaStats } from './stats.ts';
import { SlotPool } from './slot-pool.ts';
import { PrefixCache, type PrefixChain } from './prefix-cache.ts';
import { FinishHeap, SlotDeque } from './structs.ts';
import { PriorityWaitQueue, type WaitQueue } from './priority.ts';
import { KvTiers, type KvTiersConfig } from './kv-tiers.ts';

/**
 * One GPU replica (a tensor-parallel group serving one model copy) with iteration-level
 * continuous batching, modelled on vLLM's V0 scheduler (vllm/core/scheduler.py):
 *
 * - a FCFS waiting queue; only its head is considered for admission (`_schedule_prefills` stops at
 *   the first request that cannot be allocated: no skipping);
 * - a running batch bounded by `max_num_seqs` and a per-iteration token budget
 *   `max_batched_tokens` (`SchedulingBudget`);
 * - chunked prefill on (`_schedule_chunked_prefill`): decodes first, then the chunks of prompts
 *   already running in admission order, then new prompts from the waiting head, each taking
 *   min(remaining prompt, remaining budget) tokens (Sarathi-style mixed batches);
 * - chunked prefill off (`_schedule_default`): if any waiting prompt can be admitted whole, the
 *   iteration is prefill-only ("don't schedule decodes if prefills are scheduled"); otherwise it
 *   decodes every running sequence. A prompt longer than the budget is admitted alone;
 * - multi-step scheduling (vLLM 0.5.5-0.7, `--num-scheduler-steps K`, without chunked prefill):
 *   after a prefill the batch decodes in runs of K steps and waiting prompts are admitted only
 *   between runs (`decode_run_steps`);
 * - a paged KV cache in blocks of `block_size_tokens`; a sequence holds ceil(tokens in KV / block)
 *   blocks. Admission reserves the whole (re)prompt's blocks (`BlockSpaceManager.allocate`) and
 *   keeps a watermark free (`can_allocate`: free - needed >= watermark blocks, watermark 1% of
 *   blocks as vLLM's CacheConfig default, at least one block); a decode step needs one new block
 *   for every sequence whose context crosses a block boundary (`can_append_slots`);
 * - preemption by recompute (`_preempt_by_recompute`): when a decode step cannot get its blocks,
 *   the most recently admitted running sequence (`running_queue.pop()`) frees all its blocks and
 *   goes back to the head of the waiting queue (`waiting.extendleft(preempted)`); readmitted, it
 *   prefills prompt + tokens already generated, and its next token comes out of that prefill.
 *
 * Token timing: a prefill that completes samples one output token at the end of its iteration;
 * after that every decode iteration produces one token per decoding sequence. A sequence with
 * P prompt tokens that has emitted e tokens holds P + e - 1 tokens of KV (the latest token is
 * written by the next step). Output tokens are never re-emitted after a preemption.
 *
 * Prefix caching (vLLM's automatic prefix caching; see prefix-cache.ts and docs/prefix-caching.md):
 * a request may carry a shared prefix (its application's system prompt). Its full blocks are kept
 * per replica after the first request computed them; an admission that finds the first h blocks
 * cached prefills only the rest (its attention still reads the whole context) and allocates only
 * its own blocks. `allocatedBlocks` counts the sequences' own blocks plus the blocks of prefixes
 * some running sequence references (pinned); the prefix cache's unpinned blocks are evictable:
 * admission and decode growth see them as free, and `trimCache` evicts them, least recently
 * released first, as soon as allocated + evictable exceeds the capacity. Allocation only grows
 * between two trims, so trimming after each growth evicts exactly what eviction at the moment of
 * need would. A replica that fails comes back with an empty cache. Without prefixes none of this
 * runs (the cache is created at the first request that carries one).
 *
 * Cost per iteration: O(1) in the batch size plus O(1) per sequence prefilled, finished,
 * admitted or preempted in it. Running sums (decodingSeqs, decodingContextTokens) replace
 * per-sequence loops; a sequence's KV context is `base + decodeSteps`, where decodeSteps counts
 * the replica's decode iterations, so it is never touched while it decodes; finishing sequences come from a min-heap keyed by their finish
 * iteration; block growth is one counter per residue of `base` mod block size.
 *
 * A sequence's state is one 128-byte record of a SlotPool, which the replicas of a fleet share;
 * the listener is one object called with integer request ids; one iteration-end handler per
 * simulator serves all its replicas (no closure per replica or per event).
 */

export interface ReplicaConfig {
  /** Running batch bound (vLLM default 256). */
  max_num_seqs: number;
  /** Tokens per iteration: prefill chunk tokens + one per decoding sequence (vLLM: 8192 with chunked prefill). */
  max_batched_tokens: number;
  /** Sarathi-style chunked prefill; off = prompts prefilled whole in prefill-only iterations. */
  chunked_prefill: boolean;
  /** KV block size in tokens (vLLM default 16). */
  block_size_tokens: number;
  /** Usable KV cache in tokens; default step.kvCapacityTokens. */
  kv_capacity_tokens?: number;
  /** Waiting-queue bound: a submit beyond it is rejected with 'queue_full'. */
  max_waiting: number;
  /** Fraction of KV blocks admission keeps free (vLLM CacheConfig.watermark, default 0.01; at least one block). */
  watermark_fraction?: number;
  /**
   * Run stretches of decode-only iterations whose outcome is already determined as one event
   * (default true; see `plan`). Results are identical either way; off is for tests.
   */
  fuse_decode?: boolean;
  /**
   * Prefill/decode disaggregation (docs/disaggregation.md): 'prefill' serves each request up to
   * its first token (its output is cut to one token); 'decode' takes requests whose prompt KV was
   * computed elsewhere: they join the decode batch on admission with their first token already out.
   * Default 'colocated' (prefill and decode in one batch).
   */
  mode?: ReplicaMode;
  /**
   * KV admission (colocated mode): 'on-demand' (vLLM, SGLang: a prompt's blocks, preempting when
   * decodes outgrow the cache) or 'reserve-output' (TensorRT-LLM's default capacity policy,
   * GUARANTEED_NO_EVICT: a request is admitted only when its prompt and whole output fit beside
   * the running requests' whole footprints, so none is ever preempted). Default 'on-demand'.
   */
  kv_admission?: KvAdmission;
  /** Host and NVMe KV memory below HBM, and preemption by swap (kv-tiers.ts, docs/kv-tiers.md); none by default. */
  kv_tiers?: KvTiersConfig;
  /** Waiting prompts held back from a running batch (TGI's router, AdmissionHold); none by default. */
  admission_hold?: AdmissionHold;
  /**
   * Multi-step scheduling (vLLM 0.5.5-0.7, `--num-scheduler-steps K`): after a prefill the running
   * batch decodes in runs of K steps scheduled at once, and a waiting prompt is admitted only
   * between two runs, so it waits for the rest of the run in flight (vLLM's multi-step design
   * trades that TTFT for fewer scheduler passes). Default 1 (every step scheduled); only without
   * chunked prefill, which vLLM 0.6.0 could not combine with it.
   */
  decode_run_steps?: number;
  /**
   * Asynchronous scheduling (vLLM from 0.14, its default since: release notes of 0.14.0, "Async
   * scheduling is now enabled by default"): the engine plans iteration N+1 while N runs, so a
   * request that arrives during N first joins N+2, a step later than a synchronous scheduler
   * would take it. An idle replica, or one with nothing else to run next, takes it at once.
   * Default false.
   */
  async_scheduling?: boolean;
}

export type KvAdmission = 'on-demand' | 'reserve-output';

/** planBatch's result bits. */
const PLANNED_DECODE = 1, PLANNED_HELD = 2;

/**
 * The full KV blocks of a prompt's first prefixTokens that a prefix cache can hand back: the
 * prompt's last token is always computed (it samples the first output token).
 */
export function cacheablePrefixBlocks(promptTokens: number, prefixTokens: number, blockSize: number): number {
  return Math.floor((prefixTokens < promptTokens ? prefixTokens : promptTokens - 1) / blockSize);
}

/**
 * TGI's router (text-generation-inference 2.x, `batching_task` of its v3 scheduler): while a
 * batch decodes, waiting prompts join it (by a prefill-only pass that stalls the running batch)
 * only when at least floor(running x waiting_served_ratio) of them wait, or when
 * max_waiting_steps decode steps have passed since the last prefill (its `max_waiting_tokens`
 * counter starts at 1 after a prefill and is checked before each decode). TGI's defaults: 1.2
 * and 20. An idle replica admits at once. Applies without chunked prefill only (TGI 2.x has none).
 */
export interface AdmissionHold {
  readonly max_waiting_steps: number;
  readonly waiting_served_ratio: number;
}

export type ReplicaMode = 'colocated' | 'prefill' | 'decode';

/** vLLM's defaults with chunked prefill (and a waiting bound vLLM does not have). */
export const VLLM_REPLICA_DEFAULTS: Readonly<ReplicaConfig> = {
  max_num_seqs: 256,
  max_batched_tokens: 8192,
  chunked_prefill: true,
  block_size_tokens: 16,
  max_waiting: 10_000,
};

export type RejectReason = 'queue_full' | 'too_long';

/**
 * Called with integer request ids (no closures per request). All times are simulated ms.
 * `done` also receives the request's per-replica figures: how many times it was preempted and
 * its scheduling delay (first admission to the running batch - submit). Implementations may
 * declare fewer parameters.
 */
export interface ReplicaListener {
  /** End of the iteration that produced the first output token. */
  firstToken(req: number, t_ms: number): void;
  /** The last output token was produced. */
  done(req: number, t_ms: number, preemptions: number, sched_delay_ms: number): void;
  /**
   * 'too_long': prompt + output can never fit in the KV cache. Checked at submit, and again at
   * every admission from the waiting queue: after setKvCapacityTokens shrinks the cache, a
   * request preempted mid-stream can be rejected this way after its firstToken.
   */
  rejected(req: number, t_ms: number, reason: RejectReason): void;
  /** The request was aborted (abort()): it left the queue or the batch and its KV blocks are free. */
  aborted?(req: number, t_ms: number): void;
}

/** Test hooks; leave null in production (the token hook costs O(batch) per iteration). */
export interface ReplicaDebug {
  /** After each iteration has been scheduled and its KV blocks allocated. */
  planned?(r: GpuReplica): void;
  /** Every output token of every request, at the end of the iteration that produced it. */
  token?(req: number, t_ms: number): void;
}

const FREE = 0, WAITING = 1, PREFILL = 2, DECODE = 3;
/** Longest run of decode iterations fused into one event (bounds the look-ahead). */
const MAX_SPAN = 4096;

/**
 * One iteration-end handler per simulator for all its replicas, with the replica's index as the
 * payload: at fleet scale a per-replica closure and its context are two more cold cache lines
 * (loaded one after the other) before the replica itself.
 */
const iterationEnds = new WeakMap<Simulator, { handler: number; list: GpuReplica[] }>();

export class GpuReplica {
  private readonly counters = new ReplicaStats();
  /**
   * The replica's counters up to the current simulated time, as a copy: the fused iterations that
   * have ended and the per-iteration sums kept on the replica are added in. Reading them changes
   * nothing, not even the rounding of later sums.
   */
  stats(): ReplicaStats {
    this.flush(this.sim.now_ms);
    const s = Object.assign(new ReplicaStats(), this.counters);
    s.busy_ms += this.pendingBusy_ms;
    s.iterations += this.pendingIterations;
    s.batch_size_sum += this.pendingBatchSeqs;
    s.decode_seqs_sum += this.pendingDecodeTokens;
    s.decode_tokens += this.pendingDecodeTokens;
    s.output_tokens += this.pendingDecodeTokens;
    s.prefill_tokens += this.pendingPrefillTokens;
    s.recompute_tokens += this.pendingRecomputeTokens;
    s.kv_token_ms += this.pendingKvTokenMs;
    s.flops += this.pendingFlops;
    s.bytes += this.pendingBytes;
    // the transfer the iteration in flight is waiting for: not counted above until it ends
    if (this.endEvent >= 0) s.kv_transfer_unfinished_ms = Math.max(0, Math.min(this.sim.now_ms - this.iterStart_ms, this.iterTransfer_ms));
    return s;
  }

  /**
   * Zeroes every counter (the start of a measured period). An iteration in flight is counted whole
   * when it ends, so the time it ran before the reset is taken off its time integrals now: the
   * period's busy time and KV integral start at the reset, and busy_fraction cannot pass 1. Its
   * FLOPs, bytes and tokens stay whole (work is counted in the period it completes in).
   */
  resetStats(): void {
    const now_ms = this.sim.now_ms;
    this.flush(now_ms);
    this.counters.reset();
    if (this.endEvent >= 0) {
      const before_ms = Math.min(Math.max(0, now_ms - this.iterStart_ms), this.iterDuration_ms);
      this.counters.busy_ms = -before_ms;
      if (this.iterPrefillTokens > 0) this.counters.prefill_busy_ms = -before_ms;
      this.counters.kv_token_ms = -this.iterUsedBlocks * this.blockSize * before_ms;
    }
    this.pendingBusy_ms = this.pendingIterations = this.pendingBatchSeqs = this.pendingDecodeTokens = 0;
    this.pendingPrefillTokens = this.pendingRecomputeTokens = this.pendingKvTokenMs = this.pendingFlops = this.pendingBytes = 0;
  }

  // Per-iteration sums kept on the replica itself, added to `counters` by stats(): the stats object
  // is one more cold cache line per iteration at fleet scale.
  private pendingBusy_ms = 0;
  private pendingIterations = 0;
  private pendingBatchSeqs = 0;
  private pendingDecodeTokens = 0;
  private pendingPrefillTokens = 0;
  private pendingRecomputeTokens = 0;
  private pendingKvTokenMs = 0;
  private pendingFlops = 0;
  private pendingBytes = 0;
  /** Smallest finish key in the finish heap (Infinity when empty): most iterations finish nothing and need not touch it. */
  private nextFinishStep = Infinity;
  /** Inter-token latency sink: each gap between consecutive tokens of a request, O(1) weighted adds per iteration. */
  itl: LatencyStats | null = null;
  debug: ReplicaDebug | null = null;

  private readonly blockSize: number;
  /** a sliding-window model's window in tokens (0 without): each sequence holds up to a window's blocks besides its own (ownBlocks) */
  private readonly windowTokens: number;
  /** every layer slides: a sequence holds at most this many tokens' blocks, from admission (0: no bound; ownBlocks) */
  private readonly kvBound: number;
  /** the step's decodeMsPerContextToken and decodeWindowMsPerSequence (decodeOnlyMs) */
  private readonly perContextMs: number;
  private readonly perWindowMs: number;
  private readonly maxSeqs: number;
  private readonly maxBatchedTokens: number;
  private readonly chunkedPrefill: boolean;
  private readonly maxWaiting: number;
  private readonly watermarkFraction: number;
  private readonly mode: ReplicaMode;

  // KV blocks
  private kvBlocks: number;
  /** Latest requested capacity, applied at the next iteration boundary. */
  private capacityRequested: number;
  private capacityChangePending = false;
  private watermarkBlocks: number;
  private allocatedBlocks = 0;
  /**
   * KV blocks the waiting head needs, when admission already found that they do not fit and
   * nothing but free blocks can change that (no prefix entry, no KV tiers, no priorities); -1 when
   * unknown. Any change of the head or of the capacity clears it. While it is known, a plan that
   * still finds too few free blocks stops there without reading the queue or the head's record:
   * at fleet scale those are cold cache lines, read at every iteration of a KV-bound replica.
   */
  private blockedHeadNeed = -1;
  /** 'reserve-output' admission: the running requests' whole footprints (prompt + output), in blocks */
  private readonly reserveOutput: boolean;
  private committedBlocks = 0;

  // queues and batch
  private waitQueue: WaitQueue = new SlotDeque(64);
  /** A request with a priority above 0 arrived: the waiting queue is ordered by priority, preemption picks the lowest (priority.ts). */
  private prioritised = false;
  /** Running sequences whose abort waits for the iteration in flight to end (slot, request id pairs). */
  private pendingAborts: number[] = [];
  /** pendingAborts.length, kept on the replica: every iteration end asks, and the list is one more cold line at fleet scale. */
  private pendingAbortCount = 0;
  private runningCount = 0;
  private runHead = -1;
  private runTail = -1;
  private prefillHead = -1;
  private prefillTail = -1;
  /** Decoding sequences and the sum of their KV contexts (tokens). */
  private decodingSeqs = 0;
  private decodingContextTokens = 0;
  /** Decode iterations completed. */
  private decodeSteps = 0;
  /** Decoding sequences by ((KV context - steps) mod block size). */
  private readonly decodingByResidue: Int32Array;
  private readonly heap = new FinishHeap(64);

  // the iteration in flight
  private busy = false;
  private endEvent = -1;
  /** The iteration-end handler all replicas of a simulator share, and this replica's index in its list. */
  private readonly endHandler: number;
  private readonly endIndex: number;
  private iterStart_ms = 0;
  private iterDuration_ms = 0;
  private iterDecodes = false;
  private iterDecodeSeqs = 0;
  private iterContextTokens = 0;
  private iterPrefillTokens = 0;
  private iterAttentionPairs = 0;
  private iterChunks = 0;
  private iterRecomputeTokens = 0;
  private iterUsedBlocks = 0;
  private tokenBudget = 0;
  /** The iteration's prefill chunks as (slot, tokens) pairs: chunks[2 * i] and chunks[2 * i + 1] (one array, one cold line for the first four). */
  private readonly chunks: Int32Array;

  // inter-token latency: decoding sequences that joined since the last decode iteration, grouped by join time
  /**
   * (join time in ms, sequences) pairs: joinGroupPairs[2 * g] and joinGroupPairs[2 * g + 1] (the
   * count is an exact small integer): one array, so the first groups are one cold line. Room for
   * four groups at first (64 bytes: V8 keeps a typed array that small beside its object); joins
   * between two decode iterations rarely come at more than one time.
   */
  private joinGroupPairs = new Float64Array(8);
  private joinGroups = 0;
  private lastDecodeEnd_ms = 0;

  // decode fusion: iterations still to run after the one in flight before the scheduled end event
  private readonly fuseDecode: boolean;
  private fusedLeft = 0;
  /** decodeInterceptMs of the fused stretch's batch (constant over it) */
  private fusedIntercept_ms = 0;
  /** the fused stretch was planned with nothing blocking admission: an arrival cuts it (submit) */
  private fusedOpen = false;

  /** asynchronous scheduling (ReplicaConfig.async_scheduling) */
  private readonly asyncScheduling: boolean;
  /** the latest submit time admission may take this plan (asynchronous scheduling: the start of the iteration just ended) */
  private admitCutoff_ms = Infinity;
  /** this plan left the waiting head out for arriving after the cutoff */
  private headTooRecent = false;

  /** TGI-style admission hold (null: none) and the decode-step count at the last prefill */
  private readonly hold: AdmissionHold | null;
  private holdBaseStep = 0;
  /** decode steps in one multi-step run (1: every step scheduled; ReplicaConfig.decode_run_steps) */
  private readonly decodeRunSteps: number;

  private isHealthy = true;
  /** Inside the iteration handler or the scheduler (listener callbacks may run). */
  private insideCallbacks = false;

  /** Sequence records, shared by the replicas of a fleet (one per replica when none is given). */
  private readonly slots: SlotPool;
  /** Shared-prefix blocks; null until a request with a prefix arrives. */
  private prefixCache: PrefixCache | null = null;
  /** KV memory below HBM (null: none, and none of its code runs). */
  private readonly kvTiers: KvTiers | null;
  /** Transfers between HBM and the tiers that the next iteration waits for (loads, swaps), ms. */
  private tierTransfer_ms = 0;
  /** The iteration in flight's wait for those transfers (it waits first, then computes), ms. */
  private iterTransfer_ms = 0;
  /**
   * Prompt tokens the iteration in flight found cached: counted when it ends (a prefix hit whose
   * tier fetch outlasts the run saved nothing), as its prefill tokens are.
   */
  private iterCachedTokens = 0;

  constructor(
    private readonly sim: Simulator,
    private readonly step: StepModel,
    cfg: ReplicaConfig,
    private readonly listener: ReplicaListener,
    slots?: SlotPool,
  ) {
    const posInt = (v: number, name: string) => {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name}: expected a positive integer, got ${v}`);
    };
    posInt(cfg.max_num_seqs, 'max_num_seqs');
    posInt(cfg.max_batched_tokens, 'max_batched_tokens');
    posInt(cfg.block_size_tokens, 'block_size_tokens');
    if (!(cfg.max_waiting >= 0)) throw new RangeError(`max_waiting: expected >= 0, got ${cfg.max_waiting}`);
    if (cfg.chunked_prefill && cfg.max_batched_tokens < cfg.max_num_seqs) {
      // vLLM's SchedulerConfig refuses this too: every decoding sequence needs a token of the budget
      throw new RangeError(`max_batched_tokens (${cfg.max_batched_tokens}) must be >= max_num_seqs (${cfg.max_num_seqs}) with chunked prefill`);
    }
    this.blockSize = cfg.block_size_tokens;
    this.windowTokens = step.slidingWindowTokens;
    this.kvBound = step.kvTokensPerSequenceBound;
    this.perContextMs = step.decodeMsPerContextToken;
    this.perWindowMs = step.decodeWindowMsPerSequence;
    this.maxSeqs = cfg.max_num_seqs;
    this.maxBatchedTokens = cfg.max_batched_tokens;
    this.chunkedPrefill = cfg.chunked_prefill;
    this.maxWaiting = cfg.max_waiting;
    this.watermarkFraction = cfg.watermark_fraction ?? 0.01;
    this.fuseDecode = cfg.fuse_decode ?? true;
    this.mode = cfg.mode ?? 'colocated';
    this.reserveOutput = cfg.kv_admission === 'reserve-output' && this.mode === 'colocated';
    this.kvTiers = KvTiers.forReplica(cfg.kv_tiers, step.kvBytesPerToken * this.blockSize, this.counters);
    this.hold = cfg.admission_hold && !cfg.chunked_prefill ? cfg.admission_hold : null;
    if (this.hold && !(this.hold.max_waiting_steps >= 1 && this.hold.waiting_served_ratio >= 0)) {
      throw new RangeError(`admission_hold: expected max_waiting_steps >= 1 and waiting_served_ratio >= 0, got ${this.hold.max_waiting_steps} and ${this.hold.waiting_served_ratio}`);
    }
    this.decodeRunSteps = cfg.decode_run_steps ?? 1;
    this.asyncScheduling = cfg.async_scheduling === true && this.mode !== 'decode';
    posInt(this.decodeRunSteps, 'decode_run_steps');
    if (this.decodeRunSteps > 1 && cfg.chunked_prefill) throw new RangeError(`decode_run_steps (${this.decodeRunSteps}) applies only without chunked prefill`);
    if (!(this.watermarkFraction >= 0 && this.watermarkFraction < 1)) throw new RangeError(`watermark_fraction: expected [0, 1), got ${this.watermarkFraction}`);
    const kvTokens = cfg.kv_capacity_tokens ?? step.kvCapacityTokens;
    this.kvBlocks = this.capacityRequested = this.toBlocksCap(kvTokens);
    this.watermarkBlocks = this.watermarkFor(this.kvBlocks);
    this.decodingByResidue = new Int32Array(this.blockSize);
    this.chunks = new Int32Array(2 * this.maxSeqs);
    this.slots = slots ?? new SlotPool(Math.min(1024, 2 * this.maxSeqs + 64));
    let ends = iterationEnds.get(sim);
    if (!ends) {
      const list: GpuReplica[] = [];
      ends = { handler: sim.on((i) => list[i].onEnd()), list };
      iterationEnds.set(sim, ends);
    }
    this.endHandler = ends.handler;
    this.endIndex = ends.list.push(this) - 1;
  }

  // ---- router-facing, O(1) ----

  get waiting(): number {
    return this.waitQueue.length;
  }
  get running(): number {
    return this.runningCount;
  }
  get outstanding(): number {
    return this.waitQueue.length + this.runningCount;
  }
  get healthy(): boolean {
    return this.isHealthy;
  }
  /** Allocated KV blocks / capacity (1 when the capacity is 0). */
  kvUsedFraction(): number {
    this.flush(this.sim.now_ms);
    return this.kvBlocks > 0 ? this.allocatedBlocks / this.kvBlocks : 1;
  }

  /** Leading blocks of a shared prefix this replica's cache holds now (a router's read-only query). */
  cachedPrefixBlocks(prefixId: number): number {
    return this.prefixCache === null ? 0 : this.prefixCache.leadingBlocks(prefixId);
  }

  /**
   * A restart or a reload (a new boot, a deploy): the cached prefixes no running sequence
   * references are gone. Not counted as evictions: nothing asked for the memory.
   */
  dropCachedPrefixes(): void {
    const cache = this.prefixCache;
    if (cache !== null) cache.evict(cache.evictableBlocks, false);
    this.kvTiers?.clearPrefixes();
  }

  // ---- introspection ----

  get usedBlocks(): number {
    this.flush(this.sim.now_ms);
    return this.allocatedBlocks;
  }
  get capacityBlocks(): number {
    return this.kvBlocks;
  }
  get kvCapacityTokens(): number {
    return this.kvBlocks * this.blockSize;
  }
  get decodeSeqs(): number {
    return this.decodingSeqs;
  }
  get decodeCtxTokens(): number {
    this.flush(this.sim.now_ms);
    return this.decodingContextTokens;
  }
  /** True while an iteration is in flight. */
  get isBusy(): boolean {
    return this.busy;
  }

  // ---- requests ----

  /**
   * Queues a request (FCFS). Prompt and output lengths below 1 are raised to 1 (an encoder
   * request is one prefill producing one result). Rejections are reported synchronously.
   * Throws if the replica has failed: routers must not pick an unhealthy replica.
   * `prefixId` (>= 0) names the shared prefix the prompt starts with, `prefixTokens` its length:
   * its full blocks (short of the prompt's last token, which is always computed) are cacheable.
   * A `chain` (a session's turn, a trace's block ids) replaces them: the prompt starts with its
   * segments; it is read during the call only.
   */
  submit(req: number, promptTokens: number, outputTokens: number, prefixId = -1, prefixTokens = 0, chain: PrefixChain | null = null, priority = 0): number {
    if (!this.isHealthy) throw new Error(`submit of request ${req} to a failed GPU replica (route only to healthy replicas)`);
    const prompt = promptTokens >= 1 ? Math.floor(promptTokens) : 1;
    const out = this.mode === 'prefill' ? 1 : outputTokens >= 1 ? Math.floor(outputTokens) : 1;
    if (this.mode === 'decode' && out < 2) throw new RangeError(`decode-only replica: request ${req} has ${out} output token; its first comes from prefill, so at least 2 are expected`);
    const counters = this.counters;
    counters.submitted++;
    const now = this.sim.now_ms;
    if (this.neverFits(prompt, out, this.capacityRequested)) {
      counters.rejected_too_long++;
      this.listener.rejected(req, now, 'too_long');
      return -1;
    }
    if (this.waitQueue.length >= this.maxWaiting) {
      counters.rejected_queue_full++;
      this.listener.rejected(req, now, 'queue_full');
      return -1;
    }
    const s = this.slots.alloc();
    this.slots.setReq(s, req);
    this.slots.setPrompt(s, prompt);
    this.slots.setOut(s, out);
    // a decode-only replica receives the first token with the KV: prompt + emitted as everywhere
    const emittedBefore = this.mode === 'decode' ? 1 : 0;
    this.slots.setEmitted(s, emittedBefore);
    this.slots.setTarget(s, prompt + emittedBefore);
    this.slots.setPrefilled(s, 0);
    this.slots.setPreempts(s, 0);
    this.slots.setState(s, WAITING);
    this.slots.setSubmitMs(s, now);
    this.slots.setAdmitMs(s, NaN);
    this.setPrefix(s, prompt, prefixId, prefixTokens, chain);
    this.slots.setPriority(s, priority);
    if (priority !== 0 && !this.prioritised) {
      this.prioritised = true;
      this.waitQueue = PriorityWaitQueue.from(this.waitQueue, this.slots);
      this.blockedHeadNeed = -1;
    }
    this.waitQueue.pushBack(s);
    if (this.waitQueue.length > counters.max_waiting) counters.max_waiting = this.waitQueue.length;
    // a request arriving during a fused stretch that nothing blocked joins at the next iteration
    // boundary, as in the per-iteration schedule: the stretch ends at the iteration in flight
    // (by priority, an arrival may go ahead of a head that did not fit, or preempt)
    if ((this.fusedOpen || this.prioritised) && this.fusedLeft > 0) this.cutSpan();
    if (!this.busy) {
      this.insideCallbacks = true;
      try {
        this.plan();
      } finally {
        this.insideCallbacks = false;
      }
    }
    return s;
  }

  /**
   * The replica dies at t_ms (normally sim.now_ms): the iteration in flight is abandoned, every
   * running and waiting request is handed to onLost exactly once (running in admission order,
   * then waiting in queue order), state is cleared, and no further iterations run until
   * restore(). Must not be called from inside a listener callback of this replica.
   */
  fail(t_ms: number, onLost: (req: number) => void): void {
    if (this.insideCallbacks) throw new Error('GpuReplica.fail() called from inside one of its own listener callbacks');
    if (!this.isHealthy) return;
    this.flush(t_ms);
    this.fusedLeft = 0;
    if (this.endEvent >= 0) {
      this.sim.cancel(this.endEvent);
      this.endEvent = -1;
      if (t_ms > this.iterStart_ms) {
        const partial = Math.min(t_ms - this.iterStart_ms, this.iterDuration_ms);
        this.counters.busy_ms += partial;
        if (this.iterPrefillTokens > 0) this.counters.prefill_busy_ms += partial;
      }
      this.endFetches(false);
    }
    const lost: number[] = [];
    for (let s = this.runHead; s >= 0; s = this.slots.runNext(s)) lost.push(this.slots.req(s));
    for (let i = 0; i < this.waitQueue.length; i++) lost.push(this.slots.req(this.waitQueue.at(i)));
    this.clearState();
    this.isHealthy = false;
    this.counters.lost += lost.length;
    for (const req of lost) onLost(req);
  }

  /** Serves again, empty. */
  restore(): void {
    if (this.isHealthy) return;
    this.isHealthy = true;
    if (this.capacityChangePending) this.applyCapacity();
  }

  /**
   * Sets the usable KV cache (e.g. fragmentation or a memory fault). Applied at the next
   * iteration boundary (immediately when idle): running sequences are preempted, most recently
   * admitted first, until the allocated blocks fit. Requests that can no longer fit at all are
   * rejected 'too_long' when they reach the head of the waiting queue.
   */
  setKvCapacityTokens(tokens: number): void {
    if (!(tokens >= 0)) throw new RangeError(`KV capacity: expected >= 0 tokens, got ${tokens}`);
    this.capacityRequested = this.toBlocksCap(tokens);
    this.capacityChangePending = true;
    if (!this.busy) this.applyCapacity();
    else this.cutSpan();
  }

  /** Ends a fused stretch at the iteration now in flight, so the next plan sees a change now. */
  private cutSpan(): void {
    this.flush(this.sim.now_ms);
    if (this.fusedLeft === 0 || this.endEvent < 0) return;
    this.fusedLeft = 0;
    this.sim.cancel(this.endEvent);
    this.endEvent = this.sim.at(this.iterStart_ms + this.iterDuration_ms, this.endHandler, this.endIndex);
  }

  // ---- the scheduler ----

  /** Plans the next iteration and schedules its end; goes idle when there is nothing to run. */
  private plan(): void {
    if (this.capacityChangePending) this.applyCapacity();
    // Asynchronous scheduling planned this iteration when the one just ended began (plan() runs
    // from onEnd with busy set): what arrived since waits for the next. From idle, no cutoff.
    this.admitCutoff_ms = this.asyncScheduling && this.busy ? this.iterStart_ms : Infinity;
    this.headTooRecent = false;
    this.busy = true;
    this.iterPrefillTokens = 0;
    this.iterAttentionPairs = 0;
    this.iterChunks = 0;
    this.iterRecomputeTokens = 0;
    this.tokenBudget = this.maxBatchedTokens;
    const preemptedBefore = this.counters.preemptions;
    if (this.prioritised) this.preemptForPriority();
    if (this.mode === 'decode') this.admitTransferred();
    const planned = this.planBatch();
    const decode = (planned & PLANNED_DECODE) !== 0, held = (planned & PLANNED_HELD) !== 0;
    if (!decode && this.iterChunks === 0) {
      this.busy = false;
      if (this.runningCount > 0 || this.waitQueue.length > 0) {
        throw new Error(`GpuReplica stalled with ${this.runningCount} running and ${this.waitQueue.length} waiting (internal error)`);
      }
      return;
    }
    const decoding = decode ? this.decodingSeqs : 0;
    const context = decode ? this.decodingContextTokens : 0;
    // a decode-only step as the line planSpan and fusedStep use, so fused and plain agree exactly
    let dur = this.iterPrefillTokens === 0 ? this.decodeOnlyMs(this.step.decodeInterceptMs(decoding), decoding, context) : this.step.stepTimeMs(this.iterPrefillTokens, this.iterAttentionPairs, decoding, context);
    this.iterTransfer_ms = this.tierTransfer_ms > 0 ? this.takeTierTransfer() : 0;
    dur += this.iterTransfer_ms;
    this.iterDecodes = decode;
    this.iterDecodeSeqs = decoding;
    this.iterContextTokens = context;
    this.iterDuration_ms = dur;
    this.iterStart_ms = this.sim.now_ms;
    this.iterUsedBlocks = this.allocatedBlocks;
    const counters = this.counters;
    const kvTok = this.allocatedBlocks * this.blockSize;
    if (kvTok > counters.max_kv_used_tokens) counters.max_kv_used_tokens = kvTok;
    if (this.runningCount > counters.max_running) counters.max_running = this.runningCount;
    let end = this.sim.now_ms + dur;
    this.fusedLeft = 0;
    // Fuse when admission is blocked in a way that lasts (the head does not fit, the batch or the
    // budget is full), or when nothing waits at all: then only an arrival could change the next
    // plan, and submit cuts the stretch when one comes (spanOpen).
    const blocked = this.blockedHeadNeed >= 0 || this.waitQueue.length > 0 || this.runningCount >= this.maxSeqs || (this.chunkedPrefill && this.tokenBudget <= 0);
    this.fusedOpen = false;
    // a head left out for arriving late joins the next iteration: not fused past it
    if (decode && !held && !this.headTooRecent && this.iterChunks === 0 && this.fuseDecode && this.debug === null && counters.preemptions === preemptedBefore &&
        (blocked || this.waitQueue.length === 0)) {
      this.fusedOpen = !blocked;
      end = this.planSpan(end);
    }
    this.endEvent = this.sim.at(end, this.endHandler, this.endIndex);
    if (this.debug?.planned) this.debug.planned(this);
  }

  /** The iteration's decodes and prefill chunks (plan): PLANNED_DECODE if it decodes, PLANNED_HELD if the admission hold kept the waiting prompts out (bits: no object a step). */
  private planBatch(): number {
    let decode = false, held = false;
    if (this.chunkedPrefill) {
      if (this.decodingSeqs > 0) {
        this.reserveDecode();
        decode = this.decodingSeqs > 0;
        this.tokenBudget -= this.decodingSeqs;
      }
      // chunks of prompts already running, in admission order
      for (let s = this.prefillHead; s >= 0 && this.tokenBudget > 0; s = this.slots.pfNext(s)) {
        const rest = this.slots.target(s) - this.slots.prefilled(s);
        this.addChunk(s, rest < this.tokenBudget ? rest : this.tokenBudget);
      }
      this.admit(true);
    } else {
      held = this.admitUnlessHeld();
      if (this.iterChunks === 0 && this.decodingSeqs > 0) {
        this.reserveDecode();
        decode = this.decodingSeqs > 0;
        if (!decode) this.admit(false);
      }
    }
    if (!decode && this.iterChunks === 0 && this.headTooRecent) {
      // nothing else to run: the asynchronous scheduler had no iteration planned, and takes the head now
      this.admitCutoff_ms = Infinity;
      this.headTooRecent = false;
      if (this.chunkedPrefill) this.admit(true);
      else held = this.admitUnlessHeld();
    }
    return (decode ? PLANNED_DECODE : 0) | (held ? PLANNED_HELD : 0);
  }

  /**
   * Decode fusion. This iteration decodes only, and admission is blocked in a way that lasts: the
   * waiting head does not fit in the KV cache (free blocks only shrink while nothing finishes),
   * the batch is at max_num_seqs, or decodes take the whole token budget; arrivals only join the
   * queue's tail. Then every following iteration is the same decode step one token longer, until
   * one finishes a sequence or would need a preemption. Those iterations run as one event: their
   * times are the same sums the per-iteration events would compute, and `flush` applies them
   * (counters, KV blocks, inter-token gaps) whenever anything looks at the replica in between.
   * Returns the end time of the last fused iteration.
   */
  private planSpan(end: number): number {
    const blockSize = this.blockSize, decoding = this.decodingSeqs, steps = this.decodeSteps, top = this.nextFinishStep;
    const byResidue = this.decodingByResidue, grows = this.kvBound === 0; // decodeGrowth, inline: the hottest loop
    let used = this.allocatedBlocks, context = this.decodingContextTokens, n = 0;
    const intercept = this.step.decodeInterceptMs(decoding), perContext = this.perContextMs, perWindow = this.perWindowMs, window = this.windowTokens;
    this.fusedIntercept_ms = intercept;
    while (n < MAX_SPAN && top > steps + n) {
      const need = grows ? byResidue[(blockSize - ((steps + n + 1) % blockSize)) % blockSize] : 0;
      if (need > this.kvBlocks - used) break;
      used += need;
      context += decoding;
      // decodeOnlyMs, inline: the hottest loop of a run
      end += window > 0 ? intercept + perContext * context + perWindow * Math.min(decoding, context / window) : intercept + perContext * context;
      n++;
    }
    this.fusedLeft = n;
    return end;
  }

  /** Runs the fused iterations that ended by t_ms (none of them finishes, admits or preempts anything). */
  private flush(t_ms: number): void {
    if (this.fusedLeft === 0 || this.iterStart_ms + this.iterDuration_ms > t_ms) return;
    // the iteration in flight may carry sequences that joined decode at its start: the general path
    this.fusedStep();
    if (this.fusedLeft > 0 && this.iterStart_ms + this.iterDuration_ms <= t_ms) this.fusedRun(t_ms);
  }

  /**
   * The fused iterations after the first that ended by t_ms, in one loop over local variables:
   * each is a decode-only step of the same decoding sequences with nobody joining, finishing or waiting
   * on it, so finishIteration and fusedStep reduce to these sums. They are the same floating-point
   * operations in the same order as the per-iteration path (the fused-vs-plain tests compare every
   * counter exactly); integer counters are added once (exact below 2^53).
   */
  private fusedRun(t_ms: number): void {
    const step = this.step, itl = this.itl, byResidue = this.decodingByResidue, grows = this.kvBound === 0; // decodeGrowth, inline
    const blockSize = this.blockSize, decoding = this.decodingSeqs, intercept = this.fusedIntercept_ms;
    const perContext = this.perContextMs, perWindow = this.perWindowMs, window = this.windowTokens;
    let left = this.fusedLeft, start = this.iterStart_ms, dur = this.iterDuration_ms, usedAtStart = this.iterUsedBlocks;
    let used = this.allocatedBlocks, context = this.decodingContextTokens, steps = this.decodeSteps, lastEnd = this.lastDecodeEnd_ms;
    let busy = this.pendingBusy_ms, kv = this.pendingKvTokenMs, flops = this.pendingFlops, bytes = this.pendingBytes;
    let done = 0;
    while (left > 0 && start + dur <= t_ms) {
      const t = start + dur;
      // finishIteration of a decode-only step with no joiners and no finishes
      busy += dur;
      kv += usedAtStart * blockSize * dur;
      flops += step.stepFlops(0, 0, decoding, context);
      bytes += step.stepBytes(0, 0, decoding, context);
      if (itl !== null) itl.addWeighted(t - lastEnd, decoding);
      lastEnd = t;
      steps++;
      context += decoding;
      // fusedStep: the next iteration's blocks and duration
      if (grows) used += byResidue[(blockSize - (steps % blockSize)) % blockSize];
      dur = window > 0 ? intercept + perContext * context + perWindow * Math.min(decoding, context / window) : intercept + perContext * context;
      start = t;
      usedAtStart = used;
      left--;
      done++;
    }
    this.pendingBusy_ms = busy;
    this.pendingKvTokenMs = kv;
    this.pendingFlops = flops;
    this.pendingBytes = bytes;
    this.pendingIterations += done;
    this.pendingBatchSeqs += done * decoding;
    this.pendingDecodeTokens += done * decoding;
    this.fusedLeft = left;
    this.iterStart_ms = start;
    this.iterDuration_ms = dur;
    this.iterContextTokens = context;
    this.iterUsedBlocks = usedAtStart;
    this.allocatedBlocks = used;
    // blocks only grew over these iterations and nothing was looked up: one trim evicts what one per iteration would
    this.trimCache();
    this.decodingContextTokens = context;
    this.decodeSteps = steps;
    this.lastDecodeEnd_ms = lastEnd;
    // blocks only grow during a stretch: its last iteration holds the most
    const kvTok = used * blockSize;
    if (kvTok > this.counters.max_kv_used_tokens) this.counters.max_kv_used_tokens = kvTok;
  }

  private fusedStep(): void {
    const t = this.iterStart_ms + this.iterDuration_ms;
    this.finishIteration(t);
    this.fusedLeft--;
    const blockSize = this.blockSize;
    this.allocatedBlocks += this.decodeGrowth((blockSize - (this.decodeSteps % blockSize)) % blockSize);
    this.trimCache();
    const decoding = this.decodingSeqs, context = this.decodingContextTokens;
    this.iterContextTokens = context;
    this.iterDuration_ms = this.decodeOnlyMs(this.fusedIntercept_ms, decoding, context);
    this.iterStart_ms = t;
    this.iterUsedBlocks = this.allocatedBlocks;
    const kvTok = this.allocatedBlocks * blockSize;
    if (kvTok > this.counters.max_kv_used_tokens) this.counters.max_kv_used_tokens = kvTok;
  }

  /**
   * Admission without chunking, unless the hold keeps the waiting prompts out (then true). A held
   * iteration is not fused with the next ones: the hold opens after a number of steps or at an
   * arrival, so those iterations run one by one.
   */
  private admitUnlessHeld(): boolean {
    if (this.holdsAdmission()) return true;
    this.admit(false);
    if (this.iterChunks > 0) this.holdBaseStep = this.decodeSteps;
    return false;
  }

  /** Whether the admission hold keeps the waiting prompts out of the running batch this iteration (AdmissionHold). */
  private holdsAdmission(): boolean {
    const h = this.hold;
    if (this.runningCount === 0 || this.waitQueue.length === 0) return false;
    // multi-step: the runs of decode steps are counted from the last prefill
    if ((this.decodeSteps - this.holdBaseStep) % this.decodeRunSteps !== 0) return true;
    if (h === null) return false;
    // TGI's counter is 1 right after a prefill and grows by one per decode step before it is compared
    if (this.decodeSteps - this.holdBaseStep + 1 >= h.max_waiting_steps) return false;
    return this.waitQueue.length < Math.floor(this.runningCount * h.waiting_served_ratio);
  }

  /** Admits from the waiting head while budget, max_num_seqs and KV blocks allow. */
  private admit(chunked: boolean): void {
    if (this.blockedHeadNeed >= 0 && this.kvBlocks - this.allocatedBlocks - this.blockedHeadNeed < this.watermarkBlocks) return;
    const now = this.sim.now_ms;
    while (this.waitQueue.length > 0 && this.runningCount < this.maxSeqs && (chunked ? this.tokenBudget > 0 : true)) {
      const s = this.waitQueue.peekFront();
      // a transferred sequence not yet admitted joins through admitTransferred, never by a prefill
      if (this.mode === 'decode' && this.slots.preempts(s) === 0) break;
      if (this.slots.submit_ms(s) > this.admitCutoff_ms) {
        this.headTooRecent = true;
        break;
      }
      if (this.neverFits(this.slots.prompt(s), this.slots.out(s), this.kvBlocks)) {
        this.rejectHeadTooLong(s, now);
        continue;
      }
      const target = this.slots.target(s);
      const entry = this.slots.prefixEntry(s);
      // cached prefix blocks this admission can reuse, and the evictable ones it would pin
      let hitBlocks = 0, pinned = 0;
      if (entry >= 0) {
        const cache = this.prefixCache!;
        const cached = cache.usableBlocks(entry);
        hitBlocks = cached < this.slots.prefixBlocks(s) ? cached : this.slots.prefixBlocks(s);
        pinned = cache.pinCost(entry);
      }
      // with tiers: a hit may reach blocks in host or NVMe memory; a swapped-out sequence brings back its own blocks
      const loaded = this.kvTiers === null || hitBlocks === 0 ? 0 : this.prefixCache!.lowerBlocksWithin(entry, hitBlocks);
      const swapped = this.kvTiers === null ? 0 : this.kvTiers.swappedBlocks(s, hitBlocks === this.slots.prefixBlocks(s));
      const hitTokens = swapped > 0 ? target - 1 : hitBlocks * this.blockSize;
      const rest = target - hitTokens;
      if (!chunked && rest > this.tokenBudget) {
        // a prompt longer than the whole budget runs alone; otherwise wait for the next iteration
        if (!(this.iterChunks === 0 && rest > this.maxBatchedTokens)) break;
      }
      const need = this.ownBlocks(target, this.finalTokens(s)) - hitBlocks + loaded;
      if (this.kvBlocks - this.allocatedBlocks - need - pinned < this.watermarkBlocks) {
        if (entry < 0 && this.kvTiers === null && !this.prioritised) this.blockedHeadNeed = need;
        break;
      }
      const footprint = this.reserveOutput ? this.ownBlocks(this.finalTokens(s), this.finalTokens(s)) : 0;
      if (this.reserveOutput && this.kvBlocks - this.committedBlocks - footprint < this.watermarkBlocks) break;
      this.committedBlocks += footprint;
      this.waitQueue.popFront();
      this.blockedHeadNeed = -1;
      this.slots.setState(s, PREFILL);
      this.slots.setPrefilled(s, hitTokens);
      this.allocatedBlocks += need;
      if (entry >= 0) this.pinPrefix(s, entry, hitBlocks);
      if (this.kvTiers !== null) this.tierTransfer_ms += this.loadFromTiers(s, entry, hitBlocks, loaded, swapped);
      this.trimCache();
      this.runningCount++;
      if (this.slots.admit_ms(s) !== this.slots.admit_ms(s)) this.slots.setAdmitMs(s, now); // NaN: first admission
      this.linkRunTail(s);
      this.linkPfTail(s);
      this.addChunk(s, chunked && rest > this.tokenBudget ? this.tokenBudget : rest);
      // a swapped-in sequence's one-token pass samples its next token: it recomputes nothing
      if (swapped > 0) this.iterRecomputeTokens--;
    }
  }

  /** Counts the prefix hits and tier transfers of the iteration in flight as it ends, or forgets them when it is abandoned (a failure). */
  private endFetches(ended: boolean): void {
    if (ended) this.counters.cached_prompt_tokens += this.iterCachedTokens;
    this.iterCachedTokens = 0;
    this.kvTiers?.endFetches(ended);
  }

  /** The loads and swaps the iteration being planned waits for (synchronous transfers, see docs/kv-tiers.md), ms. */
  private takeTierTransfer(): number {
    const ms = this.tierTransfer_ms;
    this.tierTransfer_ms = 0;
    return ms;
  }

  /** The admitted s brings back its swapped KV, or the lower-tier blocks of its prefix hit; returns the transfer time, ms. */
  private loadFromTiers(s: number, entry: number, hitBlocks: number, loaded: number, swapped: number): number {
    const tiers = this.kvTiers!;
    let ms = swapped > 0 ? tiers.swapIn(s) : 0;
    if (loaded > 0) {
      this.prefixCache!.loadFromTiers(entry, hitBlocks, this.blockSize);
      ms += tiers.takeTransfer();
    }
    return ms;
  }

  /** The waiting head s can no longer fit, even alone: it leaves rejected. */
  private rejectHeadTooLong(s: number, now: number): void {
    this.waitQueue.popFront();
    this.blockedHeadNeed = -1;
    const req = this.slots.req(s);
    this.releaseSlot(s);
    this.counters.rejected_too_long++;
    this.listener.rejected(req, now, 'too_long');
  }

  /** Records the request's cacheable prefix (none when it has not a single full block to share). */
  private setPrefix(s: number, prompt: number, prefixId: number, prefixTokens: number, chain: PrefixChain | null): void {
    // every layer slides (kvBound): prefix reuse is not modelled, its blocks being counted apart from the window's a sequence holds
    const chained = chain !== null && chain.length > 0 && this.kvBound === 0;
    if (chained) prefixTokens = chain.endTokens[chain.length - 1];
    let blocks = (prefixId >= 0 && this.kvBound === 0) || chained ? cacheablePrefixBlocks(prompt, prefixTokens, this.blockSize) : 0;
    let entry = -1;
    // a chain gets its entries even with no block to reuse yet: a session's first turn leaves its blocks there
    if (blocks > 0 || chained) {
      this.prefixCache ??= new PrefixCache(this.kvTiers);
      entry = chained ? this.prefixCache.entryForChain(chain, this.blockSize, blocks) : this.prefixCache.entryFor(prefixId);
    }
    if (entry < 0) blocks = 0;
    this.slots.setPrefixBlocks(s, blocks);
    this.slots.setSharedBlocks(s, 0);
    this.slots.setPrefixEntry(s, entry);
  }

  /**
   * A finished turn of a conversation leaves its full blocks (prompt and answer) in the cache for
   * the next turn, which starts with them (vLLM caches every full block, generated ones included).
   * Only for a chain whose last segment grows turn by turn (a session's).
   */
  private keepConversation(s: number, kvTokens: number): void {
    const entry = this.slots.prefixEntry(s);
    if (entry < 0 || !this.prefixCache!.growsByTurn(entry)) return;
    const added = this.prefixCache!.adopt(entry, Math.floor(kvTokens / this.blockSize));
    this.slots.setSharedBlocks(s, this.slots.sharedBlocks(s) + added);
  }

  /** An admitted sequence references its prefix's entry and reuses its first hitBlocks blocks. */
  private pinPrefix(s: number, entry: number, hitBlocks: number): void {
    this.allocatedBlocks += this.prefixCache!.pin(entry);
    this.slots.setSharedBlocks(s, hitBlocks);
    this.iterCachedTokens += hitBlocks * this.blockSize;
  }

  /** A sequence leaving the running batch gives back its own blocks of a KV holding `tokens`, and its pin. */
  private releaseBlocks(s: number, tokens: number): void {
    this.allocatedBlocks -= this.ownBlocks(tokens, this.finalTokens(s)) - this.slots.sharedBlocks(s);
    if (this.reserveOutput) this.committedBlocks -= this.ownBlocks(this.finalTokens(s), this.finalTokens(s));
    const entry = this.slots.prefixEntry(s);
    if (entry >= 0) {
      this.allocatedBlocks -= this.prefixCache!.unpin(entry);
      this.slots.setSharedBlocks(s, 0);
    }
  }

  /** Evicts unpinned prefix blocks while allocated + evictable blocks exceed the capacity. */
  private trimCache(): void {
    const cache = this.prefixCache;
    if (cache === null) return;
    const over = this.allocatedBlocks + cache.evictableBlocks - this.kvBlocks;
    if (over > 0) this.counters.prefix_evicted_blocks += cache.evict(over);
  }

  private addChunk(s: number, c: number): void {
    const n = this.iterChunks++;
    this.chunks[2 * n] = s;
    this.chunks[2 * n + 1] = c;
    this.iterPrefillTokens += c;
    this.iterAttentionPairs += c * (this.slots.prefilled(s) + c / 2);
    if (this.slots.emitted(s) > 0) this.iterRecomputeTokens += c;
    this.tokenBudget -= c;
    // vLLM V1 caches a prefix block when the iteration that fills it is scheduled: a request
    // admitted after this one, in this iteration or a later one, reuses it (each layer writes the
    // iteration's KV before its attention reads it), instead of computing it a second time
    const entry = this.slots.prefixEntry(s);
    if (entry >= 0) {
      const filled = Math.floor((this.slots.prefilled(s) + c) / this.blockSize);
      const blocks = filled < this.slots.prefixBlocks(s) ? filled : this.slots.prefixBlocks(s);
      this.slots.setSharedBlocks(s, this.slots.sharedBlocks(s) + this.prefixCache!.adopt(entry, blocks));
    }
  }

  /** Allocates this decode step's new blocks, preempting the most recent sequences until they fit. */
  private reserveDecode(): void {
    const blockSize = this.blockSize;
    const idx = (blockSize - (this.decodeSteps % blockSize)) % blockSize;
    while (this.decodeGrowth(idx) > this.kvBlocks - this.allocatedBlocks) this.preempt(this.victim());
    this.allocatedBlocks += this.decodeGrowth(idx);
    this.trimCache();
  }

  /** The sequence preemption takes: the most recently admitted; by priority, the most recently admitted of the lowest priority. */
  private victim(): number {
    let v = this.runTail;
    if (v < 0) throw new Error('GpuReplica: nothing left to preempt (internal error)');
    if (!this.prioritised) return v;
    for (let s = this.slots.runPrev(v); s >= 0; s = this.slots.runPrev(s)) if (this.slots.priority(s) > this.slots.priority(v)) v = s;
    return v;
  }

  /** Preempts running sequence s by recompute: it frees its blocks and goes back to the waiting head. */
  private preempt(s: number): void {
    const state = this.slots.state(s);
    // a first pass cut short is wasted work too (a recompute pass is already counted per chunk);
    // until its prefill completes, a sequence's shared blocks are the ones it found cached, not computed
    if (state === PREFILL && this.slots.emitted(s) === 0) this.counters.recompute_tokens += this.slots.prefilled(s) - this.slots.sharedBlocks(s) * this.blockSize;
    const joinedThisStep = state === DECODE && this.slots.joinGen(s) === this.decodeSteps;
    const sharedBlocks = this.slots.sharedBlocks(s);
    const left = this.leaveBatch(s);
    if (state === DECODE) {
      const emitted = this.slots.out(s) - left;
      this.slots.setEmitted(s, emitted);
      this.slots.setTarget(s, this.slots.prompt(s) + emitted);
      this.slots.setLastTokenMs(s, joinedThisStep ? this.slots.join_ms(s) : this.lastDecodeEnd_ms);
      this.slots.bumpEpoch(s); // its finish-heap entry is now stale
    }
    // by swap: its own blocks of the KV written so far (prompt + emitted - 1 tokens) go to host memory, if they fit there;
    // its shared prefix blocks stay in the prefix cache
    if (state === DECODE && this.kvTiers !== null && this.kvTiers.swapOnPreempt) {
      const written = this.kvBound > 0 ? this.ownBlocks(0, this.finalTokens(s)) : this.blocksFor(this.slots.target(s) - 1);
      const ms = this.kvTiers.swapOut(s, written - sharedBlocks);
      if (ms >= 0) this.tierTransfer_ms += ms;
    }
    this.slots.setState(s, WAITING);
    this.slots.setPrefilled(s, 0);
    this.slots.setPreempts(s, this.slots.preempts(s) + 1);
    this.counters.preemptions++;
    this.waitQueue.pushFront(s);
    this.blockedHeadNeed = -1;
  }

  /** Takes running sequence s out of the batch and gives back its blocks; returns the output tokens it still had to produce. */
  private leaveBatch(s: number): number {
    this.unlinkRun(s);
    this.runningCount--;
    if (this.slots.state(s) === PREFILL) {
      this.releaseBlocks(s, this.slots.target(s));
      this.unlinkPf(s);
      return this.slots.out(s) - this.slots.emitted(s);
    }
    const steps = this.decodeSteps;
    const base = this.slots.base(s);
    const kv = base + steps;
    this.releaseBlocks(s, kv);
    this.decodingSeqs--;
    this.decodingContextTokens -= kv;
    this.decodingByResidue[this.residue(base)]--;
    if (this.slots.joinGen(s) === steps) this.groupRemove(this.slots.join_ms(s));
    return this.slots.finish(s) - steps + 1;
  }

  /**
   * vLLM's priority preemption (`_schedule_priority_preemption`): while the waiting head cannot be
   * admitted (KV blocks or max_num_seqs) and a running sequence has a lower priority (a higher
   * value), that sequence is preempted. The head's need ignores a prefix-cache hit (conservative).
   */
  private preemptForPriority(): void {
    if (this.waitQueue.length === 0) return;
    const head = this.waitQueue.peekFront();
    const need = this.ownBlocks(this.slots.target(head), this.finalTokens(head));
    while (this.runningCount > 0 && (this.runningCount >= this.maxSeqs || this.kvBlocks - this.allocatedBlocks - need < this.watermarkBlocks)) {
      const v = this.victim();
      if (this.slots.priority(v) <= this.slots.priority(head)) return;
      this.preempt(v);
    }
  }

  // ---- cancellation ----

  /**
   * Aborts request `req`, held in slot `s` (what submit returned), as vLLM does when its client
   * disconnects: a waiting request leaves the queue now; a running one leaves the batch when the
   * iteration in flight ends (vLLM applies aborts between steps) and frees its KV blocks. Then
   * listener.aborted; a request that finishes in that iteration finishes instead.
   */
  abort(s: number, req: number): void {
    if (s < 0 || this.slots.req(s) !== req || this.slots.state(s) === FREE) return;
    if (this.slots.state(s) === WAITING) return this.abortNow(s, req, this.sim.now_ms);
    this.pendingAborts.push(s, req);
    this.pendingAbortCount = this.pendingAborts.length;
    this.cutSpan();
  }

  /** The aborts of running sequences, at the end of the iteration they were in. */
  private applyAborts(t: number): void {
    const list = this.pendingAborts;
    for (let i = 0; i < list.length; i += 2) {
      const s = list[i], req = list[i + 1];
      // it may have finished in that iteration (then it is gone), or been preempted since
      if (this.slots.req(s) === req && this.slots.state(s) !== FREE) this.abortNow(s, req, t);
    }
    list.length = 0;
    this.pendingAbortCount = 0;
  }

  private abortNow(s: number, req: number, t: number): void {
    const state = this.slots.state(s);
    if (state === WAITING && !this.waitQueue.remove(s)) return;
    if (state === WAITING) this.blockedHeadNeed = -1;
    this.counters.aborted++;
    this.counters.aborted_output_tokens += state === WAITING ? this.slots.out(s) - this.slots.emitted(s) : this.leaveBatch(s);
    this.releaseSlot(s);
    this.listener.aborted?.(req, t);
  }

  private applyCapacity(): void {
    this.capacityChangePending = false;
    this.kvBlocks = this.capacityRequested;
    this.watermarkBlocks = this.watermarkFor(this.kvBlocks);
    this.blockedHeadNeed = -1;
    while (this.allocatedBlocks > this.kvBlocks) this.preempt(this.victim());
    this.trimCache();
  }

  // ---- the end of an iteration ----

  /** @internal the shared iteration-end handler's target */
  onEnd(): void {
    this.endEvent = -1;
    this.insideCallbacks = true;
    try {
      this.flush(Infinity);
      this.finishIteration(this.sim.now_ms);
      if (this.pendingAbortCount > 0) this.applyAborts(this.sim.now_ms);
      if (this.runningCount > 0 || this.waitQueue.length > 0) this.plan();
      else this.busy = false;
    } finally {
      this.insideCallbacks = false;
    }
  }

  private finishIteration(t: number): void {
    const decoding = this.iterDecodeSeqs;
    this.pendingBusy_ms += this.iterDuration_ms;
    this.pendingIterations++;
    this.pendingBatchSeqs += decoding + this.iterChunks;
    this.pendingDecodeTokens += decoding;
    this.pendingPrefillTokens += this.iterPrefillTokens;
    this.pendingRecomputeTokens += this.iterRecomputeTokens;
    this.endFetches(true);
    this.pendingKvTokenMs += this.iterUsedBlocks * this.blockSize * this.iterDuration_ms;
    const flops = this.step.stepFlops(this.iterPrefillTokens, this.iterAttentionPairs, decoding, this.iterContextTokens);
    const bytes = this.step.stepBytes(this.iterPrefillTokens, this.iterAttentionPairs, decoding, this.iterContextTokens);
    this.pendingFlops += flops;
    this.pendingBytes += bytes;
    // busy time by kind for the power model (fused runs decode only, so they never add here)
    if (this.iterPrefillTokens > 0) {
      const c = this.counters;
      c.prefill_busy_ms += this.iterDuration_ms;
      c.prefill_flops += flops;
      c.prefill_bytes += bytes;
    }
    const debugToken = this.debug?.token;

    if (this.iterDecodes) {
      const stepsBefore = this.decodeSteps;
      const itl = this.itl;
      if (itl !== null) {
        let joined = 0;
        const groups = this.joinGroupPairs;
        for (let g = 0; g < this.joinGroups; g++) {
          const c = groups[2 * g + 1];
          if (c > 0) {
            itl.addWeighted(t - groups[2 * g], c);
            joined += c;
          }
        }
        if (decoding > joined) itl.addWeighted(t - this.lastDecodeEnd_ms, decoding - joined);
      }
      if (debugToken) {
        for (let s = this.runHead; s >= 0; s = this.slots.runNext(s)) if (this.slots.state(s) === DECODE) debugToken(this.slots.req(s), t);
      }
      this.joinGroups = 0;
      this.lastDecodeEnd_ms = t;
      this.decodeSteps = stepsBefore + 1;
      this.decodingContextTokens += this.decodingSeqs;
      if (this.nextFinishStep <= stepsBefore) {
        const heap = this.heap;
        while (heap.topKey() <= stepsBefore) {
          const s = heap.topSlot();
          const e = heap.topEpoch();
          heap.pop();
          if (this.slots.epoch(s) === e) this.finishDecode(s, t);
        }
        this.nextFinishStep = heap.topKey();
      }
    }

    for (let i = 0; i < this.iterChunks; i++) {
      const s = this.chunks[2 * i];
      this.slots.setPrefilled(s, this.slots.prefilled(s) + this.chunks[2 * i + 1]);
      if (this.slots.prefilled(s) === this.slots.target(s)) this.completePrefill(s, t, debugToken);
    }
  }

  /** The last decode step of s has run (steps already counts it). */
  private finishDecode(s: number, t: number): void {
    const base = this.slots.base(s);
    const kv = base + this.decodeSteps;
    this.keepConversation(s, kv);
    this.releaseBlocks(s, kv);
    this.decodingSeqs--;
    this.decodingContextTokens -= kv;
    this.decodingByResidue[this.residue(base)]--;
    this.unlinkRun(s);
    this.runningCount--;
    this.counters.completed++;
    const req = this.slots.req(s);
    const pre = this.slots.preempts(s);
    const delay = this.slots.admit_ms(s) - this.slots.submit_ms(s);
    this.releaseSlot(s);
    this.listener.done(req, t, pre, delay);
  }

  /** The prompt (or recomputed prompt + output) of s is in the KV cache; one token is sampled. */
  private completePrefill(s: number, t: number, debugToken: ((req: number, t_ms: number) => void) | undefined): void {
    this.unlinkPf(s);
    const req = this.slots.req(s);
    const prev = this.slots.emitted(s);
    const emitted = prev + 1;
    const out = this.slots.out(s);
    this.counters.output_tokens++;
    if (debugToken) debugToken(req, t);
    if (prev > 0 && this.itl !== null) this.itl.add(t - this.slots.lastToken_ms(s));
    const entry = this.slots.prefixEntry(s);
    // its prefix blocks are computed: those the cache lacks become the cache's (still pinned, so allocated is unchanged)
    if (entry >= 0) this.slots.setSharedBlocks(s, this.slots.sharedBlocks(s) + this.prefixCache!.adopt(entry, this.slots.prefixBlocks(s)));
    if (emitted >= out) {
      this.keepConversation(s, this.slots.target(s));
      this.releaseBlocks(s, this.slots.target(s));
      this.unlinkRun(s);
      this.runningCount--;
      this.counters.completed++;
      const pre = this.slots.preempts(s);
      const delay = this.slots.admit_ms(s) - this.slots.submit_ms(s);
      this.releaseSlot(s);
      if (prev === 0) this.listener.firstToken(req, t);
      this.listener.done(req, t, pre, delay);
      return;
    }
    this.joinDecode(s, t, this.slots.target(s), emitted);
    if (prev === 0) this.listener.firstToken(req, t);
  }

  /** s, whose KV holds `kvTokens` and which has emitted `emitted` tokens, decodes from the next iteration on. */
  private joinDecode(s: number, t: number, kvTokens: number, emitted: number): void {
    const steps = this.decodeSteps;
    this.slots.setEmitted(s, emitted);
    this.slots.setState(s, DECODE);
    this.slots.setBase(s, kvTokens - steps);
    this.slots.setFinish(s, steps + (this.slots.out(s) - emitted) - 1);
    this.slots.setJoinGen(s, steps);
    this.slots.setJoinMs(s, t);
    this.decodingByResidue[this.residue(kvTokens - steps)]++;
    this.decodingSeqs++;
    this.decodingContextTokens += kvTokens;
    this.heap.push(this.slots.finish(s), s, this.slots.epoch(s));
    if (this.slots.finish(s) < this.nextFinishStep) this.nextFinishStep = this.slots.finish(s);
    this.groupAdd(t);
  }

  /**
   * Decode-only mode: sequences whose prompt KV came over the link join the decode batch from the
   * waiting head, in order, while the batch and the KV cache (watermark kept) take them. They hold
   * the prompt's KV (the first token's is written by their first step here) and decode in this
   * very iteration. One preempted here recomputes its KV through admit() like any other.
   */
  private admitTransferred(): void {
    const now = this.sim.now_ms;
    while (this.waitQueue.length > 0 && this.runningCount < this.maxSeqs) {
      const s = this.waitQueue.peekFront();
      if (this.slots.preempts(s) > 0) return;
      if (this.neverFits(this.slots.prompt(s), this.slots.out(s), this.kvBlocks)) {
        // the cache shrank below what it needs since submit (a memory fault)
        this.rejectHeadTooLong(s, now);
        continue;
      }
      const kvTokens = this.slots.prompt(s);
      const need = this.ownBlocks(kvTokens, this.finalTokens(s));
      if (this.kvBlocks - this.allocatedBlocks - need < this.watermarkBlocks) return;
      this.waitQueue.popFront();
      this.blockedHeadNeed = -1;
      this.allocatedBlocks += need;
      this.runningCount++;
      this.slots.setAdmitMs(s, now);
      this.linkRunTail(s);
      this.joinDecode(s, now, kvTokens, 1);
    }
  }

  // ---- inter-token-latency join groups ----

  private groupAdd(t: number): void {
    const n = this.joinGroups;
    let groups = this.joinGroupPairs;
    if (n > 0 && groups[2 * n - 2] === t) {
      groups[2 * n - 1]++;
      return;
    }
    if (2 * n === groups.length) {
      const grown = new Float64Array(2 * groups.length);
      grown.set(groups);
      this.joinGroupPairs = groups = grown;
    }
    groups[2 * n] = t;
    groups[2 * n + 1] = 1;
    this.joinGroups = n + 1;
  }

  private groupRemove(t: number): void {
    const groups = this.joinGroupPairs;
    for (let g = this.joinGroups - 1; g >= 0; g--) {
      if (groups[2 * g] === t && groups[2 * g + 1] > 0) {
        groups[2 * g + 1]--;
        return;
      }
    }
  }

  // ---- helpers ----

  /**
   * New blocks a decode step takes: one for each decoding sequence whose base has this residue
   * (its context reaches a block boundary), none where every layer slides (kvBound: a sequence's
   * blocks were all taken at admission, ownBlocks).
   */
  private decodeGrowth(residue: number): number {
    return this.kvBound > 0 ? 0 : this.decodingByResidue[residue];
  }

  private blocksFor(tokens: number): number {
    return Math.ceil(tokens / this.blockSize);
  }

  /**
   * Blocks a running sequence holds with `tokens` in its KV: theirs, and its sliding-window layers'
   * (vLLM's hybrid allocator gives those at most a window's worth of blocks, freed with it): the
   * share its whole length will fill (`finalTokens`, prompt + output), held from admission so
   * that what a sequence takes and gives back is one figure.
   */
  private ownBlocks(tokens: number, finalTokens: number): number {
    // every layer slides (kvBound): at most the window's blocks, held from admission as the mixed models' windows are, and never grown
    if (this.kvBound > 0) return this.blocksFor(sequenceKvTokens(this.step, finalTokens));
    return this.blocksFor(tokens) + (this.windowTokens === 0 ? 0 : this.blocksFor(windowKvTokens(this.step, finalTokens)));
  }

  /**
   * A decode-only step from its intercept: step.ts decodeOnlyMs to the bit, with the step's figures
   * held in fields (every iteration the replica runs comes here, and the step models are
   * polymorphic: reading them through the step object cost a fifth of the full fleet's wall time).
   */
  private decodeOnlyMs(intercept: number, decoding: number, context: number): number {
    const window = this.windowTokens;
    return window > 0 ? intercept + this.perContextMs * context + this.perWindowMs * Math.min(decoding, context / window) : intercept + this.perContextMs * context;
  }

  /** prompt + output of slot s: the length its window blocks are sized for */
  private finalTokens(s: number): number {
    return this.slots.prompt(s) + this.slots.out(s);
  }

  private residue(x: number): number {
    const r = x % this.blockSize;
    return r < 0 ? r + this.blockSize : r;
  }

  private toBlocksCap(tokens: number): number {
    return Math.max(0, Math.floor(tokens / this.blockSize));
  }

  private watermarkFor(capBlocks: number): number {
    return Math.max(1, Math.floor(this.watermarkFraction * capBlocks));
  }

  /** prompt + output can never fit, even alone, in capBlocks (with the admission watermark). */
  private neverFits(prompt: number, out: number, capBlocks: number): boolean {
    return this.ownBlocks(prompt + out, prompt + out) > capBlocks - this.watermarkFor(capBlocks);
  }

  private linkRunTail(s: number): void {
    this.slots.setRunPrev(s, this.runTail);
    this.slots.setRunNext(s, -1);
    if (this.runTail >= 0) this.slots.setRunNext(this.runTail, s);
    else this.runHead = s;
    this.runTail = s;
  }

  private unlinkRun(s: number): void {
    const p = this.slots.runPrev(s), n = this.slots.runNext(s);
    if (p >= 0) this.slots.setRunNext(p, n);
    else this.runHead = n;
    if (n >= 0) this.slots.setRunPrev(n, p);
    else this.runTail = p;
  }

  private linkPfTail(s: number): void {
    this.slots.setPfPrev(s, this.prefillTail);
    this.slots.setPfNext(s, -1);
    if (this.prefillTail >= 0) this.slots.setPfNext(this.prefillTail, s);
    else this.prefillHead = s;
    this.prefillTail = s;
  }

  private unlinkPf(s: number): void {
    const p = this.slots.pfPrev(s), n = this.slots.pfNext(s);
    if (p >= 0) this.slots.setPfNext(p, n);
    else this.prefillHead = n;
    if (n >= 0) this.slots.setPfPrev(n, p);
    else this.prefillTail = p;
  }

  private releaseSlot(s: number): void {
    if (this.kvTiers !== null) this.kvTiers.forget(s);
    this.slots.setState(s, FREE);
    this.slots.bumpEpoch(s);
    this.slots.release(s);
  }

  private clearState(): void {
    for (let s = this.runHead; s >= 0;) {
      const next = this.slots.runNext(s);
      this.releaseSlot(s);
      s = next;
    }
    for (let i = 0; i < this.waitQueue.length; i++) this.releaseSlot(this.waitQueue.at(i));
    this.busy = false;
    this.waitQueue.clear();
    this.blockedHeadNeed = -1;
    this.pendingAborts.length = 0;
    this.pendingAbortCount = 0;
    this.runningCount = 0;
    this.runHead = this.runTail = this.prefillHead = this.prefillTail = -1;
    this.decodingSeqs = 0;
    this.decodingContextTokens = 0;
    this.decodingByResidue.fill(0);
    this.heap.clear();
    this.nextFinishStep = Infinity;
    this.allocatedBlocks = 0;
    this.committedBlocks = 0;
    this.joinGroups = 0;
    this.prefixCache?.clear();
  }

  /**
   * Recomputes every running sum from the per-sequence state (O(batch)) and throws on any
   * disagreement. For tests and debugging only.
   */
  checkInvariants(): void {
    this.flush(this.sim.now_ms);
    const blockSize = this.blockSize, steps = this.decodeSteps;
    const fail = (msg: string) => {
      throw new Error(`GpuReplica invariant: ${msg} (t=${this.sim.now_ms} ms, steps=${steps})`);
    };
    let n = 0, d = 0, c = 0, blocks = 0, pf = 0, committed = 0;
    const byResidue = new Int32Array(blockSize);
    for (let s = this.runHead; s >= 0; s = this.slots.runNext(s)) {
      n++;
      committed += this.ownBlocks(this.finalTokens(s), this.finalTokens(s));
      const state = this.slots.state(s);
      blocks -= this.slots.sharedBlocks(s);
      if (this.slots.sharedBlocks(s) > this.slots.prefixBlocks(s)) fail(`slot ${s}: shares more blocks than its prefix has`);
      if (state === PREFILL) {
        pf++;
        blocks += this.ownBlocks(this.slots.target(s), this.finalTokens(s));
        if (this.slots.target(s) !== this.slots.prompt(s) + this.slots.emitted(s)) fail(`prefill target of slot ${s}`);
      } else if (state === DECODE) {
        d++;
        const kv = this.slots.base(s) + steps;
        const emitted = this.slots.out(s) - (this.slots.finish(s) - steps + 1);
        if (!(emitted >= 1 && emitted < this.slots.out(s))) fail(`slot ${s}: emitted ${emitted} of ${this.slots.out(s)}`);
        if (kv !== this.slots.prompt(s) + emitted - 1) fail(`slot ${s}: KV ${kv} != prompt ${this.slots.prompt(s)} + emitted ${emitted} - 1`);
        c += kv;
        blocks += this.ownBlocks(kv, this.finalTokens(s));
        byResidue[this.residue(this.slots.base(s))]++;
      } else fail(`slot ${s} in the running list has state ${state}`);
    }
    if (this.prefixCache !== null) {
      blocks += this.prefixCache.pinnedBlocks();
      this.prefixCache.checkTiers(fail);
      if (this.allocatedBlocks + this.prefixCache.evictableBlocks > this.kvBlocks) fail(`allocated ${this.allocatedBlocks} + evictable ${this.prefixCache.evictableBlocks} blocks > capacity ${this.kvBlocks}`);
    }
    let pfn = 0;
    for (let s = this.prefillHead; s >= 0; s = this.slots.pfNext(s)) pfn++;
    for (let i = 0; i < this.waitQueue.length; i++) if (this.slots.state(this.waitQueue.at(i)) !== WAITING) fail('a waiting slot is not WAITING');
    if (n !== this.runningCount) fail(`running ${this.runningCount} != list ${n}`);
    if (this.reserveOutput && committed !== this.committedBlocks) fail(`committed ${this.committedBlocks} != running footprints ${committed} blocks`);
    if (pf !== pfn) fail(`prefill list ${pfn} != prefilling ${pf}`);
    if (d !== this.decodingSeqs) fail(`decodeSeqs ${this.decodingSeqs} != ${d}`);
    if (c !== this.decodingContextTokens) fail(`decodeCtxTokens ${this.decodingContextTokens} != ${c}`);
    for (let r = 0; r < blockSize; r++) if (byResidue[r] !== this.decodingByResidue[r]) fail(`residue counter ${r}: ${this.decodingByResidue[r]} != ${byResidue[r]}`);
    // between plan and end the in-flight step's new blocks are allocated but contexts not yet advanced
    const pending = this.busy && this.iterDecodes && this.endEvent >= 0 ? this.decodeGrowth((blockSize - (steps % blockSize)) % blockSize) : 0;
    if (blocks + pending !== this.allocatedBlocks) fail(`allocated blocks ${this.allocatedBlocks} != recomputed ${blocks} + in-flight ${pending}`);
    if (this.allocatedBlocks > this.kvBlocks) fail(`allocated blocks ${this.allocatedBlocks} > capacity ${this.kvBlocks}`);
    if (this.runningCount > this.maxSeqs) fail(`running ${this.runningCount} > max_num_seqs ${this.maxSeqs}`);
  }
}
