import { describe, expect, it } from 'vitest';
import { makeSampler } from '../../src/engine/distributions.ts';
import { stream } from '../../src/engine/random.ts';
import { Simulator } from '../../src/engine/sim.ts';
import { RequestPool } from '../../src/fleet/request-pool.ts';
import { FairQueue } from '../../src/fleet/stations/fair-queue.ts';
import { ServiceTier, type TierOutput } from '../../src/fleet/stations/tier.ts';
import { runReplications } from '../../src/experiment/replications.ts';
import { smallFleet } from '../helpers/fleet.ts';

const SERVERS = 4, SERVICE_MS = 10; // capacity: 4 / 10 ms = 400 requests/s
const CAPACITY_PER_S = (SERVERS * 1000) / SERVICE_MS;

/**
 * A tier of SERVERS servers (exponential service) fed by Poisson arrivals of each class at
 * rates_per_s for duration_s; weights null keeps it FCFS. Returns what each class got served,
 * what timed out, and the order of service.
 */
function run(rates_per_s: number[], weights: number[] | null, opts: { duration_s?: number; timeout_ms?: number } = {}) {
  const sim = new Simulator();
  const pool = new RequestPool();
  const served = rates_per_s.map(() => 0), timedOut = rates_per_s.map(() => 0);
  const order: number[] = [];
  const out: TierOutput = {
    served: (req) => {
      served[pool.requestClass(req)]++;
      order.push(req);
    },
    dropped: (req, outcome) => {
      if (outcome === 'timed_out') timedOut[pool.requestClass(req)]++;
    },
  };
  const service = makeSampler({ dist: 'exponential', mean: SERVICE_MS }, stream(1, 'service'));
  const tier = new ServiceTier(sim, pool, 0, 'gateway', SERVERS, service, 1e7, opts.timeout_ms ?? Infinity, 0, out, stream(1, 'route'), stream(1, 'faults'));
  if (weights) tier.station.fair = new FairQueue(weights, (req) => pool.requestClass(req));
  const duration_ms = (opts.duration_s ?? 60) * 1000;
  rates_per_s.forEach((rate, c) => {
    const gap = makeSampler({ dist: 'exponential', mean: 1000 / rate }, stream(1, `arrivals:${c}`));
    const h = sim.on(() => {
      const req = pool.alloc();
      pool.setRequestClass(req, c);
      tier.enter(req);
      const next = sim.now_ms + gap.sample();
      if (next < duration_ms) sim.at(next, h, 0);
    });
    sim.at(gap.sample(), h, 0);
  });
  sim.run(duration_ms);
  // the longest wait before service (the sketch's quantiles are within 1%)
  return { served, timedOut, order, longestWait_ms: tier.station.stats.wait.quantile(1)! };
}

describe('weighted fair queueing at a tier (self-clocked fair queueing)', () => {
  it('two saturated classes weighted 3:1 are served 3:1 (closed form), within 1%', () => {
    // each class alone asks for the whole capacity: both always wait
    const { served } = run([CAPACITY_PER_S, CAPACITY_PER_S], [3, 1]);
    expect(served[0] + served[1]).toBeGreaterThan(0.97 * CAPACITY_PER_S * 60);
    expect(served[0] / served[1]).toBeGreaterThan(3 * 0.99);
    expect(served[0] / served[1]).toBeLessThan(3 * 1.01);
  });

  it('FCFS serves the same two classes 1:1, as they arrive', () => {
    const { served } = run([CAPACITY_PER_S, CAPACITY_PER_S], null);
    expect(served[0] / served[1]).toBeGreaterThan(0.97);
    expect(served[0] / served[1]).toBeLessThan(1.03);
  });

  it('work-conserving: a light class below its fair share gets all it asks; the heavy class the rest', () => {
    // class 0 asks 20% of capacity (its fair share at weight 1 of 4 is 25%); class 1 twice the capacity
    const { served } = run([0.2 * CAPACITY_PER_S, 2 * CAPACITY_PER_S], [1, 3]);
    expect(served[0] / (0.2 * CAPACITY_PER_S * 60)).toBeCloseTo(1, 1);
    expect(served[1] / (0.8 * CAPACITY_PER_S * 60)).toBeCloseTo(1, 1);
  });

  it('with a timeout, what waits too long leaves, nothing served waited longer, and the service stays 3:1', () => {
    const { served, timedOut, longestWait_ms } = run([CAPACITY_PER_S, CAPACITY_PER_S], [3, 1], { timeout_ms: 200, duration_s: 20 });
    expect(longestWait_ms).toBeLessThanOrEqual(200 * 1.01);
    expect(longestWait_ms).toBeGreaterThan(150);
    expect(timedOut[1]).toBeGreaterThan(timedOut[0]);
    // an expired head hands its place to the next of its class: the class keeps its share
    expect(served[0] / served[1]).toBeGreaterThan(3 * 0.98);
    expect(served[0] / served[1]).toBeLessThan(3 * 1.02);
  });

  it('with one class the fair queue is FIFO: the same order of service, request for request', () => {
    const fifo = run([1.5 * CAPACITY_PER_S], null, { duration_s: 10, timeout_ms: 500 });
    const fair = run([1.5 * CAPACITY_PER_S], [2], { duration_s: 10, timeout_ms: 500 });
    expect(fair.order.length).toBeGreaterThan(3000);
    expect(fair.order).toEqual(fifo.order);
    expect(fair.timedOut).toEqual(fifo.timedOut);
  });
});

/** The small fleet with its gateway the bottleneck (1 instance x 4 slots of 100 ms: 40 requests/s) at 80 requests/s (each class alone asks for the whole gateway). */
function gatewayBound(classes: Record<string, { share: number; priority?: number; weight?: number }>) {
  const gateway = { instance: 'c6i.8xlarge', instances: 1, concurrency: 4, service_ms: { dist: 'exponential' as const, mean: 100 }, timeout_ms: 2000, auth_cache_hit: 0.5 };
  return runReplications(smallFleet({ rate_per_s: 80, duration_s: 40, warmup_s: 10, fleet: { gateway, classes } }), 1, 1).summary;
}
// wall-clock figures aside, and the weight the class block reports
const noWall = (x: unknown) => JSON.stringify(x, (k, v) => (k === 'wall_s' || k === 'events_per_s' ? 0 : k === 'gateway_weight' ? undefined : v));

describe('weighted fair queueing at the fleet gateway', () => {
  it('one class with a weight (a fair queue) gives the same summary bytes as without (FIFO)', () => {
    const fifo = gatewayBound({ all: { share: 1 } });
    const fair = gatewayBound({ all: { share: 1, weight: 3 } });
    expect(fifo.requests.timed_out + fifo.requests.rejected).toBeGreaterThan(100); // the gateway queues and sheds
    expect(fair.classes!.by_class.all.gateway_weight).toBe(3);
    expect(noWall(fair)).toBe(noWall(fifo));
  });

  it('two classes weighted 3:1 through a saturated gateway complete 3:1', () => {
    const s = gatewayBound({ a: { share: 0.5, weight: 3 }, b: { share: 0.5, weight: 1 } });
    const a = s.classes!.by_class.a, b = s.classes!.by_class.b;
    expect(a.offered / b.offered).toBeCloseTo(1, 1);
    // the gateway is the only bottleneck: completions split as its service, 3:1 (within 10%: the
    // warm-up edge and requests still downstream at the end)
    expect(s.stations.gateway.utilization).toBeGreaterThan(0.99);
    expect(a.completed / b.completed).toBeGreaterThan(2.7);
    expect(a.completed / b.completed).toBeLessThan(3.3);
  });
});
