import type { StepModel } from '../../src/perf/step.ts';
import type { ReplicaConfig, RejectReason } from '../../src/fleet/gpu/replica.ts';

/**
 * A slow, obvious reference of a vLLM-style continuous-batching replica, for differential tests
 * of GpuReplica (src/fleet/gpu/replica.ts). One object per sequence, plain arrays for the queues,
 * and every figure (blocks in use, batch, step inputs) recomputed by a loop over the sequences at
 * every iteration: nothing is kept as a running sum, so nothing can drift.
 *
 * Semantics, from vLLM's V0 scheduler (vllm/core/scheduler.py, `_schedule_default`,
 * `_schedule_chunked_prefill`, `_schedule_running`, `_schedule_prefills`) and its block manager,
 * at the size of Vidur's reference scheduler (vidur/scheduler/replica_scheduler/
 * vllm_replica_scheduler.py):
 *
 * - FCFS waiting queue; only its head is tried (a head that cannot be allocated stops admission).
 *   A request whose prompt + output can never fit beside the watermark is refused 'too_long'
 *   (`AllocStatus.NEVER`), at submit and again when it reaches the head.
 * - Admission allocates the blocks of the whole (re)prompt and keeps `watermark` blocks free
 *   (`can_allocate`: free - needed >= watermark; watermark = max(1, floor(0.01 x blocks))).
 * - A decode step appends one token per running sequence; a sequence whose KV tokens fill its
 *   blocks needs one more block (`can_append_slots`, no watermark). Sequences are served in
 *   admission order; when one cannot get its block, the most recently admitted running sequence
 *   is preempted by recompute (possibly itself), freeing all its blocks, and goes back to the
 *   head of the waiting queue, keeping admission order among the preempted (`extendleft`).
 *   vLLM rebuilds its running deque every step (new prefills, decodes, chunks), so its victim is
 *   only approximately the most recent one; GpuReplica promises admission order, and so do we.
 * - Chunked prefill: decodes first, then chunks of prompts already running in admission order,
 *   then new prompts from the waiting head, each taking min(rest, budget) of max_batched_tokens.
 * - Without chunked prefill: an iteration that admits any prompt prefills only (whole prompts
 *   within the budget; a prompt longer than the whole budget alone, as GpuReplica documents);
 *   otherwise it decodes every running sequence, and if preemption emptied the batch it admits.
 * - A completed prefill samples a token at the end of its iteration; each decode step samples one
 *   per decoding sequence. A sequence with P prompt tokens that emitted e tokens holds P + e - 1
 *   tokens of KV. Readmitted after a preemption it prefills P + e tokens and emits token e + 1.
 * - KV capacity changes apply at the next iteration boundary (at once when idle), preempting the
 *   most recent sequences until the allocated blocks fit. A failure drops the iteration in
 *   flight and hands back every request, running in admission order then waiting in queue order.
 *
 * Step times come from the same StepModel with the same inputs as GpuReplica: a step with prompt
 * tokens is `stepTimeMs(pt, pairs, D, C)`, a decode-only step is the documented line
 * `decodeInterceptMs(D) + decodeMsPerContextToken x C` (what stepTimeMs(0, 0, D, C) equals up to
 * rounding), so the two timelines can be compared exactly.
 *
 * The reference is driven by `runReference` over a list of external events; at equal times an
 * external event comes before an iteration end (as in the engine, where the test schedules the
 * external events first).
 */

type State = 'waiting' | 'prefill' | 'decode';

interface Sequence {
  req: number;
  prompt: number;
  output: number;
  /** Output tokens produced so far (never taken back by a preemption). */
  emitted: number;
  /** Tokens in this admission's KV cache. */
  kvTokens: number;
  blocks: number;
  state: State;
  /** Prefill of the current admission: tokens to bring in and tokens done. */
  prefillTarget: number;
  prefilled: number;
  preemptions: number;
}

