import type { Rng } from '../engine/random.ts';
import type { Simulator } from '../engine/sim.ts';
import { LatencyStats } from '../metrics/latency.ts';
import { emptyCounts, type Outcome, type RequestCounts } from '../metrics/outcomes.ts';
import type { TimeSeries } from '../metrics/timeseries.ts';
import type { ClientConfig } from './client-schema.ts';
import type { RequestClasses } from './classes.ts';
import { F_ABANDONED, type RequestPool } from './request-pool.ts';
import type { RequestSink } from './stations/network.ts';
import { recordLayout } from './record-pool.ts';

/**
 * A logical request's record, 64 bytes: its arrival time and the cancel token of its client
 * timeout (-1 without one; tokens exceed int32), then the int32 fields. counted, resolved and
 * live are 0 or 1; region to flags keep the first attempt's attributes for retries.
 */
const LOGICAL_BYTES = 64;
const LOGICAL_FIELDS = recordLayout(LOGICAL_BYTES, {
  arrival_ms: 'f64', timeoutEvent: 'f64',
  attempts: 'i32', model: 'i32', requestClass: 'i32', counted: 'i32', resolved: 'i32', live: 'i32',
  region: 'i32', user: 'i32', promptTokens: 'i32', outputTokens: 'i32', flags: 'i32',
});
/** Record size in float64 and int32 slots. */
const LF = LOGICAL_BYTES / 8, LI = LOGICAL_BYTES / 4;
const LF_ARRIVAL_MS = LOGICAL_FIELDS.arrival_ms, LF_TIMEOUT_EVENT = LOGICAL_FIELDS.timeoutEvent;
const LI_ATTEMPTS = LOGICAL_FIELDS.attempts, LI_MODEL = LOGICAL_FIELDS.model, LI_REQUEST_CLASS = LOGICAL_FIELDS.requestClass,
  LI_COUNTED = LOGICAL_FIELDS.counted, LI_RESOLVED = LOGICAL_FIELDS.resolved, LI_LIVE = LOGICAL_FIELDS.live,
  LI_REGION = LOGICAL_FIELDS.region, LI_USER = LOGICAL_FIELDS.user, LI_PROMPT_TOKENS = LOGICAL_FIELDS.promptTokens,
  LI_OUTPUT_TOKENS = LOGICAL_FIELDS.outputTokens, LI_FLAGS = LOGICAL_FIELDS.flags;

/** Where attempts go: the station network or the fleet pipeline. */
export interface AttemptTarget {
  /** A new request's first attempt: the model draws its attributes (model, tokens, user). */
  first(req: number): void;
  /** A retry: the attempt's attributes were copied from the first attempt. */
  retry(req: number): void;
  /** Number of request classes (models) for per-class counts. */
  readonly classes: number;
  /** The client stopped waiting for the attempt (timeout): a stack that cancels aborts it (it may finish the attempt at once). */
  cancel?(req: number): void;
}

/** Attempt-level figures (a request's retries are attempts of the same request). */
export interface AttemptCounts {
  attempts: number;
  retries: number;
  /** Attempts the client stopped waiting for (timeout) while the system kept working on them. */
  abandoned: number;
  /** Attempts refused at once by an open circuit breaker. */
  short_circuited: number;
  /** Retries not sent because the retry budget was spent. */
  budget_exhausted: number;
}

/**
 * The clients: every logical request ends in exactly one outcome bucket however many attempts it
 * took. Attempts time out on the client's clock (the server does not know and keeps working),
 * failed attempts are retried with exponential backoff and jitter within a retry budget, users
 * give up, and a circuit breaker fails fast while errors dominate. Without a `client` section a
 * request is one attempt and nothing here draws a random number.
 */
export class ClientLayer implements RequestSink {
  readonly counts: RequestCounts = emptyCounts();
  readonly byClass: RequestCounts[];
  readonly attemptCounts: AttemptCounts = { attempts: 0, retries: 0, abandoned: 0, short_circuited: 0, budget_exhausted: 0 };
  readonly e2e = new LatencyStats();
  /** Attempts the system completed inside the measured window (whenever they arrived), whether or not their client still waited. */
  servedAttempts = 0;
  /** Requests completed to a client still waiting, inside the measured window (whenever they arrived): goodput. */
  deliveredInWindow = 0;
  /** Logical requests arrived and not yet resolved (warm-up ones too): the in-flight count the time series samples. */
  live = 0;
  readonly e2eByClass: LatencyStats[];
  /**
   * Logical requests, one 64-byte record each (LOGICAL_FIELDS), recycled: an arrival writes about
   * seven of the fields and a resolution reads about six; with 600,000 requests in flight in the
   * full fleet each of the 13 arrays this replaced was one more cold cache line (bench:pair:
   * about 5% of the fleet's time, test/bench/README.md).
   */
  private logicalBuf = new ArrayBuffer(LOGICAL_BYTES * 1024);
  private lf = new Float64Array(this.logicalBuf);
  private li = new Int32Array(this.logicalBuf);
  private logicalCapacity = 1024;
  /** Request classes, when the fleet declares them: per-class counts and e2e. */
  requestClasses: RequestClasses | null = null;
  private lFree: number[] = [];
  private lNext = 0;
  private readonly timeoutHandler: number;
  private readonly retryHandler: number;
  // Retry budget and circuit breaker state.
  private budget = 0;
  private budgetAt = 0;
  private breakerOpenUntil = -Infinity;
  private winStart = 0;
  private winAttempts = 0;
  private winErrors = 0;

