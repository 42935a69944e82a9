import { basename } from 'node:path';
import { UserError } from '../errors.ts';
import { quote } from '../util/excerpt.ts';
import { CORPUS_COLUMNS, CorpusRowError, rowFromCells, type CorpusColumn, type CorpusRow } from './corpus.ts';
import { parseJsonInput } from '../util/json-keys.ts';

/**
 * vLLM's benchmark_serving result files (`--save-result`) as corpus rows, so `fleetsim fidelity`
 * and `fleetsim calibrate --corpus` take one's own measurements as they are written.
 *
 * The file holds the figures (request_throughput, output_throughput, total_token_throughput, and
 * per metric ttft, tpot, itl, e2el: mean_<m>_ms, median_<m>_ms, p<q>_<m>_ms) and part of the
 * run's configuration (model_id, num_prompts, request_rate, max_concurrency, total_input_tokens,
 * total_output_tokens, completed). What fleetsim needs besides, and the file cannot know, is
 * given with benchmark_serving's own `--metadata KEY=VALUE`, which it writes into the same file:
 * `gpu` and `model` (catalog ids), `tp`; optionally `dtype` (default fp16), `split` (default
 * validation), `version` (the vLLM version), `dataset` (the length distribution; `random`
 * means fixed lengths; `sharegpt-cached-prompts` a run whose prompts an earlier run of its sweep
 * left in the prefix cache), `url`, `source`, `licence`. A file without them is refused naming them.
 */

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => x !== null && typeof x === 'object' && !Array.isArray(x);

/** vLLM's metric names and the corpus kinds they are. */
const METRICS: readonly [string, string][] = [['ttft', 'serving_ttft'], ['tpot', 'serving_tpot'], ['itl', 'serving_itl'], ['e2el', 'serving_e2e']];
/** vLLM's statistic prefixes and the corpus statistics they are (p90, p99 when the run asked for them). */
const STATISTICS: readonly [string, string][] = [['mean', 'mean'], ['median', 'median'], ['p90', 'p90'], ['p99', 'p99']];
const THROUGHPUTS: readonly [string, string][] = [['request_throughput', 'req_s'], ['output_throughput', 'output_tok_s'], ['total_token_throughput', 'total_tok_s']];
const REQUIRED_METADATA = ['gpu', 'model', 'tp'] as const;
const DEFAULT_URL = 'https://github.com/vllm-project/vllm/blob/main/benchmarks/benchmark_serving.py';

/** A plain decimal (the corpus refuses exponents), or '' for anything that is not a positive finite number. */
function plain(x: unknown): string {
  if (typeof x !== 'number' || !Number.isFinite(x) || x <= 0 || x >= 1e15) return '';
  const s = x.toFixed(6).replace(/\.?0+$/, '');
  return Number(s) > 0 ? s : '';
}

const text = (x: unknown) => (typeof x === 'string' || typeof x === 'number' ? String(x) : '');

/**
 * The figures the rows are worked out from, refused naming their own keys: an Infinity (1e400)
 * of completed requests read as a mean of 1 prompt token, a negative token total as 1, a
 * negative request rate as all requests at once.
 */
function checkRunFigures(r: Obj, file: string): void {
  if (!(Number.isSafeInteger(r.completed) && (r.completed as number) > 0)) {
    throw new UserError(`${file}: completed: expected the number of completed requests (a positive integer), got ${quote(r.completed)}`);
  }
  for (const key of ['total_input_tokens', 'total_output_tokens']) {
    const v = r[key];
    if (!(typeof v === 'number' && Number.isFinite(v) && v > 0)) throw new UserError(`${file}: ${key}: expected the tokens of the completed requests (a positive number), got ${quote(v)}`);
  }
  const rate = r.request_rate;
  if (rate !== undefined && rate !== null && rate !== 'inf' && plain(rate) === '') {
    throw new UserError(`${file}: request_rate: expected a positive number of requests a second, or "inf", got ${quote(rate)}`);
  }
}

