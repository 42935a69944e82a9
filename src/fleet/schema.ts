import { MAX_SESSION_OPS } from './request-pool.ts';
import { ClassesSchema } from './classes.ts';
import { z } from 'zod';
import { DTYPES, FP8_SCALINGS, type Dtype } from '../perf/dtype.ts';
import { DistSchema, serviceTimeMs } from '../engine/distribution-schema.ts';
import { MAX_REASONING_RATIO } from './llm/reasoning.ts';
import { analyticalMean, typicalValue } from '../engine/distribution-scale.ts';
import { MAX_SESSION_TURNS } from './llm/sessions.ts';
import { RouterSchema } from './router/schema.ts';
import { nameKey, nonNegInt, nonNegNum, posInt, posNum, prob, strict } from '../util/zod-helpers.ts';
import { SpeculativeSchema } from './speculative-schema.ts';
import { KvTiersSchema } from './kv-tiers-schema.ts';
import { gridNames } from '../cost/energy.ts';
import { PurchaseMixSchema, unsoldCommitment, type PurchaseMix } from '../cost/purchase.ts';

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
  service_ms: serviceTimeMs(),
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
  /** vLLM's automatic prefix caching (default on, as in vLLM V1); false: every prompt prefills whole, system prompt included. */
  prefix_caching: z.boolean().optional(),
  /**
   * How a request is admitted to the KV cache: `reserve-output` with its whole output reserved, never
   * preempted (TensorRT-LLM's GUARANTEED_NO_EVICT, its profiles' default), `on-demand` while the
   * cache lasts, preempting the latest when it runs out (vLLM, SGLang, TensorRT-LLM's
   * MAX_UTILIZATION). Default: the engine profile's.
   */
  kv_admission: z.enum(['on-demand', 'reserve-output']).optional(),
});

/**
 * A bill's line, bounded: a trillion USD a month is past any fleet's, and summed lines of 1e308
 * overflowed the bill to Infinity (written as null, which compare then refused).
 */
const MAX_MONTHLY_USD = 1e12;
const monthlyUsd = () => nonNegNum().max(MAX_MONTHLY_USD, { error: 'expected at most 1,000,000,000,000 USD a month' });

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
    /** Sample (prompt, output) pairs from a trace (Azure or BurstGPT CSV, Mooncake JSONL), relative to the scenario file. */
    strict({ trace: z.string().min(1), scale_prompt: posNum().default(1), scale_output: posNum().default(1) }),
  ],
  { error: 'expected { prompt, output } distributions or { trace: file }' },
);

/** Sessions one model may have open at once per run (their state is a few numbers each). */
export const MAX_OPEN_SESSIONS = 10_000_000;

/**
 * Requests that open a conversation (`sessions`) or an agent loop (`agents`): the request is its
 * first turn; each next turn is sent `gap_ms` after the previous turn's response has reached the
 * client (closed loop per session), and its prompt is the system prompt, the whole conversation
 * so far (earlier prompts and answers) and `append_tokens` new tokens (the user's message, or the
 * tool's result). See docs/prefix-caching.md.
 */
/**
 * Longest mean wait between a session's turns (a user's think time, a tool's latency), ms: a day.
 * A normal think time of mean -1e308 ms was read as no think time at all (every draw clamped to
 * 0), and one past a day is a session that does not come back within any run.
 */
export const MAX_SESSION_GAP_MS = 86_400_000;

function conversations<Gap extends string, Append extends string>(gap: Gap, append: Append) {
  const gapSchema = DistSchema.refine((d) => { const mean_ms = analyticalMean(d); return mean_ms >= 0 && mean_ms <= MAX_SESSION_GAP_MS; }, {
    error: `expected a mean from 0 to ${MAX_SESSION_GAP_MS.toLocaleString('en-US')} ms (a day) between turns`,
  });
  return strict({
    /** Share of the model's new requests (arrivals) that open one. */
    share: prob(),
    /** Turns per session, the first included (rounded, at least 1, at most MAX_SESSION_TURNS). */
    turns: DistSchema.refine((d) => typicalValue(d) <= MAX_SESSION_TURNS, { error: `expected turns of at most ${MAX_SESSION_TURNS.toLocaleString('en-US')} per session` }),
    ...({ [gap]: gapSchema } as Record<Gap, typeof gapSchema>),
    ...({ [append]: DistSchema } as Record<Append, typeof DistSchema>),
  });
}
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

