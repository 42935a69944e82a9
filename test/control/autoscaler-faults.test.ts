import { afterEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { simulate, startRun } from '../../src/experiment/simulate.ts';
import type { RunResult } from '../../src/results/run-result.ts';
import { ReplicaPool } from '../../src/fleet/control/gpu-pool.ts';
import { TierPool } from '../../src/fleet/control/tier-pool.ts';
import { GpuReplica } from '../../src/fleet/gpu/replica.ts';
import { validateScenario } from '../../src/scenario/load.ts';
import type { ScenarioInput } from '../../src/scenario/schema.ts';
import { smallFleet } from '../helpers/fleet.ts';
import { prepared } from '../helpers/scenario.ts';

/**
 * A watch on what the GPU replicas of autoscaled pools do: every submission to a replica its pool
 * holds switched off is counted (such a replica is neither billed nor counted by the pool, so it
 * must take no request), and so is every submission to a replica the pool does not have serving
 * (booting, on standby, draining), and every submission at which the pool's bill is not the count
 * of its replicas that are not off. Pools register themselves at their first scaling decision.
 */
export function watchOffReplicas() {
  const owner = new Map<GpuReplica, { pool: ReplicaPool; index: number }>();
  const offSubmits: { t_ms: number; index: number }[] = [];
  const notServingSubmits: { t_ms: number; index: number }[] = [];
  const billMismatches: { t_ms: number; billed: number; notOff: number }[] = [];
  const scaleTo = ReplicaPool.prototype.scaleTo;
  vi.spyOn(ReplicaPool.prototype, 'scaleTo').mockImplementation(function (this: ReplicaPool, n: number, reason: string) {
    this.cluster.replicas.forEach((r, index) => owner.set(r, { pool: this, index }));
    scaleTo.call(this, n, reason);
  });
  const submit = GpuReplica.prototype.submit;
  vi.spyOn(GpuReplica.prototype, 'submit').mockImplementation(function (this: GpuReplica, req: number, prompt: number, out: number) {
    const o = owner.get(this);
    if (o) {
      const t_ms = (this as unknown as { sim: { now_ms: number } }).sim.now_ms;
      if (o.pool.isOff(o.index)) offSubmits.push({ t_ms, index: o.index });
      if (!o.pool.isOn(o.index)) notServingSubmits.push({ t_ms, index: o.index });
      let notOff = 0;
      for (let i = 0; i < o.pool.size; i++) if (!o.pool.isOff(i)) notOff++;
      if (o.pool.meter.billed !== notOff) billMismatches.push({ t_ms, billed: o.pool.meter.billed, notOff });
    }
    return submit.call(this, req, prompt, out);
  });
  return { offSubmits, notServingSubmits, billMismatches };
}

/** Replicas the router may pick, and the pool's own counts, at the end of a run. */
export function poolAgreement(r: RunResult) {
  return r.control!.pools.filter((p) => p.gpu).map((p) => {
    const pool = p.pool as ReplicaPool;
    let routable = 0, notOff = 0;
    for (let i = 0; i < pool.size; i++) {
      if (p.gpu!.views[i].healthy) routable++;
      if (!pool.isOff(i)) notOff++;
    }
    return { name: p.name, routable, serving: pool.serving, billed: pool.meter.billed, notOff };
  });
}

/** The small fleet with 8 replicas of `small` under a queue-length autoscaler (min 4, max 8). */
export function autoscaledFleet(rate_per_s: number, duration_s: number, faults: unknown[], profile?: [number, number][]) {
  const p = smallFleet({ rate_per_s, duration_s, warmup_s: 10 });
  const sc = structuredClone(p.scenario) as ScenarioInput;
  if (profile) sc.workload.arrivals = { kind: 'poisson', rate_per_s, profile: { points: profile } };
  sc.fleet!.models.small.gpus = 8;
  sc.control = { interval_s: 5, autoscalers: [{ target: 'gpu:small', metric: 'queue', target_value: 4, min: 4, max: 8, scale_down_window_s: 10, metrics_delay_s: 5, boot_s: 5 }] };
  sc.faults = faults as ScenarioInput['faults'];
  return { ...p, scenario: validateScenario(sc, 'autoscaled-fleet') };
}

afterEach(() => vi.restoreAllMocks());

describe('autoscaler and a GPU capacity fault', () => {
  it('after the fault the pool, the bill and the router agree, and no switched-off replica serves', () => {
    const watch = watchOffReplicas();
    // Light load: the autoscaler scales 8 -> 4 within its first windows; the fault drains half of
    // the cluster from 30 s to 60 s and then gives back what it took, and only that.
    const r = simulate(autoscaledFleet(4, 120, [{ kind: 'capacity', target: 'gpu:small', factor: 0.5, at_s: 30, duration_s: 30 }]), 1);
    // the premise: the pool had scaled down to its floor before the fault began
    expect(r.control!.events.some((e) => e.t_s < 30 && e.to === 4)).toBe(true);
    const [small] = poolAgreement(r);
    expect({ ...small, offSubmits: watch.offSubmits.length }).toEqual({ name: 'gpu:small', routable: 4, serving: 4, billed: 4, notOff: 4, offSubmits: 0 });
  });
});

const gpuFault = fc.oneof(
  fc.record({ kind: fc.constant('gpu-fault'), target: fc.constant('gpu:small'), replica: fc.integer({ min: 0, max: 7 }), in_flight: fc.constantFrom('fail', 'retry') }),
  fc.record({ kind: fc.constant('gpu-cluster-failure'), target: fc.constant('gpu:small'), fraction: fc.double({ min: 0.1, max: 1, noNaN: true }) }),
  fc.record({ kind: fc.constant('capacity'), target: fc.constant('gpu:small'), factor: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({ kind: fc.constant('kv-fragmentation'), target: fc.constant('gpu:small'), min_fraction: fc.double({ min: 0.2, max: 1, noNaN: true }), step_s: fc.constant(5), cycle_every_s: fc.integer({ min: 5, max: 30 }), restart_s: fc.integer({ min: 1, max: 10 }) }),
);
// Every fault ends (and its replicas are reloaded) well before the end of the run.
const timedGpuFault = fc.tuple(gpuFault, fc.integer({ min: 0, max: 60 }), fc.integer({ min: 1, max: 40 })).map(([f, at_s, duration_s]) => ({ ...f, at_s, duration_s }));

describe('autoscaler and GPU faults, at random', () => {
  it('every request in one bucket; nothing the pool has not serving takes a request; the bill counts the replicas that are on', () => {
    fc.assert(
      fc.property(fc.array(timedGpuFault, { maxLength: 4 }), fc.constantFrom(4, 20, 40), fc.integer({ min: 1, max: 1000 }), (faults, rate_per_s, seed) => {
        vi.restoreAllMocks();
        const watch = watchOffReplicas();
        // A burst in the middle: the pool scales down, up and down again while the faults play out.
        const r = simulate(autoscaledFleet(rate_per_s, 150, faults, [[0, 0.3], [40, 0.3], [41, 1], [80, 1], [81, 0.3]]), seed);
        const why = `seed ${seed}, rate ${rate_per_s}, faults ${JSON.stringify(faults)}`;
        const c = r.counts;
        expect(c.offered, why).toBe(c.completed + c.failed + c.rejected + c.timed_out + c.in_flight_at_end);
        expect(watch.offSubmits, why).toEqual([]);
        expect(watch.notServingSubmits, why).toEqual([]);
        expect(watch.billMismatches, why).toEqual([]);
        // With every fault over, the router routes to exactly the replicas the pool has serving.
        const [small] = poolAgreement(r);
        expect(small.routable, why).toBe(small.serving);
        expect(small.billed, why).toBe(small.notOff);
      }),
      { seed: 11, numRuns: 20 },
    );
  });
});

describe('a tier autoscaler and tier faults', () => {
  it('a capacity fault scales what the autoscaler runs, and gives back exactly that; an overlapping partition outlasts an error-rate fault', () => {
    let pool: TierPool | undefined;
    const scaleTo = TierPool.prototype.scaleTo;
    vi.spyOn(TierPool.prototype, 'scaleTo').mockImplementation(function (this: TierPool, n: number, reason: string) {
      pool = this;
      scaleTo.call(this, n, reason);
    });
    // M/M/c as in autoscaler.test.ts: 50/s on Exp(100 ms), then 150/s from 300 s; the autoscaler
    // moves from ~9 servers to ~25 while a capacity fault halves the tier from 250 s to 400 s.
    const run = startRun(
      prepared({
        name: 'hpa-faults', seed: 3, duration_s: 700, warmup_s: 0, window_s: 10,
        workload: { arrivals: { kind: 'poisson', rate_per_s: 50, profile: { points: [[0, 1], [299.99, 1], [300, 3]] } } },
        topology: { entry: 'api', stations: { api: { servers: 10, service_ms: { dist: 'exponential', mean: 100 } } } },
        control: { interval_s: 15, autoscalers: [{ target: 'api', metric: 'utilization', target_value: 0.6, min: 1, max: 100, scale_down_window_s: 60, metrics_delay_s: 15, boot_s: 30 }] },
        faults: [
          { kind: 'capacity', target: 'api', factor: 0.5, at_s: 250, duration_s: 150 },
          { kind: 'partition', target: 'api', at_s: 500, duration_s: 100 },
          { kind: 'error-rate', target: 'api', error_rate: 0.2, at_s: 450, duration_s: 100 },
        ],
      }),
      3,
    );
    const probes: { t_s: number; ready: number; servers: number; fail_prob: number }[] = [];
    for (const t_s of [240, 260, 350, 399, 401, 420, 460, 520, 560, 620]) {
      run.sim.at(t_s * 1000, run.sim.on(() => probes.push({ t_s, ready: pool!.ready, servers: pool!.tier.station.servers, fail_prob: pool!.tier.inEffect.fail_prob })), 0);
    }
    const r = run.finish(run.advance(run.duration_ms));
    for (const p of probes) {
      const inFault = p.t_s >= 250 && p.t_s < 400;
      expect(p.servers, `t = ${p.t_s} s`).toBe(inFault ? Math.round(p.ready * 0.5) : p.ready);
    }
    // the autoscaler did move during the fault (else the check above could not tell)
    const during = probes.filter((p) => p.t_s >= 250 && p.t_s < 400).map((p) => p.ready);
    expect(Math.max(...during)).toBeGreaterThan(Math.min(...during));
    expect(probes.map((p) => [p.t_s, p.fail_prob])).toEqual([[240, 0], [260, 0], [350, 0], [399, 0], [401, 0], [420, 0], [460, 0.2], [520, 1], [560, 1], [620, 0]]);
    const c = r.counts;
    expect(c.offered).toBe(c.completed + c.failed + c.rejected + c.timed_out + c.in_flight_at_end);
  });
});
