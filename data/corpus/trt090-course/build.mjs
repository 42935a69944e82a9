// Builds static-batch.csv (fleetsim corpus rows) from the NVIDIA course dataset trt_llm_0_9_0_dli.csv.
// Usage: node --import tsx data/corpus/trt090-course/build.mjs PATH/TO/trt_llm_0_9_0_dli.csv > data/corpus/trt090-course/static-batch.csv
//        node --import tsx data/corpus/trt090-course/build.mjs PATH/TO/trt_llm_0_9_0_dli.csv l40s > data/corpus/trt090-course/static-batch-l40s.csv
// The source file: github.com/wbing520/ai-performance-engineering at commit
// 0e25b2e236211ad01ed2221bd2c1cfa5b3f47b55, code/ch10_inference/inference_gpu_cluster_sizing/dataset/
// (Apache-2.0). README.md beside this file says what is read.
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { CORPUS_COLUMNS } from '../../../src/fidelity/corpus.ts';

const SOURCE = 'NVIDIA course dataset trt_llm_0_9_0_dli.csv (TensorRT-LLM 0.9.0 static batches), in C. Fregly et al., ai-performance-engineering, 2025';
const URL = 'https://github.com/wbing520/ai-performance-engineering/blob/0e25b2e236211ad01ed2221bd2c1cfa5b3f47b55/code/ch10_inference/inference_gpu_cluster_sizing/dataset/trt_llm_0_9_0_dli.csv';
const LICENCE = 'Apache-2.0 (repository licence)';
// the GPUs and models of fleetsim's catalog that the file measured (GH200, H100 NVL, L40, Falcon,
// GPT-J and Mistral are not in the catalog). Mixtral-8x7B is left out: the runs used fake weights
// (Use Fake Weight: Yes), which leave a mixture of experts' routing arbitrary (a constant router
// sends every token to the same two experts), so its timings are not those of the model
const GPUS_DATACENTER = { 'A100-SXM4-80GB': ['a100-80gb', 'a100'], 'H100 80GB HBM3': ['h100-80gb', 'h100'], 'H200 141GB HBM3': ['h200', 'h200'] };
const LLAMA2 = { 'LLaMA v2 7B': ['llama-2-7b', 'l2-7b'], 'LLaMA v2 13B': ['llama-2-13b', 'l2-13b'], 'LLaMA v2 70B': ['llama-2-70b', 'l2-70b'] };
// `l40s` (2026-12-05): the L40S runs of every dense model the catalog holds by then, GPT-J 6B,
// Mistral 7B and Falcon 180B included (static-batch-l40s.csv); without it the first part as built
// on 2026-12-04 (static-batch.csv), unchanged
const L40S = process.argv[3] === 'l40s';
const GPUS = L40S ? { L40S: ['l40s', 'l40s'] } : GPUS_DATACENTER;
const MODELS = L40S
  ? { ...LLAMA2, 'GPTJ 6B': ['gpt-j-6b', 'gptj-6b'], 'Mistral 7B': ['mistral-7b', 'mis-7b'], 'Falcon 180B': ['falcon-180b', 'falcon-180b'] }
  : LLAMA2;
const DTYPES = { FP8: 'fp8', Mixed: 'fp16' };
// kind, column: the whole batch end to end, and its first token (the batch's prefill)
const FIGURES = [['lat', 'latency', 'Latency (ms)'], ['pre', 'prefill', '1st Token Latency (ms)']];

// the H100 runs are the calibration part `trtllm-session` is fitted on (2026-12-06); the A100 and
// H200 runs, and every L40S run, stay validation: other GPUs than the one fitted
const splitOf = (gpuId) => (gpuId === 'h100-80gb' ? 'calibration' : 'validation');

const rows = parse(readFileSync(process.argv[2]), { columns: true });
const out = [[...CORPUS_COLUMNS]];
const seen = new Set();
rows.forEach((r, index) => {
  const gpu = GPUS[r.GPU], model = MODELS[r['Custom Model Name']];
  if (!gpu || !model || r['Pipeline Model Parallel Size'] !== '1') return;
  const dtype = DTYPES[r.Precision], tp = r['Tensor Model Parallel Size'], batch = r['Batch Size'];
  const [prompt, output] = r['Input/Output Lengths'].split(',');
  const config = `${gpu[1]}-${model[1]}-${dtype}-tp${tp}-b${batch}-${prompt}-${output}`;
  if (seen.has(config)) return;
  seen.add(config);
  for (const [suffix, kind, column] of FIGURES) {
    const value = Number(r[column]);
    if (!(value > 0)) continue;
    out.push([
      `t9-${config}-${suffix}`, splitOf(gpu[0]), kind, 'mean', String(value), 'ms', 'trtllm', '0.9.0', gpu[0], model[0], dtype, '', tp, '1',
      batch, '', batch, prompt, output, 'fixed', SOURCE, URL, LICENCE, `line ${index + 2}, ${column}`,
      `static batch; Precision ${r.Precision}; custom all-reduce ${r['Enable Custom All Reduce']}; README.md`,
    ]);
  }
});
process.stdout.write(stringify(out));
