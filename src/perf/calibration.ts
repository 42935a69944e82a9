import { z } from 'zod';
import { UserError } from '../errors.ts';
import { describeIssue, formatPath } from '../util/format-issue.ts';
import { excerpt } from '../util/excerpt.ts';
import { MAX_SMALL_INPUT_BYTES, readInputText } from '../util/read-input.ts';
import type { GpuSpec } from './hardware.ts';
import { parseJsonInput } from '../util/json-keys.ts';

/**
 * An engine profile: the factors of the step-time model (step.ts) for one serving stack and era,
 * and that stack's scheduler defaults. Named profiles ship in src/perf/profiles/ (profiles.ts);
 * `fleetsim calibrate` fits one to measurements and writes it as JSON; loadCalibration reads it.
 * What each factor means and which measurements justify its term: docs/step-model.md.
 */
/**
 * A factor's bounds keep every figure finite and non-zero: a fraction of a peak near 0 (5e-324)
 * or an amount near 1e308 made the step time Infinity, printed as "∞ ms" and 0 tok/s. The bounds
 * are far beyond any fitted profile's (fractions 0.2 to 0.93, overheads at most 304 us and 36 ms).
 */
const MIN_FRACTION_OF_PEAK = 0.001;
const fraction = () => z.number().gte(MIN_FRACTION_OF_PEAK).lte(1);
const nonNegative = () => z.number().gte(0).finite();
const amountAtMost = (most: number) => nonNegative().max(most);
/** Microseconds of a per-step or per-sequence latency: a tenth of a second. */
const MAX_LATENCY_US = 100_000;
/** Milliseconds of an iteration's fixed cost: ten seconds. */
const MAX_STEP_OVERHEAD_MS = 10_000;
/** Milliseconds of a request's own fixed cost: a minute. */
const MAX_REQUEST_OVERHEAD_MS = 60_000;

/** Bounds of a replica's scheduler: far beyond any engine's, and what its per-sequence arrays may hold. */
export const MAX_NUM_SEQS = 65_536;
export const MAX_BATCHED_TOKENS = 1_048_576;
/** Decode steps in one multi-step run (vLLM's --num-scheduler-steps took up to a few dozen). */
export const MAX_DECODE_RUN_STEPS = 64;

export const SchedulerDefaultsSchema = z.strictObject({
  /** most sequences running at once (vLLM max_num_seqs, TensorRT-LLM max_batch_size) */
  max_num_seqs: z.number().int().positive().max(MAX_NUM_SEQS),
  /** token budget of one iteration (vLLM max_num_batched_tokens) */
  max_batched_tokens: z.number().int().positive().max(MAX_BATCHED_TOKENS),
  /** prompts split into chunks that share iterations with decodes */
  chunked_prefill: z.boolean(),
  /** KV admission (GpuReplica): on-demand (vLLM, SGLang) or reserve-output (TensorRT-LLM's
   *  GUARANTEED_NO_EVICT); default on-demand */
  kv_admission: z.enum(['on-demand', 'reserve-output']).optional(),
  /** TGI's router: waiting prompts join a running batch only when enough wait or enough decode
   *  steps passed since the last prefill (GpuReplica's AdmissionHold); only without chunked prefill */
  admission_hold: z.strictObject({
    max_waiting_steps: z.number().int().positive().max(100_000),
    waiting_served_ratio: z.number().gte(0).max(1_000),
  }).optional(),
  /** multi-step scheduling (vLLM 0.5.5-0.7 --num-scheduler-steps): decodes run in runs of this many
   *  steps and waiting prompts are admitted only between runs (GpuReplica); only without chunked prefill */
  decode_run_steps: z.number().int().min(1).max(MAX_DECODE_RUN_STEPS).optional(),
  /** the engine plans a step while the one before runs (vLLM from 0.14): an arrival joins the step
   *  after next (GpuReplica's async_scheduling); default false */
  async_scheduling: z.boolean().optional(),
  /** the batch and token budget on GPUs of less than 70 GiB and on A100 (smallerGpu), where they
   *  differ: vLLM 0.9 and later default to 256 sequences and 2,048 tokens there, 1,024 and 8,192
   *  elsewhere (vllm/engine/arg_utils.py, pull requests 17073 and 17885) */
  smaller_gpus: z.strictObject({
    max_num_seqs: z.number().int().positive().max(MAX_NUM_SEQS),
    max_batched_tokens: z.number().int().positive().max(MAX_BATCHED_TOKENS),
  }).optional(),
}).superRefine((s, ctx) => {
  if (!s.chunked_prefill) return;
  // Multi-step runs and TGI's hold are modelled only between prefill-only passes (GpuReplica): with
  // chunked prefill they were dropped without a word.
  if ((s.decode_run_steps ?? 1) > 1) {
    ctx.addIssue({ code: 'custom', path: ['decode_run_steps'], message: 'expected 1 or none with chunked_prefill (multi-step is modelled without it)' });
  }
  if (s.admission_hold !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['admission_hold'], message: "expected none with chunked_prefill (TGI 2.x's hold is modelled without it)" });
  }
  // With chunked prefill every running sequence takes a token of each step's budget. A scenario
  // refuses such batching (fleet/llm/build.ts), but named its own field when the profile set it.
  for (const [bounds, path] of [[s, []], [s.smaller_gpus, ['smaller_gpus']]] as const) {
    if (bounds !== undefined && bounds.max_batched_tokens < bounds.max_num_seqs) {
      ctx.addIssue({
        code: 'custom', path: [...path, 'max_batched_tokens'],
        message: `expected at least max_num_seqs (${bounds.max_num_seqs}) with chunked_prefill`,
      });
    }
  }
});
export type SchedulerDefaults = z.infer<typeof SchedulerDefaultsSchema>;

