import { describe, expect, it } from 'vitest';
import { RoutedReplica } from '../../src/fleet/llm/availability.ts';
import type { GpuReplica } from '../../src/fleet/gpu/replica.ts';
import type { RouterPolicy } from '../../src/fleet/router/target.ts';

/** A replica stub that records fail/restore, and a policy that records notifications. */
function setup() {
  const calls: string[] = [];
  const replica = { outstanding: 3, healthy: true, kvUsedFraction: () => 0, fail: () => calls.push('fail'), restore: () => calls.push('restore') } as unknown as GpuReplica;
  const notified: number[] = [];
  const policy: RouterPolicy = { name: 'random', pick: () => -1, notify: (i) => notified.push(i) };
  const view = new RoutedReplica(replica);
  view.attach(policy, 5);
  return { view, calls, notified };
}

describe('replica availability: reasons held and released by their owners', () => {
  it('is routable only while nothing is held; the router hears of each change once', () => {
    const { view, notified } = setup();
    expect(view.healthy).toBe(true);
    view.hold('off');
    expect(view.healthy).toBe(false);
    view.hold('capacity_fault');
    view.release('off');
    // a fault still holds it: releasing the pool's reason does not make it routable
    expect(view.healthy).toBe(false);
    expect(view.isHeld('off')).toBe(false);
    view.release('capacity_fault');
    expect(view.healthy).toBe(true);
    expect(notified).toEqual([5, 5]);
  });

  it('counts holds of one reason: two overlapping faults, releasing one leaves the other', () => {
    const { view } = setup();
    view.hold('capacity_fault');
    view.hold('capacity_fault');
    view.release('capacity_fault');
    expect(view.healthy).toBe(false);
    view.release('capacity_fault');
    expect(view.healthy).toBe(true);
  });

  it('refuses a release of what is not held (an owner releasing twice is a bug)', () => {
    const { view } = setup();
    view.hold('draining');
    expect(() => view.release('off')).toThrow(/not held/);
  });

  it('overlapping failures: the replica dies at the first and serves again after the last repair', () => {
    const { view, calls } = setup();
    view.fail(0, () => {});
    view.fail(10, () => {});
    view.repair();
    expect(calls).toEqual(['fail']);
    view.repair();
    expect(calls).toEqual(['fail', 'restore']);
    expect(() => view.repair()).toThrow(/without a failure/);
  });
});
