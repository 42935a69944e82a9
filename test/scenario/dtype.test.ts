import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { resolveServed } from '../../src/fleet/llm/build.ts';
import { DTYPE_BYTES } from '../../src/perf/dtype.ts';
import { loadScenario } from '../../src/scenario/load.ts';

const FILE = 'scenarios/openai-2024.yaml';
const served = (overrides: string[]) => {
  const loaded = loadScenario(FILE, overrides);
  const f = loaded.scenario.fleet!;
  return resolveServed('gpt-4', f.models['gpt-4'], { file: loaded.file, dir: loaded.dir, roots: [loaded.dir] }, f);
};

describe('scenario dtypes and hardware', () => {
  it('the schema accepts fp4 and int4 and rejects an unknown dtype naming the field', () => {
    for (const dtype of ['fp4', 'int4']) {
      expect(loadScenario(FILE, [`fleet.models.gpt-4.dtype=${dtype}`]).scenario.fleet!.models['gpt-4'].dtype).toBe(dtype);
    }
    expect(() => loadScenario(FILE, ['fleet.models.gpt-4.dtype=fp3'])).toThrow(UserError);
    expect(() => loadScenario(FILE, ['fleet.models.gpt-4.dtype=fp3'])).toThrow(/fleet\.models\.gpt-4\.dtype/);
  });

  it('a served model with int4 weights keeps a 16-bit KV cache; fp4 on B200 stores 4.5-bit KV when asked (vLLM keeps 16 bits by default)', () => {
    // GPT-3 175B: 96 layers, 96 heads of 128 (no GQA); TP 8 holds one head in 8 per GPU
    const kv16 = 2 * 96 * 128 * 96 * 2;
    expect(served(['fleet.models.gpt-4.dtype=int4']).step.kvBytesPerToken).toBe(kv16);
    const b200 = ['fleet.models.gpt-4.dtype=fp4', 'fleet.models.gpt-4.gpu=b200', 'fleet.models.gpt-4.instance=p6-b200.48xlarge'];
    // the scenario's engine is vllm, whose cache follows the activations unless kv_dtype says otherwise
    expect(served(b200).step.kvBytesPerToken).toBe(kv16);
    expect(served([...b200, 'fleet.models.gpt-4.kv_dtype=fp4']).step.kvBytesPerToken).toBeCloseTo(kv16 / 2 * DTYPE_BYTES.fp4, 9);
    expect(served([...b200, 'fleet.models.gpt-4.engine=trtllm']).step.kvBytesPerToken).toBeCloseTo(kv16 / 2 * DTYPE_BYTES.fp4, 9);
  });

  it('refuses fp4 on A100 and a TP beyond the NVLink domain, naming the field', () => {
    expect(() => served(['fleet.models.gpt-4.dtype=fp4'])).toThrow(/^fleet\.models\.gpt-4\.dtype: a100-80gb has no FP4 tensor cores/);
    expect(() => served(['fleet.models.gpt-4.tp=12', 'fleet.models.gpt-4.gpus=25008'])).toThrow(/^fleet\.models\.gpt-4\.tp: tp=12 exceeds the 8-GPU nvlink domain of a100-80gb/);
  });
});
