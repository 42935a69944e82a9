import { z } from 'zod';
import { serviceTimeMs } from '../../engine/distribution-schema.ts';
import { nameKey, nonNegInt, posInt, posNum, prob, strict } from '../../util/zod-helpers.ts';

/**
 * Smallest share of a route other than 0: a p of 1e-320 offered a station "8e-319 requests/s",
 * a rate no run can show (one request in 1e320).
 */
const MIN_ROUTE_P = 1e-12;
const routeShare = () => prob().refine((p) => p === 0 || p >= MIN_ROUTE_P, { error: `expected a probability of 0 or from ${MIN_ROUTE_P} to 1` });
const Route = strict({ to: z.string({ error: 'expected a station name' }), p: routeShare() });

const Station = strict({
  servers: posInt(),
  service_ms: serviceTimeMs(),
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
