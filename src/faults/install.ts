import { makeSampler } from '../engine/distributions.ts';
import { stream } from '../engine/random.ts';
import type { Simulator } from '../engine/sim.ts';
import type { BuiltFleet } from '../fleet/llm/build.ts';
import type { FleetSpec } from '../fleet/schema.ts';
import type { ServiceTier } from '../fleet/stations/tier.ts';
import { TIER_KINDS } from '../fleet/llm/stages.ts';
import { FAULT_KINDS } from './registry.ts';
import { failReplica } from './kinds/gpu-common.ts';
import type { FaultBand, FaultContext } from './types.ts';
import type { FaultsSpec } from './schema.ts';

export interface FaultRecord {
  bands: FaultBand[];
  /** Stochastic failures that started during the run. */
  stochastic: { gpu_failures: number; tier_failures: number };
}

/**
 * Schedules the scenario's fault timeline and stochastic failures on the simulator. Each fault
 * draws from its own named stream, so adding one does not shift the others' random numbers.
 */
export function installFaults(sim: Simulator, sc: FaultsSpec & { fleet?: FleetSpec }, seed: number, parts: { fleet?: BuiltFleet; tiers?: ServiceTier[] }): FaultRecord {
  const fl = parts.fleet;
  const regions = fl ? fl.regionNames : [''];
  const tiers = fl
    ? fl.tiers.map((tier, i) => ({ tier, kind: TIER_KINDS[i % TIER_KINDS.length], region: regions[Math.floor(i / TIER_KINDS.length)] }))
    : (parts.tiers ?? []).map((tier) => ({ tier, kind: tier.name, region: '' }));
  // Fault decisions at a tier (error rates, partitions) draw from the tier's own stream.
  for (const t of tiers) t.tier.faultRng = stream(seed, `tier-faults:${t.region}/${t.kind}`);
  const det = sc.detection;
  const s3 = sc.fleet?.s3;
  const record: FaultRecord = { bands: [], stochastic: { gpu_failures: 0, tier_failures: 0 } };
  const base = (name: string): FaultContext => ({
    sim,
    tiers,
    clusters: fl?.gpuClusters ?? [],
    regions,
    pipeline: fl?.pipeline,
    limiter: (m) => fl?.pipeline.models.find((x) => x.name === m)?.limiter,
    modelNames: fl?.served.map((s) => s.name) ?? [],
    loadSeconds: (c) => {
      const gb = c.served.spec.weights_gb ?? (c.served.step.weightBytesPerGpu * c.served.step.gpus) / 1e9;
      return gb / (s3?.load_gb_per_s ?? 2);
    },
    detectSeconds: (cls) => det[cls].interval_s * det[cls].threshold,
    rng: stream(seed, name),
    at: (t_s, fn) => {
      if (t_s * 1000 >= sim.now_ms) sim.at(t_s * 1000, sim.on(fn), 0);
    },
  });
  sc.faults.forEach((f, i) => {
    const kind = FAULT_KINDS[f.kind];
    record.bands.push(kind.apply(base(`fault:${i}`), f as never, i));
  });
  const failures = sc.failures;
  if (failures?.gpu && fl) {
    const ctx = base('failures:gpu');
    const mttr = makeSampler({ dist: 'exponential', mean: failures.gpu.mttr_min * 60 }, ctx.rng);
    for (const c of fl.gpuClusters) {
      const ttf = makeSampler({ dist: 'exponential', mean: (failures.gpu.mtbf_h * 3600) / c.served.step.gpus }, ctx.rng);
      c.replicas.forEach((_, i) => {
        const next = (from_s: number) => {
          const t = from_s + ttf.sample();
          ctx.at(t, () => {
            record.stochastic.gpu_failures++;
            const back = failReplica(ctx, c, i, t, t + mttr.sample(), false);
            next(back);
          });
        };
        next(0);
      });
    }
  }
  for (const [kind, p] of Object.entries(failures?.tiers ?? {})) {
    const ctx = base(`failures:tier:${kind}`);
    const mttr = makeSampler({ dist: 'exponential', mean: p.mttr_min * 60 }, ctx.rng);
    for (const t of tiers.filter((x) => x.kind === kind)) {
      const spec = fl ? (sc.fleet as unknown as Record<string, { concurrency?: number }>)[kind] : undefined;
      const perInstance = spec?.concurrency ?? 1;
      const instances = Math.max(1, Math.round(t.tier.station.servers / perInstance));
      const ttf = makeSampler({ dist: 'exponential', mean: (p.mtbf_h * 3600) / instances }, ctx.rng);
      const next = (from_s: number) => {
        const at = from_s + ttf.sample();
        ctx.at(at, () => {
          record.stochastic.tier_failures++;
          t.tier.setServers(t.tier.station.servers - perInstance);
          const back = at + mttr.sample();
          ctx.at(back, () => t.tier.setServers(t.tier.station.servers + perInstance));
          next(at);
        });
      };
      next(0);
    }
  }
  return record;
}
