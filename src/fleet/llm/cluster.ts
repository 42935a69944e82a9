import type { PrefixChain } from '../gpu/prefix-cache.ts';
/** What the fleet needs of a replica (src/fleet/gpu implements it). */
export interface ReplicaLike {
  /** `prefixId` (-1: none) and `prefixTokens`: the system prompt the prompt starts with (prefix caching). */
  /** `priority`: its class's (0 first); returns the slot abort() takes, -1 when rejected at once. */
  submit(req: number, promptTokens: number, outputTokens: number, prefixId?: number, prefixTokens?: number, chain?: PrefixChain | null, priority?: number): number;
  /** Aborts the request held in `slot` (cancellation, src/fleet/gpu/replica.ts). */
  abort(slot: number, req: number): void;
  readonly outstanding: number;
  readonly waiting: number;
  /** False once the replica has failed (whatever the router believes). */
  readonly healthy: boolean;
  kvUsedFraction(): number;
}

export interface PickPolicy {
  /** Index of the chosen replica, or -1 if none is healthy (cache-aware policies read the request's prefix, prompt length and user). */
  pick(prefixId?: number, promptTokens?: number, user?: number): number;
  /** The fleet calls this after a replica's outstanding count changed. */
  notify?(i: number): void;
}

/** One served model's replicas in one region, and how requests are spread over them. */
export class Cluster {
  constructor(
    readonly model: number,
    readonly region: number,
    readonly replicas: ReplicaLike[],
    readonly policy: PickPolicy,
    /** Global index of replicas[0] among all replicas of the fleet. */
    readonly firstGlobal: number,
  ) {}
}
