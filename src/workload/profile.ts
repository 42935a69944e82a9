import type { ProfileSpec } from './profile-schema.ts';

/**
 * A piecewise-linear rate multiplier f(t) and the inverse of its integral, so that arrivals can
 * be generated in "operational time" (time-rescaling): a renewal process of unit rate in
 * Lambda(t) = integral of rate * f becomes a process with the time-varying rate in real time.
 * This is exact for Poisson and keeps gamma burstiness for renewal arrivals.
 */
export class RateProfile {
  private readonly t_ms: Float64Array; // knot times of one cycle, ending at the period (or last knot)
  private readonly f: Float64Array;
  private readonly cum: Float64Array; // integral of f (factor x ms) at each knot
  private readonly cycle_ms: number;
  private readonly cycleArea: number;
  readonly periodic: boolean;
  readonly maxFactor: number;
  // Cursor for monotone inversion.
  private seg = 0;
  private cycle = 0;

  constructor(spec: ProfileSpec) {
    const pts = spec.points.map(([t, f]) => [t * 1000, f] as const);
    this.periodic = spec.period_s !== undefined;
    if (this.periodic) {
      const period_ms = spec.period_s! * 1000;
      if (period_ms > pts[pts.length - 1][0]) pts.push([period_ms, pts[0][1]]);
      this.cycle_ms = period_ms;
    } else {
      this.cycle_ms = pts[pts.length - 1][0];
    }
    this.t_ms = Float64Array.from(pts.map((p) => p[0]));
    this.f = Float64Array.from(pts.map((p) => p[1]));
    this.cum = new Float64Array(pts.length);
    for (let i = 1; i < pts.length; i++) {
      this.cum[i] = this.cum[i - 1] + ((this.f[i - 1] + this.f[i]) / 2) * (this.t_ms[i] - this.t_ms[i - 1]);
    }
    this.cycleArea = this.cum[pts.length - 1];
    this.maxFactor = Math.max(...this.f);
  }

  /** f(t) */
  factorAt(t_ms: number): number {
    let t = t_ms;
    if (this.periodic) t = t_ms - Math.floor(t_ms / this.cycle_ms) * this.cycle_ms;
    const n = this.t_ms.length;
    if (t >= this.t_ms[n - 1]) return this.f[n - 1];
    let i = 0;
    while (this.t_ms[i + 1] <= t) i++;
    const x = (t - this.t_ms[i]) / (this.t_ms[i + 1] - this.t_ms[i]);
    return this.f[i] + x * (this.f[i + 1] - this.f[i]);
  }

  /** Mean factor over [0, t_ms] (for capacity checks). */
  meanFactor(t_ms: number): number {
    // Integrate by inverting is awkward; sample the integral at knots instead.
    let area = 0;
    const step = Math.max(1, t_ms / 10_000);
    for (let t = 0; t < t_ms; t += step) area += this.factorAt(t + step / 2) * Math.min(step, t_ms - t);
    return t_ms > 0 ? area / t_ms : this.factorAt(0);
  }

  /** The real time at which the integral of f reaches `area` (monotone calls only). Infinity if never. */
  invert(area: number): number {
    const n = this.t_ms.length;
    for (;;) {
      const base = this.cycle * this.cycleArea;
      const rel = area - base;
      // Past the last knot of a non-periodic profile the factor holds at f[n-1].
      if (!this.periodic && this.seg >= n - 1) {
        const fl = this.f[n - 1];
        return fl > 0 ? this.t_ms[n - 1] + (rel - this.cum[n - 1]) / fl : Infinity;
      }
      if (this.seg >= n - 1) {
        if (this.cycleArea <= 0) return Infinity;
        this.cycle++;
        this.seg = 0;
        continue;
      }
      const i = this.seg;
      if (rel > this.cum[i + 1]) {
        this.seg++;
        continue;
      }
      const L = this.t_ms[i + 1] - this.t_ms[i];
      const fa = this.f[i], fb = this.f[i + 1];
      const need = rel - this.cum[i];
      const slope = (fb - fa) / L;
      // Solve fa*x + slope*x^2/2 = need for the smallest x >= 0.
      let x: number;
      if (Math.abs(slope) < 1e-15) x = fa > 0 ? need / fa : 0;
      else x = (-fa + Math.sqrt(Math.max(0, fa * fa + 2 * slope * need))) / slope;
      return this.cycle * this.cycle_ms + this.t_ms[i] + Math.min(Math.max(x, 0), L);
    }
  }
}
