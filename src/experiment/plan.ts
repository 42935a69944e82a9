import { boundsErrors, samplingDistortionOf, survivorsOnly, unjudgedReason } from '../results/verdict.ts';
import { UserError } from '../errors.ts';
import { excerpt } from '../util/excerpt.ts';
import { notOneFigure, resolveMetric } from '../results/metric-path.ts';
import { NOT_ROUNDING_TO_ZERO, parseDecimal, roundsToZero } from '../util/decimal.ts';
import type { Summary } from '../results/summary.ts';
import type { WindowRow } from '../metrics/timeseries.ts';
import { describePoint, formatValue, indexOf, pointAt, type Knob, type KnobValue } from './grid.ts';
import type { Runner, RunOutput } from './parallel.ts';
import { finishPoint, planSweep, type Sweep, type SweepInput, type SweepMeta } from './sweep.ts';
import { identity, resolvedStep, resolveKnob, type Resolution } from './resolution.ts';
import type { Scenario } from '../scenario/schema.ts';
import { prepare } from '../scenario/prepare.ts';
import { summaryShape } from './simulate.ts';

/**
 * `fleetsim plan`: the cheapest configuration that meets every SLO with confidence.
 *
 * Knobs given as ranges (`lo..hi:step`) are monotone: more of them (replicas, servers) never
 * makes an SLO metric worse, and never makes the objective cheaper. Under that assumption the
 * feasible values of one knob, the others fixed, are an upper interval, found by bisection in
 * about log2(values) evaluations. Knobs given as lists (GPU type, tensor parallelism, batch
 * limits) are categorical: every combination of them is searched separately (a grid).
 *
 * Per combination: evaluate every monotone knob at its top value (infeasible there: nothing in
 * the range helps); then lower one knob at a time to its smallest feasible value by bisection,
 * the others held (for several monotone knobs, every order of them when there are at most three,
 * else the given order and its reverse). The result is the cheapest feasible point evaluated.
 * With one monotone knob per combination, or SLOs that each depend on one knob (a model's
 * latency on that model's GPUs), this is the optimum; otherwise it is a minimal configuration
 * (no knob can be lowered alone), and a sweep shows the trade-off.
 *
 * The assumption is checked on what was evaluated anyway: two evaluated points where one has at
 * least as much of every monotone knob, and is infeasible, or worse on an SLO metric beyond the
 * noise, or cheaper, while the other is not, give a warning.
 *
 * Feasible with confidence: with replications, the whole 95% CI of every SLO metric is on the
 * right side of its bound; with one replication, the point value is.
 */

export type SloOp = '<=' | '<' | '>=' | '>';

export interface Slo {
  text: string;
  path: string;
  op: SloOp;
  bound: number;
}

const SLO_EXPECTED = "expected metric<=value, metric<value, metric>=value or metric>value, e.g. 'by_model.gpt-4.latency_ms.ttft.p99<=2000'";

export function parseSlo(text: string): Slo {
  const m = /^\s*([^<>=\s][^<>=]*?)\s*(<=|>=|<|>)\s*([^<>=]+?)\s*$/.exec(text);
  if (!m) throw new UserError(`--slo ${excerpt(text)}: ${SLO_EXPECTED}`);
  const bound = parseDecimal(m[3]); // not 0x10, read by Number() as 16
  if (Number.isNaN(bound)) throw new UserError(`--slo ${excerpt(text)}: expected a decimal number after ${m[2]}, got "${excerpt(m[3])}"`);
  if (roundsToZero(m[3])) throw new UserError(`--slo ${excerpt(text)}: expected ${NOT_ROUNDING_TO_ZERO} after ${m[2]}, got ${excerpt(m[3])}`);
  return { text, path: m[1], op: m[2] as SloOp, bound };
}

/** Does `x` satisfy the bound? */
const satisfies = (op: SloOp, x: number, b: number) => (op === '<=' ? x <= b : op === '<' ? x < b : op === '>=' ? x >= b : x > b);
/** Smaller is better for upper bounds. */
const lowerIsBetter = (op: SloOp) => op === '<=' || op === '<';

