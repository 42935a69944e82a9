import type { GpuReplica } from '../gpu/replica.ts';
import type { RouterPolicy, RouterTarget } from '../router/target.ts';

/**
 * Why a replica takes no new requests. Each reason has one owner, the only code that holds and
 * releases it:
 * - `off`, `booting`, `standby`, `draining`: the control plane's replica pool (its life-cycle
 *   states other than serving; the fleet builder holds `off` for the replicas allocated beyond
 *   the initial count, and the pool takes them over as they are);
 * - `capacity_fault`: a capacity fault draining part of a cluster;
 * - `restarting`: a fragmentation fault's scheduled restart;
 * - `health_check`: a failure detected by health checks, until the replica is repaired;
 * - `spot_reclaim`: a spot reclaim (faults/kinds/spot-reclaim.ts), from its notice until the
 *   replica is back (spot capacity returned, or an on-demand replacement loaded).
 */
export const DOWN_REASONS = ['off', 'booting', 'standby', 'draining', 'capacity_fault', 'restarting', 'health_check', 'spot_reclaim'] as const;
export type DownReason = (typeof DOWN_REASONS)[number];
const REASON_INDEX: Readonly<Record<DownReason, number>> = Object.fromEntries(DOWN_REASONS.map((r, i) => [r, i])) as Record<DownReason, number>;

/**
 * A replica as the router sees it: its load is live; it is routable while no reason to keep it
 * out is held. Reasons are counted, not flags: two faults may hold the same reason over
 * overlapping spans, and releasing one leaves the other. The router is told here, and only here,
 * when routability or the replica's load changes through a failure or a repair.
 *
 * Between a failure and its detection the replica is dead but still routable: requests sent to
 * it fail, as they do before a health check notices.
 */
export class RoutedReplica implements RouterTarget {
  /** Holds per reason (by DOWN_REASONS index). */
  private readonly holds = new Uint16Array(DOWN_REASONS.length);
  /** Sum of `holds`: the router's health check reads only this. */
  private held = 0;
  /** Failures not yet repaired (overlapping failures: the replica serves again after the last). */
  private failures = 0;
  private policy: RouterPolicy | null = null;
  private index = -1;

  constructor(readonly replica: GpuReplica) {}

  /** Connects the view to its router policy (the policy is built over the views). */
  attach(policy: RouterPolicy, index: number): void {
    this.policy = policy;
    this.index = index;
  }

  get outstanding(): number {
    return this.replica.outstanding;
  }
  kvUsedFraction(): number {
    return this.replica.kvUsedFraction();
  }
  cachedPrefixBlocks(prefixId: number): number {
    return this.replica.cachedPrefixBlocks(prefixId);
  }
  get healthy(): boolean {
    return this.held === 0;
  }

  isHeld(reason: DownReason): boolean {
    return this.holds[REASON_INDEX[reason]] > 0;
  }

  /** Keeps the replica out of routing for `reason` until released. */
  hold(reason: DownReason): void {
    this.holds[REASON_INDEX[reason]]++;
    if (this.held++ === 0) this.notify();
  }

  /** Releases one hold of `reason`; the replica is routable again when nothing is held. */
  release(reason: DownReason): void {
    const k = REASON_INDEX[reason];
    if (this.holds[k] === 0) throw new Error(`replica ${this.index}: release of "${reason}", which is not held`);
    this.holds[k]--;
    // A replica back from a boot (scale-up, deploy) or a restart runs a fresh engine: its cache is cold.
    if (reason === 'booting' || reason === 'restarting') this.replica.dropCachedPrefixes();
    if (--this.held === 0) this.notify();
  }

  /** The replica dies at t_ms: what it holds goes to onLost (at the first of overlapping failures). */
  fail(t_ms: number, onLost: (req: number) => void): void {
    if (this.failures++ > 0) return;
    this.replica.fail(t_ms, onLost);
    this.notify(); // its load dropped to nothing
  }

  /** One failure is repaired; the replica serves again, empty, once every failure is. */
  repair(): void {
    if (this.failures === 0) throw new Error(`replica ${this.index}: repair without a failure`);
    if (--this.failures > 0) return;
    this.replica.restore();
    this.notify();
  }

  private notify(): void {
    this.policy?.notify(this.index);
  }
}
