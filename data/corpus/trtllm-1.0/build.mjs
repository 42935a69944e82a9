// Builds perf-overview.csv (fleetsim corpus rows) from TensorRT-LLM's Performance Overview, v1.0
// edition (docs/source/performance/perf-overview.md, stored copy at commit COMMIT below, Apache-2.0).
// Usage: node --import tsx data/corpus/trtllm-1.0/build.mjs > data/corpus/trtllm-1.0/perf-overview.csv
// The figures below are the page's H100 and H200 cells of its three dense models, copied exactly;
// README.md beside this file says what is read, what is left out and why.
import { stringify } from 'csv-stringify/sync';
import { CORPUS_COLUMNS } from '../../../src/fidelity/corpus.ts';

const COMMIT = '00f37686aa854010d68bcbd0f4ab000221541ca6';
const SOURCE = 'NVIDIA, TensorRT-LLM Performance Overview (docs/source/performance/perf-overview.md), v1.0 edition, 2025';
const URL = 'https://github.com/NVIDIA/TensorRT-LLM/blob/v1.0.0/docs/source/performance/perf-overview.md';
// the page's ISL/OSL rows, in its order, and the $num_requests its dataset table gives each
const LENGTHS = ['128/128', '128/2048', '128/4096', '500/2000', '1000/1000', '1000/2000', '2048/128', '2048/2048', '5000/500', '20000/2000'];
const NUM_REQUESTS = { '128/128': 30000, '128/2048': 3000, '128/4096': 1500, '500/2000': 3000, '1000/1000': 3000, '1000/2000': 1500, '2048/128': 3000, '2048/2048': 1500, '5000/500': 1500, '20000/2000': 1000 };
// section, column heading, catalog model, checkpoint, GPU, TP, the column's figures in LENGTHS order
const COLUMNS = [
  ['Llama 3.3 70B', 'H200 TP1 (FP8)', 'llama-3.3-70b', 'nvidia/Llama-3.3-70B-Instruct-FP8', 'h200', 1, [3803, 4336, 2872, 3666, 2909, 2994, 442, 2003, 566, 283]],
  ['Llama 3.3 70B', 'H100 TP2 (FP8)', 'llama-3.3-70b', 'nvidia/Llama-3.3-70B-Instruct-FP8', 'h100-80gb', 2, [6378, 6651, 4199, 5222, 4205, 4146, 762, 3082, 898, 437]],
  ['Llama 3.1 405B', 'H200 TP8 (FP8)', 'llama-3.1-405b', 'nvidia/Llama-3.1-405B-Instruct-FP8', 'h200', 8, [3814, 5348, 4741, 4724, 3330, 3722, 456, 2948, 650, 505]],
  ['Llama 3.1 405B', 'H100 TP8 (FP8)', 'llama-3.1-405b', 'nvidia/Llama-3.1-405B-Instruct-FP8', 'h100-80gb', 8, [3627, 4340, 3116, 3994, 2919, 2895, 453, 2296, 610, 345]],
  ['Llama 3.1 8B', 'H200 TP1 (FP8)', 'llama-3.1-8b', 'nvidia/Llama-3.1-8B-Instruct-FP8', 'h200', 1, [27911, 26221, 18027, 20770, 17744, 16828, 3538, 12194, 3902, 1804]],
  ['Llama 3.1 8B', 'H100 TP1 (FP8)', 'llama-3.1-8b', 'nvidia/Llama-3.1-8B-Instruct-FP8', 'h100-80gb', 1, [28312, 22714, 14325, 17660, 15220, 13899, 3450, 9305, 3459, 1351]],
];
// cells vendor.csv already holds (its v-trtllm-10- rows): left out here so that no figure counts twice
const IN_VENDOR = new Set([
  'h200 llama-3.3-70b 128/2048', 'h200 llama-3.3-70b 1000/1000', 'h100-80gb llama-3.3-70b 128/2048', 'h100-80gb llama-3.3-70b 2048/2048',
  'h100-80gb llama-3.3-70b 5000/500', 'h100-80gb llama-3.1-405b 128/2048', 'h100-80gb llama-3.1-405b 1000/1000', 'h200 llama-3.1-405b 2048/2048',
  'h200 llama-3.1-8b 128/128', 'h100-80gb llama-3.1-8b 500/2000', 'h100-80gb llama-3.1-8b 2048/128', 'h200 llama-3.1-8b 20000/2000',
]);
const SHORT = { 'llama-3.3-70b': 'l33-70b', 'llama-3.1-405b': 'l31-405b', 'llama-3.1-8b': 'l31-8b' };
const GPU_NAMES = { h200: 'H200 SXM 141GB (DGX H200)', 'h100-80gb': 'H100 SXM 80GB (DGX H100)' };

const rows = [];
for (const [section, heading, model, checkpoint, gpu, tp, figures] of COLUMNS) {
  figures.forEach((value, i) => {
    const lengths = LENGTHS[i];
    if (IN_VENDOR.has(`${gpu} ${model} ${lengths}`)) return;
    const [isl, osl] = lengths.split('/');
    rows.push({
      id: `t10-${gpu === 'h200' ? 'h200' : 'h100'}-${SHORT[model]}-fp8-tp${tp}-bmax-${isl}-${osl}-thr`,
      split: 'validation', kind: 'throughput', statistic: 'mean', value: String(value), unit: 'output_tok_s',
      stack: 'trtllm', stack_version: '1.0', gpu, model, dtype: 'fp8', kv_dtype: '', tp: String(tp), ep: '1',
      batch: '', request_rate_per_s: '', num_requests: String(NUM_REQUESTS[lengths]), prompt_tokens: isl, output_tokens: osl,
      lengths: 'fixed', source: SOURCE, url: URL, licence: 'Apache-2.0',
      locator: `section ${section}, column "${heading}", row ${lengths}; copied exactly (stored copy at commit ${COMMIT}, page marked "NEW for v1.0")`,
      notes: `trtllm-bench throughput with the PyTorch backend (no engine build), CUDA graphs with padding, every request queued at once, exactly ${isl}/${osl} tokens (prepare_dataset.py token-norm-dist, stdev 0), $num_requests from the page's table; reported metric "Total Output Throughput (tokens/sec)" for the whole TP ${tp} replica; checkpoint ${checkpoint} (ModelOpt FP8); KV cache dtype not stated on the page (kv_dtype left blank); ${GPU_NAMES[gpu]}; the page raises kv_cache_free_gpu_mem_fraction to 0.95 "in many cases" without saying which (read at the runtime's 0.90)`,
    });
  });
}
process.stdout.write(stringify(rows, { header: true, columns: [...CORPUS_COLUMNS] }));
process.stderr.write(`${rows.length} rows (${COLUMNS.length * LENGTHS.length} cells, ${IN_VENDOR.size} already in vendor.csv)\n`);
