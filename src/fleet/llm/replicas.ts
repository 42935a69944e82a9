import { stream } from '../../engine/random.ts';
import type { Simulator } from '../../engine/sim.ts';
import { LatencyStats } from '../../metrics/latency.ts';
import { GpuReplica, type ReplicaListener, type ReplicaMode } from '../gpu/replica.ts';
import type { SlotPool } from '../gpu/slot-pool.ts';
import { makePolicy, type RouterPolicy } from '../router/registry.ts';
import { routerOptions } from '../router/options.ts';
import { RoutedReplica } from './availability.ts';
import type { ServedModel } from './build.ts';

/** The replicas of one served model in one region, their router policy and their ITL sketch. */
export interface GpuCluster {
  name: string;
  region: number;
  served: ServedModel;
  replicas: GpuReplica[];
  /** What the router sees of each replica: availability is held and released here (see availability.ts). */
  views: RoutedReplica[];
  policy: RouterPolicy;
  /** Inter-token latency: every gap between two tokens of a request, recorded by the replicas. */
  itl: LatencyStats;
}

/** `slots`: one sequence pool for every replica of the fleet (see SlotPool). */
export function makeReplicas(
  sim: Simulator, s: ServedModel, count: number, listener: ReplicaListener, seed: number, name: string, region: number, slots: SlotPool, mode: ReplicaMode = 'colocated',
): GpuCluster {
  const b = s.batching;
  const itl = new LatencyStats({ rememberRuns: true }); // a fused stretch adds one gap per iteration, one close to the next
  const replicas: GpuReplica[] = [];
  for (let i = 0; i < count; i++) {
    const r = new GpuReplica(
      sim,
      s.step,
      { max_num_seqs: b.max_num_seqs, max_batched_tokens: b.max_batched_tokens, chunked_prefill: b.chunked_prefill, block_size_tokens: 16, max_waiting: b.max_waiting, mode, kv_admission: b.kv_admission, admission_hold: b.admission_hold, decode_run_steps: b.decode_run_steps, async_scheduling: b.async_scheduling, kv_tiers: s.spec.kv_tiers },
      listener,
      slots,
    );
    r.itl = itl;
    replicas.push(r);
  }
  const views = replicas.map((r) => new RoutedReplica(r));
  const policy = makePolicy(s.spec.router.policy, views, stream(seed, `router:${name}`), routerOptions(sim, s));
  views.forEach((v, i) => v.attach(policy, i));
  return { name, region, served: s, replicas, views, policy, itl };
}

/** Seconds a replica of the cluster takes to load its weights from S3 at `load_gb_per_s` (a cold start's second part). */
export function weightLoadSeconds(cluster: GpuCluster, load_gb_per_s: number): number {
  const gb = cluster.served.spec.weights_gb ?? (cluster.served.step.weightBytesPerGpu * cluster.served.step.gpus) / 1e9;
  return gb / load_gb_per_s;
}
