import { RecordPool } from './record-pool.ts';

/**
 * Where each field sits in a request's 128-byte record: float64 slots (index into `f`, 16 per
 * request) and int32 slots (index into `i`, 32 per request), over the same bytes. The first 64
 * bytes hold what every tier hop reads or writes (entry and stage times, stage, region, flags,
 * model, user); the second, what a request's first token and its end read (arrival, tokens,
 * replica, hold times, its client request).
 */
const F_ENTER = 0, F_STAGE_MS = 1;
const I_STAGE = 4, I_REGION = 5, I_COUNTED = 6, I_FLAGS = 7, I_MODEL = 8, I_USER = 9, I_HOLD_MODE = 10, I_STATION = 11, I_LOGICAL = 12, I_PROMPT = 13, I_OUTPUT = 14;
const F_ARRIVAL = 8, F_FIRST_TOKEN = 9, F_DEADLINE = 10, F_HOLD = 11, F_HOLD_ENTER = 12;
/** Record size in float64 and int32 slots (128 bytes). */
const NF = 16, NI = 32;

/**
 * Request state: every field of a request sits in one 128-byte record (behind the accessors below): at fleet
 * scale a request is cold in cache whenever it moves on, and its record's two cache lines cost
 * less than one line in each of a dozen parallel arrays (measured: see test/bench/README.md).
 */
export class RequestPool extends RecordPool {
  constructor(initial = 1024, max = 50_000_000) {
    super(8 * NF, initial, max, 'requests');
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
