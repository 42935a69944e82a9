import { z } from 'zod';
import type { LatencySummary } from '../metrics/latency.ts';
import type { RequestCounts } from '../metrics/outcomes.ts';
import type { FaultBand } from '../faults/types.ts';
import type { StopReason } from '../engine/sim.ts';
import { ControlSummarySchema } from './control-summary-schema.ts';
import { PurchaseSummarySchema } from './purchase-summary-schema.ts';
import { Ci95, nullableNumber, replicated, type Agrees } from './summary-schema-parts.ts';

/**
 * summary.json, declared once: the `Summary` type is inferred from it (results/summary.ts) and
 * the published JSON Schema (src/report/summary.schema.json) is generated from it by
 * `fleetsim schema --summary`. Nothing here builds a summary: summary.json's bytes come from the
 * code that builds it, in its key order; this only says what they may be (compare and merge check
 * the summaries they read against it).
 *
 * Definitions with an `id` become `$defs` of the JSON Schema (their names are published: a
 * reader may reference `#/$defs/latency`). Under --replications N > 1 every figure is the mean
 * over replications and each block that holds figures gains a sibling `ci95` (results/aggregate.ts):
 * `replicated` declares those blocks.
 */

export const LatencySchema = replicated({
  p50: nullableNumber(),
  p90: nullableNumber(),
  p99: nullableNumber(),
  p999: nullableNumber(),
  mean: nullableNumber(),
  max: nullableNumber(),
}).meta({ id: 'latency', description: 'Latency in ms: quantiles from DDSketch (0.5% relative accuracy), exact mean and max; null when there is no data.' });

const IN_FLIGHT = 'e2e with the requests still in flight at the end counted at their ages (censored observations): lower bounds of the true percentiles';

/** The request counts every outcome model shares (metrics/outcomes.ts). */
const countFields = {
  offered: z.number(),
  completed: z.number(),
  failed: z.number(),
  rejected: z.number(),
  timed_out: z.number(),
  in_flight_at_end: z.number(),
};

const RequestsSchema = replicated({
  ...countFields,
  error_rate: z.number().describe('(failed + rejected + timed_out) / requests that ended'),
  throughput_per_s: z.number().describe('attempts the servers finished per second'),
  goodput_per_s: z.number().describe('requests completed for a client still waiting, per second'),
  rate_limited: z.number().optional().describe('refused with 429 (a part of rejected)'),
}).meta({ id: 'requests', description: 'Requests that arrived after the warm-up; offered = completed + failed + rejected + timed_out + in_flight_at_end.' });

export const StationSummarySchema = replicated({
  servers: z.number(),
  utilization: z.number(),
  arrivals: z.number(),
  completed: z.number(),
  rejected: z.number(),
  timed_out: z.number(),
  wait_probability: z.number().describe("Fraction of arrivals that found every server busy (Erlang C's P(wait))."),
  throughput_per_s: z.number(),
  wait_ms: LatencySchema,
  sojourn_ms: LatencySchema,
  queue_len_mean: z.number(),
  queue_len_max: z.number(),
}).meta({ id: 'station' });

/** The latency blocks of a fleet: all requests (summary.latency_ms) and per model. */
const latencyBlockFields = {
  e2e: LatencySchema,
  e2e_including_in_flight: LatencySchema.optional().describe(IN_FLIGHT),
  ttft: LatencySchema,
  ttft_including_in_flight: LatencySchema.optional().describe('TTFT with the attempts still waiting for their first token at the end counted at their ages (censored observations): lower bounds of the true percentiles'),
  tpot: LatencySchema,
  itl: LatencySchema,
  ttfvt: LatencySchema.optional().describe('Reasoning models only: time to first visible token, after the hidden thinking tokens (docs/reasoning.md)'),
};
export const LatencyBlocksSchema = z.strictObject(latencyBlockFields);

/** A disaggregated model's hand-over between its pools (fleet/llm/disaggregated.ts). */
export const DisaggregationSummarySchema = replicated({
  prefill_replicas: z.number().describe('Prefill replicas simulated.'),
  decode_replicas: z.number().describe('Decode replicas simulated.'),
  kv_transfers: z.number().describe('KV-cache transfers started in the measured period, simulated fleet.'),
  kv_gb_per_s: z.number().describe('KV-cache bytes sent over the links, GB/s, simulated fleet.'),
  kv_link_busy_fraction: z.number().describe('Mean share of the measured period the KV links were sending.'),
  kv_transfer_ms: LatencySchema.describe('Prefill done to KV cache at the decode pool: queue on the link, bytes / bandwidth, latency.'),
  lost_on_kv_link: z.number().describe('Requests failed by a failed KV link.'),
  no_decode_replica: z.number().describe('Requests failed at the hand-over for want of a healthy decode replica.'),
});

