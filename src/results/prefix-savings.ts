import type { CostBreakdown } from '../cost/monthly.ts';
import type { ServedModel } from '../fleet/llm/build.ts';
import { round } from './round.ts';

/**
 * Milliseconds of replica time one prompt token costs in prefill: a full chunk of fresh prompt
 * (max_batched_tokens tokens, attending to each other) on the model's step model, per token.
 * A cached token skips that share of a prefill step.
 */
export function prefillMsPerToken(served: ServedModel): number {
  const chunk = served.batching.max_batched_tokens;
  return served.step.stepTimeMs(chunk, (chunk * chunk) / 2, 0, 0) / chunk;
}

/**
 * Dollars a month the prefix cache saves one model: the replica time its skipped prefills would
 * have taken (tokens saved per second x prefillMsPerToken, full fleet), priced at the model's
 * own GPU line of the bill per replica. It is the GPU capacity the fleet would need on top for
 * the same traffic without caching when prefill-bound; a fleet only banks it by running fewer
 * replicas.
 */
export function prefixUsdSavedPerMonth(served: ServedModel, tokensSavedPerS: number, bill: CostBreakdown): number {
  const gpuLine = bill.by_component[`gpu:${served.name}`] ?? 0;
  const replicaMonthlyUsd = served.replicasFull > 0 ? gpuLine / served.replicasFull : 0;
  const replicaSecondsPerS = (tokensSavedPerS * prefillMsPerToken(served)) / 1000;
  return round(replicaSecondsPerS * replicaMonthlyUsd);
}
