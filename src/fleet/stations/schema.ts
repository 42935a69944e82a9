import { z } from 'zod';
import { DistSchema } from '../../engine/distribution-schema.ts';
import { nameKey, nonNegInt, posInt, posNum, prob, strict } from '../../util/zod-helpers.ts';

const Route = strict({ to: z.string({ error: 'expected a station name' }), p: prob() });

const Station = strict({
  servers: posInt(),
  service_ms: DistSchema,
  /** Waiting requests beyond this are rejected (default: limits.max_queue). */
  queue_limit: nonNegInt().optional(),
  /** A request that waits longer than this in the queue times out. */
  timeout_ms: posNum().optional(),
  /** Drop queued requests whose client has already timed out instead of serving them. */
  deadline_aware: z.boolean().default(false),
  /** Load shedding: reject an arrival when the expected wait exceeds this. */
  shed_wait_ms: posNum().optional(),
  /** Where a request goes after service: a station, or a list of {to, p}; the rest exits. */
  next: z.union([z.string(), z.array(Route).min(1)], { error: 'expected a station name or a list of { to, p }' }).optional(),
});

/** A network of generic stations (queueing models): where requests enter, and each station. */
export const TopologySchema = strict({
  entry: z.string({ error: 'expected a station name' }),
  stations: z.record(nameKey(), Station).refine((s) => Object.keys(s).length > 0, { message: 'expected at least one station' }),
});

export type TopologySpec = z.infer<typeof TopologySchema>;
export type StationSpec = z.infer<typeof Station>;
export type RouteSpec = z.infer<typeof Route>;
