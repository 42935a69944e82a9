import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { GPUS } from '../../src/perf/hardware.ts';
import { loadHfConfig } from '../../src/perf/hf-config.ts';
import { catalogModelId } from '../../src/perf/lookup.ts';
import { sizeReplica } from '../../src/perf/memory.ts';
import { MODELS, type ModelId } from '../../src/perf/models.ts';
import { countParams } from '../../src/perf/shape.ts';
import { buildStepModel, decodeOnlyMs, windowKvTokens } from '../../src/perf/step.ts';
import { fleetsim, show } from '../helpers/cli.ts';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}/config.json`, import.meta.url));
const ratio = (x: number, truth: number) => Math.abs(x / truth - 1);
const h100 = GPUS['h100-80gb'];

describe('Gemma 2 and 3 from their config.json files', () => {
  // parameter counts of the Hub checkpoints (safetensors totals on each model page), which the
  // loader does not see: its count from the shape must land on them
  const published: [string, number][] = [['gemma-2-9b', 9_241_705_984], ['gemma-3-1b', 999_885_952], ['gemma-3-27b', 27_432_406_640]];
  for (const [name, total] of published) {
    it(`${name}: ${total.toLocaleString('en-US')} parameters within 0.1%`, () => {
      expect(ratio(countParams(loadHfConfig(fixture(name))).total, total)).toBeLessThan(0.001);
    });
  }

  it('sliding layers by each generation\'s rule: Gemma 2 the even layers, Gemma 3 five of every six', () => {
    const g2 = loadHfConfig(fixture('gemma-2-9b'));
    expect([g2.sliding_window_layers, g2.sliding_window, g2.tied_embeddings]).toEqual([21, 4096, true]);
    // 26 layers: full attention on layers 5, 11, 17 and 23
    const g3 = loadHfConfig(fixture('gemma-3-1b'));
    expect([g3.sliding_window_layers, g3.sliding_window, g3.kv_heads, g3.head_dim]).toEqual([22, 512, 1, 256]);
  });

  it('Gemma 3 27B: the sparse text_config takes Gemma3TextConfig\'s defaults, and the SigLIP encoder is sized apart', () => {
    const m = loadHfConfig(fixture('gemma-3-27b'));
    expect([m.layers, m.sliding_window_layers, m.vocab_size, m.max_context, m.head_dim]).toEqual([62, 52, 262208, 131072, 128]);
    // SigLIP So400m at 896 px, patch 14: 27 layers of 1152 wide, MLP 4304, 4,096 positions, by hand
    const layer = 4 * (1152 * 1152 + 1152) + 2 * 1152 * 4304 + 4304 + 1152 + 4 * 1152;
    const encoder = 3 * 14 * 14 * 1152 + 1152 + 4096 * 1152 + 27 * layer + 2 * 1152;
    expect(m.vision_params).toBe(encoder + 1152 + 1152 * 5376);
    const c = countParams(m);
    expect(c.total - c.active).toBe(m.vision_params);
  });

  it('layer_types, where a config writes it, decides the sliding layers; a pattern of 2 halves them', () => {
    const cfg = JSON.parse(readFileSync(fixture('gemma-3-1b'), 'utf8')) as Record<string, unknown>;
    const dir = mkdtempSync(join(tmpdir(), 'fleetsim-gemma-'));
    const write = (extra: Record<string, unknown>) => {
      const path = join(dir, `${Object.keys(extra).join('-')}.json`);
      writeFileSync(path, JSON.stringify({ ...cfg, ...extra }));
      return path;
    };
    expect(loadHfConfig(write({ sliding_window_pattern: 2 })).sliding_window_layers).toBe(13);
    const types = Array.from({ length: 26 }, (_, i) => (i < 20 ? 'sliding_attention' : 'full_attention'));
    expect(loadHfConfig(write({ layer_types: types })).sliding_window_layers).toBe(20);
    expect(() => loadHfConfig(write({ layer_types: types.slice(1) }))).toThrow(/layer_types: expected 26 entries/);
    expect(() => loadHfConfig(write({ use_bidirectional_attention: true }))).toThrow(/use_bidirectional_attention true: an embedding model/);
    const mm = JSON.parse(readFileSync(fixture('gemma-3-27b'), 'utf8')) as Record<string, unknown>;
    expect(() => loadHfConfig(write({ ...mm, vision_config: { model_type: 'clip_vision_model' } }))).toThrow(/vision_config\.model_type: expected "siglip_vision_model"/);
  });
});

describe('Gemma catalog entries', () => {
  const SIZE_ONLY = new Set(['id', 'name', 'kind', 'params_total', 'params_active', 'checkpoint']);
  for (const id of ['gemma-2-9b', 'gemma-3-1b', 'gemma-3-27b'] as ModelId[]) {
    it(`${id}: every shape field equal to its config.json's`, () => {
      const fromFile = loadHfConfig(fixture(id)) as unknown as Record<string, unknown>;
      const cat = MODELS[id] as unknown as Record<string, unknown>;
      const keys = new Set([...Object.keys(fromFile), ...Object.keys(cat)].filter((k) => !SIZE_ONLY.has(k)));
      for (const k of keys) expect(cat[k], k).toEqual(fromFile[k]);
      expect(ratio(cat.params_total as number, fromFile.params_total as number)).toBeLessThan(0.002);
    });
  }

  it('Gemma 3 27B BF16 at TP2 on H100: 27.4e9 x 2 / 2 bytes a GPU, of which a decode step reads the language model only', () => {
    const s = sizeReplica({ model: MODELS['gemma-3-27b'], gpu: h100, tp: 2, dtype: 'bf16' });
    expect(ratio(s.weightBytesPerGpu, (27.43e9 * 2) / 2)).toBeLessThan(0.01);
    expect(ratio(s.sharedWeightBytes, 27.01e9 * 2)).toBeLessThan(0.01);
  });

  it('Gemma 2 9B: 21 full layers of 8 KV heads of 256 grow with the context, 21 stop at 4,096 tokens', () => {
    const s = sizeReplica({ model: MODELS['gemma-2-9b'], gpu: h100, tp: 1, dtype: 'bf16' });
    const perLayer = 2 * 8 * 256 * 2;
    expect(s.kvBytesPerToken).toBe(21 * perLayer);
    expect(s.kvWindowBytesPerSequence).toBe(21 * 4096 * perLayer);
  });

  it('instruction-tuned names read as their base; perf serves them from the CLI', async () => {
    expect(catalogModelId('gemma-2-9b-it')).toBe('gemma-2-9b');
    expect(catalogModelId('gemma-3-27b-it')).toBe('gemma-3-27b');
    const perf = async (prompt: number, output: number) => {
      const r = await fleetsim(['perf', '--model', 'gemma-3-27b-it', '--gpu', 'h100-80gb', '--tp', '2', '--prompt', `${prompt}`, '--output', `${output}`, '--json']);
      expect(r.code, show(r)).toBe(0);
      return JSON.parse(r.stdout) as { kv_window_tokens_per_sequence: number; max_batch: number; kv_capacity_tokens: number };
    };
    // past its window a sequence holds 52 sliding layers of 1,024 tokens, as full-layer tokens of 10 full layers
    expect((await perf(2000, 200)).kv_window_tokens_per_sequence).toBe(Math.ceil((52 * 1024) / 10));
    // short of it, the tokens it has: 640 in each sliding layer
    const short = await perf(512, 128);
    expect(Math.abs(short.kv_window_tokens_per_sequence - (52 * 640) / 10)).toBeLessThanOrEqual(1);
    expect(short.max_batch).toBe(Math.floor(short.kv_capacity_tokens / (640 + short.kv_window_tokens_per_sequence)));
  });

  it('Gemma 2 9B: a sequence shorter than the 4,096-token window holds its tokens in every layer, not a window besides', () => {
    const step = buildStepModel({ model: MODELS['gemma-2-9b'], gpu: h100, tp: 1, dtype: 'bf16' });
    expect(windowKvTokens(step, 1200)).toBe(1200);
    expect(windowKvTokens(step, 9000)).toBe(4096);
    // a decode step of 8 such sequences reads 8 x 1,200 tokens in each of the 42 layers, as a model
    // of 42 full layers would (but for the 8 new tokens' keys and values the sliding layers write)
    const ctx = 8 * 1200;
    const full = buildStepModel({ model: { ...MODELS['gemma-2-9b'], sliding_window_layers: 0 }, gpu: h100, tp: 1, dtype: 'bf16' });
    expect(ratio(step.stepBytes(0, 0, 8, ctx), full.stepBytes(0, 0, 8, ctx))).toBeLessThan(1e-4);
    // and the replica's line agrees with the step model at both sides of the window
    for (const c of [ctx, 8 * 6000]) expect(decodeOnlyMs(step, 8, c)).toBeCloseTo(step.stepTimeMs(0, 0, 8, c), 9);
  });
});
