import { UserError } from '../errors.ts';
import { predictBatch, type BatchWorkload } from './batch-kinds.ts';
import {
  CalibrationProfileSchema, FACTOR_NAMES, FRACTION_FACTORS, parseCalibration, schedulerForGpu, schedulerOf, type CalibrationProfile, type FactorName,
} from './calibration.ts';
import type { GpuSpec } from './hardware.ts';
import { minimize } from './nelder-mead.ts';
import { stepModelFrom, stepTimeFrom, type StepGeometry } from './step.ts';

/**
 * Fit an engine profile's factors to measurements of batch-level kinds (prefill, decode, latency,
 * throughput: the closed forms of batch-kinds.ts). The step model is not linear in its factors, so
 * the fit minimises, with a Nelder-Mead simplex, the mean squared log ratio of predicted to
 * measured (relative errors: short and long times count alike, over and under alike), plus a
 * small pull of every factor toward the base profile's value: a factor the data cannot identify
 * stays where the base put it instead of wandering to an extreme that happens to cost nothing.
 * Factors are searched as logit (fractions) or log (amounts), so every candidate is valid.
 */
export interface FitPoint extends BatchWorkload {
  readonly id: string;
  /** label for per-group errors, e.g. "h100-80gb fp8" */
  readonly group: string;
  readonly geometry: StepGeometry;
  /** the GPU, where the profile's scheduler depends on it (calibration.ts schedulerForGpu) */
  readonly gpu?: GpuSpec;
  /** ms, or tokens/s for throughput */
  readonly measured: number;
}

export interface PointError {
  readonly id: string;
  readonly kind: FitPoint['kind'];
  readonly group: string;
  readonly measured: number;
  readonly predicted: number;
  /** (predicted - measured) / measured, percent */
  readonly error_pct: number;
}

export interface FitResult {
  readonly profile: CalibrationProfile;
  readonly points: readonly PointError[];
  readonly mape_pct: number;
  readonly mape_pct_by_kind: Readonly<Record<string, number>>;
  readonly mape_pct_by_group: Readonly<Record<string, number>>;
}

export interface CalibrateOptions {
  readonly base: CalibrationProfile;
  /** factors to fit (default: all); the others stay at the base's values */
  readonly fit?: readonly FactorName[];
  /** weight of the pull toward the base, per squared log unit (default 0.0002: a factor moves 10x for the price of a 3% error) */
  readonly priorWeight?: number;
  /**
   * More terms of the objective that the closed forms cannot give (serving rows need a simulated
   * replica: src/fidelity): the squared log ratios of predicted to measured for a profile.
   */
  readonly extraLogErrors?: (profile: CalibrationProfile) => readonly number[];
  /** provenance written into the profile */
  readonly corpus: string;
  readonly stack: string;
  readonly name?: string;
  /** the fitted corpus rows' digests (fit.rows: fidelity/in-sample.ts fitRowsRecord) */
  readonly rows?: string;
  /** simplex iterations per restart (default 4000; fewer when extraLogErrors simulates) */
  readonly maxIterations?: number;
  /** wall-clock ms since the epoch after which the fit stops with the best profile found so far */
  readonly deadline_ms?: number;
}

/**
 * Amounts are searched as log(x + unit), the unit a small step of the factor's own kind (0.01 ms,
 * 1 us, 1 token), so 0 stays reachable without -Infinity and a factor whose base is 0 leaves it in
 * a few simplex steps. With a floor of 1e-3 in every unit, 0 sat 10 log units below a cost of tens
 * of microseconds: `--fit per_seq_overhead_us` from a base of 0 stayed at 0 on Argonne's vLLM rows
 * (10.3% MAPE) where a base of 5 reached 49 us (7.0%).
 */
const amountUnit = (f: FactorName) => (f.endsWith('_ms') ? 0.01 : 1);
const toSearch = (f: FactorName, x: number) => (FRACTION_FACTORS.has(f) ? Math.log(x / (1 - Math.min(x, 0.999))) : Math.log(x + amountUnit(f)));
const fromSearch = (f: FactorName, u: number) => (FRACTION_FACTORS.has(f) ? 1 / (1 + Math.exp(-u)) : Math.max(0, Math.exp(u) - amountUnit(f)));

