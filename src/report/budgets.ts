import { BudgetsFileSchema, MAX_BUDGETS, type Budget, type BudgetOp } from '../scenario/budget-schema.ts';
import { UserError } from '../errors.ts';
import { escapeControls, excerpt, quote } from '../util/excerpt.ts';
import { describeIssue } from '../util/format-issue.ts';
import { notOneFigure, resolveMetric } from '../results/metric-path.ts';
import { markdownTable } from './tables.ts';
import { fmt } from './table.ts';
import type { Summary } from '../results/summary.ts';
import { boundsErrors, samplingDistortionOf, survivorsOnly, thinPercentile, unjudgedReason } from '../results/verdict.ts';

/**
 * Latency (and any other) budgets on summary.json figures, for `fleetsim check`.
 *
 * A budget is `{ metric, op, value }` or the string `"metric op value"`; `metric` is a path into
 * summary.json (see results/metric-path.ts; model names may contain dots). With replications the verdict
 * uses the 95% confidence interval of the figure: pass when the whole interval meets the budget,
 * fail when the whole interval violates it, inconclusive otherwise.
 */

export { BUDGET_OPS, BudgetListSchema, BudgetSchema, BudgetsFileSchema, MAX_BUDGETS, type Budget, type BudgetOp } from '../scenario/budget-schema.ts';

/** Validates a parsed budgets document; errors name the file and the path (`[2].op: expected one of ...`). */
export function parseBudgets(doc: unknown, where: string): Budget[] {
  const raw = Array.isArray(doc) ? doc : doc !== null && typeof doc === 'object' ? (doc as { budgets?: unknown }).budgets : undefined;
  if (Array.isArray(raw) && raw.length > MAX_BUDGETS) {
    throw new UserError(`${where}: ${Array.isArray(doc) ? '(top level)' : 'budgets'}: expected at most ${MAX_BUDGETS} budgets, got ${raw.length}`);
  }
  const parsed = BudgetsFileSchema.safeParse(doc, { reportInput: true });
  if (!parsed.success) {
    const issues = parsed.error.issues;
    const issue = issues[0];
    // The union of "list" and "{budgets: list}": show the branch the document meant.
    let msg = describeIssue(issue);
    if (issue.code === 'invalid_union' && !Array.isArray(doc) && (doc === null || typeof doc !== 'object')) {
      msg = `expected a list of budgets (or a mapping with a budgets: list), got ${quote(doc)}`;
    }
    throw new UserError(`${where}: ${msg}`);
  }
  const list = Array.isArray(parsed.data) ? parsed.data : parsed.data.budgets;
  if (list.length === 0) throw new UserError(`${where}: expected at least one budget, got an empty list`);
  return withOrigins(list, where, Array.isArray(parsed.data) ? '' : 'budgets');
}

/** Budgets as read, each with where it was written (`file: budgets[2]`), for the messages about its metric. */
export function withOrigins(list: readonly Budget[], where: string, prefix: string): Budget[] {
  return list.map((b, i) => ({ ...b, metric: b.metric.trim(), origin: `${where}: ${prefix}[${i}]` }));
}

export type VerdictStatus = 'pass' | 'fail' | 'inconclusive';

export interface Verdict {
  budget: Budget;
  status: VerdictStatus;
  /** The figure (the mean over replications). */
  value: number | null;
  ci95?: [number, number];
  /** Why, in words. */
  reason: string;
  /**
   * Inconclusive for a reason more replications will not decide (the run stopped early, is not
   * at steady state, or is too short to tell), so --allow-inconclusive does not let it through.
   */
  not_steady?: boolean;
  /** A target of the scenario's own SLOs (slo-budgets.ts), not of a budgets list. */
  kind?: 'slo';
}

/**
 * Why a figure that meets its budget still cannot pass, more replications or not: the fleet was
 * sampled off the model's share, the percentile rests on too few requests, the run stopped early
 * (it covers part of the scenario), its backlog grows (the figure measures the run's length), or
 * it is too short for the trend test (a 6-s run of a fleet 125% over capacity met a TTFT p99 of
 * 2 s that its 120-s run misses 16 times over), or the latency is of the few requests that did not
 * fail (no budget judges the error rate). `why` is the short reason the summary line gives.
 */
