import type { z } from 'zod';
import type { ClassVerdictSchema, SloVerdictSchema, VerdictSchema, VerdictWarningSchema } from './summary-schema.ts';
import type { ClassesSummary } from './class-summary.ts';
import type { Summary } from './summary.ts';
import type { WindowRow } from '../metrics/timeseries.ts';
import { GROWTH_MIN_SAMPLES, growthTest, type GrowthTest } from '../metrics/steady-state.ts';
import { SKETCH_RELATIVE_ACCURACY, type LatencySummary } from '../metrics/latency.ts';
import type { CapacityLoads } from './capacity.ts';
import { fmt } from '../util/format-number.ts';
import { round } from './round.ts';
import { spotWarning, type PurchaseSummary } from './purchase-summary.ts';
import { FIRST_TOKEN_SHORT_LOAD, NEAR_CAPACITY_LOAD, STEP_MODEL_THROUGHPUT_ERROR } from '../perf/model-error.ts';

/**
 * The verdict block of summary.json: what a reader must know before any figure. Per model, the
 * SLO met or missed; whether the run reached a steady state (its figures then describe the system,
 * not the length of the run); and warnings (over capacity, requests censored at the end, fleet
 * sampling, errors, an incomplete run). The rules are in docs/reports.md; the block is declared
 * in results/summary-schema.ts.
 */
export type Verdict = z.infer<typeof VerdictSchema>;
export type SloVerdict = z.infer<typeof SloVerdictSchema>;
export type VerdictWarning = z.infer<typeof VerdictWarningSchema>;

/** An error rate at or above this is a warning: one request in a hundred is not a detail. */
export const ERROR_RATE_WARNING = 0.01;

/** The SLO verdict of one model from its latency blocks. */
export function sloVerdict(
  slo: { ttft_p99_ms?: number; e2e_p99_ms?: number },
  latency: { ttft: LatencySummary; e2e: LatencySummary; e2e_including_in_flight?: LatencySummary; ttft_including_in_flight?: LatencySummary },
  ci?: (metric: 'ttft' | 'e2e') => [number, number] | undefined,
): SloVerdict | undefined {
  const entries: SloVerdict[] = [];
  const judge = (metric: 'ttft' | 'e2e', target_ms: number | undefined) => {
    if (target_ms === undefined) return;
    const value_ms = latency[metric].p99;
    const interval = ci?.(metric);
    const lower_bound_ms = (metric === 'e2e' ? latency.e2e_including_in_flight : latency.ttft_including_in_flight)?.p99;
    const met = value_ms !== null && value_ms <= target_ms && !(typeof lower_bound_ms === 'number' && lower_bound_ms > target_ms);
    entries.push({ metric: `${metric}.p99`, target_ms, value_ms, ...(interval ? { interval } : {}), ...(lower_bound_ms !== undefined ? { lower_bound_ms } : {}), met });
  };
  judge('ttft', slo.ttft_p99_ms);
  judge('e2e', slo.e2e_p99_ms);
  // Two targets: the verdict is the one that binds (missed, or nearer its target).
  const margin = (v: SloVerdict) => (v.value_ms === null ? Infinity : v.value_ms / v.target_ms);
  return entries.sort((a, b) => Number(a.met) - Number(b.met) || margin(b) - margin(a))[0];
}

/**
 * Reasoning models: the p99 of the first token and of the first visible token (undefined when no
 * model reasons, so other verdicts keep their bytes).
 */