export function evaluate(points: readonly FitPoint[], profile: CalibrationProfile): FitResult {
  const scheduler = schedulerOf(profile);
  const errors = points.map((p): PointError => {
    const predicted = predictBatch(stepModelFrom(p.geometry, profile), schedulerForGpu(scheduler, p.gpu), p);
    return { id: p.id, kind: p.kind, group: p.group, measured: p.measured, predicted, error_pct: (100 * (predicted - p.measured)) / p.measured };
  });
  return { profile, points: errors, ...mapeTables(errors) };
}

export function mapeTables(errors: readonly PointError[]): Pick<FitResult, 'mape_pct' | 'mape_pct_by_kind' | 'mape_pct_by_group'> {
  const mape = (xs: readonly PointError[]) => (xs.length ? xs.reduce((a, e) => a + Math.abs(e.error_pct), 0) / xs.length : NaN);
  const by = (key: 'kind' | 'group') => Object.fromEntries([...new Set(errors.map((e) => e[key]))].sort().map((k) => [k, mape(errors.filter((e) => e[key] === k))]));
  return { mape_pct: mape(errors), mape_pct_by_kind: by('kind'), mape_pct_by_group: by('group') };
}

export function calibrate(points: readonly FitPoint[], opts: CalibrateOptions): FitResult {
  if (points.length === 0 && !opts.extraLogErrors) throw new UserError(`${opts.corpus}: no measurements of stack "${opts.stack}" to fit (batch-level kinds only)`);
  const names = opts.fit ?? FACTOR_NAMES;
  const prior = opts.priorWeight ?? 0.0002;
  const base = opts.base;
  const u0 = names.map((f) => toSearch(f, base[f]));
  const scheduler = schedulerOf(base);
  const withSearch = (u: readonly number[]): CalibrationProfile => {
    const p = { ...base };
    names.forEach((f, i) => (p[f] = fromSearch(f, u[i])));
    return p;
  };
  const objective = (u: readonly number[]): number => {
    const p = withSearch(u);
    let sum = 0;
    for (const pt of points) {
      const r = Math.log(predictBatch(stepModelFrom(pt.geometry, p), schedulerForGpu(scheduler, pt.gpu), pt) / pt.measured);
      sum += Number.isFinite(r) ? r * r : 1e6;
    }
    let n = points.length;
    for (const r of opts.extraLogErrors?.(p) ?? []) {
      sum += Number.isFinite(r) ? r * r : 1e6;
      n++;
    }
    // the pull keeps a factor near a value the base measured; a base of 0 (a cost the base does
    // not charge) is no such value, so a factor fitted from it goes where the data take it
    let pull = 0;
    u.forEach((x, i) => (pull += base[names[i]] > 0 ? (x - u0[i]) ** 2 : 0));
    return sum / Math.max(1, n) + prior * pull;
  };
  // restarts from the best point: a simplex can stall on a ridge of the smooth maxima
  const bounds = { maxIterations: opts.maxIterations ?? 4000, tolerance: 1e-10, deadline_ms: opts.deadline_ms };
  let best = minimize(objective, u0, { step: 0.5, ...bounds });
  for (let i = 0; i < 3 && best.stopped !== 'deadline'; i++) best = minimize(objective, best.x, { step: 0.2, ...bounds });
  const fitted = withSearch(best.x);
  const result = evaluate(points, fitted);
  // with serving rows only (no closed-form point), the fit's error is theirs
  const servingOnly = points.length === 0 && opts.extraLogErrors !== undefined;
  const mape_pct = servingOnly ? logErrorsMapePct(opts.extraLogErrors!(fitted)) : result.mape_pct;
  const profile: CalibrationProfile = {
    ...roundFactors(fitted),
    ...fittedIdentity(base, opts),
    source: `fleetsim calibrate on ${points.length} points of ${opts.stack} (${opts.corpus})`,
    fit: { corpus: opts.corpus, stack: opts.stack, points: points.length, mape_pct: round(mape_pct, 2), fitted: [...names], stopped: best.stopped, ...(opts.rows ? { rows: opts.rows } : {}) },
  };
  if (!FACTOR_NAMES.every((f) => Number.isFinite(profile[f]))) {
    throw new UserError(`${opts.corpus}: the fit did not converge to finite factors; check the measurements for outliers`);
  }
  // Only a profile that perf and run load back is written: JSON turns a non-finite error (a 1e308
  // ms timing) into null, which the profile schema refuses.
  try {
    parseCalibration(JSON.parse(JSON.stringify(profile)), 'profile');
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    throw unloadableFit(points, opts, profile);
  }
  return { ...evaluate(points, profile), profile };
}

