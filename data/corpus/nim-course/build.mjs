// Builds llama3.csv (fleetsim corpus rows) from the NVIDIA course dataset nim.csv.
// Usage: node --import tsx data/corpus/nim-course/build.mjs PATH/TO/nim.csv > data/corpus/nim-course/llama3.csv
// The source file: github.com/wbing520/ai-performance-engineering at commit
// 0e25b2e236211ad01ed2221bd2c1cfa5b3f47b55, code/ch10_inference/inference_gpu_cluster_sizing/dataset/nim.csv
// (Apache-2.0). See README.md beside this file for what is read and how the halves are split.
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { CORPUS_COLUMNS } from '../../../src/fidelity/corpus.ts';

const SOURCE = 'NVIDIA course dataset nim.csv (GenAI-Perf runs of NIM), in C. Fregly et al., ai-performance-engineering, 2025';
const URL = 'https://github.com/wbing520/ai-performance-engineering/blob/0e25b2e236211ad01ed2221bd2c1cfa5b3f47b55/code/ch10_inference/inference_gpu_cluster_sizing/dataset/nim.csv';
const LICENCE = 'Apache-2.0 (repository licence)';
const GPUS = { 'A100-SXM4-80GB': ['a100-80gb', 'a100'], 'H100_80GB_HBM3': ['h100-80gb', 'h100'] };
const MODELS = { 'meta-llama3-8b-instruct': ['llama-3-8b', 'l3-8b'], 'meta-llama3-70b-instruct': ['llama-3-70b', 'l3-70b'] };
// The calibration half (the `nim-2024` profile is fitted on it): three of the six length pairs at
// four of the ten concurrencies, every statistic. Until 2026-12-07 TTFT rows were all validation
// (their reading was thought to turn on how the benchmark's time windows cut the closed loop's
// start); the engine's token budget is now chosen on the calibration half's TTFT (README.md).
const CALIBRATION_LENGTHS = new Set(['200/2000', '2000/2000', '7000/1000']);
const CALIBRATION_CONCURRENCY = new Set([5, 25, 100, 200]);
const STATISTICS = [
  ['ttft', 'serving_ttft', 'time_to_first_token-avg', 1e-6, 'ms'],
  ['itl', 'serving_itl', 'inter_token_latency-avg', 1e-6, 'ms'],
  ['thr', 'serving_throughput', 'output_token_throughput-avg', 1, 'output_tok_s'],
];

const rows = parse(readFileSync(process.argv[2]), { columns: true });
const out = [[...CORPUS_COLUMNS]];
const seen = new Set();
rows.forEach((r, index) => {
  const [gpu, gpuShort] = GPUS[r['task_inputs-GPU']];
  const [model, modelShort] = MODELS[r['task_inputs-model']];
  const dtype = r['task_inputs-precision'], tp = r['task_inputs-n_gpus'];
  const concurrency = Number(r['input_config-concurrency']);
  const prompt = r['input_config-synthetic_input_tokens_mean'], output = r['input_config-output_tokens_mean'];
  const config = `${gpuShort}-${modelShort}-${dtype}-tp${tp}-c${concurrency}-${prompt}-${output}`;
  // a few configurations were run twice; the first run is kept
  if (seen.has(config)) return;
  seen.add(config);
  const line = index + 2;
  const calibration = CALIBRATION_LENGTHS.has(`${prompt}/${output}`) && CALIBRATION_CONCURRENCY.has(concurrency);
  for (const [suffix, kind, column, scale, unit] of STATISTICS) {
    out.push([
      `c-nim-${config}-${suffix}`, calibration ? 'calibration' : 'validation', kind, 'mean', String(Number(r[column]) * scale), unit,
      'nim', '1.0', gpu, model, dtype, '', tp, '1', String(concurrency), '', '', prompt, output, 'synthetic',
      SOURCE, URL, LICENCE, `line ${line}, ${column}${scale === 1 ? '' : ' (ns, in ms)'}`,
      `measured ${Number(r['num_input_token-avg']).toFixed(1)}/${Number(r['num_output_token-avg']).toFixed(1)} tokens; README.md`,
    ]);
  }
});
process.stdout.write(stringify(out));
