import { z } from 'zod';
import { makeSampler } from '../../engine/distributions.ts';
import { SPOT_RECLAIM_DEFAULTS, spotInterruption, reclaimsPerInstanceHour } from '../../cost/purchase.ts';
import { UserError } from '../../errors.ts';
import { instancesPerReplica } from '../../fleet/llm/purchase-cost.ts';
import { faultTargetModel } from '../../fleet/llm/gpu-bill.ts';
import type { FleetSpec } from '../../fleet/schema.ts';
import type { GpuCluster } from '../../fleet/llm/replicas.ts';
import { apportion } from '../../util/apportion.ts';
import { nonNegNum, posNum } from '../../util/zod-helpers.ts';
import { clustersOf } from '../targets.ts';
import type { FaultBand, FaultContext, FaultKind } from '../types.ts';
import { common } from './common.ts';

/**
 * Spot capacity reclaimed by the cloud. Over [at_s, at_s + duration_s] every spot replica of the
 * target (the last of each cluster's replicas, as many as spotReplicaIndexes apportions) is reclaimed as a Poisson process
 * while it runs on spot. A reclaim gives notice_s of warning (AWS: 2 minutes), during which the
 * replica drains: the router sends it nothing new and what it holds keeps running. Then the
 * instance is gone and whatever it still holds fails (or is re-sent: in_flight). It comes back
 * either when spot capacity returns (replace: wait; after back_after_s, then its weights load) or
 * as an on-demand replacement (replace: on_demand; provisioned in replace_s, then its weights
 * load), which runs until spot capacity returns and only then can be reclaimed again.
 */
export const spotReclaimSchema = z.strictObject({
  ...common('spot-reclaim'),
  /** Share of spot instances interrupted per month; default: the instance type's assumed Spot Instance Advisor band (data/prices/purchase-options.json). */
  // At most 730 (every instance once an hour): an unbounded rate (1e308) made every reclaim gap 0,
  // and with no notice, replacement or load time the simulated clock stopped. `accelerate` goes faster.
  interruptions_per_month: posNum().max(730, { error: 'expected at most 730 interruptions per instance-month (once an hour; use accelerate to see more in the window)' }).optional(),
  /** Speeds reclaims up in the simulated window only (to see a month's reclaims in minutes); the bill and the expected figures use the unaccelerated rate. */
  accelerate: posNum().max(1e7).default(1),
  /** Warning before the instance goes (AWS Spot: 120 s). */
  notice_s: nonNegNum().default(120),
  replace: z.enum(['on_demand', 'wait']).default(SPOT_RECLAIM_DEFAULTS.replace),
  /** Provisioning of an on-demand replacement, before its weights load (assumed). */
  replace_s: nonNegNum().default(300),
  /** Until spot capacity returns (assumed; AWS publishes no figure). */
  back_after_s: nonNegNum().default(SPOT_RECLAIM_DEFAULTS.back_after_s),
  /** Requests still running when the notice ends: they fail (clients may retry) or the router re-sends them. */
  in_flight: z.enum(['fail', 'retry']).default('fail'),
});
export type SpotReclaimSpec = z.infer<typeof spotReclaimSchema>;

/**
 * Spot replicas of each cluster: round(spot share x the model's replicas) in all, apportioned over
 * the model's clusters by largest remainder, so a model spread thin over regions has the spot share
 * it is billed for (rounding each cluster alone gave 0.5 of three 3-replica clusters 6 of 9), and
 * the plan's spot headroom (experiment/fleet-plan-purchase.ts) counts the same replicas. In each
 * cluster they are the last ones: scale-in drains the highest-numbered first, so spot goes first.
 */
