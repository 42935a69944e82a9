import { mean } from 'simple-statistics';
import { UserError } from '../errors.ts';
import { DEFAULT_CALIBRATION, type CalibrationProfile } from './calibration.ts';
import { defaultKvDtype, type Dtype } from './dtype.ts';
import type { GpuSpec } from './hardware.ts';
import { boundedLeastSquares } from './lsq.ts';
import type { MeasurementRow } from './measurements.ts';
import type { ModelSpec } from './models.ts';
import {
  buildStepGeometry, F_AR_BW, F_AR_LAT, F_DECODE, F_MEM, F_PREFILL, F_SEQS, N_FEATURES, timeFromFeatures,
  type StepGeometry,
} from './step.ts';

/**
 * Fit the step model's factors to measured timings.
 *
 * Each measured run gives two samples: its prompt phase (prompt*batch new tokens, no decode) and
 * one decode step (batch sequences at mean context prompt + output/2). Samples are averaged per
 * point (tp, phase, prompt, batch). Within a regime (compute-bound or memory-bound) the step time
 * is linear in (overhead, per-seq overhead, 1/e_prefill, 1/e_mem, all-reduce latency, 1/e_link),
 * so the fit alternates: assign each point its regime under the current factors, solve the
 * bounded linear least squares on relative errors, repeat until the regimes stop changing.
 *
 * What the data cannot separate stays at the base profile's value:
 * - decode_compute_efficiency always (vLLM-class decode at these batch sizes is memory-bound);
 * - allreduce_latency_us and link_bw_efficiency when the fit data has one TP degree only: within
 *   one TP they are a constant and a per-token cost, indistinguishable from step_overhead_ms and
 *   prefill_compute_efficiency;
 * - memory_bw_efficiency too with one TP degree: the weights read per step are then the same in
 *   every decode point, so the memory term is a constant that trades against step_overhead_ms
 *   through the prefill intercept alone (fitting it on Splitwise TP 8 gives e_mem 0.47, O 0 and a
 *   41% decode error at TP 2; holding it gives the numbers in src/perf/README.md).
 */
export type Phase = 'prefill' | 'decode';

export interface PointResult {
  readonly tp: number;
  readonly phase: Phase;
  readonly prompt: number;
  readonly batch: number;
  /** measured runs averaged into this point */
  readonly runs: number;
  readonly measured_ms: number;
  readonly predicted_ms: number;
  /** (predicted - measured) / measured, percent */
  readonly error_pct: number;
  /** true when the point's TP degree was used for the fit */
  readonly fitted: boolean;
}

export interface MapeSummary {
  readonly all: number;
  readonly prefill: number;
  readonly decode: number;
}

export interface CalibrationResult {
  readonly profile: CalibrationProfile;
  readonly points: readonly PointResult[];
  /** runs left out because a measured time is below the roofline bound at 100% efficiency */
  readonly excluded: readonly { line: number; reason: string }[];
  readonly mape_pct: MapeSummary;
  readonly mape_pct_by_tp: Readonly<Record<number, MapeSummary>>;
  /** MAPE over points of TP degrees not used in the fit (NaN when all were used) */
  readonly mape_pct_held_out: MapeSummary;
}

export interface CalibrateOptions {
  model: ModelSpec;
  gpu: GpuSpec;
  dtype?: Dtype;
  gpuMemoryUtilization?: number;
  /** fit on these TP degrees only; the others are predicted (default: all) */
  fitTp?: readonly number[];
  /** prior for the factors the data cannot identify (default: catalog defaults) */
  base?: CalibrationProfile;
}

interface Point {
  tp: number;
  phase: Phase;
  prompt: number;
  batch: number;
  runs: number;
  measured_ms: number;
  f: Float64Array;
}

function geometries(rows: readonly MeasurementRow[], opts: CalibrateOptions): Map<number, StepGeometry> {
  const byTp = new Map<number, StepGeometry>();
  for (const r of rows) {
    if (!byTp.has(r.tp)) {
      byTp.set(r.tp, buildStepGeometry({ model: opts.model, gpu: opts.gpu, tp: r.tp, dtype: opts.dtype, kvDtype: defaultKvDtype(opts.dtype ?? 'fp16'), gpuMemoryUtilization: opts.gpuMemoryUtilization }));
    }
  }
  return byTp;
}

