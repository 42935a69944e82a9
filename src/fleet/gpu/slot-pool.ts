import { RecordPool, recordLayout } from '../record-pool.ts';

/** A sequence's record: 128 bytes, two cache lines. */
const RECORD_BYTES = 128;
const FIELDS = recordLayout(RECORD_BYTES, {
  base: 'f64', finish: 'f64', joinGen: 'f64', join_ms: 'f64', lastToken_ms: 'f64', submit_ms: 'f64', admit_ms: 'f64',
  req: 'i32', prompt: 'i32', out: 'i32', emitted: 'i32', target: 'i32', prefilled: 'i32', preempts: 'i32',
  epoch: 'i32', state: 'i32', runPrev: 'i32', runNext: 'i32', prefillPrev: 'i32', prefillNext: 'i32',
  prefixEntry: 'i32', prefixBlocks: 'i32', sharedBlocks: 'i32', priority: 'i32',
});
const F_BASE = FIELDS.base, F_FINISH = FIELDS.finish, F_JOIN_GEN = FIELDS.joinGen, F_JOIN = FIELDS.join_ms,
  F_LAST_TOKEN = FIELDS.lastToken_ms, F_SUBMIT = FIELDS.submit_ms, F_ADMIT = FIELDS.admit_ms;
const I_REQ = FIELDS.req, I_PROMPT = FIELDS.prompt, I_OUT = FIELDS.out, I_EMITTED = FIELDS.emitted, I_TARGET = FIELDS.target,
  I_PREFILLED = FIELDS.prefilled, I_PREEMPTS = FIELDS.preempts, I_EPOCH = FIELDS.epoch, I_STATE = FIELDS.state,
  I_RUN_PREV = FIELDS.runPrev, I_RUN_NEXT = FIELDS.runNext, I_PF_PREV = FIELDS.prefillPrev, I_PF_NEXT = FIELDS.prefillNext,
  I_PREFIX_ENTRY = FIELDS.prefixEntry, I_PREFIX_BLOCKS = FIELDS.prefixBlocks, I_SHARED_BLOCKS = FIELDS.sharedBlocks,
  I_PRIORITY = FIELDS.priority;
/** Record size in float64 and int32 slots. */
const NF = RECORD_BYTES / 8, NI = RECORD_BYTES / 4;

/**
 * The state of the sequences GPU replicas hold (waiting, prefilling, decoding), one 128-byte record
 * each. One pool serves every replica of a fleet: a replica's sequence is cold in cache whenever
 * the replica runs its next iteration, and its record's two cache lines, behind typed arrays every
 * replica shares, cost less than a line in each of twenty arrays per replica (see
 * test/bench/README.md).
 */
export class SlotPool extends RecordPool {
  constructor(initial = 1024, max = 50_000_000) {
    super(RECORD_BYTES, initial, max, 'GPU sequences');
  }

