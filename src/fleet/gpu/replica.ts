import type { Simulator } from '../../engine/sim.ts';
import type { LatencyStats } from '../../metrics/latency.ts';
import type { StepModel } from '../../perf/step.ts';
import { ReplicaStats } from './stats.ts';
import { SlotPool } from './slot-pool.ts';
import { FinishHeap, SlotDeque } from './structs.ts';

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
 * Cost per iteration: O(1) in the batch size plus O(1) per sequence prefilled, finished,
 * admitted or preempted in it. Running sums (decodeSeqs, decodeCtxTokens) replace per-sequence
 * loops; a sequence's KV context is `base + K` where K counts decode iterations, so it is never
 * touched while it decodes; finishing sequences come from a min-heap keyed by their finish
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
}

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
  private readonly st = new ReplicaStats();
  /** The replica's counters, brought up to the current simulated time first (see `flush`). */
  get stats(): ReplicaStats {
    this.flush(this.sim.now_ms);
    const st = this.st;
    st.busy_ms += this.aBusy;
    st.iterations += this.aIter;
    st.batch_size_sum += this.aBatch;
    st.decode_seqs_sum += this.aDecode;
    st.decode_tokens += this.aDecode;
    st.output_tokens += this.aDecode;
    st.prefill_tokens += this.aPrefill;
    st.recompute_tokens += this.aRecompute;
    st.kv_token_ms += this.aKv;
    st.flops += this.aFlops;
    st.bytes += this.aBytes;
    this.aBusy = this.aIter = this.aBatch = this.aDecode = this.aPrefill = this.aRecompute = this.aKv = this.aFlops = this.aBytes = 0;
    return st;
  }
  // Per-iteration counters kept on the replica itself, added to `st` when read: the stats object
  // is one more cold cache line per iteration at fleet scale.
  private aBusy = 0;
  private aIter = 0;
  private aBatch = 0;
  private aDecode = 0;
  private aPrefill = 0;
  private aRecompute = 0;
  private aKv = 0;
  private aFlops = 0;
  private aBytes = 0;
  /** Smallest finish key in the finish heap (Infinity when empty): most iterations finish nothing and need not touch it. */
  private nextFinishK = Infinity;
  /** Inter-token latency sink: each gap between consecutive tokens of a request, O(1) weighted adds per iteration. */
  itl: LatencyStats | null = null;
  debug: ReplicaDebug | null = null;

  private readonly B: number;
  private readonly maxSeqs: number;
  private readonly maxTokens: number;
  private readonly chunked: boolean;
  private readonly maxWaiting: number;
  private readonly wmFraction: number;

  // KV blocks
  private capBlocks: number;
  /** Latest requested capacity, applied at the next iteration boundary. */
  private capLatest: number;
  private capPending = false;
  private wmBlocks: number;
  private used = 0;

  // queues and batch
  private readonly waitQ = new SlotDeque(64);
  private nRunning = 0;
  private runHead = -1;
  private runTail = -1;
  private pfHead = -1;
  private pfTail = -1;
  /** Decoding sequences and the sum of their KV contexts (tokens). */
  private D = 0;
  private C = 0;
  /** Decode iterations completed. */
  private K = 0;
  /** Decoding sequences by ((KV context - K) mod block size). */
  private readonly cnt: Int32Array;
  private readonly heap = new FinishHeap(64);

  // the iteration in flight
  private busy = false;
  private endToken = -1;
  /** The iteration-end handler all replicas of a simulator share, and this replica's index in its list. */
  private readonly hEnd: number;
  private readonly endIndex: number;
  private iterStart = 0;
  private iterDur = 0;
  private iterDecode = false;
  private iterD = 0;
  private iterC = 0;
  private iterPt = 0;
  private iterPairs = 0;
  private iterN = 0;
  private iterRecompute = 0;
  private iterUsed = 0;
  private budget = 0;
  private readonly chSlot: Int32Array;
  private readonly chLen: Int32Array;

  // inter-token latency: decoding sequences that joined since the last decode iteration, grouped by join time
  private gT = new Float64Array(8);
  private gC = new Int32Array(8);
  private gN = 0;
  private lastDecodeEnd = 0;

  // decode fusion: iterations still to run after the one in flight before the scheduled end event
  private readonly fuse: boolean;
  private spanLeft = 0;
  /** decodeInterceptMs of the fused stretch's batch (constant over it) */
  private spanIntercept = 0;
  /** the fused stretch was planned with nothing blocking admission: an arrival cuts it (submit) */
  private spanOpen = false;

  private healthyFlag = true;
  /** Inside the iteration handler or the scheduler (listener callbacks may run). */
  private inside = false;

  /** Sequence records, shared by the replicas of a fleet (one per replica when none is given). */
  private readonly sl: SlotPool;

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
    this.B = cfg.block_size_tokens;
    this.maxSeqs = cfg.max_num_seqs;
    this.maxTokens = cfg.max_batched_tokens;
    this.chunked = cfg.chunked_prefill;
    this.maxWaiting = cfg.max_waiting;
    this.wmFraction = cfg.watermark_fraction ?? 0.01;
    this.fuse = cfg.fuse_decode ?? true;
    if (!(this.wmFraction >= 0 && this.wmFraction < 1)) throw new RangeError(`watermark_fraction: expected [0, 1), got ${this.wmFraction}`);
    const kvTokens = cfg.kv_capacity_tokens ?? step.kvCapacityTokens;
    this.capBlocks = this.capLatest = this.toBlocksCap(kvTokens);
    this.wmBlocks = this.watermarkFor(this.capBlocks);
    this.cnt = new Int32Array(this.B);
    this.chSlot = new Int32Array(this.maxSeqs);
    this.chLen = new Int32Array(this.maxSeqs);
    this.sl = slots ?? new SlotPool(Math.min(1024, 2 * this.maxSeqs + 64));
    let ends = iterationEnds.get(sim);
    if (!ends) {
      const list: GpuReplica[] = [];
      ends = { handler: sim.on((i) => list[i].onEnd()), list };
      iterationEnds.set(sim, ends);
    }
    this.hEnd = ends.handler;
    this.endIndex = ends.list.push(this) - 1;
  }

  // ---- router-facing, O(1) ----

  get waiting(): number {
    return this.waitQ.length;
  }
  get running(): number {
    return this.nRunning;
  }
  get outstanding(): number {
    return this.waitQ.length + this.nRunning;
  }
  get healthy(): boolean {
    return this.healthyFlag;
  }
  /** Allocated KV blocks / capacity (1 when the capacity is 0). */
  kvUsedFraction(): number {
    this.flush(this.sim.now_ms);
    return this.capBlocks > 0 ? this.used / this.capBlocks : 1;
  }

  // ---- introspection ----

  get usedBlocks(): number {
    this.flush(this.sim.now_ms);
    return this.used;
  }
  get capacityBlocks(): number {
    return this.capBlocks;
  }
  get kvCapacityTokens(): number {
    return this.capBlocks * this.B;
  }
  get decodeSeqs(): number {
    return this.D;
  }
  get decodeCtxTokens(): number {
    this.flush(this.sim.now_ms);
    return this.C;
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
   */
  submit(req: number, promptTokens: number, outputTokens: number): void {
    if (!this.healthyFlag) throw new Error(`submit of request ${req} to a failed GPU replica (route only to healthy replicas)`);
    const prompt = promptTokens >= 1 ? Math.floor(promptTokens) : 1;
    const out = outputTokens >= 1 ? Math.floor(outputTokens) : 1;
    const st = this.st;
    st.submitted++;
    const now = this.sim.now_ms;
    if (this.neverFits(prompt, out, this.capLatest)) {
      st.rejected_too_long++;
      this.listener.rejected(req, now, 'too_long');
      return;
    }
    if (this.waitQ.length >= this.maxWaiting) {
      st.rejected_queue_full++;
      this.listener.rejected(req, now, 'queue_full');
      return;
    }
    const s = this.sl.alloc();
    this.sl.setReq(s, req);
    this.sl.setPrompt(s, prompt);
    this.sl.setOut(s, out);
    this.sl.setEmitted(s, 0);
    this.sl.setTarget(s, prompt);
    this.sl.setPrefilled(s, 0);
    this.sl.setPreempts(s, 0);
    this.sl.setState(s, WAITING);
    this.sl.setSubmitMs(s, now);
    this.sl.setAdmitMs(s, NaN);
    this.waitQ.pushBack(s);
    if (this.waitQ.length > st.max_waiting) st.max_waiting = this.waitQ.length;
    // a request arriving during a fused stretch that nothing blocked joins at the next iteration
    // boundary, as in the per-iteration schedule: the stretch ends at the iteration in flight
    if (this.spanOpen && this.spanLeft > 0) this.cutSpan();
    if (!this.busy) {
      this.inside = true;
      try {
        this.plan();
      } finally {
        this.inside = false;
      }
    }
  }

  /**
   * The replica dies at t_ms (normally sim.now_ms): the iteration in flight is abandoned, every
   * running and waiting request is handed to onLost exactly once (running in admission order,
   * then waiting in queue order), state is cleared, and no further iterations run until
   * restore(). Must not be called from inside a listener callback of this replica.
   */
  fail(t_ms: number, onLost: (req: number) => void): void {
    if (this.inside) throw new Error('GpuReplica.fail() called from inside one of its own listener callbacks');
    if (!this.healthyFlag) return;
    this.flush(t_ms);
    this.spanLeft = 0;
    if (this.endToken >= 0) {
      this.sim.cancel(this.endToken);
      this.endToken = -1;
      if (t_ms > this.iterStart) this.st.busy_ms += Math.min(t_ms - this.iterStart, this.iterDur);
    }
    const lost: number[] = [];
    for (let s = this.runHead; s >= 0; s = this.sl.runNext(s)) lost.push(this.sl.req(s));
    for (let i = 0; i < this.waitQ.length; i++) lost.push(this.sl.req(this.waitQ.at(i)));
    this.clearState();
    this.healthyFlag = false;
    this.st.lost += lost.length;
    for (const req of lost) onLost(req);
  }

  /** Serves again, empty. */
  restore(): void {
    if (this.healthyFlag) return;
    this.healthyFlag = true;
    if (this.capPending) this.applyCapacity();
  }

  /**
   * Sets the usable KV cache (e.g. fragmentation or a memory fault). Applied at the next
   * iteration boundary (immediately when idle): running sequences are preempted, most recently
   * admitted first, until the allocated blocks fit. Requests that can no longer fit at all are
   * rejected 'too_long' when they reach the head of the waiting queue.
   */
  setKvCapacityTokens(tokens: number): void {
    if (!(tokens >= 0)) throw new RangeError(`KV capacity: expected >= 0 tokens, got ${tokens}`);
    this.capLatest = this.toBlocksCap(tokens);
    this.capPending = true;
    if (!this.busy) this.applyCapacity();
    else this.cutSpan();
  }

  /** Ends a fused stretch at the iteration now in flight, so the next plan sees a change now. */
  private cutSpan(): void {
    this.flush(this.sim.now_ms);
    if (this.spanLeft === 0 || this.endToken < 0) return;
    this.spanLeft = 0;
    this.sim.cancel(this.endToken);
    this.endToken = this.sim.at(this.iterStart + this.iterDur, this.hEnd, this.endIndex);
  }

  // ---- the scheduler ----

  /** Plans the next iteration and schedules its end; goes idle when there is nothing to run. */
  private plan(): void {
    if (this.capPending) this.applyCapacity();
    this.busy = true;
    this.iterPt = 0;
    this.iterPairs = 0;
    this.iterN = 0;
    this.iterRecompute = 0;
    this.budget = this.maxTokens;
    const preemptedBefore = this.st.preemptions;
    let decode = false;
    if (this.chunked) {
      if (this.D > 0) {
        this.reserveDecode();
        decode = this.D > 0;
        this.budget -= this.D;
      }
      // chunks of prompts already running, in admission order
      for (let s = this.pfHead; s >= 0 && this.budget > 0; s = this.sl.pfNext(s)) {
        const rest = this.sl.target(s) - this.sl.prefilled(s);
        this.addChunk(s, rest < this.budget ? rest : this.budget);
      }
      this.admit(true);
    } else {
      this.admit(false);
      if (this.iterN === 0 && this.D > 0) {
        this.reserveDecode();
        decode = this.D > 0;
        if (!decode) this.admit(false);
      }
    }
    if (!decode && this.iterN === 0) {
      this.busy = false;
      if (this.nRunning > 0 || this.waitQ.length > 0) {
        throw new Error(`GpuReplica stalled with ${this.nRunning} running and ${this.waitQ.length} waiting (internal error)`);
      }
      return;
    }
    const D = decode ? this.D : 0;
    const C = decode ? this.C : 0;
    // a decode-only step as the line planSpan and fusedStep use, so fused and plain agree exactly
    const dur = this.iterPt === 0 ? this.step.decodeInterceptMs(D) + this.step.decodeMsPerContextToken * C : this.step.stepTimeMs(this.iterPt, this.iterPairs, D, C);
    this.iterDecode = decode;
    this.iterD = D;
    this.iterC = C;
    this.iterDur = dur;
    this.iterStart = this.sim.now_ms;
    this.iterUsed = this.used;
    const st = this.st;
    const kvTok = this.used * this.B;
    if (kvTok > st.max_kv_used_tokens) st.max_kv_used_tokens = kvTok;
    if (this.nRunning > st.max_running) st.max_running = this.nRunning;
    let end = this.sim.now_ms + dur;
    this.spanLeft = 0;
    // Fuse when admission is blocked in a way that lasts (the head does not fit, the batch or the
    // budget is full), or when nothing waits at all: then only an arrival could change the next
    // plan, and submit cuts the stretch when one comes (spanOpen).
    const blocked = this.waitQ.length > 0 || this.nRunning >= this.maxSeqs || (this.chunked && this.budget <= 0);
    this.spanOpen = false;
    if (decode && this.iterN === 0 && this.fuse && this.debug === null && st.preemptions === preemptedBefore &&
        (blocked || this.waitQ.length === 0)) {
      this.spanOpen = !blocked;
      end = this.planSpan(end);
    }
    this.endToken = this.sim.at(end, this.hEnd, this.endIndex);
    if (this.debug?.planned) this.debug.planned(this);
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
    const B = this.B, D = this.D, K = this.K, top = this.nextFinishK;
    let used = this.used, C = this.C, n = 0;
    const intercept = this.step.decodeInterceptMs(D), perContext = this.step.decodeMsPerContextToken;
    this.spanIntercept = intercept;
    while (n < MAX_SPAN && top > K + n) {
      const need = this.cnt[(B - ((K + n + 1) % B)) % B];
      if (need > this.capBlocks - used) break;
      used += need;
      C += D;
      end += intercept + perContext * C;
      n++;
    }
    this.spanLeft = n;
    return end;
  }

  /** Runs the fused iterations that ended by t_ms (none of them finishes, admits or preempts anything). */
  private flush(t_ms: number): void {
    if (this.spanLeft === 0 || this.iterStart + this.iterDur > t_ms) return;
    // the iteration in flight may carry sequences that joined decode at its start: the general path
    this.fusedStep();
    if (this.spanLeft > 0 && this.iterStart + this.iterDur <= t_ms) this.fusedRun(t_ms);
  }

  /**
   * The fused iterations after the first that ended by t_ms, in one loop over local variables:
   * each is a decode-only step of the same D sequences with nobody joining, finishing or waiting
   * on it, so finishIteration and fusedStep reduce to these sums. They are the same floating-point
   * operations in the same order as the per-iteration path (the fused-vs-plain tests compare every
   * counter exactly); integer counters are added once (exact below 2^53).
   */
  private fusedRun(t_ms: number): void {
    const step = this.step, itl = this.itl, cnt = this.cnt;
    const B = this.B, D = this.D, intercept = this.spanIntercept, perContext = step.decodeMsPerContextToken;
    let left = this.spanLeft, start = this.iterStart, dur = this.iterDur, usedAtStart = this.iterUsed;
    let used = this.used, C = this.C, K = this.K, lastEnd = this.lastDecodeEnd;
    let busy = this.aBusy, kv = this.aKv, flops = this.aFlops, bytes = this.aBytes;
    let done = 0;
    while (left > 0 && start + dur <= t_ms) {
      const t = start + dur;
      // finishIteration of a decode-only step with no joiners and no finishes
      busy += dur;
      kv += usedAtStart * B * dur;
      flops += step.stepFlops(0, 0, D, C);
      bytes += step.stepBytes(0, 0, D, C);
      if (itl !== null) itl.addWeighted(t - lastEnd, D);
      lastEnd = t;
      K++;
      C += D;
      // fusedStep: the next iteration's blocks and duration
      used += cnt[(B - (K % B)) % B];
      dur = intercept + perContext * C;
      start = t;
      usedAtStart = used;
      left--;
      done++;
    }
    this.aBusy = busy;
    this.aKv = kv;
    this.aFlops = flops;
    this.aBytes = bytes;
    this.aIter += done;
    this.aBatch += done * D;
    this.aDecode += done * D;
    this.spanLeft = left;
    this.iterStart = start;
    this.iterDur = dur;
    this.iterC = C;
    this.iterUsed = usedAtStart;
    this.used = used;
    this.C = C;
    this.K = K;
    this.lastDecodeEnd = lastEnd;
    // blocks only grow during a stretch: its last iteration holds the most
    const kvTok = used * B;
    if (kvTok > this.st.max_kv_used_tokens) this.st.max_kv_used_tokens = kvTok;
  }

  private fusedStep(): void {
    const t = this.iterStart + this.iterDur;
    this.finishIteration(t);
    this.spanLeft--;
    const B = this.B;
    this.used += this.cnt[(B - (this.K % B)) % B];
    const D = this.D, C = this.C;
    this.iterC = C;
    this.iterDur = this.spanIntercept + this.step.decodeMsPerContextToken * C;
    this.iterStart = t;
    this.iterUsed = this.used;
    const kvTok = this.used * B;
    if (kvTok > this.st.max_kv_used_tokens) this.st.max_kv_used_tokens = kvTok;
  }

  /** Admits from the waiting head while budget, max_num_seqs and KV blocks allow. */
  private admit(chunked: boolean): void {
    const now = this.sim.now_ms;
    while (this.waitQ.length > 0 && this.nRunning < this.maxSeqs && (chunked ? this.budget > 0 : true)) {
      const s = this.waitQ.peekFront();
      if (this.neverFits(this.sl.prompt(s), this.sl.out(s), this.capBlocks)) {
        this.waitQ.popFront();
        const req = this.sl.req(s);
        this.releaseSlot(s);
        this.st.rejected_too_long++;
        this.listener.rejected(req, now, 'too_long');
        continue;
      }
      const target = this.sl.target(s);
      if (!chunked && target > this.budget) {
        // a prompt longer than the whole budget runs alone; otherwise wait for the next iteration
        if (!(this.iterN === 0 && target > this.maxTokens)) break;
      }
      const need = this.blocks(target);
      if (this.capBlocks - this.used - need < this.wmBlocks) break;
      this.waitQ.popFront();
      this.sl.setState(s, PREFILL);
      this.sl.setPrefilled(s, 0);
      this.used += need;
      this.nRunning++;
      if (this.sl.admit_ms(s) !== this.sl.admit_ms(s)) this.sl.setAdmitMs(s, now); // NaN: first admission
      this.linkRunTail(s);
      this.linkPfTail(s);
      this.addChunk(s, chunked && target > this.budget ? this.budget : target);
    }
  }

  private addChunk(s: number, c: number): void {
    const n = this.iterN++;
    this.chSlot[n] = s;
    this.chLen[n] = c;
    this.iterPt += c;
    this.iterPairs += c * (this.sl.prefilled(s) + c / 2);
    if (this.sl.emitted(s) > 0) this.iterRecompute += c;
    this.budget -= c;
  }

  /** Allocates this decode step's new blocks, preempting the most recent sequences until they fit. */
  private reserveDecode(): void {
    const B = this.B;
    const idx = (B - (this.K % B)) % B;
    while (this.cnt[idx] > this.capBlocks - this.used) this.preemptTail();
    this.used += this.cnt[idx];
  }

  /** Preempts (by recompute) the most recently admitted running sequence. */
  private preemptTail(): void {
    const s = this.runTail;
    if (s < 0) throw new Error('GpuReplica: nothing left to preempt (internal error)');
    this.unlinkRun(s);
    this.nRunning--;
    if (this.sl.state(s) === PREFILL) {
      this.used -= this.blocks(this.sl.target(s));
      this.unlinkPf(s);
      // a first pass cut short is wasted work too (a recompute pass is already counted per chunk)
      if (this.sl.emitted(s) === 0) this.st.recompute_tokens += this.sl.prefilled(s);
    } else {
      const K = this.K;
      const base = this.sl.base(s);
      const kv = base + K;
      this.used -= this.blocks(kv);
      this.D--;
      this.C -= kv;
      this.cnt[this.mod(base)]--;
      const emitted = this.sl.out(s) - (this.sl.finish(s) - K + 1);
      this.sl.setEmitted(s, emitted);
      this.sl.setTarget(s, this.sl.prompt(s) + emitted);
      if (this.sl.joinGen(s) === K) {
        this.sl.setLastTokenMs(s, this.sl.join_ms(s));
        this.groupRemove(this.sl.join_ms(s));
      } else {
        this.sl.setLastTokenMs(s, this.lastDecodeEnd);
      }
      this.sl.bumpEpoch(s); // its finish-heap entry is now stale
    }
    this.sl.setState(s, WAITING);
    this.sl.setPrefilled(s, 0);
    this.sl.setPreempts(s, this.sl.preempts(s) + 1);
    this.st.preemptions++;
    this.waitQ.pushFront(s);
  }

  private applyCapacity(): void {
    this.capPending = false;
    this.capBlocks = this.capLatest;
    this.wmBlocks = this.watermarkFor(this.capBlocks);
    while (this.used > this.capBlocks) this.preemptTail();
  }

  // ---- the end of an iteration ----

  /** @internal the shared iteration-end handler's target */
  onEnd(): void {
    this.endToken = -1;
    this.inside = true;
    try {
      this.flush(Infinity);
      this.finishIteration(this.sim.now_ms);
      if (this.nRunning > 0 || this.waitQ.length > 0) this.plan();
      else this.busy = false;
    } finally {
      this.inside = false;
    }
  }

  private finishIteration(t: number): void {
    const D = this.iterD;
    this.aBusy += this.iterDur;
    this.aIter++;
    this.aBatch += D + this.iterN;
    this.aDecode += D;
    this.aPrefill += this.iterPt;
    this.aRecompute += this.iterRecompute;
    this.aKv += this.iterUsed * this.B * this.iterDur;
    this.aFlops += this.step.stepFlops(this.iterPt, this.iterPairs, D, this.iterC);
    this.aBytes += this.step.stepBytes(this.iterPt, this.iterPairs, D, this.iterC);
    const dbgToken = this.debug?.token;

    if (this.iterDecode) {
      const K0 = this.K;
      const itl = this.itl;
      if (itl !== null) {
        let joined = 0;
        for (let g = 0; g < this.gN; g++) {
          const c = this.gC[g];
          if (c > 0) {
            itl.addWeighted(t - this.gT[g], c);
            joined += c;
          }
        }
        if (D > joined) itl.addWeighted(t - this.lastDecodeEnd, D - joined);
      }
      if (dbgToken) {
        for (let s = this.runHead; s >= 0; s = this.sl.runNext(s)) if (this.sl.state(s) === DECODE) dbgToken(this.sl.req(s), t);
      }
      this.gN = 0;
      this.lastDecodeEnd = t;
      this.K = K0 + 1;
      this.C += this.D;
      if (this.nextFinishK <= K0) {
        const heap = this.heap;
        while (heap.topKey() <= K0) {
          const s = heap.topSlot();
          const e = heap.topEpoch();
          heap.pop();
          if (this.sl.epoch(s) === e) this.finishDecode(s, t);
        }
        this.nextFinishK = heap.topKey();
      }
    }

    for (let i = 0; i < this.iterN; i++) {
      const s = this.chSlot[i];
      this.sl.setPrefilled(s, this.sl.prefilled(s) + this.chLen[i]);
      if (this.sl.prefilled(s) === this.sl.target(s)) this.completePrefill(s, t, dbgToken);
    }
  }

  /** The last decode step of s has run (K already counts it). */
  private finishDecode(s: number, t: number): void {
    const base = this.sl.base(s);
    const kv = base + this.K;
    this.used -= this.blocks(kv);
    this.D--;
    this.C -= kv;
    this.cnt[this.mod(base)]--;
    this.unlinkRun(s);
    this.nRunning--;
    this.st.completed++;
    const req = this.sl.req(s);
    const pre = this.sl.preempts(s);
    const delay = this.sl.admit_ms(s) - this.sl.submit_ms(s);
    this.releaseSlot(s);
    this.listener.done(req, t, pre, delay);
  }

  /** The prompt (or recomputed prompt + output) of s is in the KV cache; one token is sampled. */
  private completePrefill(s: number, t: number, dbgToken: ((req: number, t_ms: number) => void) | undefined): void {
    this.unlinkPf(s);
    const req = this.sl.req(s);
    const prev = this.sl.emitted(s);
    const emitted = prev + 1;
    const out = this.sl.out(s);
    this.st.output_tokens++;
    if (dbgToken) dbgToken(req, t);
    if (prev > 0 && this.itl !== null) this.itl.add(t - this.sl.lastToken_ms(s));
    if (emitted >= out) {
      this.used -= this.blocks(this.sl.target(s));
      this.unlinkRun(s);
      this.nRunning--;
      this.st.completed++;
      const pre = this.sl.preempts(s);
      const delay = this.sl.admit_ms(s) - this.sl.submit_ms(s);
      this.releaseSlot(s);
      if (prev === 0) this.listener.firstToken(req, t);
      this.listener.done(req, t, pre, delay);
      return;
    }
    const target = this.sl.target(s);
    const K = this.K;
    this.sl.setEmitted(s, emitted);
    this.sl.setState(s, DECODE);
    this.sl.setBase(s, target - K);
    this.sl.setFinish(s, K + (out - emitted) - 1);
    this.sl.setJoinGen(s, K);
    this.sl.setJoinMs(s, t);
    this.cnt[this.mod(target - K)]++;
    this.D++;
    this.C += target;
    this.heap.push(this.sl.finish(s), s, this.sl.epoch(s));
    if (this.sl.finish(s) < this.nextFinishK) this.nextFinishK = this.sl.finish(s);
    this.groupAdd(t);
    if (prev === 0) this.listener.firstToken(req, t);
  }

  // ---- inter-token-latency join groups ----

  private groupAdd(t: number): void {
    const n = this.gN;
    if (n > 0 && this.gT[n - 1] === t) {
      this.gC[n - 1]++;
      return;
    }
    if (n === this.gT.length) {
      const T = new Float64Array(2 * n), Cn = new Int32Array(2 * n);
      T.set(this.gT);
      Cn.set(this.gC);
      this.gT = T;
      this.gC = Cn;
    }
    this.gT[n] = t;
    this.gC[n] = 1;
    this.gN = n + 1;
  }

  private groupRemove(t: number): void {
    for (let g = this.gN - 1; g >= 0; g--) {
      if (this.gT[g] === t && this.gC[g] > 0) {
        this.gC[g]--;
        return;
      }
    }
  }

  // ---- helpers ----

  private blocks(tokens: number): number {
    return Math.ceil(tokens / this.B);
  }

  private mod(x: number): number {
    const r = x % this.B;
    return r < 0 ? r + this.B : r;
  }

  private toBlocksCap(tokens: number): number {
    return Math.max(0, Math.floor(tokens / this.B));
  }

  private watermarkFor(capBlocks: number): number {
    return Math.max(1, Math.floor(this.wmFraction * capBlocks));
  }

  /** prompt + output can never fit, even alone, in capBlocks (with the admission watermark). */
  private neverFits(prompt: number, out: number, capBlocks: number): boolean {
    return this.blocks(prompt + out) > capBlocks - this.watermarkFor(capBlocks);
  }

  private linkRunTail(s: number): void {
    this.sl.setRunPrev(s, this.runTail);
    this.sl.setRunNext(s, -1);
    if (this.runTail >= 0) this.sl.setRunNext(this.runTail, s);
    else this.runHead = s;
    this.runTail = s;
  }

  private unlinkRun(s: number): void {
    const p = this.sl.runPrev(s), n = this.sl.runNext(s);
    if (p >= 0) this.sl.setRunNext(p, n);
    else this.runHead = n;
    if (n >= 0) this.sl.setRunPrev(n, p);
    else this.runTail = p;
  }

  private linkPfTail(s: number): void {
    this.sl.setPfPrev(s, this.pfTail);
    this.sl.setPfNext(s, -1);
    if (this.pfTail >= 0) this.sl.setPfNext(this.pfTail, s);
    else this.pfHead = s;
    this.pfTail = s;
  }

  private unlinkPf(s: number): void {
    const p = this.sl.pfPrev(s), n = this.sl.pfNext(s);
    if (p >= 0) this.sl.setPfNext(p, n);
    else this.pfHead = n;
    if (n >= 0) this.sl.setPfPrev(n, p);
    else this.pfTail = p;
  }

  private releaseSlot(s: number): void {
    this.sl.setState(s, FREE);
    this.sl.bumpEpoch(s);
    this.sl.release(s);
  }

  private clearState(): void {
    for (let s = this.runHead; s >= 0;) {
      const next = this.sl.runNext(s);
      this.releaseSlot(s);
      s = next;
    }
    for (let i = 0; i < this.waitQ.length; i++) this.releaseSlot(this.waitQ.at(i));
    this.busy = false;
    this.waitQ.clear();
    this.nRunning = 0;
    this.runHead = this.runTail = this.pfHead = this.pfTail = -1;
    this.D = 0;
    this.C = 0;
    this.cnt.fill(0);
    this.heap.clear();
    this.nextFinishK = Infinity;
    this.used = 0;
    this.gN = 0;
  }

  /**
   * Recomputes every running sum from the per-sequence state (O(batch)) and throws on any
   * disagreement. For tests and debugging only.
   */
  checkInvariants(): void {
    this.flush(this.sim.now_ms);
    const B = this.B, K = this.K;
    const fail = (msg: string) => {
      throw new Error(`GpuReplica invariant: ${msg} (t=${this.sim.now_ms} ms, K=${K})`);
    };
    let n = 0, d = 0, c = 0, blocks = 0, pf = 0;
    const cnt = new Int32Array(B);
    for (let s = this.runHead; s >= 0; s = this.sl.runNext(s)) {
      n++;
      const state = this.sl.state(s);
      if (state === PREFILL) {
        pf++;
        blocks += this.blocks(this.sl.target(s));
        if (this.sl.target(s) !== this.sl.prompt(s) + this.sl.emitted(s)) fail(`prefill target of slot ${s}`);
      } else if (state === DECODE) {
        d++;
        const kv = this.sl.base(s) + K;
        const emitted = this.sl.out(s) - (this.sl.finish(s) - K + 1);
        if (!(emitted >= 1 && emitted < this.sl.out(s))) fail(`slot ${s}: emitted ${emitted} of ${this.sl.out(s)}`);
        if (kv !== this.sl.prompt(s) + emitted - 1) fail(`slot ${s}: KV ${kv} != prompt ${this.sl.prompt(s)} + emitted ${emitted} - 1`);
        c += kv;
        blocks += this.blocks(kv);
        cnt[this.mod(this.sl.base(s))]++;
      } else fail(`slot ${s} in the running list has state ${state}`);
    }
    let pfn = 0;
    for (let s = this.pfHead; s >= 0; s = this.sl.pfNext(s)) pfn++;
    for (let i = 0; i < this.waitQ.length; i++) if (this.sl.state(this.waitQ.at(i)) !== WAITING) fail('a waiting slot is not WAITING');
    if (n !== this.nRunning) fail(`running ${this.nRunning} != list ${n}`);
    if (pf !== pfn) fail(`prefill list ${pfn} != prefilling ${pf}`);
    if (d !== this.D) fail(`decodeSeqs ${this.D} != ${d}`);
    if (c !== this.C) fail(`decodeCtxTokens ${this.C} != ${c}`);
    for (let r = 0; r < B; r++) if (cnt[r] !== this.cnt[r]) fail(`residue counter ${r}: ${this.cnt[r]} != ${cnt[r]}`);
    // between plan and end the in-flight step's new blocks are allocated but contexts not yet advanced
    const pending = this.busy && this.iterDecode && this.endToken >= 0 ? this.cnt[(B - (K % B)) % B] : 0;
    if (blocks + pending !== this.used) fail(`allocated blocks ${this.used} != recomputed ${blocks} + in-flight ${pending}`);
    if (this.used > this.capBlocks) fail(`allocated blocks ${this.used} > capacity ${this.capBlocks}`);
    if (this.nRunning > this.maxSeqs) fail(`running ${this.nRunning} > max_num_seqs ${this.maxSeqs}`);
  }
}
