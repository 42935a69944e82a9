import type { Prepared } from '../scenario/prepare.ts';
import { summaryShape } from '../experiment/simulate.ts';
import { checkBudgetPaths, withOrigins, type Budget } from '../report/budgets.ts';
import { GATED_SCENARIO_SLO_KEYS } from '../report/slo-budgets.ts';

/**
 * A scenario's own `budgets:` list, checked as `check` checks it, so that `validate` and `run` do
 * not pass a scenario `check` refuses. The scenario schema checks their form; this their metrics.
 */

/** The scenario's budgets, each named by where it was written (`file: budgets[2]`); none: undefined. */
export function scenarioBudgets(prep: Prepared): Budget[] | undefined {
  const list = prep.scenario.budgets;
  return list ? withOrigins(list, prep.file, 'budgets') : undefined;
}

/**
 * Catches a misspelt metric before a long simulation: paths are resolved against the shape of an
 * empty run. Call it once the run is known to fit in memory (it builds one).
 */
export function precheckBudgetPaths(prep: Prepared, seed: number, budgets: readonly Budget[]): void {
  const shape = summaryShape(prep, seed);
  if (!shape) return; // the real run will tell
  // Stages appear in by_stage only once a request has passed them: checked after the run.
  checkBudgetPaths(budgets.filter((b) => !b.metric.startsWith('by_stage.')), shape);
}

/** How many p99 targets the scenario's SLOs set (fleet.models.<m>.slo, fleet.classes.<c>.slo): `check` gates each. */
export function scenarioSloTargets(prep: Prepared): number {
  const fleet = prep.scenario.fleet;
  const targets = (slo: object | undefined) => Object.values(slo ?? {}).filter((x) => typeof x === 'number').length;
  const models = Object.values(fleet?.models ?? {}).reduce((n, m) => n + targets(m.slo), 0);
  // the top-level slo's targets written in the scenario (error_rate and availability unset are replay's defaults, not gated)
  const top = prep.scenario.slo;
  const scenario = GATED_SCENARIO_SLO_KEYS.filter((k) => top?.[k] !== undefined).length;
  return scenario + models + Object.values(fleet?.classes ?? {}).reduce((n, c) => n + targets(c.slo), 0);
}
