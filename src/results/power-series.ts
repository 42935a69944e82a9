import type { BuiltFleet, ServedModel } from '../fleet/llm/build.ts';
import type { ReplicaStats } from '../fleet/gpu/stats.ts';
import { energyPools, modelPowerPerGpu, type BusyWork } from './energy-summary.ts';

/** Full-fleet GPU draw per window of the time series: `t_s` is each window's end. */
export interface PowerWindows {
  t_s: number[];
  gpu_power_w: number[];
}

/**
 * GPU power over time: at every window's end, each model's busy time, FLOPs and bytes since the
 * last sample (sums over its replicas, read without changing them) turned into a mean draw per
 * GPU by the power model, times the model's full-fleet GPUs. A disaggregated model counts as its
 * two pools, each with its own GPU's power model and GPU count, as the energy summary counts them
 * (its own served model has no replicas: sampled alone it read idle in every window). One pass
 * over the replicas per window. The warm-up's statistics reset calls `beforeReset` so no window loses its first part.
 */
export class PowerSampler {
  readonly windows: PowerWindows = { t_s: [], gpu_power_w: [] };
  private readonly previous: BusyWork[];
  /** What draws power: every served model, a disaggregated one as its prefill and decode pools. */
  private readonly pools: ServedModel[];
  private last_ms = 0;

  constructor(private readonly fleet: BuiltFleet) {
    this.pools = fleet.served.flatMap((s) => energyPools(fleet, s));
    this.previous = this.pools.map(() => zeroWork());
  }

  /** Adds the window ending at t_ms. */
  sample(t_ms: number): void {
    const elapsed_ms = t_ms - this.last_ms;
    let gpu_w = 0;
    this.pools.forEach((s, m) => {
      const { work, replicas } = this.current(s);
      const delta = subtract(work, this.previous[m]);
      this.previous[m] = work;
      gpu_w += modelPowerPerGpu(s.power, delta, elapsed_ms * replicas).mean_w * s.spec.gpus;
    });
    this.last_ms = t_ms;
    this.windows.t_s.push(t_ms / 1000);
    this.windows.gpu_power_w.push(gpu_w);
  }

  /** The replicas' counters are about to be zeroed: what was done since the last sample is kept as a negative baseline. */
  beforeReset(): void {
    this.pools.forEach((s, m) => (this.previous[m] = subtract(zeroWork(), subtract(this.current(s).work, this.previous[m]))));
  }

  private current(s: ServedModel): { work: BusyWork; replicas: number } {
    const work = zeroWork();
    let replicas = 0;
    for (const c of this.fleet.gpuClusters) {
      if (c.served !== s) continue;
      for (const r of c.replicas) add(work, r.stats());
      replicas += c.replicas.length;
    }
    return { work, replicas };
  }
}

const zeroWork = (): BusyWork => ({ busy_ms: 0, prefill_busy_ms: 0, flops: 0, prefill_flops: 0, bytes: 0, prefill_bytes: 0 });

function add(to: BusyWork, s: ReplicaStats): void {
  to.busy_ms += s.busy_ms;
  to.prefill_busy_ms += s.prefill_busy_ms;
  to.flops += s.flops;
  to.prefill_flops += s.prefill_flops;
  to.bytes += s.bytes;
  to.prefill_bytes += s.prefill_bytes;
}

function subtract(a: BusyWork, b: BusyWork): BusyWork {
  return {
    busy_ms: a.busy_ms - b.busy_ms, prefill_busy_ms: a.prefill_busy_ms - b.prefill_busy_ms,
    flops: a.flops - b.flops, prefill_flops: a.prefill_flops - b.prefill_flops,
    bytes: a.bytes - b.bytes, prefill_bytes: a.prefill_bytes - b.prefill_bytes,
  };
}