/** One request's timeline as the replica reports it. */
export interface Timeline {
  submit_ms: number;
  /** First admission to the running batch. */
  admit_ms: number;
  first_token_ms: number;
  done_ms: number;
  preemptions: number;
  rejected: RejectReason | null;
  rejected_ms: number;
  lost_ms: number;
  /** Every output token's time (kept when asked for). */
  tokens: number[];
}

export function emptyTimeline(submit_ms: number): Timeline {
  return { submit_ms, admit_ms: NaN, first_token_ms: NaN, done_ms: NaN, preemptions: 0, rejected: null, rejected_ms: NaN, lost_ms: NaN, tokens: [] };
}

export type ExternalEvent =
  | { t_ms: number; kind: 'arrive'; req: number; prompt: number; output: number }
  | { t_ms: number; kind: 'capacity'; kv_tokens: number }
  | { t_ms: number; kind: 'fail' }
  | { t_ms: number; kind: 'restore' };

export interface ReplicaCounters {
  iterations: number;
  preemptions: number;
  prefill_tokens: number;
  recompute_tokens: number;
  decode_tokens: number;
  output_tokens: number;
  completed: number;
}

interface Chunk {
  seq: Sequence;
  tokens: number;
}

export class ReferenceReplica {
  readonly timelines = new Map<number, Timeline>();
  healthy = true;
  /** Counters as ReplicaStats defines them (an iteration counts when it ends; a failure drops it). */
  readonly counters: ReplicaCounters = { iterations: 0, preemptions: 0, prefill_tokens: 0, recompute_tokens: 0, decode_tokens: 0, output_tokens: 0, completed: 0 };
  /** Preemptions of sequences that had already emitted a token (their recompute includes output). */
  preemptionsAfterFirstToken = 0;
  private waiting: Sequence[] = [];
  /** Admission order. */
  private running: Sequence[] = [];
  private capacityBlocks: number;
  private pendingCapacityBlocks: number | null = null;
  private now_ms = 0;
  /** The iteration in flight (null when idle). */
  private iteration: { end_ms: number; decodes: Sequence[]; chunks: Chunk[] } | null = null;

  constructor(private readonly step: StepModel, private readonly cfg: ReplicaConfig) {
    this.capacityBlocks = Math.floor((cfg.kv_capacity_tokens ?? step.kvCapacityTokens) / cfg.block_size_tokens);
  }

  /** Runs the external events (sorted by time) and every iteration until the replica is idle. */
  run(events: ExternalEvent[]): void {
    let next = 0;
    for (;;) {
      const external = next < events.length ? events[next].t_ms : Infinity;
      const iterationEnd = this.iteration ? this.iteration.end_ms : Infinity;
      if (external === Infinity && iterationEnd === Infinity) return;
      if (external <= iterationEnd) {
        this.now_ms = external;
        this.apply(events[next++]);
      } else {
        this.now_ms = iterationEnd;
        this.endIteration();
      }
    }
  }

  private apply(e: ExternalEvent): void {
    if (e.kind === 'arrive') {
      const timeline = emptyTimeline(this.now_ms);
      this.timelines.set(e.req, timeline);
      if (this.healthy) this.submit(e.req, e.prompt, e.output);
      else timeline.lost_ms = this.now_ms; // the fleet would have routed it elsewhere
    } else if (e.kind === 'capacity') {
      this.pendingCapacityBlocks = Math.floor(e.kv_tokens / this.cfg.block_size_tokens);
      if (!this.iteration) this.applyCapacity();
    } else if (e.kind === 'fail') {
      if (!this.healthy) return;
      for (const seq of [...this.running, ...this.waiting]) this.timeline(seq).lost_ms = this.now_ms;
      this.running = [];
      this.waiting = [];
      this.iteration = null;
      this.healthy = false;
    } else {
      if (this.healthy) return;
      this.healthy = true;
      if (this.pendingCapacityBlocks !== null) this.applyCapacity();
    }
  }

