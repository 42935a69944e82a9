import type { BuiltFleet } from './llm/build.ts';
import type { GpuCluster } from './llm/replicas.ts';
import { TIER_KINDS } from './llm/stages.ts';
import type { ServiceTier } from './stations/tier.ts';

/** A tier with the names targets use: its kind (a fleet tier kind or a station name) and its region ('' in a station network). */
export interface IndexedTier {
  tier: ServiceTier;
  kind: string;
  region: string;
}

/**
 * The fleet as faults and the control plane name it: every tier by kind and region, every GPU
 * cluster (stable versions; arm B clusters belong to their deploy), the region names. Built once
 * per run and shared, so both resolve a target the same way.
 */
export class FleetIndex {
  readonly tiers: readonly IndexedTier[];
  readonly clusters: readonly GpuCluster[];
  readonly regions: readonly string[];

  constructor(readonly fleet: BuiltFleet | undefined, networkTiers: readonly ServiceTier[] = []) {
    this.regions = fleet ? fleet.regionNames : [''];
    this.tiers = fleet
      ? fleet.tiers.map((tier, i) => ({ tier, kind: TIER_KINDS[i % TIER_KINDS.length] as string, region: this.regions[Math.floor(i / TIER_KINDS.length)] }))
      : networkTiers.map((tier) => ({ tier, kind: tier.name, region: '' }));
    this.clusters = fleet?.gpuClusters ?? [];
  }

  /** Tier kinds and station names, each once. */
  get tierKinds(): string[] {
    return [...new Set(this.tiers.map((t) => t.kind))];
  }

  /** GPU cluster names as targets write them (`gpu:model`), each once. */
  get clusterNames(): string[] {
    return [...new Set(this.clusters.map((c) => `gpu:${c.served.name}`))];
  }

  /** Tiers named by `kind` or `region/kind`; with `bareRegions`, a bare region name names all its tiers. */
  tiersNamed(target: string, bareRegions: boolean): IndexedTier[] {
    const [a, b] = target.split('/');
    return this.tiers.filter((t) => (b === undefined ? t.kind === a || (bareRegions && t.region === a) : t.region === a && t.kind === b));
  }

  /** Clusters named by `gpu:model` or `gpu:model/region` (the `gpu:` prefix is optional). */
  clustersNamed(target: string): GpuCluster[] {
    const [model, region] = (target.startsWith('gpu:') ? target.slice(4) : target).split('/');
    return this.clusters.filter((c) => c.served.name === model && (region === undefined || this.regions[c.region] === region));
  }
}