  constructor(
    private readonly sim: Simulator,
    private readonly pool: RequestPool,
    private readonly target: AttemptTarget,
    private readonly cfg: ClientConfig | undefined,
    private readonly series: TimeSeries,
    private readonly warmup_ms: number,
    private readonly rng: Rng,
  ) {
    this.byClass = Array.from({ length: target.classes }, () => emptyCounts());
    this.e2eByClass = Array.from({ length: target.classes }, () => new LatencyStats());
    this.timeoutHandler = sim.on((req) => this.onTimeout(req));
    this.retryHandler = sim.on((l) => this.startRetry(l));
    if (cfg?.budget) this.budget = cfg.budget.min_per_s * 10;
    this.canRetry = cfg !== undefined && cfg.max_retries > 0;
  }

  /** Retries are configured: each request's identity is kept for them (five fewer writes per request otherwise). */
  private readonly canRetry: boolean;

  /** A new request arrives now. */
  arrive(): void {
    const now = this.sim.now_ms;
    const l = this.allocLogical();
    const counted = now >= this.warmup_ms ? 1 : 0;
    this.lf[LF * l + LF_ARRIVAL_MS] = now;
    this.li[LI * l + LI_COUNTED] = counted;
    this.li[LI * l + LI_ATTEMPTS] = 0;
    this.li[LI * l + LI_RESOLVED] = 0;
    this.series.arrival(now);
    if (counted) this.counts.offered++;
    if (this.cfg?.budget) this.budget += this.cfg.budget.ratio;
    // a batch dispatcher's request has its class before it is drawn (a short-circuited one keeps it)
    this.li[LI * l + LI_REQUEST_CLASS] = this.requestClasses === null ? 0 : Math.max(0, this.requestClasses.forced);
    const req = this.newAttempt(l);
    if (req < 0) {
      // Short-circuited before the request was drawn: counted under the first class.
      if (counted) this.byClass[0].offered++;
      return;
    }
    this.target.first(req);
    // Remember what the request is, for its retries (the class also for the in-flight count).
    const p = this.pool;
    this.li[LI * l + LI_MODEL] = p.model(req);
    this.li[LI * l + LI_REQUEST_CLASS] = p.requestClass(req);
    if (counted) this.requestClasses?.offered(p.requestClass(req));
    this.requestClasses?.arrived(p.requestClass(req));
    if (this.requestClasses?.isBatch[p.requestClass(req)] === 1) this.untimed(l, req);
    if (this.canRetry) {
      this.li[LI * l + LI_REGION] = p.region(req);
      this.li[LI * l + LI_USER] = p.user(req);
      this.li[LI * l + LI_PROMPT_TOKENS] = p.promptTokens(req);
      this.li[LI * l + LI_OUTPUT_TOKENS] = p.outputTokens(req);
      this.li[LI * l + LI_FLAGS] = p.flags(req);
    }
    if (counted) this.byClass[p.model(req)].offered++;
  }