export const FitSchema = z.strictObject({
  /** which corpus rows: file names and the split */
  corpus: z.string(),
  stack: z.string(),
  points: z.number().int().nonnegative(),
  mape_pct: nonNegative(),
  /** factors the fit moved; the others were held at the base profile's values */
  fitted: z.array(z.string()),
  /**
   * Why the fit's last simplex stopped: it converged, its iterations ran out, or the wall-clock
   * bound (`calibrate --max-wall-s`) passed, when the factors are the best found by then and depend
   * on the machine's speed. Absent in profiles fitted before 2026-12-05.
   */
  stopped: z.enum(['converged', 'iterations', 'deadline']).optional(),
  /**
   * The corpus rows fitted, as digests of what each measures and its value (fidelity/in-sample.ts
   * fitRowsRecord): fidelity knows them in any file. Absent in a fit of a Splitwise file, of more
   * rows than in-sample.ts records, and in profiles fitted before 2026-12-07.
   */
  rows: z.string().max(32_768).regex(/^[A-Za-z0-9_-]*$/, 'expected base64url digests, as calibrate writes them').optional(),
});

export const CalibrationProfileSchema = z.strictObject({
  /** profile name, e.g. "vllm-v1" */
  name: z.string().min(1).max(64).optional(),
  /** the serving stack and versions it describes */
  stack: z.string().max(200).optional(),
  /** achieved / dense peak tensor FLOP/s of the weights' dtype in large-M linear layers (GEMMs) */
  gemm_efficiency: fraction(),
  /** tokens in a GEMM at which it reaches half of gemm_efficiency (a skinny GEMM wastes the tensor cores) */
  gemm_half_tokens: amountAtMost(MAX_BATCHED_TOKENS),
  /** achieved / 16-bit dense peak in prefill attention (FlashAttention-class kernels) */
  attention_efficiency: fraction(),
  /** achieved / peak HBM bandwidth when streaming weights */
  memory_bw_efficiency: fraction(),
  /** achieved / peak HBM bandwidth when decode attention reads the KV cache (paged kernels) */
  kv_bw_efficiency: fraction(),
  /** achieved / peak one-direction GPU link bandwidth in tensor-parallel all-reduces */
  link_bw_efficiency: fraction(),
  /** fixed latency of one tensor-parallel all-reduce over NVLink (kernel launch and the ranks' barrier), microseconds */
  allreduce_latency_us: amountAtMost(MAX_LATENCY_US),
  /** its latency per doubling of ranks over NVLink (tree and recursive-doubling algorithms take log2(tp) rounds), microseconds */
  allreduce_doubling_latency_us: amountAtMost(MAX_LATENCY_US),
  /** latency of one hop of a ring all-reduce over PCIe (NCCL), microseconds; a ring has 2 (tp - 1) hops */
  pcie_hop_latency_us: amountAtMost(MAX_LATENCY_US),
  /** fixed cost of one iteration: scheduling, input preparation, launch of the (graph-captured) kernels (ms) */
  step_overhead_ms: amountAtMost(MAX_STEP_OVERHEAD_MS),
  /** per sequence in the batch per iteration: block tables, sampling, detokenisation (microseconds) */
  per_seq_overhead_us: amountAtMost(MAX_LATENCY_US),
  /** per request, once, in its time to first token: API server, tokenisation, admission (ms) */
  request_overhead_ms: amountAtMost(MAX_REQUEST_OVERHEAD_MS),
  /**
   * the engine fuses each row-parallel GEMM with its tensor-parallel all-reduce (TensorRT-LLM's
   * gemm_allreduce_plugin on Hopper, NVLink SHARP multicast): the payload moves once and under
   * the GEMM (step.ts allReducePayloadMs); an engine's build setting, not a fitted factor
   */
  allreduce_fused_with_gemm: z.boolean().optional(),
  /** the stack's scheduler defaults, used unless a scenario sets its own batching */
  scheduler: SchedulerDefaultsSchema.optional(),
  /** the KV cache's dtype where a run names none (dtype.ts defaultKvDtype): the weights' (default;
   *  TensorRT-LLM's FP8 checkpoints carry an FP8 cache) or the activations' 16 bits (vLLM's and
   *  SGLang's kv_cache_dtype "auto": an FP8 model keeps a bf16 cache unless asked) */
  kv_cache_dtype: z.enum(['weights', 'activations']).optional(),
  /** what the engine's memory fraction is a fraction of (memory.ts): `total` GPU memory, weights,
   *  activations and KV cache inside it (vLLM's gpu_memory_utilization; default), or the memory
   *  `free` after weights, activations and runtime, all of it KV cache (TensorRT-LLM's
   *  kv_cache_free_gpu_mem_fraction, KvCacheConfig.free_gpu_memory_fraction) */
  gpu_memory_fraction_of: z.enum(['total', 'free']).optional(),
  /** free-form provenance */
  source: z.string().max(2000).optional(),
  fit: FitSchema.optional(),
});

