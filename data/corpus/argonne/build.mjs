// Builds inference-bench.csv (fleetsim corpus rows) from Argonne's LLM-Inference-Bench results.
// Usage: node --import tsx data/corpus/argonne/build.mjs PATH/TO/All_results.csv > data/corpus/argonne/inference-bench.csv
// PATH/TO/All_results.csv: Plots/All_results.csv of github.com/argonne-lcf/LLM-Inference-Bench at
// commit COMMIT below (BSD-3-Clause), e.g.
//   git -C LLM-Inference-Bench show COMMIT:Plots/All_results.csv > /tmp/All_results.csv
// README.md beside this file says how each cell is read and why the other rows are left out; the
// rows left out are listed on stderr.
import { readFileSync } from 'node:fs';
import { stringify } from 'csv-stringify/sync';
import { CORPUS_COLUMNS, ENGINE_ARGS_COLUMN } from '../../../src/fidelity/corpus.ts';

const COMMIT = '4211f5d4e9bc0145ed541b6d372d5d8223b44235';
const SOURCE = 'Chitty-Venkata et al., "LLM-Inference-Bench: Inference Benchmarking of Large Language Models on AI Accelerators", SC24 workshops (arXiv 2411.00136), 2024; github.com/argonne-lcf/LLM-Inference-Bench';
const URL = `https://github.com/argonne-lcf/LLM-Inference-Bench/blob/${COMMIT}/Plots/All_results.csv`;
const LICENCE = 'BSD-3-Clause (repository LICENSE, Copyright (c) 2024 UChicago Argonne, LLC)';
const HEADER = 'Hardware,Num of Hardware,Framework,Model,Input Output Length,Batch Size,Latency,Throughput';

// Hardware cell -> catalog GPU, id part, and what the repository says of the system and its vLLM
const GPUS = {
  'Nvidia A100 GPU': {
    gpu: 'a100-40gb', short: 'a100', version: '0.6 (inferred)',
    timing: 'Latency = one timed llm.generate call after 3 warm-up calls',
    system: 'ALCF Polaris, A100-SXM4-40GB (the scripts are Polaris PBS jobs)',
    version_note: 'vLLM version not stated, read as 0.6, the V0 engine (requirement files of vLLM 0.6.1-0.6.2; SamplingParams(use_beam_search), removed in 0.6.3)',
  },
  'Nvidia H100 GPU': {
    gpu: 'h100-80gb', short: 'h100', version: '0.6 (inferred)',
    timing: 'Latency = mean of 30 timed llm.generate calls after 10 warm-up calls',
    system: 'ALCF JLSE, NVIDIA H100 80GB HBM3 (SXM5)',
    version_note: 'vLLM version not stated, read as 0.6, the V0 engine (pip install vllm, unpinned, in 2024; SamplingParams(use_beam_search), removed in 0.6.3)',
  },
  'AMD MI300X GPU': {
    gpu: 'mi300x', short: 'mi300x', version: '0.6.1',
    timing: 'Latency = mean of 30 timed llm.generate calls after 10 warm-up calls',
    system: 'AMD MI300X',
    version_note: 'vLLM v0.6.1 built from Dockerfile.rocm (vLLM/MI300X/README.md)',
  },
};
// HF checkpoint -> catalog model and id part
const MODELS = {
  'meta-llama/Llama-2-7b-hf': ['llama-2-7b', 'l2-7b'],
  'meta-llama/Llama-2-70b-hf': ['llama-2-70b', 'l2-70b'],
  'meta-llama/Meta-Llama-3-8B': ['llama-3-8b', 'l3-8b'],
  'meta-llama/Meta-Llama-3-70B': ['llama-3-70b', 'l3-70b'],
  'mistralai/Mistral-7B-v0.1': ['mistral-7b', 'mistral-7b'],
  'mistralai/Mixtral-8x7B-v0.1': ['mixtral-8x7b', 'mixtral-8x7b'],
  'Qwen/Qwen2-7B': ['qwen2-7b', 'qwen2-7b'],
  'Qwen/Qwen2-72B': ['qwen2-72b', 'qwen2-72b'],
};
// Why the other frameworks' rows are left out (README.md, "What is left out")
const FRAMEWORKS_LEFT_OUT = {
  'TensorRT-LLM': 'TensorRT-LLM: outputs not forced to full length (run.py/run_power.py stop at the tokenizer EOS, no min_length or end_id override; the script that wrote these rows is not in the repository)',
  'Deepspeed-MII': 'DeepSpeed-MII: outputs not forced to full length (pipeline.py calls pipe(prompts, max_new_tokens=L) without ignore_eos or min_new_tokens), no warm-up, version unpinned',
  'llama.cpp': 'llama.cpp: no profile (GGUF)',
  sambaflow: 'SambaFlow: SN40L not in the catalog',
  Deepspeed: 'DeepSpeed on Gaudi2: not in the catalog',
};
// engine settings every run passed or kept: the scripts pass enable_chunked_prefill=False
// (a store_true flag left unset) and no multi-step scheduling
const ENGINE_ARGS = 'num_scheduler_steps=1 enable_chunked_prefill=false';

/** seconds as published -> ms, by moving the decimal point (no floating-point arithmetic). */
function secondsToMs(s) {
  const m = /^(\d+)(?:\.(\d*))?$/.exec(s);
  if (!m) return null;
  const frac = (m[2] ?? '').padEnd(3, '0');
  const whole = `${m[1]}${frac.slice(0, 3)}`.replace(/^0+(?=\d)/, '');
  const rest = frac.slice(3);
  return rest ? `${whole}.${rest}` : whole;
}