export interface SloCheck {
  slo: string;
  value: number | null;
  ci95?: [number, number];
  met: boolean;
  /** Why it is not met (empty when met). */
  reason: string;
}

export interface Evaluation {
  /** Grid index of the configuration. */
  point: number;
  values: KnobValue[];
  /** Index of its combination of categorical knobs. */
  combo: number;
  /** Why it was tried. */
  step: string;
  complete: boolean;
  checks: SloCheck[];
  objective: number | null;
  feasible: boolean;
  /** "meets every SLO" or the rejection reasons. */
  verdict: string;
  /** Absent for an invalid configuration (nothing was simulated). */
  summary?: Summary;
  timeseries?: WindowRow[];
}

export interface PlanResult {
  meta: SweepMeta;
  knobs: Knob[];
  slos: Slo[];
  minimize: string;
  /** In search order: combinations by index, evaluations within one in the order they were made. */
  evaluations: Evaluation[];
  best?: Evaluation;
  warnings: string[];
  /** Range knobs that fleet sampling or the scenario's constraints make coarser than their step. */
  resolution: KnobResolutionNote[];
}

export interface PlanInput extends SweepInput {
  slos: readonly string[];
  minimize?: string;
}

const fmtNum = (x: number | null | undefined) => (x === null || x === undefined ? 'null' : String(Number(x.toPrecision(6))));

/** Checks one SLO on a (possibly replicated) summary. Unknown paths are user errors. */
export function checkSlo(slo: Slo, summary: Summary, replications: number): SloCheck {
  const res = resolveMetric(summary, slo.path);
  if (!res.ok) throw new UserError(`--slo ${excerpt(slo.text)}: ${res.message}`);
  if (res.value !== null && typeof res.value !== 'number') {
    // a string or boolean field (scenario, complete) was called "a block of figures"
    const { kind, example } = notOneFigure(res.value);
    throw new UserError(`--slo ${excerpt(slo.text)}: ${excerpt(slo.path)} is ${kind}, not one figure${example !== undefined ? ` (e.g. ${excerpt(`${slo.path}.${example}`)})` : ''}`);
  }
  const value = res.value as number | null;
  if (value === null) return { slo: slo.text, value, met: false, reason: `${slo.path} has no data (null)` };
  const ci = replications > 1 ? res.ci95 : undefined;
  // The side of the interval that must clear the bound.
  const edge = ci ? (lowerIsBetter(slo.op) ? ci[1] : ci[0]) : value;
  const sampled = samplingDistortionOf(summary, slo.path);
  if (satisfies(slo.op, edge, slo.bound) && sampled) return { slo: slo.text, value, ...(ci ? { ci95: ci } : {}), met: false, reason: `${slo.path} = ${fmtNum(value)} meets ${fmtNum(slo.bound)}, but ${sampled}: raise fleet.scale to judge it` };
  if (satisfies(slo.op, edge, slo.bound)) return { slo: slo.text, value, ...(ci ? { ci95: ci } : {}), met: true, reason: '' };
  const reason = !satisfies(slo.op, value, slo.bound)
    ? `${slo.path} = ${fmtNum(value)}${ci ? ` [${fmtNum(ci[0])}, ${fmtNum(ci[1])}]` : ''}, not ${slo.op} ${fmtNum(slo.bound)}`
    : `${slo.path} = ${fmtNum(value)} but its 95% CI [${fmtNum(ci![0])}, ${fmtNum(ci![1])}] reaches past ${fmtNum(slo.bound)} (not met with confidence)`;
  return { slo: slo.text, value, ...(ci ? { ci95: ci } : {}), met: false, reason };
}

function permutations<T>(xs: readonly T[]): T[][] {
  if (xs.length <= 1) return [xs.slice()];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
}

/**
 * A --minimize this plan takes, for the refusal's example: the monthly cost where the summary has
 * one (a fleet), else a numeric --vary path (a station network has no cost, and cost.monthly_usd,
 * the default, was once suggested by the very refusal of it), else the end-to-end mean latency.
 */