function blockedPass(summary: Summary, metric: string, errorsJudged: boolean): { why: string; detail: string } | undefined {
  const survivors = survivorsOnly(summary, metric, errorsJudged);
  if (survivors) return { why: 'the latency is of the requests that survived errors', detail: survivors };
  const sampled = samplingDistortionOf(summary, metric);
  if (sampled) return { why: 'the fleet was sampled off a model\'s share', detail: `${sampled}: raise fleet.scale to judge it` };
  const thin = thinPercentile(summary, metric);
  if (thin) return { why: 'a percentile rests on too few requests', detail: `${thin}: run longer (duration_s) to judge it` };
  if (!summary.complete) return { why: 'the run is incomplete', detail: `the run is incomplete (${summary.engine.stop_reason}): it covers only part of the scenario` };
  if (!summary.verdict) return undefined;
  if (!summary.verdict.steady_state.ok) return { why: 'the run is not at steady state', detail: 'the run is not at steady state (see verdict.steady_state): the figure depends on how long it ran' };
  const unjudged = unjudgedReason(summary);
  if (unjudged) return { why: 'the run is too short to tell whether it is at steady state', detail: `the run is too short to tell whether it is at steady state (${unjudged}): a growing backlog would make the figure depend on how long it ran` };
  return undefined;
}

/** Does x satisfy `x op bound`? */
export function satisfies(x: number, op: BudgetOp, bound: number): boolean {
  switch (op) {
    case '<=':
      return x <= bound;
    case '<':
      return x < bound;
    case '>=':
      return x >= bound;
    case '>':
      return x > bound;
  }
}

/** Checks that every budget names a numeric figure of `summary`; throws a UserError naming the first that does not. */
export function checkBudgetPaths(budgets: readonly Budget[], summary: Summary): void {
  for (const b of budgets) {
    const where = `${b.origin ?? 'budget'}.metric`;
    const r = resolveMetric(summary, b.metric);
    if (!r.ok) throw new UserError(`${where}: ${r.message}`);
    if (r.value !== null && typeof r.value !== 'number') {
      const { kind, example } = notOneFigure(r.value);
      const sub = example !== undefined ? Object.keys(r.value as object).filter((k) => k !== 'ci95') : [];
      throw new UserError(`${where}: ${excerpt(b.metric)} is ${kind}, not a number${sub.length > 0 ? ` (its figures: ${sub.slice(0, 8).join(', ')})` : ''}`);
    }
  }
}

/** The verdict of every budget on a summary (one run, or the mean and CIs of replications). */
export function evaluateBudgets(budgets: readonly Budget[], summary: Summary): Verdict[] {
  const replicated = summary.replications > 1;
  const errorsJudged = budgets.some((b) => boundsErrors(b.metric, b.op, b.value));
  return budgets.map((budget) => {
    const r = resolveMetric(summary, budget.metric);
    if (!r.ok || (r.value !== null && typeof r.value !== 'number')) {
      return { budget, status: 'fail', value: null, reason: r.ok ? 'not a number' : r.message };
    }
    const value = r.value as number | null;
    if (value === null) return { budget, status: 'fail', value, reason: 'no data: the figure is null (nothing was measured)' };
    const { op, value: bound } = budget;
    let status: VerdictStatus;
    let reason: string;
    if (replicated && r.ci95) {
      const [lo, hi] = r.ci95;
      const allOk = satisfies(lo, op, bound) && satisfies(hi, op, bound);
      const allBad = !satisfies(lo, op, bound) && !satisfies(hi, op, bound);
      status = allOk ? 'pass' : allBad ? 'fail' : 'inconclusive';
      reason = allOk
        ? `the whole 95% CI [${fmt(lo)}, ${fmt(hi)}] is ${op} ${fmt(bound)}`
        : allBad
          ? `the whole 95% CI [${fmt(lo)}, ${fmt(hi)}] violates ${op} ${fmt(bound)}`
          : `the 95% CI [${fmt(lo)}, ${fmt(hi)}] straddles ${fmt(bound)}: more replications may decide`;
    } else {
      status = satisfies(value, op, bound) ? 'pass' : 'fail';
      reason = `${fmt(value)} ${status === 'pass' ? 'is' : 'is not'} ${op} ${fmt(bound)}`;
    }
    const blocked = status === 'pass' ? blockedPass(summary, budget.metric, errorsJudged) : undefined;
    const notSteady = blocked !== undefined;
    if (blocked) {
      status = 'inconclusive';
      reason = `${reason}, but ${blocked.detail}`;
    }
    return { budget, status, value, ...(r.ci95 && replicated ? { ci95: r.ci95 } : {}), reason, ...(notSteady ? { not_steady: true } : {}) };
  });
}

