import type { AutoscalerSpec } from './schema.ts';

/**
 * The decision rule of Kubernetes' Horizontal Pod Autoscaler, on a delayed, averaged metric:
 * desired = ceil(ready x metric / target) outside the tolerance band, bounded by min (or the
 * schedule's floor), max and the largest step up; then stabilised: scale up to the lowest
 * recommendation of the scale-up window, down to the highest of the scale-down window.
 */
export class Hpa {
  private readonly sT: number[] = [];
  private readonly sV: number[] = [];
  private readonly rT: number[] = [];
  private readonly rN: number[] = [];

  constructor(
    readonly spec: AutoscalerSpec,
    private readonly delay_ms: number,
    private readonly avg_ms: number,
    private readonly upWindow_ms: number,
    private readonly downWindow_ms: number,
  ) {}

  /** A metric sample at t_ms. */
  sample(t_ms: number, v: number): void {
    this.sT.push(t_ms);
    this.sV.push(v);
  }

  /** The metric as the autoscaler sees it at now: the mean over (now - delay - avg, now - delay]. NaN if none. */
  observed(now_ms: number): number {
    const hi = now_ms - this.delay_ms;
    const lo = hi - this.avg_ms;
    // Drop samples no decision will look at again.
    let drop = 0;
    while (drop < this.sT.length && this.sT[drop] <= lo) drop++;
    if (drop > 0) {
      this.sT.splice(0, drop);
      this.sV.splice(0, drop);
    }
    let sum = 0;
    let n = 0;
    for (let i = 0; i < this.sT.length && this.sT[i] <= hi; i++) {
      sum += this.sV[i];
      n++;
    }
    return n > 0 ? sum / n : NaN;
  }

  /**
   * The new spec count, given the instances ready (serving) and the current spec (ready + booting).
   * Returns the count, the raw recommendation's reason, and whether that recommendation was above `hi`.
   */
  decide(now_ms: number, ready: number, spec: number, lo: number, hi: number): { n: number; metric: number; reason: string; capped: boolean } {
    const m = this.observed(now_ms);
    let rec = spec;
    let reason = '';
    if (!Number.isNaN(m)) {
      const ratio = m / this.spec.target_value;
      const base = Math.max(1, ready);
      if (Math.abs(ratio - 1) > this.spec.tolerance) rec = Math.ceil(base * ratio - 1e-9);
      else rec = spec;
      rec = Math.min(rec, Math.ceil(Math.max(spec, 1) * this.spec.max_step_up));
      reason = `${this.spec.metric} ${round3(m)} vs target ${this.spec.target_value}`;
    }
    const capped = rec > hi;
    rec = Math.max(lo, Math.min(hi, rec));
    if (rec === lo && lo > spec) reason = reason ? `${reason}; floor ${lo}` : `floor ${lo}`;
    this.rT.push(now_ms);
    this.rN.push(rec);
    const keep = Math.max(this.upWindow_ms, this.downWindow_ms);
    let drop = 0;
    while (drop < this.rT.length - 1 && this.rT[drop] < now_ms - keep) drop++;
    if (drop > 0) {
      this.rT.splice(0, drop);
      this.rN.splice(0, drop);
    }
    let up = Infinity;
    let down = -Infinity;
    for (let i = 0; i < this.rT.length; i++) {
      if (this.rT[i] >= now_ms - this.upWindow_ms) up = Math.min(up, this.rN[i]);
      if (this.rT[i] >= now_ms - this.downWindow_ms) down = Math.max(down, this.rN[i]);
    }
    let n = spec;
    if (spec < up) n = up;
    else if (spec > down) n = down;
    n = Math.max(lo, Math.min(hi, n));
    return { n, metric: m, reason, capped };
  }
}

export const round3 = (x: number) => Math.round(x * 1000) / 1000;
