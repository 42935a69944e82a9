import { MAX_SESSION_OPS } from './request-pool.ts';
import { z } from 'zod';
import { DTYPES, type Dtype } from '../perf/dtype.ts';
import { DistSchema } from '../engine/distribution-schema.ts';
import { nameKey, nonNegInt, nonNegNum, posInt, posNum, prob, strict } from '../util/zod-helpers.ts';

/**
 * The LLM fleet: every box of the production architecture as a component with capacity,
 * latency and cost. Counts are the full fleet; `scale` simulates a sample of it.
 */

/** A pool of instances, each serving `concurrency` requests at once (workers, connections). */
const tierFields = {
  /** Instance type, for the bill (src/cost/prices.ts, or priced in `prices.overrides`). */
  instance: z.string({ error: 'expected an instance type, e.g. c6i.8xlarge' }).min(1),
  instances: posInt(),
  concurrency: posInt().default(1),
  /** Time one request (or operation) holds a slot. */
  service_ms: DistSchema,
  /** Waiting requests beyond this (per region) are rejected; default limits.max_queue. */
  queue_limit: nonNegInt().optional(),
  /** A request that waits longer than this for a slot fails (times out). */
  timeout_ms: posNum().optional(),
};
const Tier = strict(tierFields);

/** A pure network delay: no capacity limit, fused into the next event. */
const Delay = strict({ latency_ms: DistSchema });

/** The replica's scheduler; what is left out comes from the engine profile's scheduler defaults. */
const Batching = strict({
  max_num_seqs: posInt().optional(),
  max_batched_tokens: posInt().optional(),
  chunked_prefill: z.boolean().optional(),
  max_waiting: posInt().default(100_000),
});

/** Most distinct system prompts one model's applications may have (each replica keeps an entry per prompt it has seen). */
export const MAX_SYSTEM_PROMPTS = 1_000_000;

/**
 * Applications (or tenants) with their own system prompt: every request starts with one, drawn
 * by Zipf popularity (the prompt of rank i in proportion to i^-zipf_s); `prompt` is then the
 * request's own part, after it. Replicas cache the prompts' full KV blocks (prefix caching).
 */
const SystemPrompts = strict({
  count: posInt().max(MAX_SYSTEM_PROMPTS, { error: `expected a positive integer <= ${MAX_SYSTEM_PROMPTS}` }),
  /** Tokens of each system prompt, drawn once per prompt. */
  length: DistSchema,
  zipf_s: nonNegNum().default(1),
});

const Tokens = z.union(
  [
    strict({ prompt: DistSchema, output: DistSchema, system_prompts: SystemPrompts.optional() }),
    /** Sample (prompt, output) pairs from a trace CSV (Azure format), relative to the scenario file. */
    strict({ trace: z.string().min(1), scale_prompt: posNum().default(1), scale_output: posNum().default(1) }),
  ],
  { error: 'expected { prompt, output } distributions or { trace: file }' },
);

/** One pool of a disaggregated model (docs/disaggregation.md): what is left out is the model's own. */
const DisaggregatedPool = strict({
  gpu: z.string().min(1).optional(),
  tp: posInt().optional(),
  /** GPUs of the pool in the whole fleet; one pool may leave it out to take the rest of the model's `gpus`. */
  gpus: posInt().optional(),
  /** Instance type for the bill; left out: the model's when the GPU is the model's, else the catalog's for the GPU. */
  instance: z.string().min(1).optional(),
  batching: Batching.optional(),
});

/** Most KV-link bandwidth a scenario may give, Gbit/s (a guard against unit slips; NVLink 5 is 14,400). */
export const MAX_KV_LINK_GBPS = 100_000;

/** Prefill/decode disaggregation: separate prefill and decode pools, the prompt's KV cache sent between them. */
const Disaggregation = strict({
  prefill: DisaggregatedPool,
  decode: DisaggregatedPool,
  /** Each prefill replica's link to the decode pool: one transfer at a time, queued in order. */
  kv_link: strict({
    /** Gbit/s (a 400 Gb/s RDMA NIC: 400; NVLink 4 at 900 GB/s: 7200). */
    bandwidth_gbps: posNum().max(MAX_KV_LINK_GBPS, { error: `expected a bandwidth in Gbit/s, at most ${MAX_KV_LINK_GBPS}` }),
    /** Fixed cost per transfer (connection set-up, RDMA handshake, propagation), ms. */
    latency_ms: nonNegNum().max(60_000).default(0),
    kind: z.enum(['nvlink', 'rdma']).default('rdma'),
  }),
});