  /** Allocates and stamps an attempt of l, or resolves l at once if the breaker is open (-1). */
  private newAttempt(l: number): number {
    const now = this.sim.now_ms;
    const p = this.pool;
    const cfg = this.cfg;
    this.li[LI * l + LI_ATTEMPTS]++;
    this.attemptCounts.attempts++;
    if (cfg?.breaker && now < this.breakerOpenUntil) {
      this.attemptCounts.short_circuited++;
      // Nothing was sent: the class is the first attempt's (or 0 before any).
      this.resolve(l, 'failed', now, this.li[LI * l + LI_ATTEMPTS] > 1 ? this.li[LI * l + LI_MODEL] : 0);
      return -1;
    }
    const req = p.alloc();
    p.setArrivalMs(req, now);
    p.setCounted(req, this.li[LI * l + LI_COUNTED]);
    p.setLogical(req, l);
    p.setFlags(req, 0);
    p.setModel(req, 0);
    p.setSessionId(req, -1); // a retry is not a session's turn: the failed attempt ended the session
    p.setRequestClass(req, 0);
    // a batch request's client waits for its completion window, not a timeout
    const timeout = cfg && !(this.li[LI * l + LI_ATTEMPTS] > 1 && this.requestClasses?.isBatch[this.li[LI * l + LI_REQUEST_CLASS]] === 1) ? cfg.timeout_ms : Infinity;
    p.setDeadlineMs(req, now + timeout);
    this.lf[LF * l + LF_TIMEOUT_EVENT] = timeout < Infinity ? this.sim.at(now + timeout, this.timeoutHandler, req) : -1;
    return req;
  }

  /** A batch request's first attempt: its client does not time out. */
  private untimed(l: number, req: number): void {
    if (this.lf[LF * l + LF_TIMEOUT_EVENT] >= 0) this.sim.cancel(this.lf[LF * l + LF_TIMEOUT_EVENT]);
    this.lf[LF * l + LF_TIMEOUT_EVENT] = -1;
    this.pool.setDeadlineMs(req, Infinity);
  }

  private startRetry(l: number): void {
    if (this.li[LI * l + LI_RESOLVED]) return;
    const req = this.newAttempt(l);
    if (req < 0) return;
    const p = this.pool;
    p.setModel(req, this.li[LI * l + LI_MODEL]);
    p.setRegion(req, this.li[LI * l + LI_REGION]);
    p.setUser(req, this.li[LI * l + LI_USER]);
    p.setPromptTokens(req, this.li[LI * l + LI_PROMPT_TOKENS]);
    p.setOutputTokens(req, this.li[LI * l + LI_OUTPUT_TOKENS]);
    p.setFlags(req, this.li[LI * l + LI_FLAGS]);
    p.setRequestClass(req, this.li[LI * l + LI_REQUEST_CLASS]);
    this.target.retry(req);
  }

  /** An attempt left the system (RequestSink). */
  finish(req: number, outcome: Outcome, t_ms: number): void {
    const p = this.pool;
    const l = p.logical(req);
    const abandoned = (p.flags(req) & F_ABANDONED) !== 0;
    const cls = p.model(req);
    // served inside the measured window, whenever it arrived (as the tokens are counted: pipeline.ts done)
    if (outcome === 'completed' && t_ms >= this.warmup_ms) this.servedAttempts++;
    p.release(req);
    if (abandoned) return; // the client left long ago: wasted work
    if (this.lf[LF * l + LF_TIMEOUT_EVENT] >= 0) this.sim.cancel(this.lf[LF * l + LF_TIMEOUT_EVENT]);
    this.noteBreaker(outcome !== 'completed', t_ms);
    if (outcome !== 'completed' && this.mayRetry(l, outcome)) return;
    this.resolve(l, outcome, t_ms, cls);
  }

  private onTimeout(req: number): void {
    const p = this.pool;
    const l = p.logical(req);
    p.setFlags(req, p.flags(req) | F_ABANDONED);
    this.attemptCounts.abandoned++;
    this.noteBreaker(true, this.sim.now_ms);
    if (!this.mayRetry(l, 'timed_out')) this.resolve(l, 'timed_out', this.sim.now_ms, p.model(req));
    // last: a cancelling stack may end the attempt at once (its record is then released)
    this.target.cancel?.(req);
  }

  /** Schedules a retry if the policy allows one; true if it did. */
  private mayRetry(l: number, outcome: Outcome): boolean {
    const cfg = this.cfg;
    if (!cfg || this.li[LI * l + LI_ATTEMPTS] > cfg.max_retries || !cfg.retry_on.includes(outcome as 'failed')) return false;
    const now = this.sim.now_ms;
    const n = this.li[LI * l + LI_ATTEMPTS] - 1; // retries so far
    let delay = Math.min(cfg.initial_ms * Math.pow(cfg.multiplier, n), cfg.max_ms);
    if (cfg.jitter === 'full') delay *= this.rng();
    else if (cfg.jitter === 'equal') delay = delay / 2 + (delay / 2) * this.rng();
    else if (cfg.jitter === 'proportional') delay *= 1 - 0.25 * this.rng();
    if (now + delay - this.lf[LF * l + LF_ARRIVAL_MS] > cfg.give_up_ms) return false;
    if (cfg.budget) {
      this.refillBudget(now);
      if (this.budget < 1) {
        this.attemptCounts.budget_exhausted++;
        return false;
      }
      this.budget -= 1;
    }
    this.attemptCounts.retries++;
    this.series.retry(now + delay);
    this.sim.at(now + delay, this.retryHandler, l);
    return true;
  }

