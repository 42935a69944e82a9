import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CORPUS_COLUMNS, CORPUS_HEADER, loadCorpus, parseCorpus, showCell, type CorpusColumn } from '../../src/fidelity/corpus.ts';
import { predictRow, profileFor, withEngineArgs } from '../../src/fidelity/predict.ts';
import { schedulerOf } from '../../src/perf/calibration.ts';
import { ENGINE_PROFILES } from '../../src/perf/profiles.ts';
import { userError } from '../helpers/errors.ts';
import { baseCells, csvLine, csvText, FIXTURE, fixtureText, writeTemp } from './helpers.ts';

/** The message for a file whose second row (line 3) has these cells changed. */
function refusal(over: Partial<Record<CorpusColumn, string>>): string {
  const text = csvText([baseCells({ id: 'synthetic-ok' }), baseCells(over)]);
  return userError(() => parseCorpus(text, 'c.csv'));
}

describe('corpus loader: valid files', () => {
  it('reads the synthetic fixture into typed rows with their lines', () => {
    const rows = loadCorpus([FIXTURE]);
    const lines = fixtureText().trimEnd().split('\n');
    expect(rows.length).toBe(lines.length - 1);
    rows.forEach((r, i) => {
      expect(r.line).toBe(i + 2);
      expect(r.file).toBe(FIXTURE);
      // every cell read back is the cell written (numbers as numbers, blanks as undefined)
      const cells = lines[i + 1].split(',');
      expect(r.id).toBe(cells[0]);
      expect(r.value).toBe(Number(cells[4]));
      expect(r.tp).toBe(Number(cells[12]));
      expect(r.batch).toBe(cells[14] === '' ? undefined : Number(cells[14]));
      expect(r.request_rate_per_s).toBe(cells[15] === '' ? undefined : Number(cells[15]));
      expect(r.kv_dtype).toBe(cells[11] === '' ? r.dtype : cells[11]);
    });
  });

  it('counts lines through quoted multi-line cells, CRLF line ends, a BOM and blank lines', () => {
    const notes = 'line one\nline two, with a comma\nline "three"';
    const text = '\uFEFF' + [CORPUS_HEADER, csvLine(baseCells({ id: 'synthetic-a', notes })), '', csvLine(baseCells({ id: 'synthetic-b' }))].join('\r\n');
    const rows = parseCorpus(text, 'c.csv');
    expect(rows.map((r) => [r.id, r.line])).toEqual([['synthetic-a', 2], ['synthetic-b', 6]]);
    expect(rows[0].notes).toBe(notes);
    const bad = [CORPUS_HEADER, csvLine(baseCells({ id: 'synthetic-a', notes })), csvLine(baseCells({ id: 'synthetic-b', tp: 'two' }))].join('\r\n');
    expect(userError(() => parseCorpus(bad, 'c.csv'))).toBe('c.csv:5: tp: expected a positive integer, got "two"');
  });

  it('accepts a header-only file as an empty corpus', () => {
    expect(parseCorpus(CORPUS_HEADER + '\n', 'c.csv')).toEqual([]);
  });
});

