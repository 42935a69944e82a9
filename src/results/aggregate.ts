import { meanCi95 } from '../metrics/ci.ts';
import { round } from './round.ts';
import type { Summary } from './summary.ts';
import { sloVerdict, type Verdict, type VerdictWarning } from './verdict.ts';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Fields that describe the run rather than measure it: copied from the first replication. */
const DESCRIPTIVE = new Set(['fleetsim_version', 'scenario', 'scenario_file', 'seed', 'duration_s', 'warmup_s', 'window_s', 'servers']);

/**
 * Means over replications of every numeric figure, with a sibling `ci95: { key: [lo, hi] }` in
 * each block (Student t, n - 1 degrees of freedom). A figure missing (null) in some replication
 * is averaged over those that have it.
 */
function combine(values: Json[], key: string): Json {
  const first = values[0];
  if (DESCRIPTIVE.has(key) || typeof first === 'string' || typeof first === 'boolean') return first;
  if (typeof first === 'number' || first === null) {
    const nums = values.filter((v): v is number => typeof v === 'number');
    return nums.length === 0 ? null : round(meanCi95(nums).mean);
  }
  if (Array.isArray(first)) return first;
  const out: { [k: string]: Json } = {};
  const ci: { [k: string]: Json } = {};
  for (const k of Object.keys(first)) {
    const vs = values.map((v) => (v as { [k: string]: Json })[k]);
    out[k] = combine(vs, k);
    if (typeof out[k] === 'number' && !DESCRIPTIVE.has(k)) {
      const nums = vs.filter((v): v is number => typeof v === 'number');
      const { ci95 } = meanCi95(nums);
      if (ci95) ci[k] = [round(ci95[0]), round(ci95[1])];
    }
  }
  if (Object.keys(ci).length > 0) out.ci95 = ci;
  return out;
}

export function aggregateSummaries(reps: Summary[]): Summary {
  if (reps.length === 1) return reps[0];
  const { engine: _e, verdict: _v, ...rest } = reps[0];
  const restAll = reps.map(({ engine: _x, verdict: _y, ...r }) => r as unknown as Json);
  const combined = combine(restAll, '') as unknown as typeof rest;
  const events = reps.reduce((a, r) => a + r.engine.events, 0);
  const wall_s = reps.reduce((a, r) => a + r.engine.wall_s, 0);
  return {
    verdict: aggregateVerdict(reps, combined),
    ...combined,
    seed: reps[0].seed,
    replications: reps.length,
    complete: reps.every((r) => r.complete),
    engine: {
      events,
      wall_s: round(wall_s),
      events_per_s: round(wall_s > 0 ? events / wall_s : 0),
      stop_reason: reps.every((r) => r.engine.stop_reason === reps[0].engine.stop_reason) ? reps[0].engine.stop_reason : 'mixed',
    },
  };
}

/** Reasons listed from at most this many replications (the count says how many there were). */
const MAX_REASON_RUNS = 3;

/**
 * The verdict over replications. SLOs: the mean figure and its 95% CI, met when the mean is (and
 * the e2e lower bound is not over the target). Steady state: every replication must be at steady
 * state (one that is not is reported with its seed). Warnings: each kind once, with the first
 * replication's message and how many replications raised it.
 */
function aggregateVerdict(reps: Summary[], combined: Omit<Summary, 'verdict' | 'engine'>): Verdict {
  const slo: Verdict['slo'] = {};
  for (const [name, m] of Object.entries(combined.by_model ?? {})) {
    const ci = (metric: 'ttft' | 'e2e') => (m.latency_ms[metric] as { ci95?: Record<string, [number, number]> }).ci95?.p99;
    const v = m.slo ? sloVerdict(m.slo, m.latency_ms, ci) : undefined;
    if (v) slo[name] = v;
    // by_model.<m>.slo.met is the verdict's too (the generic combine kept the first replication's).
    if (v && m.slo) m.slo.met = v.met;
  }
  const unsteady = reps.map((r, i) => ({ r, seed: reps[0].seed + i })).filter((x) => !x.r.verdict.steady_state.ok);
  const reasons = unsteady.slice(0, MAX_REASON_RUNS).flatMap((x) => x.r.verdict.steady_state.reasons.map((why) => `seed ${x.seed}: ${why}`));
  if (unsteady.length > 0) reasons.unshift(`${unsteady.length} of ${reps.length} replications not at steady state`);
  const byCode = new Map<string, { first: VerdictWarning; runs: number }>();
  for (const r of reps) {
    for (const w of r.verdict.warnings) {
      const seen = byCode.get(w.code);
      if (seen) seen.runs++;
      else byCode.set(w.code, { first: w, runs: 1 });
    }
  }
  const warnings = [...byCode.values()].map(({ first, runs }) => ({
    code: first.code,
    message: runs === reps.length ? first.message : `${first.message} (in ${runs} of ${reps.length} replications; this is the first)`,
  }));
  return { slo, steady_state: { ok: unsteady.length === 0, reasons }, warnings };
}