function objectiveExample(knobs: readonly Knob[], summary: Summary): string {
  if (resolveMetric(summary, 'cost.monthly_usd').ok) return 'cost.monthly_usd';
  const numeric = knobs.find((k) => k.numeric);
  return numeric ? numeric.path : 'latency_ms.e2e.mean';
}

/** The objective of a run: a figure of its summary, or the value of a numeric knob of the same path. */
function objectiveFunction(knobs: readonly Knob[], minimize: string): (summary: Summary, values: readonly KnobValue[]) => number | null {
  return (summary, values) => {
    const res = resolveMetric(summary, minimize);
    if (res.ok) {
      if (res.value === null || typeof res.value === 'number') return res.value;
      throw new UserError(`--minimize ${excerpt(minimize)}: ${notOneFigure(res.value).kind}, not one figure`);
    }
    const j = knobs.findIndex((k) => k.path === minimize);
    if (j >= 0 && typeof values[j] === 'number') return values[j] as number;
    throw new UserError(`--minimize ${excerpt(minimize)}: ${res.message}; expected a figure of summary.json or a numeric --vary path (e.g. ${objectiveExample(knobs, summary)})`);
  };
}

/**
 * The served fraction (verdict.steady_state.served_fraction) below which a run that fails the
 * steady-state trend test is falling behind its load, not fluctuating. In 40-s runs of the
 * fleet-plan fixture (test/experiment/fixtures/fleet-plan-two-models.yaml, 2026-12-04), runs that
 * kept up served 0.965-1.08 of the arrivals of their last 15 s, some with the trend test failing
 * (the same configurations were steady over 200 s, serving 0.988-0.994); two completions replicas
 * offered 28-30 requests/s, overloaded, served 0.84-0.86.
 */
export const KEEPS_UP_SERVED_FRACTION = 0.95;

/** Why a run falling behind its load meets no SLO: its p99 holds only for the run's length (undefined: it keeps up). */
export function fallingBehind(steady: Summary['verdict']['steady_state']): string | undefined {
  // a run too short for the trend test reads "ok": tooShortToJudge refuses it (such a run served
  // 34% of its arrivals and was chosen as meeting a TTFT p99 it misses 20 times over at length)
  if (steady.ok || steady.served_fraction == null || steady.served_fraction >= KEEPS_UP_SERVED_FRACTION) return undefined;
  return `not steady: the queue grows, ${(100 * steady.served_fraction).toFixed(1)}% of arrivals served in the second half of the run (verdict.steady_state)`;
}

/**
 * A run too short for the steady-state trend test cannot show that it meets an SLO: a latency
 * measured while a backlog grows measures the run's length (verdict steady_state_unjudged).
 */
export function tooShortToJudge(summary: Summary): string | undefined {
  const unjudged = unjudgedReason(summary);
  return unjudged ? `too short to judge: ${unjudged}` : undefined;
}

/**
 * The lowest candidate value of monotone knob m that meets the SLOs, the other knobs as in x:
 * x[m] (a candidate index) meets them; values below the candidates are taken to fail.
 */
async function bisect(knob: Knob, m: number, candidates: readonly number[], x: readonly number[], evaluate: (probe: number[], why: string) => Promise<Evaluation>): Promise<number> {
  const v = knob.values;
  let lo = -1; // below the range: infeasible by assumption
  let hi = candidates.indexOf(x[m]); // feasible
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    const probe = x.slice();
    probe[m] = candidates[mid];
    const why = `bisection on ${knob.path} between ${lo < 0 ? 'below ' + formatValue(v[candidates[0]]) : formatValue(v[candidates[lo]])} (fails) and ${formatValue(v[candidates[hi]])} (meets)`;
    if ((await evaluate(probe, why)).feasible) hi = mid;
    else lo = mid;
  }
  return candidates[hi];
}

/** The feasible evaluation of lowest objective; ties to the lower point index. */
function cheapestFeasible(evaluations: readonly Evaluation[]): Evaluation | undefined {
  let best: Evaluation | undefined;
  for (const e of evaluations) {
    if (!e.feasible || e.objective === null) continue;
    if (!best || e.objective < best.objective! || (e.objective === best.objective && e.point < best.point)) best = e;
  }
  return best;
}

