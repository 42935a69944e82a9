import type { z } from 'zod';
import type { DisaggregatedModel } from '../fleet/llm/disaggregated-build.ts';
import type { DisaggregationSummarySchema, GpuSummarySchema } from './summary-schema.ts';
import type { RunResult } from './run-result.ts';
import { clusterFigures, roundLatency } from './fleet-summary.ts';
import { round } from './round.ts';

type DisaggregationSummary = z.infer<typeof DisaggregationSummarySchema>;
type GpuSummary = z.infer<typeof GpuSummarySchema>;

/** A disaggregated model's hand-over figures: pool sizes, KV transfers, the links' load, requests lost between the pools. */
export function disaggregationFigures(run: RunResult, pools: DisaggregatedModel, measured_ms: number): DisaggregationSummary {
  const fl = run.fleet!;
  const count = (served: object) => fl.gpuClusters.filter((c) => c.served === served).reduce((n, c) => n + c.replicas.length, 0);
  const links = pools.route.allLinks();
  const busy_ms = links.reduce((a, l) => a + l.busy_ms, 0);
  return {
    prefill_replicas: count(pools.prefill),
    decode_replicas: count(pools.decode),
    kv_transfers: links.reduce((a, l) => a + l.transfers, 0),
    kv_gb_per_s: round(links.reduce((a, l) => a + l.bytes, 0) / 1e9 / (measured_ms / 1000)),
    kv_link_busy_fraction: round(links.length > 0 && measured_ms > 0 ? busy_ms / (links.length * measured_ms) : 0),
    kv_transfer_ms: roundLatency(pools.route.transfer_ms.summary()),
    lost_on_kv_link: pools.route.lostOnLink,
    no_decode_replica: pools.route.noDecodeReplica,
  };
}

/** The GPU figures of each pool of a disaggregated model, keyed `<model>:prefill` and `<model>:decode`; none for a colocated model. */
export function poolGpuFigures(run: RunResult, model: string): Record<string, GpuSummary> {
  const fl = run.fleet!;
  const pools = fl.disaggregated?.[model];
  if (!pools) return {};
  const measured_ms = run.duration_ms - run.warmup_ms;
  const out: Record<string, GpuSummary> = {};
  for (const s of [pools.prefill, pools.decode]) {
    const { stats, replicas, u } = clusterFigures(fl.gpuClusters.filter((c) => c.served === s), s, measured_ms);
    out[s.name] = {
      replicas,
      replicas_full: s.replicasFull,
      busy_fraction: round(u.busy_fraction),
      batch_size_mean: round(u.mean_batch_size),
      kv_utilization: round(u.kv_utilization),
      preemptions: stats.preemptions,
      // simulated tokens per second of the pool (a prefill pool's are the first tokens)
      output_tokens_per_s: round(stats.output_tokens / (measured_ms / 1000)),
      mfu: round(u.mfu),
      bandwidth_utilization: round(u.bandwidth_utilization),
    };
  }
  return out;
}
