import type { Rng } from '../../engine/random.ts';
import { UserError } from '../../errors.ts';
import { KvAware } from './kv-aware.ts';
import { LeastOutstanding } from './least-outstanding.ts';
import { PowerOfTwo } from './power-of-two.ts';
import { RandomPolicy } from './random.ts';
import { RoundRobin } from './round-robin.ts';
import type { PolicyName, RouterPolicy, RouterTarget } from './target.ts';

export type { PolicyName, RouterPolicy, RouterTarget } from './target.ts';

/** One line per policy: a new policy is one file plus a line here. */
const POLICIES: Readonly<Record<PolicyName, (targets: readonly RouterTarget[], rng: Rng) => RouterPolicy>> = {
  round_robin: (t) => new RoundRobin(t),
  random: (t, rng) => new RandomPolicy(t, rng),
  least_outstanding: (t) => new LeastOutstanding(t),
  power_of_two: (t, rng) => new PowerOfTwo(t, rng),
  kv_aware: (t, rng) => new KvAware(t, rng),
};

export const POLICY_NAMES: readonly PolicyName[] = Object.keys(POLICIES) as PolicyName[];

export function isPolicyName(name: string): name is PolicyName {
  return Object.hasOwn(POLICIES, name);
}

/**
 * Builds a policy over `replicas` (a fixed array; the policy indexes it). `rng` is the policy's
 * own named stream (random, power_of_two and kv_aware draw from it; the others ignore it).
 */
export function makePolicy(name: string, replicas: readonly RouterTarget[], rng: Rng): RouterPolicy {
  if (!isPolicyName(name)) throw new UserError(`router policy: unknown "${name}"; valid: ${POLICY_NAMES.join(', ')}`);
  return POLICIES[name](replicas, rng);
}
