import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMain } from '../check/run-main.ts';
import { show } from '../helpers/cli.ts';
import { expectRefusedInOneLine, userError } from '../helpers/errors.ts';
import { CORPUS_HEADER, parseCorpus, type CorpusColumn } from '../../src/fidelity/corpus.ts';
import { predictRow } from '../../src/fidelity/predict.ts';
import { baseCells, csvLine, csvText } from '../fidelity/helpers.ts';
import { suiteTempDir } from '../helpers/temp-dir.ts';
import { fleetMonthlyCost } from '../../src/fleet/llm/cost.ts';
import { getInstance, HOURS_PER_MONTH } from '../../src/cost/prices.ts';
import { loadScenario } from '../../src/scenario/load.ts';

/**
 * The seventh hostile-input campaign of 2026-12-07 (engine profiles, hardware and the newer
 * scenario keys): the failures mended that day, each failing on the code before.
 * docs/hostile-inputs.md lists them, and the ones left.
 */
const tmp = suiteTempDir('fleetsim-hostile-engines-');
const KV_OFFLOAD = 'scenarios/kv-offload.yaml';
const CHAT = 'fleet.models.chat';
const validate = (...sets: string[]) => runMain(['validate', KV_OFFLOAD, ...sets.flatMap((s) => ['--set', s])]);
/** A corpus with the engine_args column: each row's changed cells and its engine_args. */
const corpusWithArgs = (rows: [Partial<Record<CorpusColumn, string>>, string][]) =>
  [`${CORPUS_HEADER},engine_args`, ...rows.map(([over, args]) => `${csvLine(baseCells(over))},${args}`)].join('\n') + '\n';
const PERF_8B = ['perf', '--model', 'llama-3.1-8b', '--tp', '1', '--dtype', 'fp8'];

describe('TensorRT-LLM is CUDA-only', () => {
  it('perf refuses a TensorRT-LLM or NIM 1.x engine on an AMD GPU, naming --engine and --gpu (it timed them)', async () => {
    for (const [engine, gpu] of [['trtllm', 'mi300x'], ['nim-2024', 'mi300x'], ['trtllm-2024', 'mi325x']]) {
      const r = await runMain([...PERF_8B, '--gpu', gpu, '--engine', engine]);
      expectRefusedInOneLine(r, new RegExp(`^--engine ${engine} on --gpu ${gpu}: expected an NVIDIA GPU \\(TensorRT-LLM runs on CUDA only`), show(r));
    }
    const vllm = await runMain([...PERF_8B, '--gpu', 'mi300x', '--engine', 'vllm']);
    expect(vllm.code, show(vllm)).toBe(0);
  });

  it('a scenario refuses engine trtllm on gpu mi300x, naming the file and both fields (it validated)', async () => {
    const r = await validate(`${CHAT}.gpu=mi300x`, `${CHAT}.engine=trtllm`);
    expectRefusedInOneLine(r, /^scenarios\/kv-offload\.yaml: fleet\.models\.chat\.engine trtllm on fleet\.models\.chat\.gpu mi300x: expected an NVIDIA GPU/, show(r));
  });

  it('a corpus row of TensorRT-LLM on MI300X is not evaluated, with the reason, as a row of an unknown GPU (it was predicted)', () => {
    const rows = parseCorpus(csvText([
      baseCells({ id: 'trt-amd', stack: 'trtllm', stack_version: '0.12', gpu: 'mi300x', dtype: 'fp8' }),
      baseCells({ id: 'nim-amd', stack: 'nim', stack_version: '1.2', gpu: 'mi300x', dtype: 'fp8' }),
      baseCells({ id: 'vllm-amd', stack: 'vllm', stack_version: '0.6.0', gpu: 'mi300x', dtype: 'fp8' }),
    ]), 'c.csv');
    const [trt, nim, vllm] = rows.map((row) => predictRow(row));
    expect(trt).toEqual({ id: 'trt-amd', status: 'not_evaluated', reason: 'TensorRT-LLM runs on NVIDIA GPUs only, not mi300x' });
    expect(nim.status).toBe('not_evaluated');
    expect(vllm.status).toBe('predicted');
  });
});

