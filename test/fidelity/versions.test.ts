import { describe, expect, it } from 'vitest';
import { CORPUS_HEADER, parseCorpus } from '../../src/fidelity/corpus.ts';
import { profileFor, stackEngine, stacksWithoutProfile } from '../../src/fidelity/predict.ts';
import { ENGINE_PROFILES } from '../../src/perf/profiles.ts';
import { versionAtLeast } from '../../src/fidelity/versions.ts';
import { catalogGpuId, getGpu } from '../../src/perf/lookup.ts';
import { baseCells, csvLine, csvText } from './helpers.ts';

describe('a TensorRT-LLM serving row batches in flight in any release', () => {
  // requests that arrive at a rate or from a client loop are served by the batch manager: a serving
  // row of a release before 0.10 that does not say how it batched is not the session runtime's
  const row = (kind: string, args = '') => {
    const cells = baseCells({ stack: 'trtllm', stack_version: '0.9.0', kind, unit: 'ms', batch: kind === 'decode' ? '8' : '', request_rate_per_s: kind === 'decode' ? '' : '2' });
    return parseCorpus(`${CORPUS_HEADER},engine_args\n${csvLine(cells)},${args}\n`, 'c.csv')[0];
  };

  it('takes the in-flight profile of its era for a serving row, the session runtime\'s for a static batch', () => {
    expect(profileFor(row('serving_ttft'), {})).toBe(ENGINE_PROFILES['trtllm-2024']);
    expect(profileFor(row('decode'), {})).toBe(ENGINE_PROFILES['trtllm-session']);
    // a serving row that says its engine ran static batches keeps them
    expect(profileFor(row('serving_ttft', 'batching_type=STATIC'), {})).toBe(ENGINE_PROFILES['trtllm-session']);
  });
});

describe('stack versions and the engine profile of a row', () => {
  it('compares versions by their numbers, part by part; an unnumbered one counts as current', () => {
    expect(versionAtLeast('0.9.0', '0.14')).toBe(false);
    expect(versionAtLeast('0.10.0', '0.9')).toBe(true); // numbers, not strings: 10 > 9
    expect(versionAtLeast('v0.14', '0.14')).toBe(true);
    expect(versionAtLeast('1.0', '0.14')).toBe(true);
    expect(versionAtLeast('0.14.0rc1', '0.14.1')).toBe(false);
    expect(versionAtLeast('unknown', '0.14')).toBe(true);
  });

  it('TensorRT-LLM, NIM and TGI rows take the profile of their era; Splitwise is the vLLM of 2023', () => {
    // before 0.10 the published figures are static batches of the session runtime: no per-sequence cost
    expect(stackEngine('trtllm', '0.9.0')).toBe('trtllm-session');
    expect(stackEngine('trtllm', '0.5.0')).toBe('trtllm-session');
    expect(stackEngine('trtllm', '0.17.0')).toBe('trtllm');
    // the era boundary: the published throughput steps up at 0.11 (data/corpus/fresh-trtllm.csv)
    expect(stackEngine('trtllm', '0.10.0')).toBe('trtllm-2024');
    expect(stackEngine('trtllm', '0.11.0')).toBe('trtllm-0.11');
    // 0.11-0.13: the trtllm factors with the GEMM efficiency of MLPerf v4.1's TensorRT-LLM 0.12
    expect(stackEngine('trtllm', '0.12.0.dev2024071600')).toBe('trtllm-0.11');
    expect(stackEngine('trtllm', '0.13.0')).toBe('trtllm-0.11');
    expect(stackEngine('trtllm', '0.14.0')).toBe('trtllm');
    // a run that says how TensorRT-LLM batched it: before 0.10 in flight is the batch manager's
    // profile, not the session runtime's (MLPerf v4.0's harness); a static batch is the session's in any release
    expect(stackEngine('trtllm', '0.8.0.dev20240206', { batching_type: 'INFLIGHT' })).toBe('trtllm-2024');
    expect(stackEngine('trtllm', '0.9.0', { batching_type: 'STATIC' })).toBe('trtllm-session');
    expect(stackEngine('trtllm', '0.17.0', { batching_type: 'INFLIGHT' })).toBe('trtllm');
    expect(stackEngine('trtllm', '0.17.0', { batching_type: 'STATIC' })).toBe('trtllm-session');
    expect(stackEngine('nim', '1.8.0')).toBe('trtllm');
    // NIM 1.0 (June 2024) shipped before TensorRT-LLM 0.11: its own profile, fitted on the course dataset of its Llama 3 containers
    expect(stackEngine('nim', '1.0')).toBe('nim-2024');
    expect(stackEngine('nim', '1.0.3')).toBe('nim-2024');
    expect(stackEngine('nim', '1.1.0')).toBe('trtllm');
    expect(stackEngine('nim', '1.15.5')).toBe('trtllm');
    // NIM 2.0 serves with vLLM alone (its release notes); an unnumbered NIM is current, so vLLM's
    expect(stackEngine('nim', '2.0.1')).toBe('vllm');
    expect(stackEngine('nim', 'unknown')).toBe('vllm');
    expect(stackEngine('splitwise-vllm', 'unknown')).toBe('vllm-2023');
    expect(stackEngine('tgi', '2.1')).toBe('tgi');
    expect(stackEngine('tgi', '3.0.1')).toBe('vllm'); // chunked prefill: not the 2.x router's hold
    expect(stackEngine('lmdeploy', '0.6')).toBe('vllm');
    // SGLang before its overlap scheduler (0.4) is a profile of its own; an unnumbered version is current
    // vLLM 0.6 as its published serving benchmarks ran it (multi-step scheduling)
    expect(stackEngine('vllm', '0.6.0')).toBe('vllm-0.6');
    expect(stackEngine('vllm', '0.6.3')).toBe('vllm-0.6');
    // the V0 engine scheduling every step, before multi-step (0.6) and the V1 engine (0.8)
    expect(stackEngine('vllm', '0.4.2')).toBe('vllm-v0');
    expect(stackEngine('vllm', '0.5.4')).toBe('vllm-v0');
    // 0.7 still ran V0 by default, one step at a time; V1 became the default in 0.8.0
    expect(stackEngine('vllm', '0.7.0')).toBe('vllm-v0');
    expect(stackEngine('vllm', '0.7.3', { num_scheduler_steps: 8 })).toBe('vllm-0.6');
    expect(stackEngine('vllm', '0.8.0')).toBe('vllm');
    expect(stackEngine('vllm', '0.8.0.dev')).toBe('vllm');
    expect(stackEngine('sglang', '0.3.0')).toBe('sglang-0.3');
    expect(stackEngine('sglang', '0.4.0')).toBe('sglang');
    expect(stackEngine('sglang', 'unknown')).toBe('sglang');
  });
});

