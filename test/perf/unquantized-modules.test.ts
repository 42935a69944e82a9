import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelFromHfConfig } from '../../src/perf/hf-config.ts';
import { resolveModel } from '../../src/perf/lookup.ts';
import { fleetsim, REPO, show } from '../helpers/cli.ts';

const CONFIGS = join(REPO, 'scenarios/data/model-configs');
const base405 = () => JSON.parse(readFileSync(join(CONFIGS, 'llama-3.1-405b/config.json'), 'utf8')) as Record<string, unknown>;

/**
 * The list Meta's FP8 release of Llama 3.1 405B (meta-llama/Llama-3.1-405B-Instruct-FP8, FBGEMM
 * row-wise FP8) ships in its quantization_config: the LM head, every layer's q/k/v/o projections
 * and the MLPs of the first and last layers stay in BF16 (full module paths, no globs; the
 * Llama 3 paper, section 6.2: self-attention is not quantised, nor the first and last layers).
 */
function metaFp8List(layers: number): string[] {
  const list = ['lm_head'];
  for (let i = 0; i < layers; i++) for (const p of ['k_proj', 'o_proj', 'q_proj', 'v_proj']) list.push(`model.layers.${i}.self_attn.${p}`);
  for (const p of ['down_proj', 'gate_proj', 'up_proj']) list.push(`model.layers.0.mlp.${p}`, `model.layers.${layers - 1}.mlp.${p}`);
  return list;
}

function fp8Config(modules: unknown, extra: Record<string, unknown> = {}) {
  return { ...base405(), ...extra, quantization_config: { activation_scale_ub: 1200.0, quant_method: 'fbgemm_fp8', ...(modules === undefined ? {} : { modules_to_not_convert: modules }) } };
}

function writeConfig(cfg: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), 'fleetsim-unq-')), 'config.json');
  writeFileSync(file, JSON.stringify(cfg));
  return file;
}

async function perf(file: string, extra: string[] = [], gpu = 'h100-80gb') {
  const r = await fleetsim(['perf', '--model-config', file, '--gpu', gpu, '--tp', '8', '--batch', '1', '--json', ...extra]);
  expect(r.code, show(r)).toBe(0);
  return JSON.parse(r.stdout) as { weight_gb_per_gpu: number; tpot_ms: number; kv_capacity_tokens: number; unquantized_params?: number };
}

