import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { GPUS } from '../../src/perf/hardware.ts';
import { loadHfConfig } from '../../src/perf/hf-config.ts';
import { moeAllToAllBytesPerToken, sizeReplica } from '../../src/perf/memory.ts';
import { MODELS, MODEL_IDS, type ModelId } from '../../src/perf/models.ts';
import { countParams } from '../../src/perf/shape.ts';
import { DEFAULT_CALIBRATION } from '../../src/perf/profiles.ts';
import { buildStepGeometry, buildStepModel } from '../../src/perf/step.ts';
import { fleetsim, REPO, show } from '../helpers/cli.ts';

const config = (name: string) => join(REPO, 'scenarios/data/model-configs', name, 'config.json');
const ratio = (x: number, truth: number) => Math.abs(x / truth - 1);
const h100 = GPUS['h100-80gb'];
const h200 = GPUS.h200;

describe('parameter counts of the shipped config.json files against the published figures (within 2%)', () => {
  // [config, total, active, does the vendor's "active" count the input embedding?, source]
  const published: [string, number, number, boolean, string][] = [
    // DeepSeek-V3 report abstract: 671B total, 37B activated per token
    ['deepseek-v3', 671e9, 37e9, true, 'arXiv 2412.19437'],
    // README_WEIGHTS.md: 36.6B activated including the 0.9B output head, embedding lookup not counted
    ['deepseek-v3', 671e9, 36.6e9, false, 'DeepSeek-V3 README_WEIGHTS.md'],
    ['qwen3-30b-a3b', 30.5e9, 3.3e9, true, 'Qwen3-30B-A3B model card'],
    ['qwen3-235b-a22b', 235e9, 22e9, true, 'Qwen3-235B-A22B model card'],
    ['mixtral-8x7b', 46.7e9, 12.9e9, true, 'Jiang et al. 2024'],
    ['mixtral-8x22b', 141e9, 39e9, true, 'Mistral AI, Apr 2024'],
    // Meta's 109B and 400B include the vision encoder, which the loader does not size
    ['llama-4-scout', 109e9, 17e9, true, 'Meta Llama 4 model card'],
    ['llama-4-maverick', 400e9, 17e9, true, 'Meta Llama 4 model card'],
    // OpenAI model card Table 1: active = MLP + attention + unembedding, embedding lookup not counted
    ['gpt-oss-120b', 116.83e9, 5.13e9, false, 'gpt-oss model card'],
    ['gpt-oss-20b', 20.91e9, 3.61e9, false, 'gpt-oss model card'],
    ['llama-3.1-8b', 8.03e9, 8.03e9, true, 'Llama 3.1 model card'],
    ['llama-3.1-70b', 70.6e9, 70.6e9, true, 'Llama 3.1 model card'],
    ['llama-3.1-405b', 405e9, 405e9, true, 'Llama 3 Herd of Models'],
    // Qwen3 model cards: 8.2B and 32.8B (6.95B and 31.2B without the embeddings)
    ['qwen3-8b', 8.2e9, 8.2e9, true, 'Qwen3-8B model card'],
    ['qwen3-32b', 32.8e9, 32.8e9, true, 'Qwen3-32B model card'],
  ];
  for (const [name, total, active, countsEmbedding, source] of published) {
    it(`${name}: ${total / 1e9}B total, ${active / 1e9}B active (${source})`, () => {
      const c = countParams(loadHfConfig(config(name)));
      expect(ratio(c.total, total), `total ${c.total}`).toBeLessThan(0.02);
      const ours = countsEmbedding ? c.active : c.active - c.input_embedding;
      expect(ratio(ours, active), `active ${ours}`).toBeLessThan(0.02);
    });
  }

  it('DeepSeek-V3: the MTP module is 11.5B beside the 671B (README_WEIGHTS.md) and is not served', () => {
    const m = loadHfConfig(config('deepseek-v3'));
    expect(m.mtp_layers).toBe(1);
    expect(ratio(countParams(m).mtp, 11.5e9)).toBeLessThan(0.02);
  });

  it('layer layouts: DeepSeek-V3 58 MoE layers after 3 dense, Maverick every other layer, Scout all', () => {
    expect(countParams(loadHfConfig(config('deepseek-v3'))).moe_layers).toBe(61 - 3);
    expect(countParams(loadHfConfig(config('llama-4-maverick'))).moe_layers).toBe(24);
    expect(countParams(loadHfConfig(config('llama-4-scout'))).moe_layers).toBe(48);
  });
});

