import { z } from 'zod';
import { nonNegNum, posNum, strict } from '../../util/zod-helpers.ts';

/** A served model's router (`fleet.models.<m>.router`); docs/prefix-caching.md describes the cache-aware keys. */
export const RouterSchema = strict({
  policy: z.enum(['round_robin', 'random', 'least_outstanding', 'power_of_two', 'kv_aware', 'prefix_affinity', 'consistent_hash']).default('least_outstanding'),
  /** When every replica of this model has more than this many waiting, send to `spill_to`. */
  spill_waiting_per_replica: posNum().optional(),
  spill_to: z.string().optional(),
  /** prefix_affinity: the router's view of each replica's cache is at most this old (default 0: exact). */
  cache_view_lag_ms: nonNegNum().max(3_600_000, { error: 'expected at most 3,600,000 ms' }).optional(),
  /** prefix_affinity: weight of the cached fraction of the prompt in a replica's score (default 1). */
  cache_weight: nonNegNum().max(1000, { error: 'expected at most 1000' }).optional(),
  /** prefix_affinity: weight of the normalised load (outstanding / max_num_seqs) in the score (default 1). */
  load_weight: nonNegNum().max(1000, { error: 'expected at most 1000' }).optional(),
  /** prefix_affinity: yield to the least-loaded replica beyond this many extra outstanding requests (default 32)... */
  balance_abs_requests: nonNegNum().max(1_000_000, { error: 'expected at most 1,000,000' }).optional(),
  /** ...and beyond this multiple of its outstanding requests (default 1.5). */
  balance_rel: z.number({ error: 'expected a number' }).min(1, { error: 'expected at least 1' }).max(1000, { error: 'expected at most 1000' }).optional(),
  /** consistent_hash: no replica is sent a request beyond (1 + this) x the mean load (default 0.25). */
  hash_load_eps: posNum().max(100, { error: 'expected at most 100' }).optional(),
}).default({ policy: 'least_outstanding' });

export type RouterSpec = z.infer<typeof RouterSchema>;
