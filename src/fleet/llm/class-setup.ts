import type { Rng } from '../../engine/random.ts';
import { RequestClasses, type ClassesSpec } from '../classes.ts';
import type { RequestPool } from '../request-pool.ts';
import { FairQueue } from '../stations/fair-queue.ts';
import type { ServiceTier } from '../stations/tier.ts';
import type { FleetPipeline } from './pipeline.ts';
import { TIER_KINDS } from './stages.ts';

const GATEWAY = TIER_KINDS.indexOf('gateway');

/**
 * Request classes on a built fleet (docs/priorities.md): the pipeline draws each request's class;
 * when any class declares a gateway `weight`, every region's gateway queues by weighted fair
 * queueing (src/fleet/stations/fair-queue.ts), a class without one weighing 1.
 */
export function installClasses(spec: ClassesSpec, rng: Rng, pipeline: FleetPipeline, tiers: readonly ServiceTier[], pool: RequestPool): void {
  pipeline.requestClasses = new RequestClasses(spec, rng);
  const list = Object.values(spec);
  if (!list.some((c) => c.weight !== undefined)) return;
  const weights = list.map((c) => c.weight ?? 1);
  const classOf = (req: number) => pool.requestClass(req);
  for (const t of tiers) if (t.id % TIER_KINDS.length === GATEWAY) t.station.fair = new FairQueue(weights, classOf);
}