export interface CheckOutcome {
  verdicts: Verdict[];
  passed: number;
  failed: number;
  inconclusive: number;
  /**
   * 0 all pass (or inconclusive allowed), 1 any fail, or inconclusive not allowed, or
   * inconclusive because the run stopped early, is not at steady state or is too short to tell
   * (never allowed).
   */
  exitCode: 0 | 1;
  status: 'PASS' | 'FAIL' | 'INCONCLUSIVE';
}

export function outcome(verdicts: Verdict[], allowInconclusive: boolean): CheckOutcome {
  const passed = verdicts.filter((v) => v.status === 'pass').length;
  const failed = verdicts.filter((v) => v.status === 'fail').length;
  const inconclusive = verdicts.filter((v) => v.status === 'inconclusive').length;
  const notSteady = verdicts.some((v) => v.not_steady);
  const status = failed > 0 ? 'FAIL' : inconclusive > 0 ? 'INCONCLUSIVE' : 'PASS';
  const exitCode = failed > 0 || (inconclusive > 0 && (!allowInconclusive || notSteady)) ? 1 : 0;
  return { verdicts, passed, failed, inconclusive, exitCode, status };
}

const budgetText = (b: Budget) => `${b.metric} ${b.op} ${fmt(b.value)}`;
/** A verdict's name in the notes and the JUnit file: an SLO target's says whose SLO it is. */
const verdictName = (v: Verdict) => `${v.kind === 'slo' && v.budget.name ? `${v.budget.name}: ` : ''}${budgetText(v.budget)}`;

/** The verdict's warnings that undermine any pass (a system refusing, dropping or not finishing its load), shown beside the verdict. */
const LOAD_WARNINGS: readonly string[] = ['over_capacity', 'over_capacity_at_peak', 'errors', 'censored'];

function loadWarnings(s: Summary): string {
  const hits = (s.verdict?.warnings ?? []).filter((w) => LOAD_WARNINGS.includes(w.code));
  return hits.length === 0 ? '' : ` **Warnings:** ${hits.map((w) => escapeControls(w.message)).join('; ')}.`;
}