/** Points named as the likely outliers of a fit that left the factors' bounds. */
const MAX_OUTLIERS_NAMED = 3;

/**
 * The refusal of a fitted profile fleetsim could not load, in words, not the profile schema's
 * ("Too small: expected number to be >=0.001"): which factor left its bounds, and the points
 * furthest from the base profile, which the fit chased there (a timing in microseconds, a value
 * of 1e35 ms).
 */
function unloadableFit(points: readonly FitPoint[], opts: CalibrateOptions, profile: CalibrationProfile): UserError {
  const outside = FACTOR_NAMES.find((f) => !CalibrationProfileSchema.shape[f].safeParse(profile[f]).success);
  const what = outside === undefined
    ? `the fit's error is ${profile.fit?.mape_pct}%`
    : `the fit drove ${outside} to ${Number(profile[outside].toPrecision(3))}, outside its bounds ${factorBounds(outside)}`;
  const distance = (e: PointError) => Math.abs(Math.log(e.predicted / e.measured));
  const worst = [...evaluate(points, opts.base).points].sort((a, b) => distance(b) - distance(a)).slice(0, MAX_OUTLIERS_NAMED);
  const named = worst.map((e) => `${e.id} (measured ${e.measured.toPrecision(3)}, ${e.predicted.toPrecision(3)} under the base profile)`).join(', ');
  const chased = named === '' ? '' : `, chasing the points furthest from the base profile: ${named}`;
  return new UserError(`${opts.corpus}: ${what} (not a profile fleetsim could load)${chased}; expected times in milliseconds within reach of a profile: check them for outliers or another unit`);
}

/** A factor's bounds as the profile schema holds them, e.g. "0.001 to 1". */
function factorBounds(f: FactorName): string {
  const bounds = CalibrationProfileSchema.shape[f];
  return `${bounds.minValue} to ${bounds.maxValue}`;
}

/** Bounds of a profile's name and stack text (calibration.ts). */
const MAX_NAME_CHARS = 64;
const MAX_STACK_CHARS = 200;

/**
 * A fitted profile's name and stack text: its own, not the base's. A fit from the built-in vllm
 * kept "name": "vllm" and vLLM's stack text, so a profile fitted to one row read as the built-in.
 * A base already so named keeps its name (no "-fitted-fitted").
 */
function fittedIdentity(base: CalibrationProfile, opts: CalibrateOptions): Pick<CalibrationProfile, 'name' | 'stack'> {
  const baseName = base.name ?? 'profile';
  // an empty --name is no name (the schema's is at least one character)
  const name = (opts.name || (baseName.endsWith('-fitted') ? baseName : `${baseName}-fitted`)).slice(0, MAX_NAME_CHARS);
  const from = `fitted from ${opts.corpus} (base ${baseName}`;
  const withStack = base.stack === undefined ? `${from})` : `${from}: ${base.stack})`;
  const stack = withStack.length <= MAX_STACK_CHARS ? withStack : `${from})`.slice(0, MAX_STACK_CHARS);
  return { name, stack };
}

/** MAPE (percent) of predictions given as log ratios of predicted to measured. */
export function logErrorsMapePct(logRatios: readonly number[]): number {
  return logRatios.length ? (100 * logRatios.reduce((a, r) => a + Math.abs(Math.exp(r) - 1), 0)) / logRatios.length : NaN;
}

/** Three significant digits (more would claim a precision no measurement set has); an amount below a thousandth of its unit, 0. */
function roundFactors(p: CalibrationProfile): CalibrationProfile {
  const out = { ...p };
  for (const f of FACTOR_NAMES) out[f] = p[f] < 1e-3 * amountUnit(f) ? 0 : Number(p[f].toPrecision(3));
  return out;
}

