import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runMain } from '../check/run-main.ts';
import { show, type CliResult } from '../helpers/cli.ts';
import { suiteTempDir } from '../helpers/temp-dir.ts';
import { expectRefusedInOneLine } from '../helpers/errors.ts';

/**
 * Hostile inputs around the GPU step model (2026-12-05 campaign): `perf --calibration` profiles,
 * `perf --model-config` Hugging Face files of every family the loader knows, `fidelity` and
 * `calibrate` corpora, and the served-model keys of a scenario. Each is refused in one line naming
 * the file (or flag), the field and what was expected, or gives finite figures. The table of cases
 * is docs/hostile-inputs.md.
 */
const tmp = suiteTempDir('fleetsim-hostile-step-model-');

const expectOneLine = (r: CliResult, pattern: RegExp) => expectRefusedInOneLine(r, pattern, show(r));

/** Every figure of a `perf --json` summary, nested ones too, is a finite number (JSON writes Infinity and NaN as null). */
function expectFiniteFigures(r: CliResult): void {
  expect(r.code, show(r)).toBe(0);
  const nonFinite: string[] = [];
  const visit = (value: unknown, path: string) => {
    if (value === null) nonFinite.push(path);
    else if (typeof value === 'object') for (const [k, v] of Object.entries(value)) visit(v, `${path}.${k}`);
  };
  visit(JSON.parse(r.stdout), '');
  expect(nonFinite, show(r)).toEqual([]);
}

const VLLM_PROFILE = JSON.parse(readFileSync('src/perf/profiles/vllm.json', 'utf8')) as Record<string, unknown>;
const perfWith = (profile: string, ...more: string[]) =>
  runMain(['perf', '--model', 'llama-2-70b', '--gpu', 'h100-80gb', '--tp', '4', '--calibration', profile, ...more]);

describe('perf --calibration', () => {
  it.each([
    ['step_overhead_ms', 1e308, /step_overhead_ms: expected a number <= 10000, got 1e\+308$/],
    ['request_overhead_ms', 1e308, /request_overhead_ms: expected a number <= /],
    ['per_seq_overhead_us', 9007199254740993, /per_seq_overhead_us: expected a number <= /],
    ['allreduce_latency_us', 1e20, /allreduce_latency_us: expected a number <= /],
    ['allreduce_doubling_latency_us', 1e308, /allreduce_doubling_latency_us: expected a number <= /],
    ['pcie_hop_latency_us', 1e308, /pcie_hop_latency_us: expected a number <= /],
    ['gemm_half_tokens', 1e308, /gemm_half_tokens: expected a number <= /],
    ['gemm_efficiency', 5e-324, /gemm_efficiency: expected a number >= 0\.001, got 5e-324$/],
    ['attention_efficiency', 1e-300, /attention_efficiency: expected a number >= /],
    ['memory_bw_efficiency', 1e-300, /memory_bw_efficiency: expected a number >= /],
    ['kv_bw_efficiency', 1e-300, /kv_bw_efficiency: expected a number >= /],
    ['link_bw_efficiency', 1e-300, /link_bw_efficiency: expected a number >= /],
  ])('refuses %s = %s (the step time was Infinity, printed as "∞ ms")', async (factor, value, pattern) => {
    const file = tmp.write(`${factor}.json`, JSON.stringify({ ...VLLM_PROFILE, [factor]: value }));
    const r = await perfWith(file);
    expectOneLine(r, pattern);
    expect(r.stderr.startsWith(`${file}: ${factor}: `), show(r)).toBe(true);
  });

  it('gives finite figures with every factor at its bound at once', async () => {
    const slowest = {
      ...VLLM_PROFILE, gemm_efficiency: 0.001, attention_efficiency: 0.001, memory_bw_efficiency: 0.001, kv_bw_efficiency: 0.001,
      link_bw_efficiency: 0.001, gemm_half_tokens: 1_048_576, allreduce_latency_us: 100_000, allreduce_doubling_latency_us: 100_000,
      pcie_hop_latency_us: 100_000, step_overhead_ms: 10_000, per_seq_overhead_us: 100_000, request_overhead_ms: 60_000,
    };
    const r = await perfWith(tmp.write('slowest.json', JSON.stringify(slowest)), '--json');
    expectFiniteFigures(r);
    expect(JSON.parse(r.stdout).tokens_per_s_per_replica).toBeGreaterThan(0);
  });
});