/**
 * Refuses a knob of fractional numbers over a field that takes whole numbers, as a sweep does
 * (checkPoints: every point validated). A range: bisection read its refused fractional values as
 * failing and answered 29 of `servers=8..32:0.5`; told apart from a value too small to take (which
 * rightly reads as failing) by the whole value just above the fraction being taken. A list
 * (`servers=8,8.5,9`), whose refused values a plan otherwise passes over as rejected
 * configurations: its first fraction, where its first whole number is taken.
 */
function checkFractionalSteps(sw: Sweep): void {
  // the other knobs where a plan starts, range knobs at their largest value
  const start = sw.knobs.map((k) => (k.kind === 'range' ? k.values.length - 1 : 0));
  sw.knobs.forEach((knob, j) => {
    const pointWith = (i: number) => indexOf(sw.knobs, start.map((n, m) => (m === j ? i : n)));
    const v = knob.values;
    if (knob.kind === 'range') {
      let whole = v.length - 1; // the largest whole value after a fraction
      while (whole > 0 && !(Number.isInteger(v[whole]) && !Number.isInteger(v[whole - 1]))) whole--;
      if (whole > 0) refuseFractionWhereWholeTaken(sw, pointWith(whole), pointWith(whole - 1));
      return;
    }
    const fraction = v.findIndex((x) => typeof x === 'number' && !Number.isInteger(x));
    const whole = v.findIndex((x) => typeof x === 'number' && Number.isInteger(x));
    if (fraction >= 0 && whole >= 0) refuseFractionWhereWholeTaken(sw, pointWith(whole), pointWith(fraction));
  });
}

/** Builds the point with the fraction, so that its refusal (the sweep's message, naming --vary and the field) stands, when the point with the whole number is taken. */
function refuseFractionWhereWholeTaken(sw: Sweep, wholePoint: number, fractionPoint: number): void {
  try {
    sw.scenario(wholePoint);
  } catch (e) {
    if (e instanceof UserError) return; // refused whole too: not a matter of fractions
    throw e;
  }
  sw.scenario(fractionPoint);
}

