import { decodeStepMs, prefillMs } from '../../perf/batch-kinds.ts';
import { sequenceKvTokens, windowKvTokens } from '../../perf/step.ts';
import type { FleetSpec } from '../schema.ts';
import { resolveServed, type FleetInput, type ServedModel } from './build.ts';
import { poolField, poolName, poolSpecs } from './disaggregated.ts';

/**
 * What each pool of a disaggregated model sustains at full load, in requests per second of the
 * full fleet, for prompts of P and outputs of O tokens (means):
 * - a prefill replica fills each iteration's token budget with prompts (at least one whole prompt
 *   when chunking is off): budget / P of them per prefill of that many tokens;
 * - a decode replica runs the largest batch its max_num_seqs, KV cache (P + O/2 tokens per
 *   sequence) and token budget (one per sequence) allow, each request taking O - 1 steps.
 * The KV links are not a limit here (see the run's kv_link_busy_fraction).
 */
export function poolCapacities(s: ServedModel, prep: FleetInput, f: FleetSpec, P: number, O: number): { pool: string; capacity_per_s: number }[] {
  const specs = poolSpecs(s.name, s.spec, f.prices.set);
  const prefill = resolveServed(poolName(s.name, 'prefill'), specs.prefill, prep, f, poolField(s.name, s.spec, 'prefill'));
  const decode = resolveServed(poolName(s.name, 'decode'), specs.decode, prep, f, poolField(s.name, s.spec, 'decode'));
  const pb = prefill.batching;
  const prompts = Math.max(1, Math.floor(pb.max_batched_tokens / P));
  const prefillPerS = (1000 * prompts) / (prefillMs(prefill.step, pb, prompts, P) - prefill.step.requestOverheadMs);
  const db = decode.batching;
  // a sequence's cache: its mean length and windows, or at most the window where every layer slides (sequenceKvTokens)
  const seqKvTokens = decode.step.kvTokensPerSequenceBound > 0 ? sequenceKvTokens(decode.step, P + O) : P + O / 2 + windowKvTokens(decode.step, P + O);
  const batch = Math.max(1, Math.min(db.max_num_seqs, db.max_batched_tokens, Math.floor(decode.step.kvCapacityTokens / seqKvTokens)));
  const decodePerS = O <= 1 ? Infinity : (1000 * batch) / ((O - 1) * decodeStepMs(decode.step, batch, P, O));
  return [
    { pool: prefill.name, capacity_per_s: prefill.replicasFull * prefillPerS },
    { pool: decode.name, capacity_per_s: decode.replicasFull * decodePerS },
  ];
}