describe('catalog entries agree with the config.json they cite', () => {
  // not shape: names, sizes compared below, the file's checkpoint dtype (catalog ids default to
  // fp16) and whether FP8 weights are block-scaled (the catalog's Qwen3 are the Qwen team's FP8
  // releases, which are; the bf16 configs shipped here say nothing of FP8; DeepSeek-V3's agree, below)
  const SIZE_ONLY = new Set(['id', 'name', 'kind', 'params_total', 'params_active', 'checkpoint', 'fp8_block_scaled']);
  const withFiles = MODEL_IDS.filter((id) => ['deepseek-v3', 'qwen3-30b-a3b', 'qwen3-235b-a22b', 'mixtral-8x7b', 'mixtral-8x22b', 'llama-3.1-8b', 'llama-3.1-70b', 'llama-3.1-405b', 'gpt-oss-120b', 'gpt-oss-20b', 'qwen3-8b', 'qwen3-32b', 'llama-4-scout', 'llama-4-maverick'].includes(id));
  it('covers the fourteen catalog models with a shipped config', () => expect(withFiles).toHaveLength(14));
  for (const id of withFiles) {
    it(`${id}: every shape field equal`, () => {
      const fromFile = loadHfConfig(config(id)) as unknown as Record<string, unknown>;
      const cat = MODELS[id as ModelId] as unknown as Record<string, unknown>;
      const keys = new Set([...Object.keys(fromFile), ...Object.keys(cat)].filter((k) => !SIZE_ONLY.has(k)));
      for (const k of keys) expect(cat[k], k).toEqual(fromFile[k]);
      expect(ratio(cat.params_total as number, fromFile.params_total as number)).toBeLessThan(0.01);
    });
  }
});

describe('weights per GPU against the published parameter counts', () => {
  it('DeepSeek-V3 FP8 on 8x H200 (TP8): 671e9 x 1 byte / 8 = 83.9 GB, not 3.8', () => {
    const s = sizeReplica({ model: MODELS['deepseek-v3'], gpu: h200, tp: 8, dtype: 'fp8' });
    // block scales (one fp32 per 128x128) would add 671e9 / 16384 x 4 B / 8 = 20 MB per GPU
    expect(ratio(s.weightBytesPerGpu, (671e9 * 1) / 8)).toBeLessThan(0.1);
  });

  it('Qwen3-30B-A3B BF16 on 4x H100 (TP4): 30.5e9 x 2 / 4 = 15.3 GB, not 78', () => {
    const s = sizeReplica({ model: MODELS['qwen3-30b-a3b'], gpu: h100, tp: 4, dtype: 'bf16' });
    expect(ratio(s.weightBytesPerGpu, (30.5e9 * 2) / 4)).toBeLessThan(0.1);
  });

  it('Mixtral-8x7B BF16 on 2x H100 (TP2): 46.7e9 x 2 / 2', () => {
    const s = sizeReplica({ model: MODELS['mixtral-8x7b'], gpu: h100, tp: 2, dtype: 'bf16' });
    expect(ratio(s.weightBytesPerGpu, (46.7e9 * 2) / 2)).toBeLessThan(0.1);
  });

  it('gpt-oss-120b on one H100: MXFP4 experts (114.71B MLP params at 4.25 bits) + the rest in BF16', () => {
    // model card: MLP 114.71B of 116.83B parameters; "fits into a single 80GB GPU"
    const truth = (114.71e9 * 4.25) / 8 + (116.83e9 - 114.71e9) * 2;
    const s = sizeReplica({ model: MODELS['gpt-oss-120b'], gpu: h100, tp: 1, dtype: 'bf16' });
    expect(ratio(s.weightBytesPerGpu, truth)).toBeLessThan(0.1);
  });

  it('dense catalog models: params_total x dtype bytes / tp wherever KV heads are not replicated', () => {
    for (const id of MODEL_IDS) {
      const m = MODELS[id];
      if (m.experts > 1 || m.kind !== 'decoder' || m.attention_heads % 8 !== 0 || m.kv_heads < 8 || m.params_total > 300e9) continue;
      const s = sizeReplica({ model: m, gpu: h200, tp: 8, dtype: 'fp8' });
      expect(s.weightBytesPerGpu / ((m.params_total * 1) / 8), id).toBeCloseTo(1, 9);
    }
  });
});