const path = process.argv[2];
if (!path) {
  process.stderr.write('usage: node --import tsx data/corpus/argonne/build.mjs PATH/TO/All_results.csv\n');
  process.exit(2);
}
const lines = readFileSync(path, 'utf8').replace(/\r/g, '').split('\n');
if (lines[0] !== HEADER) throw new Error(`unexpected header: ${lines[0]}`);

const leftOut = new Map();
const leave = (why, line) => leftOut.set(why, [...(leftOut.get(why) ?? []), line]);
const kept = [];
for (let i = 1; i < lines.length; i++) {
  if (lines[i].trim() === '') continue;
  const cells = lines[i].split(',');
  if (cells.length !== 8) throw new Error(`line ${i + 1}: ${cells.length} cells`);
  const [hardware, tp, framework, model, length, batch, latency] = cells;
  if (framework !== 'vLLM') { leave(FRAMEWORKS_LEFT_OUT[framework] ?? `framework ${framework}`, i + 1); continue; }
  if (!GPUS[hardware]) { leave(`vLLM on ${hardware}: not in the catalog`, i + 1); continue; }
  if (!MODELS[model]) { leave('vLLM, a model other than the paper\'s eight (DeciLM-7B, Aquila-7B, bloom-7b1, gpt-j-6b, llama-7b, opt-6.7b, Qwen1.5-7B)', i + 1); continue; }
  const seconds = Number(latency);
  if (!(seconds > 0) || secondsToMs(latency) === null) { leave('failed run: latency not a positive number', i + 1); continue; }
  kept.push({ line: i + 1, text: lines[i], hardware, tp: Number(tp), model, length: Number(length), batch: Number(batch), latency, seconds });
}

// A static batch cannot finish sooner than a smaller one of the same lengths on the same engine:
// a run slower than the same configuration at the next larger batch of the grid was disturbed
// (on MI300X these are the first runs of a sweep, batch 1 at 128 tokens).
const BATCHES = [...new Set(kept.map((r) => r.batch))].sort((a, b) => a - b);
// Halves (2026-12-05): the A100 and H100 rows alternate calibration and validation within each
// GPU, model and TP, in file order, so the `vllm-v0` profile can be fitted on one half and read on
// the other. Not fitted on: MI300X (another build's kernels), Mistral 7B on H100 (a stated bias,
// src/perf/model-error.ts) and Llama 2 70B at TP 4 on A100 40GB (its KV cache holds less than the
// batch: a memory rule's margin, not a step cost).
const fittable = (r) => r.hardware !== 'AMD MI300X GPU'
  && !(r.hardware === 'Nvidia H100 GPU' && r.model === 'mistralai/Mistral-7B-v0.1')
  && !(r.hardware === 'Nvidia A100 GPU' && r.model === 'meta-llama/Llama-2-70b-hf' && r.tp === 4);
const seen = new Map();
const splitOf = (r) => {
  if (!fittable(r)) return 'validation';
  const group = [r.hardware, r.model, r.tp].join('|');
  const n = seen.get(group) ?? 0;
  seen.set(group, n + 1);
  return n % 2 === 0 ? 'calibration' : 'validation';
};
const key = (r) => [r.hardware, r.model, r.tp, r.length].join('|');
const rows = [];
const counts = new Map();
for (const r of kept) {
  const next = BATCHES[BATCHES.indexOf(r.batch) + 1];
  const larger = kept.filter((o) => key(o) === key(r) && o.batch === next);
  if (larger.some((o) => o.seconds < r.seconds)) {
    leave(`disturbed run: slower than the same configuration at batch ${next}`, r.line);
    continue;
  }
  const g = GPUS[r.hardware];
  const [catalogModel, modelShort] = MODELS[r.model];
  const base = `ar-${g.short}-vllm-${modelShort}-tp${r.tp}-b${r.batch}-l${r.length}-lat`;
  const n = (counts.get(base) ?? 0) + 1;
  counts.set(base, n);
  const id = n === 1 ? base : `${base}-${n}`;
  const twice = kept.filter((o) => key(o) === key(r) && o.batch === r.batch).length > 1;
  const notes = [
    `vLLM static batch (benchmark_throughput.py, after vLLM's benchmark_latency.py): LLM.generate of ${r.batch} prompt${r.batch > 1 ? 's' : ''} of ${r.length} random token ids, SamplingParams(ignore_eos=True, max_tokens=${r.length}): every output ${r.length} tokens`,
    g.timing,
    `--dtype float16, --tensor-parallel-size ${r.tp} ("Num of Hardware"), chunked prefill off as passed, other engine settings default`,
    g.system,
    g.version_note,
    `checkpoint ${r.model}`,
    ...(twice ? ['this configuration appears more than once in the CSV (a repeated run); each is its own row'] : []),
    'data/corpus/argonne/README.md says how each cell is read',
  ].join('; ');
  rows.push([
    id, splitOf(r), 'latency', 'mean', secondsToMs(r.latency), 'ms', 'vllm', g.version, g.gpu, catalogModel, 'fp16', '',
    String(r.tp), '1', String(r.batch), '', String(r.batch), String(r.length), String(r.length), 'fixed',
    SOURCE, URL, LICENCE,
    `Plots/All_results.csv line ${r.line}: "${r.text}"; Latency (s) copied exactly, written in ms (decimal point moved three places)`,
    notes, ENGINE_ARGS,
  ]);
}

process.stderr.write(`${rows.length} rows; left out:\n`);
for (const [why, ls] of leftOut) process.stderr.write(`  ${ls.length}: ${why}${ls.length <= 40 ? ` (lines ${ls.join(', ')})` : ''}\n`);
process.stdout.write(stringify([[...CORPUS_COLUMNS, ENGINE_ARGS_COLUMN], ...rows]));
