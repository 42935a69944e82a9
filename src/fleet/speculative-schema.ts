import { z } from 'zod';
import { MAX_SPECULATIVE_TOKENS, SPECULATIVE_METHODS, speculativeSpecProblem, type SpeculativeMethod } from '../perf/speculative.ts';
import { strict } from '../util/zod-helpers.ts';

const tokensPerStep = z
  .number({ error: `expected an integer in [1, ${MAX_SPECULATIVE_TOKENS}]` })
  .int({ error: `expected an integer in [1, ${MAX_SPECULATIVE_TOKENS}]`, abort: true })
  .min(1, { error: `expected an integer in [1, ${MAX_SPECULATIVE_TOKENS}]` })
  .max(MAX_SPECULATIVE_TOKENS, { error: `expected an integer in [1, ${MAX_SPECULATIVE_TOKENS}]` });
// a constant acceptance of 1 would make every proposal succeed: (1 - a^(k+1)) / (1 - a) has no value there
const acceptanceRate = z
  .number({ error: 'expected an acceptance rate in [0, 1)' })
  .min(0, { error: 'expected an acceptance rate in [0, 1)' })
  .lt(1, { error: 'expected an acceptance rate in [0, 1)' });
const positionRate = z
  .number({ error: 'expected an acceptance rate in [0, 1]' })
  .min(0, { error: 'expected an acceptance rate in [0, 1]' })
  .max(1, { error: 'expected an acceptance rate in [0, 1]' });

/**
 * Speculative decoding of a served model (perf/speculative.ts): k tokens proposed per step by a
 * draft model or an EAGLE/MTP head, accepted at a constant rate or by a per-position profile.
 */
export const SpeculativeSchema = strict({
  method: z.enum(SPECULATIVE_METHODS as unknown as [SpeculativeMethod, ...SpeculativeMethod[]], { error: `expected one of ${SPECULATIVE_METHODS.join(', ')}` }),
  /** k: tokens proposed per decode step of each sequence. */
  tokens_per_step: tokensPerStep,
  /** Probability that a proposed token is accepted, its predecessors having been. */
  acceptance_rate: acceptanceRate.optional(),
  /** Or a measured profile a_1..a_k (one value per proposed token). */
  acceptance_by_position: z.array(positionRate).max(MAX_SPECULATIVE_TOKENS).optional(),
  /** The draft model's catalog id (method draft only). */
  draft_model: z.string().min(1).optional(),
  /** eagle, mtp: one draft pass's cost as a fraction of a target decode step (default: one layer plus the LM head). */
  draft_cost_fraction: z.number({ error: 'expected a fraction in (0, 1]' }).positive({ error: 'expected a fraction in (0, 1]' }).max(1, { error: 'expected a fraction in (0, 1]' }).optional(),
}).superRefine((s, ctx) => {
  const problem = speculativeSpecProblem(s);
  if (problem) ctx.addIssue({ code: 'custom', path: [problem.field], message: problem.message, input: s[problem.field] });
});
