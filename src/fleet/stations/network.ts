import { makeSampler } from '../../engine/distributions.ts';
import { stream } from '../../engine/random.ts';
import type { Simulator } from '../../engine/sim.ts';
import type { TopologySpec } from './schema.ts';
import type { Outcome } from '../../metrics/outcomes.ts';
import type { RequestPool } from '../request-pool.ts';
import type { Station } from './station.ts';
import { ServiceTier, tierFaultStream, type TierOutput } from './tier.ts';

/** Where requests leave the network. */
export interface RequestSink {
  finish(req: number, outcome: Outcome, t_ms: number): void;
  /** A new request arrives now (a session's next turn, sent by the fleet itself). */
  arrive?(): void;
}

/** What a station network reads of the scenario. */
export interface NetworkScenario {
  topology?: TopologySpec;
  warmup_s: number;
  limits: { max_queue: number };
}

/** A network of FCFS stations with probabilistic routing (an open Jackson-style network). */
export class StationNetwork implements TierOutput {
  readonly tiers: ServiceTier[] = [];
  readonly entry: number;

  constructor(private readonly sim: Simulator, pool: RequestPool, private readonly sink: RequestSink, scenario: NetworkScenario, seed: number) {
    const warmup_ms = scenario.warmup_s * 1000;
    const topology = scenario.topology;
    if (!topology) throw new Error('StationNetwork needs a scenario with a topology');
    const names = Object.keys(topology.stations);
    for (const [i, name] of names.entries()) {
      const spec = topology.stations[name];
      const service = makeSampler(spec.service_ms, stream(seed, `service:${name}`));
      const queueLimit = Math.min(spec.queue_limit ?? scenario.limits.max_queue, scenario.limits.max_queue);
      this.tiers.push(
        new ServiceTier(sim, pool, i, name, spec.servers, service, queueLimit, spec.timeout_ms ?? Infinity, warmup_ms, this, stream(seed, `route:${name}`), stream(seed, tierFaultStream('', name))),
      );
    }
    for (const [i, name] of names.entries()) {
      const spec = topology.stations[name];
      this.tiers[i].deadlineAware = spec.deadline_aware;
      this.tiers[i].shedWait_ms = spec.shed_wait_ms ?? Infinity;
      const next = spec.next;
      const routes = next === undefined ? [] : typeof next === 'string' ? [{ to: next, p: 1 }] : next;
      let cum = 0;
      const st = this.tiers[i].station;
      st.routeCum = new Float64Array(routes.length);
      st.routeTo = new Int32Array(routes.length);
      routes.forEach((r, k) => {
        cum += r.p;
        st.routeCum[k] = cum;
        st.routeTo[k] = names.indexOf(r.to);
      });
    }
    this.entry = names.indexOf(topology.entry);
  }

  readonly classes = 1;

  /** A request's first attempt, or a retry: both enter at the entry station. */
  first(req: number): void {
    this.tiers[this.entry].enter(req);
  }

  retry(req: number): void {
    this.tiers[this.entry].enter(req);
  }

  get stations(): Station[] {
    return this.tiers.map((t) => t.station);
  }

  served(req: number, tier: ServiceTier): void {
    const next = tier.station.route();
    if (next >= 0) this.tiers[next].enter(req);
    else this.sink.finish(req, 'completed', this.sim.now_ms);
  }

  dropped(req: number, outcome: 'rejected' | 'timed_out' | 'failed', t_ms: number): void {
    this.sink.finish(req, outcome, t_ms);
  }

  finalize(end_ms: number): void {
    for (const t of this.tiers) t.finalize(end_ms);
  }
}
