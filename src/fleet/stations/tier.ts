import type { Sampler } from '../../engine/distributions.ts';
import type { Simulator } from '../../engine/sim.ts';
import type { Rng } from '../../engine/random.ts';
import type { RequestPool } from '../request-pool.ts';
import { Station } from './station.ts';

/** The name of a tier's fault stream: its region (empty in a station network) and its kind or station name. */
export const tierFaultStream = (region: string, kind: string): string => `tier-faults:${region}/${kind}`;

/**
 * What one fault does to a tier while it lasts. A tier composes the effects in force: service
 * times multiplied by every `slowdown` and lengthened by every `add_ms`; an arrival fails with
 * probability 1 - prod(1 - fail_prob) (independent causes: a partition's 1 stays 1 whatever error
 * rate overlaps it); down while any effect is; servers = round(configured x prod(capacity_factor)
 * - sum(lost_servers)), at least 0. Removing an effect recomputes from those left, so it undoes
 * exactly that effect and nothing else.
 */
export interface TierEffect {
  readonly slowdown?: number;
  readonly add_ms?: number;
  readonly fail_prob?: number;
  /** What the tier holds fails, and every arrival fails. */
  readonly down?: boolean;
  readonly capacity_factor?: number;
  readonly lost_servers?: number;
}

/** What a tier does with a request once it leaves. One object per owner: no closure per request. */
export interface TierOutput {
  /** The request finished its service (or, in hold mode, acquired its slot). */
  served(req: number, tier: ServiceTier): void;
  /** The request was turned away (queue full) or waited past the tier's timeout. */
  dropped(req: number, outcome: 'rejected' | 'timed_out' | 'failed', t_ms: number, tier: ServiceTier): void;
}

/**
 * A pool of identical servers with one queue, FCFS or weighted fair by class (ideal load balancing across instances).
 * Two modes: `enter` holds a server for a sampled service time; `acquire`/`release` hold it
 * until the owner releases it (a worker slot held while a response streams).
 */