/** The run's configuration cells shared by all its rows. */
function configCells(r: Obj, file: string): Partial<Record<CorpusColumn, string>> {
  const missing = REQUIRED_METADATA.filter((k) => text(r[k]) === '');
  if (missing.length > 0) {
    throw new UserError(`${file}: a vLLM benchmark_serving result without ${missing.join(', ')}: fleetsim needs the GPU, the catalog model id and the tensor parallelism of the run; write them into the result with benchmark_serving's --metadata, e.g. --metadata gpu=h100-80gb model=llama-3.1-8b tp=1`);
  }
  checkRunFigures(r, file);
  const completed = r.completed as number;
  const mean = (key: string) => String(Math.max(1, Math.round((r[key] as number) / completed)));
  const rate = typeof r.request_rate === 'number' && Number.isFinite(r.request_rate) ? plain(r.request_rate) : '';
  // Without a finite rate every request is sent at once: a closed loop at max_concurrency, or at all of them.
  const concurrency = rate === '' ? text(r.max_concurrency) || text(r.num_prompts) || String(completed) : '';
  const dataset = text(r.dataset) || text(r.dataset_name);
  return {
    split: text(r.split) || 'validation', stack: 'vllm', stack_version: text(r.version) || text(r.vllm_version) || 'unknown',
    gpu: text(r.gpu), model: text(r.model), dtype: text(r.dtype) || 'fp16', kv_dtype: text(r.kv_dtype), tp: text(r.tp), ep: text(r.ep) || '1',
    batch: concurrency, request_rate_per_s: rate, num_requests: text(r.num_prompts) || String(completed),
    prompt_tokens: mean('total_input_tokens'), output_tokens: mean('total_output_tokens'),
    lengths: dataset === 'random' ? 'random' : dataset || 'measured',
    source: text(r.source) || `vLLM benchmark_serving result${text(r.model_id) ? ` (${text(r.model_id)})` : ''}${text(r.date) ? `, ${text(r.date)}` : ''}`,
    url: text(r.url) || DEFAULT_URL, licence: text(r.licence) || 'own measurement',
  };
}

/**
 * The result's key a corpus column is read from (configCells), so a refused value is named as the
 * file has it: `max_concurrency`, not the corpus's `batch`, and no line number of a CSV.
 */
const RESULT_KEY_OF_COLUMN: Readonly<Partial<Record<string, string>>> = {
  batch: 'max_concurrency (or num_prompts)', request_rate_per_s: 'request_rate', num_requests: 'num_prompts (or completed)',
  prompt_tokens: 'total_input_tokens (over completed)', output_tokens: 'total_output_tokens (over completed)',
  stack_version: 'version', lengths: 'dataset', split: 'split', gpu: 'gpu', model: 'model', dtype: 'dtype', kv_dtype: 'kv_dtype', tp: 'tp', ep: 'ep',
  source: 'source', url: 'url', licence: 'licence',
};

function resultKeyOf(column: string, figureKey: string): string {
  if (column === 'value') return figureKey;
  return Object.hasOwn(RESULT_KEY_OF_COLUMN, column) ? RESULT_KEY_OF_COLUMN[column] as string : column;
}

/** Rows of one result file's text; `file` names it in messages. */
export function parseVllmResult(json: string, file: string): CorpusRow[] {
  const r = parseJsonInput(json, file);
  if (!isObj(r) || !('request_throughput' in r)) throw new UserError(`${file}: expected a vLLM benchmark_serving result (a JSON object with request_throughput, mean_ttft_ms, ...)`);
  const config = configCells(r, file);
  const stem = basename(file).toLowerCase().replace(/\.json$/, '').replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'vllm';
  const figures: { key: string; kind: string; statistic: string; unit: string }[] = [
    ...METRICS.flatMap(([m, kind]) => STATISTICS.map(([s, statistic]) => ({ key: `${s}_${m}_ms`, kind, statistic, unit: 'ms' }))),
    ...THROUGHPUTS.map(([key, unit]) => ({ key, kind: 'serving_throughput', statistic: 'mean', unit })),
  ];
  const rows = figures
    .filter((f) => plain(r[f.key]) !== '')
    .map((f) => {
      const cells: Partial<Record<CorpusColumn, string>> = { ...config, id: `${stem}-${f.key.replace(/_/g, '-')}`, kind: f.kind, statistic: f.statistic, value: plain(r[f.key]), unit: f.unit, locator: `${basename(file)}: ${f.key}`, notes: '' };
      try {
        return rowFromCells(CORPUS_COLUMNS.map((c) => cells[c] ?? ''), file, 1);
      } catch (e) {
        if (e instanceof CorpusRowError) throw new UserError(`${file}: ${resultKeyOf(e.column, f.key)}: ${e.detail}`);
        throw e;
      }
    });
  if (rows.length === 0) throw new UserError(`${file}: no positive figure among ${figures.map((f) => f.key).slice(0, 4).join(', ')}, ...`);
  return rows;
}
