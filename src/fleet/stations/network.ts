import { makeSampler } from '../../engine/distributions.ts';
import { stream } from '../../engine/random.ts';
import type { Simulator } from '../../engine/sim.ts';
import type { Scenario } from '../../scenario/schema.ts';
import type { Outcome } from '../../metrics/outcomes.ts';
import type { RequestPool } from '../request-pool.ts';
import { Station } from './station.ts';

/** Where requests leave the network. */
export interface RequestSink {
  finish(req: number, outcome: Outcome, t_ms: number): void;
}

/** A network of FCFS stations with probabilistic routing (an open Jackson-style network). */
export class StationNetwork {
  readonly stations: Station[] = [];
  readonly entry: number;
  private readonly doneHandler: number;

  constructor(
    private readonly sim: Simulator,
    private readonly pool: RequestPool,
    private readonly sink: RequestSink,
    scenario: Scenario,
    seed: number,
  ) {
    const warmup_ms = scenario.warmup_s * 1000;
    const names = Object.keys(scenario.topology.stations);
    for (const [i, name] of names.entries()) {
      const spec = scenario.topology.stations[name];
      const service = makeSampler(spec.service_ms, stream(seed, `service:${name}`));
      const queueLimit = Math.min(spec.queue_limit ?? scenario.limits.max_queue, scenario.limits.max_queue);
      this.stations.push(
        new Station(i, name, spec.servers, service, stream(seed, `route:${name}`), queueLimit, spec.timeout_ms ?? Infinity, warmup_ms),
      );
    }
    for (const [i, name] of names.entries()) {
      const next = scenario.topology.stations[name].next;
      const routes = next === undefined ? [] : typeof next === 'string' ? [{ to: next, p: 1 }] : next;
      let cum = 0;
      const st = this.stations[i];
      st.routeCum = new Float64Array(routes.length);
      st.routeTo = new Int32Array(routes.length);
      routes.forEach((r, k) => {
        cum += r.p;
        st.routeCum[k] = cum;
        st.routeTo[k] = names.indexOf(r.to);
      });
    }
    this.entry = names.indexOf(scenario.topology.entry);
    this.doneHandler = sim.on((req) => this.onServiceDone(req));
  }

  /** A request arrives at station s. */
  enter(s: number, req: number): void {
    const st = this.stations[s];
    const now = this.sim.now_ms;
    const pool = this.pool;
    st.advance(now);
    pool.station[req] = s;
    pool.enter_ms[req] = now;
    if (now >= st.warmup_ms) st.stats.arrivals++;
    if (st.qlen > 0 && st.timeout_ms < Infinity) this.purgeExpired(st, now);
    if (st.busy < st.servers) {
      this.startService(st, req, now);
    } else if (!st.enqueue(req, now)) {
      if (now >= st.warmup_ms) st.stats.rejected++;
      this.sink.finish(req, 'rejected', now);
    } else if (now >= st.warmup_ms) st.stats.waited++;
  }

  private startService(st: Station, req: number, now: number): void {
    st.busy++;
    const pool = this.pool;
    if (pool.enter_ms[req] >= st.warmup_ms) st.stats.wait.add(now - pool.enter_ms[req]);
    this.sim.at(now + st.service.sample(), this.doneHandler, req);
  }

  private onServiceDone(req: number): void {
    const pool = this.pool;
    const st = this.stations[pool.station[req]];
    const now = this.sim.now_ms;
    st.advance(now);
    st.busy--;
    const entered = pool.enter_ms[req];
    if (entered >= st.warmup_ms) {
      st.stats.completed++;
      st.stats.sojourn.add(now - entered);
    }
    // Hand the freed server to the head of the queue before the departing request moves on,
    // so a feedback route to the same station queues behind those already waiting.
    if (st.qlen > 0) {
      if (st.timeout_ms < Infinity) this.purgeExpired(st, now);
      if (st.qlen > 0) this.startService(st, st.dequeue(), now);
    }
    const next = st.route();
    if (next >= 0) this.enter(next, req);
    else this.sink.finish(req, 'completed', now);
  }

  /** Drops waiting requests whose deadline passed (they are at the head: FCFS, one timeout). */
  private purgeExpired(st: Station, now: number): void {
    const pool = this.pool;
    while (st.qlen > 0) {
      const head = st.peek();
      const deadline = pool.enter_ms[head] + st.timeout_ms;
      if (deadline >= now) break;
      st.dequeue();
      st.correctExpired(deadline, now);
      if (pool.enter_ms[head] >= st.warmup_ms) st.stats.timedOut++;
      this.sink.finish(head, 'timed_out', deadline);
    }
  }

  /** Closes the books at the end of the run: expire what timed out before then, close the areas. */
  finalize(end_ms: number): void {
    for (const st of this.stations) {
      st.advance(end_ms);
      if (st.qlen > 0 && st.timeout_ms < Infinity) this.purgeExpired(st, end_ms);
    }
  }
}