const CONFIGS = 'scenarios/data/model-configs';
const readConfig = (model: string) => JSON.parse(readFileSync(`${CONFIGS}/${model}/config.json`, 'utf8')) as Record<string, any>;
const perfConfig = (file: string, ...more: string[]) =>
  runMain(['perf', '--model-config', file, '--gpu', 'h100-80gb', '--tp', '8', '--dtype', 'fp8', ...more]);

describe('perf --model-config', () => {
  it('refuses 2^31 - 1 layers in a Qwen-MoE config with mlp_only_layers (the layer-by-layer MoE layout never ended)', async () => {
    const config = { ...readConfig('qwen3-30b-a3b'), num_hidden_layers: 2 ** 31 - 1, mlp_only_layers: Array.from({ length: 1000 }, (_, i) => i) };
    const file = tmp.write('qwen-layers.json', JSON.stringify(config));
    expectOneLine(await perfConfig(file), new RegExp(`^${file}: num_hidden_layers: expected a positive integer of at most 10000, got 2147483647$`));
  });

  it('refuses 2^31 - 1 layers in a Llama-4 config with moe_layers (ran out of memory, exit 134) and in DeepSeek-V3 (20 s)', async () => {
    const llama4 = readConfig('llama-4-scout');
    llama4.text_config = { ...llama4.text_config, num_hidden_layers: 2 ** 31 - 1, moe_layers: [1, 3] };
    delete llama4.text_config.interleave_moe_layer_step;
    const file = tmp.write('llama4-layers.json', JSON.stringify(llama4));
    expectOneLine(await perfConfig(file), /text_config\.num_hidden_layers: expected a positive integer of at most 10000/);
    const deepseek = tmp.write('deepseek-layers.json', JSON.stringify({ ...readConfig('deepseek-v3'), num_hidden_layers: 2 ** 31 - 1 }));
    expectOneLine(await perfConfig(deepseek), /num_hidden_layers: expected a positive integer of at most 10000/);
  });

  it('refuses 1e9 routed experts naming the file and field, in every MoE family (it was refused as not fitting, unnamed)', async () => {
    const mixtral = tmp.write('mixtral-experts.json', JSON.stringify({ ...readConfig('mixtral-8x7b'), num_local_experts: 1e9 }));
    expectOneLine(await perfConfig(mixtral), new RegExp(`^${mixtral}: num_local_experts: expected a positive integer of at most 4096, got 1000000000$`));
    const qwen = tmp.write('qwen-experts.json', JSON.stringify({ ...readConfig('qwen3-30b-a3b'), num_experts: 5000 }));
    expectOneLine(await perfConfig(qwen), /num_experts: expected a positive integer of at most 4096, got 5000$/);
    const deepseek = tmp.write('deepseek-experts.json', JSON.stringify({ ...readConfig('deepseek-v3'), n_routed_experts: 1e9 }));
    expectOneLine(await perfConfig(deepseek), /n_routed_experts: expected a non-negative integer of at most 4096, got 1000000000$/);
    const oss = tmp.write('oss-experts.json', JSON.stringify({ ...readConfig('gpt-oss-20b'), num_local_experts: 1e9 }));
    expectOneLine(await perfConfig(oss), /num_local_experts: expected a positive integer of at most 4096/);
  });

  it('refuses Llama-4 moe_layers past the last layer (they were ignored)', async () => {
    const llama4 = readConfig('llama-4-scout');
    llama4.text_config = { ...llama4.text_config, moe_layers: [1, 999] };
    delete llama4.text_config.interleave_moe_layer_step;
    const file = tmp.write('llama4-moe-layers.json', JSON.stringify(llama4));
    expectOneLine(await perfConfig(file), new RegExp(`^${file}: text_config\\.moe_layers: expected layer indices below num_hidden_layers 48, got \\[1,999\\]$`));
  });

  it.each([
    ['an ANSI escape', '\u001b[31mRED\u001b[0m', /got "\\u001b\[31mRED\\u001b\[0m"$/],
    ['a newline', 'evil\nsecond line', /got "evil\\nsecond line"$/],
    ['a megabyte', 'x'.repeat(1 << 20), /got "x+\.\.\."$/],
  ])('refuses a _name_or_path with %s (it was printed raw at the head of the table)', async (_what, name, pattern) => {
    const file = tmp.write('named.json', JSON.stringify({ ...readConfig('llama-3.1-8b'), _name_or_path: name }));
    const r = await perfConfig(file);
    expectOneLine(r, pattern);
    expect(r.stderr.startsWith(`${file}: _name_or_path: expected a name of at most 4096 characters without control characters`), show(r)).toBe(true);
  });

  it('escapes control characters of a folder name that names the model', async () => {
    const config = readConfig('llama-3.1-8b');
    delete config._name_or_path;
    const folder = `${tmp.dir()}/evil\u001b[31m`;
    mkdirSync(folder, { recursive: true });
    writeFileSync(`${folder}/config.json`, JSON.stringify(config));
    const r = await perfConfig(`${folder}/config.json`);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).not.toContain('\u001b');
    expect(r.stdout.startsWith('evil\\u001b[31m on 8x h100-80gb'), show(r)).toBe(true);
  });
});