export class ServiceTier {
  readonly station: Station;
  private readonly doneHandler: number;
  /** Skip queued requests whose client deadline has passed instead of serving them. */
  deadlineAware = false;
  /** Reject an arrival when the expected wait (queue x mean service / servers) exceeds this. */
  shedWait_ms = Infinity;
  /** Fault effects in force, in the order they began. */
  private readonly effects = new Set<TierEffect>();
  /** Servers as configured (or as the autoscaler last set them), before fault effects. */
  private configuredServers: number;
  // The composition of `effects`, kept as plain numbers for the per-request path.
  /** Multiplies sampled service times (a slow dependency). */
  private slowdown = 1;
  /** Added to every service time. */
  private addDelay_ms = 0;
  /** Share of arrivals that fail at once (errors, unreachable). */
  private failProb = 0;
  /** The tier is down; what it holds fails and every arrival fails. */
  private dead = false;

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
    /** Routing draws of the station (station networks). */
    routeRng: Rng,
    /** Fault decisions at this tier (error rates, partitions): its own stream, so faults do not shift other draws. */
    private readonly faultRng: Rng,
  ) {
    this.configuredServers = servers;
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

  /** startNext is under way (startNext) */
  private starting = false;
  /** a release asked startNext to go round again (startNext) */
  private startAgain = false;

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

  /**
   * Starts the next waiting request, if a server is free. A held slot's start hands the request on
   * at once (out.served), and when the next tier drops it, its release here frees the slot inside
   * that call: started in place, each waiting request nested one call deeper, and an overloaded
   * fleet (50,000 requests/s into the chat-prefix scenario) overflowed the stack. A call made
   * while one is under way only asks it to go round again, at the same instant.
   */
  private startNext(now: number): void {
    if (this.starting) {
      this.startAgain = true;
      return;
    }
    this.starting = true;
    try {
      do {
        this.startAgain = false;
        this.startOne(now);
      } while (this.startAgain);
    } finally {
      this.starting = false;
    }
  }

  private startOne(now: number): void {
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

  /** Drops waiting requests whose deadline passed (the oldest first: one timeout per tier). */
  private purgeExpired(now: number): void {
    const st = this.station;
    const pool = this.pool;
    while (st.qlen > 0) {
      const head = st.peekOldest();
      const deadline = pool.enter_ms(head) + st.timeout_ms;
      if (deadline >= now) break;
      st.dequeueOldest();
      st.correctExpired(deadline, now);
      if (pool.enter_ms(head) >= st.warmup_ms) st.stats.timedOut++;
      this.out.dropped(head, 'timed_out', deadline, this);
    }
  }

  /** Sets the configured servers (the build, or the autoscaler that owns the count); fault effects apply on top. */
  setServers(n: number): void {
    this.configuredServers = n;
    this.applyServers();
  }

  /** A fault's effect begins; it lasts until removeEffect with the same object. */
  addEffect(effect: TierEffect): void {
    if (this.effects.has(effect)) throw new Error(`tier ${this.name}: effect added twice`);
    this.effects.add(effect);
    this.compose();
  }

  /** A fault's effect ends: the tier is as if it had never been added. */
  removeEffect(effect: TierEffect): void {
    if (!this.effects.delete(effect)) throw new Error(`tier ${this.name}: removal of an effect not in force`);
    this.compose();
  }

  /** Servers in effect: configured, scaled and reduced by the effects in force. */
  private effectiveServers(): number {
    let factor = 1, lost = 0;
    for (const e of this.effects) {
      factor *= e.capacity_factor ?? 1;
      lost += e.lost_servers ?? 0;
    }
    return Math.max(0, Math.round(this.configuredServers * factor - lost));
  }

  private compose(): void {
    let slowdown = 1, add_ms = 0, fail = 0, down = false;
    for (const e of this.effects) {
      slowdown *= e.slowdown ?? 1;
      add_ms += e.add_ms ?? 0;
      // 1 - (1 - fail)(1 - p), written so that one effect gives exactly its own p, and 1 stays 1
      const p = e.fail_prob ?? 0;
      fail = fail >= 1 || p >= 1 ? 1 : fail + p - fail * p;
      down ||= e.down === true;
    }
    this.slowdown = slowdown;
    this.addDelay_ms = add_ms;
    this.failProb = fail;
    this.setDead(down);
    this.applyServers();
  }

  /** Brings the station's server count to the effective count; extra queued work starts at once. */
  private applyServers(): void {
    const st = this.station;
    const n = this.effectiveServers();
    if (n === st.servers) return;
    st.advance(this.sim.now_ms);
    (st as { servers: number }).servers = n;
    while (st.qlen > 0 && st.busy < st.servers) {
      const before = st.qlen;
      this.startNext(this.sim.now_ms);
      if (st.qlen === before) break;
    }
  }

  /** Down: everything queued fails now, work in service fails when it ends. */
  private setDead(down: boolean): void {
    const was = this.dead;
    this.dead = down;
    if (!down || was) return;
    const st = this.station;
    const now = this.sim.now_ms;
    st.advance(now);
    while (st.qlen > 0) this.out.dropped(st.dequeue(), 'failed', now, this);
  }

  get isDown(): boolean {
    return this.dead;
  }
  /** The composed effects, as the tier applies them (reports and tests). */
  get inEffect(): { slowdown: number; add_ms: number; fail_prob: number; down: boolean; servers: number; configured_servers: number } {
    return { slowdown: this.slowdown, add_ms: this.addDelay_ms, fail_prob: this.failProb, down: this.dead, servers: this.station.servers, configured_servers: this.configuredServers };
  }

  /** Closes the books at the end of the run. */
  finalize(end_ms: number): void {
    this.station.advance(end_ms);
    if (this.station.qlen > 0 && this.station.timeout_ms < Infinity) this.purgeExpired(end_ms);
  }
}
