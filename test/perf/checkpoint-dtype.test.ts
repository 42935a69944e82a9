import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { readCheckpointDtype, weightDtypeFor } from '../../src/perf/checkpoint-dtype.ts';
import { loadHfConfig } from '../../src/perf/hf-config.ts';
import { getGpu, getModel } from '../../src/perf/lookup.ts';
import { resolveServed } from '../../src/fleet/llm/build.ts';
import { loadScenario } from '../../src/scenario/load.ts';
import { prepare } from '../../src/scenario/prepare.ts';
import { fleetsim, REPO, show } from '../helpers/cli.ts';

const CONFIGS = join(REPO, 'scenarios/data/model-configs');
const dtypeOf = (cfg: Record<string, unknown>) => readCheckpointDtype([cfg], 'c.json')?.dtype;

/**
 * A config.json's checkpoint dtype, as the engines read it when not told otherwise (vLLM's
 * `--dtype auto` and its quantisation detection): the formats' own config spellings are the
 * independent truth (transformers' quantizer configs, LLM Compressor, ModelOpt).
 */
describe("a config.json's checkpoint dtype", () => {
  it('reads quantization_config first, torch_dtype (or dtype) else', () => {
    expect(dtypeOf({ quantization_config: { quant_method: 'fp8', weight_block_size: [128, 128] }, torch_dtype: 'bfloat16' })).toBe('fp8');
    expect(dtypeOf({ quantization_config: { quant_method: 'awq', bits: 4, group_size: 128 } })).toBe('int4');
    expect(dtypeOf({ quantization_config: { quant_method: 'gptq', bits: 8 } })).toBe('int8');
    expect(dtypeOf({ quantization_config: { quant_method: 'bitsandbytes', load_in_4bit: true } })).toBe('int4');
    expect(dtypeOf({ quantization_config: { quant_method: 'modelopt', quant_algo: 'NVFP4' } })).toBe('fp4');
    const tensors = (groups: Record<string, unknown>) => dtypeOf({ quantization_config: { quant_method: 'compressed-tensors', config_groups: groups } });
    expect(tensors({ group_0: { weights: { num_bits: 8, type: 'float' } } })).toBe('fp8');
    expect(tensors({ group_0: { weights: { num_bits: 4, type: 'int' } } })).toBe('int4');
    // two formats in one checkpoint: not sized by guess
    expect(tensors({ a: { weights: { num_bits: 8, type: 'float' } }, b: { weights: { num_bits: 4, type: 'int' } } })).toBeNull();
    expect(dtypeOf({ torch_dtype: 'bfloat16' })).toBe('bf16');
    expect(dtypeOf({ dtype: 'float16' })).toBe('fp16');
    // engines serve a 32-bit checkpoint in 16 bits (vLLM's --dtype auto: bfloat16 where the GPU has it)
    expect(dtypeOf({ torch_dtype: 'float32' })).toBe('bf16');
    expect(dtypeOf({ quantization_config: { quant_method: 'hqq' } })).toBeNull();
    expect(dtypeOf({ torch_dtype: 'int3' })).toBeNull();
    expect(readCheckpointDtype([{}], 'c.json')).toBeUndefined();
    // a quantization_config that is not an object, or a torch_dtype that is not a name, is unread (was sized as 16-bit)
    expect(dtypeOf({ quantization_config: 'fp8', torch_dtype: 'float16' })).toBeNull();
    expect(dtypeOf({ quantization_config: [], torch_dtype: 'float16' })).toBeNull();
    expect(dtypeOf({ torch_dtype: 16 })).toBeNull();
    expect(dtypeOf({ quantization_config: null, torch_dtype: null })).toBeUndefined();
  });

  it('the files in the repository: DeepSeek-V3 FP8, gpt-oss 16-bit around its MXFP4 experts, Llama BF16', () => {
    expect(loadHfConfig(join(CONFIGS, 'deepseek-v3/config.json')).checkpoint?.dtype).toBe('fp8');
    expect(loadHfConfig(join(CONFIGS, 'gpt-oss-120b/config.json')).checkpoint?.dtype).toBe('bf16');
    expect(loadHfConfig(join(CONFIGS, 'llama-3.1-70b/config.json')).checkpoint?.dtype).toBe('bf16');
    // Llama-4 nests it under text_config
    expect(loadHfConfig(join(CONFIGS, 'llama-4-scout/config.json')).checkpoint?.dtype).toBe('bf16');
  });

  it('the dtype given wins; an unread format is refused naming its file and field; BF16 becomes FP16 on a GPU without BF16', () => {
    const h100 = getGpu('h100-80gb');
    const odd = { checkpoint: { dtype: null, file: 'm/config.json', field: 'quantization_config.quant_method', value: '"hqq"' } };
    expect(weightDtypeFor(odd, h100, 'int4', '--dtype')).toBe('int4');
    expect(() => weightDtypeFor(odd, h100, undefined, '--dtype')).toThrow(UserError);
    expect(() => weightDtypeFor(odd, h100, undefined, '--dtype')).toThrow(/^m\/config\.json: quantization_config\.quant_method: "hqq" is a weight format the loader does not read; give the weight dtype with --dtype$/);
    const bf16 = { checkpoint: { dtype: 'bf16' as const, file: 'f.json', field: 'torch_dtype', value: '"bfloat16"' } };
    expect(weightDtypeFor(bf16, h100, undefined, '--dtype')).toBe('bf16');
    expect(weightDtypeFor(bf16, getGpu('v100-32gb'), undefined, '--dtype')).toBe('fp16');
    expect(weightDtypeFor({}, h100, undefined, '--dtype')).toBe('fp16');
  });
});