describe('corpus loader: one\'s own measurements, in any column order, without the columns that have a default', () => {
  const minimal = ['id', 'kind', 'value', 'unit', 'stack', 'gpu', 'model', 'dtype', 'tp', 'batch', 'prompt_tokens', 'output_tokens'] as const;
  const line = (cells: Record<CorpusColumn, string>, columns: readonly CorpusColumn[]) => columns.map((c) => cells[c]).join(',');

  it('reads a file of the required columns and the batch as the full row with the defaults', () => {
    const cells = baseCells();
    const full = parseCorpus(csvText([cells]), 'full.csv')[0];
    const own = parseCorpus(`${minimal.join(',')}\n${line(cells, minimal)}\n`, 'own.csv')[0];
    // the defaults: validation, mean, an unnumbered version, ep 1, fixed lengths, no provenance
    expect(own).toEqual({ ...full, file: 'own.csv', stack_version: 'unknown', source: '', url: '', licence: '', locator: '' });
    expect(parseCorpus(`${minimal.join(',')}\n${line(baseCells({ stack_version: 'unknown' }), minimal)}\n`, 'own.csv')[0].split).toBe('validation');
  });

  it('reads the columns by name, in any order and any case, and the same figures whatever the order', () => {
    const columns = [...CORPUS_COLUMNS].reverse();
    const cells = baseCells({ notes: 'a, quoted "note"' });
    const quoted = columns.map((c) => (/[",]/.test(cells[c]) ? `"${cells[c].replace(/"/g, '""')}"` : cells[c])).join(',');
    const reversed = parseCorpus(`${columns.map((c) => c.toUpperCase()).join(',')}\n${quoted}\n`, 'r.csv')[0];
    expect(reversed).toEqual({ ...parseCorpus(csvText([cells]), 'r.csv')[0] });
  });

  it('still refuses a blank cell of a column the file has, and a row short of the file\'s columns', () => {
    expect(refusal({ source: '' })).toMatch(/^c\.csv:3: source: expected a short citation .*, got ""$/);
    expect(refusal({ url: '' })).toBe('c.csv:3: url: expected an http(s) URL, got ""');
    const short = `${minimal.join(',')}\n${line(baseCells(), minimal).split(',').slice(0, 10).join(',')}\n`;
    expect(userError(() => parseCorpus(short, 'own.csv'))).toMatch(/^own\.csv:2: prompt_tokens: expected 12 fields, the row has 10 /);
    // a kind that needs a batch, without the column: refused as a blank batch is
    const noBatch = minimal.filter((c) => c !== 'batch');
    expect(userError(() => parseCorpus(`${noBatch.join(',')}\n${line(baseCells(), noBatch)}\n`, 'own.csv'))).toBe('own.csv:2: batch: expected the static batch size for kind decode, got ""');
  });
});

describe('corpus loader: cells as tools and people spell them', () => {
  const read = (over: Partial<Record<CorpusColumn, string>>) => parseCorpus(csvText([baseCells(over)]), 'c.csv')[0];
  const canonical = read({ stack: 'trtllm', gpu: 'h100-80gb', model: 'llama-3.1-8b', dtype: 'bf16', kv_dtype: 'fp8' });

  it('reads a driver\'s GPU name, a Hugging Face model id, a config\'s dtype and a stack in any case as the catalog\'s', () => {
    for (const [gpu, model, dtype, kv, stack] of [
      ['NVIDIA H100 80GB HBM3', 'meta-llama/Llama-3.1-8B-Instruct', 'bfloat16', 'float8', 'TensorRT-LLM'],
      ['H100 SXM5 80GB', 'Llama-3.1-8B', 'BF16', 'FP8', 'TRT-LLM'],
      ['h100_sxm', 'meta-llama/Meta-Llama-3.1-8B-Instruct', 'BFloat16', 'fp8_e4m3', 'tensorrt_llm'],
    ]) {
      const r = read({ stack, gpu, model, dtype, kv_dtype: kv });
      expect([r.stack, r.gpu, r.dtype, r.kv_dtype]).toEqual([canonical.stack, canonical.gpu, canonical.dtype, canonical.kv_dtype]);
      // the model cell is the base id's spelling; predict.ts's catalogModelId takes the fine-tune suffix off
      expect(r.model).toMatch(/^(meta-)?llama-3\.1-8b(-instruct)?$/);
    }
    expect(read({ gpu: 'AMD Instinct MI300X' }).gpu).toBe('mi300x');
    expect(read({ model: 'Qwen/Qwen2.5-72B-Instruct' }).model).toBe('qwen2.5-72b-instruct');
    // a checkpoint the catalog holds apart: the organisation decides (Meta's FP8 405B keeps its
    // attention in BF16; NVIDIA's release of the same name is FP8 throughout)
    expect(read({ model: 'meta-llama/Llama-3.1-405B-Instruct-FP8' }).model).toBe('llama-3.1-405b-meta-fp8');
    expect(read({ model: 'nvidia/Llama-3.1-405B-Instruct-FP8' }).model).toBe('llama-3.1-405b-instruct-fp8');
  });

  it('reads statistics and int4 schemes by their other names, a blank defaulted cell as its default, and ids in any case', () => {
    expect(['P50', 'med', 'Average', 'avg', 'P99'].map((statistic) => read({ kind: 'serving_ttft', statistic }).statistic)).toEqual(['median', 'median', 'mean', 'mean', 'p99']);
    expect(['AWQ', 'gptq', 'W4A16', 'int4-awq', 'NVFP4', 'half', 'float16'].map((dtype) => read({ dtype }).dtype)).toEqual(['int4', 'int4', 'int4', 'int4', 'fp4', 'fp16', 'fp16']);
    const blanks = read({ split: '', statistic: '', stack_version: '', ep: '', lengths: '' });
    expect([blanks.split, blanks.statistic, blanks.stack_version, blanks.ep, blanks.lengths]).toEqual(['validation', 'mean', 'unknown', 1, 'fixed']);
    expect(read({ id: 'My-Run_1.a' }).id).toBe('My-Run_1.a');
    // a word that is an Object property is a word, not a spelling
    expect(refusal({ statistic: 'constructor' })).toBe('c.csv:3: statistic: expected one of mean, median, p90, p99, got "constructor"');
    expect(refusal({ dtype: 'toString' })).toBe('c.csv:3: dtype: expected one of fp16, bf16, fp8, int8, int4, fp4, got "toString"');
  });

  it('predicts a row written in such spellings exactly as the same row in the catalog\'s', () => {
    const spelled = read({ stack: 'TensorRT-LLM', gpu: 'NVIDIA H100 80GB HBM3', model: 'meta-llama/Llama-3.1-8B-Instruct', dtype: 'bfloat16', kv_dtype: 'FP8' });
    const predicted = (r: typeof canonical) => predictRow(r);
    expect(predicted(spelled)).toEqual(predicted(canonical));
    expect(predicted(canonical)).toMatchObject({ status: 'predicted' });
  });
});

describe('corpus loader: each bad row is refused with file, line and column', () => {
  it('a missing value', () => {
    expect(refusal({ prompt_tokens: '' })).toBe('c.csv:3: prompt_tokens: expected a positive integer up to 16777216, got ""');
    expect(refusal({ source: '' })).toMatch(/^c\.csv:3: source: expected a short citation .*, got ""$/);
    expect(refusal({ batch: '' })).toBe('c.csv:3: batch: expected the static batch size for kind decode, got ""');
  });

  it('a missing field (a row with too few cells) and an extra one', () => {
    const short = [CORPUS_HEADER, csvLine(baseCells()).split(',').slice(0, 22).join(',')].join('\n');
    expect(userError(() => parseCorpus(short, 'c.csv'))).toMatch(/^c\.csv:2: licence: expected 25 fields, the row has 22 .*, got ""$/);
    const long = [CORPUS_HEADER, csvLine(baseCells()) + ',surplus'].join('\n');
    expect(userError(() => parseCorpus(long, 'c.csv'))).toMatch(/^c\.csv:2: field 26: expected 25 fields, the row has 26 .*, got "surplus"$/);
  });

  it('a non-numeric, negative, zero or fractional number', () => {
    expect(refusal({ value: 'fast' })).toBe('c.csv:3: value: expected a plain decimal number from 0.000001 to 1000000000, got "fast"');
    expect(refusal({ value: '-5' })).toBe('c.csv:3: value: expected a plain decimal number from 0.000001 to 1000000000, got "-5"');
    expect(refusal({ value: '1,250' })).toBe('c.csv:3: value: expected a plain decimal number from 0.000001 to 1000000000, got "1,250"');
    expect(refusal({ value: '0' })).toBe('c.csv:3: value: expected a plain decimal number from 0.000001 to 1000000000, got "0"');
    expect(refusal({ tp: '-2' })).toBe('c.csv:3: tp: expected a positive integer, got "-2"');
    expect(refusal({ output_tokens: '2.5' })).toBe('c.csv:3: output_tokens: expected a positive integer up to 16777216, got "2.5"');
    expect(refusal({ kind: 'serving_ttft', request_rate_per_s: 'NaN' })).toBe('c.csv:3: request_rate_per_s: expected blank or a plain decimal number from 0.001 to 1000000 (requests a second), got "NaN"');
  });

  it('an unknown kind, split, statistic, unit or dtype', () => {
    expect(refusal({ kind: 'prefil' })).toMatch(/^c\.csv:3: kind: expected one of prefill, decode, latency, throughput, serving_ttft, .*, got "prefil"$/);
    expect(refusal({ split: 'test' })).toBe('c.csv:3: split: expected one of calibration, validation, got "test"');
    expect(refusal({ statistic: 'p95' })).toBe('c.csv:3: statistic: expected one of mean, median, p90, p99, got "p95"');
    expect(refusal({ unit: 'tok/s' })).toBe('c.csv:3: unit: expected one of ms, output_tok_s, total_tok_s, req_s, fraction, ratio, got "tok/s"');
    // the cell as written, not as it was respelled before the check
    expect(refusal({ dtype: 'FP9' })).toBe('c.csv:3: dtype: expected one of fp16, bf16, fp8, int8, int4, fp4, got "FP9"');
    expect(refusal({ dtype: 'W8A8' })).toBe('c.csv:3: dtype: expected one of fp16, bf16, fp8, int8, int4, fp4, got "W8A8"');
  });

  it('a batch beyond any engine\'s sequence limit (it is also the engine\'s max_num_seqs)', () => {
    expect(refusal({ batch: '100000000000' })).toBe('c.csv:3: batch: expected blank or a positive integer up to 65536, got "100000000000"');
  });

  it('a unit, statistic, batch or rate that does not go with the kind', () => {
    expect(refusal({ kind: 'throughput', unit: 'ms' })).toBe('c.csv:3: unit: expected output_tok_s or total_tok_s for kind throughput, got "ms"');
    expect(refusal({ kind: 'decode', unit: 'output_tok_s' })).toBe('c.csv:3: unit: expected ms for kind decode, got "output_tok_s"');
    expect(refusal({ kind: 'serving_ttft', unit: 'req_s' })).toBe('c.csv:3: unit: expected ms for kind serving_ttft, got "req_s"');
    expect(refusal({ kind: 'prefill', statistic: 'p99' })).toMatch(/^c\.csv:3: statistic: expected mean or median for kind prefill .*, got "p99"$/);
    expect(refusal({ kind: 'serving_ttft', batch: '' })).toBe('c.csv:3: batch: expected a closed-loop concurrency for kind serving_ttft when request_rate_per_s is blank, got ""');
    expect(refusal({ kind: 'decode', request_rate_per_s: '2' })).toMatch(/^c\.csv:3: request_rate_per_s: expected blank for kind decode .*, got "2"$/);
  });

  it('-fixed-output only after a dataset whose lengths are drawn', () => {
    for (const cell of ['fixed-fixed-output', 'random-fixed-output', 'synthetic-fixed-output', 'shared-prefix-64-fixed-output', 'repeat-2-fixed-output']) {
      expect(refusal({ lengths: cell })).toBe(`c.csv:3: lengths: expected -fixed-output after a dataset whose lengths are drawn (sharegpt, random-uniform, ...), not after one whose outputs are exact already, got "${cell}"`);
    }
    const rows = parseCorpus(csvText([baseCells({ lengths: 'sharegpt-fixed-output' }), baseCells({ id: 'u', lengths: 'random-uniform-fixed-output' })]), 'c.csv');
    expect(rows.map((r) => r.lengths)).toEqual(['sharegpt-fixed-output', 'random-uniform-fixed-output']);
  });

  it('random-range-R only with 0 < R < 1', () => {
    for (const cell of ['random-range-0', 'random-range-1', 'random-range-1.5', 'random-range-x', 'random-range-0.2.1']) {
      expect(refusal({ lengths: cell })).toBe(`c.csv:3: lengths: expected random-range-R with 0 < R < 1 (vLLM's --random-range-ratio R), got "${cell}"`);
    }
    const rows = parseCorpus(csvText([baseCells({ lengths: 'random-range-0.15' }), baseCells({ id: 'u', lengths: 'random-range-0.5-fixed-output' })]), 'c.csv');
    expect(rows.map((r) => r.lengths)).toEqual(['random-range-0.15', 'random-range-0.5-fixed-output']);
  });

  it('a duplicate id, within a file and across files', () => {
    expect(userError(() => loadCorpus([writeTemp({ 'a.csv': csvText([baseCells(), baseCells()]) })['a.csv']]))).toMatch(
      /a\.csv:3: id: expected an id used once in the corpus \(first at .*a\.csv:2\), got "synthetic-test-row"$/);
    const p = writeTemp({ 'a.csv': csvText([baseCells({ id: 'synthetic-x' })]), 'b.csv': csvText([baseCells({ id: 'synthetic-y' }), baseCells({ id: 'synthetic-x' })]) });
    expect(userError(() => loadCorpus([p['a.csv'], p['b.csv']]))).toBe(
      `${p['b.csv']}:3: id: expected an id used once in the corpus (first at ${p['a.csv']}:2), got "synthetic-x"`);
  });

  it('a wrong header, an unreadable file and broken quoting', () => {
    const header = CORPUS_HEADER.replace('value', 'val');
    expect(userError(() => parseCorpus(`${header}\n`, 'c.csv'))).toMatch(/^c\.csv:1: column 5: expected a corpus column \(id, split, .*, engine_args; data\/corpus\/README\.md\), got "val"$/);
    expect(userError(() => parseCorpus('', 'c.csv'))).toMatch(/^c\.csv:1: id: expected a header naming the columns, id, kind, value, .* among them .*, got ""$/);
    expect(userError(() => parseCorpus(`${CORPUS_HEADER.replace('value,', '')}\n`, 'c.csv'))).toMatch(/^c\.csv:1: value: expected a header naming the columns/);
    expect(userError(() => parseCorpus(`${CORPUS_HEADER},gpu\n`, 'c.csv'))).toBe('c.csv:1: column 26: expected each column once, got "gpu"');
    expect(userError(() => loadCorpus(['/nonexistent/corpus.csv']))).toBe('/nonexistent/corpus.csv: cannot read corpus file: ENOENT');
    const open = `${CORPUS_HEADER}\n${csvLine(baseCells())}\n"unclosed,quote\n`;
    expect(userError(() => parseCorpus(open, 'c.csv'))).toMatch(/^c\.csv:\d+: not valid CSV \(RFC 4180\): /);
  });

  it('shows a bad cell in at most 80 characters with control bytes escaped', () => {
    const nasty = 'a\u0007b\u001b[31m"q"\\' + 'x'.repeat(200);
    const msg = refusal({ stack: nasty });
    const got = /got "(.*)"$/.exec(msg)![1];
    expect(got.length).toBeLessThanOrEqual(80);
    expect(got.startsWith('a\\x07b\\x1b[31m\\"q\\"\\\\xxx')).toBe(true);
    expect(got.endsWith('...')).toBe(true);
    expect(/[\u0000-\u001f\u007f]/.test(msg)).toBe(false);
    expect(showCell('short')).toBe('short');
    expect(showCell('x'.repeat(80))).toBe('x'.repeat(80));
    expect(showCell('\u0085\u2028')).toBe('\\x85\\u2028');
  });

  it('the repository\'s own files have the full header and every row its source, URL, licence and locator', () => {
    const root = new URL('../../data/corpus/', import.meta.url);
    // speculative/ holds speedup findings in a format of their own (speculative.ts)
    const files = (readdirSync(root, { recursive: true }) as string[]).filter((f) => f.endsWith('.csv') && !f.startsWith('speculative')).map((f) => fileURLToPath(new URL(f, root)));
    expect(files.length).toBeGreaterThanOrEqual(30);
    for (const f of files) {
      const header = readFileSync(f, 'utf8').split('\n')[0].replace(/^\uFEFF/, '').trim();
      expect([CORPUS_HEADER, `${CORPUS_HEADER},engine_args`], f).toContain(header);
    }
    const rows = loadCorpus(files);
    expect(rows.length).toBeGreaterThan(7000);
    for (const r of rows) {
      for (const c of ['source', 'licence', 'locator'] as const) expect(r[c].length, `${r.id} ${c}`).toBeGreaterThan(0);
      expect(r.url, r.id).toMatch(/^https?:\/\//);
    }
  });

  it('reads the header that data/corpus/README.md documents', () => {
    const readme = readFileSync(new URL('../../data/corpus/README.md', import.meta.url), 'utf8');
    const documented = readme.split('\n').find((l) => l.startsWith('id,split,'));
    expect(documented).toBe(CORPUS_HEADER);
    expect(CORPUS_COLUMNS.length).toBe(25);
  });
});

describe('corpus loader: the optional engine_args column', () => {
  const withArgs = (args: string[], over: Partial<Record<CorpusColumn, string>> = {}) => [`${CORPUS_HEADER},engine_args`, ...args.map((a, i) => `${csvLine(baseCells({ id: `synthetic-${i}`, ...over }))},${a}`)].join('\n') + '\n';

  it('reads the run\'s engine settings in vLLM\'s flag names, launch-flag spelling too; none without the column', () => {
    const rows = parseCorpus(withArgs(['num_scheduler_steps=10 max_num_seqs=256', '', '--enable-chunked-prefill=false --max-num-batched-tokens=4096']), 'c.csv');
    expect(rows.map((r) => r.engine_args)).toEqual([
      { num_scheduler_steps: 10, max_num_seqs: 256 },
      {},
      { enable_chunked_prefill: false, max_num_batched_tokens: 4096 },
    ]);
    expect(parseCorpus(csvText([baseCells()]), 'c.csv')[0].engine_args).toEqual({});
  });

  it('refuses an unknown setting, a bad value, a repeated one, and multi-step with chunked prefill, naming file, line and column', () => {
    const refused = (arg: string) => userError(() => parseCorpus(withArgs(['', arg]), 'c.csv'));
    expect(refused('max_num_seq=256')).toMatch(/^c\.csv:3: engine_args: expected space-separated name=value settings, names num_scheduler_steps, enable_chunked_prefill, async_scheduling, max_num_seqs, max_num_batched_tokens, gpu_memory_utilization, kv_cache_free_gpu_mem_fraction, trtllm_bench_isl, trtllm_bench_osl, fp8_scaling, effective_bits, capacity_scheduler_policy, batching_type, gemm_allreduce_plugin, xqa, got "max_num_seq=256"$/);
    expect(refused('num_scheduler_steps=0')).toBe('c.csv:3: engine_args: expected num_scheduler_steps=an integer from 1 to 64, got "num_scheduler_steps=0"');
    expect(refused('enable_chunked_prefill')).toBe('c.csv:3: engine_args: expected enable_chunked_prefill=true or false, got "enable_chunked_prefill"');
    expect(refused('max_num_seqs=8 max_num_seqs=16')).toMatch(/expected max_num_seqs given once/);
    // bounded as a profile's scheduler is: the replica sizes per-sequence arrays by it
    expect(refused('max_num_seqs=100000000000')).toBe('c.csv:3: engine_args: expected max_num_seqs=a positive integer up to 65536, got "max_num_seqs=100000000000"');
    expect(refused('num_scheduler_steps=8 enable_chunked_prefill=true')).toMatch(/^c\.csv:3: engine_args: expected num_scheduler_steps above 1 without enable_chunked_prefill=true/);
  });

  it('reads TensorRT-LLM\'s capacity scheduler and batching in its own spelling, any case, and what the scheduler then does', () => {
    const trt = (args: string[]) => [`${CORPUS_HEADER},engine_args`, ...args.map((a, i) => `${csvLine(baseCells({ id: `synthetic-${i}`, stack: 'trtllm', stack_version: '0.9.0' }))},${a}`)].join('\n') + '\n';
    const rows = parseCorpus(trt(['capacity_scheduler_policy=MAX_UTILIZATION batching_type=inflight', 'capacity_scheduler_policy=guaranteed_no_evict batching_type=STATIC']), 'c.csv');
    expect(rows.map((r) => r.engine_args)).toEqual([
      { capacity_scheduler_policy: 'MAX_UTILIZATION', batching_type: 'INFLIGHT' },
      { capacity_scheduler_policy: 'GUARANTEED_NO_EVICT', batching_type: 'STATIC' },
    ]);
    const refused = (arg: string) => userError(() => parseCorpus(trt(['', arg]), 'c.csv'));
    expect(refused('capacity_scheduler_policy=max_util')).toBe('c.csv:3: engine_args: expected capacity_scheduler_policy=GUARANTEED_NO_EVICT or MAX_UTILIZATION, got "capacity_scheduler_policy=max_util"');
    expect(refused('batching_type=V1')).toBe('c.csv:3: engine_args: expected batching_type=INFLIGHT or STATIC, got "batching_type=V1"');
    // trtllm-build's --gemm_allreduce_plugin: a dtype turns the fusion on, None (or disable) leaves it off
    const fused = parseCorpus(trt(['gemm_allreduce_plugin=float16', 'gemm_allreduce_plugin=None']), 'c.csv');
    expect(fused.map((r) => r.engine_args.gemm_allreduce_plugin)).toEqual(['float16', 'disable']);
    expect(profileFor(fused[0], {}).allreduce_fused_with_gemm).toBe(true);
    expect(profileFor(fused[1], {}).allreduce_fused_with_gemm).toBe(false);
    expect(refused('gemm_allreduce_plugin=fp8')).toBe('c.csv:3: engine_args: expected gemm_allreduce_plugin=float16, bfloat16, disable, got "gemm_allreduce_plugin=fp8"');
    expect(userError(() => parseCorpus(withArgs(['', 'gemm_allreduce_plugin=float16']), 'c.csv'))).toMatch(/expected gemm_allreduce_plugin only on a TensorRT-LLM row/);
    // the XQA decode kernel: on or off as a run says, TensorRT-LLM's alone
    expect(parseCorpus(trt(['xqa=true', 'xqa=false']), 'c.csv').map((r) => r.engine_args.xqa)).toEqual([true, false]);
    expect(refused('xqa=yes')).toBe('c.csv:3: engine_args: expected xqa=true or false, got "xqa=yes"');
    expect(userError(() => parseCorpus(withArgs(['', 'xqa=true']), 'c.csv'))).toMatch(/^c\.csv:3: engine_args: expected xqa only on a TensorRT-LLM row/);
    // FP8 scaling on weights that are not FP8 was read as nothing
    expect(userError(() => parseCorpus(withArgs(['', 'fp8_scaling=block']), 'c.csv'))).toBe('c.csv:3: engine_args: expected fp8_scaling only on a row of FP8 weights (dtype fp8; this one is fp16), got "fp8_scaling=block"');
    // TensorRT-LLM's names on another stack's row would be read as nothing: refused
    expect(userError(() => parseCorpus(withArgs(['', 'batching_type=STATIC']), 'c.csv'))).toBe('c.csv:3: engine_args: expected batching_type only on a TensorRT-LLM row (stack trtllm, or nim before 2.0; this one is vllm), got "batching_type=STATIC"');
    // NIM served with TensorRT-LLM before 2.0 and with vLLM alone since: its settings on a NIM 1.x
    // row are read, on a NIM 2.x or unnumbered one refused (that row takes the vllm profile)
    const nim = (version: string, arg: string) => [`${CORPUS_HEADER},engine_args`, `${csvLine(baseCells({ id: 'synthetic-nim', stack: 'nim', stack_version: version }))},${arg}`].join('\n') + '\n';
    expect(parseCorpus(nim('1.8.0', 'capacity_scheduler_policy=MAX_UTILIZATION'), 'c.csv')[0].engine_args).toEqual({ capacity_scheduler_policy: 'MAX_UTILIZATION' });
    expect(userError(() => parseCorpus(nim('2.0.1', 'gemm_allreduce_plugin=float16'), 'c.csv'))).toBe('c.csv:2: engine_args: expected gemm_allreduce_plugin only on a TensorRT-LLM row (stack trtllm, or nim before 2.0; this one is nim 2.0 or later, or unnumbered: NIM 2.0 and later serve with vLLM), got "gemm_allreduce_plugin=float16"');
    expect(userError(() => parseCorpus(nim('latest', 'capacity_scheduler_policy=MAX_UTILIZATION'), 'c.csv'))).toMatch(/this one is nim 2\.0 or later, or unnumbered/);
    // MAX_UTILIZATION admits while the KV cache lasts; GUARANTEED_NO_EVICT reserves each output whole
    const reserving = { ...schedulerOf(ENGINE_PROFILES.trtllm), kv_admission: 'reserve-output' as const };
    expect(withEngineArgs(reserving, { capacity_scheduler_policy: 'MAX_UTILIZATION' }).kv_admission).toBe('on-demand');
    expect(withEngineArgs({ ...reserving, kv_admission: 'on-demand' }, { capacity_scheduler_policy: 'GUARANTEED_NO_EVICT' }).kv_admission).toBe('reserve-output');
    expect(withEngineArgs(reserving, {}).kv_admission).toBe('reserve-output');
  });

  it('reads the memory fraction under either engine\'s rule, one at a time, as a fraction in (0, 1]', () => {
    const rows = parseCorpus(withArgs(['--kv-cache-free-gpu-mem-fraction=0.99', 'gpu_memory_utilization=.95']), 'c.csv');
    expect(rows.map((r) => r.engine_args)).toEqual([{ kv_cache_free_gpu_mem_fraction: 0.99 }, { gpu_memory_utilization: 0.95 }]);
    const refused = (arg: string) => userError(() => parseCorpus(withArgs(['', arg]), 'c.csv'));
    expect(refused('kv_cache_free_gpu_mem_fraction=1.5')).toBe('c.csv:3: engine_args: expected kv_cache_free_gpu_mem_fraction=a fraction in (0, 1], got "kv_cache_free_gpu_mem_fraction=1.5"');
    expect(refused('gpu_memory_utilization=0')).toMatch(/expected gpu_memory_utilization=a fraction in \(0, 1\]/);
    expect(refused('gpu_memory_utilization=1e-1')).toMatch(/expected gpu_memory_utilization=a fraction in \(0, 1\]/);
    expect(refused('gpu_memory_utilization=0.9 kv_cache_free_gpu_mem_fraction=0.9')).toMatch(/expected one of gpu_memory_utilization \(vLLM's memory rule\) and kv_cache_free_gpu_mem_fraction \(TensorRT-LLM's\), not both/);
  });

  it('reads the dataset an engine was built for by trtllm-bench, both lengths together and not beside limits given', () => {
    // trtllm-bench builds TensorRT-LLM engines: the lengths are refused on another stack's row (test/hostile/engines-seventh.test.ts)
    const TRTLLM_ROW = { stack: 'trtllm', stack_version: '0.12' };
    const rows = parseCorpus(withArgs(['trtllm_bench_isl=2048 trtllm_bench_osl=128'], TRTLLM_ROW), 'c.csv');
    expect(rows[0].engine_args).toEqual({ trtllm_bench_isl: 2048, trtllm_bench_osl: 128 });
    const refused = (arg: string) => userError(() => parseCorpus(withArgs(['', arg], TRTLLM_ROW), 'c.csv'));
    expect(refused('trtllm_bench_isl=2048')).toBe('c.csv:3: engine_args: expected trtllm_bench_isl and trtllm_bench_osl together (the dataset an engine was built for), got "trtllm_bench_isl=2048"');
    expect(refused('trtllm_bench_isl=2048 trtllm_bench_osl=2048 max_num_seqs=256')).toMatch(/expected trtllm_bench_isl and trtllm_bench_osl \(limits by trtllm-bench's rule\) or max_num_seqs and max_num_batched_tokens \(limits given\), not both/);
    expect(refused('trtllm_bench_osl=0 trtllm_bench_isl=1')).toMatch(/expected trtllm_bench_osl=a positive integer up to 16777216/);
  });

  it('refuses a 26th header column that is not engine_args, and a row without the cell', () => {
    expect(userError(() => parseCorpus(`${CORPUS_HEADER},flags\n`, 'c.csv'))).toMatch(/^c\.csv:1: column 26: expected a corpus column \(.*\), got "flags"$/);
    const short = `${CORPUS_HEADER},engine_args\n${csvLine(baseCells())}\n`;
    expect(userError(() => parseCorpus(short, 'c.csv'))).toMatch(/^c\.csv:2: engine_args: expected 26 fields, the row has 25 /);
  });
});