/** Plans on the runner; see the file header. */
export async function runPlan(input: PlanInput, runner: Runner, onEvaluation?: (e: Evaluation) => void): Promise<PlanResult> {
  const slos = input.slos.map(parseSlo);
  if (slos.length === 0) throw new UserError(`--slo: expected at least one, ${SLO_EXPECTED}`);
  if ((input.vary ?? []).length === 0) throw new UserError('--vary: expected at least one knob to plan over, e.g. --vary topology.stations.api.servers=1..64:1');
  const sw = planSweep({ ...input, search: 'bisect' });
  checkFractionalSteps(sw);
  const { knobs, meta } = sw;
  const minimize = input.minimize ?? 'cost.monthly_usd';
  const monotone = knobs.map((k, j) => (k.kind === 'range' ? j : -1)).filter((j) => j >= 0);
  const categorical = knobs.map((k, j) => (k.kind === 'list' ? j : -1)).filter((j) => j >= 0);
  const combos = categorical.reduce((n, j) => n * knobs[j].values.length, 1);

  const objectiveOf = objectiveFunction(knobs, minimize);

  // A misspelt SLO or objective fails now, with a suggestion, not after the first simulation.
  const shape = summaryShape(prepare({ scenario: sw.scenario(0), file: sw.file, dir: sw.dir, roots: sw.roots }), meta.seed);
  if (shape) {
    // Stages appear in by_stage only once a request has passed them: checked after each run.
    for (const slo of slos) if (!slo.path.startsWith('by_stage.')) checkSlo(slo, shape, 1);
    if (!minimize.startsWith('by_stage.')) objectiveOf(shape, pointAt(knobs, 0).values);
  }

  const cache = new Map<number, Promise<Evaluation>>();
  const evaluate = (idx: number[], combo: number, step: string, log: Evaluation[]): Promise<Evaluation> => {
    const k = indexOf(knobs, idx);
    let p = cache.get(k);
    if (!p) {
      p = evaluatePoint(sw, runner, k, combo, step, slos, objectiveOf).then((e) => {
        log.push(e);
        onEvaluation?.(e);
        return e;
      });
      cache.set(k, p);
    }
    return p;
  };

  const orders = monotone.length <= 3 ? permutations(monotone) : [monotone, [...monotone].reverse()];
  const resolutions = new Map<number, Map<number, Resolution>>();
  const searchCombo = async (combo: number): Promise<Evaluation[]> => {
    const log: Evaluation[] = [];
    const idx = comboIndices(knobs, categorical, combo);
    // Range knobs are bisected over the distinct simulations they make (resolution.ts).
    const res = resolveMonotone(sw, knobs, monotone, idx);
    resolutions.set(combo, res);
    const candidates = (m: number) => res.get(m)!.candidates;
    if (monotone.some((m) => candidates(m).length === 0)) {
      // No value of some range knob is a configuration the scenario takes: the top one says why.
      for (const j of monotone) idx[j] = knobs[j].values.length - 1;
      await evaluate(idx, combo, 'every monotone knob at its largest value', log);
      return log;
    }
    for (const j of monotone) idx[j] = candidates(j)[candidates(j).length - 1];
    const top = await evaluate(idx, combo, monotone.length > 0 ? 'every monotone knob at its largest value' : 'grid', log);
    if (!top.feasible || monotone.length === 0) return log;
    for (const order of orders) {
      const x = idx.slice();
      for (const m of order) x[m] = await bisect(knobs[m], m, candidates(m), x, (probe, why) => evaluate(probe, combo, why, log));
    }
    return log;
  };

  const logs = await Promise.all(Array.from({ length: combos }, (_, c) => searchCombo(c)));
  const evaluations = logs.flat();
  const best = cheapestFeasible(evaluations);
  const warnings = checkMonotonicity(knobs, monotone, slos, evaluations, minimize);
  const resolution = describeResolution(knobs, resolutions, evaluations, best);
  warnings.push(...resolution.map(resolutionText));
  return { meta, knobs, slos, minimize, evaluations, best, warnings, resolution };
}

/** Value indices of combination `combo`'s list knobs (last fastest, as in the grid); range knobs at 0. */
function comboIndices(knobs: readonly Knob[], categorical: readonly number[], combo: number): number[] {
  const idx = new Array<number>(knobs.length).fill(0);
  let rest = combo;
  for (let c = categorical.length - 1; c >= 0; c--) {
    const j = categorical[c];
    idx[j] = rest % knobs[j].values.length;
    rest = Math.floor(rest / knobs[j].values.length);
  }
  return idx;
}

/** The resolution of each range knob in one combination, read from its scenario with the range knobs left as the document has them. */
function resolveMonotone(sw: Sweep, knobs: readonly Knob[], monotone: readonly number[], idx: readonly number[]): Map<number, Resolution> {
  let sc: Scenario | undefined;
  try {
    sc = sw.scenarioWithout(indexOf(knobs, idx), monotone);
  } catch (e) {
    // The combination itself is refused: every point of it will say why when evaluated.
    if (!(e instanceof UserError)) throw e;
  }
  return new Map(monotone.map((j) => [j, sc ? resolveKnob(knobs[j], sc) : identity(knobs[j])]));
}

/** Knobs the simulation resolves more coarsely than their step, and what the chosen value stands for. */
export interface KnobResolutionNote {
  path: string;
  /** The step given on the command line. */
  step: number;
  /** The mean spacing of the distinct simulations (the step really resolved). */
  resolved_step: number | null;
  /** Distinct simulations among the values given. */
  simulations: number;
  values: number;
  why: string;
  /** For the chosen configuration: the values that simulate exactly as it does, and the next smaller simulation when it was tried and failed. */
  chosen?: { value: KnobValue; same_as: [KnobValue, KnobValue]; simulated: string; next_smaller?: [KnobValue, KnobValue] };
}

