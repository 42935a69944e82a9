import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { loadCalibration } from '../../src/perf/calibration.ts';
import { ENGINE_PROFILES } from '../../src/perf/profiles.ts';
import { registerCalibrate } from '../../src/fidelity/cli-calibrate.ts';
import { registerPerf } from '../../src/perf/cli-perf.ts';
import { FIRST_TOKEN_SHORT_LOAD, NEAR_CAPACITY_LOAD } from '../../src/perf/model-error.ts';

async function run(register: (p: Command) => void, args: string[]): Promise<string> {
  const program = new Command('fleetsim').exitOverride();
  register(program);
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    await program.parseAsync(['node', 'fleetsim', ...args]);
  } finally {
    spy.mockRestore();
  }
  return out;
}

const perfJson = async (args: string[]) => JSON.parse(await run(registerPerf, ['perf', '--json', ...args])) as Record<string, number>;
const KEYS = ['prefill_ms', 'tpot_ms', 'ttft_ms', 'e2e_ms', 'max_batch', 'tokens_per_s_per_replica', 'tokens_per_s_per_gpu', 'requests_per_s_per_replica', 'usd_per_million_output_tokens'];

afterEach(() => vi.restoreAllMocks());

describe('fleetsim perf', () => {
  const base = ['--model', 'llama-2-70b', '--gpu', 'a100-80gb', '--tp', '8'];

  it('its capacity line names the rates from which first tokens read short (70%) and latency is near capacity (82%)', async () => {
    const text = await run(registerPerf, ['perf', ...base]);
    const line = text.split('\n').find((l) => l.trimStart().startsWith('capacity'))!;
    const figures = [...line.matchAll(/([\d,.]+) requests\/s per replica|from ([\d,.]+)/g)].map((m) => Number((m[1] ?? m[2]).replace(/,/g, '')));
    const [capacity, firstTokens, near] = figures;
    expect(Math.abs(capacity / (await perfJson(base)).requests_per_s_per_replica - 1)).toBeLessThan(0.01); // printed to 2 decimals
    expect(firstTokens / capacity).toBeCloseTo(FIRST_TOKEN_SHORT_LOAD, 2);
    expect(near / capacity).toBeCloseTo(NEAR_CAPACITY_LOAD, 2);
    expect(line).toContain('first tokens likely short from');
  });

  it('reads a GPU as nvidia-smi names it and a model by its Hugging Face id, as their catalog ids', async () => {
    const spelled = await perfJson(['--model', 'meta-llama/Llama-2-70b-chat-hf', '--gpu', 'NVIDIA A100-SXM4-80GB', '--tp', '8']);
    expect(spelled).toEqual(await perfJson(base));
  });

  it('--json prints the documented keys with consistent values', async () => {
    const r = await perfJson(base);
    for (const k of KEYS) expect(typeof r[k], k).toBe('number');
    expect(r.ttft_ms).toBeCloseTo(r.prefill_ms + ENGINE_PROFILES.vllm.request_overhead_ms, 6);
    expect(r.e2e_ms).toBeCloseTo(r.ttft_ms + 127 * r.tpot_ms, 6);
    expect(r.max_batch).toBe(Math.floor(r.kv_capacity_tokens / 640));
    expect(r.tokens_per_s_per_gpu).toBeCloseTo(r.tokens_per_s_per_replica / 8, 6);
    expect(r.requests_per_s_per_replica).toBeCloseTo(r.tokens_per_s_per_replica / 128, 6);
    // p4de.24xlarge current price over 8 GPUs, per million tokens
    expect(r.usd_per_million_output_tokens).toBeCloseTo((27.45 / 8 / 3600 / r.tokens_per_s_per_gpu) * 1e6, 6);
  });

  it('TPOT grows with batch; per-GPU throughput grows with batch up to max_batch', async () => {
    // the longest prompts and 0.6 of the memory: the KV cache, not the engine's 256 sequences on A100, bounds the batch
    const long = [...base, '--prompt', '3968', '--gpu-memory-utilization', '0.6'];
    const maxBatch = (await perfJson(long)).max_batch;
    expect(maxBatch).toBeLessThan(256);
    const batches = [1, 4, 16, 64, maxBatch];
    const rs = [];
    for (const b of batches) rs.push(await perfJson([...long, '--batch', String(b)]));
    for (let i = 1; i < rs.length; i++) {
      expect(rs[i].tpot_ms, `tpot at ${batches[i]}`).toBeGreaterThan(rs[i - 1].tpot_ms);
      expect(rs[i].tokens_per_s_per_gpu, `tokens/s at ${batches[i]}`).toBeGreaterThan(rs[i - 1].tokens_per_s_per_gpu);
    }
    await expect(perfJson([...long, '--batch', String(maxBatch + 1)])).rejects.toThrow(/--batch \d+: the KV cache holds at most/);
  });

  it('prints a readable table without --json', async () => {
    const text = await run(registerPerf, ['perf', ...base]);
    expect(text).toMatch(/^llama-2-70b on 8x a100-80gb, fp16, prompt 512, output 128/);
    expect(text).toMatch(/TPOT at batch 1 +\d+\.\d+ ms/);
    expect(text).toMatch(/per million output tokens/);
  });

  it("names the GEMM rate it carries to the GPU: the measured fractions, the row taken, or the assumption", async () => {
    const line = async (gpu: string, dtype: string) => (await run(registerPerf, ['perf', '--model', 'llama-3.1-8b', '--gpu', gpu, '--dtype', dtype])).split('\n').find((l) => l.includes('GEMM rate'));
    expect(await line('a100-80gb', 'bf16')).toMatch(/x1\.082 the profile's \(measured large GEMMs, BF16: 86\.9% of a100-80gb's peak, 80\.3% of h100-80gb's\)/);
    expect(await line('mi300x', 'fp8')).toMatch(/x0\.640 the profile's \(measured large GEMMs, BF16, no FP8 measurement: 51\.4% of mi300x's peak/);
    expect(await line('b200', 'fp4')).toMatch(/x1\.076 the profile's \(measured large GEMMs, FP8, no FP4 measurement: 76\.3% of b200's peak, 70\.9% of h100-80gb's\)/);
    expect(await line('l40s', 'fp8')).toMatch(/the profile's, as on h100-80gb \(assumed: no large-GEMM measurement of l40s\)/);
    expect(await line('h100-nvl', 'fp8')).toMatch(/x0\.863 the profile's \(large GEMMs as the H100 SXM's share x 0\.729 \/ 0\.844: MLPerf v4\.1 GPT-J per GPU .*, FP8: 61\.2% of h100-nvl's peak/);
    expect((await perfJson(['--model', 'llama-3.1-8b', '--gpu', 'mi300x', '--dtype', 'fp8'])).matmul_rate_vs_reference).toBeCloseTo(0.514 / 0.803, 6);
  });

  it('names what a tensor-parallel group all-reduces over: a switch\'s whole link, a PCIe ring, a direct mesh\'s own links; nothing at TP 1', async () => {
    const line = async (gpu: string, tp: string) => (await run(registerPerf, ['perf', '--model', 'llama-3-70b', '--dtype', 'fp8', '--gpu', gpu, '--tp', tp])).split('\n').find((l) => l.includes('interconnect'));
    expect(await line('mi300x', '2')).toMatch(/direct mesh of 8: a group of 2 drives 1 of its 7 links \(128 GB\/s\), tp 8 all of them/);
    expect(await line('mi300x', '8')).toMatch(/a group of 8 drives all its links/);
    expect(await line('h100-80gb-hgx4', '2')).toMatch(/direct mesh of 4: a group of 2 drives 1 of its 3 links \(300 GB\/s\)/);
    expect(await line('h100-80gb', '2')).toMatch(/through a switch: a group of 2 all-reduces at the whole link/);
    expect(await line('l40s', '4')).toMatch(/a ring of 4 cards through the host/);
    expect(await line('h100-80gb', '1')).toBeUndefined();
    // the same model and TP on the 4-GPU board runs slower than on a switched one
    const prefill = async (gpu: string) => (await perfJson(['--model', 'llama-3-70b', '--dtype', 'fp8', '--gpu', gpu, '--tp', '2', '--prompt', '4096'])).prefill_ms as number;
    expect(await prefill('h100-80gb-hgx4')).toBeGreaterThan(await prefill('h100-80gb'));
  });

  it('loads a model from a Hugging Face config', async () => {
    const cfg = fileURLToPath(new URL('./fixtures/mixtral-8x7b/config.json', import.meta.url));
    const r = await perfJson(['--model-config', cfg, '--gpu', 'h100-80gb', '--tp', '2', '--dtype', 'fp8']);
    expect(r.max_batch).toBeGreaterThan(100);
  });

  it('unknown ids and bad numbers are UserErrors naming the flag', async () => {
    await expect(perfJson(['--model', 'llama-2-70', '--gpu', 'a100-80gb'])).rejects.toThrow(/--model: unknown model "llama-2-70" \(did you mean "llama-2-70b"\?\); the nearest of the catalog's \d+: llama-2-70b, .*\(every one: docs\/step-model\.md, "The model catalog"\)$/);
    // "h100" names the SXM part, as published runs mean it; "a100" names two parts and is refused
    expect((await perfJson(['--model', 'llama-2-7b', '--gpu', 'h100'])).gpu).toBe('h100-80gb');
    await expect(perfJson(['--model', 'llama-2-7b', '--gpu', 'a100'])).rejects.toThrow(/--gpu: unknown GPU "a100" \(did you mean "a100-40gb"\?\)/);
    await expect(perfJson(['--model', 'llama-2-7b', '--gpu', 't4', '--tp', '0'])).rejects.toThrow('--tp: expected a positive integer, got "0"');
    await expect(perfJson(['--model', 'llama-2-7b', '--gpu', 'a100-80gb', '--prompt', '1.5'])).rejects.toThrow(UserError);
    await expect(perfJson(['--model', 'llama-2-7b', '--gpu', 'a100-80gb', '--prompt', '4000', '--output', '200'])).rejects.toThrow(/exceeds llama-2-7b's 4096-token context/);
    await expect(perfJson(['--model', 'llama-2-7b', '--gpu', 'a100-80gb', '--dtype', 'fp6'])).rejects.toThrow(/--dtype: expected one of/);
    await expect(perfJson(['--model', 'llama-2-7b', '--gpu', 'a100-80gb', '--dtype', 'fp4'])).rejects.toThrow(/^--dtype: a100-80gb has no FP4 tensor cores/);
  });
});

describe('fleetsim calibrate', () => {
  it('fits a profile, reports the error per point and writes a profile that perf loads', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'fleetsim-cal-')), 'profile.json');
    const csv = fileURLToPath(new URL('../../scenarios/data/splitwise/llama2-70b-a100.csv', import.meta.url));
    const text = await run(registerCalibrate, ['calibrate', '--measurements', csv, '--base', 'vllm-2023', '--fit', 'memory_bw_efficiency,step_overhead_ms', '--out', out]);
    expect(text).toMatch(/mean absolute percentage error, fitted: +\d+\.\d%/);
    expect(text).toMatch(/excluded line 32: faster than the roofline allows/);
    // a prefill and a decode point per (tp, prompt, batch, output) configuration
    expect(text.split('\n').filter((l) => /^tp\d+-p\d+-b\d+-o\d+-(prefill|decode) /.test(l)).length).toBe(112);
    expect(existsSync(out)).toBe(true);
    const profile = loadCalibration(out);
    expect(profile.fit?.fitted).toEqual(['memory_bw_efficiency', 'step_overhead_ms']);
    // factors not fitted keep the base's values
    expect(profile.gemm_efficiency).toBe(ENGINE_PROFILES['vllm-2023'].gemm_efficiency);
    // the profile feeds perf
    const r = JSON.parse(await run(registerPerf, ['perf', '--json', '--model', 'llama-2-70b', '--gpu', 'a100-80gb', '--tp', '2', '--calibration', out]));
    expect(r.tpot_ms).toBeGreaterThan(50);
    expect(r.tpot_ms).toBeLessThan(65); // Splitwise measured 54-61 ms at TP 2, batch 1
  });

  it('--max-wall-s stops the fit when it runs out and writes the best profile found by then, marked', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetsim-cal-'));
    const csv = fileURLToPath(new URL('../../scenarios/data/splitwise/llama2-70b-a100.csv', import.meta.url));
    const args = ['calibrate', '--measurements', csv, '--base', 'vllm-2023', '--fit', 'memory_bw_efficiency,step_overhead_ms'];
    await run(registerCalibrate, [...args, '--out', join(dir, 'full.json')]);
    expect(loadCalibration(join(dir, 'full.json')).fit?.stopped).toBe('converged');
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      // a microsecond: the start point is evaluated, then the clock passes the bound long before the
      // four simplices (hundreds of evaluations over 112 points) could converge
      await run(registerCalibrate, [...args, '--max-wall-s', '0.000001', '--out', join(dir, 'cut.json')]);
      expect(err.mock.calls.map((c) => String(c[0])).join('')).toMatch(/^calibrate: --max-wall-s 0\.000001 ran out before the fit converged: the profile is the best found by then/m);
    } finally {
      err.mockRestore();
    }
    const cut = loadCalibration(join(dir, 'cut.json'));
    expect(cut.fit?.stopped).toBe('deadline');
    expect(cut.fit!.mape_pct).toBeGreaterThanOrEqual(loadCalibration(join(dir, 'full.json')).fit!.mape_pct);
    await expect(run(registerCalibrate, [...args, '--max-wall-s', '-1'])).rejects.toThrow(/^--max-wall-s: expected seconds in \(0, 604800\], got "-1"$/);
  });

  it("the vllm profile's batch follows vLLM 0.9's defaults by GPU, and perf says when it binds", async () => {
    const small = ['--model', 'llama-3.1-8b', '--tp', '1'];
    // the KV cache holds about 700 sequences of 640 tokens on an 80 GB card: the engine's limit binds first on A100 and L40S
    expect((await perfJson([...small, '--gpu', 'a100-80gb'])).throughput_batch).toBe(256);
    expect((await perfJson([...small, '--gpu', 'l40s'])).throughput_batch).toBe(256);
    const h100 = await perfJson([...small, '--gpu', 'h100-80gb']);
    expect(h100.throughput_batch).toBe(h100.max_batch);
    expect(h100.max_batch).toBeGreaterThan(256);
    expect(await run(registerPerf, ['perf', ...small, '--gpu', 'a100-80gb'])).toMatch(/throughput at batch 256 .*the batch is the engine's max_num_seqs/);
    expect(await run(registerPerf, ['perf', ...small, '--gpu', 'h100-80gb'])).not.toMatch(/engine's max_num_seqs/);
  });

  it("perf names the KV cache's dtype where the engine keeps it apart from the weights'", async () => {
    const fp8 = ['perf', '--model', 'llama-3.1-70b', '--gpu', 'h100-80gb', '--tp', '2', '--dtype', 'fp8'];
    expect(await run(registerPerf, [...fp8, '--engine', 'vllm'])).toMatch(/^llama-3\.1-70b on 2x h100-80gb, fp8 \(KV cache fp16\), /);
    expect(await run(registerPerf, [...fp8, '--engine', 'trtllm'])).toMatch(/^llama-3\.1-70b on 2x h100-80gb, fp8, /);
    expect((await perfJson([...fp8.slice(1), '--engine', 'vllm', '--kv-dtype', 'fp8'])).kv_dtype).toBe('fp8');
  });

  it("perf sizes the KV cache by the engine's memory rule and names the setting; either flag overrides it, not both", async () => {
    const one = ['--model', 'llama-3.1-70b', '--gpu', 'h100-80gb', '--dtype', 'fp8', '--kv-dtype', 'fp8', '--prompt', '128', '--output', '2048'];
    const trt = await perfJson([...one, '--engine', 'trtllm']);
    const vllm = await perfJson([...one, '--engine', 'vllm']);
    expect(trt.memory_setting).toEqual({ name: 'kv_cache_free_gpu_mem_fraction', fraction: 0.9 });
    expect(vllm.memory_setting).toEqual({ name: 'gpu_memory_utilization', fraction: 0.9 });
    // the same weights and reserve: TensorRT-LLM's rule keeps twice vLLM's cache and more here
    expect(trt.kv_capacity_tokens / vllm.kv_capacity_tokens).toBeGreaterThan(2);
    expect((await perfJson([...one, '--engine', 'trtllm', '--gpu-memory-utilization', '0.9'])).kv_capacity_tokens).toBe(vllm.kv_capacity_tokens);
    expect((await perfJson([...one, '--engine', 'vllm', '--kv-cache-free-gpu-mem-fraction', '0.9'])).kv_capacity_tokens).toBe(trt.kv_capacity_tokens);
    expect(await run(registerPerf, ['perf', ...one, '--engine', 'trtllm'])).toMatch(/KV cache +[\d,]+ tokens = max batch \d+ x 2176 tokens \(kv_cache_free_gpu_mem_fraction 0\.9\)/);
    await expect(run(registerPerf, ['perf', ...one, '--gpu-memory-utilization', '0.9', '--kv-cache-free-gpu-mem-fraction', '0.95'])).rejects.toThrow(UserError);
    await expect(run(registerPerf, ['perf', ...one, '--kv-cache-free-gpu-mem-fraction', '1.2'])).rejects.toThrow(/--kv-cache-free-gpu-mem-fraction: expected a number in \(0, 1\]/);
  });

  it('perf reads an engine built with its GEMMs fused to their all-reduces: the TP 8 prefill of a long prompt shorter, the TP 1 one unchanged', async () => {
    const tp8 = ['--model', 'llama-3.1-405b', '--gpu', 'h200', '--tp', '8', '--dtype', 'fp8', '--engine', 'trtllm', '--prompt', '9429', '--output', '685'];
    const plain = await perfJson(tp8);
    const fused = await perfJson([...tp8, '--allreduce-fused-with-gemm']);
    // at TP 8 the unfused all-reduces are about a third of this prefill (docs/step-model.md)
    expect(fused.prefill_ms / plain.prefill_ms).toBeLessThan(0.75);
    expect(fused.prefill_ms / plain.prefill_ms).toBeGreaterThan(0.5);
    const tp1 = ['--model', 'llama-3-8b', '--gpu', 'h200', '--dtype', 'fp8', '--engine', 'trtllm'];
    expect((await perfJson([...tp1, '--allreduce-fused-with-gemm'])).prefill_ms).toBe((await perfJson(tp1)).prefill_ms);
  });

  it('perf names a known bias of the model where it has one (DeepSeek-style MLA), and none elsewhere', async () => {
    const ds = await perfJson(['--model', 'deepseek-v3', '--gpu', 'h200', '--tp', '8', '--dtype', 'fp8']);
    expect(ds.known_bias).toMatch(/first tokens of DeepSeek-style MLA models 23-91% short of published runs at low load/);
    expect(await run(registerPerf, ['perf', '--model', 'deepseek-v3', '--gpu', 'h200', '--tp', '8', '--dtype', 'fp8'])).toMatch(/^ {2}known bias +deepseek-v3: /m);
    expect((await perfJson(['--model', 'llama-3.1-8b', '--gpu', 'h100-80gb'])).known_bias).toBeUndefined();
  });

  it('perf names the Blackwell GPUs\' known bias, alone or beside the model\'s, and none on Hopper', async () => {
    for (const gpu of ['b200', 'gb200']) {
      expect((await perfJson(['--model', 'llama-3.1-8b', '--gpu', gpu, '--dtype', 'fp8'])).known_bias, gpu).toMatch(new RegExp(`^${gpu}: fleetsim reads Blackwell GPUs 1\\.3-1\\.6x faster`));
    }
    const both = (await perfJson(['--model', 'deepseek-v3', '--gpu', 'b200', '--tp', '8', '--dtype', 'fp8'])).known_bias as unknown as string;
    expect(both).toMatch(/^deepseek-v3: .*; b200: fleetsim reads Blackwell GPUs/);
    expect((await perfJson(['--model', 'llama-3.1-8b', '--gpu', 'h200', '--dtype', 'fp8'])).known_bias).toBeUndefined();
  });

  it('perf names the INT4 W4A16 bias on the two GPUs it was measured on, its direction each, and not for other dtypes or GPUs', async () => {
    expect((await perfJson(['--model', 'llama-3.1-70b', '--gpu', 'a100-80gb', '--dtype', 'int4'])).known_bias).toMatch(/^int4 on a100-80gb: .* about 27% slow, /);
    expect((await perfJson(['--model', 'llama-3.1-70b', '--gpu', 'h100-80gb', '--dtype', 'int4'])).known_bias).toMatch(/^int4 on h100-80gb: .* about 27% fast, /);
    expect((await perfJson(['--model', 'llama-3.1-70b', '--gpu', 'h100-80gb', '--dtype', 'fp8'])).known_bias).toBeUndefined();
    expect((await perfJson(['--model', 'llama-3.1-70b', '--gpu', 'h200', '--dtype', 'int4'])).known_bias).toBeUndefined();
  });

  it('perf names the Mistral 7B on Hopper bias there, and not on A100 or for another grouped-query model on Hopper', async () => {
    for (const gpu of ['h100-80gb', 'h200']) {
      expect((await perfJson(['--model', 'mistral-7b', '--gpu', gpu])).known_bias, gpu).toMatch(new RegExp(`^mistral-7b on ${gpu}: published runs of Mistral 7B on Hopper`));
    }
    // a fine-tune's name is its base's, and so is its bias
    expect((await perfJson(['--model', 'mistral-7b-instruct-v0.1', '--gpu', 'h100'])).known_bias).toMatch(/^mistral-7b on h100-80gb: /);
    expect((await perfJson(['--model', 'mistral-7b', '--gpu', 'a100-80gb'])).known_bias).toBeUndefined();
    expect((await perfJson(['--model', 'llama-3-8b', '--gpu', 'h100-80gb'])).known_bias).toBeUndefined();
  });

  it('perf names the vLLM V0 engine\'s bias on Hopper and MI300X, and not for later engines or on A100', async () => {
    for (const gpu of ['h100-80gb', 'h200', 'mi300x']) {
      expect((await perfJson(['--model', 'llama-2-70b', '--gpu', gpu, '--dtype', 'fp8', '--engine', 'vllm-v0'])).known_bias, gpu)
        .toMatch(new RegExp(`^vllm-v0 on ${gpu}: published runs of vLLM's V0 engine scheduling every step`));
    }
    for (const engine of ['vllm', 'vllm-0.6']) {
      expect((await perfJson(['--model', 'llama-2-70b', '--gpu', 'h200', '--dtype', 'fp8', '--engine', engine])).known_bias, engine).toBeUndefined();
    }
    expect((await perfJson(['--model', 'llama-2-70b', '--gpu', 'a100-80gb', '--tp', '2', '--engine', 'vllm-v0'])).known_bias).toBeUndefined();
  });

  it('a profile whose smaller_gpus is malformed is refused in one line naming the field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetsim-cal-'));
    const file = join(dir, 'p.json');
    const scheduler = { ...ENGINE_PROFILES.vllm.scheduler, smaller_gpus: { max_num_seqs: 0, max_batched_tokens: 2048 } };
    writeFileSync(file, JSON.stringify({ ...ENGINE_PROFILES.vllm, scheduler }));
    expect(() => loadCalibration(file)).toThrow(/p\.json: scheduler\.smaller_gpus\.max_num_seqs: /);
  });

  it('an unknown factor or engine is refused, naming the flag', async () => {
    const csv = fileURLToPath(new URL('../../scenarios/data/splitwise/llama2-70b-a100.csv', import.meta.url));
    await expect(run(registerCalibrate, ['calibrate', '--measurements', csv, '--fit', 'gemm_eficiency'])).rejects.toThrow(/--fit: unknown factor "gemm_eficiency"/);
    await expect(run(registerCalibrate, ['calibrate', '--measurements', csv, '--base', 'vlm'])).rejects.toThrow(/--base: unknown engine profile "vlm" \(did you mean "vllm"\?\)/);
    await expect(perfJson(['--model', 'llama-2-7b', '--gpu', 'a100-80gb', '--engine', 'tensorrt'])).rejects.toThrow(/--engine: unknown engine profile "tensorrt"/);
    await expect(perfJson(['--model', 'llama-2-70b', '--gpu', 'h100-80gb', '--tp', '3'])).rejects.toThrow(/^--tp: llama-2-70b: 64 attention heads cannot be split over tp=3 GPUs$/);
  });

  it('a measurement file naming an unknown GPU asks for --gpu; a bad row is named by file, line and column', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetsim-cal-'));
    const csv = join(dir, 'm.csv');
    writeFileSync(csv, 'model,hardware,prompt_size,batch_size,token_size,prompt_time,token_time,tensor_parallel\nllama2-70b,tpu-v5e,512,1,128,100,40,8\n');
    await expect(run(registerCalibrate, ['calibrate', '--measurements', csv])).rejects.toThrow(/m\.csv:2: hardware: "tpu-v5e" is not in the catalog .*pass --gpu/);
    // a TP degree the model cannot take names the row and its column, not a flag never given
    writeFileSync(csv, 'model,hardware,prompt_size,batch_size,token_size,prompt_time,token_time,tensor_parallel\nllama2-70b,a100-80gb,512,1,128,100,40,8\nllama2-70b,a100-80gb,512,1,128,100,40,3\n');
    await expect(run(registerCalibrate, ['calibrate', '--measurements', csv])).rejects.toThrow(/m\.csv:3: tensor_parallel: llama-2-70b: 64 attention heads cannot be split over tp=3 GPUs/);
    writeFileSync(csv, 'model,hardware,prompt_size,batch_size,token_size,prompt_time,token_time,tensor_parallel\nllama2-70b,a100-80gb,512,one,128,100,40,8\n');
    await expect(run(registerCalibrate, ['calibrate', '--measurements', csv])).rejects.toThrow(/m\.csv:2: batch_size: expected a positive integer, got "one"/);
  });
});
