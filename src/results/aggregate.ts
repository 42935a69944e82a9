import { RunningMeanCi95 } from '../metrics/ci.ts';
import { round } from './round.ts';
import type { Summary } from './summary.ts';
import { classVerdicts, firstVisibleTokenVerdicts, sloVerdict, type Verdict, type VerdictWarning } from './verdict.ts';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

/** Fields that describe the run rather than measure it: copied from the first replication. */
const DESCRIPTIVE = new Set(['fleetsim_version', 'scenario', 'scenario_file', 'seed', 'duration_s', 'warmup_s', 'window_s', 'servers']);

/**
 * What the aggregate holds for one place in the summary, shaped by the first replication: a value
 * copied from it (descriptive fields, strings, booleans, arrays), a running mean and interval of a
 * figure (a number or null in the first replication), or a block of such places by key.
 */
type Accumulator =
  | { kind: 'copied'; value: Json }
  | { kind: 'figure'; running: RunningMeanCi95 }
  | { kind: 'block'; keys: Map<string, Accumulator> };

function accumulatorFor(first: Json, key: string): Accumulator {
  if (DESCRIPTIVE.has(key) || typeof first === 'string' || typeof first === 'boolean' || Array.isArray(first)) return { kind: 'copied', value: first };
  if (typeof first === 'number' || first === null) return { kind: 'figure', running: new RunningMeanCi95() };
  const keys = new Map<string, Accumulator>();
  for (const k of Object.keys(first)) keys.set(k, accumulatorFor(first[k], k));
  return { kind: 'block', keys };
}

/** Folds one replication's value at this place in (the first replication's too). */
function fold(acc: Accumulator, value: Json | undefined): void {
  if (acc.kind === 'figure') {
    // A figure missing (null) in some replication is averaged over those that have it.
    if (typeof value === 'number') acc.running.add(value);
  } else if (acc.kind === 'block') {
    const block = typeof value === 'object' && value !== null && !Array.isArray(value) ? value : undefined;
    for (const [k, child] of acc.keys) fold(child, block?.[k]);
  }
}

/**
 * Means over replications of every numeric figure, with a sibling `ci95: { key: [lo, hi] }` in
 * each block (Student t, n - 1 degrees of freedom; see metrics/ci.ts).
 */
function combined(acc: Accumulator): Json {
  if (acc.kind === 'copied') return acc.value;
  if (acc.kind === 'figure') return acc.running.count === 0 ? null : round(acc.running.result().mean);
  const out: JsonObject = {};
  const ci: JsonObject = {};
  for (const [k, child] of acc.keys) {
    out[k] = combined(child);
    if (child.kind === 'figure' && typeof out[k] === 'number') {
      const { ci95 } = child.running.result();
      if (ci95) ci[k] = [round(ci95[0]), round(ci95[1])];
    }
  }
  if (Object.keys(ci).length > 0) out.ci95 = ci;
  return out;
}

/** Reasons listed from at most this many replications (the count says how many there were). */
const MAX_REASON_RUNS = 3;

/**
 * Replication summaries folded in one at a time, in replication order, into running means and
 * intervals: what it holds depends on the shape of a summary, not on how many were added, so
 * replications can be aggregated as they complete without keeping their summaries. The result is
 * that of aggregating all the summaries at once; its confidence intervals come from Welford's
 * running variance, whose last bits may differ from a two-pass variance (after rounding to seven
 * digits they agree unless a bound lies within a few ulps of a rounding boundary).
 */
export class SummaryAggregator {
  private first: Summary | undefined;
  private figures: Accumulator | undefined;
  private count = 0;
  private events = 0;
  private wall_s = 0;
  private allComplete = true;
  private sameStopReason = true;
  private unsteady = 0;
  /** The steady-state reasons of the first MAX_REASON_RUNS replications not at steady state. */
  private readonly unsteadyReasons: string[] = [];
  /** the lowest served fraction of the replications (verdict.steady_state.served_fraction) */
  private lowestServed: number | null = null;
  /** Each warning code once, with its first message and how many replications raised it. */
  private readonly warnings = new Map<string, { first: VerdictWarning; runs: number }>();

