import { UserError } from '../errors.ts';
import { replicaScheduler, type CalibrationProfile, type SchedulerDefaults } from '../perf/calibration.ts';
import { predictBatch } from '../perf/batch-kinds.ts';
import { DEFAULT_ENGINE, ENGINE_PROFILES, runsTensorRtLlm, withAllReduceFusion, type EngineName } from '../perf/profiles.ts';
import { checkKvDtype, DTYPES, withEffectiveBits, withFp8Scaling, type Dtype } from '../perf/dtype.ts';
import type { GpuSpec } from '../perf/hardware.ts';
import { getGpu, getModel } from '../perf/lookup.ts';
import type { ModelSpec } from '../perf/models.ts';
import { buildStepModel, windowKvTokens, type StepModel, type StepModelOptions } from '../perf/step.ts';
import { VLLM_REPLICA_DEFAULTS } from '../fleet/gpu/replica.ts';
import { FIXED_OUTPUT_SUFFIX, randomRangeOf, SERVING_KINDS, type CorpusRow, type EngineArgs, type Statistic } from './corpus.ts';
import { trtllmBenchLimits } from './trtllm-bench.ts';
import { NEAR_CAPACITY_LOAD } from '../perf/model-error.ts';
import { simulate, type Arrivals, type LengthLaw, type RunResult, type RunSpec } from './run.ts';
import { NIM_VLLM_SINCE, servesWithTensorRtLlm, TGI_CHUNKED_SINCE, versionAtLeast, VLLM_MULTI_STEP_SINCE, VLLM_V1_DEFAULT_SINCE } from './versions.ts';
import { isLengthDataset, type LengthDataset } from './dataset-lengths.ts';

/**
 * fleetsim's prediction of one corpus row. Batch-level kinds come from the step model alone;
 * throughput and serving kinds from one simulated GpuReplica (src/fleet/gpu/replica.ts) driven
 * the way the benchmark drove the real engine. docs/fidelity.md describes each kind.
 */
export type Prediction =
  | {
    readonly id: string;
    readonly status: 'predicted';
    readonly value: number;
    /** false when a simulated run's latency was still rising (overload) or it hit a bound */
    readonly steady: boolean;
    /** open-loop serving rows: the offered request rate over the configuration's simulated
     *  capacity (capacityRps); NaN for other rows */
    readonly load: number;
    readonly notes: readonly string[];
    /**
     * With PredictOptions.sampleSeeds above 1, a finite run whose figure turns on its sample (an
     * offline burst of drawn lengths, a serving run of a stated length with Poisson arrivals or
     * drawn lengths): the lowest and highest figure over that many seeds, this one's included
     */
    readonly sampleRange?: { readonly min: number; readonly max: number; readonly seeds: number };
    /**
     * With PredictOptions.rateScan, an open-loop latency row at NEAR_CAPACITY_LOAD to 1: the
     * multiple of its published request rate at which fleetsim reads its measured figure
     * (rateAtFigure)
     */
    readonly rateAtFigure?: RateAtFigure;
  }
  | { readonly id: string; readonly status: 'not_evaluated'; readonly reason: string };

export interface PredictOptions {
  /** one engine profile for every row (default: the profile of each row's stack, stackEngine) */
  calibration?: CalibrationProfile;
  /** seed of the simulated arrivals and lengths (default 1) */
  seed?: number;
  /** most requests one simulated serving run may submit (default 5,000) */
  maxRequests?: number;
  /** most requests one simulated offline run may submit (default 100,000) */
  maxOfflineRequests?: number;
  /** wall-clock bound of one simulated run in ms (default 10,000) */
  maxWallMs?: number;
  /** simulated runs by configuration, shared by the rows of one evaluation (serving rows of one
   *  run differ only in the statistic they read) */
  cache?: Map<string, RunResult>;
  /** seeds each finite run whose figure turns on its sample is read with (Prediction.sampleRange); 1, one, by default (fits, tests) */
  sampleSeeds?: number;
  /** a closed loop's client gap between a response's end and its next request, the mean of an exponential law in ms (default CLIENT_GAP_MS) */
  clientGapMs?: number;
  /** scan near-capacity latency rows for the request rate at which fleetsim reads their figure (Prediction.rateAtFigure) */
  rateScan?: boolean;
}

export const DEFAULT_SEED = 1;
/**
 * A benchmark client's gap between one response's end and its next request in a closed loop: the
 * mean of an exponential law, in ms. Requests alike to the token keep a deterministic loop in
 * lock-step for ever; a real client's (GenAI-Perf's, `vllm bench`'s) milliseconds of HTTP and
 * scheduling jitter loosen it. Chosen on the NIM course's calibration half over 0-20 ms
 * (docs/step-model.md, "Closed loops loosen").
 */
export const CLIENT_GAP_MS = 5;
/** Most a client gap may be set to (ms): a minute between requests is no longer a closed loop. */
export const MAX_CLIENT_GAP_MS = 60_000;
export const DEFAULT_MAX_REQUESTS = 5_000;
/**
 * An offline run simulates the published request count up to this many. Its throughput depends on
 * the run's length (the ramp while the first batch fills, the drain while the longest outputs
 * finish): MLPerf's Llama 2 70B offline run on one H100 TP2 replica, 24,576 requests of OpenOrca
 * lengths, comes out 6,271 tok/s simulated at full length and 5,792 cut at 5,000 requests, against
 * 5,539 measured; cut, the run hid two thirds of the error. A 30,000-request run of fixed lengths
 * takes about 0.1 s.
 */
export const DEFAULT_MAX_OFFLINE_REQUESTS = 100_000;
export const DEFAULT_MAX_WALL_MS = 10_000;
/** An offline throughput row with num_requests blank ("many"): this many requests. */
export const DEFAULT_THROUGHPUT_REQUESTS = 5_000;
/** A serving row with num_requests blank is read at steady state: requests before this many are a warm-up. */
export const STEADY_WARMUP_REQUESTS = 200;
export const STEADY_MEASURED_REQUESTS = 1_000;
/**
 * A steady-state reading is taken again after a warm-up this many times longer, until the figures
 * it reads (mean TTFT, TPOT and throughput) move less than STEADY_TOLERANCE or the warm-up would
 * pass STEADY_MAX_WARMUP_REQUESTS. A fixed warm-up read transients as steady states: closed loops
 * of equal requests start in lock-step and take many generations to spread out (NIM's Llama-3.3-70B
 * at concurrency 50, 5,000/500 tokens: mean TTFT 1,155 ms after 200 requests, 752 ms after 5,000,
 * 835 ms measured), and an open loop near capacity fills its batch over minutes (MLPerf's Llama 2
 * 70B server run on H100 TP 2: 230 requests in flight after 200 requests, 490 after 6,000).
 */
