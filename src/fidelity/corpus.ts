import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { UserError } from '../errors.ts';
import { parseVllmResult } from './vllm-result.ts';
import { NIM_VLLM_SINCE, servesWithTensorRtLlm, TGI_CHUNKED_SINCE, versionAtLeast, VLLM_MULTI_STEP_SINCE, VLLM_V1_DEFAULT_SINCE } from './versions.ts';
import { readInputText } from '../util/read-input.ts';
import { excerpt, hasControls } from '../util/excerpt.ts';
import { MAX_BATCHED_TOKENS, MAX_DECODE_RUN_STEPS, MAX_NUM_SEQS } from '../perf/calibration.ts';
import { catalogGpuId } from '../perf/lookup.ts';
import { asCorpusSpelling } from './spellings.ts';
import { EFFECTIVE_BITS_RANGE, FP8_SCALINGS, type Fp8Scaling } from '../perf/dtype.ts';

/**
 * The measurement corpus: published hardware measurements of LLM serving, one CSV row per
 * figure, in the format of data/corpus/README.md. This module only reads and checks the rows;
 * whether fleetsim can model a row (catalog model and GPU, dtype) is predict.ts's business, so a
 * row naming a GPU fleetsim does not know yet is valid here and reported as not evaluated there.
 */

export const CORPUS_COLUMNS = [
  'id', 'split', 'kind', 'statistic', 'value', 'unit', 'stack', 'stack_version', 'gpu', 'model', 'dtype', 'kv_dtype',
  'tp', 'ep', 'batch', 'request_rate_per_s', 'num_requests', 'prompt_tokens', 'output_tokens', 'lengths',
  'source', 'url', 'licence', 'locator', 'notes',
] as const;
export type CorpusColumn = (typeof CORPUS_COLUMNS)[number];
/** An optional last column: the engine settings of the run that its profile does not have (EngineArgs). */
export const ENGINE_ARGS_COLUMN = 'engine_args';

export const SPLITS = ['calibration', 'validation'] as const;
export const KINDS = [
  'prefill', 'decode', 'latency', 'throughput',
  'serving_ttft', 'serving_tpot', 'serving_itl', 'serving_e2e', 'serving_throughput',
  'hit_rate', 'throughput_ratio',
] as const;
export const STATISTICS = ['mean', 'median', 'p90', 'p99'] as const;
export const UNITS = ['ms', 'output_tok_s', 'total_tok_s', 'req_s', 'fraction', 'ratio'] as const;
/** Weight and KV dtypes a row may name; fleetsim's step model handles a subset (perf/dtype.ts). */
export const CORPUS_DTYPES = ['fp16', 'bf16', 'fp8', 'int8', 'int4', 'fp4'] as const;

export type Split = (typeof SPLITS)[number];
export type Kind = (typeof KINDS)[number];
export type Statistic = (typeof STATISTICS)[number];
export type Unit = (typeof UNITS)[number];
export type CorpusDtype = (typeof CORPUS_DTYPES)[number];

export const SERVING_KINDS: readonly Kind[] = ['serving_ttft', 'serving_tpot', 'serving_itl', 'serving_e2e', 'serving_throughput'];
/** The serving kinds that are latencies (all but throughput). */
export const SERVING_LATENCY_KINDS: readonly Kind[] = SERVING_KINDS.filter((k) => k !== 'serving_throughput');
/** Kinds of one static batch, of `batch` requests. */
const STATIC_BATCH_KINDS: readonly Kind[] = ['prefill', 'decode', 'latency'];
/** Kinds whose figure is one number for a whole batch or run: their statistic is `mean`. */
const BATCH_LEVEL_KINDS: readonly Kind[] = ['prefill', 'decode', 'latency', 'throughput', 'serving_throughput', 'hit_rate', 'throughput_ratio'];
/** Units each kind may be published in. serving_throughput also takes total_tok_s (vLLM's
 *  benchmark_serving prints it next to output tokens/s); the rest follow the row format. */
const UNITS_FOR_KIND: Readonly<Record<Kind, readonly Unit[]>> = {
  prefill: ['ms'], decode: ['ms'], latency: ['ms'],
  serving_ttft: ['ms'], serving_tpot: ['ms'], serving_itl: ['ms'], serving_e2e: ['ms'],
  throughput: ['output_tok_s', 'total_tok_s'],
  serving_throughput: ['output_tok_s', 'total_tok_s', 'req_s'],
  hit_rate: ['fraction'],
  throughput_ratio: ['ratio'],
};

export interface CorpusRow {
  /** file the row came from and its first line (header = line 1) */
  readonly file: string;
  readonly line: number;
  readonly id: string;
  readonly split: Split;
  readonly kind: Kind;
  readonly statistic: Statistic;
  readonly value: number;
  readonly unit: Unit;
  readonly stack: string;
  readonly stack_version: string;
  readonly gpu: string;
  readonly model: string;
  readonly dtype: CorpusDtype;
  /** the KV cache dtype; a blank cell means the weight dtype, and reads as it here */
  readonly kv_dtype: CorpusDtype;
  readonly tp: number;
  readonly ep: number;
  readonly batch: number | undefined;
  readonly request_rate_per_s: number | undefined;
  readonly num_requests: number | undefined;
  readonly prompt_tokens: number;
  readonly output_tokens: number;
  /** `fixed`, or the dataset the lengths were drawn from (prompt/output_tokens are then means); less a cached-prompts suffix */
  readonly lengths: string;
  /** every prompt was in the engine's prefix cache before the run (the cell's CACHED_PROMPTS_SUFFIX) */
  readonly prompts_cached: boolean;
  /** outputs stopped at this many tokens, the benchmark's max_tokens (the cell's `-max-output-N`; output-cap.ts); absent: uncapped */
  readonly max_output_tokens?: number;
  readonly source: string;
  readonly url: string;
  readonly licence: string;
  readonly locator: string;
  readonly notes: string;
  /** the run's engine settings beyond its profile's (the optional engine_args column; {} if none) */
  readonly engine_args: EngineArgs;
}