describe('stack names', () => {
  it('reads the spellings publishers use as the stack they name, so a row keeps its own profile', () => {
    const spellings = ['tensorrt-llm', 'tensorrt_llm', 'trt-llm', 'nvidia-nim', 'text-generation-inference', 'lmdeploy', 'vllm'];
    const rows = parseCorpus(csvText(spellings.map((stack, i) => baseCells({ id: `synthetic-${i}`, stack, stack_version: '0.17.0' }))), 'c.csv');
    expect(rows.map((r) => r.stack)).toEqual(['trtllm', 'trtllm', 'trtllm', 'nim', 'tgi', 'lmdeploy', 'vllm']);
    expect(stackEngine(rows[0].stack, rows[0].stack_version)).toBe('trtllm');
    // the one stack without a profile of its own is named, with its rows
    expect(stacksWithoutProfile(rows)).toEqual([{ stack: 'lmdeploy', rows: 1 }]);
  });
});

describe('GPU names', () => {
  it('reads the spellings benchmark pages use for one catalog part as that part, and leaves an ambiguous one to be refused', () => {
    const spellings = ['h100', 'h100-sxm5', 'h100-80gb-hbm3', 'a100-sxm4-80gb', 'a100-40gb-sxm', 'h200-141gb', 'h100-80gb', 'a100'];
    const rows = parseCorpus(csvText(spellings.map((gpu, i) => baseCells({ id: `synthetic-${i}`, gpu }))), 'c.csv');
    expect(rows.map((r) => r.gpu)).toEqual(['h100-80gb', 'h100-80gb', 'h100-80gb', 'a100-80gb', 'a100-40gb', 'h200', 'h100-80gb', 'a100']);
    // "a100" names two parts (40 and 80 GB): the row is not evaluated, with the nearest ids
    expect(() => getGpu(catalogGpuId('a100'))).toThrow(/unknown GPU "a100" \(did you mean "a100-40gb"\?\)/);
  });
});

describe('vLLM 0.6 without multi-step', () => {
  it('takes vllm-v0, the V0 engine scheduling every step; with multi-step, or unstated, vllm-0.6', () => {
    const row = (id: string, args: string) => `${csvLine(baseCells({ id, stack: 'vllm', stack_version: '0.6.1' }))},${args}`;
    const text = [`${CORPUS_HEADER},engine_args`, row('synthetic-single', 'num_scheduler_steps=1'), row('synthetic-multi', 'num_scheduler_steps=10'), row('synthetic-unstated', '')].join('\n') + '\n';
    const [single, multi, unstated] = parseCorpus(text, 'c.csv');
    expect(profileFor(single, {})).toBe(ENGINE_PROFILES['vllm-v0']);
    expect(profileFor(multi, {})).toBe(ENGINE_PROFILES['vllm-0.6']);
    expect(profileFor(unstated, {})).toBe(ENGINE_PROFILES['vllm-0.6']);
    // the eras differ in the engine's cost per sequence alone
    const v0 = ENGINE_PROFILES['vllm-v0'], v1 = ENGINE_PROFILES.vllm;
    expect(v0.per_seq_overhead_us).toBeGreaterThan(v1.per_seq_overhead_us);
    for (const k of ['gemm_efficiency', 'attention_efficiency', 'memory_bw_efficiency', 'kv_bw_efficiency', 'link_bw_efficiency', 'step_overhead_ms'] as const) expect(v0[k], k).toBe(v1[k]);
    // and in the cost per request, each fitted on its era's serving rows (V1's through its API
    // server 2026-12-06, V0's 2026-12-07): V0 tokenised, queued and prefilled eagerly in the loop
    // that drives the engine, which V1 moved out of the first token's way
    expect(v0.request_overhead_ms).toBe(ENGINE_PROFILES['vllm-0.6'].request_overhead_ms);
    expect(v0.request_overhead_ms).toBeGreaterThan(v1.request_overhead_ms);
  });
});