describe("TensorRT-LLM's own options", () => {
  it('perf refuses --allreduce-fused-with-gemm outside TensorRT-LLM, naming the flag (it changed vLLM results)', async () => {
    const tp4 = ['perf', '--model', 'llama-3.1-70b', '--gpu', 'h100-80gb', '--tp', '4'];
    for (const engine of [['--engine', 'vllm'], ['--engine', 'sglang'], []]) {
      const r = await runMain([...tp4, ...engine, '--allreduce-fused-with-gemm']);
      expectRefusedInOneLine(r, /^--allreduce-fused-with-gemm: expected only with a TensorRT-LLM engine .*; engine (vllm|sglang) has no such option$/, show(r));
    }
    const trt = await runMain([...tp4, '--engine', 'nim-2024', '--allreduce-fused-with-gemm']);
    expect(trt.code, show(trt)).toBe(0);
  });

  it('a scenario refuses allreduce_fused_with_gemm on engine vllm, naming the file and field', async () => {
    const r = await validate(`${CHAT}.allreduce_fused_with_gemm=true`);
    expectRefusedInOneLine(r, /^scenarios\/kv-offload\.yaml: fleet\.models\.chat\.allreduce_fused_with_gemm: expected only with a TensorRT-LLM engine/, show(r));
  });

  it('a corpus row of vLLM refuses trtllm-bench build lengths, naming the line and column (they were applied)', () => {
    const bench = 'trtllm_bench_isl=512 trtllm_bench_osl=128';
    expect(userError(() => parseCorpus(corpusWithArgs([[{ id: 'ok' }, ''], [{ id: 'bench', stack: 'vllm' }, bench]]), 'c.csv')))
      .toMatch(/^c\.csv:3: engine_args: expected trtllm_bench_isl only on a TensorRT-LLM row \(stack trtllm, or nim before 2\.0; this one is vllm\)/);
    const trt = parseCorpus(corpusWithArgs([[{ id: 'bench', stack: 'trtllm', stack_version: '0.12' }, bench]]), 'c.csv');
    expect(trt[0].engine_args.trtllm_bench_isl).toBe(512);
  });
});