/** The range of a served model's step_time_factor: a slip of units (100 for 1.00) is refused, not simulated for hours. */
export const MIN_STEP_TIME_FACTOR = 0.1;
export const MAX_STEP_TIME_FACTOR = 10;

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
  /** Tensor-parallel degree: any within the GPU's interconnect domain (8 on an HGX board), or whole domains on up to 4 nodes, all-reducing over the network (src/perf/hardware.ts checkTensorParallel). */
  tp: posInt(),
  /** Expert-parallel degree of a mixture-of-experts model (vLLM --enable-expert-parallel): 1, or a multiple of tp; the replica then has ep GPUs in ep/tp data-parallel groups. */
  ep: posInt().default(1),
  /** Weight dtype (src/perf/dtype.ts); default: a config.json model's checkpoint dtype (quantization_config, else torch_dtype), else fp16. */
  dtype: z.enum(DTYPES as [Dtype, ...Dtype[]]).optional(),
  /** KV-cache dtype (vLLM --kv-cache-dtype); default the engine's: the weights' dtype under TensorRT-LLM profiles, 16-bit under vLLM, SGLang and TGI ("auto"). */
  kv_dtype: z.enum(DTYPES as [Dtype, ...Dtype[]]).optional(),
  /**
   * How the served checkpoint's FP8 weights are scaled: block (one scale per 128x128 block, the
   * DeepSeek-V3 and Qwen team FP8 releases: slower kernels, docs/step-model.md "Block-scaled FP8")
   * or tensor (per tensor or channel: NVIDIA's ModelOpt checkpoints under TensorRT-LLM, vLLM's
   * --quantization fp8). Left out: the model's own (catalog: block for deepseek-v3 and Qwen3, tensor
   * otherwise; a config.json: its quantization_config). Only FP8 weights on FP8 tensor cores differ.
   */
  fp8_scaling: z.enum(FP8_SCALINGS).optional(),
  /** Serving-stack profile of the step model (vllm, vllm-0.6, vllm-v0, vllm-2023, sglang, sglang-0.3, trtllm, trtllm-0.11, trtllm-2024, trtllm-session, nim-2024, tgi; default vllm): its factors and scheduler defaults. */
  engine: z.string().min(1).optional(),
  /** Or a profile written by `fleetsim calibrate`, relative to the scenario file. */
  calibration: z.string().min(1).optional(),
  /**
   * The engine fuses each row-parallel GEMM with its tensor-parallel all-reduce (TensorRT-LLM's
   * trtllm-build --gemm_allreduce_plugin, over NVLink): the payload moves once and under the GEMM
   * (docs/step-model.md, "GEMM-fused all-reduce"). Left out: the profile's (none of the named ones).
   */
  allreduce_fused_with_gemm: z.boolean().optional(),
  /**
   * Every GPU step of this model's replicas takes this many times the step model's time: 1.22
   * sizes for GPUs 22% slower than fleetsim reads them (its throughput error four times in five,
   * `plan --fleet --step-time-margin`); above 1 for a what-if of slower GPUs, below 1 of faster
   * ones. Left out: 1 (docs/planning.md, "Planning with the model's error").
   */
  step_time_factor: posNum()
    .min(MIN_STEP_TIME_FACTOR, { error: `expected a factor from ${MIN_STEP_TIME_FACTOR} to ${MAX_STEP_TIME_FACTOR}` })
    .max(MAX_STEP_TIME_FACTOR, { error: `expected a factor from ${MIN_STEP_TIME_FACTOR} to ${MAX_STEP_TIME_FACTOR}` })
    .optional(),
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
  /**
   * A reasoning model's hidden thinking tokens per request, decoded before its first visible token
   * and billed as output: a distribution, or { ratio_to_output } hidden tokens per visible output
   * token. Left out: none (docs/reasoning.md).
   */
  reasoning_tokens: z
    .union([DistSchema, strict({ ratio_to_output: nonNegNum().max(MAX_REASONING_RATIO, { error: `expected a ratio in [0, ${MAX_REASONING_RATIO}]` }) })], {
      error: 'expected a distribution ({ dist, ... }) or { ratio_to_output }',
    })
    .optional(),
  /** Prompts are truncated so prompt + output fits the model's context (or this). */
  max_context: posInt().optional(),
  /**
   * The API's max_tokens: every drawn output (a reasoning model's hidden tokens included, as
   * max_completion_tokens counts them) stops here. Left out: outputs run as drawn, to at most half
   * the context window.
   */
  max_output_tokens: posInt().optional(),
  /** Multi-turn conversations: a user's think time between turns, a new message each turn. */
  sessions: conversations('think_time_ms', 'message_tokens').optional(),
  /** Agent loops: many short turns, a tool's latency between them, a tool result each turn. */
  agents: conversations('tool_latency_ms', 'tool_result_tokens').optional(),
  batching: Batching.default({ max_waiting: 100_000 }),
  router: RouterSchema,
  /** Per-user limits of this model (the gateway answers 429 beyond them). */
  rate_limit: strict({ tokens_per_min: posNum().optional(), requests_per_min: posNum().optional() }).optional(),
  /** Weight size in S3 and how fast a replica loads it (cold start). */
  weights_gb: posNum().optional(),
  /**
   * Abort an attempt whose client timed out (vLLM aborts on disconnect): it leaves its queue or
   * batch and frees its KV blocks. Default false: the stack keeps working on it, as fleetsim modelled every stack before this key.
   */
  cancel_on_disconnect: z.boolean().optional(),
  /** Latency targets, reported beside the measured figures. */
  slo: strict({ ttft_p99_ms: posNum().optional(), e2e_p99_ms: posNum().optional() }).optional(),
  /** Speculative decoding (draft model, EAGLE or MTP head); left out: none. */
  speculative: SpeculativeSchema.optional(),
  /** KV memory below HBM per replica: host DRAM and local NVMe tiers, and preemption by swap (docs/kv-tiers.md); left out: none. */
  kv_tiers: KvTiersSchema.optional(),
  /** Share of each GPU's memory the engine takes for weights, activations and KV cache (vLLM's gpu_memory_utilization, default 0.9 under the vllm, sglang and tgi profiles): the HBM KV cache is what is left of it. */
  gpu_memory_utilization: z.number({ error: 'expected a fraction in (0, 1]' }).gt(0, { error: 'expected a fraction in (0, 1]' }).max(1, { error: 'expected a fraction in (0, 1]' }).optional(),
  /** Share of the memory that weights and activations leave free which the KV cache takes (TensorRT-LLM's kv_cache_free_gpu_mem_fraction, default 0.9 under the trtllm and nim profiles); give this or gpu_memory_utilization, not both. */
  kv_cache_free_gpu_mem_fraction: z.number({ error: 'expected a fraction in (0, 1]' }).gt(0, { error: 'expected a fraction in (0, 1]' }).max(1, { error: 'expected a fraction in (0, 1]' }).optional(),
  /** Power limit per GPU in W (nvidia-smi -pl): compute-bound steps run slower, every step draws at most this (docs/energy.md). */
  power_cap_w: posNum().optional(),
  /** How the replicas are bought: shares by commitment summing to 1 (on_demand, reserved_1y, reserved_3y, savings_plan, capacity_block, spot; docs/purchase-mix.md). Left out: all on-demand. */
  purchase: PurchaseMixSchema.optional(),
  /** Serve from separate prefill and decode pools (their GPUs add up to `gpus`) instead of colocated replicas. */
  disaggregation: Disaggregation.optional(),
}).superRefine((m, ctx) => {
  const unsold = unsoldCommitment(m.instance, m.purchase);
  if (unsold) ctx.addIssue({ code: 'custom', path: ['purchase', unsold.commitment], input: m.purchase![unsold.commitment], message: unsold.message });
  // a pool's own instance type is bought by the model's mix too (one left out is checked where it is resolved: poolSpecs)
  for (const pool of ['prefill', 'decode'] as const) {
    const instance = m.disaggregation?.[pool].instance;
    const message = instance === undefined ? undefined : poolInstanceUnsold(instance, m.purchase, "the model's purchase");
    if (message) ctx.addIssue({ code: 'custom', path: ['disaggregation', pool, 'instance'], input: instance, message });
  }
});

