import { createRequire } from 'node:module';

/*
 * Student's t distribution, from @stdlib, loaded on first use.
 *
 * The two @stdlib packages pull in about 220 small CommonJS modules, loaded by every command that
 * reaches the results or the report (measured 2026-12-07, the least CPU time of six runs: a refused
 * `plan` 0.80 s with them imported, 0.64 s without; `validate` 1.60 s and 1.42 s), where only
 * confidence intervals over replications and `compare`'s tests ever ask for a t value. So they are
 * required when first asked for, not imported.
 */

type Quantile = (probability: number, degrees_of_freedom: number) => number;
type Cdf = (x: number, degrees_of_freedom: number) => number;

const require = createRequire(import.meta.url);
let quantile: Quantile | undefined;
let cdf: Cdf | undefined;

/** The t distribution's quantile at `probability` with `degrees_of_freedom`. */
export function tQuantile(probability: number, degrees_of_freedom: number): number {
  quantile ??= require('@stdlib/stats-base-dists-t-quantile') as Quantile;
  return quantile(probability, degrees_of_freedom);
}

/** The t distribution's cumulative probability at `x` with `degrees_of_freedom`. */
export function tCdf(x: number, degrees_of_freedom: number): number {
  cdf ??= require('@stdlib/stats-base-dists-t-cdf') as Cdf;
  return cdf(x, degrees_of_freedom);
}
