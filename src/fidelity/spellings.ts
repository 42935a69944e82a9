/**
 * Corpus cells as people write them, read as the corpus spells them. A lab's own file of
 * measurements names its GPU as the driver prints it ("NVIDIA H100 80GB HBM3"), its model as the
 * Hugging Face id ("meta-llama/Llama-3.1-8B-Instruct"), its dtype as the checkpoint's config
 * ("bfloat16") and its statistic as the benchmark prints it ("P50"): each is one catalog entry
 * or corpus word without doubt, so it is read as that rather than refused or, worse, predicted
 * as an unknown row. Only spellings that name one thing are mapped; anything else is passed on
 * unchanged for the row's checks to refuse or report (data/corpus/README.md, "Spellings").
 */

import { gpuSpelling, hyphenatedLower, modelSpelling } from '../perf/lookup.ts';

/** Columns whose words are matched case-blind (all are lower-case in the corpus's own files). */
const CASE_BLIND = new Set(['split', 'kind', 'statistic', 'unit', 'stack', 'gpu', 'model', 'dtype', 'kv_dtype', 'lengths']);

/**
 * The columns with a default, and the default: what a file without the column reads, and what a
 * blank cell of it reads (a spreadsheet writes every column, blank where unknown).
 */
export const COLUMN_DEFAULTS: Readonly<Record<string, string>> = {
  split: 'validation', statistic: 'mean', stack_version: 'unknown', ep: '1', lengths: 'fixed',
};

const STATISTIC_SPELLINGS: Readonly<Record<string, string>> = { avg: 'mean', average: 'mean', p50: 'median', med: 'median' };

/**
 * Dtype names from checkpoints' configs and quantization tools. int4 is fleetsim's weight-only
 * 4-bit (GPTQ and AWQ, 16-bit activations); fp4 is NVFP4. W8A8 and MXFP4 are left as written
 * (refused): neither is one of fleetsim's dtypes without doubt.
 */
const DTYPE_SPELLINGS: Readonly<Record<string, string>> = {
  bfloat16: 'bf16', float16: 'fp16', half: 'fp16',
  float8: 'fp8', e4m3: 'fp8', 'fp8-e4m3': 'fp8', 'fp8-e4m3fn': 'fp8', 'float8-e4m3fn': 'fp8',
  nvfp4: 'fp4',
  awq: 'int4', gptq: 'int4', w4a16: 'int4', 'int4-awq': 'int4', 'int4-gptq': 'int4', 'awq-int4': 'int4', 'gptq-int4': 'int4',
};

const spelled = (spellings: Readonly<Record<string, string>>, word: string) => (Object.hasOwn(spellings, word) ? spellings[word] : word);

/** One cell of `column` as the corpus spells it (unchanged where no spelling applies). */
export function asCorpusSpelling(column: string, cell: string): string {
  if (cell === '') return Object.hasOwn(COLUMN_DEFAULTS, column) ? COLUMN_DEFAULTS[column] : '';
  if (!CASE_BLIND.has(column)) return cell;
  const lower = cell.toLowerCase();
  switch (column) {
    case 'statistic': return spelled(STATISTIC_SPELLINGS, lower);
    case 'dtype': case 'kv_dtype': return spelled(DTYPE_SPELLINGS, hyphenatedLower(cell));
    case 'stack': return hyphenatedLower(cell);
    // "NVIDIA H100 80GB HBM3" is the alias h100-80gb-hbm3; "meta-llama/Llama-3.1-8B" is llama-3.1-8b
    case 'gpu': return gpuSpelling(cell);
    case 'model': return modelSpelling(cell);
    default: return lower;
  }
}