/** Why a disaggregated pool's instance type cannot be bought by its model's mix (at `purchaseField`), or undefined. */
export function poolInstanceUnsold(instance: string, mix: PurchaseMix | undefined, purchaseField: string): string | undefined {
  const unsold = unsoldCommitment(instance, mix);
  return unsold && `${unsold.message} in ${purchaseField}.${unsold.commitment} (${mix![unsold.commitment]}), or a pool instance type sold so`;
}

const Region = strict({
  traffic_share: prob(),
  capacity_share: prob(),
  /** Electricity grid of the region's data centres (data/grid-carbon.json); default: the region's name if it is a grid, else the world average. */
  grid: z.string().min(1).refine((g) => gridNames().includes(g), { error: () => `expected a grid of data/grid-carbon.json: ${gridNames().join(', ')}` }).optional(),
  /** Carbon intensity of the region's electricity, g CO2e per kWh: overrides the grid's. */
  // At most 5,000: lignite, the dirtiest source, is about 1,100 g/kWh; an unbounded value (1e308) made the summary's emissions Infinity, written as null.
  carbon_g_per_kwh: nonNegNum().max(5000, { error: 'expected g CO2e per kWh of at most 5000 (lignite is about 1100)' }).optional(),
  /** Power usage effectiveness of the region's data centres; default fleet.energy.pue. */
  pue: z.number().min(1, { error: 'expected a PUE of at least 1' }).max(5, { error: 'expected a PUE of at most 5' }).optional(),
}).superRefine((r, ctx) => {
  // a region's requests are served in the region: with traffic and no capacity they were never served
  if (r.traffic_share > 0 && r.capacity_share === 0) {
    ctx.addIssue({ code: 'custom', path: ['capacity_share'], input: r.capacity_share, message: 'expected a share above 0 for a region with traffic (its requests are served in the region), or traffic_share 0' });
  }
});