/**
 * Engine settings a run was launched with (or its release's defaults where they differ from the
 * profile's), in vLLM's flag names: `num_scheduler_steps=10 max_num_seqs=256`. They override the
 * scheduler of the profile the row is predicted with; a leading `--` and `-` for `_` are accepted,
 * so launch flags can be copied (`--num-scheduler-steps=10`).
 */
export interface EngineArgs {
  /** multi-step scheduling: decode runs of this many steps (the replica's decode_run_steps) */
  readonly num_scheduler_steps?: number;
  readonly enable_chunked_prefill?: boolean;
  /** vLLM's --async-scheduling (the default from 0.14): a request arriving during a step joins the step after next (the replica's async_scheduling) */
  readonly async_scheduling?: boolean;
  readonly max_num_seqs?: number;
  readonly max_num_batched_tokens?: number;
  /** vLLM's memory rule: weights, activations and KV cache within this fraction of each GPU (memory.ts) */
  readonly gpu_memory_utilization?: number;
  /** TensorRT-LLM's: the KV cache takes this fraction of what weights and activations leave free */
  readonly kv_cache_free_gpu_mem_fraction?: number;
  /**
   * an engine built by `trtllm-bench build` for a dataset of these mean prompt and output tokens,
   * its limits left to the tool's rule (trtllm-bench.ts): both or neither, and not with max_num_seqs
   * or max_num_batched_tokens
   */
  readonly trtllm_bench_isl?: number;
  readonly trtllm_bench_osl?: number;
  /** how the served checkpoint's FP8 weights are scaled, where the model's default is not it (dtype.ts Fp8Scaling) */
  readonly fp8_scaling?: Fp8Scaling;
  /**
   * a ModelOpt AutoQuantize checkpoint of FP8 and 16-bit layers: the effective bits it was searched
   * to, above 8 and below 16 (dtype.ts withEffectiveBits)
   */
  readonly effective_bits?: number;
  /**
   * TensorRT-LLM's capacity scheduler: GUARANTEED_NO_EVICT admits a request with its whole output
   * reserved (kv_admission reserve-output), MAX_UTILIZATION while the KV cache lasts, pausing
   * sequences when it runs out (on-demand)
   */
  readonly capacity_scheduler_policy?: CapacitySchedulerPolicy;
  /**
   * TensorRT-LLM's batching: INFLIGHT (the batch manager schedules every sequence each step) or
   * STATIC (the session runtime runs one batch to its end); before 0.10 a row is read as STATIC
   * unless it says INFLIGHT (predict.ts STACK_ENGINES)
   */
  readonly batching_type?: BatchingType;
  /**
   * TensorRT-LLM's trtllm-build --gemm_allreduce_plugin: the dtype of the fused row-parallel GEMM
   * and all-reduce (float16 or bfloat16), or disable (the default: a GEMM, then the all-reduce)
   */
  readonly gemm_allreduce_plugin?: GemmAllReducePlugin;
  /**
   * TensorRT-LLM's XQA decode-attention kernel for grouped-query attention: true where a run says
   * it was on before the release that made it the default (predict.ts TRTLLM_XQA_SINCE), false
   * where it says it was off after
   */
  readonly xqa?: boolean;
}
/** Settings in TensorRT-LLM's own names (and trtllm-bench's build), which no other stack has: refused on another stack's row. */
const TRTLLM_ENGINE_ARGS = ['capacity_scheduler_policy', 'batching_type', 'gemm_allreduce_plugin', 'xqa', 'trtllm_bench_isl', 'trtllm_bench_osl'] as const;
export const BATCHING_TYPES = ['INFLIGHT', 'STATIC'] as const;
export type BatchingType = (typeof BATCHING_TYPES)[number];
/** trtllm-build's --gemm_allreduce_plugin values (its `None` read as disable). */
export const GEMM_ALLREDUCE_PLUGINS = ['float16', 'bfloat16', 'disable'] as const;
export type GemmAllReducePlugin = (typeof GEMM_ALLREDUCE_PLUGINS)[number];
/** TensorRT-LLM's capacity scheduler policies (executor SchedulerConfig), as its configurations spell them. */
export const CAPACITY_SCHEDULER_POLICIES = ['GUARANTEED_NO_EVICT', 'MAX_UTILIZATION'] as const;
export type CapacitySchedulerPolicy = (typeof CAPACITY_SCHEDULER_POLICIES)[number];
/** Prompt or output tokens: above any model's context (Llama 4 Scout's 10M); 2^53 - 1 made a 2e26 ms prefill. */
const MAX_ROW_TOKENS = 16_777_216;
const ENGINE_ARG_READERS: Readonly<Record<keyof EngineArgs, { expected: string; read: (s: string) => number | boolean | string | undefined }>> = {
  num_scheduler_steps: { expected: `an integer from 1 to ${MAX_DECODE_RUN_STEPS}`, read: (s) => atMost(readPosInt(s), MAX_DECODE_RUN_STEPS) },
  enable_chunked_prefill: { expected: 'true or false', read: (s) => (s === 'true' ? true : s === 'false' ? false : undefined) },
  async_scheduling: { expected: 'true or false', read: (s) => (s === 'true' ? true : s === 'false' ? false : undefined) },
  max_num_seqs: { expected: `a positive integer up to ${MAX_NUM_SEQS}`, read: (s) => atMost(readPosInt(s), MAX_NUM_SEQS) },
  max_num_batched_tokens: { expected: `a positive integer up to ${MAX_BATCHED_TOKENS}`, read: (s) => atMost(readPosInt(s), MAX_BATCHED_TOKENS) },
  gpu_memory_utilization: { expected: 'a fraction in (0, 1]', read: (s) => readMemoryFraction(s) },
  kv_cache_free_gpu_mem_fraction: { expected: 'a fraction in (0, 1]', read: (s) => readMemoryFraction(s) },
  trtllm_bench_isl: { expected: `a positive integer up to ${MAX_ROW_TOKENS}`, read: (s) => atMost(readPosInt(s), MAX_ROW_TOKENS) },
  trtllm_bench_osl: { expected: `a positive integer up to ${MAX_ROW_TOKENS}`, read: (s) => atMost(readPosInt(s), MAX_ROW_TOKENS) },
  fp8_scaling: { expected: FP8_SCALINGS.join(' or '), read: (s) => ((FP8_SCALINGS as readonly string[]).includes(s) ? s : undefined) },
  effective_bits: { expected: `a number above ${EFFECTIVE_BITS_RANGE[0]} and below ${EFFECTIVE_BITS_RANGE[1]} (FP8 and 16-bit layers)`, read: (s) => readEffectiveBits(s) },
  capacity_scheduler_policy: { expected: CAPACITY_SCHEDULER_POLICIES.join(' or '), read: (s) => CAPACITY_SCHEDULER_POLICIES.find((p) => p === s.toUpperCase()) },
  batching_type: { expected: BATCHING_TYPES.join(' or '), read: (s) => BATCHING_TYPES.find((b) => b === s.toUpperCase()) },
  gemm_allreduce_plugin: { expected: GEMM_ALLREDUCE_PLUGINS.join(', '), read: (s) => (s.toLowerCase() === 'none' ? 'disable' : GEMM_ALLREDUCE_PLUGINS.find((v) => v === s.toLowerCase())) },
  xqa: { expected: 'true or false', read: (s) => (s === 'true' ? true : s === 'false' ? false : undefined) },
};
const ENGINE_ARG_NAMES = Object.keys(ENGINE_ARG_READERS) as (keyof EngineArgs)[];

