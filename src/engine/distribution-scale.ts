import type { DistInput } from './distribution-schema.ts';

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