const CostLine = strict({
  component: z.string().min(1),
  plane: z.enum(['edge', 'services', 'gpu', 'state', 'control']),
  /** Either instances of a type, or a flat monthly amount. */
  instance: z.string().optional(),
  count: nonNegNum().max(1e7, { error: 'expected at most 10,000,000 instances' }).optional(),
  monthly_usd: monthlyUsd().optional(),
});

/** A model given as a Hugging Face config.json path rather than a catalog id. */
export const isModelConfigPath = (model: string) => model.endsWith('.json');

export const FleetSchema = strict({
  /** Fleet sampling: simulate this fraction of every fleet with the same fraction of traffic. */
  // at least a millionth: at 1e-300 no request arrived, and each replica was said to stand for 1e300
  scale: z.number().min(1e-6, { error: 'expected a fraction in [1e-6, 1]' }).max(1, { error: 'expected a fraction in [1e-6, 1]' }).default(1),
  regions: z.record(nameKey(), Region).default({ main: { traffic_share: 1, capacity_share: 1 } }),
  users: strict({
    /** Distinct users in the population (full fleet). */
    count: posInt(),
    /** Zipf exponent of per-user activity: a few heavy users make most requests. */
    zipf_s: nonNegNum().default(1),
  }),
  cdn: strict({ latency_ms: DistSchema, monthly_usd: monthlyUsd().optional(), response_kb: nonNegNum().max(1e6, { error: 'expected at most 1,000,000 KB (1 GB) a response' }).default(4) }),
  load_balancer: strict({ latency_ms: DistSchema, count: posInt().default(1) }),
  gateway: strict({
    ...tierFields,
    /** Share of auth lookups served by the gateway's cache; the rest query PostgreSQL. */
    auth_cache_hit: prob().default(0.9),
    /**
     * Seconds a user's cached key lasts: the cache holds or misses a user's key for this long
     * (epochs staggered per user), so a user who missed misses on every request, retries included,
     * until the epoch ends. Drawn per request, a miss met by PostgreSQL down was retried into a hit
     * nine times in ten, and the SDK's retries hid an outage of the database.
     */
    auth_cache_ttl_s: posNum().max(86_400, { error: 'expected at most 86,400 s (a day)' }).default(300),
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
  s3: strict({ stored_gb: nonNegNum().max(1e9, { error: 'expected at most 1,000,000,000 GB (an exabyte)' }), load_gb_per_s: posNum().default(2), monthly_usd: monthlyUsd().optional() }),
  models: z.record(nameKey(), Served).refine((m) => Object.keys(m).length > 0, { message: 'expected at least one served model' }),
  /** Request classes: share, priority (0 first) and SLO of each; every request is drawn into one (src/fleet/classes.ts, docs/priorities.md). */
  classes: ClassesSchema.optional(),
  /** Control plane and anything else billed but not simulated (monitoring, logging, Kubernetes). */
  other_costs: z.array(CostLine).default([]),
  /** Monthly figures from the source being modelled, shown beside the computed bill. */
  reference_monthly_usd: z.record(nameKey(), monthlyUsd()).optional(),
  /** Power and carbon assumptions (docs/energy.md); every run reports energy and carbon with the defaults. */
  energy: strict({
    /** Power usage effectiveness of every region without its own; default 1.2. */
    pue: z.number().min(1, { error: 'expected a PUE of at least 1' }).max(5, { error: 'expected a PUE of at most 5' }).optional(),
    /** Non-GPU draw per GPU node in W (CPUs, NICs, fans); default a quarter of its GPUs' TDP. */
    // At most 100 kW per node (an 8-GPU node draws about 10 kW in all); an unbounded value made the power figures Infinity, written as null.
    node_overhead_w: nonNegNum().max(100_000, { error: 'expected at most 100000 W per node' }).optional(),
  }).optional(),
  prices: strict({
    set: z.enum(['2024', 'current']).default('2024'),
    // Bounded so that a bill stays finite (1e308 USD an hour made it Infinity, refused only after the run).
    overrides: z.record(nameKey(), posNum().max(1e6, { error: 'expected at most 1000000 USD an hour' })).default({}),
    /** Price factor per region (1 when left out), applied to every GPU line of the bill (fleet/llm/gpu-bill.ts). */
    region_multipliers: z.record(nameKey(), posNum().max(100, { error: 'expected a price factor of at most 100' })).optional(),
  }).default({ set: '2024', overrides: {} }),
}).superRefine((f, ctx) => {
  for (const region of Object.keys(f.prices.region_multipliers ?? {})) {
    if (!Object.hasOwn(f.regions, region)) ctx.addIssue({ code: 'custom', path: ['prices', 'region_multipliers', region], input: region, message: `expected a region of fleet.regions (${Object.keys(f.regions).join(', ')})` });
  }
});

export type FleetSpec = z.infer<typeof FleetSchema>;
export type ServedSpec = z.infer<typeof Served>;
export type DisaggregationSpec = z.infer<typeof Disaggregation>;

/** GPUs in one replica of a served model: tp, or ep under expert parallelism (src/perf/memory.ts). */
export function gpusPerReplica(spec: { tp: number; ep?: number }): number {
  return (spec.ep ?? 1) > 1 ? spec.ep! : spec.tp;
}
export type TierSpec = z.infer<typeof Tier>;
