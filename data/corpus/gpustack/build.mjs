// Builds performance-lab.csv (fleetsim corpus rows) from GPUStack's "Performance Lab" pages.
// Usage: node --import tsx data/corpus/gpustack/build.mjs PATH/TO/gpustack > data/corpus/gpustack/performance-lab.csv
// PATH/TO/gpustack: a checkout of github.com/gpustack/gpustack at commit COMMIT below (Apache-2.0).
// README.md beside this file says which runs are read and why the others are left out.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { CORPUS_COLUMNS, ENGINE_ARGS_COLUMN } from '../../../src/fidelity/corpus.ts';

const COMMIT = '47277d79f4a5bae12a2d25e9ecbed2a2177a5f2d';
const SOURCE = 'GPUStack, "Performance Lab" (docs/performance-lab), 2025';
const LICENCE = 'Apache-2.0 (repository licence)';
// page directory -> catalog model; DeepSeek-R1-0528 has DeepSeek-V3's architecture
const MODELS = {
  'qwen3-8b': 'qwen3-8b', 'qwen3-14b': 'qwen3-14b', 'qwen3-32b': 'qwen3-32b', 'gpt-oss-20b': 'gpt-oss-20b',
  'gpt-oss-120b': 'gpt-oss-120b', 'qwen3-235b-a22b': 'qwen3-235b-a22b', 'deepseek-r1': 'deepseek-v3',
};
const GPUS = { a100: 'a100-80gb', h100: 'h100-80gb', h200: 'h200' };
const STACK_NAMES = { vllm: 'vLLM', sglang: 'SGLang', trtllm: 'TensorRT-LLM' };
// flags that change nothing fleetsim models (context limit, address, TensorRT-LLM's chunked
// context, which the trtllm profile has on); any other flag leaves the run out
const NEUTRAL_FLAGS = new Set(['--max-model-len', '--max_seq_len', '--host', '--port', '--enable_chunked_prefill']);
const TP_FLAGS = new Set(['-tp', '--tp-size', '--tp', '--tensor-parallel-size', '--tp_size']);
const BLOCK_LABELS = { 'random 32K input': 'r32k', 'random 4K input': 'r4k', 'random 2K input': 'r2k', 'random 128 input': 'r128' };
const BURST_FIGURES = [
  ['throughput', 'total_tok_s', 'Total Token throughput (tok/s)', 'tot'],
  ['throughput', 'output_tok_s', 'Output token throughput (tok/s)', 'out'],
];
const CLOSED_LOOP_FIGURES = [
  ['serving_ttft', 'ms', 'Mean TTFT (ms)', 'ttft'],
  ['serving_tpot', 'ms', 'Mean TPOT (ms)', 'tpot'],
  ['serving_throughput', 'output_tok_s', 'Output token throughput (tok/s)', 'out'],
];

