import { windowedLayers, type ModelShape } from './shape.ts';

/** What the known biases read of a model: its id, MLA, sliding layers and context. */
type KnownBiasModel = { readonly id: string; readonly mla?: unknown } & Pick<ModelShape, 'layers' | 'sliding_window_layers' | 'sliding_window' | 'max_context'>;

/**
 * The step model's throughput error on published measurements it was not fitted on, as a bound
 * it stays within about four times in five: the 80th percentile of the absolute errors of the
 * validation throughput rows of data/corpus/*.csv, offline and serving, was 21.7% on 2026-12-04
 * (offline alone 23.8%, and 78% of them within 22%; the MAPE of the offline rows 14.6%, of both
 * 13.3%; `fleetsim fidelity --json`), and 18.9% on 2026-12-05 with TensorRT-LLM's memory rule
 * (offline alone 21.5%, 81% of them within 22%; MAPE 14.0% and 12.8%): kept at the offline rows'
 * figure, since a capacity is what an offline run measures. With block-scaled FP8 (dtype.ts, later
 * that day) 18.1% (offline alone 19.0%, 82% within 22%; MAPE 13.0% and 12.0%): the bound was
 * kept, not narrowed on one term's gain. A replica's simulated capacity may be this far from the
 * real one in either direction.
 */
export const STEP_MODEL_THROUGHPUT_ERROR = 0.22;

/**
 * The load (offered rate over capacity) from which the real replica may be at its knee or past it:
 * 1 / (1 + STEP_MODEL_THROUGHPUT_ERROR), 82%. Near 1 latency grows as 1 / (1 - load), so there a
 * capacity error of a few percent moves it by tens of percent: published MLPerf server runs at
 * 93-99% of their offline throughput read at simulated loads of 0.78-1.06 and are 3-83% off
 * (2026-12-05; docs/fidelity.md, "Near capacity").
 */
export const NEAR_CAPACITY_LOAD = 1 / (1 + STEP_MODEL_THROUGHPUT_ERROR);

/**
 * The load from which a replica's first tokens read short of published serving runs, by more than
 * its decode does. Over every part of the corpus (2026-12-07, seed 1; open-loop serving rows,
 * DeepSeek's and three sources with biases of their own left out, and two whose first tokens read
 * far off wherever measured, the POD-Attention paper's A100 baselines and MLPerf v5.1's B200 FP4
 * runs: docs/fidelity.md, "Near capacity"), the mean and percentile first tokens read 9.3%
 * off (bias -5.8%, 27 rows) at simulated loads of 0.5-0.7 and 32.8% (bias -32.8%, 15 rows of five
 * sources: IOG's vLLM 0.8.5 at 32 requests/s on the H100 PCIe, a vLLM V1 run at TP 8 on A100 40GB,
 * MLPerf v5.1's Nebius H200 interactive run, HPE's H100 NVL run of v4.1, v5.0's Mixtral) at
 * 0.7-0.82, their TPOT 7.5% and 22.0% (bias -18.0% there: HPE's run -53%, IOG's within 3%). Below
 * NEAR_CAPACITY_LOAD a capacity error of the usual size does not reach the knee; what is missing
 * is not known. A first token read from here is a lower bound.
 */
export const FIRST_TOKEN_SHORT_LOAD = 0.7;

/**
 * Model families whose published measurements fleetsim misses in one direction in every source
 * that has them, so that a latency or capacity of theirs is to be read as a bound, not an
 * estimate. MLA models, as of 2026-12-05 (measured on DeepSeek-V3 and R1; DeepSeek-V2 shares the
 * architecture and is taken with them). With the block-scaled FP8 kernels counted (dtype.ts
 * BLOCK_FP8_KERNEL_SHARE; before, every source read 1.4-2.3x fast): throughput within -4% to +22%
 * (GPUStack's vLLM 0.11 at TP 8 on H200 +15% to +22% offline, its SGLang 0.5 -3%, TensorRT-LLM's
 * DeepSeek-R1 blog at DP 8, EP 8 +3%), decode at low load -23% to +19%, but first tokens at low
 * load 23-44% short in both sources that publish them (vLLM 0.8.4 at 10 requests/s, TTFT 125-137 ms
 * measured against 96; GPUStack's vLLM at 4 requests through its chat endpoint, 123 ms against
 * 69), which no term explains yet (docs/fidelity.md, "Known biases"). On 2026-12-06 a third source,
 * SGLang 0.5.7 of March 2026 at 8-64 requests on H200 (data/corpus/fresh-2026-12/moe-decode.csv),
 * read the mean first token 35-56% short again but the TPOT 23-55% long: that release's
 * block-scaled kernels outrun the 2025 share the model counts, which the 2025 sources still hold.
 * Later that day dstack's runs of March 2025 (data/corpus/fresh-2026-12/papers-bench.csv, closed
 * loops of 4 requests of 3,200 tokens on H200) read the first token 62% short under vLLM 0.7.4.dev
 * (976 ms measured, 374 predicted) and 91% short under SGLang 0.4.3 with data-parallel attention.
 */