describe('expert parallelism (EP = TP x DP within the replica)', () => {
  const ds = MODELS['deepseek-v3'];
  // routed experts from the config by hand: 58 MoE layers x 256 experts x 3 x 7168 x 2048
  const routed = 58 * 256 * 3 * 7168 * 2048;
  const nonExpert = 671e9 - routed;

  it('EP8 with DP-attention (tp=1): the non-expert weights whole on every GPU, 1/8 of the experts', () => {
    const s = sizeReplica({ model: ds, gpu: h200, tp: 1, ep: 8, dtype: 'fp8', kvDtype: 'bf16' });
    expect(s.gpus).toBe(8);
    expect(ratio(s.weightBytesPerGpu, nonExpert + routed / 8)).toBeLessThan(0.1);
    // each DP rank caches its own sequences: no MLA replication
    expect(s.kvBytesPerToken).toBe(61 * (512 + 64) * 2);
  });

  it('TP8 x DP2 = EP16 halves the expert share of TP8 alone; EP = TP moves no bytes', () => {
    const tp8 = sizeReplica({ model: ds, gpu: h200, tp: 8, dtype: 'fp8' });
    const ep8 = sizeReplica({ model: ds, gpu: h200, tp: 8, ep: 8, dtype: 'fp8' });
    const ep16 = sizeReplica({ model: ds, gpu: h200, tp: 8, ep: 16, dtype: 'fp8' });
    expect(ep8.weightBytesPerGpu).toBeCloseTo(tp8.weightBytesPerGpu, 0);
    expect(ratio(tp8.weightBytesPerGpu - ep16.weightBytesPerGpu, routed / 16)).toBeLessThan(0.01);
    expect(ep16.gpus).toBe(16);
    expect(ep16.dp).toBe(2);
  });

  it('all-to-all: the hidden state to k experts and back, (ep-1)/ep of it off-GPU', () => {
    const a = moeAllToAllBytesPerToken(ds, 8);
    expect(a.dispatch).toBe((8 * 7168 * 2 * 7) / 8);
    expect(a.combine).toBe(a.dispatch);
    expect(moeAllToAllBytesPerToken(ds, 8, { dispatch: 1 }).dispatch).toBe((8 * 7168 * 1 * 7) / 8);
    expect(moeAllToAllBytesPerToken(ds, 1)).toEqual({ dispatch: 0, combine: 0 });
    expect(moeAllToAllBytesPerToken(MODELS['llama-3.1-8b'], 8)).toEqual({ dispatch: 0, combine: 0 });
  });

  it('refuses layouts vLLM does not have', () => {
    expect(() => sizeReplica({ model: ds, gpu: h200, tp: 8, ep: 4, dtype: 'fp8' })).toThrow(/ep=4 must be a multiple of tp=8/);
    expect(() => sizeReplica({ model: MODELS['llama-3.1-70b'], gpu: h100, tp: 4, ep: 4 })).toThrow(/dense model has no experts to split/);
    expect(() => sizeReplica({ model: MODELS['mixtral-8x7b'], gpu: h100, tp: 1, ep: 16 })).toThrow(/ep=16 exceeds its 8 routed experts/);
  });

  it('buildStepModel takes ep and sizes the same as sizeReplica', () => {
    const step = buildStepModel({ model: ds, gpu: h200, tp: 8, ep: 16, dtype: 'fp8' });
    expect(step.weightBytesPerGpu).toBe(sizeReplica({ model: ds, gpu: h200, tp: 8, ep: 16, dtype: 'fp8' }).weightBytesPerGpu);
  });
});

