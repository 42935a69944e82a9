import type { GpuCluster } from '../../fleet/llm/replicas.ts';
import type { FaultContext } from '../types.ts';

/**
 * One replica dies at `start_s`: what it held is lost (failed, or re-routed by the router when
 * `retryInFlight`); health checks mark it down after the detection delay, so until then the router
 * still sends it requests, which fail. At `repair_s` it loads its weights from S3 and then serves
 * again (once every overlapping failure of it is repaired). Returns when it serves again (s).
 */
export function failReplica(ctx: FaultContext, c: GpuCluster, i: number, start_s: number, repair_s: number, retryInFlight: boolean): number {
  const back_s = repair_s + ctx.loadSeconds(c);
  const view = c.views[i];
  ctx.at(start_s, () => view.fail(ctx.sim.now_ms, (req) => ctx.pipeline!.lostOnGpu(req, retryInFlight)));
  const detected_s = start_s + ctx.detectSeconds('gpu');
  // A replica back before its health check would have noticed is never marked down.
  const noticed = detected_s < back_s;
  if (noticed) ctx.at(detected_s, () => view.hold('health_check'));
  ctx.at(back_s, () => {
    if (noticed) view.release('health_check');
    view.repair();
  });
  return back_s;
}
