import { probit } from 'simple-statistics';

/**
 * Two-sided normal critical value for `tests` simultaneous checks at family-wise error `alpha`
 * (Bonferroni). With alpha = 1e-4 a single check uses |z| <= 3.89.
 */
export function zCritical(tests = 1, alpha = 1e-4): number {
  return probit(1 - alpha / (2 * tests));
}

/** Upper and lower chi-square quantiles by Wilson-Hilferty (accurate to ~1% for k >= 10). */
export function chiSquareBounds(k: number, alpha = 1e-4): [number, number] {
  const z = zCritical(1, alpha);
  const q = (zz: number) => k * (1 - 2 / (9 * k) + zz * Math.sqrt(2 / (9 * k))) ** 3;
  return [q(-z), q(z)];
}

/**
 * Asymptotic standard deviation (times sqrt(n)) of the sample squared coefficient of variation
 * of gamma(shape k) variables, by the delta method on the raw moments (m1, m2):
 * SCV = m2 / m1^2 - 1. The SCV does not depend on the scale, so scale 1 is used.
 */
export function gammaScvSdUnit(k: number): number {
  const m1 = k, m2 = k * (k + 1), m3 = m2 * (k + 2), m4 = m3 * (k + 3);
  const var1 = m2 - m1 * m1;
  const cov12 = m3 - m1 * m2;
  const var2 = m4 - m2 * m2;
  const d1 = (-2 * m2) / m1 ** 3;
  const d2 = 1 / m1 ** 2;
  return Math.sqrt(d1 * d1 * var1 + 2 * d1 * d2 * cov12 + d2 * d2 * var2);
}

export function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s / xs.length;
}

/** Sample squared coefficient of variation (unbiased variance / mean^2). */
export function scv(xs: ArrayLike<number>): number {
  const m = mean(xs);
  let ss = 0;
  for (let i = 0; i < xs.length; i++) ss += (xs[i] - m) ** 2;
  return ss / (xs.length - 1) / (m * m);
}

/** Lag-1 sample autocorrelation. */
export function lag1(xs: ArrayLike<number>): number {
  const m = mean(xs);
  let num = 0, den = 0;
  for (let i = 0; i < xs.length; i++) {
    const d = xs[i] - m;
    den += d * d;
    if (i > 0) num += d * (xs[i - 1] - m);
  }
  return num / den;
}