/** Samples of each run, checked against the roofline bound, averaged into points. */
function buildPoints(rows: readonly MeasurementRow[], geo: Map<number, StepGeometry>) {
  const excluded: { line: number; reason: string }[] = [];
  const groups = new Map<string, { tp: number; phase: Phase; prompt: number; batch: number; times: number[]; feats: Float64Array[] }>();
  const add = (r: MeasurementRow, phase: Phase, t: number, f: Float64Array) => {
    const key = `${r.tp}|${phase}|${r.prompt}|${r.batch}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { tp: r.tp, phase, prompt: r.prompt, batch: r.batch, times: [], feats: [] }));
    g.times.push(t);
    g.feats.push(f);
  };
  for (const r of rows) {
    const g = geo.get(r.tp)!;
    const fp = new Float64Array(N_FEATURES);
    g.features(r.prompt * r.batch, r.batch * r.prompt * r.prompt / 2, 0, 0, fp);
    const fd = new Float64Array(N_FEATURES);
    g.features(0, 0, r.batch, r.batch * (r.prompt + r.output / 2), fd);
    const boundP = Math.max(fp[F_PREFILL], fp[F_MEM]);
    const boundD = Math.max(fd[F_DECODE], fd[F_MEM]);
    // a time below what the hardware can do at 100% is not a measurement of this configuration
    // (Splitwise's TP2 batch-64 run reports 796 ms for a prompt phase that needs >= 7.2 s); the
    // run's other phase is then suspect too, so the whole run goes
    if (r.prompt_time_ms < boundP) {
      excluded.push({ line: r.line, reason: `prompt_time ${r.prompt_time_ms.toFixed(1)} ms < roofline bound ${boundP.toFixed(1)} ms` });
      continue;
    }
    if (r.token_time_ms < boundD) {
      excluded.push({ line: r.line, reason: `token_time ${r.token_time_ms.toFixed(2)} ms < roofline bound ${boundD.toFixed(2)} ms` });
      continue;
    }
    add(r, 'prefill', r.prompt_time_ms, fp);
    add(r, 'decode', r.token_time_ms, fd);
  }
  const points: Point[] = [];
  for (const g of groups.values()) {
    const f = new Float64Array(N_FEATURES);
    for (const x of g.feats) for (let k = 0; k < N_FEATURES; k++) f[k] += x[k] / g.feats.length;
    points.push({ tp: g.tp, phase: g.phase, prompt: g.prompt, batch: g.batch, runs: g.times.length, measured_ms: mean(g.times), f });
  }
  points.sort((a, b) => a.tp - b.tp || a.phase.localeCompare(b.phase) || a.prompt - b.prompt || a.batch - b.batch);
  return { points, excluded };
}

// unknowns of the linear fit
const O = 0, S = 1, XP = 2, XM = 3, A = 4, Y = 5;

function toUnknowns(p: CalibrationProfile): number[] {
  return [p.step_overhead_ms, p.per_seq_overhead_ms, 1 / p.prefill_compute_efficiency, 1 / p.memory_bw_efficiency, p.allreduce_latency_us, 1 / p.link_bw_efficiency];
}

function withUnknowns(base: CalibrationProfile, x: readonly number[]): CalibrationProfile {
  return {
    ...base,
    step_overhead_ms: x[O],
    per_seq_overhead_ms: x[S],
    prefill_compute_efficiency: 1 / x[XP],
    memory_bw_efficiency: 1 / x[XM],
    allreduce_latency_us: x[A],
    link_bw_efficiency: 1 / x[Y],
  };
}

function isComputeBound(f: Float64Array, p: CalibrationProfile): boolean {
  return f[F_PREFILL] / p.prefill_compute_efficiency + f[F_DECODE] / p.decode_compute_efficiency > f[F_MEM] / p.memory_bw_efficiency;
}

function fit(points: readonly Point[], base: CalibrationProfile): CalibrationProfile {
  const tps = new Set(points.map((p) => p.tp));
  const hasPhase = (ph: Phase) => points.some((p) => p.phase === ph);
  const oneTp = tps.size < 2;
  const fixed = [false, !hasPhase('decode'), !hasPhase('prefill'), !hasPhase('decode') || oneTp, oneTp, oneTp];
  // efficiencies are at most 1: 1/e >= 1
  const lower = [0, 0, 1, 1, 0, 1];
  let prof = base;
  let regimes = '';
  for (let iter = 0; iter < 20; iter++) {
    const now = points.map((p) => (isComputeBound(p.f, prof) ? 'c' : 'm')).join('');
    if (now === regimes) break;
    regimes = now;
    const rowsA: number[][] = [];
    const rhs: number[] = [];
    points.forEach((p, i) => {
      const w = 1 / p.measured_ms; // relative errors: short and long steps count alike
      const c = regimes[i] === 'c';
      rowsA.push([1, p.f[F_SEQS], c ? p.f[F_PREFILL] : 0, c ? 0 : p.f[F_MEM], p.f[F_AR_LAT] / 1000, p.f[F_AR_BW]].map((v) => v * w));
      rhs.push((p.measured_ms - (c ? p.f[F_DECODE] / base.decode_compute_efficiency : 0)) * w);
    });
    prof = withUnknowns(base, boundedLeastSquares(rowsA, rhs, lower, fixed, toUnknowns(base)));
  }
  return prof;
}

function mapeOf(results: readonly PointResult[]): MapeSummary {
  const m = (xs: readonly PointResult[]) => (xs.length ? mean(xs.map((r) => Math.abs(r.error_pct))) : NaN);
  return { all: m(results), prefill: m(results.filter((r) => r.phase === 'prefill')), decode: m(results.filter((r) => r.phase === 'decode')) };
}

function evaluatePoints(points: readonly Point[], profile: CalibrationProfile, fitTp: ReadonlySet<number> | null, excluded: CalibrationResult['excluded']): CalibrationResult {
  const results: PointResult[] = points.map((p) => {
    const predicted = timeFromFeatures(p.f, profile);
    return {
      tp: p.tp, phase: p.phase, prompt: p.prompt, batch: p.batch, runs: p.runs,
      measured_ms: p.measured_ms, predicted_ms: predicted, error_pct: (100 * (predicted - p.measured_ms)) / p.measured_ms,
      fitted: fitTp === null || fitTp.has(p.tp),
    };
  });
  const byTp: Record<number, MapeSummary> = {};
  for (const tp of [...new Set(results.map((r) => r.tp))]) byTp[tp] = mapeOf(results.filter((r) => r.tp === tp));
  return {
    profile, points: results, excluded,
    mape_pct: mapeOf(results),
    mape_pct_by_tp: byTp,
    mape_pct_held_out: mapeOf(results.filter((r) => !r.fitted)),
  };
}

/** Error of a given profile against measurements, without fitting (e.g. the catalog defaults). */
export function evaluateProfile(rows: readonly MeasurementRow[], profile: CalibrationProfile, opts: Omit<CalibrateOptions, 'fitTp' | 'base'>): CalibrationResult {
  const { points, excluded } = buildPoints(rows, geometries(rows, opts));
  return evaluatePoints(points, profile, null, excluded);
}

export function calibrate(rows: readonly MeasurementRow[], opts: CalibrateOptions): CalibrationResult {
  const base = opts.base ?? DEFAULT_CALIBRATION;
  const { points, excluded } = buildPoints(rows, geometries(rows, opts));
  const fitTp = opts.fitTp?.length ? new Set(opts.fitTp) : null;
  const fitPoints = fitTp ? points.filter((p) => fitTp.has(p.tp)) : points;
  if (fitPoints.length === 0) {
    const have = [...new Set(points.map((p) => p.tp))].join(', ');
    throw new UserError(`--fit-tp ${[...(fitTp ?? [])].join(',')}: no measurements at that tensor-parallel degree (have: ${have})`);
  }
  const fitted = fit(fitPoints, base);
  const fittedTps = [...new Set(fitPoints.map((p) => p.tp))].sort((a, b) => a - b);
  const preliminary = evaluatePoints(points, fitted, fitTp, excluded);
  const fittedMape = mapeOf(preliminary.points.filter((p) => p.fitted)).all;
  const profile: CalibrationProfile = {
    ...fitted,
    source: `fleetsim calibrate: ${opts.model.id} on ${opts.gpu.id}, TP ${fittedTps.join('/')}`,
    fit: { model: opts.model.id, gpu: opts.gpu.id, fitted_tp: fittedTps, points: fitPoints.length, mape_pct: round(fittedMape, 2) },
  };
  return { ...preliminary, profile };
}

function round(x: number, digits: number): number {
  const k = 10 ** digits;
  return Math.round(x * k) / k;
}
