// Builds h100-pcie-serving.csv from a checkout of github.com/IOG-Foundation/llm-inference-benchmarks:
//   node --import tsx data/corpus/iog/build.mjs PATH/TO/checkout > data/corpus/iog/h100-pcie-serving.csv
// Reads results/*_1xNVIDIA-H100-PCIe.json (vLLM 0.8.5 benchmark_serving outputs) of the models in
// fleetsim's catalog; prints on stderr what it left out and why. README.md beside this file.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { CORPUS_COLUMNS } from '../../../src/fidelity/corpus.ts';

const COMMIT = '4990a807c6f1971edda635c18d98550059782eb8';
/** The run's Hugging Face model and the catalog shape it is (a fine-tune keeps its base's shape). */
const MODELS = {
  'Meta-Llama-3-8B-Instruct': ['llama-3-8b', 'meta-llama/Meta-Llama-3-8B-Instruct'],
  'DeepSeek-R1-Distill-Llama-8B': ['llama-3.1-8b', 'a fine-tune of Llama 3.1 8B'],
  'DeepSeek-R1-Distill-Qwen-7B': ['qwen2.5-7b', 'a fine-tune of Qwen2.5-Math-7B, the Qwen2.5 7B shape'],
  'AceMath-7B-Instruct': ['qwen2.5-7b', 'a fine-tune of Qwen2.5-Math-7B, the Qwen2.5 7B shape'],
  'DeepSeek-R1-Distill-Qwen-14B': ['qwen2.5-14b', 'a fine-tune of Qwen2.5 14B'],
  'gemma-2-9b-it': ['gemma-2-9b', 'google/gemma-2-9b-it'],
};
/**
 * The models whose runs are `calibration` rows (since 2026-12-06): every other model of MODELS in
 * its order, from the second, chosen before any was fitted. They fit the vLLM V1 profile's cost per
 * request through the API server, which its other calibration points (offline and latency runs of
 * the LLM class, no server) do not see; the other three models' runs stay `validation`.
 */
const CALIBRATION_MODELS = new Set(Object.keys(MODELS).filter((_, i) => i % 2 === 1));
/** Catalog shapes whose runs turn on memory settings the runs do not state. */
const WEIGHTS_FILL_THE_CARD = 'the Qwen2.5 32B shape, 65.5 GB of FP16 weights on an 80 GB card: its KV cache, which turns on the --gpu-memory-utilization and --max-model-len the run does not state, decides the run';
const UNSTATED_MEMORY = { 'DeepSeek-R1-Distill-Qwen-32B': WEIGHTS_FILL_THE_CARD, 'QwQ-32B-Preview': WEIGHTS_FILL_THE_CARD };
/** The figures taken, as benchmark_serving names them, and their corpus kind, statistic and unit. */
const FIGURES = [
  ['output_throughput', 'serving_throughput', 'mean', 'output_tok_s'],
  ['request_throughput', 'serving_throughput', 'mean', 'req_s'],
  ['mean_ttft_ms', 'serving_ttft', 'mean', 'ms'],
  ['median_ttft_ms', 'serving_ttft', 'median', 'ms'],
  ['p99_ttft_ms', 'serving_ttft', 'p99', 'ms'],
  ['mean_tpot_ms', 'serving_tpot', 'mean', 'ms'],
  ['median_tpot_ms', 'serving_tpot', 'median', 'ms'],
  ['median_itl_ms', 'serving_itl', 'median', 'ms'],
];
const SOURCE = 'IOG Foundation (io.net), LLM Inference Benchmarks on Consumer- and Enterprise-Grade Accelerators, 2025';
const NOTES = 'vLLM 0.8.5 (the vllm/vllm-openai:v0.8.5 image and benchmark scripts the README names; the V1 engine, 0.8\'s default), '
  + 'vllm serve --dtype float16 --tensor-parallel-size 1 as the README\'s example (--max-model-len and --gpu-memory-utilization "as needed", not stated per run: read at the defaults), '
  + 'benchmark_serving.py --dataset-name sharegpt (ShareGPT_V3_unfiltered_cleaned_split), 200 prompts, Poisson arrivals at the request rate (burstiness 1.0, no max concurrency); '
  + 'GPU "NVIDIA-H100-PCIe" as nvidia-smi names the 80 GB H100 PCIe card (run_benchmark.sh), on io.net\'s cloud; '
  + 'prompt and output tokens are the run\'s own totals over its completed requests; model: ';

