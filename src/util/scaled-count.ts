/**
 * Simulated count of a fleet of `full` units (replicas, instances, autoscaler bounds): its region's
 * share, times the sampling scale (fleet sampling), at least 1.
 */
export function scaledCount(full: number, capacityShare: number, scale: number): number {
  return Math.max(1, Math.round(full * capacityShare * scale));
}