export const STEADY_WARMUP_GROWTH = 4;
/** Request lifetimes a steady-state reading's first warm-up spans at least (pastFirstLifetimes). */
export const STEADY_WARMUP_LIFETIMES = 4;
export const STEADY_TOLERANCE = 0.05;
export const STEADY_MAX_WARMUP_REQUESTS = 20_000;
/**
 * The first TensorRT-LLM release of the `trtllm` profile's era; earlier ones: `trtllm-2024`. The
 * published throughput of the same configurations steps up at 0.11 (Llama-3-8B FP8 on H200,
 * 128/2048: 8,368 tok/s in 0.10, 23,724 in 0.11; data/corpus/fresh-trtllm.csv): the 40 rows of
 * 0.11-0.15 are 16.3% off with `trtllm` against 20.8% with the boundary at 0.14, where it was until
 * 2026-12-04 (no row of 0.11-0.13 was in the corpus then).
 */
export const TRTLLM_CURRENT_SINCE = '0.11';
/**
 * The first TensorRT-LLM release of the rows `trtllm` was fitted on; 0.11-0.13 take `trtllm-0.11`,
 * its factors with a GEMM efficiency refitted on the one figure NVIDIA published with its own
 * harness on 0.12 (MLPerf Inference v4.1's offline Llama 2 70B on H200: 0.613 -> 0.554). Read,
 * never fitted: the 0.11-0.13 performance overviews 15.0% -> 13.2% (26 rows), 0.12.0's L40S
 * overview 14.9% -> 12.9% (30), ten other submitters' MLPerf v4.1 runs 35.3% -> 27.9% (111).
 */
export const TRTLLM_FITTED_SINCE = '0.14';
/**
 * TensorRT-LLM releases before this one published static-batch figures of its session runtime
 * (gptSessionBenchmark: one batch run to completion, no batch manager); from 0.10 on, in-flight
 * batching (gptManagerBenchmark, then trtllm-bench). Rows before it take `trtllm-session`:
 * `trtllm-2024` without a per-sequence cost, which the 751 static-batch latencies of 0.9.0
 * (data/corpus/trt090-course/) support: 13.4% -> 9.9%, and +30% -> about 0 at batch 256-1,024.
 * MLPerf v4.0's harness (a devdrop of 0.8, in-flight batching) is the exception the version
 * cannot see: its offline rows read -1%, +13% and +16% with it (-13%, -7% and -5% with
 * `trtllm-2024`), all within 20%.
 */
export const TRTLLM_SESSION_BEFORE = '0.10';
/**
 * The first TensorRT-LLM release whose decode attention for grouped-query models ran the XQA kernel
 * (NVIDIA's XQA blog, docs/source/blogs/XQA-kernel.md: "will be included in the v0.8 releases";
 * it measured Llama 2 70B on one H200 at 128/2048 at 1,227 tokens/s without and 2,941 with it).
 * Before it the masked multi-head attention kernel read each KV head once per query head
 * (perf/step.ts decodeKvReadsPerToken): a row of an earlier release decodes so unless its
 * engine_args say xqa=true (a pre-release that had it), and a later one with xqa=false does too.
 */
export const TRTLLM_XQA_SINCE = '0.8';
/**
 * The first NIM for LLMs release whose TensorRT-LLM is of the `trtllm` profile's era. NIM 1.0
 * (June 2024; the Llama 3 containers were released as 1.0.0 and 1.0.3, NIM 1.1.0 documentation,
 * "Models") shipped before TensorRT-LLM 0.11 (July 2024), behind NIM's streaming server: its rows
 * take `nim-2024`, fitted on half of the NVIDIA course dataset of those containers
 * (data/corpus/nim-course/). Its 1,430 ITL and throughput figures: 11.9% off with `nim-2024`, 14.9%
 * with `trtllm-2024` and 22.0% with `trtllm` (seed 1, 2026-12-04). NIM 1.8's published figures
 * (vendor.csv) fit `trtllm`: 16 rows, 4.5%.
 */
export const NIM_TRTLLM_CURRENT_SINCE = '1.1';
/**
 * The first vLLM release after the 2023 era (0.2-0.3: no chunked prefill, no CUDA graphs by default
 * for every batch: `vllm-2023`). From it to 0.7, the V0 engine scheduled every step (`vllm-v0`)
 * unless a run turned multi-step scheduling on (0.6 and 0.7: `vllm-0.6`); releases from 0.8, where
 * the V1 engine became the default (vLLM 0.8.0 release notes, pull request 13726), are the `vllm`
 * profile's. An unnumbered version counts as current.
 */
export const VLLM_CURRENT_SINCE = '0.4';
/**
 * vLLM 0.6.x, whose published serving benchmarks (the vLLM team's v0.6.0 blog, the SGLang team's
 * comparison README) all ran multi-step scheduling on the V0 engine: `vllm-0.6` unless a run says
 * `num_scheduler_steps=1`. 0.7.x ran V0 too, one step at a time by default: `vllm-v0` unless a run
 * says more steps. (VLLM_MULTI_STEP_SINCE and VLLM_V1_DEFAULT_SINCE: versions.ts, which the loader reads too.)
 */
export const VLLM_MULTI_STEP_BEFORE = '0.7';
/**
 * The first vLLM release that schedules asynchronously by default (0.14.0, 2026-01, its release
 * notes: "Async scheduling is now enabled by default", `--no-async-scheduling` to turn it off): the
 * `vllm` profile's `async_scheduling`. Rows of 0.8-0.13 read without it (asRun).
 */
export const VLLM_ASYNC_SCHEDULING_SINCE = '0.14';

/**
 * The first SGLang release with the overlap ("zero-overhead") scheduler (0.4, 2024-12), the
 * `sglang` profile's era; earlier ones are `sglang-0.3`'s. An unnumbered version counts as current.
 */
export const SGLANG_OVERLAP_SINCE = '0.4';