function round(x: number, digits: number): number {
  const k = 10 ** digits;
  return Math.round(x * k) / k;
}

/**
 * The fastest a closed-form point's time can be (ms): its prefill and decode steps as predictBatch
 * shapes them, each at rooflineMs. A time below it is not a measurement of the point's
 * configuration (a decode of 0.0001 ms on Llama 3.1 70B was fitted, to a profile at every peak).
 * Throughput has none: its concurrency is the engine's (batch limit, KV cache), not the hardware's.
 */
export function pointRooflineMs(p: Pick<FitPoint, 'kind' | 'geometry' | 'batch' | 'prompt_tokens' | 'output_tokens'>): number | undefined {
  const batch = p.batch ?? 1;
  const prefill = () => rooflineMs(p.geometry, batch * p.prompt_tokens, (batch * p.prompt_tokens * p.prompt_tokens) / 2, 0, 0);
  const decode = () => rooflineMs(p.geometry, 0, 0, batch, batch * (p.prompt_tokens + p.output_tokens / 2));
  if (p.kind === 'prefill') return prefill();
  if (p.kind === 'decode') return decode();
  if (p.kind === 'latency') return prefill() + Math.max(0, p.output_tokens - 1) * decode();
  return undefined;
}

/**
 * The slowest a closed-form point's time can be (ms) under any profile fleetsim loads: every
 * efficiency at its floor, every overhead at its ceiling (the profile schema's bounds). A time
 * above it is no measurement of the point's configuration either: fitting one drove a factor past
 * its bound. Throughput has none, as pointRooflineMs.
 */
export function pointSlowestMs(p: FitPoint, base: CalibrationProfile): number | undefined {
  if (p.kind === 'throughput') return undefined;
  const slowest = { ...base };
  for (const f of FACTOR_NAMES) {
    const bounds = CalibrationProfileSchema.shape[f];
    slowest[f] = FRACTION_FACTORS.has(f) ? bounds.minValue! : bounds.maxValue!;
  }
  return predictBatch(stepModelFrom(p.geometry, slowest), schedulerForGpu(schedulerOf(base), p.gpu), p);
}

/**
 * Why a closed-form point's time is no measurement of the configuration it names, in words (the
 * kind, the time and the bound it passes); undefined when a profile fleetsim loads could give it.
 * The one screen of the corpus's rows (fidelity/fit-corpus.ts) and of the Splitwise runs
 * (measurements.ts): below the roofline, fitting it drove every factor to its peak; above the
 * slowest profile, it drove a factor past its bound (a run of 5,000 s among runs of 200 ms).
 */
export function impossibleTime(p: FitPoint, base: CalibrationProfile): string | undefined {
  const measured = `${p.kind} ${Number(p.measured.toPrecision(6))} ms`;
  const roofline_ms = pointRooflineMs(p);
  if (roofline_ms !== undefined && p.measured < roofline_ms) return `faster than the roofline allows (${measured}, at least ${roofline_ms.toPrecision(3)} ms possible)`;
  const slowest_ms = pointSlowestMs(p, base);
  if (slowest_ms !== undefined && p.measured > slowest_ms) return `slower than any profile allows (${measured}, at most ${slowest_ms.toPrecision(3)} ms possible)`;
  return undefined;
}

/** The fastest the hardware allows: every efficiency 1, no overheads. A measurement below it is not of this configuration. */
export function rooflineMs(g: StepGeometry, pt: number, pairs: number, ds: number, dctx: number): number {
  const ideal = {
    gemm_efficiency: 1, gemm_half_tokens: 0, attention_efficiency: 1, memory_bw_efficiency: 1, kv_bw_efficiency: 1,
    link_bw_efficiency: 1, allreduce_latency_us: 0, allreduce_doubling_latency_us: 0, pcie_hop_latency_us: 0, step_overhead_ms: 0, per_seq_overhead_us: 0, request_overhead_ms: 0,
  };
  return stepTimeFrom(g, ideal, pt, pairs, ds, dctx) / Math.SQRT2; // blend() can add up to 2^(1/4) per term: stay below it
}
