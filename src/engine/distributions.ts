import { errorFunction } from 'simple-statistics';
import type { Rng } from './random.ts';

/** A sampler bound to one random stream; created once per component, never per event. */
export interface Sampler {
  sample(): number;
  /** Analytical mean (used by capacity checks). */
  readonly mean: number;
  /** Analytical squared coefficient of variation (Var / mean^2), NaN where not closed-form. */
  readonly scv: number;
}

export type DistSpec =
  | { dist: 'constant'; value: number }
  | { dist: 'uniform'; min: number; max: number }
  | { dist: 'exponential'; mean: number }
  | { dist: 'normal'; mean: number; sd: number }
  | { dist: 'lognormal'; mean?: number; p99?: number; mu?: number; sigma?: number }
  | { dist: 'gamma'; mean: number; cv: number }
  | { dist: 'weibull'; shape: number; scale: number }
  | { dist: 'pareto'; shape: number; scale: number }
  | { dist: 'empirical'; samples: number[] };

const Z99 = 2.3263478740408408; // standard normal 0.99 quantile

class Constant implements Sampler {
  readonly scv = 0;
  constructor(readonly mean: number) {}
  sample(): number {
    return this.mean;
  }
}

class Uniform implements Sampler {
  readonly mean: number;
  readonly scv: number;
  constructor(private rng: Rng, private min: number, private max: number) {
    this.mean = (min + max) / 2;
    this.scv = this.mean === 0 ? 0 : (max - min) ** 2 / 12 / this.mean ** 2;
  }
  sample(): number {
    return this.min + (this.max - this.min) * this.rng();
  }
}

class Exponential implements Sampler {
  readonly scv = 1;
  constructor(private rng: Rng, readonly mean: number) {}
  sample(): number {
    // 1 - u is in (0, 1], so the log is finite.
    return -this.mean * Math.log(1 - this.rng());
  }
}