export const ModelSummarySchema = replicated({
  requests: replicated({ ...countFields, rate_limited: z.number(), spilled: z.number(), preemptions: z.number() }),
  latency_ms: LatencyBlocksSchema,
  scheduling_delay_ms: LatencySchema.describe("Submit to first admission into a replica's running batch."),
  output_tokens_per_s: z.number().describe('Full-fleet equivalent (simulated / scale).'),
  reasoning_tokens_per_s: z.number().optional().describe('Reasoning models only: the hidden thinking tokens among output_tokens_per_s, full-fleet equivalent.'),
  reasoning_answers_cut: z.number().optional().describe('Reasoning models only: requests arrived after warm-up whose visible answer the context window cut (the output, hidden tokens first, is held to half the window); of the simulated sample. Warning reasoning_answers_cut.'),
  utilization: z.number().describe("Busy fraction of the model's GPU replicas."),
  disaggregation: DisaggregationSummarySchema.optional().describe('Models served by separate prefill and decode pools only.'),
  slo: replicated({ e2e_p99_ms: z.number().optional(), ttft_p99_ms: z.number().optional(), met: z.boolean() }).optional(),
}).meta({ id: 'model' });

export const GpuSummarySchema = replicated({
  replicas: z.number(),
  replicas_full: z.number(),
  busy_fraction: z.number(),
  batch_size_mean: z.number(),
  kv_utilization: z.number(),
  preemptions: z.number(),
  output_tokens_per_s: z.number(),
  mfu: z.number(),
  bandwidth_utilization: z.number(),
  // prefix caching: present for models whose requests share system prompts or have sessions or agents, absent otherwise
  prefix_hit_rate: z.number().optional().describe('Cached prompt tokens / prompt tokens brought into the KV cache (recomputation after preemption included).'),
  prefix_cached_tokens: z.number().optional().describe('Prompt tokens found in the replicas\' prefix caches (prefill skipped), in the measured period, simulated fleet.'),
  prefix_tokens_saved_per_s: z.number().optional().describe('Prefill tokens saved per second by prefix caching, full-fleet equivalent.'),
  prefix_evicted_blocks: z.number().optional().describe('Shared-prefix KV blocks evicted to make room, simulated fleet.'),
  prefix_usd_saved_per_month: z.number().optional().describe('Prefill replica time the cached tokens skipped (tokens saved/s x prefill ms per token of a full chunk), priced at the model\'s GPU line per replica, USD a month, full fleet.'),
  // KV tiers: present for models with kv_tiers only (docs/kv-tiers.md)
  kv_host_hit_rate: z.number().optional().describe('Of prefix_hit_rate, the share of prompt tokens loaded back from host DRAM.'),
  kv_nvme_hit_rate: z.number().optional().describe('Of prefix_hit_rate, the share of prompt tokens loaded back from local NVMe.'),
  kv_host_hit_tokens: z.number().optional().describe('Prompt tokens loaded back from host DRAM instead of prefilled, simulated fleet.'),
  kv_nvme_hit_tokens: z.number().optional().describe('Prompt tokens loaded back from local NVMe instead of prefilled, simulated fleet.'),
  kv_transfer_s: z.number().optional().describe('Seconds iterations waited for KV transfers between HBM and the tiers (loads, swap-outs, swap-ins), simulated fleet; an iteration\'s transfers, and the tier hits and prefix tokens it loads, are counted when it ends.'),
  kv_transfer_unfinished_s: z.number().optional().describe('Seconds the iterations still in flight at the end had waited for their transfers (not in kv_transfer_s), simulated fleet.'),
  kv_swap_outs: z.number().optional().describe('Preemptions that swapped the sequence\'s KV to host memory (preemption_mode swap), simulated fleet.'),
  kv_swap_fallbacks: z.number().optional().describe('Preemptions that recomputed because the host tier could not hold the sequence, simulated fleet.'),
  kv_tier_dropped_blocks: z.number().optional().describe('Prefix KV blocks that fell off the last tier, simulated fleet.'),
  kv_tiers_monthly_usd: z.number().optional().describe('The KV tiers\' memory on the bill (capacity x replicas x USD per GB-month, assumed unless the scenario prices it), USD a month, full fleet.'),
  aborted: z.number().optional().describe('Attempts aborted because their client left (cancel_on_disconnect), simulated fleet.'),
  aborted_output_tokens: z.number().optional().describe('Output tokens those aborted attempts did not produce: the decode work cancellation saved, simulated fleet.'),
}).meta({ id: 'gpu' });

