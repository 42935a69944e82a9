import { makeSampler, type Sampler } from '../engine/distributions.ts';
import type { Rng } from '../engine/random.ts';
import type { ArrivalsSpec } from './schema.ts';
import { RateProfile } from './profile.ts';
import type { Trace } from './trace.ts';

/** Produces arrival times in increasing order; a trace also gives each request's token counts. */
export interface ArrivalSource {
  /** Absolute time (ms) of the next arrival, or Infinity when there are no more. */
  next(): number;
  /** Tokens of the arrival just returned (traces only; -1 otherwise). */
  promptTokens: number;
  outputTokens: number;
  /** Long-run mean arrival rate over [0, horizon_ms], for capacity checks. */
  meanRatePerS(horizon_ms: number): number;
  /** Highest instantaneous rate the source is configured for (the mean for traces). */
  peakRatePerS(horizon_ms: number): number;
}

/** Renewal arrivals (Poisson or gamma gaps), optionally rate-modulated by a profile. */
class RenewalSource implements ArrivalSource {
  promptTokens = -1;
  outputTokens = -1;
  private opTime = 0; // operational time, in units of "expected arrivals"
  private t_ms = 0;
  private readonly gap: Sampler; // mean 1 in operational time
  private readonly perMs: number;

  constructor(rng: Rng, private readonly rate_per_s: number, cv: number, private readonly profile?: RateProfile) {
    this.gap = makeSampler(cv === 1 ? { dist: 'exponential', mean: 1 } : { dist: 'gamma', mean: 1, cv }, rng);
    this.perMs = rate_per_s / 1000;
  }

  next(): number {
    const g = this.gap.sample();
    if (!this.profile) {
      this.t_ms += g / this.perMs;
      return this.t_ms;
    }
    this.opTime += g;
    return this.profile.invert(this.opTime / this.perMs);
  }

  meanRatePerS(horizon_ms: number): number {
    return this.rate_per_s * (this.profile ? this.profile.meanFactor(horizon_ms) : 1);
  }

  peakRatePerS(): number {
    return this.rate_per_s * (this.profile ? this.profile.maxFactor : 1);
  }
}

/** Replays a trace's arrival times, scaled, looping if asked. */
class TraceSource implements ArrivalSource {
  promptTokens = -1;
  outputTokens = -1;
  private i = 0;
  private offset_ms = 0;
  constructor(private readonly trace: Trace, private readonly time_scale: number, private readonly loop: boolean) {}

  next(): number {
    const tr = this.trace;
    if (this.i >= tr.length) {
      if (!this.loop) return Infinity;
      this.i = 0;
      this.offset_ms += tr.cycle_ms * this.time_scale;
    }
    const k = this.i++;
    this.promptTokens = tr.promptTokens[k];
    this.outputTokens = tr.outputTokens[k];
    return this.offset_ms + tr.t_ms[k] * this.time_scale;
  }

  meanRatePerS(horizon_ms: number): number {
    const tr = this.trace;
    const cycle_ms = tr.cycle_ms * this.time_scale;
    if (this.loop || horizon_ms <= cycle_ms) return (tr.length / cycle_ms) * 1000;
    return (tr.length / horizon_ms) * 1000;
  }

  peakRatePerS(horizon_ms: number): number {
    return this.meanRatePerS(horizon_ms);
  }
}

/** Fleet sampling: a fleet simulated at scale k receives k times the traffic (a trace replayed k times faster). */
export function scaledArrivals(a: ArrivalsSpec, scale: number): ArrivalsSpec {
  if (scale === 1) return a;
  if (a.kind === 'trace') return { ...a, time_scale: a.time_scale / scale };
  return { ...a, rate_per_s: a.rate_per_s * scale };
}

/** Builds the arrival source; a trace must already be loaded (see loadTrace). */
export function makeArrivals(spec: ArrivalsSpec, rng: Rng, trace?: Trace): ArrivalSource {
  switch (spec.kind) {
    case 'poisson':
      return new RenewalSource(rng, spec.rate_per_s, 1, spec.profile && new RateProfile(spec.profile));
    case 'gamma':
      return new RenewalSource(rng, spec.rate_per_s, spec.cv, spec.profile && new RateProfile(spec.profile));
    case 'trace':
      if (!trace) throw new Error('trace arrivals need a loaded trace');
      return new TraceSource(trace, spec.time_scale, spec.loop);
  }
}
