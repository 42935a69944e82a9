import type { Rng } from '../engine/random.ts';
import type { Simulator } from '../engine/sim.ts';
import type { FleetIndex, IndexedTier } from '../fleet/fleet-index.ts';
import type { GpuCluster } from '../fleet/llm/replicas.ts';
import type { FleetPipeline } from '../fleet/llm/pipeline.ts';
import type { RateLimiter } from '../fleet/llm/users.ts';

/** When a fault began, was detected, was mitigated (traffic moved, config rolled back), ended, and the system recovered. */
export interface FaultBand {
  index: number;
  kind: string;
  target: string;
  start_s: number;
  detected_s: number | null;
  mitigated_s: number | null;
  end_s: number;
  recovered_s: number | null;
  /** Faults that recur within their window (spot reclaims): how many happened; absent for the others. */
  occurrences?: number;
  /** Absent for a fault inside the measured period; 'no' for one that ended in the warm-up, 'partly' for one that began in it or outlasted the run (cut to its end; results/fault-coverage.ts). */
  measured?: 'no' | 'partly';
}

/** What faults act on. Station networks have tiers only. */
export interface FaultContext {
  sim: Simulator;
  /** The fleet's index, shared with the control plane (targets resolve through it). */
  index: FleetIndex;
  /** Of the index: every tier; `kind` is the tier kind or station name, `region` its region name. */
  tiers: readonly IndexedTier[];
  clusters: readonly GpuCluster[];
  regions: readonly string[];
  pipeline?: FleetPipeline;
  /** Rate limiters by model name (created on demand for models without one). */
  limiter?: (model: string) => RateLimiter | undefined;
  modelNames: string[];
  /** Weight loading: seconds for a replica of this cluster to load its weights from S3. */
  loadSeconds(cluster: GpuCluster): number;
  /** Health-check detection delay in seconds for a component class. */
  detectSeconds(cls: 'gpu' | 'region' | 'tier'): number;
  /** The fault's own random stream. */
  rng: Rng;
  /** Registers a handler (once per fault) and schedules it. */
  at(t_s: number, fn: () => void): void;
}

/** A fault kind: its scenario schema and what it does. One file per kind, a line in the registry. */
export interface FaultKind<S> {
  kind: string;
  /** Applies the fault to the context (scheduling its start and end); returns its band. */
  apply(ctx: FaultContext, spec: S, index: number): FaultBand;
}
