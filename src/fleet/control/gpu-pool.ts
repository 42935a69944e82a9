import type { Simulator } from '../../engine/sim.ts';
import type { DownReason } from '../llm/availability.ts';
import type { GpuCluster } from '../llm/replicas.ts';
import { Meter, type ScalingEvent } from './record.ts';

const OFF = 0, BOOTING = 1, ON = 2, DRAINING = 3, STANDBY = 4;
/** The reason the pool holds on a replica in each state (serving holds none). */
const REASON: readonly (DownReason | null)[] = ['off', 'booting', null, 'draining', 'standby'];

/**
 * The life cycle of a GPU cluster's replicas under the control plane: off, booting (provisioning,
 * then the weights load from S3: the cold start), serving, draining (no new requests; switched off
 * once what it holds is done). The pool owns the availability reasons of those states: a replica
 * in any state but serving holds the state's reason (off, booting, standby, draining), so the
 * router routes to it only while it serves and nothing else (a fault) holds it. The bill counts
 * every replica that is not off.
 */
export class ReplicaPool {
  private readonly state: Uint8Array;
  /** Rolling updates: the version each replica runs. */
  readonly version: Int32Array;
  private readonly standby: Uint8Array;
  /** Boots a deploy started for itself (a blue-green green set, a rolling update's surge): not the autoscaler's to count or cancel. */
  private readonly deployBoot: Uint8Array;
  /** The version a replica the autoscaler starts runs: a rolling update or a blue-green switch moves it (runNewReplicasAs), as a Deployment's template. */
  private templateVersion = 0;
  /** The count last asked for by scaleTo (the configured count before any). */
  private requestedCount: number;
  private readonly bootDone: number;
  private readonly drainCheck: number;
  private drainScheduled = false;
  coldStarts = 0;
  coldStart_s_total = 0;
  /** Told when a replica starts serving, is ready on standby, or is off after draining (deploys wait on these). */
  private readonly listeners: (() => void)[] = [];

  constructor(
    private readonly sim: Simulator,
    readonly cluster: GpuCluster,
    readonly component: string,
    /** Instances of the fixed (configured) fleet. */
    fixed: number,
    private readonly events: ScalingEvent[],
    from_ms: number,
    /** Seconds a replica takes from the order to serving: provisioning + weight load. */
    readonly coldStart_s: number,
  ) {
    const n = cluster.replicas.length;
    this.state = new Uint8Array(n);
    this.version = new Int32Array(n);
    this.standby = new Uint8Array(n);
    this.deployBoot = new Uint8Array(n);
    // The builder switched off the replicas beyond the initial count; the pool takes those holds over.
    for (let i = 0; i < n; i++) this.state[i] = cluster.views[i].isHeld('off') ? OFF : ON;
    this.meter = new Meter(component, fixed, this.serving, from_ms);
    this.requestedCount = this.serving;
    this.bootDone = sim.on((i) => this.ready(i));
    this.drainCheck = sim.on(() => this.checkDrains());
  }
  readonly meter: Meter;

  /** The count last asked for by scaleTo (the configured count before any): a rolling update keeps to it as it moves. */
  get requested(): number {
    return this.requestedCount;
  }

  /** Replicas started from now on (by scaleTo) run `version`: a deploy's new template. */
  runNewReplicasAs(version: number): void {
    this.templateVersion = version;
  }

  get size(): number {
    return this.state.length;
  }
  count(s: number): number {
    let n = 0;
    for (let i = 0; i < this.state.length; i++) if (this.state[i] === s) n++;
    return n;
  }
  get serving(): number {
    return this.count(ON);
  }
  /**
   * Replicas booting, less those a deploy started for itself (deployBoot), which are not part of
   * the count an autoscaler steers: counted, an autoscaler saw a surplus and cancelled a blue-green
   * deploy's green set, whose switch then never came.
   */
  get booting(): number {
    let n = 0;
    for (let i = 0; i < this.state.length; i++) if (this.state[i] === BOOTING && !this.deployBoot[i]) n++;
    return n;
  }
  get off(): number {
    return this.count(OFF);
  }
  /** Spec count: serving plus booting. */
  get spec(): number {
    return this.serving + this.booting;
  }
  isOn(i: number): boolean {
    return this.state[i] === ON;
  }
  isOff(i: number): boolean {
    return this.state[i] === OFF;
  }
  isBooting(i: number): boolean {
    return this.state[i] === BOOTING;
  }
  isStandby(i: number): boolean {
    return this.state[i] === STANDBY;
  }

  /** Adds a listener for changes (see `listeners`); listeners run in the order they were added. */
  addListener(listener: () => void): void {
    this.listeners.push(listener);
  }