export type CalibrationProfile = z.infer<typeof CalibrationProfileSchema>;

/** The numeric factors, the part of a profile the step model reads. */
export type CalibrationFactors = Omit<CalibrationProfile, 'name' | 'stack' | 'scheduler' | 'kv_cache_dtype' | 'gpu_memory_fraction_of' | 'source' | 'fit'>;

export const FACTOR_NAMES = [
  'gemm_efficiency', 'gemm_half_tokens', 'attention_efficiency', 'memory_bw_efficiency', 'kv_bw_efficiency',
  'link_bw_efficiency', 'allreduce_latency_us', 'allreduce_doubling_latency_us', 'pcie_hop_latency_us', 'step_overhead_ms', 'per_seq_overhead_us',
  'request_overhead_ms',
] as const satisfies readonly (keyof CalibrationFactors)[];
export type FactorName = (typeof FACTOR_NAMES)[number];

/** Fields of profiles written before fleetsim 0.2, whose step model had another structure. */
const OLD_FORMAT_FIELDS = ['prefill_compute_efficiency', 'decode_compute_efficiency', 'per_seq_overhead_ms'];

/**
 * A profile's first problem in the scenario's words (field: expected ..., got ...), not zod's ("Too
 * big: expected number to be <=1"); a rule of the profile's own already says what it expects, and
 * the value it was given is a whole object (the scheduler's).
 */
function profileIssue(issue: z.core.$ZodIssue): string {
  return issue.code === 'custom' ? `${formatPath(issue.path)}: ${excerpt(issue.message)}` : describeIssue(issue);
}

