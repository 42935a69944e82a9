import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runReplications } from '../../src/experiment/replications.ts';
import { planSweep } from '../../src/experiment/sweep.ts';
import { resolveServed } from '../../src/fleet/llm/build.ts';
import { loadScenario } from '../../src/scenario/load.ts';
import { prepare } from '../../src/scenario/prepare.ts';
import { verdictText } from '../../src/report/verdict-text.ts';
import { kvTierTable } from '../../src/report/cache-verdict-text.ts';
import { GPU_MEMORY_BYTES_PER_GB } from '../../src/perf/hardware.ts';

const FILE = 'scenarios/kv-offload.yaml';

/** The shipped scenario, shortened (150 s, 60 s of warm-up: each application's prompt comes back about every 50 s). */
function run(overrides: string[] = []) {
  const prep = prepare(loadScenario(FILE, ['duration_s=150', 'warmup_s=60', ...overrides]));
  return runReplications(prep, 1, 1).summary;
}

describe('scenarios/kv-offload.yaml: a prefix working set larger than HBM, with and without host DRAM', () => {
  const dram = run();
  const hbmOnly = run(['fleet.models.chat.kv_tiers={}']);
  const g = dram.gpu!.chat, h = hbmOnly.gpu!.chat;

  it('prefixes HBM evicted are found in host memory: the hit rate rises by the host part and TTFT p99 falls', () => {
    expect(g.kv_host_hit_rate!).toBeGreaterThan(0.1);
    expect(g.prefix_hit_rate!).toBeGreaterThan(h.prefix_hit_rate! + 0.1);
    expect(g.kv_transfer_s!).toBeGreaterThan(0);
    const ttft = (x: typeof dram) => x.by_model!.chat.latency_ms.ttft;
    expect(ttft(dram).p99!).toBeLessThan(ttft(hbmOnly).p99!);
    expect(ttft(dram).p50!).toBeLessThan(ttft(hbmOnly).p50!);
    // with HBM only there are no tier figures at all
    expect(h.kv_host_hit_rate).toBeUndefined();
  });

  it('the DRAM is on the bill: replicas x capacity x the assumed price of the data file, and nothing else changes', () => {
    const price = (JSON.parse(readFileSync('data/prices/kv-tiers.json', 'utf8')) as { host_dram: { usd_per_gb_month: number } }).host_dram.usd_per_gb_month;
    const replicas = 16 / 4, capacity_gb = 1000;
    expect(dram.cost!.by_component['kv_tiers:chat']).toBeCloseTo(replicas * capacity_gb * price, 6);
    expect(g.kv_tiers_monthly_usd).toBeCloseTo(replicas * capacity_gb * price, 2);
    expect(hbmOnly.cost!.by_component['kv_tiers:chat']).toBeUndefined();
    expect(dram.cost!.monthly_usd - hbmOnly.cost!.monthly_usd).toBeCloseTo(replicas * capacity_gb * price, 4);
    const line = verdictText(dram).lines.map((l) => l.text).find((t) => t.startsWith('prefix cache chat'));
    expect(line).toContain('from host DRAM');
    expect(line).toContain('KV tier memory $8,030 a month');
    // the terminal's tier table has the model with tiers only
    expect(kvTierTable(dram)!.rows.map((r) => r[0])).toEqual(['chat']);
    expect(kvTierTable(hbmOnly)).toBeNull();
  });
});

