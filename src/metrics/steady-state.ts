/**
 * Is a count (requests in flight, requests queued) growing over a stretch of the run, or only
 * fluctuating? A least-squares line through the samples gives the rise over the stretch; the
 * samples' scatter around that line is their noise. The count is growing when the rise exceeds
 * GROWTH_NOISE_RATIO times the scatter and GROWTH_MATERIAL_SHARE of the arrivals in the stretch.
 *
 * Why these two: for a stationary count whose samples behave like m_eff independent ones, the
 * fitted rise divided by the scatter has a standard deviation of sqrt(12 / m_eff); a ratio of 3
 * is a one-sided test at about 2.5% with only 5 effective samples (a count whose correlation time
 * is a tenth of the stretch) and far below 1% with more. A queue fed faster than it is served rises
 * linearly, with a scatter that is a small fraction of the rise (the test's power). The share of
 * arrivals keeps a rise that is real but immaterial (a few requests over a long stretch) from
 * being called a backlog: in a stretch where completions, failures and rejections fall 1% short of
 * arrivals, the count rises by 1% of them.
 */
export const GROWTH_NOISE_RATIO = 3;
export const GROWTH_MATERIAL_SHARE = 0.01;
/** Fewer samples than this cannot tell a trend from noise: the test says nothing. */
export const GROWTH_MIN_SAMPLES = 8;

export interface GrowthTest {
  /** The fitted line's value at the first and the last sample. */
  fitted_from: number;
  fitted_to: number;
  /** fitted_to - fitted_from. */
  rise: number;
  /** Standard deviation of the samples around the line (n - 2 degrees of freedom). */
  scatter: number;
  /** rise / scatter (Infinity for a noiseless rise). */
  noise_ratio: number;
  /** rise / arrivals in the stretch. */
  arrival_share: number;
  growing: boolean;
}

/**
 * The growth test on samples y[i] taken at t_s[i], with `arrivals` requests arriving over the
 * stretch; null when there are fewer than GROWTH_MIN_SAMPLES samples.
 */
export function growthTest(t_s: readonly number[], y: readonly number[], arrivals: number): GrowthTest | null {
  const n = Math.min(t_s.length, y.length);
  if (n < GROWTH_MIN_SAMPLES) return null;
  let tMean = 0, yMean = 0;
  for (let i = 0; i < n; i++) {
    tMean += t_s[i] / n;
    yMean += y[i] / n;
  }
  let stt = 0, sty = 0;
  for (let i = 0; i < n; i++) {
    stt += (t_s[i] - tMean) ** 2;
    sty += (t_s[i] - tMean) * (y[i] - yMean);
  }
  const slope = stt > 0 ? sty / stt : 0;
  const fit = (t: number) => yMean + slope * (t - tMean);
  let sse = 0;
  for (let i = 0; i < n; i++) sse += (y[i] - fit(t_s[i])) ** 2;
  const scatter = Math.sqrt(sse / (n - 2));
  const fitted_from = fit(t_s[0]);
  const fitted_to = fit(t_s[n - 1]);
  const rise = fitted_to - fitted_from;
  const noise_ratio = scatter > 0 ? rise / scatter : rise > 0 ? Infinity : 0;
  const arrival_share = arrivals > 0 ? rise / arrivals : rise > 0 ? Infinity : 0;
  const growing = rise > 0 && noise_ratio > GROWTH_NOISE_RATIO && arrival_share > GROWTH_MATERIAL_SHARE;
  return { fitted_from, fitted_to, rise, scatter, noise_ratio, arrival_share, growing };
}