/**
 * The engine profile a row's stack is predicted with: the stack's own profile where fleetsim has
 * one (TensorRT-LLM, vLLM, SGLang and TGI by era); NVIDIA NIM runs TensorRT-LLM (of its release's era); Splitwise measured the vLLM of 2023;
 * any other stack (LMDeploy, ...) gets the default profile, so its rows measure how far that
 * stack is from it.
 */
const STACK_ENGINES: Readonly<Record<string, (version: string, args: EngineArgs) => EngineName>> = {
  trtllm: (v, args) => {
    // a static batch is the session runtime's in any release; before 0.10 the published runs were
    // static batches unless they say the batch manager ran them (MLPerf v4.0's harness did)
    if (args.batching_type === 'STATIC') return 'trtllm-session';
    if (versionAtLeast(v, TRTLLM_FITTED_SINCE)) return 'trtllm';
    if (versionAtLeast(v, TRTLLM_CURRENT_SINCE)) return 'trtllm-0.11';
    return versionAtLeast(v, TRTLLM_SESSION_BEFORE) || args.batching_type === 'INFLIGHT' ? 'trtllm-2024' : 'trtllm-session';
  },
  nim: (v) => {
    if (versionAtLeast(v, NIM_VLLM_SINCE)) return 'vllm';
    return versionAtLeast(v, NIM_TRTLLM_CURRENT_SINCE) ? 'trtllm' : 'nim-2024';
  },
  sglang: (v) => (versionAtLeast(v, SGLANG_OVERLAP_SINCE) ? 'sglang' : 'sglang-0.3'),
  tgi: (v) => (versionAtLeast(v, TGI_CHUNKED_SINCE) ? DEFAULT_ENGINE : 'tgi'),
  'splitwise-vllm': () => 'vllm-2023',
  vllm: (v, args) => {
    if (!versionAtLeast(v, VLLM_CURRENT_SINCE)) return 'vllm-2023';
    if (versionAtLeast(v, VLLM_V1_DEFAULT_SINCE)) return 'vllm';
    if (!versionAtLeast(v, VLLM_MULTI_STEP_SINCE)) return 'vllm-v0';
    // V0 of 0.6 and 0.7: 0.6's published runs took multi-step unless they say otherwise, 0.7's
    // default was one step at a time (a run that asked for more says so)
    const steps = args.num_scheduler_steps;
    if (!versionAtLeast(v, VLLM_MULTI_STEP_BEFORE)) return steps === 1 ? 'vllm-v0' : 'vllm-0.6';
    return steps !== undefined && steps > 1 ? 'vllm-0.6' : 'vllm-v0';
  },
};

/** The engine profile of a stack's release, and of the settings its run states (engine_args). */
export function stackEngine(stack: string, version = 'unknown', args: EngineArgs = {}): EngineName {
  return Object.hasOwn(STACK_ENGINES, stack) ? STACK_ENGINES[stack](version, args) : DEFAULT_ENGINE;
}

/** The stacks among `rows` that fleetsim has no profile for (predicted with the default), with their row counts. */
export function stacksWithoutProfile(rows: readonly CorpusRow[]): { stack: string; rows: number }[] {
  const counts = new Map<string, number>();
  for (const r of rows) {
    if (!Object.hasOwn(STACK_ENGINES, r.stack)) counts.set(r.stack, (counts.get(r.stack) ?? 0) + 1);
  }
  return [...counts].sort(([a], [b]) => (a < b ? -1 : 1)).map(([stack, n]) => ({ stack, rows: n }));
}

/**
 * A row's engine settings as its run had them: a serving row's engine took requests as they came,
 * which TensorRT-LLM does in flight (its batch manager: Triton's backend and every benchmark that
 * sends requests at a rate or from a client loop), so a serving row that does not say how it
 * batched reads as in flight, whatever its release; an offline or static-batch row keeps what it
 * says (before 0.10 the session runtime's static batches, stackEngine).
 */
function asRun(row: CorpusRow): EngineArgs {
  const serving = SERVING_KINDS.includes(row.kind);
  let args = serving && row.engine_args.batching_type === undefined ? { ...row.engine_args, batching_type: 'INFLIGHT' as const } : row.engine_args;
  // Only vLLM schedules asynchronously, and only from 0.14 unless a run says so (NIM from 2.0 runs
  // vLLM 0.17 and later): a row of another stack predicted with vLLM's profile (the default), or
  // of an earlier vLLM, plans in step.
  const asyncByDefault = (row.stack === 'vllm' && versionAtLeast(row.stack_version, VLLM_ASYNC_SCHEDULING_SINCE)) || (row.stack === 'nim' && versionAtLeast(row.stack_version, NIM_VLLM_SINCE));
  if (args.async_scheduling === undefined && !asyncByDefault) args = { ...args, async_scheduling: false };
  return args;
}

export function profileFor(row: CorpusRow, o: PredictOptions): CalibrationProfile {
  const profile = o.calibration ?? ENGINE_PROFILES[stackEngine(row.stack, row.stack_version, asRun(row))];
  // how the engine was built, whichever factors read it
  const plugin = row.engine_args.gemm_allreduce_plugin;
  return withAllReduceFusion(profile, plugin === undefined ? undefined : plugin !== 'disable');
}
/** Steady-state check: requests in flight may grow by this fraction of the arrivals over the second
 *  half of the measured arrivals (see steadiness). */
export const STEADY_GROWTH_FRACTION = 0.05;

const notEvaluated = (row: CorpusRow, reason: string): Prediction => ({ id: row.id, status: 'not_evaluated', reason });

function isDtype(d: string): d is Dtype {
  return (DTYPES as readonly string[]).includes(d);
}

/** A row's memory fraction, where its engine_args name one (else its profile's rule at 0.9). */
function memorySettings(row: CorpusRow): { gpuMemoryUtilization?: number; kvCacheFreeMemoryFraction?: number } {
  const a = row.engine_args;
  return {
    ...(a.gpu_memory_utilization !== undefined ? { gpuMemoryUtilization: a.gpu_memory_utilization } : {}),
    ...(a.kv_cache_free_gpu_mem_fraction !== undefined ? { kvCacheFreeMemoryFraction: a.kv_cache_free_gpu_mem_fraction } : {}),
  };
}

