import type { Rng } from '../../engine/random.ts';
import { UserError } from '../../errors.ts';
import { ConsistentHash } from './consistent-hash.ts';
import { KvAware } from './kv-aware.ts';
import { LeastOutstanding } from './least-outstanding.ts';
import { PowerOfTwo } from './power-of-two.ts';
import { PrefixAffinity } from './prefix-affinity.ts';
import { RandomPolicy } from './random.ts';
import { RoundRobin } from './round-robin.ts';
import { DEFAULT_ROUTER_OPTIONS, type PolicyName, type RouterOptions, type RouterPolicy, type RouterTarget } from './target.ts';

export type { PolicyName, RouterOptions, RouterPolicy, RouterTarget } from './target.ts';

/** One line per policy: a new policy is one file plus a line here. */
const POLICIES: Readonly<Record<PolicyName, (targets: readonly RouterTarget[], rng: Rng, options: RouterOptions) => RouterPolicy>> = {
  round_robin: (t) => new RoundRobin(t),
  random: (t, rng) => new RandomPolicy(t, rng),
  least_outstanding: (t) => new LeastOutstanding(t),
  power_of_two: (t, rng) => new PowerOfTwo(t, rng),
  kv_aware: (t, rng) => new KvAware(t, rng),
  prefix_affinity: (t, _rng, o) => new PrefixAffinity(t, o),
  consistent_hash: (t, _rng, o) => new ConsistentHash(t, o),
};

export const POLICY_NAMES: readonly PolicyName[] = Object.keys(POLICIES) as PolicyName[];

export function isPolicyName(name: string): name is PolicyName {
  return Object.hasOwn(POLICIES, name);
}

/**
 * Builds a policy over `replicas` (a fixed array; the policy indexes it). `rng` is the policy's
 * own named stream (random, power_of_two and kv_aware draw from it; the others ignore it);
 * `options` the cache-aware policies' settings (defaults: DEFAULT_ROUTER_OPTIONS, time 0).
 */
export function makePolicy(name: string, replicas: readonly RouterTarget[], rng: Rng, options: Partial<RouterOptions> = {}): RouterPolicy {
  if (!isPolicyName(name)) throw new UserError(`router policy: unknown "${name}"; valid: ${POLICY_NAMES.join(', ')}`);
  return POLICIES[name](replicas, rng, { now_ms: () => 0, ...DEFAULT_ROUTER_OPTIONS, ...options });
}