/** One sentence: the step given, the step resolved, and the range the chosen value stands for. */
export function resolutionText(n: KnobResolutionNote): string {
  const fmt = (x: KnobValue) => (typeof x === 'number' ? x.toLocaleString('en-US') : formatValue(x));
  const head = `resolution: ${n.path} is resolved in steps of about ${n.resolved_step === null ? '(one value)' : fmt(n.resolved_step)}, not ${fmt(n.step)} (${n.why}): its ${fmt(n.values)} values make ${fmt(n.simulations)} distinct simulations`;
  if (!n.chosen) return head;
  const c = n.chosen;
  const below = c.next_smaller ? `; the next smaller simulation (${fmt(c.next_smaller[0])}-${fmt(c.next_smaller[1])}) fails` : '';
  return `${head}; the chosen ${fmt(c.value)} (${c.simulated}) stands for every value from ${fmt(c.same_as[0])} to ${fmt(c.same_as[1])}${below}`;
}

function describeResolution(knobs: readonly Knob[], resolutions: ReadonlyMap<number, ReadonlyMap<number, Resolution>>, evaluations: readonly Evaluation[], best: Evaluation | undefined): KnobResolutionNote[] {
  const notes = new Map<string, KnobResolutionNote>();
  for (const [combo, perKnob] of resolutions) {
    for (const [j, r] of perKnob) {
      if (r.why === '') continue;
      const k = knobs[j];
      const v = k.values as number[];
      const note: KnobResolutionNote = notes.get(k.path) ?? { path: k.path, step: v.length > 1 ? Number((v[1] - v[0]).toPrecision(12)) : 0, resolved_step: resolvedStep(k, r) ?? null, simulations: r.candidates.length, values: v.length, why: r.why };
      notes.set(k.path, note);
      if (!best || best.combo !== combo) continue;
      const c = r.candidates.indexOf(v.indexOf(best.values[j] as number));
      if (c < 0) continue;
      const [from, to] = r.classes[c];
      // The simulation just below, when it was evaluated with the other knobs as chosen and failed.
      const below = c > 0 ? r.classes[c - 1] : undefined;
      const failsBelow = below && evaluations.some((e) => e.combo === combo && !e.feasible && e.values.every((x, i) => (i === j ? x === v[r.candidates[c - 1]] : x === best.values[i])));
      note.chosen = { value: best.values[j], same_as: [v[from], v[to]], simulated: r.simulated(r.candidates[c]), ...(below && failsBelow ? { next_smaller: [v[below[0]], v[below[1]]] as [KnobValue, KnobValue] } : {}) };
    }
  }
  return [...notes.values()];
}

async function evaluatePoint(
  sw: Sweep,
  runner: Runner,
  k: number,
  combo: number,
  step: string,
  slos: readonly Slo[],
  objectiveOf: (s: Summary, values: readonly KnobValue[]) => number | null,
): Promise<Evaluation> {
  const R = sw.meta.replications;
  let runs: RunOutput[];
  try {
    runs = await Promise.all(Array.from({ length: R }, (_, i) => runner.run(sw.task(k, i))));
  } catch (e) {
    // A configuration the scenario cannot take (a model that does not fit on the GPUs at this
    // tensor parallelism, a value the schema rejects) is a rejected candidate, not the end of the plan.
    if (!(e instanceof UserError)) throw e;
    const values = pointAt(sw.knobs, k).values;
    const checks = slos.map((s) => ({ slo: s.text, value: null, met: false, reason: '' }));
    return { point: k, values, combo, step, complete: false, checks, objective: null, feasible: false, verdict: `invalid configuration: ${e.message}` };
  }
  const p = finishPoint(sw.knobs, k, runs);
  const checks = slos.map((s) => checkSlo(s, p.summary, R));
  const objective = objectiveOf(p.summary, p.values);
  const complete = p.summary.complete;
  const behind = fallingBehind(p.summary.verdict.steady_state) ?? tooShortToJudge(p.summary);
  const reasons = [
    ...(complete ? [] : [`the run stopped early (${p.summary.engine.stop_reason})`]),
    ...checks.filter((c) => !c.met).map((c) => c.reason),
    ...(behind ? [behind] : []),
    ...survivorLatencies(slos, p.summary),
  ];
  const feasible = reasons.length === 0;
  return {
    point: k,
    values: pointAt(sw.knobs, k).values,
    combo,
    step,
    complete,
    checks,
    objective,
    feasible,
    verdict: feasible ? 'meets every SLO' : reasons.join('; '),
    summary: p.summary,
    timeseries: p.timeseries,
  };
}