/** Whether a row's engine decoded grouped-query attention without XQA (TRTLLM_XQA_SINCE). */
export function decodesWithoutXqa(row: CorpusRow): boolean {
  if (!servesWithTensorRtLlm(row.stack, row.stack_version)) return false;
  if (row.engine_args.xqa !== undefined) return !row.engine_args.xqa;
  // NIM's versions are its own; its first (1.0, 2024) came after TensorRT-LLM 0.8
  return row.stack === 'trtllm' && !versionAtLeast(row.stack_version, TRTLLM_XQA_SINCE);
}

/** The step model's options for a row whose dtypes resolveRow accepted (the fit's geometry too: fit-corpus.ts). */
export function rowStepOptions(row: CorpusRow, model: ModelSpec, gpu: GpuSpec, calibration: CalibrationProfile): StepModelOptions {
  return {
    model, gpu, tp: row.tp, ep: row.ep, dtype: row.dtype as Dtype, kvDtype: row.kv_dtype as Dtype, calibration, ...memorySettings(row),
    decodeKvReadsPerQueryHead: decodesWithoutXqa(row),
  };
}

/** The catalog entries and step model of a row, or why fleetsim cannot model it. */
export function resolveRow(row: CorpusRow, calibration: CalibrationProfile): { model: ModelSpec; gpu: GpuSpec; step: StepModel } | string {
  let model: ModelSpec, gpu: GpuSpec;
  try {
    model = withEffectiveBits(withFp8Scaling(getModel(row.model), row.engine_args.fp8_scaling), row.engine_args.effective_bits);
  } catch (e) {
    if (e instanceof UserError) return `unknown model ${row.model}`;
    throw e;
  }
  try {
    gpu = getGpu(row.gpu);
  } catch (e) {
    if (e instanceof UserError) return `unknown gpu ${row.gpu}`;
    throw e;
  }
  // as perf and scenarios refuse it: TensorRT-LLM's figures are of NVIDIA GPUs' kernels
  if (servesWithTensorRtLlm(row.stack, row.stack_version) && !runsTensorRtLlm(gpu)) return `TensorRT-LLM runs on NVIDIA GPUs only, not ${row.gpu}`;
  if (!isDtype(row.dtype)) return `dtype ${row.dtype} not modelled`;
  if (!isDtype(row.kv_dtype)) return `kv_dtype ${row.kv_dtype} not modelled`;
  if (model.kind === 'encoder' && row.kind !== 'prefill') return `${row.model} is an encoder: only prefill rows apply`;
  try {
    // a cache the GPU cannot hold (int4, fp4 before Blackwell) is refused as perf and scenarios refuse it
    checkKvDtype(gpu, row.kv_dtype, 'kv_dtype');
    const step = buildStepModel(rowStepOptions(row, model, gpu, calibration));
    return { model, gpu, step };
  } catch (e) {
    if (e instanceof UserError) return `step model refused the configuration: ${e.message}`;
    throw e;
  }
}

/** Batch-level kinds: the closed forms of perf/batch-kinds.ts, which `calibrate` fits with. */
function staticPrediction(row: CorpusRow, step: StepModel, gpu: GpuSpec, profile: CalibrationProfile): number {
  const kind = row.kind as 'prefill' | 'decode' | 'latency';
  return predictBatch(step, withEngineArgs(replicaScheduler(profile, step.dataParallelGroups, gpu), asRun(row)), { kind, batch: row.batch, prompt_tokens: row.prompt_tokens, output_tokens: row.output_tokens });
}

/** numpy.percentile's default (linear interpolation between order statistics), as benchmark scripts use. */
export function quantile(values: Float64Array, q: number): number {
  if (values.length === 0) return NaN;
  const s = Float64Array.from(values).sort();
  const h = (s.length - 1) * q;
  const lo = Math.floor(h);
  return s[lo] + (h - lo) * (s[Math.min(lo + 1, s.length - 1)] - s[lo]);
}

const Q: Readonly<Record<Exclude<Statistic, 'mean'>, number>> = { median: 0.5, p90: 0.9, p99: 0.99 };

function statisticOf(values: Float64Array, statistic: Statistic): number {
  if (statistic === 'mean') return values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN;
  return quantile(values, Q[statistic]);
}

/** The row's figure from a simulated run. */
export function figureOf(row: CorpusRow, run: RunResult): number {
  const window_s = run.window_ms / 1000;
  switch (row.kind) {
    case 'serving_ttft': return statisticOf(run.ttft_ms, row.statistic);
    case 'serving_tpot': return statisticOf(run.tpot_ms, row.statistic);
    case 'serving_e2e': return statisticOf(run.e2e_ms, row.statistic);
    case 'serving_itl': {
      const s = run.itl.summary();
      return (row.statistic === 'mean' ? s.mean : run.itl.quantile(Q[row.statistic])) ?? NaN;
    }
    case 'hit_rate': return run.cached_prompt_tokens / run.prompt_tokens;
    case 'throughput':
    case 'serving_throughput': {
      const output_tok_s = run.output_tokens / window_s;
      if (row.unit === 'total_tok_s') return (run.output_tokens + run.prompt_tokens) / window_s;
      return row.unit === 'req_s' ? requestsPerS(run) : output_tok_s;
    }
    default: throw new Error(`figureOf: ${row.kind} is not a simulated kind`);
  }
}

export interface Plan {
  spec: RunSpec;
  notes: string[];
  /** all submitted at once: e2e rises with the submission index by construction, no steady-state check */
  burst: boolean;
  /** no run length published: the reading is the steady state, after a warm-up (steadyRun) */
  steady_state: boolean;
}

/** The law of a row's outputs: fixed for a `...-fixed-output` cell (FIXED_OUTPUT_SUFFIX), else the prompts' (lengthLaw). */
export function outputLengthLaw(lengths: string): LengthLaw {
  return lengths.endsWith(FIXED_OUTPUT_SUFFIX) ? 'fixed' : lengthLaw(lengths);
}

/**
 * The length law of a row's `lengths` column. `random` is vLLM's synthetic dataset: with its
 * default range ratio every prompt and output has exactly the stated length. `random-uniform` is
 * SGLang's with range ratio 0 (uniform on [1, L]; the row states the means). `synthetic` is
 * genai-perf's and AIPerf's generated prompts, whose input and output standard deviations default
 * to 0 (NIM's benchmarking guide also forces the output length with ignore_eos): fixed lengths.
 * `random-range-R`: vLLM's `random` at `--random-range-ratio R` (rangeRatio). `shared-prefix-N`
 * and `repeat-K`: fixed lengths. Other datasets (sharegpt, ...): geometric with the stated means.
 */