const CORPUS_HEADER_LINE = 'id,split,kind,statistic,value,unit,stack,stack_version,gpu,model,dtype,kv_dtype,tp,ep,batch,request_rate_per_s,num_requests,prompt_tokens,output_tokens,lengths,source,url,licence,locator,notes';
/** A serving row (TTFT at 4 requests a second) with `cells` replaced; ids from `id`. */
function corpusRow(id: string, cells: Record<string, string> = {}): string {
  const row: Record<string, string> = {
    id, split: 'validation', kind: 'serving_ttft', statistic: 'mean', value: '50', unit: 'ms', stack: 'vllm', stack_version: '0.8.4',
    gpu: 'h100-80gb', model: 'llama-3.1-8b', dtype: 'bf16', kv_dtype: '', tp: '1', ep: '1', batch: '', request_rate_per_s: '4',
    num_requests: '200', prompt_tokens: '512', output_tokens: '128', lengths: 'fixed', source: 'hostile', url: 'https://example.com/x',
    licence: 'none', locator: 'here', notes: '', ...cells,
  };
  return CORPUS_HEADER_LINE.split(',').map((c) => row[c]).join(',');
}
const DECODE = { kind: 'decode', request_rate_per_s: '', batch: '8', num_requests: '' };

describe('fidelity and calibrate --corpus', () => {
  it.each([
    ['1e-300 written out', '0.' + '0'.repeat(299) + '1', 'a TTFT of 1.8 ms for 22: steps 1e300 s apart no longer moved the clock'],
    ['1e300 written out', '1' + '0'.repeat(300), 'a load of 2.4e298 printed'],
  ])('refuses a serving row at a request rate of %s (%s)', async (_what, rate) => {
    const file = tmp.write('rate.csv', `${CORPUS_HEADER_LINE}\n${corpusRow('r', { request_rate_per_s: rate })}\n`);
    for (const command of [['fidelity', '--split', 'all'], ['calibrate', '--stack', 'vllm', '--split', 'all']]) {
      const r = await runMain([...command, '--corpus', file]);
      expectOneLine(r, new RegExp(`^${file}:2: request_rate_per_s: expected blank or a plain decimal number from 0\\.001 to 1000000 \\(requests a second\\), got "[01]0*`));
    }
  });

  it('refuses a prompt of 2^53 - 1 tokens (its prefill was predicted as 2.4e26 ms) and 1e9 output tokens', async () => {
    const prompt = tmp.write('prompt.csv', `${CORPUS_HEADER_LINE}\n${corpusRow('p', { ...DECODE, kind: 'prefill', prompt_tokens: '9007199254740991' })}\n`);
    expectOneLine(await runMain(['fidelity', '--split', 'all', '--corpus', prompt]), new RegExp(`^${prompt}:2: prompt_tokens: expected a positive integer up to 16777216, got "9007199254740991"$`));
    const output = tmp.write('output.csv', `${CORPUS_HEADER_LINE}\n${corpusRow('o', { output_tokens: '1000000000' })}\n`);
    expectOneLine(await runMain(['fidelity', '--split', 'all', '--corpus', output]), /output\.csv:2: output_tokens: expected a positive integer up to 16777216/);
  });

  it('runs a cached-prompts row of 2^53 - 1 requests on the 5,000 it simulates (the primers were sized by the row: an array of 2^53)', async () => {
    const file = tmp.write('cached.csv', `${CORPUS_HEADER_LINE}\n${corpusRow('c', { num_requests: '9007199254740991', lengths: 'sharegpt-cached-prompts' })}\n`);
    const r = await runMain(['fidelity', '--split', 'all', '--rows', '--corpus', file]);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toMatch(/simulated 5000 of the 9007199254740991 requests/);
    const blank = tmp.write('cached-blank.csv', `${CORPUS_HEADER_LINE}\n${corpusRow('b', { num_requests: '', lengths: 'sharegpt-cached-prompts' })}\n`);
    expectOneLine(await runMain(['fidelity', '--split', 'all', '--corpus', blank]), new RegExp(`^${blank}:2: lengths: expected -cached-prompts only with num_requests \\(the prompts the earlier run sent\\), got "sharegpt-cached-prompts"$`));
  });

  it('calibrate names the split when the stack\'s rows are all of the other one (a file of one\'s own without a split column reads as validation)', async () => {
    const own = tmp.write('own.csv', 'id,kind,value,unit,stack,gpu,model,dtype,tp,batch,prompt_tokens,output_tokens\nmy-run,decode,9.8,ms,vllm,h100-80gb,llama-3.1-8b,bf16,1,32,1024,256\n');
    expectOneLine(await runMain(['calibrate', '--corpus', own, '--stack', 'vllm']), /^--split: no calibration rows of stack vllm to fit, 1 of the other split \(--split all fits every row; a file without a split column reads as validation\)$/);
    expect((await runMain(['fidelity', '--corpus', own])).code).toBe(0);
  });

  it('refuses a file of more than 100,000 rows before reading them (a million took 90 s and 3.5 GB)', async () => {
    const file = tmp.write('many.csv', `${CORPUS_HEADER_LINE}\n${'x\n'.repeat(100_001)}`);
    expectOneLine(await runMain(['fidelity', '--split', 'all', '--corpus', file]), new RegExp(`^${file}: expected at most 100,000 corpus rows, got more$`));
  });

  it('refuses files of more than 100,000 rows together, naming the one that passes the limit', async () => {
    const rows = (prefix: string) => Array.from({ length: 50_001 }, (_, i) => corpusRow(`${prefix}-${i}`, DECODE)).join('\n');
    const first = tmp.write('half-1.csv', `${CORPUS_HEADER_LINE}\n${rows('a')}\n`);
    const second = tmp.write('half-2.csv', `${CORPUS_HEADER_LINE}\n${rows('b')}\n`);
    const r = await runMain(['fidelity', '--split', 'all', '--corpus', first, second]);
    expectOneLine(r, new RegExp(`^${second}: expected at most 100,000 corpus rows in all files, got 100,002 with this one$`));
  }, 120_000); // reads 100,002 rows: about 10 s alone, several times that on a loaded machine
});