  /** Scheduling priority (0 first; as vLLM's priority policy, a lower value runs first). */
  priority(s: number): number {
    return this.i[NI * s + I_PRIORITY];
  }
  setPriority(s: number, v: number): void {
    this.i[NI * s + I_PRIORITY] = v;
  }
  /** The caller's request id. */
  req(s: number): number {
    return this.i[NI * s + I_REQ];
  }
  setReq(s: number, v: number): void {
    this.i[NI * s + I_REQ] = v;
  }
  prompt(s: number): number {
    return this.i[NI * s + I_PROMPT];
  }
  setPrompt(s: number, v: number): void {
    this.i[NI * s + I_PROMPT] = v;
  }
  /** Output tokens the request will produce. */
  out(s: number): number {
    return this.i[NI * s + I_OUT];
  }
  setOut(s: number, v: number): void {
    this.i[NI * s + I_OUT] = v;
  }
  /** Output tokens produced before the current admission (updated at preemption and at prefill end). */
  emitted(s: number): number {
    return this.i[NI * s + I_EMITTED];
  }
  setEmitted(s: number, v: number): void {
    this.i[NI * s + I_EMITTED] = v;
  }
  /** Tokens the current (re)prefill must bring into the KV cache. */
  target(s: number): number {
    return this.i[NI * s + I_TARGET];
  }
  setTarget(s: number, v: number): void {
    this.i[NI * s + I_TARGET] = v;
  }
  prefilled(s: number): number {
    return this.i[NI * s + I_PREFILLED];
  }
  setPrefilled(s: number, v: number): void {
    this.i[NI * s + I_PREFILLED] = v;
  }
  preempts(s: number): number {
    return this.i[NI * s + I_PREEMPTS];
  }
  setPreempts(s: number, v: number): void {
    this.i[NI * s + I_PREEMPTS] = v;
  }
  /** Bumped whenever the slot's finish-heap entry goes stale (preemption, release). */
  epoch(s: number): number {
    return this.i[NI * s + I_EPOCH];
  }
  bumpEpoch(s: number): void {
    this.i[NI * s + I_EPOCH]++;
  }
  state(s: number): number {
    return this.i[NI * s + I_STATE];
  }
  setState(s: number, v: number): void {
    this.i[NI * s + I_STATE] = v;
  }
  /** Running list (admission order) links, -1 at the ends. */
  runPrev(s: number): number {
    return this.i[NI * s + I_RUN_PREV];
  }
  setRunPrev(s: number, v: number): void {
    this.i[NI * s + I_RUN_PREV] = v;
  }
  runNext(s: number): number {
    return this.i[NI * s + I_RUN_NEXT];
  }
  setRunNext(s: number, v: number): void {
    this.i[NI * s + I_RUN_NEXT] = v;
  }
  /** Prefilling list links, -1 at the ends. */
  pfPrev(s: number): number {
    return this.i[NI * s + I_PF_PREV];
  }
  setPfPrev(s: number, v: number): void {
    this.i[NI * s + I_PF_PREV] = v;
  }
  pfNext(s: number): number {
    return this.i[NI * s + I_PF_NEXT];
  }
  setPfNext(s: number, v: number): void {
    this.i[NI * s + I_PF_NEXT] = v;
  }
  /** The replica's prefix-cache entry of the request's shared prefix, -1 without one. */
  prefixEntry(s: number): number {
    return this.i[NI * s + I_PREFIX_ENTRY];
  }
  setPrefixEntry(s: number, v: number): void {
    this.i[NI * s + I_PREFIX_ENTRY] = v;
  }
  /** Full KV blocks of the shared prefix (the part of the prompt that can be cached). */
  prefixBlocks(s: number): number {
    return this.i[NI * s + I_PREFIX_BLOCKS];
  }
  setPrefixBlocks(s: number, v: number): void {
    this.i[NI * s + I_PREFIX_BLOCKS] = v;
  }
  /** Of the blocks the sequence uses, those held by the prefix cache rather than by the sequence itself. */
  sharedBlocks(s: number): number {
    return this.i[NI * s + I_SHARED_BLOCKS];
  }
  setSharedBlocks(s: number, v: number): void {
    this.i[NI * s + I_SHARED_BLOCKS] = v;
  }
  /** KV context minus the replica's decode-iteration count (constant while the sequence decodes). */
  base(s: number): number {
    return this.f[NF * s + F_BASE];
  }
  setBase(s: number, v: number): void {
    this.f[NF * s + F_BASE] = v;
  }
  /** Decode-iteration count at which the sequence's last token is produced. */
  finish(s: number): number {
    return this.f[NF * s + F_FINISH];
  }
  setFinish(s: number, v: number): void {
    this.f[NF * s + F_FINISH] = v;
  }
  /** Decode-iteration count when the sequence began decoding, and the time. */
  joinGen(s: number): number {
    return this.f[NF * s + F_JOIN_GEN];
  }
  setJoinGen(s: number, v: number): void {
    this.f[NF * s + F_JOIN_GEN] = v;
  }
  join_ms(s: number): number {
    return this.f[NF * s + F_JOIN];
  }
  setJoinMs(s: number, t_ms: number): void {
    this.f[NF * s + F_JOIN] = t_ms;
  }
  lastToken_ms(s: number): number {
    return this.f[NF * s + F_LAST_TOKEN];
  }
  setLastTokenMs(s: number, t_ms: number): void {
    this.f[NF * s + F_LAST_TOKEN] = t_ms;
  }
  submit_ms(s: number): number {
    return this.f[NF * s + F_SUBMIT];
  }
  setSubmitMs(s: number, t_ms: number): void {
    this.f[NF * s + F_SUBMIT] = t_ms;
  }
  /** First admission to the running batch (NaN until then). */
  admit_ms(s: number): number {
    return this.f[NF * s + F_ADMIT];
  }
  setAdmitMs(s: number, t_ms: number): void {
    this.f[NF * s + F_ADMIT] = t_ms;
  }
}