/** The engine_args cell, or what was expected of it. */
export function parseEngineArgs(text: string): EngineArgs | { expected: string } {
  const args: Record<string, number | boolean | string> = {};
  for (const token of text.split(/\s+/).filter((t) => t !== '')) {
    const eq = token.indexOf('=');
    const name = (eq < 0 ? token : token.slice(0, eq)).replace(/^--?/, '').replaceAll('-', '_');
    if (!Object.hasOwn(ENGINE_ARG_READERS, name)) return { expected: `space-separated name=value settings, names ${ENGINE_ARG_NAMES.join(', ')}` };
    const reader = ENGINE_ARG_READERS[name as keyof EngineArgs];
    const value = eq < 0 ? undefined : reader.read(token.slice(eq + 1));
    if (value === undefined) return { expected: `${name}=${reader.expected}` };
    if (Object.hasOwn(args, name)) return { expected: `${name} given once` };
    args[name] = value;
  }
  if (args.gpu_memory_utilization !== undefined && args.kv_cache_free_gpu_mem_fraction !== undefined) {
    return { expected: 'one of gpu_memory_utilization (vLLM\'s memory rule) and kv_cache_free_gpu_mem_fraction (TensorRT-LLM\'s), not both' };
  }
  if ((args.trtllm_bench_isl === undefined) !== (args.trtllm_bench_osl === undefined)) {
    return { expected: 'trtllm_bench_isl and trtllm_bench_osl together (the dataset an engine was built for)' };
  }
  if (args.trtllm_bench_isl !== undefined && (args.max_num_seqs !== undefined || args.max_num_batched_tokens !== undefined)) {
    return { expected: 'trtllm_bench_isl and trtllm_bench_osl (limits by trtllm-bench\'s rule) or max_num_seqs and max_num_batched_tokens (limits given), not both' };
  }
  // fleetsim models multi-step scheduling without chunked prefill (vLLM 0.6.0 refused the two together)
  if ((args.num_scheduler_steps as number | undefined ?? 1) > 1 && args.enable_chunked_prefill === true) {
    return { expected: 'num_scheduler_steps above 1 without enable_chunked_prefill=true (multi-step is modelled without chunked prefill)' };
  }
  return args as EngineArgs;
}