/** Every "Serving Benchmark Result" block of one page, with the heading, serving script and block label above it. */
function benchmarkBlocks(text) {
  const lines = text.split('\n');
  const blocks = [];
  let heading = '', script = '', label = '';
  for (let i = 0; i < lines.length; i++) {
    const trimmed = lines[i].trim();
    if (/^#{2,4} /.test(trimmed)) heading = trimmed.replace(/^#+ /, '');
    if (/(vllm serve|sglang\.launch_server|trtllm-serve)/.test(trimmed) && !trimmed.startsWith('#')) {
      // a script broken over lines with a trailing backslash
      script = trimmed;
      while (script.endsWith('\\') && i + 1 < lines.length) script = `${script.slice(0, -1).trim()} ${lines[++i].trim()}`;
    }
    if (lines[i].startsWith('    # ')) label = trimmed.slice(2);
    if (!trimmed.includes('Serving Benchmark Result')) continue;
    const figures = {};
    for (i++; i < lines.length && !lines[i].includes('====='); i++) {
      const m = /^\s*([^:]+):\s+([\d.]+)/.exec(lines[i]);
      if (m) figures[m[1].trim()] = Number(m[2]);
    }
    blocks.push({ heading, script, label, figures });
    label = '';
  }
  return blocks;
}

/** The serving script's tensor parallelism and engine_args, or the flag that leaves the run out. */
function readScript(script) {
  let words = script.split(/\s+/);
  if (words[0] === 'vllm') words = words.slice(3);
  else if (words[0] === 'trtllm-serve') words = words.slice(2);
  else {
    const at = words.findIndex((w) => w === '--model-path' || w === '--model');
    words = [...words.slice(0, at), ...words.slice(at + 2)].slice(3);
  }
  let tp = 1;
  const engineArgs = [];
  for (let i = 0; i < words.length; i++) {
    let [flag, value] = words[i].split('=');
    if (value === undefined && i + 1 < words.length && !words[i + 1].startsWith('-')) value = words[++i];
    if (TP_FLAGS.has(flag)) tp = Number(value);
    else if (flag === '--max-num-batched-tokens') engineArgs.push(`max_num_batched_tokens=${value}`);
    else if (!NEUTRAL_FLAGS.has(flag)) return { refused: flag };
    // a neutral flag: nothing to record
  }
  return { tp, engineArgs: engineArgs.join(' ') };
}

function stackOf(script) {
  if (script.startsWith('vllm')) return 'vllm';
  return script.includes('sglang') ? 'sglang' : 'trtllm';
}

function dtypeOf(script, page) {
  if (script.includes('-FP8') || page === 'deepseek-r1') return 'fp8';
  return script.includes('-AWQ') ? 'int4' : 'bf16';
}

/** The weights' notes: which checkpoint, and what its dtype means on this GPU. */
function weightNotes(script, page, gpuShort, dtype) {
  const words = script.split(/\s+/);
  const at = words.indexOf('--model-path');
  const checkpoint = at >= 0 ? words[at + 1] : words[2];
  let notes = '';
  if (dtype === 'fp8') notes += `; weights ${checkpoint} (FP8${gpuShort === 'a100' ? ', weight-only on A100' : ''}), KV cache bf16 (the engine's default; no --kv-cache-dtype given)`;
  if (dtype === 'int4') notes += `; weights ${checkpoint} (AWQ, 4-bit weights, 16-bit activations)`;
  if (page.startsWith('gpt-oss')) notes += "; MXFP4 experts (the catalog's gpt-oss shape), bf16 elsewhere";
  if (page === 'deepseek-r1') notes += '; DeepSeek-R1-0528, the DeepSeek-V3 architecture (catalog deepseek-v3), FP8 as shipped';
  if (page === 'qwen3-235b-a22b') notes += '; the Instruct-2507 release: the same shape with a 262,144-token context';
  return notes;
}

/** The corpus rows of one benchmark block, or why it is left out. */
function blockRows(file, text, page, gpuShort, block, seen) {
  const { heading, script, label, figures } = block;
  const read = readScript(script);
  if (read.refused) return { left_out: read.refused };
  if (label && !/^(random \d+K? input|random 128 input|ShareGPT batch size \d+|BS=\d+)$/.test(label)) return { left_out: `block "${label}"` };
  // one page's heading names TensorRT-LLM above an SGLang script: which ran is not known
  if (heading.includes('Quantization in TensorRT-LLM') && script.includes('sglang')) return { left_out: 'heading and script disagree' };
  const stack = stackOf(script), dtype = dtypeOf(script, page), gpu = GPUS[gpuShort], model = MODELS[page];
  const n = figures['Successful requests'], concurrency = figures['Maximum request concurrency'];
  const inputTokens = figures['Total input tokens'], outputTokens = figures['Total generated tokens'];
  const prompt = Math.round(inputTokens / n), output = Math.round(outputTokens / n);
  const lengths = !label || label.startsWith('ShareGPT') || label.startsWith('BS=') ? 'sharegpt' : 'random';
  const key = [file, stack, dtype, read.tp, read.engineArgs, prompt, output, concurrency].join('|');
  if (seen.has(key)) return { rows: [] };
  seen.add(key);
  const version = new RegExp(`- ${STACK_NAMES[stack]}: v(\\S+)`).exec(text)?.[1] ?? 'unknown';
  const short = concurrency ? `c${concurrency}` : (BLOCK_LABELS[label] ?? 'sharegpt');
  const batchTokens = read.engineArgs ? `-mbt${read.engineArgs.split('=')[1]}` : '';
  const id = `gs-${gpuShort}-${page}-${dtype}-tp${read.tp}-${stack}${batchTokens}-${short}`;
  const hardware = /### Hardware\s*\n\s*\n(.*)/.exec(text)[1].trim().replaceAll('"', "'");
  const where = `${file}, section "${heading}"${label ? `, block "${label}"` : ''}, serving script \`${script}\`; vllm bench serve output: ${n} successful requests${concurrency ? `, maximum request concurrency ${concurrency}` : ''}, total input tokens ${inputTokens}, total generated tokens ${outputTokens}`;
  const load = concurrency
    ? `closed loop: vllm bench serve --backend openai-chat --max-concurrency ${concurrency} (${n} requests, at most ${concurrency} in flight)`
    : `offline burst: vllm bench serve --backend openai-chat, request rate inf (all ${n} requests sent at once)`;
  // no script sets --kv-cache-dtype: vLLM's and SGLang's "auto" and TensorRT-LLM's default keep
  // the cache in the activations' bf16 for these FP8 checkpoints, which carry no KV-cache scales
  const kvDtype = dtype === 'fp8' ? 'bf16' : '';
  const notes = `${load}; ${lengths === 'sharegpt' ? 'ShareGPT V3' : 'random dataset (--seed 42)'}; prompt and output lengths are the run's totals over its requests (chat template tokens not counted); engine defaults except the serving script's flags; the page's hardware: '${hardware}' (the replica uses ${read.tp} of them; A100 read as 80GB SXM)${weightNotes(script, page, gpuShort, dtype)}`;
  const rows = (concurrency ? CLOSED_LOOP_FIGURES : BURST_FIGURES).map(([kind, unit, field, suffix]) => [
    `${id}-${suffix}`, 'validation', kind, 'mean', String(figures[field]), unit, stack, version, gpu, model, dtype, kvDtype,
    String(read.tp), '1', concurrency ? String(concurrency) : '', '', String(n), String(prompt), String(output), lengths,
    SOURCE, `https://github.com/gpustack/gpustack/blob/${COMMIT}/${file}`, LICENCE, `${where}; "${field}" copied exactly`, notes,
    read.engineArgs,
  ]);
  return { rows };
}

const root = process.argv[2];
const out = [[...CORPUS_COLUMNS, ENGINE_ARGS_COLUMN]];
const seen = new Set();
const leftOut = [];
for (const page of Object.keys(MODELS)) {
  for (const name of readdirSync(join(root, 'docs/performance-lab', page)).sort()) {
    const gpuShort = name.split(/[-.]/)[0];
    if (!GPUS[gpuShort]) continue;
    const file = `docs/performance-lab/${page}/${name}`;
    const text = readFileSync(join(root, file), 'utf8');
    for (const block of benchmarkBlocks(text)) {
      const result = blockRows(file, text, page, gpuShort, block, seen);
      if (result.left_out) leftOut.push(`${file}: ${result.left_out}`);
      else out.push(...result.rows);
    }
  }
}
process.stderr.write(`${out.length - 1} rows; ${leftOut.length} runs left out\n`);
process.stdout.write(stringify(out));
