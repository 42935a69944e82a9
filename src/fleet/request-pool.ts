import { RecordPool, recordLayout } from './record-pool.ts';

/**
 * A request's flag bits (RequestPool.flags), all of them: the pipeline, the clients and the A/B
 * arms each own some, and none may share a bit.
 */
/** through the Chat API (else Completions) */
export const F_CHAT = 1;
/** holds an API worker slot */
export const F_HOLDS_API = 2;
/** an embedding request */
export const F_EMBED = 4;
/** served by the spill-over model */
export const F_SPILLED = 8;
/** models with an arm: which arm served the attempt */
export const F_ARM_A = 1 << 8;
export const F_ARM_B = 1 << 9;
/** the client stopped waiting for the attempt (it timed out); the server may still be working on it */
export const F_ABANDONED = 1 << 20;
/** request classes: the attempt's TTFT met its class's target, and its TPOT (goodput, src/fleet/classes.ts) */
export const F_TTFT_MET = 1 << 21;
export const F_TPOT_MET = 1 << 22;
/**
 * Bits 12-19 count the session-state Redis operations a chat attempt has made (the pipeline
 * makes chat_api.session_ops of them, at most MAX_SESSION_OPS, one after another).
 */
export const SESSION_OPS_SHIFT = 12;
export const SESSION_OPS_MASK = 0xff << SESSION_OPS_SHIFT;
export const MAX_SESSION_OPS = 0xff;

/**
 * A request's record: 128 bytes. The first 64 hold what every tier hop reads or writes (entry and
 * stage times, stage, region, flags, model, user); the second, what a request's first token and
 * its end read (arrival, tokens, replica, hold times, its client request).
 */
const RECORD_BYTES = 128;
const FIELDS = recordLayout(RECORD_BYTES, {
  enter_ms: 'f64', stage_ms: 'f64',
  stage: 'i32', region: 'i32', counted: 'i32', flags: 'i32', model: 'i32', user: 'i32', holdMode: 'i32', station: 'i32',
  logical: 'i32', promptTokens: 'i32', outputTokens: 'i32',
  arrival_ms: 'f64', firstToken_ms: 'f64', deadline_ms: 'f64', hold_ms: 'f64', holdEnter_ms: 'f64',
  prefixId: 'i32', prefixTokens: 'i32', sessionId: 'i32', sessionTurn: 'i32', gpuSlot: 'i32', requestClass: 'i32',
});
const F_ENTER = FIELDS.enter_ms, F_STAGE_MS = FIELDS.stage_ms, F_ARRIVAL = FIELDS.arrival_ms, F_FIRST_TOKEN = FIELDS.firstToken_ms,
  F_DEADLINE = FIELDS.deadline_ms, F_HOLD = FIELDS.hold_ms, F_HOLD_ENTER = FIELDS.holdEnter_ms;
const I_STAGE = FIELDS.stage, I_REGION = FIELDS.region, I_COUNTED = FIELDS.counted, I_FLAGS = FIELDS.flags, I_MODEL = FIELDS.model,
  I_USER = FIELDS.user, I_HOLD_MODE = FIELDS.holdMode, I_STATION = FIELDS.station, I_LOGICAL = FIELDS.logical,
  I_PROMPT = FIELDS.promptTokens, I_OUTPUT = FIELDS.outputTokens, I_PREFIX_ID = FIELDS.prefixId, I_PREFIX_TOKENS = FIELDS.prefixTokens,
  I_SESSION_ID = FIELDS.sessionId, I_SESSION_TURN = FIELDS.sessionTurn,
  I_GPU_SLOT = FIELDS.gpuSlot, I_CLASS = FIELDS.requestClass;
/** Record size in float64 and int32 slots. */
const NF = RECORD_BYTES / 8, NI = RECORD_BYTES / 4;

/**
 * Request state: every field of a request sits in one 128-byte record (behind the accessors below): at fleet
 * scale a request is cold in cache whenever it moves on, and its record's two cache lines cost
 * less than one line in each of a dozen parallel arrays (measured: see test/bench/README.md).
 */
export class RequestPool extends RecordPool {
  constructor(initial = 1024, max = 50_000_000) {
    super(RECORD_BYTES, initial, max, 'requests');
  }