/** A cell parsed by `read`, or refused with "expected <expected>". */
function cell<T>(expected: string, read: (s: string) => T | undefined) {
  return z.string().transform((s, ctx): T => {
    const v = read(s);
    if (v === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected ${expected}` });
      return z.NEVER;
    }
    return v;
  });
}

const DECIMAL = /^(?:\d+\.?\d*|\.\d+)$/;

/**
 * Rows of a corpus, all files together: 22 times the 4,449 shipped. A row costs about 3.5 KB
 * held, so the 512 MiB a file may have (3.7 million rows) would have needed some 13 GB; a million
 * rows took 90 s and 3.5 GB before any was predicted.
 */
export const MAX_CORPUS_ROWS = 100_000;
/**
 * A serving row's request rate, per second. The run simulates its requests one after another, so
 * 1e-300 a second put them 1e300 s apart, where a step of milliseconds no longer changes the clock
 * (a TTFT of 1.8 ms for 22); the shipped rows run 0.45 to 54.
 */
const MIN_REQUEST_RATE_PER_S = 0.001;
const MAX_REQUEST_RATE_PER_S = 1_000_000;
/**
 * A row's value, whatever its unit: written in plain decimals, 0.0000000000000000000001 and
 * 1e35 were read (only an exponent was refused) and printed errors of +5.0e25%. A millionth of a
 * millisecond or of a token a second is below any measurement, a billion (11.6 days in ms) above
 * any; the shipped rows run 0.3 to 4.4 million.
 */
const MIN_VALUE = 0.000001;
const MAX_VALUE = 1_000_000_000;
const inRange = (n: number | undefined, least: number, most: number) => (n !== undefined && n >= least && n <= most ? n : undefined);
const readPosInt = (s: string) => (/^\d+$/.test(s) && Number.isSafeInteger(Number(s)) && Number(s) > 0 ? Number(s) : undefined);
const atMost = (n: number | undefined, max: number) => (n !== undefined && n <= max ? n : undefined);
const readPosNum = (s: string) => (DECIMAL.test(s) && Number(s) > 0 && Number.isFinite(Number(s)) ? Number(s) : undefined);
/** A memory fraction: a plain decimal in (0, 1]. */
const readMemoryFraction = (s: string) => atMost(readPosNum(s), 1);
/** An AutoQuantize budget of FP8 and 16-bit layers: a plain decimal strictly between the two. */
const readEffectiveBits = (s: string) => { const n = readPosNum(s); return n !== undefined && n > EFFECTIVE_BITS_RANGE[0] && n < EFFECTIVE_BITS_RANGE[1] ? n : undefined; };
const blankOr = <T>(read: (s: string) => T | undefined) => (s: string) => (s === '' ? null : read(s));
const oneOf = <T extends string>(values: readonly T[]) => (s: string) => ((values as readonly string[]).includes(s) ? (s as T) : undefined);
const matching = (re: RegExp) => (s: string) => (re.test(s) ? s : undefined);
const nonEmpty = (s: string) => (s !== '' ? s : undefined);
const list = (values: readonly string[]) => `one of ${values.join(', ')}`;

/**
 * Other spellings of the stacks fleetsim has profiles for, as publishers write them: a row's stack
 * is read as the one it names (so it is not predicted with the default profile by a spelling).
 */
const STACK_ALIASES: Readonly<Record<string, string>> = {
  'tensorrt-llm': 'trtllm', 'tensorrt_llm': 'trtllm', 'trt-llm': 'trtllm', 'tensorrtllm': 'trtllm',
  'nvidia-nim': 'nim', 'nim-llm': 'nim',
  'text-generation-inference': 'tgi',
};
const canonicalStack = (stack: string): string => (Object.hasOwn(STACK_ALIASES, stack) ? STACK_ALIASES[stack] : stack);

/**
 * A `lengths` cell whose outputs were all forced to the row's output_tokens while its prompts came
 * from a dataset ends in this: the benchmark set max_tokens and every output reached it (MLPerf's
 * Llama 3.1 8B, vLLM's `--ignore-eos` runs). The prompts keep the dataset's law.
 */
export const FIXED_OUTPUT_SUFFIX = '-fixed-output';

/**
 * A `lengths` cell ending in this says every prompt had been sent to the engine before the run
 * and sat in its prefix cache: a sweep that sends one seeded set of prompts at each request rate to
 * one server (vLLM's benchmark_serving.py with a fixed --seed against the V1 engine, whose prefix
 * caching is on by default) finds the earlier rate's prompts cached. It comes last
 * (`sharegpt-cached-prompts`, `sharegpt-fixed-output-cached-prompts`) and needs num_requests: the
 * earlier run sent the same prompts.
 */
export const CACHED_PROMPTS_SUFFIX = '-cached-prompts';

/**
 * A `lengths` cell of outputs that stopped at the model's end of text or at the benchmark's
 * max_tokens N, whichever came first (no ignore_eos), names N after the dataset: `sharegpt-max-output-512`,
 * before any -cached-prompts. The row's output_tokens is the capped outputs' mean (output-cap.ts).
 */
const OUTPUT_CAP = /^(.+)-max-output-(\d+)$/;

/** A lengths cell (less its cached-prompts suffix) less an output cap, and the cap (NaN past 2^53). */
export function withoutOutputCap(lengths: string): { base: string; cap: number | undefined } {
  const m = OUTPUT_CAP.exec(lengths);
  return m ? { base: m[1], cap: Number(m[2]) } : { base: lengths, cap: undefined };
}

/** A lengths cell less a cached-prompts suffix, and whether it had one. */
export function withoutCachedPrompts(lengths: string): { base: string; cached: boolean } {
  const cached = lengths.endsWith(CACHED_PROMPTS_SUFFIX);
  return { base: cached ? lengths.slice(0, -CACHED_PROMPTS_SUFFIX.length) : lengths, cached };
}

/** Cells whose every output has the stated length already: a -fixed-output suffix would say nothing. */
const FIXED_OUTPUT_CELLS = /^(fixed|random|synthetic|shared-prefix-\d+|repeat-\d+)$/;

/** a row's own id: words of letters and digits joined by - . _ (any case: it is the row's, not the catalog's) */
const ROW_ID = /^[A-Za-z0-9]+(?:[-._][A-Za-z0-9]+)*$/;
/** lower-case catalog-style ids: gpu, model, stack, lengths (spellings.ts lower-cases them first) */
const LOWER_ID = /^[a-z0-9]+(?:[-._][a-z0-9]+)*$/;

/** Columns of prose, which may span lines; every other cell is a value or a name on one line. */
const FREE_TEXT_COLUMNS: ReadonlySet<string> = new Set(['source', 'locator', 'notes']);

/** Where a figure came from: required of every column a file has, which the repository's corpus has all of. */
const PROVENANCE_EXPECTED = {
  source: 'a short citation (publisher or authors, title, year)',
  url: 'an http(s) URL',
  licence: 'the licence of the source (e.g. Apache-2.0, facts from a public web page)',
  locator: 'where in the source the figure is (table, figure, row)',
} as const;
const PROVENANCE_COLUMNS = Object.keys(PROVENANCE_EXPECTED) as (keyof typeof PROVENANCE_EXPECTED)[];

/**
 * The columns a file must have; the others may be left out (one's own measurements need not
 * cite a source) and read as their defaults (spellings.ts COLUMN_DEFAULTS). The repository's files have every column.
 */
export const REQUIRED_COLUMNS: readonly CorpusColumn[] = ['id', 'kind', 'value', 'unit', 'stack', 'gpu', 'model', 'dtype', 'tp', 'prompt_tokens', 'output_tokens'];

const RowSchema = z.object({
  id: cell('an id of letters and digits joined by - . _', matching(ROW_ID)),
  split: cell(list(SPLITS), oneOf(SPLITS)),
  kind: cell(list(KINDS), oneOf(KINDS)),
  statistic: cell(list(STATISTICS), oneOf(STATISTICS)),
  value: cell(`a plain decimal number from ${MIN_VALUE.toFixed(6)} to ${MAX_VALUE}`, (c) => inRange(readPosNum(c), MIN_VALUE, MAX_VALUE)),
  unit: cell(list(UNITS), oneOf(UNITS)),
  stack: cell('a stack name (vllm, sglang, trtllm, TensorRT-LLM, ...)', matching(LOWER_ID)),
  stack_version: cell('a version as published, or unknown', nonEmpty),
  gpu: cell('a GPU id (h100-80gb, ...) or its name as nvidia-smi prints it (NVIDIA H100 80GB HBM3)', matching(LOWER_ID)),
  model: cell('a model id (llama-3.1-8b, ...) or its Hugging Face name (meta-llama/Llama-3.1-8B)', matching(LOWER_ID)),
  dtype: cell(list(CORPUS_DTYPES), oneOf(CORPUS_DTYPES)),
  kv_dtype: cell(`blank or ${list(CORPUS_DTYPES)}`, blankOr(oneOf(CORPUS_DTYPES))),
  tp: cell('a positive integer', readPosInt),
  ep: cell('a positive integer', readPosInt),
  // a batch is also an engine's max_num_seqs: bounded as the profile's scheduler is
  batch: cell(`blank or a positive integer up to ${MAX_NUM_SEQS}`, blankOr((c) => atMost(readPosInt(c), MAX_NUM_SEQS))),
  request_rate_per_s: cell(`blank or a plain decimal number from ${MIN_REQUEST_RATE_PER_S} to ${MAX_REQUEST_RATE_PER_S} (requests a second)`,
    blankOr((c) => inRange(readPosNum(c), MIN_REQUEST_RATE_PER_S, MAX_REQUEST_RATE_PER_S))),
  num_requests: cell('blank or a positive integer', blankOr(readPosInt)),
  prompt_tokens: cell(`a positive integer up to ${MAX_ROW_TOKENS}`, (c) => atMost(readPosInt(c), MAX_ROW_TOKENS)),
  output_tokens: cell(`a positive integer up to ${MAX_ROW_TOKENS}`, (c) => atMost(readPosInt(c), MAX_ROW_TOKENS)),
  lengths: cell('fixed, shared-prefix-N, repeat-K, random-range-R, or a dataset name (sharegpt, random, ...), optionally followed by -fixed-output or -max-output-N, then optionally -cached-prompts', matching(LOWER_ID)),
  // blank only where the file has no such column (rowFromFields refuses a blank cell of a column it has)
  source: cell(PROVENANCE_EXPECTED.source, blankOr(nonEmpty)),
  url: cell(PROVENANCE_EXPECTED.url, blankOr(matching(/^https?:\/\/\S+$/))),
  licence: cell(PROVENANCE_EXPECTED.licence, blankOr(nonEmpty)),
  locator: cell(PROVENANCE_EXPECTED.locator, blankOr(nonEmpty)),
  notes: z.string(),
}).superRefine((r, ctx) => {
  const issue = (path: CorpusColumn, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
  const serving = SERVING_KINDS.includes(r.kind);
  const units = UNITS_FOR_KIND[r.kind];
  if (!units.includes(r.unit)) issue('unit', `expected ${units.join(' or ')} for kind ${r.kind}`);
  else if (BATCH_LEVEL_KINDS.includes(r.kind) && (r.statistic === 'p90' || r.statistic === 'p99')) issue('statistic', `expected mean or median for kind ${r.kind} (one figure per batch or run; a static batch's steps differ little, so the two are read alike)`);
  else if (!serving && r.request_rate_per_s !== null) issue('request_rate_per_s', `expected blank for kind ${r.kind} (only serving_* rows have a request rate)`);
  else if (STATIC_BATCH_KINDS.includes(r.kind) && r.batch === null) issue('batch', `expected the static batch size for kind ${r.kind}`);
  else if (STATIC_BATCH_KINDS.includes(r.kind) && r.num_requests !== null && r.num_requests !== r.batch) issue('num_requests', `expected blank or the batch (${r.batch}) for kind ${r.kind} (a static batch's requests are its batch; num_requests is of offline and serving runs)`);
  // a decode step makes the second output token on: one token is the prefill's alone
  else if (r.kind === 'decode' && r.output_tokens < 2) issue('output_tokens', 'expected at least 2 for kind decode (the first output token comes from the prefill; a decode step makes each one after it)');
  else if (serving && r.request_rate_per_s === null && r.batch === null) issue('batch', `expected a closed-loop concurrency for kind ${r.kind} when request_rate_per_s is blank`);
  else if (lengthsIssue(r)) issue('lengths', lengthsIssue(r)!);
  else if (r.kind === 'hit_rate' && !(r.value <= 1)) issue('value', 'expected a hit rate as a fraction in (0, 1]');
});

/** R of a `random-range-R` lengths cell (a -fixed-output suffix allowed) as written: undefined for any other cell, NaN when R is not a decimal number. */
export function randomRangeOf(lengths: string): number | undefined {
  const m = /^random-range-(.*?)(?:-fixed-output)?$/.exec(lengths);
  if (!m) return undefined;
  return /^\d*\.?\d+$/.test(m[1]) ? Number(m[1]) : NaN;
}

/** What is wrong with a row's lengths cell against its prompt and run length, if anything. */
function lengthsIssue(r: { lengths: string; prompt_tokens: number; output_tokens: number; num_requests: number | null }): string | undefined {
  const { base: uncached, cached } = withoutCachedPrompts(r.lengths);
  const { base: lengths, cap } = withoutOutputCap(uncached);
  if (cap !== undefined) {
    const capIssue = outputCapIssue(lengths, cap, r.output_tokens);
    if (capIssue) return capIssue;
  } else if (lengths.includes('-max-output-')) return 'expected -max-output-N last (before -cached-prompts only), after the dataset whose outputs it caps';
  if (/^shared-prefix-\d+$/.test(lengths) && !(Number(lengths.slice('shared-prefix-'.length)) < r.prompt_tokens)) return `expected a shared prefix shorter than prompt_tokens (${r.prompt_tokens})`;
  if (/^repeat-\d+$/.test(lengths) && !(Number(lengths.slice('repeat-'.length)) >= 2)) return 'expected repeat-K with K >= 2 (each distinct prompt sent K times)';
  const range = randomRangeOf(lengths);
  if (range !== undefined && !(range > 0 && range < 1)) return 'expected random-range-R with 0 < R < 1 (vLLM\'s --random-range-ratio R)';
  if (lengths.endsWith(FIXED_OUTPUT_SUFFIX) && FIXED_OUTPUT_CELLS.test(lengths.slice(0, -FIXED_OUTPUT_SUFFIX.length))) return `expected ${FIXED_OUTPUT_SUFFIX} after a dataset whose lengths are drawn (sharegpt, random-uniform, ...), not after one whose outputs are exact already`;
  if (!cached) return undefined;
  if (lengths.endsWith(CACHED_PROMPTS_SUFFIX)) return `expected ${CACHED_PROMPTS_SUFFIX} once`;
  if (/^(shared-prefix|repeat)-\d+$/.test(lengths)) return `expected ${CACHED_PROMPTS_SUFFIX} after a dataset or fixed lengths, not after ${lengths} (whose prompts the run itself caches)`;
  if (r.num_requests === null) return `expected ${CACHED_PROMPTS_SUFFIX} only with num_requests (the prompts the earlier run sent)`;
  return undefined;
}

/** What is wrong with a `-max-output-N` cap on `lengths` (the cell less the cap), if anything. */
function outputCapIssue(lengths: string, cap: number, outputTokens: number): string | undefined {
  if (!(Number.isSafeInteger(cap) && cap >= 1 && cap <= MAX_ROW_TOKENS)) return `expected -max-output-N with N a positive integer up to ${MAX_ROW_TOKENS}`;
  if (FIXED_OUTPUT_CELLS.test(lengths) || lengths.endsWith(FIXED_OUTPUT_SUFFIX) || lengths === 'random-uniform' || randomRangeOf(lengths) !== undefined || OUTPUT_CAP.test(lengths)) {
    return 'expected -max-output-N once, after a dataset whose outputs are drawn geometric or from its samples (sharegpt, openorca-mlperf, ...), not after fixed, uniform or ranged lengths';
  }
  if (!(outputTokens < cap)) return `expected output_tokens (the capped outputs' mean, ${outputTokens}) below the cap ${cap}`;
  return undefined;
}

export const CORPUS_HEADER = CORPUS_COLUMNS.join(',');

/**
 * A cell as an error message shows it: at most `max` characters, control bytes (C0, DEL, C1,
 * line and paragraph separators), quotes and backslashes escaped, so one bad cell never breaks
 * the one-line message or the terminal.
 */
export function showCell(raw: string, max = 80): string {
  const pieces: string[] = [];
  for (const ch of raw) {
    const code = ch.codePointAt(0)!;
    if (ch === '\n') pieces.push('\\n');
    else if (ch === '\r') pieces.push('\\r');
    else if (ch === '\t') pieces.push('\\t');
    else if (ch === '"' || ch === '\\') pieces.push(`\\${ch}`);
    else if (code < 0x20 || (code >= 0x7f && code < 0xa0)) pieces.push(`\\x${code.toString(16).padStart(2, '0')}`);
    else if (code === 0x2028 || code === 0x2029) pieces.push(`\\u${code.toString(16)}`);
    else pieces.push(ch);
  }
  let out = pieces.join('');
  if (out.length <= max) return out;
  out = '';
  for (const p of pieces) {
    if (out.length + p.length > max - 3) break;
    out += p;
  }
  return `${out}...`;
}

/** A corpus row refused: the column and what was wrong, kept apart for readers of other formats (vllm-result.ts names its own keys). */
export class CorpusRowError extends UserError {
  constructor(file: string, line: number, readonly column: string, readonly detail: string) {
    super(`${file}:${line}: ${column}: ${detail}`);
  }
}

function rowError(file: string, line: number, column: string, expected: string, got: string): UserError {
  return new CorpusRowError(file, line, column, `${expected}, got "${showCell(got)}"`);
}

interface RawRecord {
  record: string[];
  info: { lines: number };
}

/** Records with the line each starts on (csv-parse reports where a record ends). */
function records(text: string, file: string): { fields: string[]; line: number }[] {
  // CRLF and CR to LF first: csv-parse counts lines off by one after a CRLF record
  const normalised = text.replace(/\r\n?/g, '\n');
  let raw: RawRecord[];
  try {
    // the header, the rows allowed and one more, to know there were more: the parse stops there
    raw = parse(normalised, { bom: true, info: true, relax_column_count: true, skip_empty_lines: true, to: MAX_CORPUS_ROWS + 2 }) as unknown as RawRecord[];
  } catch (e) {
    const err = e as Error & { lines?: number };
    throw new UserError(`${file}:${err.lines ?? 1}: not valid CSV (RFC 4180): ${excerpt(err.message.split('\n')[0], 160)}`);
  }
  if (raw.length > MAX_CORPUS_ROWS + 1) throw new UserError(`${file}: expected at most ${MAX_CORPUS_ROWS.toLocaleString('en-US')} corpus rows, got more`);
  return raw.map(({ record, info }) => {
    const newlinesInside = record.reduce((n, f) => n + (f.match(/\n/g)?.length ?? 0), 0);
    return { fields: record.map((f) => f.trim()), line: info.lines - newlinesInside };
  });
}

type HeaderColumn = CorpusColumn | typeof ENGINE_ARGS_COLUMN;
const KNOWN_COLUMNS: readonly HeaderColumn[] = [...CORPUS_COLUMNS, ENGINE_ARGS_COLUMN];

/**
 * The file's columns in its order: any order, each once, every required one there (the
 * repository's files have the full header, CORPUS_HEADER, and engine_args in some).
 */
function checkHeader(header: string[] | undefined, file: string): HeaderColumn[] {
  const got = header ?? [];
  const columns: HeaderColumn[] = [];
  got.forEach((cell, i) => {
    const name = cell.toLowerCase();
    if (!(KNOWN_COLUMNS as readonly string[]).includes(name)) {
      throw rowError(file, 1, `column ${i + 1}`, `expected a corpus column (${KNOWN_COLUMNS.join(', ')}; data/corpus/README.md)`, cell);
    }
    if (columns.includes(name as HeaderColumn)) throw rowError(file, 1, `column ${i + 1}`, 'expected each column once', cell);
    columns.push(name as HeaderColumn);
  });
  const missing = REQUIRED_COLUMNS.find((c) => !columns.includes(c));
  if (missing) {
    throw rowError(file, 1, missing, `expected a header naming the columns, ${REQUIRED_COLUMNS.join(', ')} among them (the full header is ${CORPUS_HEADER}, optionally followed by ${ENGINE_ARGS_COLUMN})`, '');
  }
  return columns;
}

/** One row from its cells in CORPUS_COLUMNS order (the full header); `file` and `line` name it in messages. */
export function rowFromCells(fields: string[], file: string, line: number, width: number = CORPUS_COLUMNS.length): CorpusRow {
  return rowFromFields(fields, width > CORPUS_COLUMNS.length ? KNOWN_COLUMNS : CORPUS_COLUMNS, file, line);
}

/** One row from its cells under the file's `columns`; a column the file lacks, or a blank cell, takes its default (spellings.ts COLUMN_DEFAULTS), or a blank. */
function rowFromFields(fields: string[], columns: readonly HeaderColumn[], file: string, line: number): CorpusRow {
  const n = columns.length;
  if (fields.length < n) {
    throw rowError(file, line, columns[fields.length], `expected ${n} fields, the row has ${fields.length} (a missing comma or an unquoted comma?)`, '');
  }
  if (fields.length > n) {
    throw rowError(file, line, `field ${n + 1}`, `expected ${n} fields, the row has ${fields.length} (quote cells that contain commas)`, fields[n]);
  }
  const given = new Map(columns.map((c, i) => [c, fields[i]]));
  // A line break or other control character inside a quoted cell: respelling read "h100\n80gb" as
  // h100-80gb without a word. Only the free-text columns may hold them.
  const broken = columns.find((c, i) => !FREE_TEXT_COLUMNS.has(c) && hasControls(fields[i]));
  if (broken) throw rowError(file, line, broken, 'expected one line without control characters (a quoted cell that spans lines?)', given.get(broken)!);
  // a column the file lacks reads as a blank cell of it: its default (spellings.ts), or blank
  const cells = Object.fromEntries(CORPUS_COLUMNS.map((c) => [c, asCorpusSpelling(c, given.get(c) ?? '')])) as Record<CorpusColumn, string>;
  const engineArgsCell = given.get(ENGINE_ARGS_COLUMN) ?? '';
  const engineArgs = parseEngineArgs(engineArgsCell);
  if ('expected' in engineArgs) throw rowError(file, line, ENGINE_ARGS_COLUMN, `expected ${engineArgs.expected}`, engineArgsCell);
  const r = RowSchema.safeParse(cells);
  if (!r.success) {
    const issue = r.error.issues[0];
    const column = String(issue.path[0] ?? 'row') as CorpusColumn;
    // the cell as written, not as respelled
    throw rowError(file, line, column, issue.message, given.get(column) ?? cells[column] ?? '');
  }
  const blankProvenance = PROVENANCE_COLUMNS.find((c) => given.has(c) && cells[c] === '');
  if (blankProvenance) throw rowError(file, line, blankProvenance, `expected ${PROVENANCE_EXPECTED[blankProvenance]}`, '');
  return completeRow(r.data, engineArgs, engineArgsCell, file, line);
}

/** Stacks fleetsim has profiles for that never had vLLM's multi-step scheduling (NIM: TensorRT-LLM, then vLLM's V1 engine). */
const WITHOUT_MULTI_STEP = ['sglang', 'trtllm', 'tgi', 'nim', 'splitwise-vllm'];

/**
 * vLLM's settings on a row whose stack or release did not have them, as TensorRT-LLM's on another
 * stack are refused: num_scheduler_steps (multi-step, vLLM from 0.6) on SGLang was accepted and
 * simulated as multi-step, and async_scheduling=true on a vLLM before its V1 engine (0.8)
 * scheduled a release asynchronously that never did. The version is not echoed.
 */
function vllmSettingNotHad(stack: string, version: string, args: EngineArgs): string | undefined {
  if (args.num_scheduler_steps !== undefined) {
    if (WITHOUT_MULTI_STEP.includes(stack)) return `num_scheduler_steps only on a vLLM row (vLLM's multi-step scheduling; this one is ${stack})`;
    if (stack === 'vllm' && !versionAtLeast(version, VLLM_MULTI_STEP_SINCE)) return `num_scheduler_steps only on vLLM ${VLLM_MULTI_STEP_SINCE} or later (multi-step scheduling came with it)`;
  }
  if (args.async_scheduling === true && stack === 'vllm' && !versionAtLeast(version, VLLM_V1_DEFAULT_SINCE)) {
    return `async_scheduling=true only on vLLM ${VLLM_V1_DEFAULT_SINCE} or later (the V1 engine's; earlier releases scheduled in step)`;
  }
  return undefined;
}

/** The row as predict.ts reads it: the stack and GPU by their canonical names, blanks as undefined. */
function completeRow(d: z.infer<typeof RowSchema>, engineArgs: EngineArgs, engineArgsCell: string, file: string, line: number): CorpusRow {
  const stack = canonicalStack(d.stack);
  for (const fp8Only of ['fp8_scaling', 'effective_bits'] as const) {
    // how FP8 weights are scaled or mixed says nothing of weights in another format: it was read as nothing
    if (engineArgs[fp8Only] !== undefined && d.dtype !== 'fp8') throw rowError(file, line, ENGINE_ARGS_COLUMN, `expected ${fp8Only} only on a row of FP8 weights (dtype fp8; this one is ${d.dtype})`, engineArgsCell);
  }
  const foreign = TRTLLM_ENGINE_ARGS.find((a) => engineArgs[a] !== undefined && !servesWithTensorRtLlm(stack, d.stack_version));
  if (foreign) {
    // the version is not echoed (it may be anything: docs/hostile-inputs.md)
    const what = stack === 'nim' ? `nim ${NIM_VLLM_SINCE} or later, or unnumbered: NIM ${NIM_VLLM_SINCE} and later serve with vLLM` : stack;
    throw rowError(file, line, ENGINE_ARGS_COLUMN, `expected ${foreign} only on a TensorRT-LLM row (stack trtllm, or nim before ${NIM_VLLM_SINCE}; this one is ${what})`, engineArgsCell);
  }
  const notHad = vllmSettingNotHad(stack, d.stack_version, engineArgs);
  if (notHad) throw rowError(file, line, ENGINE_ARGS_COLUMN, `expected ${notHad}`, engineArgsCell);
  if (stack === 'tgi' && engineArgs.enable_chunked_prefill === true && !versionAtLeast(d.stack_version, TGI_CHUNKED_SINCE)) {
    // its hold on waiting prompts was dropped without a word (the tgi profile models 2.x)
    throw rowError(file, line, ENGINE_ARGS_COLUMN, `expected enable_chunked_prefill=true on a TGI row only from ${TGI_CHUNKED_SINCE} (earlier TGI had no chunked prefill)`, engineArgsCell);
  }
  const { base: uncached, cached: prompts_cached } = withoutCachedPrompts(d.lengths);
  const { base: lengths, cap } = withoutOutputCap(uncached);
  return {
    ...d, file, line,
    stack,
    gpu: catalogGpuId(d.gpu),
    lengths,
    prompts_cached,
    ...(cap !== undefined ? { max_output_tokens: cap } : {}),
    engine_args: engineArgs,
    // blank: the weights' dtype, as engines default to it, but 4-bit weight-only formats (GPTQ,
    // AWQ) have no 4-bit cache: 16-bit (it read as a 4-bit cache, a quarter of the bytes, until 2026-12-06)
    kv_dtype: d.kv_dtype ?? (d.dtype === 'int4' ? 'fp16' : d.dtype),
    batch: d.batch ?? undefined,
    request_rate_per_s: d.request_rate_per_s ?? undefined,
    num_requests: d.num_requests ?? undefined,
    source: d.source ?? '', url: d.url ?? '', licence: d.licence ?? '', locator: d.locator ?? '',
  };
}

/** Rows of one corpus file's text; `file` names it in errors. A header-only file has no rows. */
export function parseCorpus(text: string, file: string): CorpusRow[] {
  const recs = records(text, file);
  const columns = checkHeader(recs[0]?.fields, file);
  return recs.slice(1).map((r) => rowFromFields(r.fields, columns, file, r.line));
}

/** Every row of every file, ids unique across all of them. */
export function loadCorpus(paths: readonly string[]): CorpusRow[] {
  const rows: CorpusRow[] = [];
  const seen = new Map<string, CorpusRow>();
  for (const path of paths) {
    const text = readInputText(path, path, (code) => `cannot read corpus file: ${code}`);
    // A .json file is a vLLM benchmark_serving result (vllm-result.ts).
    const fileRows = path.toLowerCase().endsWith('.json') ? parseVllmResult(text, path) : parseCorpus(text, path);
    if (rows.length + fileRows.length > MAX_CORPUS_ROWS) {
      throw new UserError(`${path}: expected at most ${MAX_CORPUS_ROWS.toLocaleString('en-US')} corpus rows in all files, got ${(rows.length + fileRows.length).toLocaleString('en-US')} with this one`);
    }
    for (const row of fileRows) {
      const first = seen.get(row.id);
      if (first) throw rowError(path, row.line, 'id', `expected an id used once in the corpus (first at ${first.file}:${first.line})`, row.id);
      seen.set(row.id, row);
      rows.push(row);
    }
  }
  return rows;
}

/**
 * What a row measures, without where it is written or what it measured: the fields its prediction
 * depends on (kind, statistic, unit, stack and version, GPU, model, dtypes, parallelism, batch,
 * rate, lengths, engine settings). Twelve copies of one row under twelve ids are one configuration.
 */
export function rowConfiguration(row: CorpusRow): string {
  const { file: _file, line: _line, id: _id, split: _split, value: _value, source: _source, url: _url, licence: _licence, locator: _locator, notes: _notes, ...configuration } = row;
  return JSON.stringify(configuration);
}
