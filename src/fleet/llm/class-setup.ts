import type { Rng } from '../../engine/random.ts';
import type { Simulator } from '../../engine/sim.ts';
import { defaultGridName, getGrid, hourlyIntensity } from '../../cost/energy.ts';
import { BacklogDispatcher, cleanestHours, type BatchSpec } from '../batch.ts';
import { RequestClasses, type ClassesSpec } from '../classes.ts';
import type { FleetSpec } from '../schema.ts';
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

/** The carbon intensity of each hour of the day on the first region's grid (its override in every hour, if it gives one). */
export function firstRegionHourly(f: FleetSpec): number[] {
  const [name, region] = Object.entries(f.regions)[0];
  if (region.carbon_g_per_kwh !== undefined) return Array.from({ length: 24 }, () => region.carbon_g_per_kwh!);
  return hourlyIntensity(getGrid(region.grid ?? defaultGridName(name), `fleet.regions.${name}.grid`));
}

/** allowed[h]: a batch class's backlog may be sent in hour h (its `hours`, its `cleanest_hours`, or every hour). */
export function allowedHours(spec: BatchSpec, hourly_g_per_kwh: readonly number[]): boolean[] {
  const allowed = Array.from({ length: 24 }, () => spec.hours === undefined && spec.cleanest_hours === undefined);
  for (const h of spec.hours ?? []) allowed[h] = true;
  if (spec.cleanest_hours !== undefined) {
    const clean = new Set(cleanestHours(hourly_g_per_kwh, spec.cleanest_hours));
    // both given: the clean hours among the listed ones
    for (let h = 0; h < 24; h++) allowed[h] = clean.has(h) && (spec.hours === undefined || allowed[h]);
  }
  return allowed;
}

/** The backlogs of the batch classes: each one's dispatcher submits through `arrive` with its class forced. */
export function installBacklogs(sim: Simulator, f: FleetSpec, classes: RequestClasses, arrive: () => void): void {
  const list = Object.values(classes.spec);
  if (!list.some((c) => c.batch?.backlog)) return;
  const hourly = firstRegionHourly(f);
  const target = {
    submit: (cls: number) => {
      classes.forced = cls;
      arrive();
      classes.forced = -1;
    },
  };
  list.forEach((c, i) => {
    if (c.batch?.backlog) classes.dispatchers[i] = new BacklogDispatcher(sim, i, c.batch, classes.books[i]!, target, allowedHours(c.batch, hourly));
  });
}
