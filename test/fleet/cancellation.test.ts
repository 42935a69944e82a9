import { describe, expect, it } from 'vitest';
import { simulate } from '../../src/experiment/simulate.ts';
import { ReplicaStats } from '../../src/fleet/gpu/stats.ts';
import { prepared } from '../helpers/scenario.ts';
import { smallFleet, smallModel } from '../helpers/fleet.ts';

/**
 * A fleet overloaded by a tenth whose clients time out after 10 s and retry twice (a retry storm), with and
 * without cancellation: the attempts clients abandoned are aborted on the GPUs, so the GPUs decode
 * fewer tokens, and every request still ends in exactly one outcome bucket.
 */
function storm(cancel: boolean) {
  const base = smallFleet({ rate_per_s: 11, duration_s: 60, warmup_s: 10, fleet: { models: { small: { ...smallModel(), share: 1, gpus: 1, cancel_on_disconnect: cancel } } } });
  const doc = { ...base.scenario, client: { timeout_ms: 10000, max_retries: 2, retry_on: ['timed_out' as const], backoff: { initial_ms: 100, jitter: 'none' as const } } };
  const run = simulate(prepared(doc as Parameters<typeof prepared>[0]), 1);
  const stats = new ReplicaStats();
  for (const c of run.fleet!.gpuClusters) for (const r of c.replicas) {
    r.checkInvariants();
    stats.merge(r.stats());
  }
  return { run, stats };
}

describe('cancellation in the fleet (a retry storm)', () => {
  const off = storm(false);
  const on = storm(true);

  it('without cancellation nothing is aborted; with it, abandoned attempts are aborted and their tokens not decoded', () => {
    expect(off.stats.aborted).toBe(0);
    expect(off.run.client.attemptCounts.abandoned).toBeGreaterThan(100);
    expect(on.stats.aborted).toBeGreaterThan(100);
    expect(on.stats.aborted).toBeLessThanOrEqual(on.run.client.attemptCounts.abandoned);
    expect(on.stats.aborted_output_tokens).toBeGreaterThan(0);
    // the decode steps of abandoned attempts are not run (the freed capacity admits the queue sooner:
    // under this overload it goes to prefills of attempts that will time out too; docs/priorities.md)
    expect(on.stats.decode_tokens).toBeLessThan(off.stats.decode_tokens * 0.8);
  });

  it('every request ends in exactly one outcome bucket, with and without', () => {
    for (const { run } of [off, on]) {
      const c = run.counts;
      expect(c.offered).toBe(c.completed + c.failed + c.rejected + c.timed_out + c.in_flight_at_end);
    }
  });
});