  /** When the request entered its current station (or started waiting). */
  enter_ms(req: number): number {
    return this.f[NF * req + F_ENTER];
  }
  setEnterMs(req: number, t_ms: number): void {
    this.f[NF * req + F_ENTER] = t_ms;
  }
  /** Fleet pipeline: the request's stage, and when it began. */
  stage(req: number): number {
    return this.i[NI * req + I_STAGE];
  }
  setStage(req: number, stage: number): void {
    this.i[NI * req + I_STAGE] = stage;
  }
  stage_ms(req: number): number {
    return this.f[NF * req + F_STAGE_MS];
  }
  setStageMs(req: number, t_ms: number): void {
    this.f[NF * req + F_STAGE_MS] = t_ms;
  }
  region(req: number): number {
    return this.i[NI * req + I_REGION];
  }
  setRegion(req: number, region: number): void {
    this.i[NI * req + I_REGION] = region;
  }
  /** 1 if the request arrived after warm-up and so counts in the statistics. */
  counted(req: number): number {
    return this.i[NI * req + I_COUNTED];
  }
  setCounted(req: number, counted: number): void {
    this.i[NI * req + I_COUNTED] = counted;
  }
  flags(req: number): number {
    return this.i[NI * req + I_FLAGS];
  }
  setFlags(req: number, flags: number): void {
    this.i[NI * req + I_FLAGS] = flags;
  }
  model(req: number): number {
    return this.i[NI * req + I_MODEL];
  }
  setModel(req: number, model: number): void {
    this.i[NI * req + I_MODEL] = model;
  }
  user(req: number): number {
    return this.i[NI * req + I_USER];
  }
  setUser(req: number, user: number): void {
    this.i[NI * req + I_USER] = user;
  }
  /** 1 if the request waits in a queue for a held slot rather than a timed service. */
  holdMode(req: number): number {
    return this.i[NI * req + I_HOLD_MODE];
  }
  setHoldMode(req: number, hold: number): void {
    this.i[NI * req + I_HOLD_MODE] = hold;
  }
  /** Fleet pipeline: the global index of the GPU replica that holds the request. */
  station(req: number): number {
    return this.i[NI * req + I_STATION];
  }
  setStation(req: number, station: number): void {
    this.i[NI * req + I_STATION] = station;
  }
  /** The logical (client) request an attempt belongs to. */
  logical(req: number): number {
    return this.i[NI * req + I_LOGICAL];
  }
  setLogical(req: number, l: number): void {
    this.i[NI * req + I_LOGICAL] = l;
  }
  promptTokens(req: number): number {
    return this.i[NI * req + I_PROMPT];
  }
  setPromptTokens(req: number, tokens: number): void {
    this.i[NI * req + I_PROMPT] = tokens;
  }
  /** The system prompt the prompt starts with (-1: none), and its length in tokens (part of promptTokens). */
  prefixId(req: number): number {
    return this.i[NI * req + I_PREFIX_ID];
  }
  setPrefixId(req: number, id: number): void {
    this.i[NI * req + I_PREFIX_ID] = id;
  }
  prefixTokens(req: number): number {
    return this.i[NI * req + I_PREFIX_TOKENS];
  }
  setPrefixTokens(req: number, tokens: number): void {
    this.i[NI * req + I_PREFIX_TOKENS] = tokens;
  }
  /**
   * The conversation or agent loop the attempt is a turn of (-1: none; ids are unique per model
   * and run), and which turn (1 = the first). The user is the session's throughout.
   */
  sessionId(req: number): number {
    return this.i[NI * req + I_SESSION_ID] - 1; // kept plus one: a zeroed record is no session's
  }
  setSessionId(req: number, id: number): void {
    this.i[NI * req + I_SESSION_ID] = id + 1;
  }
  sessionTurn(req: number): number {
    return this.i[NI * req + I_SESSION_TURN];
  }
  setSessionTurn(req: number, turn: number): void {
    this.i[NI * req + I_SESSION_TURN] = turn;
  }
  /** The GPU replica's sequence slot holding the request (what GpuReplica.submit returned): a cancellation aborts it. */
  gpuSlot(req: number): number {
    return this.i[NI * req + I_GPU_SLOT];
  }
  setGpuSlot(req: number, slot: number): void {
    this.i[NI * req + I_GPU_SLOT] = slot;
  }
  /** The request's priority class (workload classes, src/fleet/classes.ts; 0 without classes). */
  requestClass(req: number): number {
    return this.i[NI * req + I_CLASS];
  }
  setRequestClass(req: number, cls: number): void {
    this.i[NI * req + I_CLASS] = cls;
  }
  outputTokens(req: number): number {
    return this.i[NI * req + I_OUTPUT];
  }
  setOutputTokens(req: number, tokens: number): void {
    this.i[NI * req + I_OUTPUT] = tokens;
  }
  arrival_ms(req: number): number {
    return this.f[NF * req + F_ARRIVAL];
  }
  setArrivalMs(req: number, t_ms: number): void {
    this.f[NF * req + F_ARRIVAL] = t_ms;
  }
  first_token_ms(req: number): number {
    return this.f[NF * req + F_FIRST_TOKEN];
  }
  setFirstTokenMs(req: number, t_ms: number): void {
    this.f[NF * req + F_FIRST_TOKEN] = t_ms;
  }
  /** When the client stops waiting for this attempt (Infinity: never). */
  deadline_ms(req: number): number {
    return this.f[NF * req + F_DEADLINE];
  }
  setDeadlineMs(req: number, t_ms: number): void {
    this.f[NF * req + F_DEADLINE] = t_ms;
  }
  /** Hold-mode tiers (worker slots): when the slot was granted, and when it was asked for. */
  hold_ms(req: number): number {
    return this.f[NF * req + F_HOLD];
  }
  setHoldMs(req: number, t_ms: number): void {
    this.f[NF * req + F_HOLD] = t_ms;
  }
  hold_enter_ms(req: number): number {
    return this.f[NF * req + F_HOLD_ENTER];
  }
  setHoldEnterMs(req: number, t_ms: number): void {
    this.f[NF * req + F_HOLD_ENTER] = t_ms;
  }
}