export function lengthLaw(lengths: string): LengthLaw {
  if (lengths.endsWith(FIXED_OUTPUT_SUFFIX)) return lengthLaw(lengths.slice(0, -FIXED_OUTPUT_SUFFIX.length));
  if (lengths === 'fixed' || lengths === 'random' || lengths === 'synthetic' || sharedPrefixTokens(lengths) > 0 || repeatCount(lengths) > 1) return 'fixed';
  if (rangeRatio(lengths) > 0) return 'range';
  return lengths === 'random-uniform' ? 'uniform' : 'geometric';
}

/**
 * r of a `random-range-R` lengths cell (vLLM's random dataset at `--random-range-ratio R`: each
 * prompt and output uniform within R of its stated length), 0 for any other cell; the corpus
 * loader refuses R outside (0, 1).
 */
export function rangeRatio(lengths: string): number {
  const r = randomRangeOf(lengths);
  return r !== undefined && r > 0 && r < 1 ? r : 0;
}

/** The dataset whose per-sample lengths a row's runs draw (its lengths cell, less a fixed-output suffix), if fleetsim has them (dataset-lengths.ts). */
export function lengthDataset(lengths: string): LengthDataset | undefined {
  const name = lengths.endsWith(FIXED_OUTPUT_SUFFIX) ? lengths.slice(0, -FIXED_OUTPUT_SUFFIX.length) : lengths;
  return isLengthDataset(name) ? name : undefined;
}

/** N of a `shared-prefix-N` lengths cell (0 for any other). */
export function sharedPrefixTokens(lengths: string): number {
  const m = /^shared-prefix-(\d+)$/.exec(lengths);
  return m ? Number(m[1]) : 0;
}

/** K of a `repeat-K` lengths cell: every distinct prompt sent K times (0 for any other cell). */
export function repeatCount(lengths: string): number {
  const m = /^repeat-(\d+)$/.exec(lengths);
  return m ? Number(m[1]) : 0;
}

/** Kinds read off an offline run (every request submitted at once), as benchmark_throughput.py and benchmark_prefix_caching.py run. */
const OFFLINE_KINDS: ReadonlySet<string> = new Set(['throughput', 'throughput_ratio', 'hit_rate']);

/** The scheduler a row's engine ran: its profile's defaults for the GPU, the run's engine_args, and trtllm-bench's limits where it built the engine. */
export function rowScheduler(row: CorpusRow, profile: CalibrationProfile, model: ModelSpec, step: StepModel, gpu: GpuSpec): SchedulerDefaults {
  return withBenchBuild(withEngineArgs(replicaScheduler(profile, step.dataParallelGroups, gpu), asRun(row)), row, model, step, gpu);
}

/** How the benchmark drove the engine, as a simulated run. */
export function runPlanFor(row: CorpusRow, model: ModelSpec, step: StepModel, gpu: GpuSpec, o: PredictOptions): Plan {
  const scheduler = rowScheduler(row, profileFor(row, o), model, step, gpu);
  const maxRequests = o.maxRequests ?? DEFAULT_MAX_REQUESTS;
  const notes: string[] = [];
  // `shared-prefix-N`: fixed lengths whose first N prompt tokens are one prefix every request shares (prefix caching on)
  // `repeat-K`: every distinct prompt sent K times (prefix caching on)
  const shared = sharedPrefixTokens(row.lengths);
  const repeat = repeatCount(row.lengths);
  const dataset = lengthDataset(row.lengths);
  const lengths = {
    prompt_tokens: row.prompt_tokens, output_tokens: row.output_tokens, law: lengthLaw(row.lengths), output_law: outputLengthLaw(row.lengths), max_context: model.max_context, range_ratio: rangeRatio(row.lengths),
    ...(shared > 0 ? { shared_prefix_tokens: shared } : {}), ...(repeat > 1 ? { repeat_count: repeat } : {}), ...(dataset ? { dataset } : {}),
    // the earlier run of the sweep sent the same num_requests prompts (the loader requires it)
    ...(row.prompts_cached && row.num_requests !== undefined ? { cached_prompts: row.num_requests } : {}),
    ...(row.max_output_tokens !== undefined ? { max_output_tokens: row.max_output_tokens } : {}),
  };
  const base = { step, lengths, seed: o.seed ?? DEFAULT_SEED, max_wall_ms: o.maxWallMs ?? DEFAULT_MAX_WALL_MS };
  const finite = (published: number | undefined, fallback: number, bound = maxRequests) => {
    const n = Math.min(published ?? fallback, bound);
    if (published !== undefined && published > n) notes.push(`simulated ${n} of the ${published} requests`);
    return { requests: n, warmup: 0, measured: n };
  };
  if (OFFLINE_KINDS.has(row.kind)) {
    const spec = { ...base, arrivals: { kind: 'burst' } as const, max_num_seqs: row.batch ?? scheduler.max_num_seqs, scheduler, ...finite(row.num_requests, DEFAULT_THROUGHPUT_REQUESTS, o.maxOfflineRequests ?? DEFAULT_MAX_OFFLINE_REQUESTS) };
    return { spec, notes, burst: true, steady_state: false };
  }
  const arrivals: Arrivals = row.request_rate_per_s !== undefined
    ? { kind: 'poisson', rate_per_s: row.request_rate_per_s }
    : { kind: 'closed', concurrency: row.batch!, client_gap_ms: o.clientGapMs ?? CLIENT_GAP_MS };
  // with a request rate, batch (if given) is the engine's max_num_seqs; in a closed loop it is the client's concurrency
  const maxNumSeqs = arrivals.kind === 'poisson' ? row.batch ?? scheduler.max_num_seqs : scheduler.max_num_seqs;
  const concurrency = arrivals.kind === 'closed' ? arrivals.concurrency : 0;
  let sizes;
  if (row.num_requests !== undefined) {
    // the benchmark's statistics cover all its requests, from a cold start: simulate that run
    sizes = finite(row.num_requests, row.num_requests);
  } else {
    // no run length published: read the steady state, after a warm-up of a few batch lifetimes
    const warmup = Math.max(STEADY_WARMUP_REQUESTS, 2 * concurrency);
    const measured = Math.max(STEADY_MEASURED_REQUESTS, 4 * concurrency);
    sizes = { requests: Math.max(maxRequests, warmup + measured + concurrency + 1), warmup, measured };
  }
  return { spec: { ...base, arrivals, max_num_seqs: maxNumSeqs, scheduler, ...sizes }, notes, burst: false, steady_state: row.num_requests === undefined };
}

