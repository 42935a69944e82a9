import type { z } from 'zod';
import type { EnergySummarySchema } from './summary-schema.ts';
import type { RunResult } from './run-result.ts';
import type { FleetSpec } from '../fleet/schema.ts';
import type { BuiltFleet, ServedModel } from '../fleet/llm/build.ts';
import { ReplicaStats } from '../fleet/gpu/stats.ts';
import { busyPowerW, type PowerModel } from '../perf/power.ts';
import { HOURS_PER_MONTH } from '../cost/prices.ts';
import { modelGpuParts } from '../fleet/llm/gpu-bill.ts';
import { gpusPerInstance } from '../fleet/llm/purchase-cost.ts';
import { DEFAULT_PUE, defaultGridName, emissionsKg, getGrid, monthlyKwh, NODE_OVERHEAD_SHARE_OF_GPU_TDP } from '../cost/energy.ts';
import { round } from './round.ts';
import type { PowerWindows } from './power-series.ts';

export type EnergySummary = z.infer<typeof EnergySummarySchema>;
type ModelEnergy = EnergySummary['by_model'][string];
type RegionEnergy = EnergySummary['by_region'][string];

const r = (x: number) => round(x);
const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600;

/** What the power model reads of a replica's counters (ReplicaStats has them). */
export interface BusyWork {
  busy_ms: number;
  prefill_busy_ms: number;
  flops: number;
  prefill_flops: number;
  bytes: number;
  prefill_bytes: number;
}

/**
 * Mean draw per GPU of one served model's simulated replicas over the measured period: idle
 * between iterations, and over the prefill and the decode-only iterations the draw of their
 * mean compute and memory use (perf/power.ts), capped. Replicas that were off or failed count as idle.
 */
export function modelPowerPerGpu(pm: PowerModel, stats: BusyWork, replicaTime_ms: number): { mean_w: number; prefill_w: number; decode_w: number } {
  const prefill_ms = stats.prefill_busy_ms;
  const decode_ms = Math.max(0, stats.busy_ms - prefill_ms);
  const prefill_w = busyPowerW(pm, stats.prefill_flops, stats.prefill_bytes, prefill_ms);
  const decode_w = busyPowerW(pm, stats.flops - stats.prefill_flops, stats.bytes - stats.prefill_bytes, decode_ms);
  if (!(replicaTime_ms > 0)) return { mean_w: pm.idle_w, prefill_w, decode_w };
  const idle_ms = Math.max(0, replicaTime_ms - stats.busy_ms);
  return { mean_w: (pm.idle_w * idle_ms + prefill_w * prefill_ms + decode_w * decode_ms) / replicaTime_ms, prefill_w, decode_w };
}

/** The served models a model's energy counts: itself, or a disaggregated model's two pools (each its own GPU, replicas and draw). */
export function energyPools(fleet: BuiltFleet, s: ServedModel): ServedModel[] {
  const d = fleet.disaggregated[s.name];
  return d ? [d.prefill, d.decode] : [s];
}

/**
 * Non-GPU draw of a model's nodes, full fleet: the instances the bill counts (fleet/llm/gpu-bill.ts:
 * a disaggregated model's pools packed on one type's instances), each drawing `node_overhead_w`
 * or its share of its GPUs' TDP.
 */
function nodeOverheadW(f: FleetSpec, s: ServedModel, pools: readonly ServedModel[]): { nodes: number; overhead_w: number } {
  let nodes = 0, overhead_w = 0;
  modelGpuParts(f, s.name).forEach((part, i) => {
    const perNode_w = f.energy?.node_overhead_w ?? NODE_OVERHEAD_SHARE_OF_GPU_TDP * pools[i].power.tdp_w * gpusPerInstance(f, part.spec.instance, s.name);
    nodes += part.instances;
    overhead_w += part.instances * perNode_w;
  });
  return { nodes: Math.round(nodes), overhead_w };
}

/** One model's full-fleet power from its simulated replicas (a disaggregated model's: both pools'). */
function modelEnergy(f: FleetSpec, run: RunResult, s: ServedModel): ModelEnergy & { it_w: number } {
  const pools = energyPools(run.fleet!, s);
  const measured_ms = run.duration_ms - run.warmup_ms;
  const draws = pools.map((pool) => {
    const stats = new ReplicaStats();
    let replicas = 0;
    for (const c of run.fleet!.gpuClusters) {
      if (c.served !== pool) continue;
      for (const rep of c.replicas) stats.merge(rep.stats());
      replicas += c.replicas.length;
    }
    return modelPowerPerGpu(pool.power, stats, measured_ms * replicas);
  });
  const gpu_w = pools.reduce((a, pool, i) => a + draws[i].mean_w * pool.spec.gpus, 0);
  const idle_w = pools.reduce((a, pool) => a + pool.power.idle_w * pool.spec.gpus, 0) / s.spec.gpus;
  const node = nodeOverheadW(f, s, pools);
  return {
    gpus: s.spec.gpus,
    nodes: node.nodes,
    power_w_per_gpu: r(gpu_w / s.spec.gpus),
    idle_w_per_gpu: r(idle_w),
    // a disaggregated model prefills in its prefill pool and decodes in its decode pool
    prefill_w_per_gpu: r(draws[0].prefill_w),
    decode_w_per_gpu: r(draws[draws.length - 1].decode_w),
    ...(s.power.cap_w !== undefined ? { power_cap_w: s.power.cap_w } : {}),
    gpu_power_w: r(gpu_w),
    node_overhead_w: r(node.overhead_w),
    it_w: gpu_w + node.overhead_w,
  };
}