const dir = process.argv[2];
if (!dir) throw new Error('usage: node --import tsx data/corpus/iog/build.mjs PATH/TO/checkout');
const rows = [];
const left = [];
/** Every run in a result file: one JSON object per line. */
const runsOf = (file) => readFileSync(join(dir, 'results', file), 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l));
/**
 * The first run of each model and card: run_benchmark.sh sends the same 200 prompts (--seed 42) at
 * 32, 16, 8, 4 and 1 requests/s in turn to one server, whose V1 engine keeps them in its prefix
 * cache, so every run after a model's first finds its prompts cached (README.md, "Cached prompts").
 */
const firstRun = new Map();
for (const file of readdirSync(join(dir, 'results'))) {
  const m = /^vllm_200prompts\d+qps_(.+)_sharegpt_(\d+x.+)\.json$/.exec(file);
  if (!m) continue;
  for (const run of runsOf(file)) {
    const key = `${m[1]} ${m[2]}`;
    const first = firstRun.get(key);
    if (first === undefined || run.date < first.date) firstRun.set(key, { date: run.date, file });
  }
}
for (const file of readdirSync(join(dir, 'results')).sort()) {
  const m = /^vllm_200prompts(\d+)qps_(.+)_sharegpt_(\d+)x(.+)\.json$/.exec(file);
  if (!m) { left.push(`${file}: not a result file of the pattern`); continue; }
  const [, qps, name, count, gpu] = m;
  if (gpu !== 'NVIDIA-H100-PCIe') { left.push(`${file}: ${gpu} (not in the GPU catalog)`); continue; }
  if (count !== '1') { left.push(`${file}: ${count} GPUs (whether an NVLink bridge joined the cards is not stated)`); continue; }
  if (Object.hasOwn(UNSTATED_MEMORY, name)) { left.push(`${file}: ${name}: ${UNSTATED_MEMORY[name]}`); continue; }
  if (!Object.hasOwn(MODELS, name)) { left.push(`${file}: ${name} (not in the model catalog)`); continue; }
  const [model, what] = MODELS[name];
  // a file holds one JSON object per line, one per run of that configuration: the first is taken
  const runs = runsOf(file);
  if (runs.length > 1) left.push(`${file}: ${runs.length} runs in the file, the first taken`);
  const r = runs[0];
  const first = firstRun.get(`${name} ${count}x${gpu}`);
  const cached = r.date !== first.date;
  const cachedNote = cached
    ? `; every prompt cached: this run (${r.date}) came after ${first.file} (${first.date}) on the same server, whose V1 engine (prefix caching on by default) kept the 200 prompts both sent with --seed 42`
    : '; the first run of the model\'s sweep: its prompts were new to the engine';
  const prompt = Math.round(r.total_input_tokens / r.completed), output = Math.round(r.total_output_tokens / r.completed);
  for (const [key, kind, statistic, unit] of FIGURES) {
    const id = `iog-h100pcie-${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-qps${qps}-${key.replace(/_ms$/, '').replace(/_/g, '-')}`;
    const cells = {
      id, split: CALIBRATION_MODELS.has(name) ? 'calibration' : 'validation', kind, statistic, value: String(r[key]), unit, stack: 'vllm', stack_version: '0.8.5',
      gpu: 'h100-pcie', model, dtype: 'fp16', kv_dtype: '', tp: '1', ep: '1', batch: '', request_rate_per_s: String(r.request_rate),
      num_requests: String(r.num_prompts), prompt_tokens: String(prompt), output_tokens: String(output), lengths: cached ? 'sharegpt-cached-prompts' : 'sharegpt',
      source: SOURCE, url: `https://github.com/IOG-Foundation/llm-inference-benchmarks/blob/${COMMIT}/results/${file}`, licence: 'Apache-2.0',
      locator: `${file}: ${key} (run ${r.date}; completed ${r.completed} of ${r.num_prompts}, ${r.total_input_tokens} input and ${r.total_output_tokens} output tokens)`,
      notes: NOTES + `${r.model_id}, ${what}${cachedNote}`,
    };
    rows.push(CORPUS_COLUMNS.map((c) => cells[c] ?? ''));
  }
}
process.stdout.write(stringify([CORPUS_COLUMNS, ...rows]));
process.stderr.write(`${rows.length} rows; left out ${left.length} files:\n${left.map((l) => `  ${l}`).join('\n')}\n`);
