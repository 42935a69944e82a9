import { z } from 'zod';
import { NOT_ROUNDING_TO_ZERO, parseDecimal, roundsToZero } from '../util/decimal.ts';

/**
 * The form of a budget (`fleetsim check`): in a budgets file and in a scenario's `budgets:` list,
 * which the scenario schema validates with these, so that `validate` and `run` refuse what
 * `check` refuses. Kept apart from budgets.ts (verdicts, reports) for the scenario schema to
 * import without the report code (the scenario layer is below report's).
 */

export const BUDGET_OPS = ['<=', '<', '>=', '>'] as const;
export type BudgetOp = (typeof BUDGET_OPS)[number];

export interface Budget {
  metric: string;
  op: BudgetOp;
  value: number;
  /** Optional label shown beside the metric (why this budget exists). */
  name?: string;
  /** Where it was written ("budgets.yaml: [2]"), for error messages. */
  origin?: string;
}

const STRING_FORM = /^\s*(\S+)\s*(<=|>=|<|>)\s*(\S+)\s*$/;

const BudgetObject = z.strictObject({
  metric: z.string({ error: 'expected a metric path such as requests.error_rate' }).min(1),
  op: z.enum(BUDGET_OPS),
  value: z.number({ error: 'expected a number' }).refine(Number.isFinite, 'expected a finite number'),
  name: z.string().optional(),
});

const BudgetString = z.string().transform((s, ctx): Budget => {
  const m = STRING_FORM.exec(s);
  const value = m ? parseDecimal(m[3]) : NaN; // not 0x10, read by Number() as 16
  if (!m || Number.isNaN(value)) {
    ctx.addIssue({ code: 'custom', message: 'expected "metric op value" with op one of <=, <, >=, > and a decimal number (e.g. "requests.error_rate <= 0.001")', input: s });
    return z.NEVER;
  }
  if (roundsToZero(m[3])) {
    ctx.addIssue({ code: 'custom', message: `expected the value after ${m[2]} to be ${NOT_ROUNDING_TO_ZERO}`, input: s });
    return z.NEVER;
  }
  return { metric: m[1], op: m[2] as BudgetOp, value };
});

export const BudgetSchema = z.union([BudgetString, BudgetObject]);
export const BudgetListSchema = z.array(BudgetSchema);
/** A budgets file: a list, or a mapping with a `budgets:` list (the form a scenario uses). */
export const BudgetsFileSchema = z.union([BudgetListSchema, z.strictObject({ budgets: BudgetListSchema })]);

/**
 * Most budgets a file or scenario may list (the shipped file has a dozen): each is parsed,
 * evaluated and reported, and 900,000 took 29 s and 2.1 GB.
 */
export const MAX_BUDGETS = 10_000;

/** A scenario's `budgets:` list: what a budgets file may hold, at least one and at most MAX_BUDGETS. */
export const ScenarioBudgetsSchema = BudgetListSchema.min(1, 'expected at least one budget').max(MAX_BUDGETS, `expected at most ${MAX_BUDGETS} budgets`);