export function knownModelBias(model: { readonly id: string; readonly mla?: unknown }): string | undefined {
  if (model.mla === undefined) return undefined;
  return `${model.id}: fleetsim reads the first tokens of DeepSeek-style MLA models 23-91% short of published runs at low load ` +
    '(vLLM and SGLang on H200), their throughput up to 22% high and their per-token decode from 23% short to 55% long by release, ' +
    'so its first-token latency here is likely low, its capacity may be optimistic and its TPOT is uncertain by about half';
}

/**
 * GPUs whose published measurements fleetsim reads fast, as of 2026-12-05: the Blackwell parts.
 * No profile was fitted on a Blackwell row; the one published comparison the corpus holds,
 * NVIDIA's MLPerf Inference v5.1 offline runs on B200 (data/corpus/mlperf/v51.csv, NVFP4 weights,
 * TensorRT-LLM), reads Llama 2 70B +33% and Llama 3.1 8B +61% (with the MLPerf sets' own
 * lengths; +24% and +58% with geometric ones); its server runs' latencies 62-97% short, and at the
 * batch each run held (Little's law) the model's step is 43-47% short of its TPOT, where the H200
 * runs read within -12% to +8%. GB200 carries the same die and is taken with it, unmeasured.
 */
export function knownHardwareBias(gpu: { readonly id: string }): string | undefined {
  if (gpu.id === 'h20') return H20_BIAS;
  if (gpu.id !== 'b200' && gpu.id !== 'gb200') return undefined;
  return `${gpu.id}: fleetsim reads Blackwell GPUs 1.3-1.6x faster than the one published comparison it has ` +
    "(NVIDIA's MLPerf Inference v5.1 offline runs on B200: Llama 2 70B +33%, Llama 3.1 8B +61%), so its capacity here is likely optimistic and its latency low";
}

/**
 * H20, as of 2026-12-07: no published measurement in the corpus, and a balance no profile was
 * fitted near. Its 148 dense BF16 TFLOPS over 4.0 TB/s is 37 FLOPs a byte, an eighth of H100's
 * 295 (the GPUs behind the profiles span 150-420), and the GEMM efficiency's ramp at few rows
 * (e_gemm(m), step.ts) is a fraction of the peak: on H20 it makes a batch-1 decode compute-bound,
 * Llama 3.1 8B's TPOT 14.6 ms against A100 80GB's 12.0, where reading its weights takes 4 ms.
 * Scaling the ramp by each GPU's balance was tried and not kept: the whole corpus read 18.70% ->
 * 19.08% (A100 80GB 17.8% -> 19.3%).
 */
const H20_BIAS = 'h20: no published measurement, and its FLOPs per byte of bandwidth (an eighth of H100\'s) lie outside what the profiles were fitted on: ' +
  'its small-batch decode reads compute-bound, likely slow (a batch-1 TPOT above A100\'s though it reads its weights faster), its prefill follows its peak';

/** Hopper GPUs of the catalog: where the pairing below was measured (H100, H200) or shares their kernels (H20, H100 PCIe). */
const HOPPER_GPUS: ReadonlySet<string> = new Set(['h100-80gb', 'h100-80gb-hgx4', 'h100-pcie', 'h100-nvl', 'h200', 'h20']);

/**
 * A model on a GPU family fleetsim misses in every published run of the pair, as of 2026-12-05:
 * Mistral 7B on Hopper. TensorRT-LLM 0.9.0's FP8 static batches on H100 and H200
 * (data/corpus/new-models/) read +32% to +102%, and Argonne's vLLM runs on H100 (FP16,
 * data/corpus/argonne/) took 1.1-2.3x fleetsim's time at batch 32-64 and 1,024-2,048 tokens:
 * their Mistral ran about as slow as Llama 2 7B at the same batch, without the saving of its 8 KV
 * heads, where Llama 3 8B (8 KV heads, no sliding window) got it on the same GPUs (fleetsim reads
 * its 60 H100 rows at 6.7%), and Mistral on A100 read 9.3% (73 rows) and within 10% in
 * TensorRT-LLM's FP16 table. Mistral 7B v0.1's 4,096-token sliding window likely kept those
 * releases off their grouped-query Hopper kernels; a newer stack or a v0.2+ checkpoint is not
 * measured. Keyed on the catalog id: a Mistral loaded from its config.json carries its file's name.
 */
export function knownModelGpuBias(model: { readonly id: string }, gpu: { readonly id: string }): string | undefined {
  if (model.id !== 'mistral-7b' || !HOPPER_GPUS.has(gpu.id)) return undefined;
  return `${model.id} on ${gpu.id}: published runs of Mistral 7B on Hopper (TensorRT-LLM 0.9.0, vLLM about 0.6) took up to 2x fleetsim's time ` +
    'at large batches and long contexts (without the saving of its 8 KV heads, likely its sliding window), so its capacity here is likely optimistic';
}

