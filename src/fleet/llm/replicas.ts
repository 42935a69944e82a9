import { stream } from '../../engine/random.ts';
import type { Simulator } from '../../engine/sim.ts';
import { LatencyStats } from '../../metrics/latency.ts';
import { GpuReplica, type ReplicaListener } from '../gpu/replica.ts';
import { makePolicy } from '../router/registry.ts';
import type { PickPolicy } from './cluster.ts';
import type { ServedModel } from './build.ts';

/** The replicas of one served model in one region, their router policy and their ITL sketch. */
export interface GpuCluster {
  name: string;
  served: ServedModel;
  replicas: GpuReplica[];
  policy: PickPolicy;
  /** Inter-token latency: every gap between two tokens of a request, recorded by the replicas. */
  itl: LatencyStats;
}

export function makeReplicas(sim: Simulator, s: ServedModel, count: number, listener: ReplicaListener, seed: number, name: string): GpuCluster {
  const b = s.spec.batching;
  const itl = new LatencyStats();
  const replicas: GpuReplica[] = [];
  for (let i = 0; i < count; i++) {
    const r = new GpuReplica(
      sim,
      s.step,
      { max_num_seqs: b.max_num_seqs, max_batched_tokens: b.max_batched_tokens, chunked_prefill: b.chunked_prefill, block_size_tokens: 16, max_waiting: b.max_waiting },
      listener,
    );
    r.itl = itl;
    replicas.push(r);
  }
  const policy = makePolicy(s.spec.router.policy, replicas, stream(seed, `router:${name}`));
  return { name, served: s, replicas, policy, itl };
}