  /**
   * Tells the listeners, one change at a time: a change made while they run, or while scaleTo
   * moves several replicas, is told once that is over. Told in the middle, a rolling update took
   * replicas down for restart while the autoscaler was still draining its surplus, both against the
   * same count, and the pool served none.
   */
  private changed(): void {
    if (this.telling) {
      this.changedSince = true;
      return;
    }
    this.telling = true;
    // Each round acts on a change of state, and a replica moves through a few states per change:
    // more rounds than that is a listener that never settles.
    for (let round = 0; ; round++) {
      if (round > 4 * this.state.length + 8) throw new Error(`${this.component}: the pool's listeners did not settle`);
      this.changedSince = false;
      for (const listener of this.listeners) listener();
      if (!this.changedSince) break;
    }
    this.telling = false;
  }
  private telling = false;
  private changedSince = false;
  /** Moves replica i to state `to`, holding the new state's reason before releasing the old one (no routable instant between two). */
  private setState(i: number, to: number): void {
    const view = this.cluster.views[i];
    const from = REASON[this.state[i]];
    this.state[i] = to;
    if (REASON[to]) view.hold(REASON[to]);
    if (from) view.release(from);
  }

  private bill(): void {
    const billed = this.state.length - this.off;
    this.meter.set(this.sim.now_ms, billed, this.serving);
  }

  private log(from: number, to: number, reason: string): void {
    if (from === to) return;
    if (this.events.length < 20000) this.events.push({ t_s: this.sim.now_ms / 1000, component: this.component, from, to, reason });
  }

  /**
   * Starts replica i (must be off): it serves after the cold start, running `version` (or waits on
   * standby until release(i) when `standby`). `byDeploy`: a deploy's own boot (see deployBoot);
   * a boot for standby always is.
   */
  boot(i: number, opts: { version?: number; standby?: boolean; byDeploy?: boolean } = {}): void {
    if (this.state[i] !== OFF) throw new Error(`replica ${i} of ${this.component} is not off`);
    this.setState(i, BOOTING);
    this.standby[i] = opts.standby ? 1 : 0;
    this.deployBoot[i] = opts.standby || opts.byDeploy ? 1 : 0;
    this.version[i] = opts.version ?? this.templateVersion;
    const s = this.coldStart_s;
    this.coldStarts++;
    this.coldStart_s_total += s;
    this.sim.at(this.sim.now_ms + s * 1000, this.bootDone, i);
    this.bill();
  }

  private ready(i: number): void {
    if (this.state[i] !== BOOTING) return;
    if (this.standby[i]) {
      this.setState(i, STANDBY); // booted, weights loaded, no traffic yet (blue-green)
      this.bill();
      this.changed();
      return;
    }
    this.serve(i);
  }

  /** A replica on standby starts serving. */
  release(i: number): void {
    if (this.state[i] === STANDBY) this.serve(i);
  }

  private serve(i: number): void {
    this.setState(i, ON);
    this.bill();
    this.changed();
  }

  /** Stops taking requests on replica i; it is off once empty. */
  drain(i: number): void {
    const st = this.state[i];
    if (st === BOOTING || st === STANDBY) {
      this.setState(i, OFF); // cancelled before serving (a boot event finds it off)
      this.bill();
      // Told, as any replica switched off: a rolling update waiting on this boot stalled for good
      // when an autoscaler cancelled it.
      this.changed();
      return;
    }
    if (st !== ON) return;
    this.setState(i, DRAINING);
    this.bill();
    this.checkDrains();
  }

  /** Draining replicas that hold nothing are switched off; polled every second while any drains. */
  checkDrains(): void {
    this.drainScheduled = false;
    let draining = 0;
    let changed = false;
    for (let i = 0; i < this.state.length; i++) {
      if (this.state[i] !== DRAINING) continue;
      if (this.cluster.replicas[i].outstanding === 0 || !this.cluster.replicas[i].healthy) {
        this.setState(i, OFF);
        changed = true;
      } else draining++;
    }
    if (changed) {
      this.bill();
      this.changed();
    }
    if (draining > 0 && !this.drainScheduled) {
      this.drainScheduled = true;
      this.sim.at(this.sim.now_ms + 1000, this.drainCheck, 0);
    }
  }

  /** Autoscaling: moves the spec count (serving + booting) to n. */
  scaleTo(n: number, reason: string): void {
    const told = this.telling;
    this.telling = true;
    this.requestedCount = n;
    const from = this.spec;
    if (n > from) {
      let need = n - from;
      for (let i = 0; i < this.state.length && need > 0; i++) {
        if (this.state[i] === OFF) {
          this.boot(i);
          need--;
        }
      }
    } else if (n < from) {
      let extra = from - n;
      // Cancel boots first, then drain the highest-numbered serving replicas.
      for (let i = this.state.length - 1; i >= 0 && extra > 0; i--) if (this.state[i] === BOOTING && !this.deployBoot[i]) (this.drain(i), extra--);
      for (let i = this.state.length - 1; i >= 0 && extra > 0; i--) if (this.state[i] === ON) (this.drain(i), extra--);
    }
    this.log(from, this.spec, reason);
    this.telling = told;
    if (!told && this.changedSince) this.changed();
  }

  logEvent(from: number, to: number, reason: string): void {
    this.log(from, to, reason);
  }
}