/** Standard normal by the polar method; keeps the spare variate. */
class StdNormal {
  private spare = 0;
  private hasSpare = false;
  constructor(private rng: Rng) {}
  next(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    let u: number, v: number, s: number;
    do {
      u = 2 * this.rng() - 1;
      v = 2 * this.rng() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * f;
    this.hasSpare = true;
    return u * f;
  }
}

/** Normal truncated at 0 by rejection; its mean is of what is drawn (the truncated law), its scv of the untruncated law. */
class TruncNormal implements Sampler {
  readonly scv: number;
  readonly mean: number;
  private z: StdNormal;
  constructor(rng: Rng, private location: number, private sd: number) {
    this.z = new StdNormal(rng);
    this.scv = location === 0 ? NaN : (sd * sd) / (location * location);
    // draws below 0 are drawn again: the capacity check reads the mean of what is drawn, which for
    // an sd near or above the mean exceeds it (1.29 x at an sd equal to it, 80 x at 100 times it)
    const a = location / sd;
    this.mean = location > 0 && sd > 0 ? location + (sd * Math.exp((-a * a) / 2)) / Math.sqrt(2 * Math.PI) / (0.5 * (1 + errorFunction(a / Math.SQRT2))) : location;
  }
  sample(): number {
    for (let i = 0; i < 64; i++) {
      const x = this.location + this.sd * this.z.next();
      if (x >= 0) return x;
    }
    return 0; // a bound on rejection: only reached when nearly all mass is below 0
  }
}

class LogNormal implements Sampler {
  readonly mean: number;
  readonly scv: number;
  private z: StdNormal;
  constructor(rng: Rng, private mu: number, private sigma: number) {
    this.z = new StdNormal(rng);
    this.mean = Math.exp(mu + (sigma * sigma) / 2);
    this.scv = Math.exp(sigma * sigma) - 1;
  }
  sample(): number {
    return Math.exp(this.mu + this.sigma * this.z.next());
  }
}

/** Gamma by Marsaglia and Tsang (2000), with the u^(1/k) boost for shape < 1. */
class Gamma implements Sampler {
  readonly scv: number;
  private k: number;
  private theta: number;
  private d: number;
  private c: number;
  private z: StdNormal;
  constructor(private rng: Rng, readonly mean: number, cv: number) {
    this.k = 1 / (cv * cv);
    this.theta = mean / this.k;
    this.scv = cv * cv;
    const k = this.k < 1 ? this.k + 1 : this.k;
    this.d = k - 1 / 3;
    this.c = 1 / Math.sqrt(9 * this.d);
    this.z = new StdNormal(rng);
  }
  sample(): number {
    let x: number, v: number, u: number;
    for (;;) {
      do {
        x = this.z.next();
        v = 1 + this.c * x;
      } while (v <= 0);
      v = v * v * v;
      u = this.rng();
      if (u < 1 - 0.0331 * x * x * x * x) break;
      if (Math.log(u) < 0.5 * x * x + this.d * (1 - v + Math.log(v))) break;
    }
    let g = this.d * v;
    if (this.k < 1) g *= Math.pow(1 - this.rng(), 1 / this.k);
    return g * this.theta;
  }
}

class Weibull implements Sampler {
  readonly mean: number;
  readonly scv: number;
  constructor(private rng: Rng, private shape: number, private scale: number) {
    const g1 = gammaFn(1 + 1 / shape);
    const g2 = gammaFn(1 + 2 / shape);
    this.mean = scale * g1;
    this.scv = g2 / (g1 * g1) - 1;
  }
  sample(): number {
    return this.scale * Math.pow(-Math.log(1 - this.rng()), 1 / this.shape);
  }
}

class Pareto implements Sampler {
  readonly mean: number;
  readonly scv: number;
  constructor(private rng: Rng, private shape: number, private scale: number) {
    this.mean = shape > 1 ? (shape * scale) / (shape - 1) : Infinity;
    this.scv = shape > 2 ? 1 / (shape * (shape - 2)) : Infinity;
  }
  sample(): number {
    return this.scale / Math.pow(1 - this.rng(), 1 / this.shape);
  }
}

class Empirical implements Sampler {
  readonly mean: number;
  readonly scv: number;
  private xs: Float64Array;
  constructor(private rng: Rng, samples: number[]) {
    this.xs = Float64Array.from(samples);
    let s = 0, s2 = 0;
    for (const x of samples) {
      s += x;
      s2 += x * x;
    }
    this.mean = s / samples.length;
    const variance = s2 / samples.length - this.mean * this.mean;
    this.scv = this.mean === 0 ? 0 : Math.max(0, variance) / (this.mean * this.mean);
  }
  sample(): number {
    return this.xs[Math.floor(this.rng() * this.xs.length)];
  }
}

/** Lanczos approximation of the gamma function (for Weibull moments only). */
function gammaFn(x: number): number {
  const g = 7;
  const p = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.PI / (Math.sin(Math.PI * x) * gammaFn(1 - x));
  x -= 1;
  let a = p[0];
  const t = x + g + 0.5;
  for (let i = 1; i < g + 2; i++) a += p[i] / (x + i);
  return Math.sqrt(2 * Math.PI) * Math.pow(t, x + 0.5) * Math.exp(-t) * a;
}

/** mu and sigma of the lognormal whose mean and 99th percentile are given (smaller root). */
export function lognormalFromMeanP99(mean: number, p99: number): { mu: number; sigma: number } {
  const r = Math.log(p99 / mean);
  const disc = Z99 * Z99 - 2 * r;
  if (!(p99 > mean) || disc < 0) {
    throw new RangeError(`lognormal needs mean < p99 <= ${(Math.exp((Z99 * Z99) / 2)).toFixed(2)} x mean`);
  }
  const sigma = Z99 - Math.sqrt(disc);
  return { mu: Math.log(mean) - (sigma * sigma) / 2, sigma };
}

/** Builds a sampler for a validated spec, bound to rng. */
export function makeSampler(spec: DistSpec, rng: Rng): Sampler {
  switch (spec.dist) {
    case 'constant':
      return new Constant(spec.value);
    case 'uniform':
      return new Uniform(rng, spec.min, spec.max);
    case 'exponential':
      return new Exponential(rng, spec.mean);
    case 'normal':
      return new TruncNormal(rng, spec.mean, spec.sd);
    case 'lognormal': {
      // The schema guarantees exactly one of the pairs {mean, p99} and {mu, sigma}.
      const p = spec.p99 !== undefined ? lognormalFromMeanP99(spec.mean!, spec.p99) : { mu: spec.mu!, sigma: spec.sigma! };
      return new LogNormal(rng, p.mu, p.sigma);
    }
    case 'gamma':
      return new Gamma(rng, spec.mean, spec.cv);
    case 'weibull':
      return new Weibull(rng, spec.shape, spec.scale);
    case 'pareto':
      return new Pareto(rng, spec.shape, spec.scale);
    case 'empirical':
      return new Empirical(rng, spec.samples);
  }
}
