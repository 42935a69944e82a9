import { z } from 'zod';
import { prob } from '../../util/zod-helpers.ts';
import { clustersOf } from '../targets.ts';
import type { FaultKind } from '../types.ts';
import { failReplica } from './gpu-common.ts';
import { common } from './common.ts';

/** A fraction of a GPU cluster fails at once (a rack, a switch, a power domain). */
export const gpuClusterFailureSchema = z.strictObject({
  ...common('gpu-cluster-failure'),
  // a failure of no replica is no fault: refused, not read as one replica (Math.max below)
  fraction: prob().refine((x) => x > 0, { error: 'expected the share of the cluster that fails, above 0 and at most 1' }).default(0.25),
  in_flight: z.enum(['fail', 'retry']).default('fail'),
});

export const gpuClusterFailure: FaultKind<z.infer<typeof gpuClusterFailureSchema>> = {
  kind: 'gpu-cluster-failure',
  apply(ctx, f, index) {
    let back = f.at_s;
    for (const c of clustersOf(ctx, f.target, `faults[${index}]`)) {
      const n = Math.max(1, Math.round(c.replicas.length * f.fraction));
      // The first n replicas: the router spreads load evenly, so which ones does not matter.
      for (let i = 0; i < n; i++) back = Math.max(back, failReplica(ctx, c, i, f.at_s, f.at_s + f.duration_s, f.in_flight === 'retry'));
    }
    const detected = f.at_s + ctx.detectSeconds('gpu');
    return { index, kind: f.kind, target: f.target ?? 'gpu:*', start_s: f.at_s, detected_s: detected, mitigated_s: detected, end_s: f.at_s + f.duration_s, recovered_s: back };
  },
};