/** Whether a run settled: finished within its bounds, and (not a burst) latency not still rising. */
function steadiness(run: RunResult, plan: Plan): { steady: boolean; notes: string[] } {
  const notes: string[] = [];
  if (run.stop === 'max_wall') notes.push(`stopped at the ${plan.spec.max_wall_ms / 1000} s wall-clock bound`);
  if (run.completed_measured < plan.spec.measured - run.rejected) notes.push(`${run.completed_measured} of ${plan.spec.measured} measured requests completed`);
  if (run.rejected > 0) notes.push(`${run.rejected} requests never fit in the modelled KV cache`);
  // A stable replica's queue fluctuates around its mean (by about its square root); an overloaded
  // one grows by (1 - capacity / rate) per arrival. Flag growth over the second half of the
  // measured arrivals above 5% of them and above 4 square roots of the mean in flight.
  const bound = Math.max(STEADY_GROWTH_FRACTION * run.submissions_between, 4 * Math.sqrt(run.mean_in_flight));
  if (!plan.burst && run.in_flight_growth > bound) {
    notes.push(`not steady: ${run.in_flight_growth} more requests in flight after the last measured arrival than halfway through them (offered load above capacity?)`);
  }
  return { steady: notes.length === 0, notes };
}

/**
 * A profile's scheduler with a row's engine settings (its engine_args column) in place of the
 * profile's. Multi-step scheduling turns chunked prefill off, and chunked prefill turns a profile's
 * multi-step off (the corpus loader refuses both on in one row): vLLM 0.6.0, whose benchmarks ran
 * multi-step, could not combine them.
 */
export function withEngineArgs(s: SchedulerDefaults, a: EngineArgs): SchedulerDefaults {
  // a run with chunked prefill had no multi-step (the loader refuses the two together in one row)
  const runSteps = a.num_scheduler_steps ?? (a.enable_chunked_prefill === true ? 1 : s.decode_run_steps ?? 1);
  return {
    ...s,
    max_num_seqs: a.max_num_seqs ?? s.max_num_seqs,
    max_batched_tokens: a.max_num_batched_tokens ?? s.max_batched_tokens,
    chunked_prefill: a.enable_chunked_prefill ?? (runSteps > 1 ? false : s.chunked_prefill),
    decode_run_steps: runSteps,
    async_scheduling: a.async_scheduling ?? s.async_scheduling,
    kv_admission: a.capacity_scheduler_policy === undefined ? s.kv_admission : a.capacity_scheduler_policy === 'MAX_UTILIZATION' ? 'on-demand' : 'reserve-output',
  };
}

/** A row whose engine trtllm-bench built by its own rule (engine_args trtllm_bench_isl/osl): that rule's limits (trtllm-bench.ts). */
function withBenchBuild(s: SchedulerDefaults, row: CorpusRow, model: ModelSpec, step: StepModel, gpu: GpuSpec): SchedulerDefaults {
  const { trtllm_bench_isl: isl, trtllm_bench_osl: osl } = row.engine_args;
  if (isl === undefined || osl === undefined) return s;
  const limits = trtllmBenchLimits({ params_total: model.params_total, weight_dtype: row.dtype, kv_bytes_per_token: step.kvBytesPerToken, tp: row.tp, gpu }, { isl, osl });
  return { ...s, ...limits };
}

/**
 * The run of a spec, simulated once per evaluation (rows of one configuration share it). The key
 * names everything the step model is built from: without the expert-parallel degree, a DeepSeek-R1
 * row at EP 8 and one at EP 1 of the same runs (the same KV capacity) shared whichever was
 * simulated first, so adding a corpus part moved another part's figures (so too a row decoding
 * without XQA and one with it).
 */
function cachedRun(row: CorpusRow, spec: RunSpec, o: PredictOptions): RunResult {
  const key = JSON.stringify([row.model, row.engine_args.fp8_scaling, row.engine_args.effective_bits, decodesWithoutXqa(row), row.gpu, row.tp, row.ep, row.dtype, row.kv_dtype, profileFor(row, o), spec.step.kvCapacityTokens, spec.scheduler, spec.arrivals,
    spec.lengths, spec.max_num_seqs, spec.requests, spec.warmup, spec.measured, spec.seed]);
  let run = o.cache?.get(key);
  if (!run) {
    run = simulate(spec);
    o.cache?.set(key, run);
  }
  return run;
}

/** The same run with nothing for the prefix cache to find: no shared prefix, no repeated prompt. */
export function withoutSharing(spec: RunSpec): RunSpec {
  const { shared_prefix_tokens: _shared, repeat_count: _repeat, ...lengths } = spec.lengths;
  return { ...spec, lengths };
}

/** The largest relative move between two runs' mean TTFT, mean TPOT and output throughput. */
function readingsMoved(before: RunResult, after: RunResult): number {
  const pairs: [number, number][] = [
    [statisticOf(before.ttft_ms, 'mean'), statisticOf(after.ttft_ms, 'mean')],
    [statisticOf(before.tpot_ms, 'mean'), statisticOf(after.tpot_ms, 'mean')],
    [before.output_tokens / before.window_ms, after.output_tokens / after.window_ms],
  ];
  return Math.max(...pairs.map(([a, b]) => (a > 0 ? Math.abs(b / a - 1) : 0)));
}

/**
 * A first reading whose warm-up spans STEADY_WARMUP_LIFETIMES request lifetimes. By Little's law
 * the requests that arrive in one lifetime are the mean in flight, so a warm-up of fewer arrivals
 * than a few times the mean in flight still reads the replica filling from empty: MLPerf's Llama 2
 * 70B server run on one H200 (12.66 requests/s, 300 output tokens) holds about 270 in flight, and
 * its first reading after 200 requests put TPOT at 54 ms, the second after 800 at 55 ms (moved
 * 1.6%, nearly taken as settled), the settled one 72 ms. The run is repeated with the longer
 * warm-up when the given one is short (capped at STEADY_MAX_WARMUP_REQUESTS).
 */