export function parseCalibration(json: unknown, where: string): CalibrationProfile {
  if (json !== null && typeof json === 'object' && OLD_FORMAT_FIELDS.some((k) => Object.hasOwn(json, k))) {
    throw new UserError(`${where}: a calibration profile of fleetsim 0.1 (prefill_compute_efficiency, ...): ` +
      'the step model changed in 0.2; fit it again with fleetsim calibrate, or choose a named engine profile');
  }
  const r = CalibrationProfileSchema.safeParse(json, { reportInput: true });
  if (!r.success) throw new UserError(`${where}: ${profileIssue(r.error.issues[0])}`);
  return r.data;
}

/** What `calibrate --out` may replace: a calibration profile (of any version), not a user's package.json. */
export const CALIBRATION_PROFILE_FILE = {
  name: 'a fleetsim calibration profile',
  ours(text: string): boolean {
    try {
      const doc: unknown = JSON.parse(text);
      const old = doc !== null && typeof doc === 'object' && OLD_FORMAT_FIELDS.some((k) => Object.hasOwn(doc, k));
      return old || CalibrationProfileSchema.safeParse(doc).success;
    } catch {
      return false; // not JSON
    }
  },
};

export function loadCalibration(path: string): CalibrationProfile {
  const text = readInputText(path, path, (code) => `cannot read calibration profile: ${code}`, MAX_SMALL_INPUT_BYTES);
  return parseCalibration(parseJsonInput(text, path), path);
}

/** vLLM's scheduler defaults with chunked prefill, for a profile that does not name its own. */
export const DEFAULT_SCHEDULER: SchedulerDefaults = { max_num_seqs: 256, max_batched_tokens: 8192, chunked_prefill: true };

export function schedulerOf(profile: CalibrationProfile): SchedulerDefaults {
  return profile.scheduler ?? DEFAULT_SCHEDULER;
}

/** vLLM's line between its two sets of defaults, in GiB as torch reports a card's memory (hardware.ts's memory_gb is in GiB). */
const LARGER_GPU_MEMORY_GIB = 70;

/**
 * A GPU on which vLLM 0.9 and later take their smaller defaults: under 70 GiB, or an A100, which
 * vLLM sets apart by name because its larger budget cost 70B models a third of their throughput at
 * TP 2 (pull request 17885's measurement).
 */
function smallerGpu(gpu: GpuSpec): boolean {
  return gpu.memory_gb < LARGER_GPU_MEMORY_GIB || gpu.id.startsWith('a100');
}

/** The profile's scheduler on this GPU (its own, unless it names smaller defaults and the GPU takes them). */
export function schedulerForGpu(scheduler: SchedulerDefaults, gpu: GpuSpec | undefined): SchedulerDefaults {
  if (scheduler.smaller_gpus === undefined || gpu === undefined || !smallerGpu(gpu)) return scheduler;
  return { ...scheduler, ...scheduler.smaller_gpus };
}

/**
 * The scheduler bounds of a whole replica: under expert parallelism each of its data-parallel
 * groups is an engine core with its own scheduler (vLLM's data-parallel deployment), so the
 * replica's bounds are the profile's times the groups. One scheduler with the summed bounds stands
 * for them (the groups' batches are taken as balanced).
 */
export function replicaScheduler(profile: CalibrationProfile, dataParallelGroups: number, gpu: GpuSpec): SchedulerDefaults {
  const one = schedulerForGpu(schedulerOf(profile), gpu);
  if (dataParallelGroups === 1) return one;
  return { ...one, max_num_seqs: one.max_num_seqs * dataParallelGroups, max_batched_tokens: one.max_batched_tokens * dataParallelGroups };
}

/** Factors that are fractions of a peak (at most 1); the others are non-negative amounts. */
export const FRACTION_FACTORS: ReadonlySet<FactorName> = new Set([
  'gemm_efficiency', 'attention_efficiency', 'memory_bw_efficiency', 'kv_bw_efficiency', 'link_bw_efficiency',
]);
