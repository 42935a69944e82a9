import { describe, expect, it } from 'vitest';
import { GPUS } from '../../src/perf/hardware.ts';
import { catalogModelId, getModel, nameDtype } from '../../src/perf/lookup.ts';
import { sizeReplica } from '../../src/perf/memory.ts';
import type { ModelId } from '../../src/perf/models.ts';
import { fleetsim, show } from '../helpers/cli.ts';

/**
 * Models that published benchmarks name, as they name them (organisation, -Instruct, -Chat, -hf,
 * release tags), which `perf --model` and a corpus row refused before the catalog held them or
 * their base's shape (models.ts, lookup.ts MODEL_ALIASES).
 */
const BENCHMARK_NAMES: readonly [string, ModelId][] = [
  ['Qwen/Qwen2.5-0.5B', 'qwen2.5-0.5b'],
  ['Qwen/Qwen2.5-1.5B-Instruct', 'qwen2.5-1.5b'],
  ['Qwen/Qwen2.5-3B-Instruct', 'qwen2.5-3b'],
  ['Qwen/Qwen3-0.6B', 'qwen3-0.6b'],
  ['Qwen/Qwen3-1.7B', 'qwen3-1.7b'],
  ['Qwen/Qwen3-4B', 'qwen3-4b'],
  ['Qwen/Qwen1.5-14B-Chat', 'qwen1.5-14b'],
  ['Qwen/Qwen1.5-72B', 'qwen1.5-72b'],
  ['Qwen/Qwen1.5-110B-Chat', 'qwen1.5-110b'],
  ['Qwen/Qwen2-57B-A14B-Instruct', 'qwen2-57b-a14b'],
  ['Qwen/QwQ-32B', 'qwen2.5-32b'],
  ['Qwen/QwQ-32B-Preview', 'qwen2.5-32b'],
  ['Qwen/Qwen2.5-Coder-32B-Instruct', 'qwen2.5-32b'],
  ['Qwen/Qwen2.5-Coder-14B-Instruct', 'qwen2.5-14b'],
  ['Qwen/Qwen2.5-Coder-7B-Instruct', 'qwen2.5-7b'],
  ['codellama/CodeLlama-7b-Instruct-hf', 'codellama-7b'],
  ['codellama/CodeLlama-13b-hf', 'codellama-13b'],
  ['codellama/CodeLlama-70b-Instruct-hf', 'codellama-70b'],
  ['tiiuae/falcon-7b-instruct', 'falcon-7b'],
  ['tiiuae/falcon-40b', 'falcon-40b'],
  ['mosaicml/mpt-7b-chat', 'mpt-7b'],
  ['mosaicml/mpt-30b-instruct', 'mpt-30b'],
  ['lmsys/vicuna-7b-v1.5', 'llama-2-7b'],
  ['lmsys/vicuna-13b-v1.5', 'llama-2-13b'],
  ['lmsys/vicuna-13b-v1.3', 'llama-13b'],
  ['lmsys/vicuna-33b-v1.3', 'llama-33b'],
  ['deepseek-ai/DeepSeek-V2-Chat', 'deepseek-v2'],
  ['deepseek-ai/DeepSeek-V2-Lite-Chat', 'deepseek-v2-lite'],
  ['meta-llama/Llama-3.2-11B-Vision-Instruct', 'llama-3.2-11b-vision'],
  ['microsoft/phi-4', 'phi-4'],
  ['microsoft/Phi-3.5-mini-instruct', 'phi-3.5-mini'],
  ['microsoft/Phi-3.5-MoE-instruct', 'phi-3.5-moe'],
  ['google/gemma-7b-it', 'gemma-7b'],
  ['google/gemma-2b', 'gemma-2b'],
  ['mistralai/Mistral-Small-24B-Instruct-2501', 'mistral-small-24b'],
  ['mistralai/Mistral-Nemo-Instruct-2407', 'mistral-nemo-12b'],
  ['ibm-granite/granite-3.1-8b-instruct', 'granite-3.1-8b'],
  ['nvidia/Llama-3.1-Nemotron-70B-Instruct-HF', 'llama-3.1-70b'],
  ['CohereForAI/c4ai-command-r-plus', 'command-r-plus'],
  ['CohereForAI/c4ai-command-r-plus-08-2024', 'command-r-plus'],
  ['CohereForAI/c4ai-command-r-v01', 'command-r'],
  ['CohereForAI/c4ai-command-r-08-2024', 'command-r-08-2024'],
];