describe('multi-step runs and TGI\'s hold are not dropped under chunked prefill', () => {
  const vllmProfile = JSON.parse(readFileSync('src/perf/profiles/vllm.json', 'utf8')) as { scheduler: Record<string, unknown> };
  const withScheduler = (name: string, extra: Record<string, unknown>) =>
    tmp.write(name, JSON.stringify({ ...vllmProfile, scheduler: { ...vllmProfile.scheduler, chunked_prefill: true, ...extra } }));

  it('a profile with chunked prefill refuses decode_run_steps above 1 and admission_hold, naming file and field (they were ignored)', async () => {
    const steps = withScheduler('steps.json', { decode_run_steps: 64 });
    const r = await runMain([...PERF_8B, '--gpu', 'h100-80gb', '--calibration', steps]);
    expectRefusedInOneLine(r, new RegExp(`^${steps}: scheduler\\.decode_run_steps: expected 1 or none with chunked_prefill`), show(r));
    const hold = withScheduler('hold.json', { admission_hold: { max_waiting_steps: 20, waiting_served_ratio: 1.2 } });
    const h = await runMain([...PERF_8B, '--gpu', 'h100-80gb', '--calibration', hold]);
    expectRefusedInOneLine(h, new RegExp(`^${hold}: scheduler\\.admission_hold: expected none with chunked_prefill`), show(h));
    const one = await runMain([...PERF_8B, '--gpu', 'h100-80gb', '--calibration', withScheduler('one.json', { decode_run_steps: 1 })]);
    expect(one.code, show(one)).toBe(0);
  });

  it('a scenario refuses chunked prefill on engine vllm-0.6 or tgi, naming the field (it ran without multi-step, or without the hold)', async () => {
    const steps = await validate(`${CHAT}.engine=vllm-0.6`, `${CHAT}.batching.chunked_prefill=true`);
    expectRefusedInOneLine(steps, /^scenarios\/kv-offload\.yaml: fleet\.models\.chat\.batching\.chunked_prefill: expected false with engine vllm-0\.6, whose multi-step runs of 10 decode steps/, show(steps));
    const hold = await validate(`${CHAT}.engine=tgi`, `${CHAT}.batching.chunked_prefill=true`);
    expectRefusedInOneLine(hold, /^scenarios\/kv-offload\.yaml: fleet\.models\.chat\.batching\.chunked_prefill: expected false with engine tgi, whose hold on waiting prompts/, show(hold));
    const tgi = await validate(`${CHAT}.engine=tgi`);
    expect(tgi.code, show(tgi)).toBe(0);
  });

  it('a corpus row of TGI before 3.0 refuses enable_chunked_prefill=true, naming line and column (it was accepted)', () => {
    const rows = (version: string) => corpusWithArgs([[{ id: 'tgi', stack: 'tgi', stack_version: version }, 'enable_chunked_prefill=true']]);
    expect(userError(() => parseCorpus(rows('2.1.1'), 'c.csv'))).toMatch(/^c\.csv:2: engine_args: expected enable_chunked_prefill=true on a TGI row only from 3\.0/);
    expect(parseCorpus(rows('3.0.1'), 'c.csv')[0].engine_args.enable_chunked_prefill).toBe(true);
  });
});

describe('scenario bounds that switched a mechanism off', () => {
  it('an autoscaler max_step_up of 1 or less is refused, naming file and field (scale-up was off without a word)', async () => {
    for (const value of ['1', '1e-300', '0.5']) {
      const r = await runMain(['validate', 'scenarios/day-autoscaled.yaml', '--set', `control.autoscalers.0.max_step_up=${value}`]);
      expectRefusedInOneLine(r, new RegExp(`^scenarios/day-autoscaled\\.yaml: control\\.autoscalers\\[0\\]\\.max_step_up: expected a number above 1 .*, got ${value}$`), show(r));
    }
    const r = await runMain(['validate', 'scenarios/day-autoscaled.yaml', '--set', 'control.autoscalers.0.max_step_up=1.5']);
    expect(r.code, show(r)).toBe(0);
  });

  it('a KV tier below 0.01 GB/s or above 10 s a transfer is refused, naming file and field (requests hung while prefix savings were claimed)', async () => {
    const tier = (bandwidth: string, latency: string) => validate(`${CHAT}.kv_tiers.host={capacity_gb: 1000000, bandwidth_gb_per_s: ${bandwidth}, latency_ms: ${latency}}`);
    const slow = await tier('1e-300', '1');
    expectRefusedInOneLine(slow, /^scenarios\/kv-offload\.yaml: fleet\.models\.chat\.kv_tiers\.host\.bandwidth_gb_per_s: expected a bandwidth in GB\/s, from 0\.01 to 10000, got 1e-300$/, show(slow));
    const late = await tier('100', '60000');
    expectRefusedInOneLine(late, /^scenarios\/kv-offload\.yaml: fleet\.models\.chat\.kv_tiers\.host\.latency_ms: expected a latency in ms, at most 10000, got 60000$/, show(late));
    const edge = await tier('0.01', '10000');
    expect(edge.code, show(edge)).toBe(0);
  });

  it("a scenario model that does not fit is told to change its fields, not perf's --tp", async () => {
    const ep = await validate(`${CHAT}.model=deepseek-v3`, `${CHAT}.tp=8`, `${CHAT}.ep=8`, `${CHAT}.dtype=fp8`, `${CHAT}.gpu_memory_utilization=0.9`);
    expectRefusedInOneLine(ep, /^scenarios\/kv-offload\.yaml: fleet\.models\.chat\.ep: deepseek-v3 \(fp8\) does not fit .*; use more GPUs \(fleet\.models\.chat\.ep\) or a smaller dtype \(fleet\.models\.chat\.dtype\)$/, show(ep));
    const tp = await validate(`${CHAT}.model=llama-3.1-405b`, `${CHAT}.gpu_memory_utilization=0.9`);
    expectRefusedInOneLine(tp, /; use more GPUs \(fleet\.models\.chat\.tp\) or a smaller dtype \(fleet\.models\.chat\.dtype\)$/, show(tp));
    const perf = await runMain(['perf', '--model', 'llama-3.1-405b', '--gpu', 'h100-80gb', '--tp', '4']);
    expectRefusedInOneLine(perf, /; use more GPUs \(--tp\) or a smaller dtype$/, show(perf));
  });
});