describe("a quantised checkpoint's modules kept in 16 bits (quantization_config.modules_to_not_convert)", () => {
  // Llama 3.1 405B's shape (its config.json): 126 layers, hidden 16,384, 128 heads of 128, 8 KV
  // heads, MLP width 53,248, vocabulary 128,256, untied embeddings.
  const h = 16384, layers = 126, width = 53248, vocab = 128256;
  const attention = 2 * h * h + 2 * h * 8 * 128;
  const mlp = 3 * h * width;
  const kept = layers * attention + 2 * mlp;

  it("reads Meta's list as the attention of every layer and the first and last MLPs: 77.1B parameters and the LM head", () => {
    const m = modelFromHfConfig(fp8Config(metaFp8List(layers)), 'c.json');
    expect(m.unquantized_layer_params).toBe(kept);
    expect(m.unquantized_lm_head).toBe(true);
    expect(m.unquantized_embedding).toBeUndefined();
    // the same modules named by glob, whole modules and fused projections, overlapping, count once
    const other = ['lm_head.weight', 'model.layers.*.self_attn', 'model.layers.0.self_attn.qkv_proj', 'model.layers.0.mlp', `model.layers.${layers - 1}.mlp.gate_up_proj`, `model.layers.${layers - 1}.mlp.down_proj`];
    expect(modelFromHfConfig(fp8Config(other), 'c.json').unquantized_layer_params).toBe(kept);
    // no list, or an empty one: FP8 throughout, as before
    expect(modelFromHfConfig(fp8Config(undefined), 'c.json').unquantized_layer_params).toBeUndefined();
    expect(modelFromHfConfig(fp8Config([]), 'c.json').unquantized_layer_params).toBeUndefined();
  });

  it('sizes and streams them at 16 bits: 10 GB more per GPU at TP 8, the KV cache that much smaller, the batch-1 step that much longer', async () => {
    const meta = await perf(writeConfig(fp8Config(metaFp8List(layers))));
    const plain = await perf(writeConfig(fp8Config(undefined)));
    // one more byte for each kept weight and the LM head, over 8 GPUs
    const extra_gb = (kept + vocab * h) / 8 / 1e9;
    expect(meta.weight_gb_per_gpu - plain.weight_gb_per_gpu).toBeCloseTo(extra_gb, 1);
    expect(meta.weight_gb_per_gpu).toBeGreaterThan(60);
    // perf --json says what is kept: the layers' and the LM head's parameters
    expect(meta.unquantized_params).toBe(kept + vocab * h);
    expect(plain.unquantized_params).toBeUndefined();
    // the cache loses the same bytes: 126 layers x 1 KV head x 2 x 128 x 2 bytes per token per GPU
    const kvBytesPerTokenPerGpu = layers * 2 * 128 * 2;
    expect((plain.kv_capacity_tokens - meta.kv_capacity_tokens) * kvBytesPerTokenPerGpu / 1e9).toBeCloseTo(extra_gb, 0);
    // at batch 1 a step streams its weights: the extra bytes at H100's 3,350 GB/s and the
    // profile's streaming efficiency (0.808), within the compute the step also holds
    const extra_ms = (extra_gb * 1e9) / (3350e9 * 0.808) * 1000;
    expect(Math.abs((meta.tpot_ms - plain.tpot_ms) / extra_ms - 1)).toBeLessThan(0.05);
  });

  it("a block-scaled FP8 checkpoint's kept weights stream at the GPU's rate: at batch 1 their two bytes cost what one did at the block-scaled half rate", async () => {
    // dtype.ts BLOCK_FP8_KERNEL_SHARE: block-scaled FP8 weights stream at half the per-tensor rate
    const block = (modules?: string[]) => ({ ...base405(), quantization_config: { quant_method: 'fp8', weight_block_size: [128, 128], ...(modules ? { modules_to_not_convert: modules } : {}) } });
    const listed = await perf(writeConfig(block(metaFp8List(layers))));
    const plain = await perf(writeConfig(block()));
    expect(listed.weight_gb_per_gpu - plain.weight_gb_per_gpu).toBeCloseTo((kept + vocab * h) / 8 / 1e9, 1);
    expect(Math.abs(listed.tpot_ms - plain.tpot_ms)).toBeLessThan(0.01 * plain.tpot_ms);
  });

  it('a 16-bit checkpoint keeps nothing more: the list changes no size', async () => {
    const bf16 = { ...base405(), quantization_config: undefined };
    const listed = { ...base405(), quantization_config: { quant_method: 'fbgemm_fp8', modules_to_not_convert: metaFp8List(layers) } };
    // 810 GB in BF16: eight H200s hold it
    const a = await perf(writeConfig(bf16), [], 'h200');
    const b = await perf(writeConfig(listed), ['--dtype', 'bf16'], 'h200');
    expect(b.weight_gb_per_gpu).toBeCloseTo(a.weight_gb_per_gpu, 6);
  });

  it("the catalog's llama-3.1-405b-meta-fp8 is Meta's release as its config.json reads: the same bytes, cache and step, FP8 by default", async () => {
    const fromConfig = await perf(writeConfig(fp8Config(metaFp8List(layers))));
    const r = await fleetsim(['perf', '--model', 'llama-3.1-405b-meta-fp8', '--gpu', 'h100-80gb', '--tp', '8', '--batch', '1', '--json']);
    expect(r.code, show(r)).toBe(0);
    const catalog = JSON.parse(r.stdout) as typeof fromConfig;
    // the catalog counts 405e9 parameters where the config's shape gives 405.85e9 (as llama-3.1-405b does)
    const close = (a: number, b: number) => Math.abs(a / b - 1);
    expect(close(catalog.weight_gb_per_gpu, fromConfig.weight_gb_per_gpu)).toBeLessThan(0.003);
    expect(close(catalog.kv_capacity_tokens, fromConfig.kv_capacity_tokens)).toBeLessThan(0.01);
    expect(close(catalog.tpot_ms, fromConfig.tpot_ms)).toBeLessThan(0.003);
    expect(catalog.unquantized_params).toBe(kept + vocab * h);
    // vLLM 0.6.3 logged "Loading model weights took 56.7677 GB" (GiB) per H100 at TP 8 for this
    // checkpoint (dstack's benchmark, raw_data/gpu-usage.md): within 2%
    expect(Math.abs(catalog.weight_gb_per_gpu / (56.7677 * 2 ** 30 / 1e9) - 1)).toBeLessThan(0.02);
  });

  it("Meta's Hugging Face ids name that checkpoint; NVIDIA's FP8 release of the same name and a bare name keep the base shape", () => {
    for (const name of ['meta-llama/Llama-3.1-405B-FP8', 'meta-llama/Llama-3.1-405B-Instruct-FP8', 'meta-llama/Meta-Llama-3.1-405B-Instruct-FP8']) {
      expect(resolveModel(name).id, name).toBe('llama-3.1-405b-meta-fp8');
    }
    for (const name of ['nvidia/Llama-3.1-405B-Instruct-FP8', 'Llama-3.1-405B-Instruct-FP8', 'meta-llama/Llama-3.1-405B-Instruct']) {
      expect(resolveModel(name).id, name).toBe('llama-3.1-405b');
    }
  });

  it('refuses an entry it cannot place, a layer past the model and a list that is not one, in one line naming the file and field, exit 2', async () => {
    const cases: [unknown, RegExp][] = [
      [['model.layers.3.mlp.experts.0'], /cannot place "model\.layers\.3\.mlp\.experts\.0" \(not a module the reader places\)/],
      [['model.layers.126.self_attn'], /cannot place "model\.layers\.126\.self_attn" \(the model has 126 layers\)/],
      [['model.norm'], /cannot place "model\.norm"/],
      ['lm_head', /expected a list of module names, got "lm_head"/],
    ];
    for (const [list, message] of cases) {
      const file = writeConfig(fp8Config(list));
      const r = await fleetsim(['perf', '--model-config', file, '--gpu', 'h100-80gb', '--tp', '8']);
      expect(r.code, show(r)).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(`${file}: quantization_config.modules_to_not_convert: `);
      expect(r.stderr).toMatch(message);
    }
    // a mixture of experts' MLP is its experts: not modelled at 16 bits, refused
    const mixtral = JSON.parse(readFileSync(join(CONFIGS, 'mixtral-8x7b/config.json'), 'utf8')) as Record<string, unknown>;
    const moe = writeConfig({ ...mixtral, quantization_config: { quant_method: 'fbgemm_fp8', modules_to_not_convert: ['model.layers.0.mlp'] } });
    const r = await fleetsim(['perf', '--model-config', moe, '--gpu', 'h100-80gb', '--tp', '2']);
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toMatch(/16-bit experts or routers are not modelled/);
  });
});