  private submit(req: number, promptTokens: number, outputTokens: number): void {
    // as GpuReplica documents: lengths below 1 are raised to 1, fractions dropped
    const prompt = promptTokens >= 1 ? Math.floor(promptTokens) : 1;
    const output = outputTokens >= 1 ? Math.floor(outputTokens) : 1;
    const capacity = this.pendingCapacityBlocks ?? this.capacityBlocks;
    const seq: Sequence = { req, prompt, output, emitted: 0, kvTokens: 0, blocks: 0, state: 'waiting', prefillTarget: 0, prefilled: 0, preemptions: 0 };
    if (this.neverFits(seq, capacity)) return this.reject(seq, 'too_long');
    if (this.waiting.length >= this.cfg.max_waiting) return this.reject(seq, 'queue_full');
    this.waiting.push(seq);
    if (!this.iteration) this.schedule();
  }

  // ---- KV blocks ----

  private blocksFor(tokens: number): number {
    return Math.ceil(tokens / this.cfg.block_size_tokens);
  }
  private watermark(capacityBlocks: number): number {
    return Math.max(1, Math.floor((this.cfg.watermark_fraction ?? 0.01) * capacityBlocks));
  }
  private usedBlocks(): number {
    let used = 0;
    for (const seq of this.running) used += seq.blocks;
    return used;
  }
  private freeBlocks(): number {
    return this.capacityBlocks - this.usedBlocks();
  }
  private neverFits(seq: Sequence, capacityBlocks: number): boolean {
    return this.blocksFor(seq.prompt + seq.output) > capacityBlocks - this.watermark(capacityBlocks);
  }

  private applyCapacity(): void {
    if (this.pendingCapacityBlocks !== null) this.capacityBlocks = this.pendingCapacityBlocks;
    this.pendingCapacityBlocks = null;
    while (this.usedBlocks() > this.capacityBlocks) this.preempt(this.running[this.running.length - 1]);
  }

  private preempt(seq: Sequence): void {
    this.running.splice(this.running.indexOf(seq), 1);
    if (seq.emitted === 0) this.counters.recompute_tokens += seq.prefilled; // a first pass cut short is wasted
    else this.preemptionsAfterFirstToken++;
    seq.state = 'waiting';
    seq.blocks = 0;
    seq.kvTokens = 0;
    seq.prefilled = 0;
    seq.preemptions++;
    this.counters.preemptions++;
    // preempted in reverse admission order, each to the head: the queue keeps admission order
    this.waiting.unshift(seq);
  }

  // ---- scheduling one iteration ----

  private schedule(): void {
    if (this.pendingCapacityBlocks !== null) this.applyCapacity();
    const decodes: Sequence[] = [];
    const chunks: Chunk[] = [];
    if (this.cfg.chunked_prefill) {
      this.scheduleDecodes(decodes);
      let budget = this.cfg.max_batched_tokens - decodes.length;
      for (const seq of this.running) {
        if (seq.state !== 'prefill' || budget <= 0) continue;
        const tokens = Math.min(seq.prefillTarget - seq.prefilled, budget);
        chunks.push({ seq, tokens });
        budget -= tokens;
      }
      this.admit(chunks, budget);
    } else {
      this.admit(chunks, this.cfg.max_batched_tokens);
      if (chunks.length === 0 && this.running.some((s) => s.state === 'decode')) {
        this.scheduleDecodes(decodes);
        if (decodes.length === 0) this.admit(chunks, this.cfg.max_batched_tokens);
      }
    }
    if (decodes.length === 0 && chunks.length === 0) {
      if (this.running.length + this.waiting.length > 0) throw new Error('reference replica stalled');
      this.iteration = null;
      return;
    }
    this.iteration = { end_ms: this.now_ms + this.stepTime(decodes, chunks), decodes, chunks };
  }