function pastFirstLifetimes(row: CorpusRow, plan: Plan, run: RunResult, concurrency: number, o: PredictOptions): { plan: Plan; run: RunResult } {
  const needed = Math.min(STEADY_MAX_WARMUP_REQUESTS, Math.ceil(STEADY_WARMUP_LIFETIMES * run.mean_in_flight));
  if (plan.spec.warmup >= needed) return { plan, run };
  const measured = Math.max(plan.spec.measured, needed);
  const spec = { ...plan.spec, warmup: needed, measured, requests: Math.max(plan.spec.requests, needed + measured + concurrency + 1) };
  return { plan: { ...plan, spec }, run: cachedRun(row, spec, o) };
}

/**
 * A plan's run; a steady-state reading, first past a few request lifetimes (pastFirstLifetimes),
 * then with warm-ups STEADY_WARMUP_GROWTH times longer until it settles. One that never settles
 * below its capacity is a stable replica still drifting near it, read at its longest run; past
 * capacity it is a queue growing without bound, whose figures grow with the run's length, which
 * the row does not give, so the given plan's reading is kept, and steadiness() flags it.
 */
function steadyRun(row: CorpusRow, given: Plan, o: PredictOptions): { run: RunResult; plan: Plan } {
  const givenRun = cachedRun(row, given.spec, o);
  if (!given.steady_state) return { run: givenRun, plan: given };
  const concurrency = given.spec.arrivals.kind === 'closed' ? given.spec.arrivals.concurrency : 0;
  const { plan: first, run: firstRun } = pastFirstLifetimes(row, given, givenRun, concurrency, o);
  let plan = first;
  let run = firstRun;
  while (plan.spec.warmup * STEADY_WARMUP_GROWTH <= STEADY_MAX_WARMUP_REQUESTS) {
    // the window grows with the warm-up, so that the comparison is not of two noisy means
    const warmup = plan.spec.warmup * STEADY_WARMUP_GROWTH;
    const measured = Math.max(first.spec.measured, warmup);
    const spec = { ...plan.spec, warmup, measured, requests: Math.max(plan.spec.requests, warmup + measured + concurrency + 1) };
    const next = cachedRun(row, spec, o);
    const moved = readingsMoved(run, next);
    plan = { ...plan, spec };
    run = next;
    if (moved < STEADY_TOLERANCE) return { run, plan };
  }
  // not settled within the bound: an open loop below its capacity is a stable replica still
  // drifting near it, read at its longest run; past capacity the first reading is kept (flagged)
  const arrivals = plan.spec.arrivals;
  if (arrivals.kind === 'poisson' && arrivals.rate_per_s < capacityRps(row, plan.spec, o)) return { run, plan };
  return { run: givenRun, plan: given };
}

/**
 * Requests per second the configuration of a spec serves with its engine always full: a closed
 * loop of C clients (the engine's max_num_seqs, or four times the sequences its KV cache holds
 * when that is fewer), read over 2C completions after C of warm-up. An open-loop row's offered
 * rate over it is the row's load: near 1 the latency grows as 1 / (1 - load), so there a few
 * percent of capacity error move it by tens of percent (docs/fidelity.md, "Near capacity").
 */
export function capacityRps(row: CorpusRow, spec: RunSpec, o: PredictOptions): number {
  // four times the sequences the engine can run at once (its max_num_seqs, or what the KV cache
  // holds with each sequence's own, uncached prompt): a backlog always waits, and the lock-step
  // waves of a fixed-length closed loop average out (twice that read Llama 2 7B on an A100 4% low,
  // eight times the same as four); more clients would only cost simulated requests. Clients capped
  // at max_num_seqs left no backlog where the batch limit binds first, and read 256-sequence
  // engines' capacity about 5% low.
  const ownPrompt = Math.max(VLLM_REPLICA_DEFAULTS.block_size_tokens, spec.lengths.prompt_tokens - (spec.lengths.shared_prefix_tokens ?? 0));
  const clients = Math.max(1, 4 * Math.min(spec.max_num_seqs, Math.ceil(spec.step.kvCapacityTokens / (ownPrompt + windowKvTokens(spec.step, ownPrompt)))));
  const full: RunSpec = { ...spec, arrivals: { kind: 'closed', concurrency: clients }, warmup: clients, measured: 2 * clients, requests: 3 * clients + 1 };
  const run = cachedRun(row, full, o);
  return run.stop === 'max_wall' || !(run.window_ms > 0) ? NaN : requestsPerS(run);
}

/** Requests per second a run completed in its window: tokens/s over tokens per request, exact over whole waves of completions. */
function requestsPerS(run: RunResult): number {
  return ((run.output_tokens / run.window_ms) * 1000) / run.mean_output_tokens;
}

/**
 * Seeds a finite run whose figure turns on its sample is read with. An offline burst's throughput
 * is set by the last request to finish, so by the longest outputs one sample draws; a serving run
 * of a few hundred requests by its arrivals' clumps. ShareGPT bursts of 200 and 1,000 requests on
 * vLLM V1 read -28% to -51% and -29% to -43% over six seeds, the mean TTFT of 200 requests at 4
 * per second +28% to +46% (2026-12-05). The row's figure stays the first seed's (deterministic);
 * the spread is shown beside it.
 */
export const DEFAULT_SAMPLE_SEEDS = 5;
/** The most seeds `fidelity --samples` reads a run with: each is a whole simulated run. */
export const MAX_SAMPLE_SEEDS = 50;

/** Whether a planned run's figure turns on its seed: a finite run with drawn lengths or, serving, Poisson arrivals. */
function sampleDependent(plan: Plan): boolean {
  const l = plan.spec.lengths;
  const drawn = l.law !== 'fixed' || (l.output_law ?? l.law) !== 'fixed';
  if (plan.burst) return drawn;
  return !plan.steady_state && (drawn || plan.spec.arrivals.kind === 'poisson');
}

/** The lowest and highest figure of a run over `seeds` seeds (the plan's seed first). */
function sampleRangeOf(row: CorpusRow, plan: Plan, value: number, seeds: number, o: PredictOptions): { min: number; max: number; seeds: number } {
  let min = value, max = value;
  for (let k = 1; k < seeds; k++) {
    const v = figureOf(row, cachedRun(row, { ...plan.spec, seed: plan.spec.seed + k }, o));
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max, seeds };
}

