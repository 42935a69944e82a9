/**
 * Request state as a struct of typed arrays, recycled through a free list, so memory follows the
 * number of requests in flight, not the number simulated.
 */
export class RequestPool {
  arrival_ms = new Float64Array(0);
  /** When the request entered its current station (or started waiting). */
  enter_ms = new Float64Array(0);
  station = new Int32Array(0);
  /** 1 if the request arrived after warm-up and so counts in the statistics. */
  counted = new Uint8Array(0);
  /** 1 while the request is alive. */
  live = new Uint8Array(0);
  promptTokens = new Int32Array(0);
  outputTokens = new Int32Array(0);
  /** Hold-mode tiers (worker slots): when the slot was granted, and when it was asked for. */
  hold_ms = new Float64Array(0);
  hold_enter_ms = new Float64Array(0);
  /** 1 if the request waits in a queue for a held slot rather than a timed service. */
  holdMode = new Uint8Array(0);
  /** Fleet pipeline state: stage, when it began, model, region, user, first token time, flags. */
  stage = new Int32Array(0);
  stage_ms = new Float64Array(0);
  model = new Int32Array(0);
  region = new Int32Array(0);
  user = new Int32Array(0);
  first_token_ms = new Float64Array(0);
  flags = new Int32Array(0);
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
    this.arrival_ms = f64(this.arrival_ms);
    this.enter_ms = f64(this.enter_ms);
    this.station = i32(this.station);
    this.counted = u8(this.counted);
    this.live = u8(this.live);
    this.promptTokens = i32(this.promptTokens);
    this.outputTokens = i32(this.outputTokens);
    this.hold_ms = f64(this.hold_ms);
    this.hold_enter_ms = f64(this.hold_enter_ms);
    this.holdMode = u8(this.holdMode);
    this.stage = i32(this.stage);
    this.stage_ms = f64(this.stage_ms);
    this.model = i32(this.model);
    this.region = i32(this.region);
    this.user = i32(this.user);
    this.first_token_ms = f64(this.first_token_ms);
    this.flags = i32(this.flags);
    this.logical = i32(this.logical);
    this.deadline_ms = f64(this.deadline_ms);
    this.free = i32(this.free);
  }
}