describe('KV cache bytes per token from the attention shape', () => {
  it('DeepSeek-V3 MLA: 61 layers x (512 + 64) per token, whole on each of the 8 TP ranks', () => {
    const s = sizeReplica({ model: MODELS['deepseek-v3'], gpu: h200, tp: 8, dtype: 'fp8', kvDtype: 'bf16' });
    expect(s.kvBytesPerTokenPerGpu).toBe(61 * (512 + 64) * 2);
    expect(s.kvBytesPerToken).toBe(8 * 61 * (512 + 64) * 2);
  });

  it('Qwen3-30B-A3B GQA at TP4: K and V, 48 layers, 4 KV heads of 128', () => {
    const s = sizeReplica({ model: MODELS['qwen3-30b-a3b'], gpu: h100, tp: 4, dtype: 'bf16' });
    expect(s.kvBytesPerToken).toBe(2 * 48 * 4 * 128 * 2);
    expect(s.kvBytesPerTokenPerGpu).toBe(2 * 48 * 1 * 128 * 2);
  });

  it('Qwen3-235B-A22B at TP8: 4 KV heads replicated to one per GPU', () => {
    const s = sizeReplica({ model: MODELS['qwen3-235b-a22b'], gpu: h100, tp: 8, dtype: 'fp8' });
    expect(s.kvBytesPerToken).toBe(2 * 94 * 8 * 128 * 1);
  });

  it('Mixtral-8x7B at TP2: 2 x 32 layers x 8 KV heads x 128', () => {
    expect(sizeReplica({ model: MODELS['mixtral-8x7b'], gpu: h100, tp: 2, dtype: 'bf16' }).kvBytesPerToken).toBe(2 * 32 * 8 * 128 * 2);
  });

  it('gpt-oss-120b: 18 full-attention layers grow with the context, 18 sliding ones stop at 128 tokens', () => {
    const s = sizeReplica({ model: MODELS['gpt-oss-120b'], gpu: h100, tp: 1, dtype: 'bf16' });
    const perLayer = 2 * 8 * 64 * 2;
    expect(s.kvBytesPerToken).toBe(18 * perLayer);
    expect(s.kvWindowBytesPerSequence).toBe(18 * 128 * perLayer);
  });

  it("gpt-oss-120b: each sequence's windows take the cache of 128 full-layer tokens, and perf's largest batch counts them", async () => {
    const step = buildStepModel({ model: MODELS['gpt-oss-120b'], gpu: h100, tp: 1, dtype: 'bf16' });
    expect(step.kvWindowTokensPerSequence).toBe(128);
    const r = await fleetsim(['perf', '--model', 'gpt-oss-120b', '--gpu', 'h100-80gb', '--prompt', '1000', '--output', '1000', '--json']);
    expect(r.code, show(r)).toBe(0);
    const p = JSON.parse(r.stdout) as { max_batch: number; kv_capacity_tokens: number; kv_window_tokens_per_sequence: number };
    expect(p.kv_window_tokens_per_sequence).toBe(128);
    expect(p.max_batch).toBe(Math.floor(p.kv_capacity_tokens / (2000 + 128)));
    // a model without sliding windows holds its own tokens only
    expect(buildStepModel({ model: MODELS['llama-3.1-8b'], gpu: h100, tp: 1, dtype: 'bf16' }).kvWindowTokensPerSequence).toBe(0);
  });

  it('gpt-oss-120b: a sliding layer attends over at most its 128-token window, in prefill and decode', () => {
    const g = buildStepGeometry({ model: MODELS['gpt-oss-120b'], gpu: h100, tp: 1, dtype: 'bf16' });
    // QK^T and AV: 2 FLOPs x 2 matmuls x 64 heads x 64 dims per (query, key) pair and layer
    const perPairPerLayer = 2 * 64 * (64 + 64);
    const prefillAttention = (pt: number, pairs: number) => g.flops(pt, pairs, 0, 0) - g.flops(pt, 0, 0, 0);
    // an 8,000-token prompt, whole: 32e6 pairs in each of the 18 full layers, 8,000 x 128 in each sliding one
    const pairs = 8000 * 8000 / 2;
    expect(prefillAttention(8000, pairs) / (18 * perPairPerLayer * (pairs + 8000 * 128))).toBeCloseTo(1, 12);
    // a 100-token prompt never reaches the window: every layer sees all its pairs
    expect(prefillAttention(100, 5000) / (36 * perPairPerLayer * 5000)).toBeCloseTo(1, 12);
    // decoding 4 sequences of 3,000 tokens: the 18 full layers attend over all of it, the 18
    // sliding ones over one 128-token window per sequence (besides the GEMMs)
    expect((g.flops(0, 0, 4, 12000) - g.flops(0, 0, 4, 0)) / (18 * perPairPerLayer * (12000 + 4 * 128))).toBeCloseTo(1, 12);
    // 4 sequences of 50 tokens fill no window: the sliding layers read their 200 tokens, as the full ones do
    expect((g.flops(0, 0, 4, 200) - g.flops(0, 0, 4, 0)) / (36 * perPairPerLayer * 200)).toBeCloseTo(1, 12);
    expect(g.slidingWindowTokens).toBe(128);
    expect(g.slidingAttentionMsPerPair * h100.fp16_tflops * 1e9 / (18 * perPairPerLayer)).toBeCloseTo(1, 12);
    // the step time of the long prompt: its attention costs 18 layers' pairs plus 18 windows, not 36 layers' pairs
    const model = buildStepModel({ model: MODELS['gpt-oss-120b'], gpu: h100, tp: 1, dtype: 'bf16' });
    const msPerFlop = 1 / (h100.fp16_tflops * 1e9) / DEFAULT_CALIBRATION.attention_efficiency;
    const windowed_ms = (pairs + 8000 * 128) * 18 * perPairPerLayer * msPerFlop;
    expect(model.stepTimeMs(8000, pairs, 0, 0) - model.stepTimeMs(8000, 0, 0, 0)).toBeCloseTo(windowed_ms, 6);
    expect(windowed_ms).toBeLessThan(0.6 * pairs * 36 * perPairPerLayer * msPerFlop);
  });
});