/** Figures by name (cost lines); replicated, it holds a `ci95` beside them. */
const NumberMapSchema = z.strictObject({ ci95: Ci95.optional() }).catchall(z.number()).meta({ id: 'number_map' });

const CostSchema = replicated({
  monthly_usd: z.number(),
  by_plane: NumberMapSchema.describe('edge, services, gpu, state, control'),
  by_component: NumberMapSchema,
  usd_per_million_tokens: z.number(),
  reference_monthly_usd: NumberMapSchema.optional(),
}).meta({ id: 'cost' });

export const EnergySummarySchema = replicated({
  gpu_power_w: z.number().describe('Mean draw of every GPU of the full fleet over the measured period, W.'),
  node_overhead_w: z.number().describe('Non-GPU draw of the GPU nodes (CPUs, NICs, fans), W.'),
  it_power_w: z.number().describe('gpu_power_w + node_overhead_w.'),
  facility_power_w: z.number().describe('it_power_w x each region\'s PUE, weighted by its capacity share.'),
  monthly_kwh: z.number().describe('Facility energy of a 730-hour month at the simulated load.'),
  kwh_per_million_tokens: z.number().describe('monthly_kwh per million tokens (prompt and output), as usd_per_million_tokens.'),
  wh_per_request: z.number(),
  monthly_kg_co2e: z.number().describe('Emissions of monthly_kwh on each region\'s grid (location-based).'),
  g_co2e_per_million_tokens: z.number(),
  by_model: z.record(z.string(), replicated({
    gpus: z.number(),
    nodes: z.number(),
    power_w_per_gpu: z.number().describe('Mean draw per GPU, idle time included.'),
    idle_w_per_gpu: z.number(),
    prefill_w_per_gpu: z.number().describe('Mean draw during iterations that prefilled.'),
    decode_w_per_gpu: z.number().describe('Mean draw during decode-only iterations.'),
    power_cap_w: z.number().optional(),
    gpu_power_w: z.number(),
    node_overhead_w: z.number(),
  })),
  by_region: z.record(z.string(), replicated({
    grid: z.string().describe('Grid of data/grid-carbon.json, or "override" for carbon_g_per_kwh.'),
    g_co2e_per_kwh: z.number(),
    pue: z.number(),
    capacity_share: z.number(),
    monthly_kg_co2e: z.number(),
  })),
  assumptions: z.array(z.string()).describe('What the figures rest on, one line each (docs/energy.md).'),
  series: z.strictObject({
    t_s: z.array(z.number()).describe('End of each window of the time series, s.'),
    gpu_power_w: z.array(z.number()).describe('Full-fleet mean GPU draw in the window, W.'),
    facility_power_w: z.array(z.number()).describe('(gpu_power_w + node overhead) x PUE, W.'),
  }).optional().describe('Power over time (the first replication\'s under --replications).'),
}).meta({ id: 'energy', description: 'Power, energy and carbon of the LLM fleet (src/results/energy-summary.ts; docs/energy.md).' });

/** The LLM-fleet blocks of summary.json (results/fleet-summary.ts); a station network has none. */
export const fleetPartFields = {
  fleet: replicated({ scale: z.number(), sampled: z.boolean(), users_simulated: z.number(), note: z.string() }),
  by_model: z.record(z.string(), ModelSummarySchema),
  by_stage: z.record(z.string(), z.strictObject({ latency_ms: LatencySchema })),
  gpu: z.record(z.string(), GpuSummarySchema),
  cost: CostSchema,
  energy: EnergySummarySchema,
};

export const FaultBandSchema = z
  .strictObject({
    index: z.int().min(0),
    kind: z.string(),
    target: z.string(),
    start_s: z.number(),
    detected_s: nullableNumber(),
    mitigated_s: nullableNumber(),
    end_s: z.number(),
    recovered_s: nullableNumber(),
    occurrences: z.number().optional().describe('Faults that recur within their window (spot reclaims): how many happened.'),
    measured: z.enum(['no', 'partly']).optional().describe("Absent for a fault inside the measured period; 'no' for one that ended in the warm-up (its effect is in no figure), 'partly' for one that began in it or outlasted the run (its times are cut to the run's end: end_s is the run's duration_s, and detected_s, mitigated_s and recovered_s are null when they came later)."),
  })
  .meta({ id: 'fault', description: 'A fault window as it played out (seconds of simulated time).' });