export function spotReplicaIndexes(clusters: readonly GpuCluster[]): Map<GpuCluster, number[]> {
  const byModel = new Map<GpuCluster['served'], GpuCluster[]>();
  for (const c of clusters) byModel.set(c.served, [...(byModel.get(c.served) ?? []), c]);
  const out = new Map<GpuCluster, number[]>();
  for (const [served, group] of byModel) {
    const counts = apportion(group.map((c) => c.replicas.length), served.spec.purchase?.spot ?? 0);
    group.forEach((c, g) => {
      const n = c.replicas.length;
      out.set(c, Array.from({ length: counts[g] }, (_, j) => n - counts[g] + j));
    });
  }
  return out;
}

/** Reclaims per spot replica per hour in the simulated window: per instance, times the instances a replica spans, times `accelerate`. */
export function replicaReclaimsPerHour(c: GpuCluster, f: SpotReclaimSpec): number {
  const spec = c.served.spec;
  const perMonth = f.interruptions_per_month ?? spotInterruption(spec.instance).per_month;
  return reclaimsPerInstanceHour(perMonth) * instancesPerReplica(spec) * f.accelerate;
}

/** One reclaim of replica i at t_s: notice, then gone, then back. Returns when it is spot again (reclaimable). */
function reclaim(ctx: FaultContext, c: GpuCluster, i: number, t_s: number, f: SpotReclaimSpec): { back_s: number; spot_again_s: number } {
  const view = c.views[i];
  const gone_s = t_s + f.notice_s;
  const load_s = ctx.loadSeconds(c);
  const back_s = gone_s + (f.replace === 'on_demand' ? Math.min(f.replace_s, f.back_after_s) : f.back_after_s) + load_s;
  view.hold('spot_reclaim'); // the notice: drain
  ctx.at(gone_s, () => view.fail(ctx.sim.now_ms, (req) => ctx.pipeline!.lostOnGpu(req, f.in_flight === 'retry')));
  ctx.at(back_s, () => {
    view.repair();
    view.release('spot_reclaim');
  });
  return { back_s, spot_again_s: Math.max(back_s, gone_s + f.back_after_s) };
}

export const spotReclaim: FaultKind<SpotReclaimSpec> = {
  kind: 'spot-reclaim',
  apply(ctx, f, index) {
    const where = `faults[${index}]`;
    const clusters = clustersOf(ctx, f.target, where).filter((c) => (c.served.spec.purchase?.spot ?? 0) > 0);
    if (clusters.length === 0) throw new UserError(`${where}.target: expected a GPU cluster whose model buys a spot share (fleet.models.<model>.purchase.spot), got "${f.target ?? 'every cluster'}"`);
    const end_s = f.at_s + f.duration_s;
    const band: FaultBand = { index, kind: f.kind, target: f.target ?? 'gpu:*', start_s: f.at_s, detected_s: null, mitigated_s: null, end_s, recovered_s: null, occurrences: 0 };
    const spotIndexes = spotReplicaIndexes(ctx.clusters);
    for (const c of clusters) {
      const gap = makeSampler({ dist: 'exponential', mean: 3600 / replicaReclaimsPerHour(c, f) }, ctx.rng);
      for (const i of spotIndexes.get(c)!) {
        const next = (from_s: number) => {
          const t = from_s + gap.sample();
          if (t >= end_s) return;
          ctx.at(t, () => {
            // A replica the control plane has switched off runs no instance: nothing to reclaim.
            if (c.views[i].isHeld('off')) return next(t);
            band.occurrences!++;
            const { back_s, spot_again_s } = reclaim(ctx, c, i, t, f);
            band.recovered_s = Math.max(band.recovered_s ?? 0, back_s);
            next(spot_again_s);
          });
        };
        next(f.at_s);
      }
    }
    return band;
  },
};

/** The spot-reclaim fault a model's expected reclaims follow: the first naming it or one of its pools (gpu:m, gpu:m/region, gpu:m:decode), or naming every cluster. */
export function spotFaultOf(f: FleetSpec, faults: readonly { readonly kind: string; readonly target?: string }[], model: string): SpotReclaimSpec | undefined {
  return faults.find((x): x is SpotReclaimSpec => x.kind === 'spot-reclaim' && (x.target === undefined || faultTargetModel(f, x.target) === model));
}
