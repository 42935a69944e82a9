import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { runMain } from '../check/run-main.ts';
import { show } from '../helpers/cli.ts';
import { suiteTempDir } from '../helpers/temp-dir.ts';
import { expectRefusedInOneLine } from '../helpers/errors.ts';
import { spotInterruption } from '../../src/cost/purchase.ts';

/**
 * The twelfth hostile-input campaign of 2026-12-07, on disaggregated pools: the power series, the
 * spot block of pools on different instance types, a pool's instance against the purchase mix,
 * and a config file's MLP width. Each failed on the code before; docs/hostile-inputs.md lists them.
 */
const tmp = suiteTempDir('fleetsim-hostile-pools-');
const WARMUP_S = 2;

/** scenarios/disaggregated.yaml reduced to its disaggregated model, with `changes` merged into that model. */
function disaggregatedOnly(name: string, changes: Record<string, unknown>): string {
  const doc = parse(readFileSync('scenarios/disaggregated.yaml', 'utf8')) as { duration_s: number; warmup_s: number; fleet: { models: Record<string, Record<string, unknown>> } };
  const model = { ...doc.fleet.models.disaggregated, share: 1, ...changes };
  doc.fleet.models = { disaggregated: model };
  doc.duration_s = 12;
  doc.warmup_s = WARMUP_S;
  return tmp.write(name, stringify(doc));
}

interface Summary {
  energy: { gpu_power_w: number; by_model: Record<string, { gpus: number; idle_w_per_gpu: number }>; series: { t_s: number[]; gpu_power_w: number[] } };
  purchase: { by_model: Record<string, { spot: SpotBlock }> };
}
interface PoolSpot { instance: string; interruption_band: string; interruptions_per_month: number; spot_instances: number; expected_away_share: number }
interface SpotBlock extends PoolSpot { by_pool?: Record<string, PoolSpot> }

describe('a disaggregated model with an H100 prefill pool on p5 and its A100 decode pool on p4de, bought partly spot', () => {
  let summary: Summary;
  const runIt = async () => {
    if (summary) return summary;
    const file = disaggregatedOnly('mixed-pools.yaml', {
      purchase: { reserved_3y: 0.5, on_demand: 0.3, spot: 0.2 },
      disaggregation: { prefill: { gpus: 6, gpu: 'h100-80gb', instance: 'p5.48xlarge' }, decode: {}, kv_link: { bandwidth_gbps: 400, latency_ms: 0.5, kind: 'rdma' } },
    });
    const out = join(tmp.dir(), 'mixed-pools-out');
    const r = await runMain(['run', file, '--quiet', '--set', 'window_s=1', '--out', out]);
    expect(r.code, show(r)).toBe(0);
    summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Summary;
    return summary;
  };

  it("the power series follows the pools' draw (it sampled the model itself, which has no replicas: idle A100s in every window)", async () => {
    const s = await runIt();
    const { t_s, gpu_power_w } = s.energy.series;
    // the summary's mean is over the measured period: the windows after the warm-up
    const measured = gpu_power_w.filter((_, i) => t_s[i] > WARMUP_S + 1e-9);
    const mean_w = measured.reduce((a, w) => a + w, 0) / measured.length;
    expect(Math.abs(mean_w - s.energy.gpu_power_w) / s.energy.gpu_power_w).toBeLessThan(0.02);
    const m = s.energy.by_model.disaggregated;
    const idle_w = m.idle_w_per_gpu * m.gpus;
    expect(Math.min(...measured)).toBeGreaterThan(idle_w);
  });

  it("the spot block gives each pool's own band, rate and away share, and weighs them (it described the model's p4de alone and the last pool's away share)", async () => {
    const spot = (await runIt()).purchase.by_model.disaggregated.spot;
    const pools = spot.by_pool!;
    expect(Object.keys(pools).sort()).toEqual(['decode', 'prefill']);
    expect(pools.prefill.instance).toBe('p5.48xlarge');
    for (const pool of Object.values(pools)) {
      const assumed = spotInterruption(pool.instance);
      expect(pool.interruption_band).toBe(assumed.band);
      expect(pool.interruptions_per_month).toBe(assumed.per_month);
    }
    const weighted = (key: 'expected_away_share' | 'interruptions_per_month') =>
      Object.values(pools).reduce((a, p) => a + p[key] * p.spot_instances, 0) / Object.values(pools).reduce((a, p) => a + p.spot_instances, 0);
    expect(spot.expected_away_share).toBeCloseTo(weighted('expected_away_share'), 8);
    expect(spot.interruptions_per_month).toBeCloseTo(weighted('interruptions_per_month'), 6);
    expect(spot.interruption_band).toContain(pools.prefill.interruption_band);
  });
});

describe("a pool's instance type against the model's purchase mix", () => {
  it('validate refuses a capacity-block share for a pool on g5, at the pool\'s instance (validate passed it; run refused it unlocated, blaming purchase)', async () => {
    const file = disaggregatedOnly('g5-capacity-block.yaml', {
      purchase: { reserved_3y: 0.5, on_demand: 0.3, capacity_block: 0.2 },
      disaggregation: { prefill: { gpus: 4, tp: 2, gpu: 'a10g', instance: 'g5.12xlarge' }, decode: {}, kv_link: { bandwidth_gbps: 400, latency_ms: 0.5, kind: 'rdma' } },
    });
    const message = `fleet\\.models\\.disaggregated\\.disaggregation\\.prefill\\.instance: g5\\.12xlarge is not sold as capacity block .*purchase\\.capacity_block \\(0\\.2\\)`;
    const validated = await runMain(['validate', file]);
    expectRefusedInOneLine(validated, new RegExp(`^${file}:\\d+:\\d+: ${message}`), show(validated));
    const out = join(tmp.dir(), 'g5-capacity-block-out');
    const ran = await runMain(['run', file, '--quiet', '--out', out]);
    expectRefusedInOneLine(ran, new RegExp(`^${file}:\\d+:\\d+: ${message}`), show(ran));
    expect(existsSync(out)).toBe(false);
  });
});

describe('a model given as a config.json', () => {
  it('whose MLP width does not split over its tp is refused, naming tp and the file (it ran; perf --model-config refused it)', async () => {
    const config = { architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: 4096, intermediate_size: 11009, num_attention_heads: 32, num_key_value_heads: 32, num_hidden_layers: 32, vocab_size: 32000, max_position_embeddings: 4096, torch_dtype: 'float16' };
    tmp.write('odd-mlp.json', JSON.stringify(config));
    const doc = parse(readFileSync('scenarios/disaggregated.yaml', 'utf8')) as { fleet: { models: Record<string, Record<string, unknown>> } };
    doc.fleet.models = { colocated: { ...doc.fleet.models.colocated, model: 'odd-mlp.json', tp: 2, share: 1 } };
    const file = tmp.write('odd-mlp.yaml', stringify(doc));
    const r = await runMain(['validate', file]);
    expectRefusedInOneLine(r, new RegExp(`^${file}: fleet\\.models\\.colocated\\.tp: .*an MLP width of 11009 cannot be split over tp=2 GPUs \\(intermediate_size of fleet\\.models\\.colocated\\.model odd-mlp\\.json\\)$`), show(r));
  });
});