const Served = strict({
  /** Catalog model id (src/perf/models.ts) or a Hugging Face config.json path. */
  model: z.string().min(1),
  gpu: z.string().min(1),
  tp: posInt(),
  /** Expert-parallel degree of a mixture-of-experts model (vLLM --enable-expert-parallel): 1, or a multiple of tp; the replica then has ep GPUs in ep/tp data-parallel groups. */
  ep: posInt().default(1),
  /** Weight dtype (src/perf/dtype.ts); the KV cache takes the same one. */
  dtype: z.enum(DTYPES as [Dtype, ...Dtype[]]).default('fp16'),
  /** Serving-stack profile of the step model (vllm, vllm-2023, sglang, trtllm, trtllm-2024; default vllm): its factors and scheduler defaults. */
  engine: z.string().min(1).optional(),
  /** Or a profile written by `fleetsim calibrate`, relative to the scenario file. */
  calibration: z.string().min(1).optional(),
  /** Instance type carrying the GPUs (for the bill); it must carry `gpu`. Left out, or when a flag changes `gpu`, the catalog's instance for the GPU (scenario/hardware.ts). */
  instance: z.string().min(1),
  /** GPUs in the whole fleet (all regions); replicas = gpus / (ep if ep > 1, else tp). */
  gpus: posInt(),
  /** Share of all requests that ask for this model. */
  share: prob(),
  /** Which API fleet serves it: share of its requests through chat (the rest: completions). */
  chat_share: prob().default(1),
  /** Embedding models skip moderation, sessions and RAG. */
  kind: z.enum(['generate', 'embed']).default('generate'),
  tokens: Tokens,
  /** Prompts are truncated so prompt + output fits the model's context (or this). */
  max_context: posInt().optional(),
  batching: Batching.default({ max_waiting: 100_000 }),
  router: strict({
    policy: z.enum(['round_robin', 'random', 'least_outstanding', 'power_of_two', 'kv_aware']).default('least_outstanding'),
    /** When every replica of this model has more than this many waiting, send to `spill_to`. */
    spill_waiting_per_replica: posNum().optional(),
    spill_to: z.string().optional(),
  }).default({ policy: 'least_outstanding' }),
  /** Per-user limits of this model (the gateway answers 429 beyond them). */
  rate_limit: strict({ tokens_per_min: posNum().optional(), requests_per_min: posNum().optional() }).optional(),
  /** Weight size in S3 and how fast a replica loads it (cold start). */
  weights_gb: posNum().optional(),
  /** Latency targets, reported beside the measured figures. */
  slo: strict({ ttft_p99_ms: posNum().optional(), e2e_p99_ms: posNum().optional() }).optional(),
  /** Serve from separate prefill and decode pools (their GPUs add up to `gpus`) instead of colocated replicas. */
  disaggregation: Disaggregation.optional(),
});

const Region = strict({ traffic_share: prob(), capacity_share: prob() });

const CostLine = strict({
  component: z.string().min(1),
  plane: z.enum(['edge', 'services', 'gpu', 'state', 'control']),
  /** Either instances of a type, or a flat monthly amount. */
  instance: z.string().optional(),
  count: nonNegNum().optional(),
  monthly_usd: nonNegNum().optional(),
});

/** A model given as a Hugging Face config.json path rather than a catalog id. */
export const isModelConfigPath = (model: string) => model.endsWith('.json');

export const FleetSchema = strict({
  /** Fleet sampling: simulate this fraction of every fleet with the same fraction of traffic. */
  scale: z.number().positive({ error: 'expected a fraction in (0, 1]' }).max(1, { error: 'expected a fraction in (0, 1]' }).default(1),
  regions: z.record(nameKey(), Region).default({ main: { traffic_share: 1, capacity_share: 1 } }),
  users: strict({
    /** Distinct users in the population (full fleet). */
    count: posInt(),
    /** Zipf exponent of per-user activity: a few heavy users make most requests. */
    zipf_s: nonNegNum().default(1),
  }),
  cdn: strict({ latency_ms: DistSchema, monthly_usd: nonNegNum().optional(), response_kb: nonNegNum().default(4) }),
  load_balancer: strict({ latency_ms: DistSchema, count: posInt().default(1) }),
  gateway: strict({
    ...tierFields,
    /** Share of auth lookups served by the gateway's cache; the rest query PostgreSQL. */
    auth_cache_hit: prob().default(0.9),
  }),
  chat_api: strict({ ...tierFields, rag_share: prob().default(0), session_ops: nonNegInt().max(MAX_SESSION_OPS).default(1) }),
  completions_api: Tier,
  moderation: strict({ ...tierFields, pre: z.boolean().default(true), post: z.boolean().default(true) }),
  router: Tier,
  redis: Tier,
  postgres: Tier,
  vector_db: Tier,
  /** The response's way back to the client (edge): added to TTFT and end-to-end latency. */
  return_path: Delay.optional(),
  s3: strict({ stored_gb: nonNegNum(), load_gb_per_s: posNum().default(2), monthly_usd: nonNegNum().optional() }),
  models: z.record(nameKey(), Served).refine((m) => Object.keys(m).length > 0, { message: 'expected at least one served model' }),
  /** Control plane and anything else billed but not simulated (monitoring, logging, Kubernetes). */
  other_costs: z.array(CostLine).default([]),
  /** Monthly figures from the source being modelled, shown beside the computed bill. */
  reference_monthly_usd: z.record(nameKey(), nonNegNum()).optional(),
  prices: strict({
    set: z.enum(['2024', 'current']).default('2024'),
    overrides: z.record(nameKey(), posNum()).default({}),
  }).default({ set: '2024', overrides: {} }),
});

export type FleetSpec = z.infer<typeof FleetSchema>;
export type ServedSpec = z.infer<typeof Served>;
export type DisaggregationSpec = z.infer<typeof Disaggregation>;

/** GPUs in one replica of a served model: tp, or ep under expert parallelism (src/perf/memory.ts). */
export function gpusPerReplica(spec: { tp: number; ep?: number }): number {
  return (spec.ep ?? 1) > 1 ? spec.ep! : spec.tp;
}
export type TierSpec = z.infer<typeof Tier>;