function simulated(row: CorpusRow, model: ModelSpec, step: StepModel, gpu: GpuSpec, o: PredictOptions): Prediction {
  const given = runPlanFor(row, model, step, gpu, o);
  const { run, plan } = steadyRun(row, given, o);
  let value: number;
  if (row.kind === 'throughput_ratio') {
    // the offline throughput with the prefix cache's hits over the same run without them
    const base = cachedRun(row, withoutSharing(plan.spec), o);
    value = (run.output_tokens / run.window_ms) / (base.output_tokens / base.window_ms);
  } else {
    value = figureOf(row, run);
  }
  if (!(Number.isFinite(value) && value > 0)) return notEvaluated(row, `the simulated run gave no ${row.kind} ${row.statistic} (${run.completed_measured} requests completed)`);
  const s = steadiness(run, plan);
  const load = plan.spec.arrivals.kind === 'poisson' ? plan.spec.arrivals.rate_per_s / capacityRps(row, plan.spec, o) : NaN;
  const loadNote = plan.spec.arrivals.kind === 'poisson' && Number.isNaN(load) ? ['capacity not read: its closed-loop run hit the wall-clock bound or completed nothing'] : [];
  const seeds = o.sampleSeeds ?? 1;
  const sampleRange = seeds > 1 && row.kind !== 'throughput_ratio' && sampleDependent(plan) ? sampleRangeOf(row, plan, value, seeds, o) : undefined;
  // near capacity, below it: past it a latency grows with the run's length, and a TPOT stops
  // growing with the rate (the batch is full), so no rate reads a figure there
  const scanned = o.rateScan === true && (s.steady || !given.steady_state) && load >= NEAR_CAPACITY_LOAD && load <= 1 && RATE_SCANNED_KINDS.has(row.kind);
  const rate = scanned ? { rateAtFigure: rateAtFigure(row, given, value, o) } : {};
  return { id: row.id, status: 'predicted', value, steady: s.steady, load, notes: [...plan.notes, ...s.notes, ...loadNote], ...(sampleRange ? { sampleRange } : {}), ...rate };
}

/**
 * Where the rate scan found a row's figure: at `multiple` of the published rate; with `beyond`,
 * only past it (the last rate whose run settled, or the last scanned), so that the rate error is
 * at least that; NaN when the scan could not start (a run of no figure).
 */
export interface RateAtFigure {
  readonly multiple: number;
  readonly beyond: boolean;
}

/** Latency kinds, which grow with the offered rate: the kinds the rate scan reads. */
const RATE_SCANNED_KINDS: ReadonlySet<string> = new Set(['serving_ttft', 'serving_tpot', 'serving_itl', 'serving_e2e']);
/** Multiples of a row's published rate the scan reads, outward from it: upward when fleetsim reads
 *  the figure short, downward when long; finer near 1, where a latency near capacity moves most. */
export const RATE_SCAN_UP: readonly number[] = [1.02, 1.04, 1.07, 1.1, 1.15, 1.2, 1.3, 1.5];
export const RATE_SCAN_DOWN: readonly number[] = [0.98, 0.96, 0.93, 0.9, 0.85, 0.8, 0.7, 0.6, 0.5];

/**
 * The multiple of a row's published request rate at which fleetsim reads its measured figure, from
 * runs at the rates RATE_SCAN_UP or RATE_SCAN_DOWN (linear between the two that bracket it); when
 * none reaches it, or a steady-state run on the way does not settle (past capacity its figure grows
 * with the run's length; a finite run is read at the benchmark's own length), the last rate read,
 * as a bound (`beyond`). Near capacity a latency moves as 1 / (1 - load): a first token read 45%
 * short may be the reading of a capacity 4% high, and this says which, in the planner's terms (the
 * rate a replica serves within a latency), where the latency's own error cannot.
 */
export function rateAtFigure(row: CorpusRow, given: Plan, value: number, o: PredictOptions): RateAtFigure {
  const arrivals = given.spec.arrivals;
  if (arrivals.kind !== 'poisson') return { multiple: NaN, beyond: false };
  let lastMultiple = 1, lastValue = value;
  for (const multiple of row.value > value ? RATE_SCAN_UP : RATE_SCAN_DOWN) {
    const spec = { ...given.spec, arrivals: { kind: 'poisson' as const, rate_per_s: arrivals.rate_per_s * multiple } };
    const { run, plan } = steadyRun(row, { ...given, spec }, o);
    const next = figureOf(row, run);
    // a steady-state reading must settle; a finite run is read at its length whatever its queue
    const settled = given.steady_state ? steadiness(run, plan).steady : run.stop !== 'max_wall';
    if (!settled || !(next > 0)) return { multiple: lastMultiple, beyond: true };
    if ((next - row.value) * (lastValue - row.value) <= 0) {
      const at = next === lastValue ? multiple : lastMultiple + ((multiple - lastMultiple) * (row.value - lastValue)) / (next - lastValue);
      return { multiple: at, beyond: false };
    }
    lastMultiple = multiple;
    lastValue = next;
  }
  return { multiple: lastMultiple, beyond: true };
}

/** fleetsim's prediction for one corpus row, or why it cannot make one. */
export function predictRow(row: CorpusRow, options: PredictOptions = {}): Prediction {
  const profile = profileFor(row, options);
  const resolved = resolveRow(row, profile);
  if (typeof resolved === 'string') return notEvaluated(row, resolved);
  const { model, gpu, step } = resolved;
  const notes: string[] = [];
  if (row.kind === 'prefill' || row.kind === 'decode' || row.kind === 'latency') {
    const seqTokens = row.prompt_tokens + (row.kind === 'prefill' ? 0 : row.output_tokens);
    if (row.batch! * seqTokens > step.kvCapacityTokens) notes.push(`batch needs ${row.batch! * seqTokens} KV tokens, more than the modelled ${step.kvCapacityTokens}`);
    return { id: row.id, status: 'predicted', value: staticPrediction(row, step, gpu, profile), steady: true, load: NaN, notes };
  }
  const p = simulated(row, model, step, gpu, options);
  return p.status === 'predicted' && notes.length ? { ...p, notes: [...notes, ...p.notes] } : p;
}

/** The options with a run cache (a new one unless given), so that rows of one configuration share their run. */
export function withRunCache(options: PredictOptions): PredictOptions {
  return { ...options, cache: options.cache ?? new Map<string, RunResult>() };
}

/** Predictions for many rows, sharing simulated runs between rows of one configuration. */
export function predictRows(rows: readonly CorpusRow[], options: PredictOptions = {}): Prediction[] {
  const o = withRunCache(options);
  return rows.map((r) => predictRow(r, o));
}
