import type { Command } from 'commander';
import { UserError } from '../errors.ts';
import { excerpt } from '../util/excerpt.ts';
import { gpuHourlyUsd, PRICE_SETS, type PriceSet } from '../cost/prices.ts';
import { fraction, positiveInt } from './cli-args.ts';
import { checkKvDtype, checkWeightDtype, defaultKvDtype, DTYPES, FP8_SCALINGS, matmulPathFor, parseDtype, parseFp8Scaling, withFp8Scaling } from './dtype.ts';
import { loadHfConfig } from './hf-config.ts';
import { checkpointDtypeNote, weightDtypeFor } from './checkpoint-dtype.ts';
import type { ModelSpec } from './models.ts';
import { checkTensorParallel, MATMUL_REFERENCE_GPU, matmulFractions, meshLinkShare } from './hardware.ts';
import { checkAttentionSplit, checkExpertParallel, checkMlpSplit } from './memory.ts';
import { catalogGpuId, getGpu, getModel, nameDtype } from './lookup.ts';
import { checkEngineChoice, DEFAULT_ENGINE, ENGINE_NAMES, resolveEngine, withAllReduceFusion } from './profiles.ts';
import { perfSummary, type PerfSummary } from './summary.ts';
import { addSpeculativeOptions, speculativeFromFlags, speculativeRows, type SpeculativeFlags } from './cli-speculative.ts';
import { FIRST_TOKEN_SHORT_LOAD, NEAR_CAPACITY_LOAD, STEP_MODEL_THROUGHPUT_ERROR } from './model-error.ts';
import { NETWORK_TREE_STEP_LATENCY_US } from './step.ts';

interface PerfFlags extends SpeculativeFlags {
  model?: string;
  gpu?: string;
  tp: string;
  ep: string;
  batch?: string;
  prompt: string;
  output: string;
  dtype?: string;
  kvDtype?: string;
  fp8Scaling?: string;
  modelConfig?: string;
  calibration?: string;
  engine?: string;
  gpuMemoryUtilization?: string;
  kvCacheFreeGpuMemFraction?: string;
  allreduceFusedWithGemm?: boolean;
  priceSet: string;
  json?: boolean;
}

const fmt = (x: number, digits = 1) => x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const int = (x: number) => x.toLocaleString('en-US', { maximumFractionDigits: 0 });

/** The throughput batch is the engine's limit, not the KV cache's or the user's --batch. */
const engineCapped = (s: PerfSummary) => s.throughput_batch < s.max_batch && s.throughput_batch !== s.latency_batch;

