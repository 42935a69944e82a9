import type { DistInput } from './distribution-schema.ts';
import { makeSampler } from './distributions.ts';

/**
 * The value a distribution is centred on, in its field's unit: the mean where the spec gives it,
 * else its scale (weibull, pareto), a uniform's or an empirical list's largest value. Schemas
 * compare it with a field's limit to refuse a spec whose ordinary draws exceed what the field can
 * hold (a session of 3e9 turns); single draws in the tail are clamped where they are used.
 */
export function typicalValue(d: DistInput): number {
  switch (d.dist) {
    case 'constant':
      return d.value;
    case 'uniform':
      return d.max;
    case 'empirical':
      return Math.max(...d.samples.slice(0, 100_000));
    case 'weibull':
    case 'pareto':
      return d.scale;
    case 'lognormal':
      return d.mean ?? Math.exp(d.mu! + (d.sigma! * d.sigma!) / 2);
    default:
      return d.mean;
  }
}

/**
 * A distribution's mean as its sampler computes it (closed form, or an empirical list's average
 * over every sample): Infinity for a pareto of shape 1 or less, a weibull's through its gamma
 * function. A session's think time was bounded by typicalValue, which reads a pareto's or
 * weibull's scale and an empirical list's first 100,000 samples, so a pareto of shape 1e-300
 * (an infinite mean) passed.
 */
export function analyticalMean(d: DistInput): number {
  return makeSampler(d, () => 0.5).mean;
}