  /**
   * Retry budget as a token bucket (as Finagle's RetryBudget): each first attempt deposits
   * `ratio`, time deposits `min_per_s` per second, each retry withdraws 1; capped at 10 s of
   * reserve plus 100 requests' deposits so an idle period cannot bank a storm.
   */
  private refillBudget(now: number): void {
    const b = this.cfg!.budget!;
    this.budget += ((now - this.budgetAt) / 1000) * b.min_per_s;
    this.budgetAt = now;
    const cap = Math.max(1, b.min_per_s * 10 + b.ratio * 100);
    if (this.budget > cap) this.budget = cap;
  }

  /** Counts an attempt outcome in the breaker's window; opens the breaker when errors dominate. */
  private noteBreaker(error: boolean, now: number): void {
    const br = this.cfg?.breaker;
    if (!br) return;
    if (now - this.winStart > br.window_s * 1000) {
      this.winStart = now;
      this.winAttempts = 0;
      this.winErrors = 0;
    }
    this.winAttempts++;
    if (error) this.winErrors++;
    if (now >= this.breakerOpenUntil && this.winAttempts >= br.min_requests && this.winErrors / this.winAttempts > br.error_threshold) {
      this.breakerOpenUntil = now + br.open_s * 1000;
      this.winStart = this.breakerOpenUntil; // half-open afterwards with a fresh window
      this.winAttempts = 0;
      this.winErrors = 0;
    }
  }

  private resolve(l: number, outcome: Outcome, t_ms: number, cls: number): void {
    this.li[LI * l + LI_RESOLVED] = 1;
    this.requestClasses?.ended(this.li[LI * l + LI_REQUEST_CLASS], outcome, t_ms, this.lf[LF * l + LF_ARRIVAL_MS]);
    if (outcome === 'completed' && t_ms >= this.warmup_ms) this.deliveredInWindow++;
    if (this.li[LI * l + LI_COUNTED]) {
      this.counts[outcome]++;
      this.byClass[cls][outcome]++;
      this.requestClasses?.resolved(this.li[LI * l + LI_REQUEST_CLASS], outcome, t_ms - this.lf[LF * l + LF_ARRIVAL_MS]);
      if (outcome === 'completed') {
        const e2e = t_ms - this.lf[LF * l + LF_ARRIVAL_MS];
        this.e2e.add(e2e);
        this.e2eByClass[cls].add(e2e);
        this.series.completion(t_ms, e2e);
      } else this.series.error(t_ms, outcome === 'rejected');
    }
    this.li[LI * l + LI_LIVE] = 0;
    this.live--;
    this.lFree.push(l);
  }

  /**
   * Adds the age at end_ms of every counted request still in flight to `all` and to its class's
   * sketch: censored observations (each one's latency is at least its age).
   */
  addInFlightAges(end_ms: number, all: LatencyStats, byClass: readonly LatencyStats[]): void {
    for (let l = 0; l < this.lNext; l++) {
      if (this.li[LI * l + LI_LIVE] && this.li[LI * l + LI_COUNTED]) {
        const age_ms = end_ms - this.lf[LF * l + LF_ARRIVAL_MS];
        all.add(age_ms);
        byClass[this.li[LI * l + LI_MODEL]].add(age_ms);
      }
    }
  }

  /** Requests counted and not resolved at the end, in total and per class. */
  inFlight(): { total: number; byClass: number[] } {
    const byClass = new Array<number>(this.byClass.length).fill(0);
    let total = 0;
    for (let l = 0; l < this.lNext; l++) {
      if (this.li[LI * l + LI_LIVE] && this.li[LI * l + LI_COUNTED]) {
        total++;
        byClass[this.li[LI * l + LI_MODEL]]++;
      }
    }
    return { total, byClass };
  }

  private allocLogical(): number {
    let l: number;
    if (this.lFree.length > 0) l = this.lFree.pop()!;
    else {
      if (this.lNext >= this.logicalCapacity) this.grow();
      l = this.lNext++;
    }
    this.li[LI * l + LI_LIVE] = 1;
    this.live++;
    return l;
  }

  private grow(): void {
    const capacity = this.logicalCapacity * 2;
    const buf = new ArrayBuffer(LOGICAL_BYTES * capacity);
    new Uint8Array(buf).set(new Uint8Array(this.logicalBuf));
    this.logicalBuf = buf;
    this.lf = new Float64Array(buf);
    this.li = new Int32Array(buf);
    this.logicalCapacity = capacity;
  }

}