  /** vLLM's `_schedule_running`: each decoding sequence in admission order gets its slot, preempting from the tail. */
  private scheduleDecodes(decodes: Sequence[]): void {
    for (let i = 0; i < this.running.length; i++) {
      const seq = this.running[i];
      if (seq.state !== 'decode') continue;
      const need = this.blocksFor(seq.kvTokens + 1) - seq.blocks;
      let preemptedItself = false;
      while (need > this.freeBlocks()) {
        const victim = this.running[this.running.length - 1];
        this.preempt(victim);
        if (victim === seq) {
          preemptedItself = true;
          break;
        }
      }
      if (preemptedItself) break;
      seq.blocks += need;
      decodes.push(seq);
    }
  }

  /** vLLM's `_schedule_prefills`: admit from the waiting head while the budget, max_num_seqs and blocks allow. */
  private admit(chunks: Chunk[], budget: number): void {
    const chunked = this.cfg.chunked_prefill;
    while (this.waiting.length > 0 && this.running.length < this.cfg.max_num_seqs && (!chunked || budget > 0)) {
      const seq = this.waiting[0];
      if (this.neverFits(seq, this.capacityBlocks)) {
        this.waiting.shift();
        this.reject(seq, 'too_long');
        continue;
      }
      const target = seq.prompt + seq.emitted;
      const aloneTooLong = chunks.length === 0 && target > this.cfg.max_batched_tokens;
      if (!chunked && target > budget && !aloneTooLong) break;
      const need = this.blocksFor(target);
      if (this.freeBlocks() - need < this.watermark(this.capacityBlocks)) break;
      this.waiting.shift();
      seq.state = 'prefill';
      seq.blocks = need;
      seq.prefillTarget = target;
      seq.prefilled = 0;
      this.running.push(seq);
      const timeline = this.timeline(seq);
      if (Number.isNaN(timeline.admit_ms)) timeline.admit_ms = this.now_ms;
      const tokens = chunked ? Math.min(target, budget) : target;
      chunks.push({ seq, tokens });
      budget -= tokens;
    }
  }

  private stepTime(decodes: Sequence[], chunks: Chunk[]): number {
    let prefillTokens = 0, pairs = 0, contextTokens = 0;
    for (const { seq, tokens } of chunks) {
      prefillTokens += tokens;
      pairs += tokens * (seq.prefilled + tokens / 2);
    }
    for (const seq of decodes) contextTokens += seq.kvTokens;
    if (prefillTokens === 0) return this.step.decodeInterceptMs(decodes.length) + this.step.decodeMsPerContextToken * contextTokens;
    return this.step.stepTimeMs(prefillTokens, pairs, decodes.length, contextTokens);
  }

  // ---- the end of an iteration ----

  private endIteration(): void {
    const { decodes, chunks } = this.iteration!;
    const counters = this.counters;
    counters.iterations++;
    counters.decode_tokens += decodes.length;
    for (const seq of decodes) {
      seq.kvTokens++;
      this.emit(seq);
    }
    for (const { seq, tokens } of chunks) {
      counters.prefill_tokens += tokens;
      if (seq.emitted > 0) counters.recompute_tokens += tokens;
      seq.prefilled += tokens;
      if (seq.prefilled < seq.prefillTarget) continue;
      seq.kvTokens = seq.prefillTarget;
      seq.state = 'decode';
      this.emit(seq);
    }
    this.schedule();
  }

  private emit(seq: Sequence): void {
    const timeline = this.timeline(seq);
    seq.emitted++;
    this.counters.output_tokens++;
    timeline.tokens.push(this.now_ms);
    if (seq.emitted === 1) timeline.first_token_ms = this.now_ms;
    if (seq.emitted < seq.output) return;
    this.running.splice(this.running.indexOf(seq), 1);
    timeline.done_ms = this.now_ms;
    timeline.preemptions = seq.preemptions;
    this.counters.completed++;
  }

  private reject(seq: Sequence, reason: RejectReason): void {
    const timeline = this.timeline(seq);
    timeline.rejected = reason;
    timeline.rejected_ms = this.now_ms;
  }

  private timeline(seq: Sequence): Timeline {
    return this.timelines.get(seq.req)!;
  }
}
