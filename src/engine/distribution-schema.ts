import { z } from 'zod';
import { nonNegNum, num, posNum, strict } from '../util/zod-helpers.ts';
import { analyticalMean } from './distribution-scale.ts';

/** Distribution specs; values are in the unit of the field that holds them (service_ms -> ms). */
const lognormal = strict({
  dist: z.literal('lognormal'),
  mean: posNum().optional(),
  p99: posNum().optional(),
  mu: num().optional(),
  sigma: posNum().optional(),
}).superRefine((d, ctx) => {
  const meanP99 = d.mean !== undefined && d.p99 !== undefined;
  const muSigma = d.mu !== undefined && d.sigma !== undefined;
  if (meanP99 === muSigma || (meanP99 ? d.mu !== undefined || d.sigma !== undefined : d.mean !== undefined || d.p99 !== undefined)) {
    ctx.addIssue({ code: 'custom', message: 'expected either {mean, p99} or {mu, sigma}', input: d });
  } else if (meanP99 && !(d.p99! > d.mean! && Math.log(d.p99! / d.mean!) <= 2.7059)) {
    ctx.addIssue({ code: 'custom', path: ['p99'], message: 'expected mean < p99 <= 14.9 x mean (a lognormal cannot be more skewed)', input: d.p99 });
  }
});

/**
 * A gamma's coefficient of variation: its shape is 1 / cv^2, so a cv of 1e300 gave a shape of 0
 * and every draw NaN ("cannot schedule at NaN ms", exit 70), and 1e-300 an infinite shape. From
 * 0.001 (all but constant) to 100 (a shape of 1e-4: nearly every draw 0, a rare one huge).
 */
export const GAMMA_CV_MIN = 0.001;
export const GAMMA_CV_MAX = 100;
export const gammaCv = () =>
  posNum()
    .min(GAMMA_CV_MIN, { error: `expected a cv from ${GAMMA_CV_MIN} to ${GAMMA_CV_MAX} (a gamma's shape is 1 / cv^2)` })
    .max(GAMMA_CV_MAX, { error: `expected a cv from ${GAMMA_CV_MIN} to ${GAMMA_CV_MAX} (a gamma's shape is 1 / cv^2)` });

/**
 * Largest sd of a normal, as a multiple of its mean (a cv of 100, as a gamma's). Draws below 0 are
 * drawn again, so the normal the sampler gives has a larger mean than `mean` (the figure the
 * capacity check reads); with an sd of 1e308 and a mean of 25 ms the check said 20% load while
 * every draw was astronomically long. A mean of 0 takes only an sd of 0.
 */
export const NORMAL_CV_MAX = 100;

/**
 * A normal's mean: every field holding a distribution is a time or a count, and a service time of
 * mean -1 ms read as a capacity of -4,000/s. Refused alone (abort): the checks of the sd and of
 * the field (a session's think time) would only repeat it.
 */
const normalMean = () =>
  z.number({ error: 'expected a finite number >= 0' }).nonnegative({ error: 'expected a mean >= 0 (a time or a count)', abort: true });

export const DistSchema = z.discriminatedUnion('dist', [
  strict({ dist: z.literal('constant'), value: nonNegNum() }),
  strict({ dist: z.literal('uniform'), min: nonNegNum(), max: nonNegNum() }).refine((d) => d.max >= d.min, {
    message: 'expected max >= min',
    path: ['max'],
  }),
  strict({ dist: z.literal('exponential'), mean: posNum() }),
  strict({ dist: z.literal('normal'), mean: normalMean(), sd: nonNegNum() }).superRefine((d, ctx) => {
    // relative tolerance: 100 x 0.29 is 28.999999999999996, so an sd of 29 was refused at the bound
    if (d.sd > NORMAL_CV_MAX * d.mean * (1 + 1e-12)) {
      ctx.addIssue({ code: 'custom', path: ['sd'], message: `expected at most ${NORMAL_CV_MAX} x mean (${d.mean}): draws below 0 are drawn again, so a wider normal's mean is not its own`, input: d.sd });
    }
  }),
  lognormal,
  strict({ dist: z.literal('gamma'), mean: posNum(), cv: gammaCv() }),
  strict({ dist: z.literal('weibull'), shape: posNum(), scale: posNum() }),
  strict({ dist: z.literal('pareto'), shape: posNum(), scale: posNum() }),
  strict({ dist: z.literal('empirical'), samples: z.array(nonNegNum()).min(1, { error: 'expected at least one sample' }) }),
]);

export type DistInput = z.infer<typeof DistSchema>;

/** Shortest mean service time, in ms: 1 ns. */
export const MIN_SERVICE_MS = 1e-6;

/**
 * A service time: a distribution whose mean is 0 (a pass-through) or at least MIN_SERVICE_MS. A mean
 * of 5e-324 ms gave a capacity of Infinity requests/s, and 1e-300 one of 1e304: no server is that
 * fast, and the figures built on it are not numbers a reader can use.
 */
export const serviceTimeMs = () =>
  DistSchema.superRefine((d, ctx) => {
    const mean_ms = analyticalMean(d);
    if (mean_ms > 0 && mean_ms < MIN_SERVICE_MS) {
      ctx.addIssue({ code: 'custom', message: `expected a mean of 0 or at least ${MIN_SERVICE_MS} ms (1 ns)`, input: mean_ms });
    }
    // a spec refused above (a lognormal's p99 below its mean) has no sampler to read a mean from
  }, { when: (payload) => payload.issues.length === 0 });
