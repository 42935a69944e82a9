import type { Summary } from '../results/summary.ts';
import { fmt } from './table.ts';
import type { Budget, Verdict } from './budgets.ts';

/**
 * The scenario's own SLOs as `fleetsim check` gates them: each p99 target of a served model
 * (`fleet.models.<m>.slo`, the summary's `verdict.slo`) and of a request class
 * (`fleet.classes.<c>.slo`, `verdict.classes`) is a budget `<path>.p99 <= target` on the summary,
 * judged as any budget is (on the 95% CI with replications; a pass on a run not at steady state,
 * too short or stopped early is inconclusive). A CI gate given a budgets file passed a run whose
 * scenario declared an SLO it missed, silently. Two rules of the verdict's are kept: a model's p99
 * counting requests still in flight over the target is a miss (the true p99 is at least that), and
 * a class that received no requests is not judged (inconclusive: the run says nothing of it).
 */

/** A budget made of an SLO target, with what the verdict's own rules need. */
interface SloBudget extends Budget {
  readonly slo: { lower_bound_ms?: number | null; no_requests?: boolean };
}

const isSloBudget = (b: Budget): b is SloBudget => 'slo' in b;

/** The scenario's own top-level targets (`slo:`, which replay also judges its windows by). */
export interface ScenarioSlo {
  readonly e2e_p99_ms?: number;
  readonly ttft_p99_ms?: number;
  readonly error_rate?: number;
  readonly availability?: number;
}

/** The top-level `slo:` keys `check` gates when the scenario writes them (sloBudgets; scenario-budgets.ts counts them before the run). */
export const GATED_SCENARIO_SLO_KEYS = ['e2e_p99_ms', 'ttft_p99_ms', 'error_rate', 'availability'] as const satisfies readonly (keyof ScenarioSlo)[];

/**
 * The top-level `slo:`'s failure targets written in the scenario, as budgets on the whole run's
 * error rate ((failed + rejected + timed out) / ended, the share replay's windows are judged by):
 * `error_rate` at most its value, `availability` at most 1 - its value (a run failing more often
 * spends the monthly error budget faster than the target allows). A scenario that set
 * `slo.error_rate: 0.001` passed `check` with 5% of its requests failing.
 */
function failureBudgets(s: Summary, scenario_slo: ScenarioSlo): SloBudget[] {
  const targets: [string, number | undefined][] = [
    ['error_rate', scenario_slo.error_rate],
    ['availability', scenario_slo.availability === undefined ? undefined : Math.round((1 - scenario_slo.availability) * 1e12) / 1e12],
  ];
  return targets.flatMap(([key, value]) => value === undefined ? [] : [{
    metric: 'requests.error_rate', op: '<=' as const, value, name: 'SLO of the scenario', origin: `${s.scenario_file}: slo.${key}`, slo: {},
  }]);
}

/**
 * Every SLO target the scenario sets, as budgets named after their scenario key: the top-level
 * `slo:` (the whole run's p99: a network of stations has only this one), each model's and each
 * class's (carried by the summary).
 */
export function sloBudgets(s: Summary, scenario_slo: ScenarioSlo = {}): Budget[] {
  const budgets: SloBudget[] = [];
  for (const metric of ['ttft', 'e2e'] as const) {
    const target_ms = scenario_slo[`${metric}_p99_ms`];
    if (target_ms === undefined) continue;
    const lower_bound_ms = (s.latency_ms as Record<string, { p99?: number | null } | undefined>)[`${metric}_including_in_flight`]?.p99;
    budgets.push({
      metric: `latency_ms.${metric}.p99`, op: '<=', value: target_ms, name: 'SLO of the scenario',
      origin: `${s.scenario_file}: slo.${metric}_p99_ms`, slo: { lower_bound_ms },
    });
  }
  budgets.push(...failureBudgets(s, scenario_slo));
  for (const [model, m] of Object.entries(s.by_model ?? {})) {
    for (const metric of ['ttft', 'e2e'] as const) {
      const target_ms = m.slo?.[`${metric}_p99_ms`];
      if (target_ms === undefined) continue;
      const lower_bound_ms = m.latency_ms[`${metric}_including_in_flight`]?.p99;
      budgets.push({
        metric: `by_model.${model}.latency_ms.${metric}.p99`, op: '<=', value: target_ms, name: `SLO of model ${model}`,
        origin: `${s.scenario_file}: fleet.models.${model}.slo.${metric}_p99_ms`, slo: { lower_bound_ms },
      });
    }
  }
  for (const [name, c] of Object.entries(s.classes?.by_class ?? {})) {
    for (const metric of ['ttft', 'tpot', 'e2e'] as const) {
      const target_ms = c.slo?.[`${metric}_p99_ms`];
      if (target_ms === undefined) continue;
      budgets.push({
        metric: `classes.by_class.${name}.latency_ms.${metric}.p99`, op: '<=', value: target_ms, name: `SLO of class ${name}`,
        origin: `${s.scenario_file}: fleet.classes.${name}.slo.${metric}_p99_ms`, slo: { no_requests: !(c.offered > 0) },
      });
    }
  }
  return budgets;
}

/**
 * The verdicts of SLO budgets (from evaluateBudgets) under the summary verdict's own rules, marked
 * as SLOs for the Markdown and JUnit; other verdicts are returned as they are.
 */
export function withSloRules(verdicts: readonly Verdict[]): Verdict[] {
  return verdicts.map((v): Verdict => {
    const b = v.budget;
    if (!isSloBudget(b)) return v;
    // a verdict these rules decide is not held back by what held the pass back (not_steady)
    const { not_steady: _heldBack, ...decided } = v;
    if (b.slo.no_requests) {
      return { ...decided, kind: 'slo', status: 'inconclusive', reason: 'the class received no requests after warm-up: the run says nothing about it (warning class_without_requests)' };
    }
    const lower = b.slo.lower_bound_ms;
    if (v.status !== 'fail' && typeof lower === 'number' && lower > b.value) {
      return { ...decided, kind: 'slo', status: 'fail', reason: `counting the requests still in flight at the end, the p99 is at least ${fmt(lower)} ms, over the target ${fmt(b.value)} (completed requests only: ${fmt(v.value)})` };
    }
    return { ...v, kind: 'slo' };
  });
}
