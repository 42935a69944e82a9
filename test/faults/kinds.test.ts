import { describe, expect, it } from 'vitest';
import { simulate } from '../../src/experiment/simulate.ts';
import { prepared } from '../helpers/scenario.ts';
import { embedModel, smallFleet, smallModel } from '../helpers/fleet.ts';
import type { WindowRow } from '../../src/metrics/timeseries.ts';
import { validateScenario } from '../../src/scenario/load.ts';

const SEED = 1;
const sum = (rows: WindowRow[], k: keyof WindowRow, a: number, b: number) =>
  rows.filter((r) => r.t_start_s >= a && r.t_start_s < b).reduce((s, r) => s + (r[k] as number), 0);

/** Two stations in tandem, 50 requests/s, a fault timeline, 10 s windows. */
function stations(faults: object[]) {
  return simulate(
    prepared({
      name: 'faults',
      duration_s: 200,
      window_s: 10,
      workload: { arrivals: { kind: 'poisson', rate_per_s: 50 } },
      topology: {
        entry: 'api',
        stations: {
          api: { servers: 10, service_ms: { dist: 'exponential', mean: 100 }, next: 'db' },
          db: { servers: 4, service_ms: { dist: 'exponential', mean: 20 } },
        },
      },
      faults: faults as never,
    }),
    SEED,
  );
}

