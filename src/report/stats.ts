import { tCdf, tQuantile } from '../util/student-t.ts';

/** Mean, sample standard deviation and count of replication values. */
export interface Sample {
  mean: number;
  /** Sample standard deviation (n - 1); null when it is unknown (one replication). */
  sd: number | null;
  n: number;
}

export function sampleOf(xs: readonly number[]): Sample {
  const n = xs.length;
  // Summed and squared on the scale of the largest value: latencies of 1e300 ms overflowed the
  // squares to Infinity, the t statistic became NaN, and a regression read as none (2026-12-07).
  const scale = xs.reduce((m, x) => Math.max(m, Math.abs(x)), 0) || 1;
  const mean = (xs.reduce((a, x) => a + x / scale, 0) / n) * scale;
  if (n < 2) return { mean, sd: null, n };
  const ss = xs.reduce((a, x) => a + ((x - mean) / scale) ** 2, 0);
  return { mean, sd: Math.sqrt(ss / (n - 1)) * scale, n };
}

/**
 * A sample rebuilt from a mean and its two-sided 95% confidence interval over n replications
 * (what summary.json keeps; metrics/ci.ts): half-width t(0.975, n-1) * sd / sqrt(n), on the log
 * scale (times the mean) when the interval is positive, as meanCi95 makes it for a quantity that
 * was never negative.
 */
export function sampleFromCi(mean: number, ci: readonly [number, number] | undefined, n: number): Sample {
  if (!ci || n < 2) return { mean, sd: null, n };
  const half = ci[0] > 0 ? (mean * Math.log(ci[1] / ci[0])) / 2 : (ci[1] - ci[0]) / 2;
  return { mean, sd: (half * Math.sqrt(n)) / tQuantile(0.975, n - 1), n };
}

/**
 * Welch's unequal-variances t-test of a difference in means, two-sided. Returns the p-value, or
 * null when either side has no variance estimate. Two exact (zero-variance) samples give p = 1
 * when equal and 0 when not (a deterministic figure, such as a cost, that changed).
 */
export function welch(a: Sample, b: Sample): { t: number; df: number; p: number } | null {
  if (a.sd === null || b.sd === null || a.n < 2 || b.n < 2) return null;
  if (![a.mean, b.mean, a.sd, b.sd].every(Number.isFinite)) return null;
  // on the scale of the largest figure, so the variances cannot overflow (t is scale-free)
  const scale = Math.max(Math.abs(a.mean), Math.abs(b.mean), a.sd, b.sd) || 1;
  const va = (a.sd / scale) ** 2 / a.n;
  const vb = (b.sd / scale) ** 2 / b.n;
  const se2 = va + vb;
  const diff = b.mean / scale - a.mean / scale;
  if (se2 === 0) return { t: diff === 0 ? 0 : Math.sign(diff) * Infinity, df: a.n + b.n - 2, p: diff === 0 ? 1 : 0 };
  const t = diff / Math.sqrt(se2);
  const df = (se2 * se2) / ((va * va) / (a.n - 1) + (vb * vb) / (b.n - 1));
  const p = 2 * (1 - tCdf(Math.abs(t), df));
  return { t, df, p: Math.min(1, Math.max(0, p)) };
}

/**
 * Paired t-test, two-sided, on replications run on common random numbers (pair i: the same
 * seed on both sides): the differences are independent across pairs, and much less noisy than
 * either side. Zero-variance differences give p = 0 (a consistent change) or 1 (no change).
 */
export function pairedT(a: readonly number[], b: readonly number[]): { t: number; df: number; p: number } | null {
  const n = Math.min(a.length, b.length);
  if (n < 2 || a.length !== b.length) return null;
  const d = sampleOf(a.map((x, i) => b[i] - x));
  const df = n - 1;
  if (!Number.isFinite(d.mean) || (d.sd !== null && !Number.isFinite(d.sd))) return null;
  if (d.sd === 0 || d.sd === null) return { t: d.mean === 0 ? 0 : Math.sign(d.mean) * Infinity, df, p: d.mean === 0 ? 1 : 0 };
  const t = d.mean / (d.sd / Math.sqrt(n));
  const p = 2 * (1 - tCdf(Math.abs(t), df));
  return { t, df, p: Math.min(1, Math.max(0, p)) };
}

/**
 * Holm-Bonferroni: which of the hypotheses (p-values) are rejected at family-wise error rate
 * `alpha`. Valid under any dependence between the tests (our metrics are strongly correlated).
 * null p-values are not tested (false).
 */
/**
 * Holm-adjusted p-values (null stays null): the k-th smallest of m becomes the running maximum of
 * min(1, (m - j) p_(j)) over j <= k (0-based), so an adjusted p <= alpha is exactly a rejection by holm().
 */
export function holmAdjusted(ps: readonly (number | null)[]): (number | null)[] {
  const idx = ps.map((p, i) => ({ p, i })).filter((x): x is { p: number; i: number } => x.p !== null);
  idx.sort((x, y) => x.p - y.p);
  const out: (number | null)[] = ps.map(() => null);
  let running = 0;
  idx.forEach(({ p, i }, k) => {
    running = Math.max(running, Math.min(1, (idx.length - k) * p));
    out[i] = running;
  });
  return out;
}

export function holm(ps: readonly (number | null)[], alpha: number): boolean[] {
  const idx = ps.map((p, i) => ({ p, i })).filter((x): x is { p: number; i: number } => x.p !== null);
  idx.sort((x, y) => x.p - y.p);
  const out = ps.map(() => false);
  const m = idx.length;
  for (let k = 0; k < m; k++) {
    if (idx[k].p <= alpha / (m - k)) out[idx[k].i] = true;
    else break;
  }
  return out;
}