/**
 * A latency SLO met by the requests that survived is not met: with no SLO on an error rate, a point
 * whose errors reach the verdict's warning (1%) fails its latency SLOs (a station refusing 90% of
 * its requests was chosen as meeting a p99 of 700 ms on the tenth it served).
 */
function survivorLatencies(slos: readonly Slo[], summary: Summary): string[] {
  const errorsJudged = slos.some((s) => boundsErrors(s.path, s.op, s.bound));
  const hit = slos.find((s) => survivorsOnly(summary, s.path, errorsJudged) !== undefined);
  return hit ? [`${hit.path}: ${survivorsOnly(summary, hit.path, errorsJudged)}`] : [];
}

/** Relative tolerance for an SLO metric moving the wrong way between two single-replication points (noise). */
const SINGLE_RUN_TOLERANCE = 0.1;

/** Warnings for evaluated pairs that contradict the monotonicity assumption (see the file header). */
export function checkMonotonicity(knobs: readonly Knob[], monotone: readonly number[], slos: readonly Slo[], evals: readonly Evaluation[], minimize: string): string[] {
  if (monotone.length === 0) return [];
  const idxOf = (e: Evaluation) => knobs.map((k, j) => k.values.indexOf(e.values[j]));
  const out = new Set<string>();
  const ix = evals.map(idxOf);
  for (let a = 0; a < evals.length; a++) {
    for (let b = 0; b < evals.length; b++) {
      const A = evals[a];
      const B = evals[b];
      if (a === b || A.combo !== B.combo || !A.summary || !B.summary) continue;
      // B has at least as much of every monotone knob as A, and more of one.
      if (!monotone.every((j) => ix[b][j] >= ix[a][j]) || !monotone.some((j) => ix[b][j] > ix[a][j])) continue;
      const more = monotone.filter((j) => ix[b][j] > ix[a][j]).map((j) => knobs[j].path).join(', ');
      const pair = `${describePoint(knobs, A.values)} vs ${describePoint(knobs, B.values)}`;
      if (A.feasible && !B.feasible) out.add(`monotonicity: more of ${more} fails the SLOs where less meets them (${pair}); the bisection may have missed cheaper configurations`);
      slos.forEach((s, n) => {
        const ca = A.checks[n];
        const cb = B.checks[n];
        if (ca.value === null || cb.value === null) return;
        const sign = lowerIsBetter(s.op) ? 1 : -1;
        const worse = sign * (cb.value - ca.value) > 0;
        if (!worse) return;
        const beyondNoise =
          ca.ci95 && cb.ci95
            ? lowerIsBetter(s.op)
              ? cb.ci95[0] > ca.ci95[1]
              : cb.ci95[1] < ca.ci95[0]
            : Math.abs(cb.value - ca.value) > SINGLE_RUN_TOLERANCE * Math.max(Math.abs(ca.value), Math.abs(cb.value));
        if (beyondNoise) out.add(`monotonicity: ${s.path} is worse with more of ${more} (${fmtNum(ca.value)} -> ${fmtNum(cb.value)}, ${pair}); is ${more} really monotone?`);
      });
      if (A.objective !== null && B.objective !== null && B.objective < A.objective) {
        out.add(`monotonicity: ${minimize} falls as ${more} grows (${fmtNum(A.objective)} -> ${fmtNum(B.objective)}, ${pair}); bisection toward the smallest value assumes more costs more`);
      }
    }
  }
  return [...out];
}
