import type { Simulator } from '../../engine/sim.ts';
import type { ControlSpec } from '../control/schema.ts';
import { initialReplicas, replicasToAllocate } from '../control/alloc.ts';
import type { SlotPool } from '../gpu/slot-pool.ts';
import type { RequestPool } from '../request-pool.ts';
import type { FleetSpec, ServedSpec } from '../schema.ts';
import type { ServedModel } from './build.ts';
import { Cluster } from './cluster.ts';
import { DisaggregatedRoute, poolField, poolName, poolSpecs, type DisaggregationHost } from './disaggregated.ts';
import { KvLink } from './kv-link.ts';
import { makeReplicas, type GpuCluster } from './replicas.ts';

/** A disaggregated model as built: its route (the hand-over and the links) and its two pools. */
export interface DisaggregatedModel {
  route: DisaggregatedRoute;
  prefill: ServedModel;
  decode: ServedModel;
}

/**
 * The two pools of a disaggregated model, resolved like served models of their own (named
 * `<model>:prefill`, `<model>:decode`); the model itself then has no colocated replica.
 */
export function resolvePools(s: ServedModel, f: FleetSpec, resolve: (name: string, spec: ServedSpec, field: (key: string) => string) => ServedModel): { prefill: ServedModel; decode: ServedModel } {
  const specs = poolSpecs(s.name, s.spec, f.prices.set);
  s.replicasFull = 0;
  s.replicasPerRegion = s.replicasPerRegion.map(() => 0);
  const one = (pool: 'prefill' | 'decode') => resolve(poolName(s.name, pool), specs[pool], poolField(s.name, s.spec, pool));
  return { prefill: one('prefill'), decode: one('decode') };
}

/** What building the pools needs of the fleet builder; `firstGlobal` counts the replicas built so far and is advanced. */
export interface PoolParts {
  sim: Simulator;
  sc: { fleet?: FleetSpec; control?: ControlSpec; warmup_s: number };
  seed: number;
  regionNames: string[];
  slots: SlotPool;
  firstGlobal: number;
}

/**
 * Builds both pools of model `m` in every region, their KV links (one per prefill replica) and
 * the route between them; adds the pools' clusters to `gpuClusters` (faults, the control plane and
 * the bill see them as `gpu:<model>:prefill` and `gpu:<model>:decode`). Returns the prefill
 * clusters, which are the model's route: the pipeline's router sends its requests there.
 */
export function buildPools(
  parts: PoolParts, pool: RequestPool, host: DisaggregationHost, m: number, s: ServedModel, pools: { prefill: ServedModel; decode: ServedModel }, gpuClusters: GpuCluster[],
): { clusters: Cluster[]; model: DisaggregatedModel } {
  const f = parts.sc.fleet!;
  const link = s.spec.disaggregation!.kv_link;
  const route = new DisaggregatedRoute(parts.sim, pool, host, pools.prefill.step.kvBytesPerToken);
  const pooled = (sv: ServedModel, r: number, mode: 'prefill' | 'decode'): Cluster => {
    const rname = parts.regionNames[r];
    const count = replicasToAllocate(parts.sc.control, f, sv.name, rname, sv.replicasPerRegion[r]);
    const name = parts.regionNames.length > 1 ? `${sv.name}/${rname}` : sv.name;
    const gc = makeReplicas(parts.sim, sv, count, mode === 'prefill' ? route.prefillListener : route.decodeListener, parts.seed, name, r, parts.slots, mode);
    const serving = initialReplicas(parts.sc.control, f, sv.name, rname, sv.replicasPerRegion[r]);
    for (let i = serving; i < count; i++) gc.views[i].hold('off');
    gpuClusters.push(gc);
    const c = new Cluster(m, r, gc.replicas, gc.policy, parts.firstGlobal);
    parts.firstGlobal += count;
    return c;
  };
  parts.regionNames.forEach((_, r) => {
    const prefill = pooled(pools.prefill, r, 'prefill');
    route.prefill.push(prefill);
    route.decode.push(pooled(pools.decode, r, 'decode'));
    route.links.push(prefill.replicas.map(() => new KvLink(parts.sim, link.bandwidth_gbps, link.latency_ms, route.arriveHandler, parts.sc.warmup_s * 1000)));
  });
  return { clusters: route.prefill, model: { route, ...pools } };
}