export const SloVerdictSchema = z.strictObject({
  metric: z.enum(['ttft.p99', 'e2e.p99']).describe('The figure the SLO is on, a path under by_model.<model>.latency_ms.'),
  target_ms: z.number(),
  value_ms: nullableNumber().describe('The figure over completed requests (the mean over replications); null when nothing completed.'),
  interval: z.tuple([z.number(), z.number()]).optional().describe('95% confidence interval over replications'),
  lower_bound_ms: nullableNumber().optional().describe('the p99 with requests in flight at the end counted at their ages (e2e), or attempts still waiting for a first token (TTFT)'),
  met: z.boolean(),
});

export const VerdictWarningSchema = z.strictObject({
  code: z.enum(['over_capacity', 'over_capacity_at_peak', 'near_capacity', 'first_tokens_short', 'not_steady', 'steady_state_unjudged', 'censored', 'fleet_sampled', 'errors', 'incomplete', 'spot_reclaims', 'known_model_bias', 'part_rack', 'kv_tier_bound', 'fault_in_warmup', 'fault_past_end', 'class_without_requests', 'reasoning_answers_cut']),
  message: z.string(),
});

export const ClassVerdictSchema = z.strictObject({
  goodput_per_s: z.number(),
  slo_attainment: nullableNumber().describe('null when the class received no requests'),
  met: z.boolean().nullable().describe("every p99 target of the class's SLO met by its completed requests; null when the class received no requests (nothing to judge: warning class_without_requests)"),
  missed: z.array(z.string()).describe('the targets missed, each with its figure'),
});

export const VerdictSchema = z
  .strictObject({
    slo: z.record(z.string(), SloVerdictSchema).describe('Per model with an SLO: the binding target, its figure and whether it was met.'),
    classes: z.record(z.string(), ClassVerdictSchema).optional().describe('Per request class (fleet.classes): its goodput, SLO attainment and p99 targets met or missed.'),
    first_visible_token: z
      .record(z.string(), z.strictObject({ ttft_p99_ms: nullableNumber(), ttfvt_p99_ms: nullableNumber(), thinking_ms_p99: nullableNumber().describe('ttfvt p99 - ttft p99: what the hidden tokens add at the tail') }))
      .optional()
      .describe('Per reasoning model: the p99 of the first token and of the first visible token the user sees.'),
    steady_state: z.strictObject({
      ok: z.boolean(),
      reasons: z.array(z.string()),
      served_fraction: nullableNumber().optional().describe('Requests ended (completed, failed, rejected) over requests that arrived, in the second half of the measured period: near 1 the run kept up with its load; below, work piled up. With replications the lowest. Null: no arrivals; absent from summaries written before 2026-12-04.'),
    }),
    warnings: z.array(VerdictWarningSchema),
  })
  .describe('What a reader must know first (src/results/verdict.ts; the rules are in docs/reports.md).');

/** Request classes (src/results/class-summary.ts builds the block). */
// replicated: the aggregate gives every block of numbers a ci95 (a replicated run with classes failed its own schema)
const ClassTargetsSchema = replicated({ ttft_p99_ms: z.number().optional(), tpot_p99_ms: z.number().optional(), e2e_p99_ms: z.number().optional() });

export const ClassSummarySchema = replicated({
  priority: z.number().describe('0 runs first (vLLM priority policy)'),
  share: z.number(),
  tenant: z.string().optional(),
  offered: z.number(),
  completed: z.number(),
  failed: z.number(),
  rejected: z.number(),
  timed_out: z.number(),
  normalised_throughput: nullableNumber().describe('completed / offered: the share of its demand the class got served; null when the class received no requests'),
  goodput_per_s: z.number().describe("requests completed for a waiting client that met every target of the class's SLO (TTFT, TPOT, e2e), per second (DistServe); of the simulated sample"),
  slo_attainment: nullableNumber().describe("of completed requests, the share that met every target of the class's SLO (0 when none completed); null when the class received no requests"),
  latency_ms: z.strictObject({ ttft: LatencySchema, tpot: LatencySchema, e2e: LatencySchema }),
  slo: ClassTargetsSchema.optional(),
  gateway_weight: z.number().optional().describe("the class's weight in the gateway's weighted fair queueing"),
  batch: replicated({
      completion_window_h: z.number(),
      discount: z.number(),
      submitted: z.number().describe('requests submitted (every one, warm-up ones too)'),
      completed_in_window: z.number().describe('completed within the window of their submission, on the day clock'),
      completed_late: z.number(),
      not_completed: z.number().describe('ended failed, rejected or timed out'),
      pending_at_end: z.number().describe('not ended when the run stopped (in the fleet or not yet sent)'),
      not_yet_sent_at_end: z.number().optional().describe("a backlog's requests its dispatcher had not yet sent into the fleet"),
      in_window_share: z.number().describe('completed_in_window / submitted'),
    })
    .optional()
    .describe('A batch class: its completion window, met or missed.'),
  bill: replicated({
      token_share: z.number().describe("the class's share of the prompt and output tokens the GPUs processed (measured period)"),
      gpu_monthly_usd: z.number().describe('that share of the monthly GPU bill (fleetsim bills GPUs, not tokens)'),
      usd_per_million_tokens: z.number().describe('GPU cost per million tokens of the class'),
      tokens_per_gpu_hour: z.number().describe("the class's tokens per GPU-hour of the whole fleet"),
      revenue_monthly_usd: z.number().optional().describe('tokens x list_usd_per_mtok x (1 - discount), a batch class with a list price'),
      monthly_kg_co2e: z.number().describe("carbon attributed by the class's tokens hour by hour, on the first region's hourly intensity"),
      g_co2e_per_million_tokens: z.number(),
    })
    .optional()
    .describe('The bill and carbon by class (scenarios with a batch class; docs/priorities.md says how they are attributed).'),
});

