import type { Simulator } from '../../engine/sim.ts';
import type { ServiceTier } from '../stations/tier.ts';
import { Meter, type ScalingEvent } from './record.ts';

/**
 * The instances of one tier under an autoscaler: `ready` instances of `concurrency` servers each
 * (ServiceTier.setServers), plus instances booting. All boots take the same time, so they finish in
 * order; a scale-down cancels the newest boots first, then removes serving instances (their work
 * in service finishes; no new work starts beyond the new server count).
 */
export class TierPool {
  ready: number;
  private readonly boots: number[] = [];
  private readonly bootDone: number;
  readonly meter: Meter;

  constructor(
    private readonly sim: Simulator,
    readonly tier: ServiceTier,
    readonly component: string,
    readonly concurrency: number,
    fixed: number,
    initial: number,
    private readonly boot_s: number,
    private readonly events: ScalingEvent[],
    from_ms: number,
  ) {
    this.ready = initial;
    this.meter = new Meter(component, fixed, initial, from_ms);
    this.bootDone = sim.on(() => this.onBoot());
    if (initial * concurrency !== tier.station.servers) tier.setServers(initial * concurrency);
  }

  get booting(): number {
    return this.boots.length;
  }
  get spec(): number {
    return this.ready + this.boots.length;
  }

  private onBoot(): void {
    const now = this.sim.now_ms;
    let n = 0;
    while (this.boots.length > 0 && this.boots[0] <= now + 1e-9) {
      this.boots.shift();
      n++;
    }
    if (n === 0) return; // a cancelled boot
    this.ready += n;
    this.tier.setServers(this.ready * this.concurrency);
    this.meter.set(now, this.spec, this.ready);
  }

  scaleTo(n: number, reason: string): void {
    const from = this.spec;
    const now = this.sim.now_ms;
    if (n > from) {
      for (let k = from; k < n; k++) {
        const t = now + this.boot_s * 1000;
        this.boots.push(t);
        this.sim.at(t, this.bootDone, 0);
      }
    } else if (n < from) {
      let extra = from - n;
      while (extra > 0 && this.boots.length > 0) (this.boots.pop(), extra--);
      if (extra > 0) {
        this.ready = Math.max(0, this.ready - extra);
        this.tier.setServers(this.ready * this.concurrency);
      }
    }
    this.meter.set(now, this.spec, this.ready);
    if (from !== this.spec && this.events.length < 20000) this.events.push({ t_s: now / 1000, component: this.component, from, to: this.spec, reason });
  }
}
