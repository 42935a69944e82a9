import type { GpuCluster } from '../../fleet/llm/replicas.ts';
import type { FaultContext } from '../types.ts';

/**
 * One replica dies at `start_s`: what it held is lost (failed, or re-routed by the router when
 * `retryInFlight`); health checks mark it down after the detection delay, so until then the router
 * still sends it requests, which fail. At `repair_s` it loads its weights from S3 and then serves
 * again. Returns when it serves again (s).
 */
export function failReplica(ctx: FaultContext, c: GpuCluster, i: number, start_s: number, repair_s: number, retryInFlight: boolean): number {
  const back_s = repair_s + ctx.loadSeconds(c);
  ctx.at(start_s, () => {
    if (!c.replicas[i].healthy) return;
    c.replicas[i].fail(ctx.sim.now_ms, (req) => ctx.pipeline!.lostOnGpu(req, retryInFlight));
    c.policy.notify(i);
  });
  ctx.at(start_s + ctx.detectSeconds('gpu'), () => {
    c.views[i].down = true;
    c.policy.notify(i);
  });
  ctx.at(back_s, () => {
    c.replicas[i].restore();
    c.views[i].down = false;
    c.policy.notify(i);
  });
  return back_s;
}