describe('weights a step reads', () => {
  it('Qwen3-30B-A3B: one token reads about the 3.3B active parameters, a large batch all 30.5B', () => {
    const s = sizeReplica({ model: MODELS['qwen3-30b-a3b'], gpu: h100, tp: 1, dtype: 'bf16' });
    expect(ratio(s.weightBytesTouched(1), 3.3e9 * 2)).toBeLessThan(0.03);
    expect(ratio(s.weightBytesTouched(4096), 30.5e9 * 2)).toBeLessThan(0.001);
    expect(s.weightBytesTouched(0)).toBe(0);
    // closed form: shared once, each expert untouched with probability (1 - 8/128)^n
    expect(s.weightBytesTouched(10)).toBeCloseTo(s.sharedWeightBytes + s.routedExpertBytes * (1 - (120 / 128) ** 10), 0);
  });
});

describe('Qwen-MoE layer placement', () => {
  it('decoder_sparse_step, mlp_only_layers and a Qwen2-MoE shared expert, counted by hand', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'fleetsim-moe-')), 'config.json');
    const [h, layers, heads, kv, vocab, dense, expert, shared, experts] = [64, 8, 4, 2, 100, 256, 32, 128, 6];
    writeFileSync(path, JSON.stringify({
      model_type: 'qwen2_moe', hidden_size: h, num_hidden_layers: layers, num_attention_heads: heads, num_key_value_heads: kv,
      vocab_size: vocab, max_position_embeddings: 4096, intermediate_size: dense, moe_intermediate_size: expert,
      shared_expert_intermediate_size: shared, num_experts: experts, num_experts_per_tok: 2, decoder_sparse_step: 2,
      mlp_only_layers: [3], use_sliding_window: false, sliding_window: 4096, max_window_layers: 8,
    }));
    const c = countParams(loadHfConfig(path));
    // (i + 1) % 2 == 0 -> layers 1, 3, 5, 7; layer 3 forced dense -> 3 MoE layers, 5 dense
    expect(c.moe_layers).toBe(3);
    const headDim = h / heads;
    const attn = 2 * h * heads * headDim + 2 * h * kv * headDim;
    const moeLayer = experts * 3 * h * expert + 3 * h * shared + h * experts;
    expect(c.total).toBe(2 * vocab * h + h + layers * (attn + 2 * h) + 5 * 3 * h * dense + 3 * moeLayer);
    expect(c.shared_expert_total).toBe(3 * 3 * h * shared);
  });
});

