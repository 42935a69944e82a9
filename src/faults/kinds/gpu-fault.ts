import { z } from 'zod';
import { nonNegInt } from '../../util/zod-helpers.ts';
import { clustersOf } from '../targets.ts';
import type { FaultKind } from '../types.ts';
import { failReplica } from './gpu-common.ts';
import { common } from './common.ts';

/** One GPU fails and takes its whole tensor-parallel replica down until repaired (duration_s). */
export const gpuFaultSchema = z.strictObject({
  ...common('gpu-fault'),
  /** Which replica of the cluster (default: one at random). */
  replica: nonNegInt().optional(),
  /** What happens to the requests it held: they fail (clients may retry) or the router re-sends them. */
  in_flight: z.enum(['fail', 'retry']).default('fail'),
});

export const gpuFault: FaultKind<z.infer<typeof gpuFaultSchema>> = {
  kind: 'gpu-fault',
  apply(ctx, f, index) {
    const [c] = clustersOf(ctx, f.target, `faults[${index}]`);
    const i = f.replica !== undefined ? f.replica % c.replicas.length : Math.floor(ctx.rng() * c.replicas.length);
    const back = failReplica(ctx, c, i, f.at_s, f.at_s + f.duration_s, f.in_flight === 'retry');
    const detected = f.at_s + ctx.detectSeconds('gpu');
    return { index, kind: f.kind, target: `gpu:${c.name}#${i}`, start_s: f.at_s, detected_s: detected, mitigated_s: detected, end_s: f.at_s + f.duration_s, recovered_s: back };
  },
};