describe('cache-size knobs as sweep axes', () => {
  it("kv_cache_free_gpu_mem_fraction sizes it by TensorRT-LLM's rule: 0.1 more is 0.1 of what weights and reserve leave", () => {
    const sweep = planSweep({ file: FILE, vary: ['fleet.models.chat.kv_cache_free_gpu_mem_fraction=0.7'] });
    const f = sweep.scenario(0).fleet!;
    // the scenario sets gpu_memory_utilization (vLLM's rule): with both, the model is refused naming the field
    expect(() => resolveServed('chat', f.models.chat, { file: FILE, dir: sweep.dir, roots: sweep.roots }, f))
      .toThrow(/^fleet\.models\.chat\.kv_cache_free_gpu_mem_fraction: expected it or gpu_memory_utilization/);
    const step = (fraction: number) => {
      const spec = { ...f.models.chat, gpu_memory_utilization: undefined, kv_cache_free_gpu_mem_fraction: fraction };
      return resolveServed('chat', spec, { file: FILE, dir: sweep.dir, roots: sweep.roots }, f).step;
    };
    const low = step(0.7), high = step(0.8);
    const freeBytes = (low.kvCapacityTokens * low.kvBytesPerToken) / 0.7;
    expect(Math.abs(high.kvCapacityTokens - low.kvCapacityTokens - (0.1 * freeBytes) / low.kvBytesPerToken)).toBeLessThanOrEqual(2);
  });

  it('gpu_memory_utilization sizes the HBM KV cache: 0.1 more of each GPU is 0.1 x memory x GPUs more KV bytes', () => {
    const sweep = planSweep({ file: FILE, vary: ['fleet.models.chat.gpu_memory_utilization=0.7,0.8'] });
    const capacity = (k: number) => {
      const sc = sweep.scenario(k);
      const f = sc.fleet!;
      return resolveServed('chat', f.models.chat, { file: FILE, dir: sweep.dir, roots: sweep.roots }, f).step;
    };
    const low = capacity(0), high = capacity(1);
    const expected = (4 * 80 * GPU_MEMORY_BYTES_PER_GB * 0.1) / low.kvBytesPerToken;
    expect(Math.abs(high.kvCapacityTokens - low.kvCapacityTokens - expected)).toBeLessThanOrEqual(1);
  });

  it('the host tier size and the routing policy are axes too; a swap without a host tier is refused naming the field', () => {
    const sweep = planSweep({ file: FILE, vary: ['fleet.models.chat.kv_tiers.host.capacity_gb=0,250', 'fleet.models.chat.router.policy=prefix_affinity,least_outstanding'] });
    expect(sweep.meta.points).toBe(4);
    expect(sweep.scenario(3).fleet!.models.chat.kv_tiers!.host!.capacity_gb).toBe(250);
    expect(sweep.scenario(3).fleet!.models.chat.router.policy).toBe('least_outstanding');
    expect(() => loadScenario(FILE, ['fleet.models.chat.kv_tiers={preemption_mode: swap}'])).toThrow(/kv_tiers\.preemption_mode: swap needs a host tier/);
  });
});

describe('KV tiers on a disaggregated model: the prefill pool finds evicted prefixes in host memory', () => {
  // the same 16 GPUs (4 replicas of tp 4) as 2 prefill and 2 decode replicas, each with its host tier
  const pools = 'fleet.models.chat.disaggregation={prefill: {gpus: 8}, decode: {}, kv_link: {bandwidth_gbps: 400, latency_ms: 0.5, kind: rdma}}';
  const dram = run([pools]);
  const hbmOnly = run([pools, 'fleet.models.chat.kv_tiers={}']);
  const g = dram.gpu!.chat, h = hbmOnly.gpu!.chat;

  it('hits in the host tier raise the prefix hit rate; the tier memory of every replica of both pools is billed', () => {
    expect(dram.by_model!.chat.disaggregation).toBeDefined();
    expect(g.kv_host_hit_rate!).toBeGreaterThan(0.1);
    expect(g.prefix_hit_rate!).toBeGreaterThan(h.prefix_hit_rate! + 0.1);
    expect(g.kv_transfer_s!).toBeGreaterThan(0);
    const price = (JSON.parse(readFileSync('data/prices/kv-tiers.json', 'utf8')) as { host_dram: { usd_per_gb_month: number } }).host_dram.usd_per_gb_month;
    expect(dram.cost!.by_component['kv_tiers:chat']).toBeCloseTo(4 * 1000 * price, 6);
    expect(hbmOnly.cost!.by_component['kv_tiers:chat']).toBeUndefined();
  });
});
