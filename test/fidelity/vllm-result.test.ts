import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCorpus } from '../../src/fidelity/corpus.ts';
import { parseVllmResult } from '../../src/fidelity/vllm-result.ts';
import { vllmResult } from '../../src/report/vllm-format.ts';
import type { Summary } from '../../src/results/summary.ts';
import { REPO } from '../helpers/cli.ts';
import { userError } from '../helpers/errors.ts';

const FILE = join(REPO, 'test/fidelity/fixtures/vllm-serving-result.json');
const result = () => JSON.parse(readFileSync(FILE, 'utf8')) as Record<string, unknown>;

describe('vLLM benchmark_serving results as measurements', () => {
  it('every figure of the file is a corpus row with the run configuration', () => {
    const rows = loadCorpus([FILE]);
    const r = result();
    // 4 metrics x (mean, median, p99) + 3 throughputs; std has no corpus statistic.
    expect(rows).toHaveLength(15);
    const row = (id: string) => rows.find((x) => x.id === `vllm-serving-result-${id}`)!;
    expect(row('p99-ttft-ms')).toMatchObject({ kind: 'serving_ttft', statistic: 'p99', value: r.p99_ttft_ms, unit: 'ms' });
    expect(row('median-e2el-ms')).toMatchObject({ kind: 'serving_e2e', statistic: 'median', value: r.median_e2el_ms });
    expect(row('mean-itl-ms')).toMatchObject({ kind: 'serving_itl', statistic: 'mean', value: r.mean_itl_ms });
    expect(row('output-throughput')).toMatchObject({ kind: 'serving_throughput', statistic: 'mean', unit: 'output_tok_s', value: r.output_throughput });
    expect(row('request-throughput')).toMatchObject({ unit: 'req_s', value: r.request_throughput });
    // 102,400 input and 25,600 output tokens over 200 completed requests: 512 and 128 each.
    expect(row('p99-ttft-ms')).toMatchObject({
      stack: 'vllm', stack_version: '0.6.0', gpu: 'a100-80gb', model: 'llama-2-7b', dtype: 'fp16', tp: 1,
      request_rate_per_s: 4, num_requests: 200, prompt_tokens: 512, output_tokens: 128, lengths: 'random', split: 'validation',
    });
  });

  it('a run of a sweep on prompts an earlier run left cached says so in its dataset metadata', () => {
    const r = { ...result(), dataset: 'sharegpt-cached-prompts' };
    const rows = parseVllmResult(JSON.stringify(r), 'run.json');
    expect(rows.every((x) => x.prompts_cached && x.lengths === 'sharegpt' && x.num_requests === 200)).toBe(true);
    expect(parseVllmResult(JSON.stringify(result()), 'run.json').some((x) => x.prompts_cached)).toBe(false);
  });

  it("a run with vLLM's --random-range-ratio says so in its dataset metadata; a ratio outside (0, 1) is refused", () => {
    const rows = parseVllmResult(JSON.stringify({ ...result(), dataset: 'random-range-0.1' }), 'run.json');
    expect(rows.every((x) => x.lengths === 'random-range-0.1')).toBe(true);
    expect(userError(() => parseVllmResult(JSON.stringify({ ...result(), dataset: 'random-range-2' }), 'run.json'))).toMatch(
      /^run\.json: dataset: expected random-range-R with 0 < R < 1/);
  });

  it('refuses a result without the GPU, model or TP, saying how to give them', () => {
    const r = result();
    delete r.gpu;
    delete r.tp;
    expect(userError(() => parseVllmResult(JSON.stringify(r), 'run.json'))).toBe(
      'run.json: a vLLM benchmark_serving result without gpu, tp: fleetsim needs the GPU, the catalog model id and the tensor parallelism of the run; write them into the result with benchmark_serving\'s --metadata, e.g. --metadata gpu=h100-80gb model=llama-3.1-8b tp=1',
    );
    expect(userError(() => parseVllmResult('{"a": 1}', 'x.json'))).toContain('x.json: expected a vLLM benchmark_serving result');
    expect(userError(() => parseVllmResult('{', 'x.json'))).toContain('x.json: not valid JSON');
  });

  it('refuses the figures the rows are worked out from when they are not counts, naming their own keys', () => {
    const refused = (changes: Record<string, unknown>) => userError(() => parseVllmResult(JSON.stringify({ ...result(), ...changes }), 'run.json'));
    // 1e400 is Infinity: a mean of 1 prompt token; 0.5 completed doubled every length
    const text = JSON.stringify(result()).replace('"completed":200', '"completed":1e400');
    expect(userError(() => parseVllmResult(text, 'run.json'))).toBe('run.json: completed: expected the number of completed requests (a positive integer), got Infinity');
    expect(refused({ completed: 0.5 })).toMatch(/^run\.json: completed: expected .*, got 0\.5$/);
    // a negative total was read as 1 token a request, a string as a blank prompt_tokens cell
    expect(refused({ total_input_tokens: -1e6 })).toBe('run.json: total_input_tokens: expected the tokens of the completed requests (a positive number), got -1000000');
    expect(refused({ total_output_tokens: '25600' })).toMatch(/^run\.json: total_output_tokens: expected .*, got "25600"$/);
    // a negative rate was read as every request at once
    expect(refused({ request_rate: -1 })).toBe('run.json: request_rate: expected a positive number of requests a second, or "inf", got -1');
    expect(parseVllmResult(JSON.stringify({ ...result(), request_rate: 'inf', max_concurrency: 8 }), 'run.json')[0]).toMatchObject({ batch: 8, request_rate_per_s: undefined });
  });

  it('a value the row check refuses is named by the key the file has it under, not by the corpus column', () => {
    const refused = (changes: Record<string, unknown>) => userError(() => parseVllmResult(JSON.stringify({ ...result(), ...changes }), 'run.json'));
    // they read "run.json:1: batch: ..." and "run.json:1: request_rate_per_s: ...": a line and names the file has not
    expect(refused({ request_rate: 'inf', max_concurrency: 1e9 })).toMatch(/^run\.json: max_concurrency \(or num_prompts\): expected /);
    expect(refused({ request_rate: 1e12 })).toMatch(/^run\.json: request_rate: expected /);
    expect(refused({ tp: 'two' })).toMatch(/^run\.json: tp: expected /);
  });

  it('run --format vllm writes the names the loader reads back, figure for figure', () => {
    const lat = (base: number) => ({ p50: base, p90: base * 2, p99: base * 3, p999: base * 4, mean: base * 1.5, max: base * 5 });
    const summary = {
      fleetsim_version: '0.2.0', scenario: 's', seed: 1, replications: 1, duration_s: 60, warmup_s: 10,
      requests: { completed: 100, throughput_per_s: 2 },
      latency_ms: { ttft: lat(10), tpot: lat(20), itl: lat(30), e2e: lat(40) },
    } as unknown as Summary;
    const exported = vllmResult(summary);
    expect(exported).toMatchObject({ median_ttft_ms: 10, p99_tpot_ms: 60, 'p99.9_itl_ms': 120, mean_e2el_ms: 60, request_throughput: 2, completed: 100, duration: 50 });
    const rows = parseVllmResult(JSON.stringify({ ...exported, gpu: 'h100-80gb', model: 'llama-2-7b', tp: 1, total_input_tokens: 100, total_output_tokens: 100 }), 'e.json');
    for (const [key, id] of [['p99_ttft_ms', 'p99-ttft-ms'], ['median_tpot_ms', 'median-tpot-ms'], ['mean_e2el_ms', 'mean-e2el-ms']] as const) {
      expect(rows.find((r) => r.id === `e-${id}`)?.value).toBe(exported[key]);
    }
  });
});
