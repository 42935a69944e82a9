import type { Command } from 'commander';
import { UserError } from '../errors.ts';
import { excerpt } from '../util/excerpt.ts';
import { fraction, positiveInt, probability } from './cli-args.ts';
import { getModel } from './lookup.ts';
import type { ModelSpec } from './models.ts';
import { MAX_SPECULATIVE_TOKENS, SPECULATIVE_METHODS, speculativeSpecProblem, type SpeculativeMethod, type SpeculativeSpec } from './speculative.ts';
import type { PerfSummary } from './summary.ts';

export interface SpeculativeFlags {
  speculative?: string;
  speculativeTokens: string;
  acceptanceRate?: string;
  acceptanceByPosition?: string;
  draftModel?: string;
  draftCostFraction?: string;
}

/** The flag a spec field comes from, for one-line errors. */
const FLAG_OF: Record<keyof SpeculativeSpec, string> = {
  method: '--speculative',
  tokens_per_step: '--speculative-tokens',
  acceptance_rate: '--acceptance-rate',
  acceptance_by_position: '--acceptance-by-position',
  draft_model: '--draft-model',
  draft_cost_fraction: '--draft-cost-fraction',
};

export function addSpeculativeOptions(command: Command): Command {
  return command
    .option('--speculative <method>', `speculative decoding: ${SPECULATIVE_METHODS.join(', ')} (draft model, EAGLE head, multi-token prediction)`)
    .option('--speculative-tokens <k>', `tokens proposed per step (1-${MAX_SPECULATIVE_TOKENS})`, '3')
    .option('--acceptance-rate <a>', 'probability that a proposed token is accepted, in [0, 1)')
    .option('--acceptance-by-position <list>', 'or one acceptance per proposed position, e.g. 0.9,0.8,0.7')
    .option('--draft-model <id>', 'catalog id of the draft model (--speculative draft)')
    .option('--draft-cost-fraction <f>', 'eagle, mtp: one draft pass as a fraction of a target decode step (default: one layer + LM head)');
}

/** The spec and draft model the flags ask for; undefined without --speculative. */
export function speculativeFromFlags(flags: SpeculativeFlags): { spec: SpeculativeSpec; draftModel?: ModelSpec } | undefined {
  if (flags.speculative === undefined) {
    const stray = (['acceptanceRate', 'acceptanceByPosition', 'draftModel', 'draftCostFraction'] as const).find((f) => flags[f] !== undefined);
    if (stray) throw new UserError(`--speculative: required with --${stray.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`);
    return undefined;
  }
  if (!(SPECULATIVE_METHODS as readonly string[]).includes(flags.speculative)) {
    throw new UserError(`--speculative: expected one of ${SPECULATIVE_METHODS.join(', ')}, got "${excerpt(flags.speculative)}"`);
  }
  const k = positiveInt(flags.speculativeTokens, '--speculative-tokens')!;
  if (k > MAX_SPECULATIVE_TOKENS) throw new UserError(`--speculative-tokens: expected an integer in [1, ${MAX_SPECULATIVE_TOKENS}], got ${k}`);
  const spec: SpeculativeSpec = {
    method: flags.speculative as SpeculativeMethod,
    tokens_per_step: k,
    acceptance_rate: probability(flags.acceptanceRate, '--acceptance-rate'),
    acceptance_by_position: flags.acceptanceByPosition?.split(',').map((v) => probability(v.trim(), '--acceptance-by-position', true)!),
    draft_model: flags.draftModel,
    draft_cost_fraction: fraction(flags.draftCostFraction, '--draft-cost-fraction'),
  };
  const problem = speculativeSpecProblem(spec);
  if (problem) throw new UserError(`${FLAG_OF[problem.field]}: ${problem.message.replaceAll('_', ' ')}`);
  return { spec, draftModel: spec.draft_model === undefined ? undefined : getModel(spec.draft_model, '--draft-model') };
}

const fixed = (x: number, digits: number) => x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** The rows `fleetsim perf` adds under speculation. */
export function speculativeRows(s: PerfSummary): [string, string][] {
  const x = s.speculative;
  if (!x) return [];
  const drafter = x.draft_model ? `draft ${x.draft_model}` : x.method;
  return [
    ['speculative', `${drafter}, k ${x.tokens_per_step}: ${fixed(x.expected_tokens_per_step, 2)} tokens per step expected`],
    [`  vs plain, batch ${s.latency_batch}`, `TPOT ${fixed(x.tpot_plain_ms, 2)} ms plain: ${fixed(x.tpot_speedup, 2)}x`],
    ['  vs plain, throughput', `${Math.round(x.tokens_per_s_per_replica_plain).toLocaleString('en-US')} tok/s plain at batch ${x.throughput_batch_plain}: ${fixed(x.throughput_speedup, 2)}x (KV cache ${x.kv_capacity_tokens_plain.toLocaleString('en-US')} tokens plain)`],
  ];
}
