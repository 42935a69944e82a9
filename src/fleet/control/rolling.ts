import type { DeploySpec } from './schema.ts';
import { countOf } from './alloc.ts';
import type { ControlContext } from './context.ts';
import type { ReplicaPool } from './gpu-pool.ts';
import type { DeployRecord } from './record.ts';

type RollingSpec = Extract<DeploySpec, { kind: 'rolling' }>;
/** The version a rolling update installs (replicas start at version 0). */
const NEW_VERSION = 1;

/**
 * A rolling update of the targeted GPU clusters, Kubernetes style: on each pool, replicas of the
 * old version are drained and restarted with the new one, at most `max_unavailable` below the
 * desired count and `max_surge` above it. The record is complete when every pool is.
 */
export function startRollingUpdate(ctx: ControlContext, d: RollingSpec, index: number, where: string): DeployRecord {
  const record: DeployRecord = { index, kind: d.kind, target: d.target, start_s: d.at_s, end_s: null, outcome: 'in_progress', restarted: 0, min_serving_fraction: 1 };
  const pools = ctx.clustersOf(d.target, where).map((c) => ctx.poolOf(c, d.boot_s, `gpu:${c.served.name}`));
  let finished = 0;
  const onPoolDone = () => {
    record.end_s = Math.max(record.end_s ?? 0, ctx.sim.now_ms / 1000);
    if (++finished === pools.length) record.outcome = 'completed';
  };
  for (const pool of pools) {
    const update = new PoolUpdate(pool, record, onPoolDone);
    pool.addListener(() => update.step());
    ctx.at(d.at_s, () => update.begin(d));
  }
  return record;
}

/** The update of one pool: a state machine advanced whenever the pool changes. */
class PoolUpdate {
  /** The budgets below and above the desired count (the pool's `requested`, which an autoscaler may move during the update). */
  private maxUnavailable = 0;
  private maxSurge = 0;
  /** Replicas drained to be restarted with the new version once off. */
  private readonly restarting: Uint8Array;
  private started = false;
  private done = false;

  constructor(private readonly pool: ReplicaPool, private readonly record: DeployRecord, private readonly onDone: () => void) {
    this.restarting = new Uint8Array(pool.size);
  }

  begin(d: RollingSpec): void {
    const p = this.pool;
    const desired = p.requested;
    this.maxUnavailable = countOf(d.max_unavailable, desired, false);
    this.maxSurge = countOf(d.max_surge, desired, true);
    // Both rounded to 0 (a fraction of a small pool; both given as 0 the schema refuses): one
    // replica at a time, as Kubernetes resolves it, not an update refused in mid-run.
    if (this.maxUnavailable === 0 && this.maxSurge === 0) this.maxUnavailable = 1;
    // Replicas an autoscaler starts from now on run the new version, as a Deployment's new template.
    p.runNewReplicasAs(NEW_VERSION);
    p.logEvent(desired, desired, `rolling update starts (max_unavailable ${this.maxUnavailable}, max_surge ${this.maxSurge})`);
    this.started = true;
    this.step();
  }

  step(): void {
    if (!this.started || this.done) return;
    const p = this.pool;
    // The count an autoscaler asks for now: kept fixed at the start, the update fought the
    // autoscaler (it never finished when the autoscaler scaled the pool down).
    const N = this.pool.requested;
    // Restarted replicas that are off: boot them with the new version.
    for (let i = 0; i < p.size; i++) if (this.restarting[i] && p.isOff(i)) (this.restarting[i] = 0, p.boot(i, { version: NEW_VERSION }), this.record.restarted!++);
    // Surged new replicas are serving: retire old ones (no restart) back to N.
    let excess = this.serving() - N;
    for (const i of this.oldServing()) if (excess > 0) (p.drain(i), excess--);
    // Surge: start new replicas from spare ones.
    let notOff = p.size - p.off;
    for (let i = 0; i < p.size && notOff < N + this.maxSurge && this.newCount() < N; i++) if (p.isOff(i) && !this.restarting[i]) (p.boot(i, { version: NEW_VERSION, byDeploy: true }), notOff++);
    // Restart old replicas within the unavailability budget.
    let canTakeDown = this.serving() - (N - this.maxUnavailable);
    for (const i of this.oldServing()) {
      if (canTakeDown <= 0 || this.newCount() >= N) break;
      this.restarting[i] = 1;
      p.drain(i);
      canTakeDown--;
    }
    this.record.min_serving_fraction = Math.min(this.record.min_serving_fraction!, this.serving() / N);
    if (this.oldServing().length === 0 && this.serving() >= N && this.newCount() >= N && !this.restarting.some((x) => x)) {
      this.done = true;
      this.onDone();
    }
  }

  private serving(): number {
    return this.pool.serving;
  }

  /** Replicas of the new version serving or booting, plus those drained to restart as new. */
  private newCount(): number {
    const p = this.pool;
    let n = 0;
    for (let i = 0; i < p.size; i++) if ((p.version[i] === NEW_VERSION && (p.isOn(i) || p.isBooting(i))) || this.restarting[i]) n++;
    return n;
  }

  private oldServing(): number[] {
    const p = this.pool;
    const old: number[] = [];
    for (let i = 0; i < p.size; i++) if (p.isOn(i) && p.version[i] !== NEW_VERSION) old.push(i);
    return old;
  }
}
