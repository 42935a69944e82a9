/** Offsets of the hot fields in a request's 64-byte record (see RequestPool.hot). */
const ENTER = 0, STAGE_MS = 1, STAGE = 2, REGION = 3, COUNTED = 4, FLAGS = 5, MODEL = 6, USER = 7;
const HOT = 8;

/**
 * Request state as typed arrays, recycled through a free list, so memory follows the number of
 * requests in flight, not the number simulated.
 *
 * The fields every tier hop reads or writes sit together in one 64-byte record per request
 * (`hot`, behind the accessors below): at fleet scale a hop finds the request cold in cache,
 * and one cache line per request costs less than eight arrays' lines. The rest are arrays.
 */
export class RequestPool {
  /** Per request: enter_ms, stage_ms, stage, region, counted, flags, model, user. */
  private hot = new Float64Array(0);

  /** When the request entered its current station (or started waiting). */
  enter_ms(req: number): number {
    return this.hot[HOT * req + ENTER];
  }
  setEnterMs(req: number, t_ms: number): void {
    this.hot[HOT * req + ENTER] = t_ms;
  }
  /** Fleet pipeline: the request's stage, and when it began. */
  stage(req: number): number {
    return this.hot[HOT * req + STAGE];
  }
  setStage(req: number, stage: number): void {
    this.hot[HOT * req + STAGE] = stage;
  }
  stage_ms(req: number): number {
    return this.hot[HOT * req + STAGE_MS];
  }
  setStageMs(req: number, t_ms: number): void {
    this.hot[HOT * req + STAGE_MS] = t_ms;
  }
  region(req: number): number {
    return this.hot[HOT * req + REGION];
  }
  setRegion(req: number, region: number): void {
    this.hot[HOT * req + REGION] = region;
  }
  /** 1 if the request arrived after warm-up and so counts in the statistics. */
  counted(req: number): number {
    return this.hot[HOT * req + COUNTED];
  }
  setCounted(req: number, counted: number): void {
    this.hot[HOT * req + COUNTED] = counted;
  }
  flags(req: number): number {
    return this.hot[HOT * req + FLAGS];
  }
  setFlags(req: number, flags: number): void {
    this.hot[HOT * req + FLAGS] = flags;
  }
  model(req: number): number {
    return this.hot[HOT * req + MODEL];
  }
  setModel(req: number, model: number): void {
    this.hot[HOT * req + MODEL] = model;
  }
  user(req: number): number {
    return this.hot[HOT * req + USER];
  }
  setUser(req: number, user: number): void {
    this.hot[HOT * req + USER] = user;
  }

  arrival_ms = new Float64Array(0);
  station = new Int32Array(0);
  /** 1 while the request is alive. */
  live = new Uint8Array(0);
  promptTokens = new Int32Array(0);
  outputTokens = new Int32Array(0);
  /** Hold-mode tiers (worker slots): when the slot was granted, and when it was asked for. */
  hold_ms = new Float64Array(0);
  hold_enter_ms = new Float64Array(0);
  /** 1 if the request waits in a queue for a held slot rather than a timed service. */
  holdMode = new Uint8Array(0);
  first_token_ms = new Float64Array(0);
  /** The logical (client) request an attempt belongs to. */
  logical = new Int32Array(0);
  /** When the client stops waiting for this attempt (Infinity: never). */
  deadline_ms = new Float64Array(0);
  private free = new Int32Array(0);
  private freeCount = 0;
  private next = 0;

  constructor(initial = 1024, private readonly max = 50_000_000) {
    this.resize(initial);
  }

  alloc(): number {
    let id: number;
    if (this.freeCount > 0) id = this.free[--this.freeCount];
    else {
      if (this.next >= this.live.length) this.resize(this.live.length * 2);
      id = this.next++;
    }
    this.live[id] = 1;
    return id;
  }

  release(id: number): void {
    this.live[id] = 0;
    this.free[this.freeCount++] = id;
  }

  private resize(n: number): void {
    if (n > this.max) throw new RangeError(`more than ${this.max} requests in flight: raise limits or check for an overloaded tier`);
    const f64 = (a: Float64Array) => { const b = new Float64Array(n); b.set(a); return b; };
    const i32 = (a: Int32Array) => { const b = new Int32Array(n); b.set(a); return b; };
    const u8 = (a: Uint8Array) => { const b = new Uint8Array(n); b.set(a); return b; };
    const hot = new Float64Array(HOT * n);
    hot.set(this.hot);
    this.hot = hot;
    this.arrival_ms = f64(this.arrival_ms);
    this.station = i32(this.station);
    this.live = u8(this.live);
    this.promptTokens = i32(this.promptTokens);
    this.outputTokens = i32(this.outputTokens);
    this.hold_ms = f64(this.hold_ms);
    this.hold_enter_ms = f64(this.hold_enter_ms);
    this.holdMode = u8(this.holdMode);
    this.first_token_ms = f64(this.first_token_ms);
    this.logical = i32(this.logical);
    this.deadline_ms = f64(this.deadline_ms);
    this.free = i32(this.free);
  }
}