describe('GB200 is sold as whole NVL72 racks', () => {
  const GB200 = ['fleet.models.chat.model=llama-3.1-8b', 'fleet.models.chat.gpu=gb200', 'fleet.models.chat.instance=gb200-4x', 'fleet.models.chat.tp=8'];
  const gb200 = (gpus: number, ...more: string[]) => fleetMonthlyCost(loadScenario('scenarios/chat-prefix.yaml', [...GB200, `fleet.models.chat.gpus=${gpus}`, ...more]).scenario.fleet!, 1);

  it('a GB200 pool of part of a rack is billed per tray, and the report says the bill is a lower bound (2 trays were billed without a word)', async () => {
    const hourly = getInstance('gb200-4x').usd_per_hour_2024;
    // 8 GPUs fill 2 of a rack's 18 trays: billed so (whole racks per pool misbilled shared and autoscaled racks)
    expect(gb200(8).by_component['gpu:chat']).toBeCloseTo(2 * hourly * HOURS_PER_MONTH, 6);
    expect(gb200(72).by_component['gpu:chat']).toBeCloseTo(18 * hourly * HOURS_PER_MONTH, 6);
    // a scenario's own price keeps the catalog's 4 GPUs a tray (an override was read as an 8-GPU host, half the trays billed)
    expect(gb200(8, 'fleet.prices.overrides={gb200-4x: 40}').by_component['gpu:chat']).toBeCloseTo(2 * 40 * HOURS_PER_MONTH, 6);
    const r = await runMain(['run', 'scenarios/chat-prefix.yaml', '--quiet', ...[...GB200, 'fleet.models.chat.gpus=8', 'duration_s=10', 'warmup_s=1'].flatMap((x) => ['--set', x]), '--out', join(tmp.dir(), 'gb200')]);
    expect(r.code, show(r)).toBe(0);
    const summary = JSON.parse(readFileSync(join(tmp.dir(), 'gb200', 'summary.json'), 'utf8')) as { verdict: { warnings: { code: string; message: string }[] } };
    expect(summary.verdict.warnings.find((w) => w.code === 'part_rack')?.message).toMatch(/^gpu:chat fills 2 of the 18 gb200-4x of a rack its seller sells only whole: billed per instance, a lower bound \(a whole rack lists at \$[\d,]+ a month; each region needs its own\)$/);
    const whole = await runMain(['run', 'scenarios/chat-prefix.yaml', '--quiet', ...[...GB200, 'fleet.models.chat.gpus=72', 'duration_s=10', 'warmup_s=1'].flatMap((x) => ['--set', x]), '--out', join(tmp.dir(), 'gb200-rack')]);
    expect(whole.code, show(whole)).toBe(0);
    const rack = JSON.parse(readFileSync(join(tmp.dir(), 'gb200-rack', 'summary.json'), 'utf8')) as { verdict: { warnings: { code: string }[] } };
    expect(rack.verdict.warnings.map((w) => w.code)).not.toContain('part_rack');
  });
});

