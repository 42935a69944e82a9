import { describe, expect, it } from 'vitest';
import { runMain } from '../check/run-main.ts';
import { show } from '../helpers/cli.ts';
import { suiteTempDir } from '../helpers/temp-dir.ts';
import { expectRefusedInOneLine } from '../helpers/errors.ts';
import { ENGINE_PROFILES } from '../../src/perf/profiles.ts';
import { GPU_MEMORY_BYTES_PER_GB } from '../../src/perf/hardware.ts';
import { catalogGpuId, getGpu } from '../../src/perf/lookup.ts';
import { schedulerForGpu, schedulerOf } from '../../src/perf/calibration.ts';

/**
 * The ninth hostile-input campaign of 2026-12-07, on `fleetsim perf` and the config.json loader:
 * the failures mended that day, each failing on the code before. docs/hostile-inputs.md lists them.
 */
const tmp = suiteTempDir('fleetsim-hostile-perf-');

/** A Gemma-3-12B-like config.json whose first `sliding` of 48 layers slide over `window` tokens. */
function gemmaConfig(name: string, sliding: number, window = 1024): string {
  const layer_types = Array.from({ length: 48 }, (_, i) => (i < sliding ? 'sliding_attention' : 'full_attention'));
  return tmp.write(`${name}.json`, JSON.stringify({
    model_type: 'gemma3_text', hidden_size: 3840, intermediate_size: 15360, num_hidden_layers: 48, num_attention_heads: 16,
    num_key_value_heads: 8, head_dim: 256, vocab_size: 262208, max_position_embeddings: 131072, sliding_window: window,
    torch_dtype: 'bfloat16', layer_types,
  }));
}

async function perfJson(args: string[]): Promise<Record<string, unknown>> {
  const r = await runMain(['perf', ...args, '--json']);
  expect(r.code, show(r)).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

describe('perf: a model whose every layer slides', () => {
  const LONG = ['--prompt', '100000', '--output', '1000', '--gpu', 'h100'];

  it('is timed as full attention in prefill and decode alike, and says so (prefill used the window, decode did not); its KV cache holds the window a sequence (leftovers-tenth-c)', async () => {
    const full = await perfJson(['--model-config', gemmaConfig('full', 0), ...LONG]);
    for (const window of [1024, 1]) {
      const sliding = await perfJson(['--model-config', gemmaConfig(`sliding-${window}`, 48, window), ...LONG]);
      for (const key of ['prefill_ms', 'tpot_ms', 'kv_capacity_tokens']) {
        expect(sliding[key], `${key}, window ${window}`).toBeCloseTo(full[key] as number, 6);
      }
      expect(sliding.max_batch, `window ${window}`).toBe(Math.floor((sliding.kv_capacity_tokens as number) / window));
      expect(sliding.known_bias).toMatch(new RegExp(`every one of its 48 layers slides over a ${window.toLocaleString('en-US')}-token window: its KV cache holds at most the window per sequence.*timed as full attention`));
    }
    expect(full.known_bias).toBeUndefined();
  });

  it('a model with one full layer keeps its windows (the mixed case is unchanged)', async () => {
    const mixed = await perfJson(['--model-config', gemmaConfig('mixed', 47), ...LONG]);
    expect(mixed.kv_window_tokens_per_sequence).toBeGreaterThan(0);
    expect(mixed.known_bias).toBeUndefined();
  });

  it("prints the note in perf's table", async () => {
    const r = await runMain(['perf', '--model-config', gemmaConfig('table', 48), ...LONG]);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toMatch(/known bias +.*timed as full attention/);
    expect(r.stdout).toMatch(/max batch [\d,]+ x 1024 \(the window of its 101000\) tokens/);
  });
});

describe("perf --batch above the engine's max_num_seqs", () => {
  for (const gpuId of ['h200', 'a100-80gb']) {
    const cap = schedulerForGpu(schedulerOf(ENGINE_PROFILES.vllm), getGpu(gpuId)).max_num_seqs;

    it(`is refused on ${gpuId} (${cap} sequences; a larger batch was accepted and its throughput reported)`, async () => {
      const r = await runMain(['perf', '--model', 'llama-3.1-8b', '--gpu', gpuId, '--prompt', '64', '--output', '64', '--batch', String(cap + 1)]);
      expectRefusedInOneLine(r, new RegExp(`^--batch ${cap + 1}: .*max_num_seqs of ${cap} on ${gpuId}.*--calibration`), show(r));
      expect(r.stdout).toBe('');
      const atCap = await perfJson(['--model', 'llama-3.1-8b', '--gpu', gpuId, '--prompt', '64', '--output', '64', '--batch', String(cap)]);
      expect(atCap.throughput_batch).toBe(cap);
    });
  }
});

describe('perf: memory in one unit', () => {
  it('a model that does not fit names GiB throughout (it said "77.3 GB usable (80 GB x 0.9)": GB of the first, GiB of the second)', async () => {
    const r = await runMain(['perf', '--model', 'llama-3.1-70b', '--gpu', 'h100']);
    const gpu = getGpu(catalogGpuId('h100'));
    const usable = (gpu.memory_gb * 0.9).toFixed(1);
    expectRefusedInOneLine(r, new RegExp(`weights need \\d+\\.\\d GiB per GPU, ${usable.replace('.', '\\.')} GiB usable \\(${gpu.memory_gb} GiB x 0\\.9\\)`), show(r));
    expect(r.stderr).not.toMatch(/\bGB\b/);
  });

  it('no room for the KV cache names GiB throughout', async () => {
    // FP8 weights of 70.5 GB (65.6 GiB) fit in 0.83 x 80 GiB but leave no room for the KV cache
    const r = await runMain(['perf', '--model', 'llama-3.1-70b', '--gpu', 'h100', '--dtype', 'fp8', '--gpu-memory-utilization', '0.83']);
    expectRefusedInOneLine(r, /no room for the KV cache: \d+\.\d GiB usable per GPU, weights \d+\.\d GiB, activations and runtime \d+\.\d GiB/, show(r));
    expect(r.stderr).not.toMatch(/\bGB\b/);
    expect(GPU_MEMORY_BYTES_PER_GB).toBe(2 ** 30);
  });
});

describe('perf: a float32 checkpoint', () => {
  const config = () => tmp.write('f32.json', JSON.stringify({
    model_type: 'llama', hidden_size: 2048, intermediate_size: 8192, num_hidden_layers: 16, num_attention_heads: 32, num_key_value_heads: 8,
    vocab_size: 128256, max_position_embeddings: 131072, torch_dtype: 'float32',
  }));

  it("is served in bf16 as vLLM's --dtype auto does, and says it casts (it read \"fp16 (the checkpoint's: torch_dtype float32)\")", async () => {
    const r = await runMain(['perf', '--model-config', config(), '--gpu', 'h100']);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/, bf16 \(the checkpoint is float32 \(torch_dtype\); served in 16 bits as vLLM's --dtype auto does\),/);
  });

  it('is served in fp16 on a GPU without BF16 (vLLM takes the first 16-bit dtype the GPU supports)', async () => {
    const r = await runMain(['perf', '--model-config', config(), '--gpu', 'v100-32gb']);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/, fp16 \(the checkpoint is float32 \(torch_dtype\); served in 16 bits as vLLM's --dtype auto does\),/);
  });
});
