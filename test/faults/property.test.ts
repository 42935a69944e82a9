import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { simulate } from '../../src/experiment/simulate.ts';
import { smallFleet } from '../helpers/fleet.ts';
import { validateScenario } from '../../src/scenario/load.ts';

const TIERS = ['gateway', 'redis', 'postgres', 'chat_api', 'completions_api', 'moderation', 'router', 'vector_db'];
const fault = fc.oneof(
  fc.record({ kind: fc.constant('gpu-fault'), target: fc.constantFrom('gpu:small', 'gpu:embed'), in_flight: fc.constantFrom('fail', 'retry') }),
  fc.record({ kind: fc.constant('gpu-cluster-failure'), target: fc.constant('gpu:small'), fraction: fc.double({ min: 0.1, max: 1, noNaN: true }) }),
  fc.record({ kind: fc.constant('region-outage'), target: fc.constantFrom('a', 'b'), dns_ttl_s: fc.integer({ min: 1, max: 30 }) }),
  fc.record({ kind: fc.constant('redis-failover'), mode: fc.constantFrom('fail', 'wait'), pooling: fc.boolean() }),
  fc.record({ kind: fc.constant('kv-fragmentation'), target: fc.constant('gpu:small'), min_fraction: fc.double({ min: 0.01, max: 1, noNaN: true }), step_s: fc.constant(5) }),
  fc.record({ kind: fc.constant('db-overload'), mode: fc.constantFrom('unreachable', 'slow') }),
  fc.record({ kind: fc.constant('discovery-failure'), dns_ttl_s: fc.integer({ min: 1, max: 60 }) }),
  fc.record({ kind: fc.constant('latency'), target: fc.constantFrom(...TIERS), factor: fc.double({ min: 1, max: 20, noNaN: true }) }),
  fc.record({ kind: fc.constant('error-rate'), target: fc.constantFrom(...TIERS), error_rate: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({ kind: fc.constant('capacity'), target: fc.constantFrom(...TIERS, 'gpu:small'), factor: fc.double({ min: 0, max: 2, noNaN: true }) }),
  fc.record({ kind: fc.constant('partition'), target: fc.constantFrom(...TIERS, 'a', 'b') }),
);
const timed = fc.tuple(fault, fc.integer({ min: 0, max: 80 }), fc.integer({ min: 1, max: 60 })).map(([f, at_s, duration_s]) => ({ ...f, at_s, duration_s }));

describe('conservation under random fault timelines', () => {
  it('every request ends in exactly one bucket, whatever fails and whatever the clients do', () => {
    fc.assert(
      fc.property(fc.array(timed, { maxLength: 4 }), fc.constantFrom('none', 'openai-python', 'aggressive'), fc.integer({ min: 1, max: 1000 }), (faults, preset, seed) => {
        const prep = smallFleet({ rate_per_s: 12, duration_s: 120, warmup_s: 10, fleet: { regions: { a: { traffic_share: 0.5, capacity_share: 0.5 }, b: { traffic_share: 0.5, capacity_share: 0.5 } } } as never });
        const { faults: _f, limits: _l, detection: _d, client: _c, ...rest } = prep.scenario;
        const doc = validateScenario({ ...structuredClone(rest), faults, client: { preset, timeout_ms: 5000 } }, 'property');
        const r = simulate({ ...prep, scenario: doc }, seed);
        const c = r.counts;
        expect(c.offered, `seed ${seed}, faults ${JSON.stringify(faults)}`).toBe(c.completed + c.failed + c.rejected + c.timed_out + c.in_flight_at_end);
        const byClass = r.client.byClass.reduce((a, x) => a + x.offered, 0);
        expect(byClass).toBe(c.offered);
        // Replicas end healthy or failed, never with more KV allocated than they have.
        for (const cl of r.fleet!.gpuClusters) for (const rep of cl.replicas) expect(rep.usedBlocks).toBeLessThanOrEqual(rep.capacityBlocks);
      }),
      { seed: 7, numRuns: 25 },
    );
  });
});