/**
 * A weight format fleetsim misses apart on two GPUs, as of 2026-12-05: INT4 W4A16 (GPTQ, group
 * 128). Neural Magic's single-stream runs of the DeepSeek-R1 distillations under vLLM 0.7.2
 * (data/corpus/r1-distill/r1-distill-quantized.csv) took nearly one time on A100 80GB and H100
 * (Llama 3.3 70B's shape at TP 1: 34.5 and 30.5 ms a token), where fleetsim reads its 40 A100 rows
 * +27% (slow) and its 40 H100 rows -27% (fast); vLLM 0.9's GPTQ-Int4 Qwen2.5-7B on A100 40GB at 10
 * requests/s reads TPOT -7% to +1%. One source at batch 1: the GPUs it measured only.
 */
export function knownDtypeBias(dtype: string | undefined, gpu: { readonly id: string }): string | undefined {
  if (dtype !== 'int4' || !INT4_MEASURED_GPUS.has(gpu.id)) return undefined;
  const way = gpu.id.startsWith('h100-80gb') ? 'fast' : 'slow';
  return `int4 on ${gpu.id}: published 4-bit weight-only (W4A16) runs at batch 1 took nearly one time on A100 and H100 (vLLM 0.7.2), where fleetsim reads this GPU about 27% ${way}, ` +
    'so its small-batch decode here may be off by about 30%';
}

const INT4_MEASURED_GPUS: ReadonlySet<string> = new Set(['a100-80gb', 'h100-80gb', 'h100-80gb-hgx4']);

/**
 * An engine profile fleetsim reads fast where published runs measured it, as of 2026-12-05: vLLM's
 * V0 engine scheduling every step (`vllm-v0`: 0.4-0.5, 0.6 without multi-step, 0.7) behind its
 * OpenAI server at large batches. Krai's MLPerf Inference v5.0 open-division runs of Llama 2 70B
 * FP8 at TP 1 (data/corpus/mlperf/v50-krai-vllm.csv, batches of about 220-450): offline throughput
 * on H200 +69% and +72% (vLLM 0.7.3 and 0.6.4, FlashAttention), +28% (0.6.4, FlashInfer), on MI300X
 * +37% and +48% (the ROCm builds of 0.6.4 and 0.7.3); TPOT at 86-92% of the offline rate 60-78%
 * short. The profile's cost per sequence was fitted on Argonne's static batches of at most 64
 * through vLLM's LLM class (no API server), which it reads within 8%, and no single cost fits both:
 * what the server path adds at these batches is not modelled. Measured on H200 and MI300X; H100
 * (SXM and PCIe) and H20 run the H200's kernels and are taken with it, unmeasured.
 */
export function knownEngineBias(engine: string | undefined, gpu: { readonly id: string }): string | undefined {
  if (engine !== 'vllm-v0' || !(HOPPER_GPUS.has(gpu.id) || gpu.id === 'mi300x')) return undefined;
  return `vllm-v0 on ${gpu.id}: published runs of vLLM's V0 engine scheduling every step, behind its API server at batches of 150-450 on H200 and MI300X, ` +
    'served 1.3-1.7x fewer tokens per second than fleetsim reads (Krai\'s MLPerf v5.0 runs of vLLM 0.6.4 and 0.7.3), so its capacity here is likely optimistic and its latency low';
}

/** Everything fleetsim is known to misjudge about a model served on a GPU in a weight dtype by an engine profile, in one line (none: undefined). */
/**
 * A model whose every layer slides over a window (a hostile or unusual config.json; none in the
 * catalog) is timed as full attention (shape.ts windowedLayers), its KV cache per sequence bounded
 * by the window: its long-context steps slow, and its prefixes not reused.
 */
export function knownWindowBias(model: KnownBiasModel, longest_tokens = model.max_context): string | undefined {
  if (model.sliding_window_layers === undefined || windowedLayers(model) === model.sliding_window_layers) return undefined;
  // no sequence past the window: full attention is the window, exactly (it warned of a
  // 1,000,000-token window on a 131,072-token model, and of a 4,096 one to a 1,100-token request)
  if (longest_tokens <= (model.sliding_window ?? 0)) return undefined;
  const window = (model.sliding_window ?? 0).toLocaleString('en-US');
  return `${model.id}: every one of its ${model.layers} layers slides over a ${window}-token window: its KV cache holds at most the window per sequence, ` +
    'as vLLM\'s hybrid allocator keeps, but its prefill and decode are timed as full attention (conservative past the window) and a simulated replica ' +
    'reuses none of its prefixes; its long-context latency here is likely high';
}

/** `longest_tokens`: the longest sequence the estimate serves (perf: its prompt and output), else the model's context. */
export function knownBias(model: KnownBiasModel, gpu: { readonly id: string }, dtype?: string, engine?: string, longest_tokens?: number): string | undefined {
  const found = [knownModelBias(model), knownWindowBias(model, longest_tokens), knownHardwareBias(gpu), knownModelGpuBias(model, gpu), knownDtypeBias(dtype, gpu), knownEngineBias(engine, gpu)]
    .filter((b): b is string => b !== undefined);
  return found.length > 0 ? found.join('; ') : undefined;
}