/** Each region's PUE, carbon intensity and share of the GPU capacity. */
function regionFactors(f: FleetSpec): (RegionEnergy & { name: string; source: string })[] {
  const regions = Object.entries(f.regions);
  const total = regions.reduce((a, [, x]) => a + x.capacity_share, 0);
  return regions.map(([name, x]) => {
    const grid = x.carbon_g_per_kwh === undefined ? getGrid(x.grid ?? defaultGridName(name), `fleet.regions.${name}.grid`) : undefined;
    return {
      name,
      grid: grid ? grid.id : 'override',
      source: grid ? `grid ${grid.id}${x.grid ? '' : ` (${grid.id === 'world' ? 'default' : 'by its name'})`}, ${grid.source} annual average` : 'carbon_g_per_kwh of the scenario',
      g_co2e_per_kwh: x.carbon_g_per_kwh ?? grid!.g_co2e_per_kwh,
      pue: x.pue ?? f.energy?.pue ?? DEFAULT_PUE,
      capacity_share: total > 0 ? r(x.capacity_share / total) : 0,
      monthly_kg_co2e: 0,
    };
  });
}

/**
 * The energy block of summary.json: full-fleet power, energy per month (730 h at the simulated
 * load, like the bill), per million tokens and per request, and emissions by region.
 */
export function summarizeEnergy(f: FleetSpec, run: RunResult, tokens_per_s: number, requests_per_s: number): EnergySummary {
  const by_model: Record<string, ModelEnergy> = {};
  let it_w = 0, gpu_w = 0, overhead_w = 0;
  for (const s of run.fleet!.served) {
    const { it_w: modelIt_w, ...m } = modelEnergy(f, run, s);
    by_model[s.name] = m;
    it_w += modelIt_w;
    gpu_w += m.gpu_power_w;
    overhead_w += m.node_overhead_w;
  }
  const regions = regionFactors(f);
  let facility_w = 0, carbon_kg = 0;
  const by_region: Record<string, RegionEnergy> = {};
  for (const { name, source: _source, ...x } of regions) {
    const region_w = it_w * x.capacity_share * x.pue;
    facility_w += region_w;
    const kg = emissionsKg(monthlyKwh(region_w), x.g_co2e_per_kwh);
    carbon_kg += kg;
    by_region[name] = { ...x, monthly_kg_co2e: r(kg) };
  }
  const kwh = monthlyKwh(facility_w);
  const millionTokens = tokens_per_s * SECONDS_PER_MONTH / 1e6;
  const requests = requests_per_s * SECONDS_PER_MONTH;
  return {
    gpu_power_w: r(gpu_w),
    node_overhead_w: r(overhead_w),
    it_power_w: r(it_w),
    facility_power_w: r(facility_w),
    monthly_kwh: r(kwh),
    kwh_per_million_tokens: r(millionTokens > 0 ? kwh / millionTokens : 0),
    wh_per_request: r(requests > 0 ? kwh * 1000 / requests : 0),
    monthly_kg_co2e: r(carbon_kg),
    g_co2e_per_million_tokens: r(millionTokens > 0 ? carbon_kg * 1000 / millionTokens : 0),
    by_model,
    by_region,
    assumptions: energyAssumptions(f, run.fleet!.served.flatMap((s) => energyPools(run.fleet!, s)), regions),
    ...(run.power ? { series: powerSeries(run.power, overhead_w, it_w > 0 ? facility_w / it_w : 1) } : {}),
  };
}

/** The sampled GPU power per window, with the facility power it makes. */
function powerSeries(p: PowerWindows, overhead_w: number, pue: number): NonNullable<EnergySummary['series']> {
  return {
    t_s: [...p.t_s],
    gpu_power_w: p.gpu_power_w.map(r),
    facility_power_w: p.gpu_power_w.map((w) => r((w + overhead_w) * pue)),
  };
}

/** What the energy and carbon figures rest on, one line each (the summary, the verdict and the terminal list them). */
function energyAssumptions(f: FleetSpec, served: readonly ServedModel[], regions: ReturnType<typeof regionFactors>): string[] {
  const idle = served
    .filter((s, i) => served.findIndex((o) => o.spec.gpu === s.spec.gpu) === i)
    .map((s) => `${s.spec.gpu} ${r(s.power.idle_w)} W (${r(s.power.idle_w / s.power.tdp_w * 100)}% of its ${s.power.tdp_w} W TDP)`);
  const pues = [...new Set(regions.map((x) => x.pue))];
  return [
    `GPU draw: idle ${idle.join(', ')}; busy from each iteration's compute and memory use, at most TDP or the power cap (docs/energy.md); ` +
      'measured vLLM runs drew 18-44% more than this model gives, the most in heavily batched decode, so the energy here is likely low',
    f.energy?.node_overhead_w !== undefined ? `node overhead (CPUs, NICs, fans): ${f.energy.node_overhead_w} W per node` : `node overhead (CPUs, NICs, fans): ${NODE_OVERHEAD_SHARE_OF_GPU_TDP * 100}% of its GPUs' TDP per node (assumed)`,
    `PUE ${pues.join(', ')}${f.energy?.pue === undefined && regions.every((x) => f.regions[x.name].pue === undefined) ? ' (assumed default)' : ''}`,
    ...regions.map((x) => `${x.name}: ${r(x.g_co2e_per_kwh)} g CO2e/kWh, ${x.source}, flat over the day`),
    'a month is 730 h at the simulated load; replicas off or failed count as idle',
  ];
}