describe('served-model keys of a scenario', () => {
  const MODEL = 'fleet.models.chat';
  const shortRun = ['--set', 'duration_s=60', '--set', 'warmup_s=10', '--quiet'];

  it('names ep, not the memory fraction the scenario lowered, for ep 2 on a dense model', async () => {
    for (const command of ['validate', 'run']) {
      const r = await runMain([command, 'scenarios/kv-offload.yaml', '--set', `${MODEL}.ep=2`, ...(command === 'run' ? shortRun : [])]);
      expectOneLine(r, /^scenarios\/kv-offload\.yaml: fleet\.models\.chat\.ep: llama-3\.1-70b: ep=2: a dense model has no experts to split; use ep=1$/);
    }
  });

  it('run names the scenario file for a problem its capacity check finds (it did not)', async () => {
    const r = await runMain(['run', 'scenarios/kv-offload.yaml', '--set', `${MODEL}.batching.max_batched_tokens=10`, ...shortRun]);
    expectOneLine(r, /^scenarios\/kv-offload\.yaml: fleet\.models\.chat\.batching\.max_batched_tokens: 10 is below max_num_seqs 1024; /);
  });

  it('refuses a profile whose chunked-prefill token budget is below its batch, naming the profile (the scenario\'s batching was blamed)', async () => {
    const scheduler = { max_num_seqs: 65_536, max_batched_tokens: 1, chunked_prefill: true };
    const profile = tmp.write('small-budget.json', JSON.stringify({ ...VLLM_PROFILE, scheduler }));
    expectOneLine(await perfWith(profile), new RegExp(`^${profile}: scheduler\\.max_batched_tokens: expected at least max_num_seqs \\(65536\\) with chunked_prefill$`));
    const smaller = tmp.write('small-budget-smaller-gpus.json', JSON.stringify({
      ...VLLM_PROFILE, scheduler: { ...(VLLM_PROFILE.scheduler as object), smaller_gpus: { max_num_seqs: 256, max_batched_tokens: 8 } },
    }));
    expectOneLine(await perfWith(smaller), /scheduler\.smaller_gpus\.max_batched_tokens: expected at least max_num_seqs \(256\) with chunked_prefill$/);
  });
});