/** The Markdown summary printed by `fleetsim check` (fits a pull request or $GITHUB_STEP_SUMMARY). */
export function checkMarkdown(o: CheckOutcome, s: Summary, opts: { budgetsFrom: string; allowInconclusive: boolean; sloTargets?: number; notGated?: string }): string {
  const reps = s.replications > 1 ? `${s.replications} replications (seeds ${s.seed}..${s.seed + s.replications - 1}), verdicts on 95% CIs` : `1 run (seed ${s.seed})`;
  const notSteady = o.verdicts.some((v) => v.not_steady);
  const allowed = opts.allowInconclusive && !notSteady;
  const blockedBy = o.verdicts.find((v) => v.not_steady);
  const errorsJudged = o.verdicts.some((v) => boundsErrors(v.budget.metric, v.budget.op, v.budget.value));
  const why = blockedBy ? blockedPass(s, blockedBy.budget.metric, errorsJudged)?.why ?? '' : '';
  const counts = `${o.passed} passed, ${o.failed} failed, ${o.inconclusive} inconclusive${o.inconclusive > 0 ? (allowed ? ' (allowed)' : notSteady ? ` (${why}: counts as a failure)` : ' (not allowed: counts as a failure)') : ''}`;
  const slos = opts.sloTargets ? `${opts.sloTargets} SLO target${opts.sloTargets === 1 ? '' : 's'} of the scenario` : '';
  const sources = [opts.budgetsFrom ? `budgets from ${opts.budgetsFrom}` : '', slos].filter(Boolean).join(' and ');
  const unjudged = unjudgedReason(s);
  const steady = s.verdict && !s.verdict.steady_state.ok
    ? ` **The run is not at steady state:** ${s.verdict.steady_state.reasons.map(escapeControls).join('; ')}.`
    : unjudged ? ` **The run is too short to judge steady state:** ${escapeControls(unjudged)}.` : '';
  const rows = o.verdicts.map((v) => [
    v.status === 'pass' ? 'pass' : v.status === 'fail' ? '**FAIL**' : '**inconclusive**',
    `\`${v.budget.metric}\`${v.budget.name ? ` (${escapeControls(v.budget.name)})` : ''}`,
    `${v.budget.op} ${fmt(v.budget.value)}`,
    fmt(v.value),
    v.ci95 ? `[${fmt(v.ci95[0])}, ${fmt(v.ci95[1])}]` : '',
  ]);
  const lines = [
    `## fleetsim check: ${s.scenario}: ${o.status}`,
    '',
    `${counts}. ${reps}, ${s.duration_s} s simulated, ${sources}.${opts.notGated ? ` **Not gated:** ${escapeControls(opts.notGated)}.` : ''}${s.complete ? '' : ` **The run is incomplete (${s.engine.stop_reason}).**`}${steady}${loadWarnings(s)}`,
    '',
    markdownTable(['verdict', 'metric', 'budget', 'value', '95% CI'], rows),
  ];
  const notes = o.verdicts.filter((v) => v.status !== 'pass');
  if (notes.length > 0) {
    lines.push('');
    for (const v of notes) lines.push(`- ${v.status}: \`${verdictName(v)}\`: ${v.reason}`);
  }
  return `${lines.join('\n')}\n`;
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');

/** How every JUnit file of fleetsim check begins (checkJunit, errorJunit). */
const JUNIT_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="fleetsim check"';

/** What `check --junit` may replace: a JUnit file it wrote, not a user's notes.md (writeFileAtomic). */
export const JUNIT_REPORT = { name: 'a JUnit report of fleetsim check', ours: (text: string) => text.startsWith(JUNIT_HEAD) };

/** JUnit XML (the Surefire/Jenkins flavour GitHub, GitLab and Jenkins read): one test case per budget and per SLO target. */
export function checkJunit(o: CheckOutcome, s: Summary, opts: { allowInconclusive: boolean; wall_s: number; timestamp?: string }): string {
  const suite = `fleetsim check: ${s.scenario}`;
  // Inconclusive on a run stopped early, not at steady state or too short to tell is never skipped: it fails the suite.
  const skippable = (v: Verdict) => opts.allowInconclusive && v.status === 'inconclusive' && !v.not_steady;
  const skipped = o.verdicts.filter(skippable).length;
  const failures = o.failed + o.inconclusive - skipped;
  const cases = o.verdicts.map((v) => {
    const name = xml(verdictName(v));
    const detail = xml(`${v.budget.metric} = ${fmt(v.value)}${v.ci95 ? ` (95% CI [${fmt(v.ci95[0])}, ${fmt(v.ci95[1])}])` : ''}: ${v.reason}`);
    const head = `    <testcase classname="fleetsim.check.${xml(s.scenario)}" name="${name}" time="0">`;
    if (v.status === 'pass') return `${head}\n      <system-out>${detail}</system-out>\n    </testcase>`;
    if (v.status === 'fail') return `${head}\n      <failure type="${v.kind ?? 'budget'}" message="${detail}">${detail}</failure>\n    </testcase>`;
    return skippable(v)
      ? `${head}\n      <skipped message="inconclusive: ${detail}"/>\n    </testcase>`
      : `${head}\n      <failure type="inconclusive" message="inconclusive: ${detail}">${detail}</failure>\n    </testcase>`;
  });
  const props = [
    ['scenario', s.scenario],
    ['scenario_file', s.scenario_file],
    ['seed', String(s.seed)],
    ['replications', String(s.replications)],
    ['complete', String(s.complete)],
    ['fleetsim_version', s.fleetsim_version],
  ]
    .map(([k, v]) => `      <property name="${k}" value="${xml(v)}"/>`)
    .join('\n');
  const t = opts.wall_s.toFixed(3);
  return `${JUNIT_HEAD} tests="${o.verdicts.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${t}">
  <testsuite name="${xml(suite)}" tests="${o.verdicts.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${t}"${opts.timestamp ? ` timestamp="${opts.timestamp}"` : ''}>
    <properties>
${props}
    </properties>
${cases.join('\n')}
  </testsuite>
</testsuites>
`;
}

/** JUnit XML for input that could not be checked (bad budgets file, scenario, metric): one errored test case. */
export function errorJunit(scenarioFile: string, message: string): string {
  const m = xml(message);
  return `${JUNIT_HEAD} tests="1" failures="0" errors="1" skipped="0" time="0">
  <testsuite name="fleetsim check: ${xml(scenarioFile)}" tests="1" failures="0" errors="1" skipped="0" time="0">
    <testcase classname="fleetsim.check" name="input" time="0">
      <error type="bad-input" message="${m}">${m}</error>
    </testcase>
  </testsuite>
</testsuites>
`;
}
