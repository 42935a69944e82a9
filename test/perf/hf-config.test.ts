import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { loadHfConfig } from '../../src/perf/hf-config.ts';
import { catalogModelId, resolveModel } from '../../src/perf/lookup.ts';
import { MODELS, MODEL_IDS } from '../../src/perf/models.ts';
import { countParams } from '../../src/perf/shape.ts';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}/config.json`, import.meta.url));
const within = (x: number, published: number, pct: number) => Math.abs(x / published - 1) * 100 <= pct;

describe('Hugging Face config.json loading', () => {
  // published parameter counts: model cards / papers
  const cases: [string, number, number, Partial<Record<string, number>>][] = [
    ['llama-2-7b', 6.74e9, 6.74e9, { layers: 32, kv_heads: 32, head_dim: 128 }],
    ['gpt2', 124.4e6, 124.4e6, { layers: 12, hidden_size: 768, intermediate_size: 3072, max_context: 1024 }],
    ['gpt-neox-20b', 20.55e9, 20.55e9, { layers: 44, head_dim: 96 }],
    ['bloom-560m', 559.2e6, 559.2e6, { layers: 24, hidden_size: 1024, intermediate_size: 4096 }],
    ['falcon-7b', 6.92e9, 6.92e9, { kv_heads: 1, head_dim: 64, attention_heads: 71 }],
    ['mixtral-8x7b', 46.7e9, 12.9e9, { experts: 8, experts_per_token: 2, kv_heads: 8 }],
  ];
  for (const [name, total, active, shape] of cases) {
    it(`${name}: shape and parameter count within 1% of the published figure`, () => {
      const m = loadHfConfig(fixture(name));
      expect(within(m.params_total, total, 1), `total ${m.params_total}`).toBe(true);
      expect(within(m.params_active, active, 1), `active ${m.params_active}`).toBe(true);
      for (const [k, v] of Object.entries(shape)) expect(m[k as keyof typeof m], k).toBe(v);
    });
  }

  it('agrees with the catalog entry of the same model', () => {
    const fromFile = loadHfConfig(fixture('llama-2-7b'));
    const cat = MODELS['llama-2-7b'];
    for (const k of ['layers', 'hidden_size', 'attention_heads', 'kv_heads', 'head_dim', 'intermediate_size', 'vocab_size', 'mlp'] as const) {
      expect(fromFile[k], k).toBe(cat[k]);
    }
  });

  const bad = (cfg: unknown, text?: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetsim-hf-'));
    const path = join(dir, 'config.json');
    writeFileSync(path, text ?? JSON.stringify(cfg));
    return path;
  };
  const llama = { model_type: 'llama', hidden_size: 4096, num_hidden_layers: 32, num_attention_heads: 32, intermediate_size: 11008, vocab_size: 32000, max_position_embeddings: 4096 };

  it('a non-integer size names the key and the value', () => {
    const path = bad({ ...llama, hidden_size: 'x' });
    expect(() => loadHfConfig(path)).toThrow(UserError);
    expect(() => loadHfConfig(path)).toThrow(`${path}: hidden_size: expected a positive integer of at most 262144, got "x"`);
  });

  it('a missing key names the spellings it looked for', () => {
    const { num_hidden_layers: _, ...noLayers } = llama;
    expect(() => loadHfConfig(bad(noLayers))).toThrow(/num_hidden_layers: missing \(also looked for n_layer, num_layers\)/);
  });

  it('a gated MLP without its width is refused, not sized at 4x the hidden size (Llama 2 7B read 17.7 GB for 13.5)', () => {
    const { intermediate_size: _, ...noWidth } = llama;
    const path = bad(noWidth);
    expect(() => loadHfConfig(path)).toThrow(`${path}: intermediate_size: missing (also looked for ffn_dim, n_inner)`);
    // GPT-2's MLP is 4x by definition (n_inner null): still read so
    expect(loadHfConfig(bad({ model_type: 'gpt2', n_embd: 768, n_layer: 12, n_head: 12, vocab_size: 50257, n_positions: 1024 })).intermediate_size).toBe(3072);
  });

  it('bad JSON, missing file, non-object, inconsistent heads are UserErrors', () => {
    expect(() => loadHfConfig(bad(null, '{ "hidden_size": 4096,'))).toThrow(/not valid JSON/);
    expect(() => loadHfConfig('/nonexistent/config.json')).toThrow(/cannot read model config: ENOENT/);
    expect(() => loadHfConfig(bad([1, 2]))).toThrow(/expected a JSON object/);
    expect(() => loadHfConfig(bad({ ...llama, num_key_value_heads: 5 }))).toThrow(/must divide/);
  });
});

describe('model catalog', () => {
  // 2%: some published figures carry two significant digits (Qwen3-30B-A3B's "3.3B" active is 3.25-3.35B)
  it('every catalog shape gives its published parameter counts within 2%', () => {
    for (const id of MODEL_IDS) {
      const m = MODELS[id];
      const c = countParams(m);
      expect(within(c.total, m.params_total, 2), `${id} total ${c.total} vs ${m.params_total}`).toBe(true);
      expect(within(c.active, m.params_active, 2), `${id} active ${c.active} vs ${m.params_active}`).toBe(true);
    }
  });
});

describe('resolveModel', () => {
  it('takes a catalog id or a config.json path, and suggests an id otherwise', () => {
    expect(resolveModel('llama-3-8b').params_total).toBe(8.03e9);
    expect(resolveModel(fixture('gpt2')).layers).toBe(12);
    expect(() => resolveModel('mixtral-8x7', 'fleet.models[1].model')).toThrow(/^fleet\.models\[1\]\.model: unknown model "mixtral-8x7" \(did you mean "mixtral-8x7b"\?\)/);
  });
});

describe('a fine-tune or quantized checkpoint named for its base model', () => {
  it('reads as the base model when its ending is a fine-tune, release or checkpoint tag, and only then', () => {
    expect(catalogModelId('llama-3.1-8b-instruct')).toBe('llama-3.1-8b');
    expect(catalogModelId('llama-2-70b-chat-hf')).toBe('llama-2-70b');
    expect(catalogModelId('mixtral-8x7b-instruct-v0.1')).toBe('mixtral-8x7b');
    expect(catalogModelId('meta-llama-3.1-70b-instruct-fp8')).toBe('llama-3.1-70b');
    expect(catalogModelId('qwen2.5-72b-instruct-awq')).toBe('qwen2.5-72b');
    expect(catalogModelId('llama-4-maverick-17b-128e-instruct-fp8')).toBe('llama-4-maverick');
    expect(catalogModelId('llama-4-scout-17b-16e')).toBe('llama-4-scout');
    // an exact id wins, and a name whose stem is not in the catalog stays unknown
    expect(catalogModelId('llama-3-8b')).toBe('llama-3-8b');
    expect(catalogModelId('jamba-1.5-large')).toBeUndefined();
    expect(catalogModelId('instruct')).toBeUndefined();
    expect(resolveModel('llama-3.1-8b-instruct')).toBe(MODELS['llama-3.1-8b']);
    expect(() => resolveModel('jamba-1.5-large', 'fleet.models.chat.model')).toThrow(/^fleet\.models\.chat\.model: unknown model "jamba-1\.5-large"/);
  });

  it('reads release dates, MLPerf\'s spellings and models published on a catalog model\'s layers', () => {
    expect(catalogModelId('deepseek-r1')).toBe('deepseek-v3');
    expect(catalogModelId('deepseek-r1-0528')).toBe('deepseek-v3');
    expect(catalogModelId('deepseek-v3-0324')).toBe('deepseek-v3');
    expect(catalogModelId('deepseek-r1-distill-llama-70b')).toBe('llama-3.3-70b');
    expect(catalogModelId('deepseek-r1-distill-qwen-32b')).toBe('qwen2.5-32b');
    expect(catalogModelId('qwen3-235b-a22b-instruct-2507')).toBe('qwen3-235b-a22b');
    expect(catalogModelId('mistral-large-instruct-2411')).toBe('mistral-large-123b');
    expect(catalogModelId('llama2-70b')).toBe('llama-2-70b');
    expect(catalogModelId('llama3.1-405b')).toBe('llama-3.1-405b');
    expect(catalogModelId('deepseek-r1-distill-qwen-1.5b')).toBeUndefined();
    expect(catalogModelId('llama')).toBeUndefined();
  });
});
