import { makeSampler } from '../../engine/distributions.ts';
import { stream } from '../../engine/random.ts';
import type { TierLoad } from '../stations/capacity.ts';
import { resolveServed, type FleetInput, type ServedModel } from './build.ts';
import { TokenSource } from './tokens.ts';
import { ReasoningDraw } from './reasoning.ts';
import { poolCapacities } from './disaggregated-capacity.ts';
import { steadyConcurrency, throughputTokensPerS } from '../../perf/batch-kinds.ts';

export interface ReplicaCapacity {
  prompt_tokens_mean: number;
  output_tokens_mean: number;
  /** Batch the replica runs at full load: max_num_seqs or what the KV cache holds. */
  batch: number;
  /** Requests per second one replica sustains at that batch. */
  requests_per_s: number;
  /** Time a request spends on the GPU at full load (prefill share + its decode steps). */
  busy_ms_per_request: number;
}

/** Mean token lengths of a served model's requests, after clipping to its context. */
export function meanTokens(s: ServedModel, prep: FleetInput): { prompt: number; output: number } {
  const spec = s.spec;
  const tokenSpec = 'trace' in spec.tokens ? { trace: prep.tokenTraces![s.name], scale_prompt: spec.tokens.scale_prompt, scale_output: spec.tokens.scale_output } : spec.tokens;
  // a reasoning model's hidden tokens are output the replicas decode
  const reasoning = spec.reasoning_tokens ? new ReasoningDraw(spec.reasoning_tokens, stream(0, `capacity-reasoning:${s.name}`)) : null;
  const src = new TokenSource(tokenSpec, stream(0, `capacity:${s.name}`), Math.min(spec.max_context ?? Infinity, s.model.max_context), spec.kind === 'embed', reasoning, spec.max_output_tokens);
  return src.means();
}

/**
 * What one replica sustains at full load: the steady state of continuous batching with chunked
 * prefill (perf/batch-kinds.ts): every iteration decodes the running batch and prefills, amortised,
 * the prompts of the sequences that finish. An embedding model prefills only.
 */
export function replicaCapacity(s: ServedModel, prep: FleetInput): ReplicaCapacity {
  const { prompt: P, output: O } = meanTokens(s, prep);
  if (O <= 1) {
    const busy = s.step.stepTimeMs(P, (P * P) / 2, 0, 0);
    return { prompt_tokens_mean: P, output_tokens_mean: O, batch: 1, requests_per_s: 1000 / busy, busy_ms_per_request: busy };
  }
  const batch = steadyConcurrency(s.step, s.batching, P, O);
  const requests_per_s = throughputTokensPerS(s.step, s.batching, { kind: 'throughput', batch, prompt_tokens: P, output_tokens: O }) / O;
  return { prompt_tokens_mean: P, output_tokens_mean: O, batch, requests_per_s, busy_ms_per_request: 1000 / requests_per_s };
}

/** Offered load against capacity for every tier and GPU cluster of the full fleet. */
export function fleetLoads(prep: FleetInput, rate_per_s: number): TierLoad[] {
  const f = prep.scenario.fleet!;
  const served = Object.entries(f.models).map(([n, m]) => resolveServed(n, m, prep, f));
  // The busiest region: traffic share over capacity share.
  const skew = Math.max(...Object.values(f.regions).map((r) => r.traffic_share / r.capacity_share));
  const gen = served.filter((s) => s.spec.kind !== 'embed');
  const chat = gen.reduce((a, s) => a + s.spec.share * s.spec.chat_share, 0);
  const genShare = gen.reduce((a, s) => a + s.spec.share, 0);
  const mean = (d: Parameters<typeof makeSampler>[0]) => makeSampler(d, () => 0.5).mean;
  const caps = new Map(served.map((s) => [s.name, replicaCapacity(s, prep)]));
  const loads: TierLoad[] = [];
  const tier = (name: string, t: { instances: number; concurrency: number; service_ms: Parameters<typeof makeSampler>[0] }, visits_per_s: number, hold_ms?: number) => {
    const capacity = (t.instances * t.concurrency * 1000) / (hold_ms ?? mean(t.service_ms));
    loads.push({ tier: name, arrival_rate_per_s: visits_per_s, capacity_per_s: capacity, utilization: (visits_per_s * skew) / capacity });
  };
  // An API worker is held for the whole request: its own work, moderation and the GPU time
  // of a request decoding in a full batch (TTFT + O x TPOT at that batch).
  const holdMs = (filter: (s: ServedModel) => number) => {
    let w = 0, acc = 0;
    for (const s of served) {
      const share = filter(s);
      if (share === 0) continue;
      const c = caps.get(s.name)!;
      const gpu = s.step.stepTimeMs(c.prompt_tokens_mean, c.prompt_tokens_mean ** 2 / 2, 0, 0) + (c.output_tokens_mean - 1) * s.step.stepTimeMs(0, 0, c.batch, c.batch * (c.prompt_tokens_mean + c.output_tokens_mean / 2));
      const mod = s.spec.kind === 'embed' ? 0 : (f.moderation.pre ? 1 : 0) + (f.moderation.post ? 1 : 0);
      acc += share * (gpu + mod * mean(f.moderation.service_ms) + mean(f.router.service_ms));
      w += share;
    }
    return w > 0 ? acc / w : 1;
  };
  tier('gateway', f.gateway, rate_per_s);
  tier('postgres', f.postgres, rate_per_s * (1 - f.gateway.auth_cache_hit));
  tier('redis', f.redis, rate_per_s * (1 + chat * f.chat_api.session_ops));
  tier('chat_api', f.chat_api, rate_per_s * chat, holdMs((s) => (s.spec.kind === 'embed' ? 0 : s.spec.share * s.spec.chat_share)));
  tier('completions_api', f.completions_api, rate_per_s * (1 - chat), holdMs((s) => (s.spec.kind === 'embed' ? s.spec.share : s.spec.share * (1 - s.spec.chat_share))));
  tier('vector_db', f.vector_db, rate_per_s * chat * f.chat_api.rag_share);
  tier('moderation', f.moderation, rate_per_s * genShare * ((f.moderation.pre ? 1 : 0) + (f.moderation.post ? 1 : 0)));
  tier('router', f.router, rate_per_s);
  for (const s of served) {
    const c = caps.get(s.name)!;
    const offered = rate_per_s * s.spec.share;
    if (s.spec.disaggregation) {
      for (const p of poolCapacities(s, prep, f, c.prompt_tokens_mean, c.output_tokens_mean)) loads.push({ tier: `gpu:${p.pool}`, arrival_rate_per_s: offered, capacity_per_s: p.capacity_per_s, utilization: (offered * skew) / p.capacity_per_s });
      continue;
    }
    const capacity = s.replicasFull * c.requests_per_s;
    loads.push({ tier: `gpu:${s.name}`, arrival_rate_per_s: offered, capacity_per_s: capacity, utilization: (offered * skew) / capacity });
  }
  return loads;
}