describe('refusals', () => {
  const write = (cfg: unknown) => {
    const path = join(mkdtempSync(join(tmpdir(), 'fleetsim-moe-')), 'config.json');
    writeFileSync(path, JSON.stringify(cfg));
    return path;
  };
  const llama = { model_type: 'llama', hidden_size: 4096, num_hidden_layers: 32, num_attention_heads: 32, intermediate_size: 11008, vocab_size: 32000, max_position_embeddings: 4096 };

  it('an architecture the loader does not know, naming the file and the fields it could not place', () => {
    const path = write({ ...llama, model_type: 'jamba', num_experts: 16, num_experts_per_tok: 2 });
    expect(() => loadHfConfig(path)).toThrow(UserError);
    expect(() => loadHfConfig(path)).toThrow(`${path}: model_type: "jamba" is not an architecture the loader understands`);
    expect(() => loadHfConfig(path)).toThrow(/fields it could not place: num_experts, num_experts_per_tok/);
  });

  it('experts or MLA in a model_type read as dense', () => {
    expect(() => loadHfConfig(write({ ...llama, num_local_experts: 8, num_experts_per_tok: 2 })))
      .toThrow(/model_type "llama": fields the loader cannot place: num_local_experts, num_experts_per_tok; refusing to size it by guess/);
    expect(() => loadHfConfig(write({ ...llama, model_type: 'qwen3', kv_lora_rank: 512, q_lora_rank: 1536 })))
      .toThrow(/cannot place: kv_lora_rank, q_lora_rank/);
  });

  it('MoE fields a family reader cannot place', () => {
    const scout = JSON.parse(JSON.stringify({ model_type: 'llama4', text_config: { ...llama, num_local_experts: 16, num_experts_per_tok: 1, intermediate_size_mlp: 16384, n_shared_experts: 2 } }));
    expect(() => loadHfConfig(write(scout))).toThrow(/cannot place: text_config\.n_shared_experts/);
    const ds = { ...llama, model_type: 'deepseek_v3', n_routed_experts: 64, num_experts_per_tok: 6, moe_intermediate_size: 1408, moe_layer_freq: 2, kv_lora_rank: 512, qk_nope_head_dim: 128, qk_rope_head_dim: 64, v_head_dim: 128 };
    expect(() => loadHfConfig(write(ds))).toThrow(/moe_layer_freq 2: only 1 .* is understood/);
    expect(() => loadHfConfig(write({ ...llama, model_type: 'qwen3_moe', num_experts: 8, num_experts_per_tok: 2, moe_intermediate_size: 768, use_sliding_window: true })))
      .toThrow(/use_sliding_window true/);
  });

  it('the CLI turns the refusal into exit 2 with one line and no stack', async () => {
    const path = write({ ...llama, model_type: 'jamba' });
    const r = await fleetsim(['perf', '--model-config', path, '--gpu', 'h100-80gb']);
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr.trim().split('\n'), show(r)).toHaveLength(1);
    expect(r.stderr).toContain(`${path}: model_type: "jamba" is not an architecture the loader understands`);
  });

  it('does not fit / no room keep their wording for MoE models', () => {
    expect(() => sizeReplica({ model: MODELS['deepseek-v3'], gpu: h200, tp: 4, dtype: 'fp8' }))
      .toThrow(/^deepseek-v3 \(fp8\) does not fit on 4x h200: weights need 15\d\.\d GiB per GPU, 126\.9 GiB usable \(141 GiB x 0\.9\)/);
  });
});