function table(s: PerfSummary, calibrationName: string, priceSet: PriceSet, dtypeNote: string): string {
  const decoder = s.tokens_counted === 'output';
  const rows: [string, string][] = [
    ['prefill', `${fmt(s.prefill_ms)} ms  (${s.prompt_tokens}-token prompt, GPU time)`],
    ['TTFT (idle)', `${fmt(s.ttft_ms)} ms  (prefill + the request's own fixed cost)`],
    ...(decoder ? [
      [`TPOT at batch ${s.latency_batch}`, `${fmt(s.tpot_ms, 2)} ms`],
      [`end-to-end at batch ${s.latency_batch}`, `${fmt(s.e2e_ms)} ms  (TTFT + ${Math.max(0, s.output_tokens - 1)} x TPOT)`],
    ] as [string, string][] : []),
    ['weights', `${fmt(s.weight_gb_per_gpu)} GB per GPU`],
    ['KV cache', `${int(s.kv_capacity_tokens)} tokens = max batch ${int(s.max_batch)} x ${kvPerSequence(s)} tokens (${s.memory_setting.name} ${s.memory_setting.fraction})`],
    [`throughput at batch ${int(s.throughput_batch)}`,
      `${int(s.tokens_per_s_per_replica)} ${s.tokens_counted} tok/s per replica, ${int(s.tokens_per_s_per_gpu)} per GPU (MFU ${fmt(100 * s.mfu, 0)}%, MBU ${fmt(100 * s.mbu, 0)}%)${engineCapped(s) ? "; the batch is the engine's max_num_seqs" : ''}`],
    ['capacity', `${fmt(s.requests_per_s_per_replica, 2)} requests/s per replica at that batch (first tokens likely short from ${fmt(s.requests_per_s_per_replica * FIRST_TOKEN_SHORT_LOAD, 2)}, ` +
      `${fmt(100 * FIRST_TOKEN_SHORT_LOAD, 0)}%, as published runs read; near capacity from ${fmt(s.requests_per_s_per_replica * NEAR_CAPACITY_LOAD, 2)}, ` +
      `${fmt(100 * NEAR_CAPACITY_LOAD, 0)}%: latency there turns on a capacity the model knows within ${fmt(100 * STEP_MODEL_THROUGHPUT_ERROR, 0)}%)`],
    ['GEMM rate', gemmRateNote(s)],
    ...(s.tp > 1 ? [['interconnect', interconnectNote(s)] as [string, string]] : []),
    ['cost', `$${fmt(s.usd_per_million_output_tokens, 3)} per million ${s.tokens_counted} tokens at $${fmt(s.usd_per_gpu_hour, 3)} per GPU-hour (${priceSet} prices; the GPUs alone at full batch: a scenario's bill counts whole instances and every tier over prompt and output tokens, at its own fleet.prices.set, 2024 by default)`],
    ...(s.known_bias ? [['known bias', s.known_bias] as [string, string]] : []),
    ...speculativeRows(s),
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  const layout = s.ep > 1 ? `${s.gpus}x ${s.gpu} (tp ${s.tp}, ep ${s.ep})` : `${s.tp}x ${s.gpu}`;
  const kv = s.kv_dtype === s.dtype ? '' : ` (KV cache ${s.kv_dtype})`;
  const head = `${s.model} on ${layout}, ${s.dtype}${dtypeNote}${kv}, prompt ${s.prompt_tokens}, output ${s.output_tokens}; factors: ${calibrationName}`;
  return [head, ...rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`)].join('\n') + '\n';
}

/** How the profile's GEMM efficiency (a share of the reference GPU's peak) reaches this GPU. */
function gemmRateNote(s: PerfSummary): string {
  const gpu = getGpu(s.gpu);
  const path = matmulPathFor(gpu, s.dtype);
  const f = matmulFractions(gpu, path);
  let block = s.weight_kernel_share === 1 ? '' : `; block-scaled FP8 weights: x${fmt(s.weight_kernel_share, 2)} of that rate and of the weights' bandwidth, the share block-scaled kernels reached in 2025's stacks`;
  if (s.expert_kernel_share !== 1) block += `; MXFP4 experts without FP4 tensor cores: x${fmt(s.expert_kernel_share, 2)} of that rate at large batch (upcasting MoE kernels; fitted on TensorRT-LLM's gpt-oss throughput on H200)`;
  if (f === undefined) return `the profile's, as on ${MATMUL_REFERENCE_GPU} (assumed: no large-GEMM measurement of ${s.gpu})${block}`;
  const row = f.row === 'fp8' ? (s.dtype === 'fp4' ? 'FP8, no FP4 measurement' : 'FP8') : path === 'fp8' ? 'BF16, no FP8 measurement' : 'BF16';
  const pct = (x: number) => `${fmt(100 * x, 1)}%`;
  const how = gpu.matmul_fraction_source === undefined ? 'measured large GEMMs' : `large GEMMs as ${gpu.matmul_fraction_source}`;
  return `x${fmt(s.matmul_rate_vs_reference, 3)} the profile's (${how}, ${row}: ${pct(f.own)} of ${s.gpu}'s peak, ${pct(f.reference)} of ${MATMUL_REFERENCE_GPU}'s)${block}`;
}

/** What a tensor-parallel group's all-reduce travels over: the whole link through a switch, its own links on a direct mesh. */
function interconnectNote(s: PerfSummary): string {
  const gpu = getGpu(s.gpu);
  const domain = gpu.interconnect_domain_gpus;
  if (s.tp > domain) {
    return `${gpu.interconnect} ${int(gpu.nvlink_gb_per_s)} GB/s per GPU within each of ${s.tp / domain} nodes of ${domain}, ` +
      `and between them the network (${gpu.network_gbit_per_s ?? 400} Gb/s per GPU): every all-reduce crosses it (a tree of ${NETWORK_TREE_STEP_LATENCY_US} us network steps, as measured in serving) with each GPU's share of the payload`;
  }
  const link = `${gpu.interconnect} ${int(gpu.nvlink_gb_per_s)} GB/s per GPU`;
  if (gpu.interconnect === 'pcie') return `${link}: a ring of ${s.tp} cards through the host`;
  if (!gpu.direct_mesh) return `${link} through a switch: a group of ${s.tp} all-reduces at the whole link`;
  const share = meshLinkShare(gpu, s.tp);
  return share < 1
    ? `${link} over a direct mesh of ${domain}: a group of ${s.tp} drives ${s.tp - 1} of its ${domain - 1} links (${int(share * gpu.nvlink_gb_per_s)} GB/s), tp ${domain} all of them`
    : `${link} over a direct mesh of ${domain}: a group of ${s.tp} drives all its links`;
}

/** A sequence's cache tokens: its own, and its sliding-window layers' windows where the model has them, or at most the window where every layer slides. */
function kvPerSequence(s: PerfSummary): string {
  const own = s.prompt_tokens + s.output_tokens;
  const bound = s.kv_tokens_per_sequence_bound;
  if (bound !== undefined) return own > bound ? `${bound} (the window of its ${own})` : `${own}`;
  return s.kv_window_tokens_per_sequence === undefined ? `${own}` : `(${own} + ${s.kv_window_tokens_per_sequence} in sliding windows)`;
}

/** Where the weight dtype came from, when it is the checkpoint's rather than given, and what the checkpoint keeps in 16 bits. */
function dtypeNote(model: ModelSpec, given: string | undefined): string {
  const from = given !== undefined || model.checkpoint === undefined ? '' : ` (${checkpointDtypeNote(model.checkpoint)})`;
  const kept = [
    ...(model.unquantized_layer_params ? [`${fmt(model.unquantized_layer_params / 1e9, 3)}B parameters of its layers`] : []),
    ...(model.unquantized_lm_head ? ['the LM head'] : []),
    ...(model.unquantized_embedding ? ['the input embedding'] : []),
  ];
  return kept.length === 0 ? from : `${from}, 16-bit where its quantization_config.modules_to_not_convert says: ${kept.join(', ')}`;
}

export function registerPerf(program: Command): void {
  const command = program
    .command('perf')
    .description('step-time model figures for one replica: prefill, TTFT, TPOT, end-to-end, KV capacity, throughput and cost per token')
    .option('--model <id>', 'catalog model id (or the id to give a --model-config model)')
    .option('--gpu <id>', 'catalog GPU id')
    .option('--tp <n>', 'tensor-parallel degree (GPUs per replica, or per data-parallel group with --ep); a multiple of the GPU\'s node (8 GPUs on an HGX board) spans nodes', '1')
    .option('--ep <n>', 'expert-parallel degree for MoE models: the replica has ep GPUs in ep/tp data-parallel groups (vLLM --enable-expert-parallel)', '1')
    .option('--batch <n>', 'decode batch for TPOT, end-to-end and throughput (default: 1 for latency, the KV-cache maximum for throughput)')
    .option('--prompt <n>', 'prompt tokens', '512')
    .option('--output <n>', 'output tokens', '128')
    .option('--dtype <t>', `weight dtype: ${DTYPES.join(', ')} (fp4 = NVFP4 on Blackwell, int4 = GPTQ/AWQ weight-only; default: a --model-config checkpoint's own, else the one the --model name states (-FP8, -AWQ, -GPTQ, -W8A8, ...), else fp16)`)
    .option('--kv-dtype <t>', "KV-cache dtype (default: the engine's: the weight dtype under TensorRT-LLM profiles, 16-bit under vLLM, SGLang and TGI; fp16 for int4 weights)")
    .option('--fp8-scaling <s>', `how the checkpoint's FP8 weights are scaled: ${FP8_SCALINGS.join(' (one scale per 128x128 block: slower kernels) or ')} (per tensor or channel) (default: the model's own: block for deepseek-v3 and Qwen3, a --model-config checkpoint's quantization_config)`)
    .option('--model-config <file>', 'Hugging Face config.json to load the model from instead of the catalog')
    .option('--engine <name>', `serving-stack profile of the step model: ${ENGINE_NAMES.join(', ')} (default ${DEFAULT_ENGINE})`)
    .option('--calibration <file>', 'calibration profile JSON written by `fleetsim calibrate` (instead of --engine)')
    .option('--gpu-memory-utilization <f>', "vLLM's memory rule: weights, activations and KV cache within this fraction of each GPU's memory (default: 0.9 under the engine's own rule: this one for vLLM, SGLang and TGI profiles)")
    .option('--kv-cache-free-gpu-mem-fraction <f>', "TensorRT-LLM's memory rule: the KV cache takes this fraction of the memory that weights and activations leave (default: 0.9 under the engine's own rule: this one for TensorRT-LLM and NIM profiles)")
    .option('--allreduce-fused-with-gemm', "the engine fuses each row-parallel GEMM with its all-reduce (TensorRT-LLM's trtllm-build --gemm_allreduce_plugin): the payload moves once and under the GEMM (default: as the profile says; none of the named ones)")
    .option('--price-set <set>', `instance prices: ${PRICE_SETS.join(' or ')}`, 'current')
    .option('--json', 'print one JSON object');
  addSpeculativeOptions(command)
    .action((flags: PerfFlags) => {
      if (!flags.gpu) throw new UserError('--gpu: required (e.g. --gpu a100-80gb)');
      if (!flags.model && !flags.modelConfig) throw new UserError('--model: required unless --model-config is given (e.g. --model llama-2-70b)');
      const gpu = getGpu(catalogGpuId(flags.gpu));
      const model = withFp8Scaling(flags.modelConfig ? loadHfConfig(flags.modelConfig, flags.model) : getModel(flags.model!), parseFp8Scaling(flags.fp8Scaling, '--fp8-scaling'));
      const named = flags.dtype === undefined && !flags.modelConfig && flags.model !== undefined ? nameDtype(flags.model) : undefined;
      const dtype = named ?? weightDtypeFor(model, gpu, flags.dtype === undefined ? undefined : parseDtype(flags.dtype, '--dtype'), '--dtype');
      checkWeightDtype(gpu, dtype);
      if (flags.fp8Scaling !== undefined && dtype !== 'fp8') throw new UserError(`--fp8-scaling: applies to FP8 weights; these are ${dtype} (--dtype fp8 to serve them so)`);
      const calibration = withAllReduceFusion(resolveEngine(flags.engine, flags.calibration, '--engine'), flags.allreduceFusedWithGemm);
      checkEngineChoice(flags.engine, flags.calibration, gpu, flags.allreduceFusedWithGemm, { engine: '--engine', gpu: '--gpu', fused: '--allreduce-fused-with-gemm' });
      const kvDtype = flags.kvDtype === undefined ? defaultKvDtype(dtype, calibration.kv_cache_dtype) : parseDtype(flags.kvDtype, '--kv-dtype');
      checkKvDtype(gpu, kvDtype, flags.kvDtype === undefined ? "--dtype (the engine's default KV-cache dtype)" : '--kv-dtype');
      const tp = positiveInt(flags.tp, '--tp')!;
      checkTensorParallel(gpu, tp);
      checkHeadsSplit(model, tp, flags.modelConfig);
      const ep = positiveInt(flags.ep, '--ep')!;
      checkExpertParallelFlag(model, tp, ep);
      if (!(PRICE_SETS as readonly string[]).includes(flags.priceSet)) {
        throw new UserError(`--price-set: expected one of ${PRICE_SETS.join(', ')}, got "${excerpt(flags.priceSet)}"`);
      }
      const priceSet = flags.priceSet as PriceSet;
      const speculative = speculativeFromFlags(flags);
      if (flags.gpuMemoryUtilization !== undefined && flags.kvCacheFreeGpuMemFraction !== undefined) {
        throw new UserError("--gpu-memory-utilization and --kv-cache-free-gpu-mem-fraction: expected one of the two (vLLM's memory rule or TensorRT-LLM's), got both");
      }
      const summary = perfSummary({
        speculative: speculative?.spec, draftModel: speculative?.draftModel,
        model, gpu, dtype, kvDtype, calibration,
        tp, ep,
        prompt: positiveInt(flags.prompt, '--prompt')!,
        output: positiveInt(flags.output, '--output')!,
        batch: positiveInt(flags.batch, '--batch'),
        gpuMemoryUtilization: fraction(flags.gpuMemoryUtilization, '--gpu-memory-utilization'),
        kvCacheFreeMemoryFraction: fraction(flags.kvCacheFreeGpuMemFraction, '--kv-cache-free-gpu-mem-fraction'),
        usdPerGpuHour: gpuHourlyUsd(gpu.id, priceSet),
      });
      process.stdout.write(flags.json ? JSON.stringify(summary, null, 2) + '\n' : table(summary, flags.calibration ?? `engine ${flags.engine ?? DEFAULT_ENGINE}`, priceSet, named ? ` (the name's: ${named}; --dtype to say otherwise)` : dtypeNote(model, flags.dtype)));
    });
}

/** --ep against the model's experts and --tp, naming the flag (memory.ts words the rule). */
function checkExpertParallelFlag(model: ModelSpec, tp: number, ep: number): void {
  try {
    checkExpertParallel(model, tp, ep);
  } catch (e) {
    if (e instanceof UserError) throw new UserError(`--ep ${ep}: ${e.message}`);
    throw e;
  }
}

/**
 * --tp against the model's attention heads and, for a config file, its MLP width, naming the flag
 * (and the config file's field). The catalog's widths split over every tp its heads allow, so only
 * a config file's is checked.
 */
function checkHeadsSplit(model: ModelSpec, tp: number, configFile: string | undefined): void {
  const checks: [check: (m: ModelSpec, tp: number) => void, field: string][] = [[checkAttentionSplit, 'num_attention_heads']];
  if (configFile !== undefined) checks.push([checkMlpSplit, 'intermediate_size']);
  for (const [check, field] of checks) {
    try {
      check(model, tp);
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      throw new UserError(`--tp: ${e.message}${configFile === undefined ? '' : ` (${field} in ${configFile})`}`);
    }
  }
}