export const ClassesSummarySchema = replicated({
    by_class: z.record(z.string(), ClassSummarySchema),
    by_tenant: z.record(z.string(), replicated({ offered: z.number(), completed: z.number(), goodput_per_s: z.number() })).optional(),
    fairness_jain: nullableNumber().describe("Jain's fairness index over the normalised throughput of the classes that received requests: 1 when every class gets the same share of its demand, 1/n when one class gets everything; null when no class received any"),
  })
  .describe('Request classes (fleet.classes), when the scenario declares them.');

/** Why a run's engine stopped; 'mixed' when replications stopped for different reasons. */
export const STOP_REASONS = ['until', 'empty', 'max_events', 'max_wall', 'stopped', 'mixed'] as const;

export const SummarySchema = replicated({
  verdict: VerdictSchema,
  fleetsim_version: z.string(),
  scenario: z.string(),
  scenario_file: z.string(),
  seed: z.int().min(0),
  replications: z.int().min(1),
  complete: z.boolean().describe('false when a limit or Ctrl-C stopped the run before duration_s'),
  duration_s: z.number(),
  warmup_s: z.number(),
  window_s: z.number(),
  requests: RequestsSchema,
  attempts: replicated({ attempts: z.number(), retries: z.number(), abandoned: z.number(), short_circuited: z.number(), budget_exhausted: z.number() })
    .optional()
    .describe('Client attempts, when the scenario has a client section.'),
  faults: z.array(FaultBandSchema).optional().describe('The fault timeline as it played out (start, detected, mitigated, end, recovered).'),
  failures: replicated({ gpu_failures: z.number(), tier_failures: z.number() }).optional().describe('Stochastic failures, when the scenario has a failures section.'),
  latency_ms: z.strictObject({ ...latencyBlockFields, ttft: LatencySchema.optional(), tpot: LatencySchema.optional(), itl: LatencySchema.optional() }),
  stations: z.record(z.string(), StationSummarySchema),
  fleet: fleetPartFields.fleet.optional(),
  by_model: fleetPartFields.by_model.optional(),
  by_stage: fleetPartFields.by_stage.optional(),
  gpu: fleetPartFields.gpu.optional(),
  cost: fleetPartFields.cost.optional(),
  energy: fleetPartFields.energy.optional(),
  purchase: PurchaseSummarySchema.optional(),
  classes: ClassesSummarySchema.optional(),
  control: ControlSummarySchema.optional().describe('The control plane (autoscalers, deploys), when the scenario has one: scaling events, replicas over time, cold starts, deploys, the autoscaled bill.'),
  engine: z.strictObject({ events: z.number(), wall_s: z.number(), events_per_s: z.number(), stop_reason: z.enum(STOP_REASONS) }),
});

/**
 * Compile-time agreement, both ways, of the blocks above with the interfaces of the modules that
 * produce their values: a field added to one side and not the other fails `tsc`.
 */
type WithoutCi95<T> = Omit<T, 'ci95'>;
const agreements: [
  Agrees<WithoutCi95<z.infer<typeof LatencySchema>>, LatencySummary>,
  Agrees<z.infer<z.ZodObject<typeof countFields>>, RequestCounts>,
  Agrees<z.infer<typeof FaultBandSchema>, FaultBand>,
  Agrees<Exclude<StopReason, 'yield'> | 'mixed', (typeof STOP_REASONS)[number]>,
] = [true, true, true, true];
void agreements;
