import type { Simulator } from '../../engine/sim.ts';
import type { RouterSpec } from './schema.ts';
import { DEFAULT_ROUTER_OPTIONS, type RouterOptions } from './target.ts';

/** A served model's router settings with the defaults filled in (the keys a scenario leaves out). */
export function routerOptions(sim: Simulator, served: { spec: { router: RouterSpec }; batching: { max_num_seqs: number } }): RouterOptions {
  const r = served.spec.router;
  const d = DEFAULT_ROUTER_OPTIONS;
  return {
    now_ms: () => sim.now_ms,
    cache_view_lag_ms: r.cache_view_lag_ms ?? d.cache_view_lag_ms,
    max_num_seqs: served.batching.max_num_seqs,
    cache_weight: r.cache_weight ?? d.cache_weight,
    load_weight: r.load_weight ?? d.load_weight,
    balance_abs_requests: r.balance_abs_requests ?? d.balance_abs_requests,
    balance_rel: r.balance_rel ?? d.balance_rel,
    hash_load_eps: r.hash_load_eps ?? d.hash_load_eps,
    block_size_tokens: d.block_size_tokens,
  };
}