describe('perf and scenarios size a config.json model in its own dtype', () => {
  // DeepSeek-V3: 671B parameters (its report, arXiv 2412.19437), stored in FP8: about 84 GB per GPU at TP 8
  it('perf: DeepSeek-V3 from its config.json on 8 H200s is FP8 without --dtype, and does not fit in BF16', async () => {
    const file = join(CONFIGS, 'deepseek-v3/config.json');
    const r = await fleetsim(['perf', '--model-config', file, '--gpu', 'h200', '--tp', '8', '--json']);
    expect(r.code, show(r)).toBe(0);
    const s = JSON.parse(r.stdout) as { dtype: string; weight_gb_per_gpu: number };
    expect(s.dtype).toBe('fp8');
    expect(Math.abs(s.weight_gb_per_gpu / (671e9 / 8 / 1e9) - 1)).toBeLessThan(0.1);
    const bf16 = await fleetsim(['perf', '--model-config', file, '--gpu', 'h200', '--tp', '8', '--dtype', 'bf16']);
    expect(bf16.code).toBe(2);
    expect(bf16.stderr).toMatch(/does not fit on 8x h200/);
  });

  it('perf refuses a config field past 2^31 - 1 and an unread quantisation in one line, exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetsim-ckpt-'));
    const llama = { model_type: 'llama', hidden_size: 4096, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 8, intermediate_size: 14336, vocab_size: 128256, max_position_embeddings: 8192 };
    const huge = join(dir, 'huge.json');
    writeFileSync(huge, JSON.stringify({ ...llama, hidden_size: 1e308 }));
    const r1 = await fleetsim(['perf', '--model-config', huge, '--gpu', 'h100-80gb']);
    expect(r1.code).toBe(2);
    expect(r1.stderr.trim()).toBe(`${huge}: hidden_size: expected a positive integer of at most 262144, got 1e+308`);
    const odd = join(dir, 'odd.json');
    writeFileSync(odd, JSON.stringify({ ...llama, quantization_config: { quant_method: 'hqq' } }));
    const r2 = await fleetsim(['perf', '--model-config', odd, '--gpu', 'h100-80gb']);
    expect(r2.code).toBe(2);
    expect(r2.stderr.trim().split('\n')).toHaveLength(1);
    expect(r2.stderr).toMatch(/odd\.json: quantization_config\.quant_method: "hqq" is a weight format the loader does not read/);
    const given = await fleetsim(['perf', '--model-config', odd, '--gpu', 'h100-80gb', '--dtype', 'int4', '--json']);
    expect(given.code, show(given)).toBe(0);
    // without _name_or_path the model is named after its file
    expect((JSON.parse(given.stdout) as { model: string }).model).toBe('odd');
  });

  it("a scenario's config.json model takes the checkpoint's dtype unless it names one", () => {
    const scenario = join(REPO, 'scenarios/kv-offload.yaml');
    const served = (extra: string[]) => {
      const prep = prepare(loadScenario(scenario, ['fleet.models.chat.model=data/model-configs/deepseek-v3/config.json', 'fleet.models.chat.gpu=h200', 'fleet.models.chat.tp=8', ...extra]));
      const f = prep.scenario.fleet!;
      return resolveServed('chat', f.models.chat, prep, f);
    };
    const own = served([]);
    expect(Math.abs(own.step.weightBytesPerGpu / (671e9 / 8) - 1)).toBeLessThan(0.1);
    expect(() => served(['fleet.models.chat.dtype=bf16'])).toThrow(/^fleet\.models\.chat\.\w+: deepseek-v3 \(bf16\) does not fit on 8x h200/);
  });
});

describe('a catalog model released in one format alone', () => {
  it('DeepSeek-V3 (and R1 on its layers) is FP8 unless told otherwise, by catalog id and Hugging Face name alike', () => {
    for (const name of ['deepseek-v3', 'deepseek-ai/DeepSeek-V3', 'deepseek-ai/DeepSeek-R1']) {
      const model = getModel(name);
      expect(weightDtypeFor(model, getGpu('h200'), undefined, '--dtype'), name).toBe('fp8');
      expect(weightDtypeFor(model, getGpu('h200'), 'bf16', '--dtype'), name).toBe('bf16');
    }
    // its sibling released in BF16 stays so
    expect(weightDtypeFor(getModel('deepseek-v2'), getGpu('h200'), undefined, '--dtype')).toBe('fp16');
  });
});