describe('models named as benchmarks write them', () => {
  it('each resolves to the catalog entry of its shape', () => {
    for (const [name, id] of BENCHMARK_NAMES) expect(catalogModelId(name), name).toBe(id);
  });

  it('a release whose shape differs from its namesake is not read as it', () => {
    // Command R 08-2024 has 8 KV heads where v01 has 64: taking "-2024" off must not reach command-r
    expect(getModel('CohereForAI/c4ai-command-r-08-2024').kv_heads).toBe(8);
    expect(getModel('CohereForAI/c4ai-command-r-v01').kv_heads).toBe(64);
    // Vicuna v1.3 is LLaMA 1 (2,048 positions), v1.5 Llama 2 (4,096); the 16K release is no catalog shape
    expect(getModel('lmsys/vicuna-7b-v1.3').max_context).toBe(2048);
    expect(getModel('lmsys/vicuna-7b-v1.5').max_context).toBe(4096);
    expect(catalogModelId('lmsys/vicuna-7b-v1.5-16k')).toBeUndefined();
  });

  it('perf --model takes the Hugging Face name and reports the catalog model it sized', async () => {
    const r = await fleetsim(['perf', '--model', 'Qwen/Qwen2.5-3B-Instruct', '--gpu', 'h100-80gb', '--tp', '1', '--json']);
    expect(r.code, show(r)).toBe(0);
    expect(JSON.parse(r.stdout).model).toBe('qwen2.5-3b');
  });
});

describe('weights per GPU against the published parameter counts (within 5%)', () => {
  const h100 = GPUS['h100-80gb'];
  // [name, tp, dtype, published parameters, source of the count]
  const cases: [string, number, 'fp16' | 'bf16', number, string][] = [
    ['tiiuae/falcon-40b', 2, 'fp16', 40e9, 'model card: 40B'],
    ['deepseek-ai/DeepSeek-V2-Lite', 1, 'bf16', 15.7e9, 'model card: 15.7B'],
    ['microsoft/phi-4', 1, 'bf16', 14.7e9, 'F16 GGUF of the released weights: 14.7B'],
    ['meta-llama/Llama-3.2-11B-Vision-Instruct', 1, 'bf16', 10.6e9, 'Meta model card: 11B (10.6), image encoder included'],
    ['Qwen/Qwen2.5-0.5B', 1, 'bf16', 0.49e9, 'model card: 0.49B, tied embeddings'],
    ['CohereForAI/c4ai-command-r-plus', 8, 'bf16', 104e9, 'model card: 104B, tied embeddings'],
  ];
  it.each(cases)('%s at TP %i in %s', (name, tp, dtype, published) => {
    const s = sizeReplica({ model: getModel(name), gpu: h100, tp, dtype });
    expect(Math.abs(s.weightBytesPerGpu / ((published * 2) / tp) - 1)).toBeLessThan(0.05);
  });
});

describe('a checkpoint format in the name', () => {
  it('states the weight dtype perf takes without --dtype (it sized Llama-3.1-70B-Instruct-FP8 at FP16 without a word)', () => {
    expect(nameDtype('meta-llama/Meta-Llama-3.1-70B-Instruct-FP8')).toBe('fp8');
    expect(nameDtype('RedHatAI/Meta-Llama-3.1-8B-Instruct-FP8-dynamic')).toBe('fp8');
    expect(nameDtype('hugging-quants/Meta-Llama-3.1-70B-Instruct-AWQ-INT4')).toBe('int4');
    expect(nameDtype('Qwen/Qwen2.5-7B-Instruct-GPTQ-Int8')).toBe('int8');
    expect(nameDtype('meta-llama/Llama-3.1-70B-Instruct')).toBeUndefined();
    // a catalog id that ends in a format is the model, not a dtype: Meta's own FP8 405B
    expect(nameDtype('llama-3.1-405b-meta-fp8')).toBeUndefined();
  });

  it('perf sizes a -FP8 name at FP8 (half the FP16 weights) and --dtype still decides', async () => {
    const weights = async (extra: string[]) => {
      const r = await fleetsim(['perf', '--model', 'Meta-Llama-3.1-70B-Instruct-FP8', '--gpu', 'h100-80gb', '--tp', '2', '--json', ...extra]);
      expect(r.code, show(r)).toBe(0);
      const s = JSON.parse(r.stdout) as { dtype: string; weight_gb_per_gpu: number };
      return s;
    };
    const named = await weights([]);
    const given = await weights(['--dtype', 'bf16']);
    expect([named.dtype, given.dtype]).toEqual(['fp8', 'bf16']);
    expect(named.weight_gb_per_gpu / given.weight_gb_per_gpu).toBeCloseTo(0.5, 1);
  });
});
