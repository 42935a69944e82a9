import { z } from 'zod';
import { posNum, prob } from '../../util/zod-helpers.ts';
import { clustersOf } from '../targets.ts';
import type { FaultKind } from '../types.ts';
import { common } from './common.ts';

/**
 * GPU memory fragmentation: the usable KV cache of every replica shrinks linearly from full to
 * `min_fraction` over duration_s (in steps of step_s), so batches shrink, requests are preempted
 * and latency climbs; at the end the instances are restarted and the cache is whole again. The
 * fix: cycle instances every cycle_every_s (staggered; each drained for restart_s while it
 * restarts), which resets its fragmentation.
 */
export const kvFragmentationSchema = z.strictObject({
  ...common('kv-fragmentation'),
  min_fraction: prob().default(0.3),
  step_s: posNum().default(60),
  cycle_every_s: posNum().optional(),
  restart_s: posNum().default(60),
}).superRefine((f, ctx) => {
  // a step of 1e-300 s never advanced the loop that schedules the steps (t + step === t)
  for (const key of ['step_s', 'cycle_every_s'] as const) {
    const every = f[key];
    if (every !== undefined && f.duration_s / every > MAX_FAULT_STEPS) {
      ctx.addIssue({ code: 'custom', path: [key], input: every, message: `expected at least duration_s / ${MAX_FAULT_STEPS.toLocaleString('en-US')} (${f.duration_s / MAX_FAULT_STEPS} s): at most ${MAX_FAULT_STEPS.toLocaleString('en-US')} steps over the fault` });
    }
  }
});

/** Steps of shrinking, or cycles of restarts, one fault may schedule. */
const MAX_FAULT_STEPS = 100_000;

export const kvFragmentation: FaultKind<z.infer<typeof kvFragmentationSchema>> = {
  kind: 'kv-fragmentation',
  apply(ctx, f, index) {
    const clusters = clustersOf(ctx, f.target, `faults[${index}]`);
    const end = f.at_s + f.duration_s;
    // Fragmentation age per replica restarts at each cycle.
    const bornAt = clusters.map((c) => c.replicas.map(() => f.at_s));
    const full = clusters.map((c) => c.replicas.map((r) => r.kvCapacityTokens));
    const shrinkPerS = (1 - f.min_fraction) / f.duration_s;
    const apply = (t_s: number) =>
      clusters.forEach((c, ci) =>
        c.replicas.forEach((r, i) => {
          if (!r.healthy) return;
          const frac = Math.max(f.min_fraction, 1 - shrinkPerS * (t_s - bornAt[ci][i]));
          r.setKvCapacityTokens(Math.floor(full[ci][i] * frac));
        }),
      );
    for (let t = f.at_s + f.step_s; t < end; t += f.step_s) ctx.at(t, () => apply(t));
    if (f.cycle_every_s !== undefined) {
      const every = f.cycle_every_s;
      clusters.forEach((c, ci) =>
        c.replicas.forEach((r, i) => {
          // Stagger the restarts evenly over the cycle so capacity never drops all at once.
          const offset = (every * i) / c.replicas.length;
          for (let t = f.at_s + offset; t < end; t += every) {
            ctx.at(t, () => c.views[i].hold('restarting')); // drain: no new requests; in-flight ones finish
            ctx.at(t + f.restart_s, () => {
              bornAt[ci][i] = t + f.restart_s;
              if (r.healthy) r.setKvCapacityTokens(full[ci][i]);
              c.views[i].release('restarting');
            });
          }
        }),
      );
    }
    ctx.at(end, () => clusters.forEach((c, ci) => c.replicas.forEach((r, i) => r.healthy && r.setKvCapacityTokens(full[ci][i]))));
    return { index, kind: f.kind, target: f.target ?? 'gpu:*', start_s: f.at_s, detected_s: null, mitigated_s: f.cycle_every_s !== undefined ? f.at_s : end, end_s: end, recovered_s: end };
  },
};
