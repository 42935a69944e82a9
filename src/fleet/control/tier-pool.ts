import type { Simulator } from '../../engine/sim.ts';
import type { ServiceTier } from '../stations/tier.ts';
import { Meter, type ScalingEvent } from './record.ts';

/** Instances a scale-up started together: they finish booting at the same time. */
interface BootBatch {
  done_ms: number;
  count: number;
}

/**
 * The instances of one tier under an autoscaler: `ready` instances of `concurrency` servers each
 * (ServiceTier.setServers), plus instances booting. All boots take the same time, so they finish in
 * order; a scale-down cancels the newest boots first, then removes serving instances (their work
 * in service finishes; no new work starts beyond the new server count). Boots are kept as one
 * batch per decision, not one entry and event per instance: a max of 200,000 made a 300 s run
 * take a minute (each instance's event, and an array shifted once per instance).
 */
export class TierPool {
  ready: number;
  private readonly boots: BootBatch[] = [];
  private bootingCount = 0;
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
    return this.bootingCount;
  }
  get spec(): number {
    return this.ready + this.bootingCount;
  }

  private onBoot(): void {
    const now = this.sim.now_ms;
    let n = 0;
    while (this.boots.length > 0 && this.boots[0].done_ms <= now + 1e-9) n += this.boots.shift()!.count;
    if (n === 0) return; // a cancelled boot
    this.bootingCount -= n;
    this.ready += n;
    this.tier.setServers(this.ready * this.concurrency);
    this.meter.set(now, this.spec, this.ready);
  }

  scaleTo(n: number, reason: string): void {
    const from = this.spec;
    const now = this.sim.now_ms;
    if (n > from) {
      const done_ms = now + this.boot_s * 1000;
      this.boots.push({ done_ms, count: n - from });
      this.bootingCount += n - from;
      this.sim.at(done_ms, this.bootDone, 0);
    } else if (n < from) {
      let extra = from - n;
      while (extra > 0 && this.boots.length > 0) {
        const newest = this.boots[this.boots.length - 1];
        const cancelled = Math.min(extra, newest.count);
        newest.count -= cancelled;
        this.bootingCount -= cancelled;
        extra -= cancelled;
        if (newest.count === 0) this.boots.pop();
      }
      if (extra > 0) {
        this.ready = Math.max(0, this.ready - extra);
        this.tier.setServers(this.ready * this.concurrency);
      }
    }
    this.meter.set(now, this.spec, this.ready);
    if (from !== this.spec && this.events.length < 20000) this.events.push({ t_s: now / 1000, component: this.component, from, to: this.spec, reason });
  }
}
