import type { Sampler } from '../../engine/distributions.ts';
import type { Simulator } from '../../engine/sim.ts';
import type { RequestPool } from '../request-pool.ts';
import { Station } from './station.ts';

/** What a tier does with a request once it leaves. One object per owner: no closure per request. */
export interface TierOutput {
  /** The request finished its service (or, in hold mode, acquired its slot). */
  served(req: number, tier: ServiceTier): void;
  /** The request was turned away (queue full) or waited past the tier's timeout. */
  dropped(req: number, outcome: 'rejected' | 'timed_out' | 'failed', t_ms: number, tier: ServiceTier): void;
}

/**
 * A pool of identical servers with one FCFS queue (ideal load balancing across instances).
 * Two modes: `enter` holds a server for a sampled service time; `acquire`/`release` hold it
 * until the owner releases it (a worker slot held while a response streams).
 */
export class ServiceTier {
  readonly station: Station;
  private readonly doneHandler: number;
  /** Multiplies sampled service times (faults: a slow dependency). */
  slowdown = 1;
  /** Skip queued requests whose client deadline has passed instead of serving them. */
  deadlineAware = false;
  /** Reject an arrival when the expected wait (queue x mean service / servers) exceeds this. */
  shedWait_ms = Infinity;
  /** Faults: added to every service time. */
  addDelay_ms = 0;
  /** Faults: share of arrivals that fail at once (errors, unreachable). */
  failProb = 0;
  /** Faults: the tier is down; what it holds fails and every arrival fails. */
  private dead = false;
  /** Random stream for fault decisions (its own, so faults do not shift other draws). */
  faultRng: () => number = Math.random;

  constructor(
    private readonly sim: Simulator,
    private readonly pool: RequestPool,
    readonly id: number,
    readonly name: string,
    servers: number,
    private readonly service: Sampler | null,
    queueLimit: number,
    timeout_ms: number,
    warmup_ms: number,
    private readonly out: TierOutput,
    routeRng: () => number = Math.random,
  ) {
    this.station = new Station(id, name, servers, service as Sampler, routeRng, queueLimit, timeout_ms, warmup_ms);
    this.doneHandler = sim.on((req) => this.onServiceDone(req));
  }

  /** A request arrives for a timed service. */
  enter(req: number): void {
    this.admit(req, false);
  }

  /** A request asks for a slot it will hold until release(req). */
  acquire(req: number): void {
    this.admit(req, true);
  }

  /** Frees the slot a request held (hold mode). */
  release(req: number): void {
    const st = this.station;
    const now = this.sim.now_ms;
    st.advance(now);
    st.busy--;
    const held = this.pool.hold_ms(req);
    if (held >= st.warmup_ms) {
      st.stats.completed++;
      st.stats.sojourn.add(now - this.pool.hold_enter_ms(req));
    }
    this.startNext(now);
  }

  private admit(req: number, hold: boolean): void {
    const st = this.station;
    const now = this.sim.now_ms;
    if (this.dead || (this.failProb > 0 && this.faultRng() < this.failProb)) {
      this.out.dropped(req, 'failed', now, this);
      return;
    }
    st.advance(now);
    this.pool.setEnterMs(req, now);
    if (now >= st.warmup_ms) st.stats.arrivals++;
    if (st.qlen > 0 && st.timeout_ms < Infinity) this.purgeExpired(now);
    if (st.busy < st.servers) this.start(req, now, hold);
    else if ((this.shedWait_ms < Infinity && (st.qlen * this.service!.mean) / st.servers > this.shedWait_ms) || !st.enqueue(req, now)) {
      if (now >= st.warmup_ms) st.stats.rejected++;
      this.out.dropped(req, 'rejected', now, this);
    } else {
      if (now >= st.warmup_ms) st.stats.waited++;
      this.pool.setHoldMode(req, hold ? 1 : 0);
    }
  }

  private start(req: number, now: number, hold: boolean): void {
    const st = this.station;
    const pool = this.pool;
    st.busy++;
    if (pool.enter_ms(req) >= st.warmup_ms) st.stats.wait.add(now - pool.enter_ms(req));
    if (hold) {
      pool.setHoldMs(req, now);
      pool.setHoldEnterMs(req, pool.enter_ms(req));
      this.out.served(req, this);
    } else {
      this.sim.at(now + this.service!.sample() * this.slowdown + this.addDelay_ms, this.doneHandler, req);
    }
  }

  private onServiceDone(req: number): void {
    const st = this.station;
    const now = this.sim.now_ms;
    st.advance(now);
    st.busy--;
    const entered = this.pool.enter_ms(req);
    if (this.dead) {
      // The tier died while serving it.
      this.out.dropped(req, 'failed', now, this);
      return;
    }
    if (entered >= st.warmup_ms) {
      st.stats.completed++;
      st.stats.sojourn.add(now - entered);
    }
    // The freed server goes to the head of the queue before the request moves on, so a
    // request that comes straight back queues behind those already waiting.
    this.startNext(now);
    this.out.served(req, this);
  }

  private startNext(now: number): void {
    const st = this.station;
    if (st.qlen === 0) return;
    if (st.timeout_ms < Infinity) this.purgeExpired(now);
    while (st.qlen > 0 && st.busy < st.servers) {
      const next = st.dequeue();
      // Deadline-aware admission: work whose client has given up is dropped, not done.
      if (this.deadlineAware && this.pool.deadline_ms(next) < now) {
        if (this.pool.enter_ms(next) >= st.warmup_ms) st.stats.timedOut++;
        this.out.dropped(next, 'timed_out', now, this);
        continue;
      }
      this.start(next, now, this.pool.holdMode(next) === 1);
      break;
    }
  }

  /** Drops waiting requests whose deadline passed (they are at the head: FCFS, one timeout). */
  private purgeExpired(now: number): void {
    const st = this.station;
    const pool = this.pool;
    while (st.qlen > 0) {
      const head = st.peek();
      const deadline = pool.enter_ms(head) + st.timeout_ms;
      if (deadline >= now) break;
      st.dequeue();
      st.correctExpired(deadline, now);
      if (pool.enter_ms(head) >= st.warmup_ms) st.stats.timedOut++;
      this.out.dropped(head, 'timed_out', deadline, this);
    }
  }

  /** Changes the number of servers (capacity faults, scaling); extra queued work starts at once. */
  setServers(n: number): void {
    const st = this.station;
    st.advance(this.sim.now_ms);
    (st as { servers: number }).servers = Math.max(0, Math.round(n));
    while (st.qlen > 0 && st.busy < st.servers) {
      const before = st.qlen;
      this.startNext(this.sim.now_ms);
      if (st.qlen === before) break;
    }
  }

  /** Takes the tier down (everything queued fails now, work in service fails when it ends) or back up. */
  setDown(down: boolean): void {
    this.dead = down;
    if (!down) return;
    const st = this.station;
    const now = this.sim.now_ms;
    st.advance(now);
    while (st.qlen > 0) this.out.dropped(st.dequeue(), 'failed', now, this);
  }

  get isDown(): boolean {
    return this.dead;
  }

  /** Closes the books at the end of the run. */
  finalize(end_ms: number): void {
    this.station.advance(end_ms);
    if (this.station.qlen > 0 && this.station.timeout_ms < Infinity) this.purgeExpired(end_ms);
  }
}
