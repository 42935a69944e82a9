import { afterEach, describe, expect, it, vi } from 'vitest';
import { simulate } from '../../src/experiment/simulate.ts';
import { GpuReplica } from '../../src/fleet/gpu/replica.ts';
import { RoutedReplica } from '../../src/fleet/llm/availability.ts';
import { validateScenario } from '../../src/scenario/load.ts';
import { embedModel, smallFleet, smallModel } from '../helpers/fleet.ts';

const SEED = 1;
/** Simulated time of a replica (its simulator is private: read for the test only). */
const nowOf = (r: GpuReplica) => (r as unknown as { sim: { now_ms: number } }).sim.now_ms;

/** The small fleet with its 7B model on `gpus` single-A100 replicas, all spot, and one spot-reclaim fault. */
function spotFleet(o: { gpus: number; rate_per_s: number; duration_s: number; fault: object; load_gb_per_s?: number }) {
  const prep = smallFleet({
    rate_per_s: o.rate_per_s,
    duration_s: o.duration_s,
    warmup_s: 0,
    fleet: {
      s3: { stored_gb: 100, load_gb_per_s: o.load_gb_per_s ?? 2 },
      models: { small: { ...smallModel(), gpus: o.gpus, purchase: { spot: 1 } }, embed: embedModel() },
    } as never,
  });
  const { faults: _f, limits: _l, detection: _d, ...doc } = prep.scenario;
  const fault = { kind: 'spot-reclaim', at_s: 0, duration_s: o.duration_s, target: 'gpu:small', ...o.fault };
  (prep.scenario as { faults: unknown }).faults = validateScenario({ ...structuredClone(doc), faults: [fault] } as never, 'test').faults;
  return simulate(prep, SEED);
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('spot-reclaim', () => {
  it('reclaims as a Poisson process: the count over 10 hours is within 4 standard deviations of rate x time', () => {
    // 16 spot replicas, each reclaimed at 3.6 per hour (0.25 of instances a month = 0.25 / 730 per
    // hour, accelerated 10,512x); no notice, no wait, weights load in microseconds, so a replica is
    // reclaimable all the time and the count is Poisson with mean 16 x 3.6 x 10 = 576 (sd 24).
    const hours = 10;
    const r = spotFleet({
      gpus: 16, rate_per_s: 0.2, duration_s: hours * 3600, load_gb_per_s: 1e9,
      fault: { interruptions_per_month: 0.25, accelerate: 10512, notice_s: 0, replace: 'wait', back_after_s: 0 },
    });
    const expected = 16 * 3.6 * hours;
    const count = r.faults.bands[0].occurrences!;
    expect(Math.abs(count - expected), `seed ${SEED}: ${count} reclaims, expected ${expected}`).toBeLessThan(4 * Math.sqrt(expected));
  });

  it('with a notice and time away, the count follows the renewal rate 1 / (mean gap + time away)', () => {
    // Gap 1,000 s on average, then 120 s notice + 60 s until spot returns (weights load at once):
    // a cycle of 1,180 s; over 20,000 s 16 replicas make about 16 x 20,180 / 1,180 = 273.6 reclaims
    // (renewal theory; sd sqrt(16 x 20,000 x 1000^2 / 1180^3) = 14).
    const r = spotFleet({
      gpus: 16, rate_per_s: 0.2, duration_s: 20000, load_gb_per_s: 1e9,
      fault: { interruptions_per_month: 0.25, accelerate: 10512, notice_s: 120, replace: 'wait', back_after_s: 60 },
    });
    const count = r.faults.bands[0].occurrences!;
    const expected = (16 * 20180) / 1180;
    const sd = Math.sqrt((16 * 20000 * 1e6) / 1180 ** 3);
    expect(Math.abs(count - expected), `seed ${SEED}: ${count} reclaims, expected ${expected}`).toBeLessThan(4 * sd);
  });

  it('drains a reclaimed replica for the notice, then it is gone: nothing new is routed to it, what it still holds fails', () => {
    const notice_ms = 5000;
    const submits = new Map<GpuReplica, number[]>();
    const notices: { replica: GpuReplica; t_ms: number; outstanding: number }[] = [];
    const gone: { replica: GpuReplica; t_ms: number; lost: number }[] = [];
    const submit = GpuReplica.prototype.submit;
    vi.spyOn(GpuReplica.prototype, 'submit').mockImplementation(function (this: GpuReplica, ...args: Parameters<GpuReplica['submit']>) {
      submits.set(this, [...(submits.get(this) ?? []), nowOf(this)]);
      return submit.apply(this, args);
    });
    const hold = RoutedReplica.prototype.hold;
    vi.spyOn(RoutedReplica.prototype, 'hold').mockImplementation(function (this: RoutedReplica, reason) {
      if (reason === 'spot_reclaim') notices.push({ replica: this.replica, t_ms: nowOf(this.replica), outstanding: this.replica.outstanding });
      return hold.call(this, reason);
    });
    const fail = GpuReplica.prototype.fail;
    vi.spyOn(GpuReplica.prototype, 'fail').mockImplementation(function (this: GpuReplica, t_ms, onLost) {
      const entry = { replica: this, t_ms, lost: 0 };
      gone.push(entry);
      return fail.call(this, t_ms, (req) => (entry.lost++, onLost(req)));
    });
    // 4 spot replicas reclaimed about once each in 300 s (12 per hour), 5 s notice, then away an hour.
    const r = spotFleet({ gpus: 4, rate_per_s: 16, duration_s: 300, fault: { interruptions_per_month: 0.25, accelerate: 35040, notice_s: notice_ms / 1000, replace: 'wait' } });
    expect(notices.length, `seed ${SEED}`).toBeGreaterThan(0);
    expect(gone).toHaveLength(notices.length);
    for (const [k, n] of notices.entries()) {
      // No request reaches it from the notice on.
      expect((submits.get(n.replica) ?? []).filter((t) => t >= n.t_ms)).toEqual([]);
      // Gone exactly at the end of the notice.
      expect(gone[k].replica).toBe(n.replica);
      expect(gone[k].t_ms).toBeCloseTo(n.t_ms + notice_ms, 6);
    }
    // In flight at the notice: some finish during it, the rest fail when the instance goes.
    const atNotice = notices.reduce((a, n) => a + n.outstanding, 0);
    const lost = gone.reduce((a, g) => a + g.lost, 0);
    expect(atNotice).toBeGreaterThan(0);
    expect(lost).toBeLessThan(atNotice);
    expect(r.client.counts.failed).toBeGreaterThanOrEqual(lost);
    expect(r.faults.bands[0].occurrences).toBe(notices.length);
  });

  it('reclaims the spot share of the model across its clusters: half of three regions of 3 replicas is 5 replicas, the last of each', () => {
    // Rounded per cluster, 0.5 of 3 replicas was 2 in each region: 6 of 9 reclaimable where the bill
    // counts 4.5. Apportioned over the model, round(4.5) = 5, as plan's spot headroom counts them.
    const reclaimed = new Set<GpuReplica>();
    const hold = RoutedReplica.prototype.hold;
    vi.spyOn(RoutedReplica.prototype, 'hold').mockImplementation(function (this: RoutedReplica, reason) {
      if (reason === 'spot_reclaim') reclaimed.add(this.replica);
      return hold.call(this, reason);
    });
    const third = { traffic_share: 1 / 3, capacity_share: 1 / 3 };
    const prep = smallFleet({
      rate_per_s: 0.2, duration_s: 3600, warmup_s: 0,
      fleet: {
        regions: { a: third, b: third, c: third },
        s3: { stored_gb: 100, load_gb_per_s: 1e9 },
        models: { small: { ...smallModel(), gpus: 9, purchase: { on_demand: 0.5, spot: 0.5 } }, embed: embedModel() },
      } as never,
    });
    const { faults: _f, limits: _l, detection: _d, ...doc } = prep.scenario;
    // about 36 reclaims a replica-hour: every spot replica is reclaimed, a replica that is not never is
    const fault = { kind: 'spot-reclaim', at_s: 0, duration_s: 3600, target: 'gpu:small', interruptions_per_month: 2.5, accelerate: 10512, notice_s: 0, replace: 'wait', back_after_s: 0 };
    (prep.scenario as { faults: unknown }).faults = validateScenario({ ...structuredClone(doc), faults: [fault] } as never, 'test').faults;
    const r = simulate(prep, SEED);
    const clusters = r.fleet!.gpuClusters.filter((c) => c.served.name === 'small');
    expect(clusters.map((c) => c.replicas.length)).toEqual([3, 3, 3]);
    const reclaimedByCluster = clusters.map((c) => c.replicas.map((replica, i) => (reclaimed.has(replica) ? i : -1)).filter((i) => i >= 0));
    expect(reclaimedByCluster).toEqual([[1, 2], [1, 2], [2]]);
  });

  it('refuses a target whose model buys no spot', () => {
    const prep = smallFleet({ rate_per_s: 1 });
    const { faults: _f, limits: _l, detection: _d, ...doc } = prep.scenario;
    (prep.scenario as { faults: unknown }).faults = validateScenario({ ...structuredClone(doc), faults: [{ kind: 'spot-reclaim', at_s: 0, duration_s: 10, target: 'gpu:small' }] } as never, 'test').faults;
    expect(() => simulate(prep, SEED)).toThrow(/faults\[0\]\.target: expected a GPU cluster whose model buys a spot share/);
  });
});