export function firstVisibleTokenVerdicts(byModel: Record<string, { latency_ms: { ttft: LatencySummary; ttfvt?: LatencySummary } }> | undefined): Verdict['first_visible_token'] {
  const out: NonNullable<Verdict['first_visible_token']> = {};
  for (const [name, m] of Object.entries(byModel ?? {})) {
    const ttfvt = m.latency_ms.ttfvt;
    if (!ttfvt) continue;
    const ttft_p99_ms = m.latency_ms.ttft.p99;
    const ttfvt_p99_ms = ttfvt.p99;
    out[name] = { ttft_p99_ms, ttfvt_p99_ms, thinking_ms_p99: ttft_p99_ms === null || ttfvt_p99_ms === null ? null : round(ttfvt_p99_ms - ttft_p99_ms) };
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

export type ClassVerdict = z.infer<typeof ClassVerdictSchema>;

/**
 * Per request class: its goodput and SLO attainment, and each p99 target of its SLO met or missed.
 * A class that received no requests is not judged (met null): a share of 1e-7 drew none in 40 s
 * and read as missed, "none completed" (warning class_without_requests says the run is silent on it).
 */
export function classVerdicts(classes: ClassesSummary): Record<string, ClassVerdict> {
  const out: Record<string, ClassVerdict> = {};
  for (const [name, c] of Object.entries(classes.by_class)) {
    if (!(c.offered > 0)) {
      out[name] = { goodput_per_s: c.goodput_per_s, slo_attainment: null, met: null, missed: [] };
      continue;
    }
    const missed: string[] = [];
    for (const metric of ['ttft', 'tpot', 'e2e'] as const) {
      const target_ms = c.slo?.[`${metric}_p99_ms`];
      const value_ms = c.latency_ms[metric].p99;
      if (target_ms !== undefined && !(value_ms !== null && value_ms <= target_ms)) missed.push(`${metric} p99 ${value_ms === null ? 'none completed' : `${fmt(value_ms)} ms`} > ${fmt(target_ms)} ms`);
    }
    out[name] = { goodput_per_s: c.goodput_per_s, slo_attainment: c.slo_attainment, met: missed.length === 0, missed };
  }
  return out;
}

/** The classes that received no requests after warm-up: the run says nothing about them. */
export function classesWithoutRequestsWarning(classes: ClassesSummary | undefined): VerdictWarning | undefined {
  const silent = Object.entries(classes?.by_class ?? {}).filter(([, c]) => !(c.offered > 0));
  if (silent.length === 0) return undefined;
  const names = silent.map(([name, c]) => `${name} (share ${fmt(c.share)}${c.slo ? ', with an SLO' : ''})`).join(', ');
  return {
    code: 'class_without_requests',
    message: `request class${silent.length === 1 ? '' : 'es'} ${names} received no requests after warm-up: the run says nothing about ${silent.length === 1 ? 'it' : 'them'} (figures null, SLO not judged, left out of Jain's index); give ${silent.length === 1 ? 'it' : 'them'} a larger share or run longer`,
  };
}

/** The stretch the steady-state test looks at: the second half of the measured period, whole windows only. */
function secondHalf(rows: readonly WindowRow[], o: { warmup_s: number; duration_s: number; window_s: number }): WindowRow[] {
  const mid_s = o.warmup_s + (o.duration_s - o.warmup_s) / 2;
  return rows.filter((r) => r.t_start_s >= mid_s - 1e-9 && r.t_start_s + o.window_s <= o.duration_s + 1e-9);
}

function growthReason(what: string, g: GrowthTest, from_s: number, to_s: number, completedShare: number | null): string {
  const share = completedShare === null ? '' : `; completions, failures and rejections were ${fmt(completedShare * 100, 3)}% of arrivals`;
  return `${what} rose from ${fmt(Math.max(0, g.fitted_from))} to ${fmt(g.fitted_to)} over ${fmt(from_s)}-${fmt(to_s)} s (the second half of the measured period), ${fmt(g.noise_ratio, 2)} times its scatter around the trend${share}`;
}

/** The steady-state block, and why it could not be judged (the block then says ok). */
export type SteadyStateFinding = Verdict['steady_state'] & { unjudged?: string };

/**
 * Steady state from the time series: requests in flight and queued requests must not grow over
 * the second half of the measured period (metrics/steady-state.ts has the test and its reasons).
 */
export function steadyState(rows: readonly WindowRow[], o: { warmup_s: number; duration_s: number; window_s: number }): SteadyStateFinding {
  const half = secondHalf(rows, o);
  const t_s = half.map((r) => r.t_start_s + o.window_s);
  const arrivals = half.reduce((a, r) => a + r.arrivals, 0);
  const ended = half.reduce((a, r) => a + r.completions + r.errors + r.rejections, 0);
  const served_fraction = arrivals > 0 ? ended / arrivals : null;
  const inFlight = growthTest(t_s, half.map((r) => r.in_flight), arrivals);
  const queued = growthTest(t_s, half.map((r) => r.queued), arrivals);
  if (!inFlight || !queued) {
    return { ok: true, reasons: [], served_fraction, unjudged: `the second half of the measured period has ${half.length} whole windows, too few to tell a trend from noise (${GROWTH_MIN_SAMPLES} needed: set window_s shorter or duration_s longer)` };
  }
  const from_s = half[0].t_start_s, to_s = t_s[t_s.length - 1];
  const reasons: string[] = [];
  if (inFlight.growing) reasons.push(growthReason('requests in flight', inFlight, from_s, to_s, served_fraction));
  if (queued.growing) reasons.push(growthReason('queued requests', queued, from_s, to_s, null));
  return { ok: reasons.length === 0, reasons, served_fraction };
}

/** What the summary holds that the warnings read. */
export interface VerdictInput {
  complete: boolean;
  stop_reason: string;
  requests: { offered: number; completed: number; in_flight_at_end: number; error_rate: number };
  latency_ms: { e2e: LatencySummary; e2e_including_in_flight?: LatencySummary };
  duration_s: number;
  warmup_s: number;
  fleet?: { scale: number; sampled: boolean };
  gpu?: Record<string, { replicas: number; replicas_full: number; kv_transfer_s?: number; kv_transfer_unfinished_s?: number }>;
  by_model?: Record<string, { requests: { offered: number }; reasoning_answers_cut?: number }>;
  purchase?: PurchaseSummary;
}

/**
 * Reasoning models whose visible answers the context window cut (fleet/llm/tokens.ts: the output,
 * hidden tokens first, is held to half the window, and the thinking is clipped before the answer
 * down to one token): their TTFVT then nears e2e and their hidden share is the window's, not the
 * scenario's. Sessions count the conversations they cut; this counts the answers.
 */
export function reasoningAnswersCutWarning(s: Pick<VerdictInput, 'by_model'>): VerdictWarning | undefined {
  const cut = Object.entries(s.by_model ?? {}).filter(([, m]) => (m.reasoning_answers_cut ?? 0) > 0);
  if (cut.length === 0) return undefined;
  const counts = cut.map(([name, m]) => `${name}: ${fmt(m.reasoning_answers_cut!)} of ${fmt(m.requests.offered)} requests (${fmt((m.reasoning_answers_cut! / Math.max(1, m.requests.offered)) * 100, 3)}%)`);
  return {
    code: 'reasoning_answers_cut',
    message: `visible answers cut by the context window: ${counts.join('; ')} had their hidden tokens fill the room their answer needed (the output, thinking first, is held to half the window): their first visible token comes near the end, so TTFVT and the hidden share describe the window, not reasoning_tokens; lower reasoning_tokens, or serve a model with a longer context (by_model.<m>.reasoning_answers_cut)`,
  };
}

/**
 * GPU tiers within the step model's throughput error of capacity (from NEAR_CAPACITY_LOAD, 82%,
 * src/perf/model-error.ts) at the mean or the peak rate, and within capacity at both: they may be
 * over capacity in truth. Near capacity a replica's latency turns on its exact capacity and on how
 * its step grows with the batch: published MLPerf server runs at 93-99% of their offline
 * throughput are 3-83% off in fleetsim (docs/fidelity.md, "Near capacity").
 */
export function isNearCapacity(l: CapacityLoads['loads'][number]): boolean {
  return l.tier.startsWith('gpu:') && Math.max(l.utilization, l.peak_utilization) >= NEAR_CAPACITY_LOAD && l.peak_utilization <= 1;
}

/**
 * GPU tiers from FIRST_TOKEN_SHORT_LOAD (70%) to NEAR_CAPACITY_LOAD at the mean or the peak rate:
 * there the first tokens of published serving runs read about a third short in fleetsim, their
 * decode about a fifth (src/perf/model-error.ts).
 */
export function isFirstTokenShort(l: CapacityLoads['loads'][number]): boolean {
  const load = Math.max(l.utilization, l.peak_utilization);
  return l.tier.startsWith('gpu:') && load >= FIRST_TOKEN_SHORT_LOAD && load < NEAR_CAPACITY_LOAD;
}

/** Each tier's load at the mean and the peak rate, for a warning's message. */
function meanAndPeakLoads(loads: CapacityLoads['loads']): string {
  return loads.map((l) => `${l.tier} ${fmt(l.utilization * 100, 3)}% at the mean rate, ${fmt(l.peak_utilization * 100, 3)}% at the peak`).join(', ');
}

function firstTokenShortWarning(c: CapacityLoads): VerdictWarning | undefined {
  const short = c.loads.filter(isFirstTokenShort);
  if (short.length === 0) return undefined;
  return {
    code: 'first_tokens_short',
    message: `first tokens likely short (analytical load): ${meanAndPeakLoads(short)}. From ${fmt(FIRST_TOKEN_SHORT_LOAD * 100)}% of capacity fleetsim reads the first tokens ` +
      'of published serving runs about a third short on average, their decode less; read these replicas\' TTFT as a lower bound',
  };
}

function nearCapacityWarning(c: CapacityLoads): VerdictWarning | undefined {
  const near = c.loads.filter(isNearCapacity);
  if (near.length === 0) return undefined;
  return {
    code: 'near_capacity',
    message: `near capacity (analytical load): ${meanAndPeakLoads(near)}. The GPU step model's throughput is within ${fmt(STEP_MODEL_THROUGHPUT_ERROR * 100)}% ` +
      'of published measurements four times in five, so these replicas may be over capacity in truth; latency here turns on the exact capacity and can be off by a factor',
  };
}

function capacityWarnings(c: CapacityLoads): VerdictWarning[] {
  const list = (ls: CapacityLoads['loads'], key: 'utilization' | 'peak_utilization') =>
    ls.map((l) => `${l.tier} ${fmt(l[key] * 100, 3)}% (${fmt(l.arrival_rate_per_s)}/s offered, ${fmt(l.capacity_per_s)}/s capacity)`).join(', ');
  const over = c.loads.filter((l) => l.utilization > 1);
  const atPeak = c.loads.filter((l) => l.utilization <= 1 && l.peak_utilization > 1);
  const out: VerdictWarning[] = [];
  if (over.length > 0) out.push({ code: 'over_capacity', message: `over capacity at the mean arrival rate (analytical load): ${list(over, 'utilization')}` });
  if (atPeak.length > 0) out.push({ code: 'over_capacity_at_peak', message: `over capacity at the peak arrival rate (analytical load): ${list(atPeak, 'peak_utilization')}` });
  const near = nearCapacityWarning(c);
  if (near) out.push(near);
  const short = firstTokenShortWarning(c);
  if (short) out.push(short);
  return out;
}

function censoredWarning(s: VerdictInput): VerdictWarning | undefined {
  const n = s.requests.in_flight_at_end;
  const lower = s.latency_ms.e2e_including_in_flight?.p99;
  const completed = s.latency_ms.e2e.p99;
  if (n === 0 || typeof lower !== 'number') return undefined;
  // More than 1% censored: the p99 of completed requests need not be anywhere near the p99 of
  // requests (the slowest 1% may all be among those still in flight). Or, with fewer, the
  // in-flight ages move the p99 beyond the sketch's accuracy.
  const share = s.requests.offered > 0 ? n / s.requests.offered : 1;
  if (share <= 0.01 && completed !== null && lower <= completed * (1 + 2 * SKETCH_RELATIVE_ACCURACY)) return undefined;
  return {
    code: 'censored',
    message: `${fmt(n)} requests (${fmt(share * 100, 3)}% of those that arrived after warm-up) were still in flight at the end and are left out of the latency percentiles; counted at their ages, e2e p99 is at least ${fmt(lower)} ms (completed requests only: ${fmt(completed)} ms)`,
  };
}

/**
 * How far a sampled model's simulated capacity is from the share of the load it carries: at least
 * one replica per region, each region's count rounded, against its full count x fleet.scale. Off
 * by more than SAMPLING_DISTORTION, its latencies are those of a fleet that much larger or smaller
 * (at fleet.scale 0.01, 8 embedding replicas over three regions were simulated as 3: 37 times the
 * capacity for their load; p99 113 ms where the fleet at scale 1 reads 180 ms).
 */
export const SAMPLING_DISTORTION = 0.1;

export function samplingDistortions(s: Pick<VerdictInput, 'fleet' | 'gpu'>): { model: string; ratio: number; text: string }[] {
  if (!s.fleet?.sampled) return [];
  const scale = s.fleet.scale;
  return Object.entries(s.gpu ?? {})
    .map(([model, g]) => ({ model, g, ratio: g.replicas_full > 0 ? g.replicas / (g.replicas_full * scale) : 1 }))
    .filter((x) => Math.abs(x.ratio - 1) > SAMPLING_DISTORTION)
    .map(({ model, g, ratio }) => ({ model, ratio, text: `${model}: ${fmt(g.replicas)} replicas simulated for ${fmt(g.replicas_full * scale, 3)} (${fmt(ratio, 3)} times its share of the load's capacity, so its latencies are those of a ${ratio > 1 ? 'less' : 'more'} loaded fleet)` }));
}

/** A model's replicas waiting for KV-tier transfers this share of the measured period or more: the tiers set its pace. */
export const KV_TIER_BOUND_SHARE = 0.5;

/**
 * Models whose replicas spent half the measured period or more waiting for their KV tiers (loads
 * and swaps, the transfers still under way at the end included): a tier of 0.01 GB/s and 10 s
 * hung most requests while the report read like any other run's.
 */
function kvTierWarning(s: VerdictInput): VerdictWarning | undefined {
  const measured_s = s.duration_s - s.warmup_s;
  const bound = Object.entries(s.gpu ?? {}).flatMap(([model, g]) => {
    const waited_s = (g.kv_transfer_s ?? 0) + (g.kv_transfer_unfinished_s ?? 0);
    const share = measured_s > 0 && g.replicas > 0 ? waited_s / (g.replicas * measured_s) : 0;
    if (!(share >= KV_TIER_BOUND_SHARE)) return [];
    return [`${model}: iterations waited ${fmt(waited_s)} s for KV-tier transfers (${fmt(g.kv_transfer_unfinished_s ?? 0)} s of them still under way at the end), ${fmt(Math.min(1, share) * 100, 3)}% of its replicas' measured time`];
  });
  if (bound.length === 0) return undefined;
  return {
    code: 'kv_tier_bound',
    message: `${bound.join('; ')}: the tiers' bandwidth and latency, not the GPUs, set the pace, and prefix savings count only the fetches that ended (fleet.models.<name>.kv_tiers; docs/kv-tiers.md)`,
  };
}

const UNJUDGED_PREFIX = 'steady state not judged: ';

/**
 * Why a summary's run was too short for the steady-state test (its steady_state_unjudged
 * warning, without the prefix), or undefined when it was judged: check, plan, compare, sweep and
 * the verdict's text each read it.
 */
export function unjudgedReason(s: { verdict?: { warnings: readonly { code: string; message: string }[] } }): string | undefined {
  const w = s.verdict?.warnings.find((x) => x.code === 'steady_state_unjudged');
  return w === undefined ? undefined : w.message.startsWith(UNJUDGED_PREFIX) ? w.message.slice(UNJUDGED_PREFIX.length) : w.message;
}

/** The share of requests beyond each percentile summary.json gives. */
const QUANTILE_TAIL: Readonly<Record<string, number>> = { p50: 0.5, p90: 0.1, p99: 0.01, p999: 0.001 };

/**
 * Requests a percentile needs to be more than a draw: ten beyond it (100 for a p90, 1,000 for a
 * p99, 10,000 for a p99.9). From fewer, the figure is one of the few slowest requests: a 1-s run's
 * p99.9 of 32 requests was its second-slowest.
 */
export const REQUESTS_BEYOND_PERCENTILE = 10;

/** How many requests a percentile key (p50, p90, p99, p999) needs, or undefined for other keys. */
export function requestsNeeded(key: string): number | undefined {
  const tail = Object.hasOwn(QUANTILE_TAIL, key) ? QUANTILE_TAIL[key] : undefined;
  return tail === undefined ? undefined : Math.round(REQUESTS_BEYOND_PERCENTILE / tail);
}

/** The percentile keys (p50, p90, p99, p999) that `completed` requests are too few to measure. */
export function thinPercentileKeys(completed: number): string[] {
  return Object.keys(QUANTILE_TAIL).filter((key) => completed < requestsNeeded(key)!);
}

/** A percentile's cell marked `*` when its key is among the thin ones (a dash, no figure, is left as it is). */
export const markThin = (thinKeys: readonly string[], key: string, text: string): string => (thinKeys.includes(key) && text !== '-' ? `${text}*` : text);

/**
 * The note under a latency table whose percentiles marked `*` are too thin (the terminal's and the
 * report's), or undefined when none is.
 */
export function thinPercentileNote(completed: number): string | undefined {
  const clause = thinPercentileClause(completed, Object.keys(QUANTILE_TAIL));
  return clause === undefined ? undefined : `* ${clause}: a rough figure, not a tail (run longer)`;
}

/** "from 12 completed requests, fewer than 10 lie beyond p50, p99" for the thin ones of `keysShown`, or undefined when none is. */
function thinPercentileClause(completed: number, keysShown: readonly string[]): string | undefined {
  const keys = thinPercentileKeys(completed).filter((k) => keysShown.includes(k));
  if (keys.length === 0) return undefined;
  return `from ${fmt(completed)} completed requests, fewer than ${REQUESTS_BEYOND_PERCENTILE} lie beyond ${keys.map((k) => (k === 'p999' ? 'p99.9' : k)).join(', ')}`;
}

/**
 * The note under a by-model table (report and terminal), whose percentiles (`keysShown`) rest on
 * each model's own completed requests: the models with a thin one, or undefined when none has.
 */
export function thinPercentileNoteByModel(byModel: Readonly<Record<string, { requests: { completed: number } }>>, keysShown: readonly string[]): string | undefined {
  const clauses = Object.entries(byModel).flatMap(([name, m]) => {
    const clause = thinPercentileClause(m.requests.completed, keysShown);
    return clause === undefined ? [] : [`${name} ${clause}`];
  });
  return clauses.length === 0 ? undefined : `* ${clauses.join('; ')}: rough figures, not tails (run longer)`;
}

/**
 * Why a latency percentile of summary.json is too thin to judge by (fewer requests than
 * requestsNeeded), for the fleet's blocks (latency_ms.<block>.<p>), a model's
 * (by_model.<m>.latency_ms.<block>.<p>) and a request class's
 * (classes.by_class.<c>.latency_ms.<block>.<p>: a class of 40 requests passed a p99 budget),
 * counted on completed requests.
 */
export function thinPercentile(s: Summary, metricPath: string): string | undefined {
  // block names hold digits (e2e): [a-z_]+ once let every e2e percentile through unflagged
  const m = /^(?:(by_model|classes\.by_class)\.(.+)\.)?latency_ms\.[a-z0-9_]+\.(p50|p90|p99|p999)$/.exec(metricPath);
  if (!m) return undefined;
  const completed = m[1] === undefined ? s.requests.completed : m[1] === 'by_model' ? s.by_model?.[m[2]]?.requests.completed : s.classes?.by_class[m[2]]?.completed;
  const needed = requestsNeeded(m[3])!;
  if (completed === undefined || completed >= needed) return undefined;
  return `its percentile rests on ${fmt(completed)} completed requests, fewer than the ${fmt(needed)} that put ${REQUESTS_BEYOND_PERCENTILE} beyond it`;
}

/** Does a figure path name an error rate (requests.error_rate, a model's or a class's)? */
const isErrorRatePath = (metricPath: string): boolean => /(^|\.)error_rate$/.test(metricPath);

/**
 * Does a budget or SLO judge the errors apart (survivorsOnly's `errorsJudged`): an upper bound below
 * 1 on an error rate, one that some run could fail. `requests.error_rate >= 0` or `<= 1`, which
 * every run meets, counted, and let a station refusing most of its requests pass on the latency of
 * those it served.
 */
export const boundsErrors = (metricPath: string, op: string, bound: number): boolean => isErrorRatePath(metricPath) && (op === '<=' || op === '<') && bound < 1;

/**
 * Why a latency figure describes only the requests that survived: at least ERROR_RATE_WARNING of
 * those that ended failed, timed out or were rejected, and nothing judges the error rate
 * (`errorsJudged`: no budget or SLO names one). A station refusing 90% of its requests met a p99
 * of 700 ms on the tenth it served. Undefined for figures other than latencies.
 */
export function survivorsOnly(s: Pick<Summary, 'requests'>, metricPath: string, errorsJudged: boolean): string | undefined {
  if (errorsJudged || !/(^|\.)latency_ms\./.test(metricPath)) return undefined;
  const rate = s.requests.error_rate;
  if (typeof rate !== 'number' || rate < ERROR_RATE_WARNING) return undefined;
  return `${fmt(rate * 100, 3)}% of the requests that ended failed, timed out or were rejected, so the latency describes only those that survived (add an upper bound below 1 on requests.error_rate to judge the errors apart)`;
}

/**
 * The sampling distortion a figure of summary.json carries, if any: one of a distorted model's own
 * (a path naming it) or a fleet-wide latency, which pools every model's requests.
 */
export function samplingDistortionOf(s: Pick<VerdictInput, 'fleet' | 'gpu'>, metricPath: string): string | undefined {
  const hit = samplingDistortions(s).filter((d) => metricPath.startsWith('latency_ms.') || metricPath.includes(`.${d.model}.`));
  return hit.length > 0 ? `the fleet was sampled off its share (${hit.map((d) => d.text).join('; ')})` : undefined;
}

function samplingWarning(s: VerdictInput): VerdictWarning | undefined {
  if (!s.fleet?.sampled) return undefined;
  const step = round(1 / s.fleet.scale);
  const clusters = Object.entries(s.gpu ?? {}).map(([m, g]) => `${m} ${fmt(g.replicas)} simulated for ${fmt(g.replicas_full)}`);
  const distorted = samplingDistortions(s);
  const off = distorted.length > 0 ? `. Sampled off its share: ${distorted.map((d) => d.text).join('; ')}: raise fleet.scale (or run at 1) to judge these models` : '';
  return {
    code: 'fleet_sampled',
    message: `fleet sampling: ${fmt(s.fleet.scale * 100, 3)}% of the fleet was simulated, so each simulated replica stands for ${fmt(step)} and fleet sizes resolve in steps of ${fmt(step)} replicas${clusters.length ? ` (${clusters.join(', ')})` : ''}; request counts are of the sample${off}`,
  };
}

/** The warnings of one run, in the order a reader should see them; `biases`: the served models' known biases (model-error.ts knownModelBias). */
export function runWarnings(s: VerdictInput, capacity: CapacityLoads, steady: SteadyStateFinding, biases: readonly string[] = []): VerdictWarning[] {
  const out: VerdictWarning[] = [];
  if (!s.complete) out.push({ code: 'incomplete', message: `the run stopped early (${s.stop_reason}): figures cover the simulated part only` });
  out.push(...capacityWarnings(capacity));
  if (biases.length > 0) out.push({ code: 'known_model_bias', message: `a model, GPU or weight format fleetsim is known to misjudge: ${biases.join('; ')}` });
  if (!steady.ok) out.push({ code: 'not_steady', message: `not at steady state: ${steady.reasons.join('; ')}. Latencies and request counts describe this run's length, not the system` });
  if (steady.unjudged) out.push({ code: 'steady_state_unjudged', message: `${UNJUDGED_PREFIX}${steady.unjudged}` });
  const censored = censoredWarning(s);
  if (censored) out.push(censored);
  const tiers = kvTierWarning(s);
  if (tiers) out.push(tiers);
  const answersCut = reasoningAnswersCutWarning(s);
  if (answersCut) out.push(answersCut);
  if (s.requests.error_rate >= ERROR_RATE_WARNING) out.push({ code: 'errors', message: `${fmt(s.requests.error_rate * 100, 3)}% of the requests that ended failed, timed out or were rejected (requests.error_rate: of those completed, failed, timed out or rejected; those still in flight are not counted)` });
  const sampled = samplingWarning(s);
  if (sampled) out.push(sampled);
  const spot = spotWarning(s.purchase);
  if (spot) out.push(spot);
  return out;
}