describe('expert-parallel step time: dispatch and combine over the GPU link, and over the network past its domain', () => {
  const ds = MODELS['deepseek-v3'];
  const factors = DEFAULT_CALIBRATION;
  // DeepSeek-V3: 58 MoE layers, 8 experts per token, hidden 7168, 16-bit payloads both ways
  const bytesPerTokenPerLayer = (ep: number) => 2 * 8 * 7168 * 2 * (ep - 1) / ep;
  const nvlinkOneWayBytesPerMs = (GPUS.h200.nvlink_gb_per_s / 2) * 1e6;

  it('EP8 in one NVLink domain: doubling the link halves the all-to-all bandwidth term, as the closed form says', () => {
    const fast = { ...GPUS.h200, nvlink_gb_per_s: 2 * GPUS.h200.nvlink_gb_per_s };
    const at = (gpu: typeof GPUS.h200, batch: number) =>
      buildStepModel({ model: ds, gpu, tp: 1, ep: 8, dtype: 'fp8' }).stepTimeMs(0, 0, batch, batch * 2000);
    const batch = 2048;
    const perGpuTokens = batch / 8;
    const bandwidthMs = 58 * perGpuTokens * bytesPerTokenPerLayer(8) / nvlinkOneWayBytesPerMs / factors.link_bw_efficiency;
    expect(at(GPUS.h200, batch) - at(fast, batch)).toBeCloseTo(bandwidthMs / 2, 6);
  });

  it('EP16 on 8-GPU H200 nodes: 8 of the 15 remote destinations are across the network (400 Gb/s per GPU)', () => {
    const g = buildStepGeometry({ model: ds, gpu: GPUS.h200, tp: 1, ep: 16, dtype: 'fp8' });
    expect(g.allToAlls).toBe(2 * 58);
    const networkBytesPerMs = 400e9 / 8 / 1000;
    expect(g.allToAllMsPerToken).toBeCloseTo(58 * bytesPerTokenPerLayer(16) / 16 * (8 / 15) / networkBytesPerMs, 12);
  });

  it('no all-to-all without expert parallelism; EP spreads a batch over all its GPUs', () => {
    expect(buildStepGeometry({ model: ds, gpu: GPUS.h200, tp: 8, dtype: 'fp8' }).allToAlls).toBe(0);
    const ep8 = buildStepModel({ model: ds, gpu: GPUS.h200, tp: 1, ep: 8, dtype: 'fp8' });
    expect(ep8.gpus).toBe(8);
    expect(ep8.dataParallelGroups).toBe(8);
    expect(ep8.peakFlopsPerS).toBe(8 * GPUS.h200.fp8_tflops! * 1e12);
  });

  it('fleetsim perf --ep: the layout in the head line, GPUs counted per GPU; bad degrees exit 2', async () => {
    const r = await fleetsim(['perf', '--model', 'qwen3-30b-a3b', '--gpu', 'h100-80gb', '--tp', '1', '--ep', '4', '--json']);
    expect(r.code, show(r)).toBe(0);
    const s = JSON.parse(r.stdout);
    expect([s.tp, s.ep, s.gpus]).toEqual([1, 4, 4]);
    expect(s.tokens_per_s_per_gpu).toBeCloseTo(s.tokens_per_s_per_replica / 4, 6);
    const bad = await fleetsim(['perf', '--model', 'qwen3-30b-a3b', '--gpu', 'h100-80gb', '--tp', '2', '--ep', '3']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/ep=3 must be a multiple of tp=2/);
  });
});

describe('attention FLOPs per (query, key) pair from the attention shape', () => {
  const peak16PerMs = (gpus: number) => GPUS.h200.fp16_tflops * 1e12 * gpus / 1000;

  it('DeepSeek-V3 MLA: prefill in the expanded form, decode over the 576-wide cached latent (absorbed)', () => {
    const g = buildStepGeometry({ model: MODELS['deepseek-v3'], gpu: GPUS.h200, tp: 8, dtype: 'fp8' });
    // 61 layers x 128 heads x 2 FLOPs x (QK^T dims + AV dims)
    expect(g.attentionMsPerPair).toBeCloseTo(61 * 128 * 2 * (192 + 128) / peak16PerMs(8), 12);
    expect(g.decodeAttentionMsPerPair).toBeCloseTo(61 * 128 * 2 * (576 + 512) / peak16PerMs(8), 12);
  });

  it('a model without MLA costs the same per pair in prefill and decode: 4 x layers x heads x head_dim', () => {
    const g = buildStepGeometry({ model: MODELS['llama-3.1-70b'], gpu: GPUS.h200, tp: 4, dtype: 'fp8' });
    expect(g.decodeAttentionMsPerPair).toBe(g.attentionMsPerPair);
    expect(g.attentionMsPerPair).toBeCloseTo(4 * 80 * 64 * 128 / peak16PerMs(4), 12);
  });
});