  /** Replication `count` (0-based) of the aggregate: it ran with the first one's seed + count. */
  add(s: Summary): void {
    if (!this.first) {
      this.first = s;
      const { engine: _e, verdict: _v, ...rest } = s;
      this.figures = accumulatorFor(rest as unknown as Json, '');
    }
    const { engine: _e, verdict: _v, ...rest } = s;
    fold(this.figures!, rest as unknown as Json);
    this.events += s.engine.events;
    this.wall_s += s.engine.wall_s;
    if (!s.complete) this.allComplete = false;
    if (s.engine.stop_reason !== this.first.engine.stop_reason) this.sameStopReason = false;
    const served = s.verdict.steady_state.served_fraction;
    if (served != null && (this.lowestServed === null || served < this.lowestServed)) this.lowestServed = served;
    if (!s.verdict.steady_state.ok) {
      if (this.unsteady < MAX_REASON_RUNS) this.unsteadyReasons.push(...s.verdict.steady_state.reasons.map((why) => `seed ${this.first!.seed + this.count}: ${why}`));
      this.unsteady++;
    }
    for (const w of s.verdict.warnings) {
      const seen = this.warnings.get(w.code);
      if (seen) seen.runs++;
      else this.warnings.set(w.code, { first: w, runs: 1 });
    }
    this.count++;
  }

  /** Replications added so far. */
  get replications(): number {
    return this.count;
  }

  /** The aggregate of the summaries added (the summary itself when there was one). */
  result(): Summary {
    const first = this.first;
    if (!first) throw new Error('SummaryAggregator.result: no replication was added');
    if (this.count === 1) return first;
    const rest = combined(this.figures!) as unknown as Omit<Summary, 'verdict' | 'engine'>;
    return {
      verdict: this.verdict(rest),
      ...rest,
      seed: first.seed,
      replications: this.count,
      complete: this.allComplete,
      engine: {
        events: this.events,
        wall_s: round(this.wall_s),
        events_per_s: round(this.wall_s > 0 ? this.events / this.wall_s : 0),
        stop_reason: this.sameStopReason ? first.engine.stop_reason : 'mixed',
      },
    };
  }

  /**
   * The verdict over replications. SLOs: the mean figure and its 95% CI, met when the mean is (and
   * the e2e lower bound is not over the target). Steady state: every replication must be at steady
   * state (one that is not is reported with its seed). Warnings: each kind once, with the first
   * replication's message and how many replications raised it.
   */
  private verdict(rest: Omit<Summary, 'verdict' | 'engine'>): Verdict {
    const slo: Verdict['slo'] = {};
    for (const [name, m] of Object.entries(rest.by_model ?? {})) {
      const ci = (metric: 'ttft' | 'e2e') => (m.latency_ms[metric] as { ci95?: Record<string, [number, number]> }).ci95?.p99;
      const v = m.slo ? sloVerdict(m.slo, m.latency_ms, ci) : undefined;
      if (v) slo[name] = v;
      // by_model.<m>.slo.met is the verdict's too (the figures kept the first replication's).
      if (v && m.slo) m.slo.met = v.met;
    }
    const reasons = [...this.unsteadyReasons];
    if (this.unsteady > 0) reasons.unshift(`${this.unsteady} of ${this.count} replications not at steady state`);
    const warnings = [...this.warnings.values()].map(({ first, runs }) => ({
      code: first.code,
      message: runs === this.count ? first.message : `${first.message} (in ${runs} of ${this.count} replications; this is the first)`,
    }));
    // request classes: judged again on the mean figures
    const classes = rest.classes ? { classes: classVerdicts(rest.classes) } : {};
    const firstVisible = firstVisibleTokenVerdicts(rest.by_model);
    return { slo, ...classes, ...(firstVisible ? { first_visible_token: firstVisible } : {}), steady_state: { ok: this.unsteady === 0, reasons, served_fraction: this.lowestServed }, warnings };
  }
}

/** The aggregate of replication summaries given in replication order (see SummaryAggregator). */
export function aggregateSummaries(reps: Summary[]): Summary {
  const aggregator = new SummaryAggregator();
  for (const r of reps) aggregator.add(r);
  return aggregator.result();
}