describe('generic faults on a station network', () => {
  it('error-rate: the target fails its share of requests during the fault only', () => {
    const r = stations([{ kind: 'error-rate', at_s: 50, duration_s: 50, target: 'db', error_rate: 0.4 }]);
    const rows = r.timeseries.rows();
    const during = sum(rows, 'errors', 50, 100) / (sum(rows, 'errors', 50, 100) + sum(rows, 'completions', 50, 100));
    expect(during, `seed ${SEED}`).toBeGreaterThan(0.33);
    expect(during).toBeLessThan(0.47);
    expect(sum(rows, 'errors', 0, 50) + sum(rows, 'errors', 110, 200)).toBe(0);
    // The stations upstream are untouched: api served everything that arrived.
    expect(r.stations[0].stats.timedOut + r.stations[0].stats.rejected).toBe(0);
  });

  it('latency: the target slows by its factor while it lasts; the other station does not', () => {
    const base = stations([]);
    const slow = stations([{ kind: 'latency', at_s: 0, duration_s: 200, target: 'db', factor: 3 }]);
    const mean = (x: ReturnType<typeof stations>, i: number) => x.stations[i].stats.sojourn.summary().mean!;
    expect(mean(slow, 1) / mean(base, 1)).toBeGreaterThan(2.5);
    expect(mean(slow, 0) / mean(base, 0)).toBeGreaterThan(0.9);
    expect(mean(slow, 0) / mean(base, 0)).toBeLessThan(1.1);
  });

  it('capacity: fewer servers make the target queue, and capacity comes back', () => {
    const r = stations([{ kind: 'capacity', at_s: 50, duration_s: 30, target: 'api', factor: 0.3 }]);
    const rows = r.timeseries.rows();
    const p99 = (t: number) => rows.find((x) => x.t_start_s === t)!.e2e_p99_ms!;
    expect(p99(70)).toBeGreaterThan(5 * p99(30));
    expect(r.stations[0].servers).toBe(10);
    expect(p99(190)).toBeLessThan(2 * p99(30));
  });

  it('partition: the target is unreachable for the duration', () => {
    const r = stations([{ kind: 'partition', at_s: 100, duration_s: 20, target: 'db' }]);
    const rows = r.timeseries.rows();
    expect(sum(rows, 'completions', 105, 115)).toBe(0);
    expect(sum(rows, 'errors', 100, 120)).toBeGreaterThan(800);
    expect(sum(rows, 'errors', 130, 200)).toBe(0);
  });

  it('a bad target names the fault and the choices', () => {
    expect(() => stations([{ kind: 'latency', at_s: 1, duration_s: 1, target: 'dbb', factor: 2 }])).toThrow(/faults\[0\]\.target: expected a tier or region \(api, db\?*.*"dbb"/);
    expect(() => validateScenario({ name: 'x', duration_s: 1, workload: { arrivals: { kind: 'poisson', rate_per_s: 1 } }, topology: { entry: 'a', stations: { a: { servers: 1, service_ms: { dist: 'constant', value: 1 } } } }, faults: [{ kind: 'gpu-meltdown', at_s: 0, duration_s: 1 }] }, 'f.yaml')).toThrow(/faults\[0\]\.kind: expected one of gpu-fault/);
  });
});

/** The small fleet in two regions, 16 requests/s, with faults. */
function fleet(faults: object[], extra: Record<string, unknown> = {}, rate_per_s = 16) {
  const prep = smallFleet({
    rate_per_s,
    duration_s: 300,
    warmup_s: 0,
    fleet: {
      regions: { a: { traffic_share: 0.5, capacity_share: 0.5 }, b: { traffic_share: 0.5, capacity_share: 0.5 } },
      s3: { stored_gb: 100, load_gb_per_s: 1 },
      ...extra,
    } as never,
  });
  (prep.scenario as { faults: unknown }).faults = validateScenario({ ...structuredClone(prepDoc(prep)), faults }, 'test').faults;
  (prep.scenario as { detection: unknown }).detection = { gpu: { interval_s: 10, threshold: 3 }, region: { interval_s: 5, threshold: 2 }, tier: { interval_s: 10, threshold: 3 } };
  return simulate(prep, SEED);
}
function prepDoc(prep: ReturnType<typeof smallFleet>) {
  const { faults: _f, detection: _d, limits: _l, ...rest } = prep.scenario;
  return rest;
}

describe('fleet faults', () => {
  it('gpu-fault: requests to the dead replica fail until health checks mark it down (30 s), then none', () => {
    const r = fleet([{ kind: 'gpu-fault', at_s: 60, duration_s: 60, target: 'gpu:small/a', replica: 0 }]);
    const rows = r.timeseries.rows();
    const band = r.faults.bands[0];
    expect(band.detected_s).toBe(90);
    expect(sum(rows, 'errors', 60, 90)).toBeGreaterThan(0);
    expect(sum(rows, 'errors', 100, 300)).toBe(0);
    // Repaired at 120 s, it reloads llama-2-7b's weights (about 13.5 GB at 1 GB/s) before serving.
    expect(band.recovered_s! - 120).toBeGreaterThan(10);
    expect(band.recovered_s! - 120).toBeLessThan(20);
    expect(r.fleet!.gpuClusters[0].replicas[0].healthy).toBe(true);
  });

  it('gpu-cluster-failure: a fraction of a cluster fails; the rest of the fleet keeps serving', () => {
    const r = fleet([{ kind: 'gpu-cluster-failure', at_s: 60, duration_s: 100, target: 'gpu:small/a', fraction: 1 }]);
    const rows = r.timeseries.rows();
    // Region a's small-model requests fail until detection; region b never has a failure.
    expect(sum(rows, 'errors', 60, 90)).toBeGreaterThan(0);
    const clusterB = r.fleet!.gpuClusters.find((c) => c.name === 'small/b')!;
    expect(clusterB.replicas.every((x) => x.stats().lost === 0)).toBe(true);
    // After detection region a has no small-model replica: its requests fail fast until repair.
    expect(sum(rows, 'errors', 100, 150)).toBeGreaterThan(0);
    expect(sum(rows, 'errors', 200, 300)).toBe(0);
  });

  it('region-outage: errors until DNS moves the region\'s traffic (detection 10 s + TTL 20 s), then the other region serves it', () => {
    const r = fleet([{ kind: 'region-outage', at_s: 60, duration_s: 120, target: 'b', dns_ttl_s: 20 }]);
    const band = r.faults.bands[0];
    expect(band.detected_s).toBe(70);
    expect(band.mitigated_s).toBe(90);
    const rows = r.timeseries.rows();
    expect(sum(rows, 'errors', 60, 90)).toBeGreaterThan(50);
    expect(sum(rows, 'errors', 100, 170)).toBe(0);
    expect(sum(rows, 'completions', 100, 170) / 70).toBeGreaterThan(14);
  });

  // The reconnection storm's closed forms (reconnect-storm.ts): a node sets up accept_backlog
  // attempts in backlog x connect_ms / capacity; when that exceeds the clients' connect timeout
  // every connection it sets up is already abandoned. 511 x 5 ms = 2.555 s against 1 s: the storm
  // lasts until capacity is 2.555x; pooled clients (one attempt per 1 s + 30 s) never fill it.
  const STORM = { kind: 'redis-failover', at_s: 30, duration_s: 20, mode: 'fail', connections_per_node: 1000, connect_ms: 5, connect_timeout_ms: 1000, accept_backlog: 511, backoff_s: 30 };
  /** Redis operations time out after 2 s, as in the production scenario. */
  const REDIS = { redis: { instance: 'r6gd.16xlarge', instances: 2, concurrency: 1, service_ms: { dist: 'exponential', mean: 0.2 }, timeout_ms: 2000 } };
  const errorShare = (rows: WindowRow[], a: number, b: number) => sum(rows, 'errors', a, b) / Math.max(1, sum(rows, 'errors', a, b) + sum(rows, 'completions', a, b));

  it('redis-failover without pooling: operations fail during the failover and after it, the storm feeding itself', () => {
    const storm = fleet([{ ...STORM, pooling: false }], REDIS);
    const rows = storm.timeseries.rows();
    expect(sum(rows, 'errors', 0, 30)).toBe(0);
    expect(errorShare(rows, 30, 50)).toBeGreaterThan(0.95);
    // Four minutes after the failover ended, still every request fails: nothing ends the storm.
    expect(errorShare(rows, 60, 300)).toBeGreaterThan(0.99);
    expect(storm.faults.bands[0].recovered_s).toBeNull();
  });

  it('redis-failover with pooling: clients back off, and the last one reconnects after 31 s x ln(1000)', () => {
    const pooled = fleet([{ ...STORM, pooling: true }], REDIS);
    // Attempts (1000 clients / 31 s) stay under the node's 200 set-ups/s, so each succeeds: the
    // clients without a connection decay as exp(-t / 31 s) until fewer than one is left.
    const expected = 50 + 31 * Math.log(1000);
    expect(pooled.faults.bands[0].recovered_s!).toBeGreaterThan(expected - 1);
    expect(pooled.faults.bands[0].recovered_s!).toBeLessThan(expected + 1);
    const rows = pooled.timeseries.rows();
    // Half the clients have a connection after 31 s x ln 2 = 21 s: errors fall as they reconnect.
    expect(errorShare(rows, 50, 60)).toBeGreaterThan(0.6);
    expect(errorShare(rows, 120, 160)).toBeLessThan(0.2);
    expect(sum(rows, 'errors', 270, 300)).toBe(0);
  });

  it.each([
    [2.4, false],
    [2.7, true],
  ])('redis-failover: capacity x%s added at 100 s ends the storm: %s (threshold 511 x 5 ms / 1 s = 2.555)', (factor, ends) => {
    const r = fleet([{ ...STORM, pooling: false }, { kind: 'capacity', at_s: 100, duration_s: 200, target: 'redis', factor }], REDIS);
    const recovered = r.faults.bands[0].recovered_s;
    if (!ends) expect(recovered).toBeNull();
    else {
      // 1000 clients at the node's new rate of 2.7 / 5 ms = 540 set-ups/s: about 2 s.
      expect(recovered!).toBeGreaterThan(100);
      expect(recovered!).toBeLessThan(104);
      expect(sum(r.timeseries.rows(), 'errors', 110, 300)).toBe(0);
    }
  });

  it('db-overload: only requests that miss the auth cache fail', () => {
    const r = fleet([{ kind: 'db-overload', at_s: 0, duration_s: 300, mode: 'unreachable' }]);
    const s = r.counts;
    // auth_cache_hit is 0.5 in the small fleet: about half the requests need PostgreSQL.
    const share = s.failed / s.offered;
    expect(share, `seed ${SEED}`).toBeGreaterThan(0.4);
    expect(share).toBeLessThan(0.6);
  });

  it("db-overload under a client that retries: a user whose key missed the cache misses again, so retries do not hide the outage", () => {
    const base = smallFleet({ rate_per_s: 16, duration_s: 300, warmup_s: 0 });
    const faults = [{ kind: 'db-overload', at_s: 0, duration_s: 300, mode: 'unreachable' }];
    const run = (ttl_s: number) => {
      const doc = structuredClone(prepDoc(base)) as Record<string, unknown> & { fleet: { gateway: Record<string, unknown> } };
      doc.fleet.gateway.auth_cache_ttl_s = ttl_s;
      const r = simulate({ ...base, scenario: validateScenario({ ...doc, client: { preset: 'openai-python' }, faults }, 'test') }, SEED);
      return { share: r.counts.failed / r.counts.offered, retries: r.client.attemptCounts.retries };
    };
    // auth_cache_hit 0.5: in each epoch of the cache's lifetime half the users' keys are not
    // cached, and their requests fail with every retry. Drawn per attempt, two retries would have
    // left 0.5^3 = 12.5% failing.
    const epochs = run(300);
    expect(epochs.retries).toBeGreaterThan(0);
    expect(epochs.share, `seed ${SEED}`).toBeGreaterThan(0.4);
    expect(epochs.share).toBeLessThan(0.6);
    // a lifetime as short as the retries' backoff draws each attempt afresh: the retries get through
    expect(run(0.001).share).toBeLessThan(0.2);
  });

  it('discovery-failure: the failing share climbs as DNS caches expire', () => {
    const r = fleet([{ kind: 'discovery-failure', at_s: 60, duration_s: 200, dns_ttl_s: 100 }]);
    const rows = r.timeseries.rows();
    const rate = (a: number) => sum(rows, 'errors', a, a + 20) / Math.max(1, sum(rows, 'errors', a, a + 20) + sum(rows, 'completions', a, a + 20));
    expect(rate(60)).toBeLessThan(rate(100));
    expect(rate(100)).toBeLessThan(rate(160));
    expect(rate(180)).toBeGreaterThan(0.95);
    expect(sum(rows, 'errors', 280, 300)).toBe(0);
  });

  it('rate-limit-misconfig: 429s only while the bad limits are in force', () => {
    const limited = { small: { ...smallModel(), rate_limit: { tokens_per_min: 200_000 } }, embed: embedModel() };
    const r = fleet([{ kind: 'rate-limit-misconfig', at_s: 100, duration_s: 100, target: 'small', factor: 0.001 }], { models: limited, users: { count: 4, zipf_s: 0 } });
    const rows = r.timeseries.rows();
    // Windows of 3 s: [99, 102) and [198, 201) straddle the edges.
    expect(sum(rows, 'rejections', 0, 99)).toBe(0);
    expect(sum(rows, 'rejections', 102, 198)).toBeGreaterThan(100);
    expect(sum(rows, 'rejections', 201, 300)).toBe(0);
  });

  it('kv-fragmentation: usable KV shrinks, batches shrink and requests wait; cycling instances helps', () => {
    // 40 requests/s keep the replicas busy; the cache shrinks to 1% over 200 s.
    const frag = { kind: 'kv-fragmentation', at_s: 0, duration_s: 200, target: 'gpu:small', min_fraction: 0.01, step_s: 10 };
    const bad = fleet([frag], {}, 40);
    const fixed = fleet([{ ...frag, cycle_every_s: 60, restart_s: 5 }], {}, 40);
    const base = fleet([], {}, 40);
    const ttft = (x: ReturnType<typeof fleet>) => x.fleet!.metrics.models[0].ttft.summary().p99!;
    expect(ttft(bad), `seed ${SEED}`).toBeGreaterThan(2 * ttft(base));
    expect(ttft(fixed)).toBeLessThan(ttft(bad));
    // At the end of the fault the instances restart with their whole cache.
    expect(bad.fleet!.gpuClusters[0].replicas[0].kvCapacityTokens).toBe(base.fleet!.gpuClusters[0].replicas[0].kvCapacityTokens);
  });
});

describe('stochastic failures', () => {
  it('GPU and tier failures arrive at their MTBF and heal after their MTTR', () => {
    const prep = smallFleet({ rate_per_s: 16, duration_s: 600, warmup_s: 0 });
    const { faults: _f, limits: _l, detection: _d, ...rest } = prep.scenario;
    // 6 A100s (4 small + 2 T4 embed) with a 6-minute MTBF per GPU over 10 minutes: about 10 failures.
    const doc = validateScenario({ ...structuredClone(rest), failures: { gpu: { mtbf_h: 0.1, mttr_min: 1 }, tiers: { router: { mtbf_h: 0.05, mttr_min: 0.5 } } } }, 'stochastic');
    const r = simulate({ ...prep, scenario: doc }, SEED);
    const n = r.faults.stochastic.gpu_failures;
    // Poisson with mean ~ 6 GPUs x 600 s / 360 s = 10 (less the time spent down): within 4 sd.
    expect(n, `seed ${SEED}`).toBeGreaterThan(1);
    expect(n).toBeLessThan(23);
    expect(r.faults.stochastic.tier_failures).toBeGreaterThan(0);
    expect(r.counts.failed).toBeGreaterThan(0);
    const c = r.counts;
    expect(c.offered).toBe(c.completed + c.failed + c.rejected + c.timed_out + c.in_flight_at_end);
  });
});
