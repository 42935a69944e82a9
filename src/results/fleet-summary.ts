import type { z } from 'zod';
import type { fleetPartFields, GpuSummarySchema, LatencyBlocksSchema, ModelSummarySchema } from './summary-schema.ts';
import type { RunResult } from './run-result.ts';
import type { Prepared } from '../scenario/prepare.ts';
import { LatencyStats, type LatencySummary } from '../metrics/latency.ts';
import type { RequestCounts } from '../metrics/outcomes.ts';
import { ReplicaStats, replicaUtilisation } from '../fleet/gpu/stats.ts';
import { STAGE_NAMES } from '../fleet/llm/stages.ts';
import type { ServedSpec } from '../fleet/schema.ts';
import { fleetMonthlyCost } from '../fleet/llm/cost.ts';
import { makeArrivals } from '../workload/arrivals.ts';
import { round } from './round.ts';
import { sloVerdict } from './verdict.ts';
import { summarizeEnergy } from './energy-summary.ts';
import { prefixUsdSavedPerMonth } from './prefix-savings.ts';
import { kvTierFigures, kvTiersMonthlyUsd } from './kv-tier-figures.ts';
import type { GpuCluster } from '../fleet/llm/replicas.ts';
import type { ServedModel } from '../fleet/llm/build.ts';
import { disaggregationFigures, poolGpuFigures } from './disaggregation-summary.ts';
import { spotFaultOf } from '../faults/kinds/spot-reclaim.ts';

export type LatencyBlocks = z.infer<typeof LatencyBlocksSchema>;
export type ModelSummary = z.infer<typeof ModelSummarySchema>;
export type GpuSummary = z.infer<typeof GpuSummarySchema>;

/** A reasoning model's time to first visible token; nothing for other models (their summaries keep their bytes). */
function reasoningLatency(mm: NonNullable<RunResult['fleet']>['metrics']['models'][number]): { ttfvt?: LatencySummary } {
  return mm.ttfvt ? { ttfvt: roundLatency(mm.ttfvt.summary()) } : {};
}

/** The LLM-fleet blocks of summary.json; a station network has none. */
export type FleetParts = z.infer<z.ZodObject<typeof fleetPartFields>>;

/** Requests of the model share prefixes: system prompts, a Mooncake trace's blocks, or the turns of a session or an agent loop. */
function sharesPrefixes(spec: ServedSpec): boolean {
  const tokens = spec.tokens;
  // a Mooncake trace (JSONL) names each request's prefix blocks
  const blocks = 'trace' in tokens ? tokens.trace.toLowerCase().endsWith('.jsonl') : tokens.system_prompts !== undefined;
  return blocks || spec.sessions !== undefined || spec.agents !== undefined;
}

/** The prefix-caching figures of a model's GPU summary (only for a model whose requests share prefixes). */
function prefixCacheFigures(stats: ReplicaStats, measured_s: number, scale: number): Partial<GpuSummary> {
  const cached = stats.cached_prompt_tokens;
  const brought = cached + stats.prefill_tokens;
  return {
    prefix_hit_rate: r(brought > 0 ? cached / brought : 0),
    prefix_cached_tokens: cached,
    prefix_tokens_saved_per_s: r(cached / measured_s / scale),
    prefix_evicted_blocks: stats.prefix_evicted_blocks,
  };
}


/** The summed counters, the ITL sketch, the replica count and the utilisation of some GPU clusters of one served model. */
export function clusterFigures(clusters: readonly GpuCluster[], s: ServedModel, measured_ms: number) {
  const stats = new ReplicaStats();
  const itl = new LatencyStats();
  let replicas = 0;
  for (const c of clusters) {
    for (const rep of c.replicas) stats.merge(rep.stats());
    itl.merge(c.itl);
    replicas += c.replicas.length;
  }
  return { stats, itl, replicas, u: replicaUtilisation(stats, s.step, s.step.kvCapacityTokens, measured_ms, replicas) };
}

export function roundLatency(l: LatencySummary): LatencySummary {
  const out = { ...l };
  for (const k of Object.keys(out) as (keyof LatencySummary)[]) out[k] = out[k] === null ? null : round(out[k]!);
  return out;
}

const r = (x: number) => round(x);

/** The LLM-fleet blocks of summary.json (by model, by stage, GPU clusters, cost). */
/** One served model's figures: its block of by_model and of gpu, its ITL sketch and its tokens/s (full fleet). */
function modelFigures(prep: Prepared, run: RunResult, s: NonNullable<RunResult['fleet']>['served'][number], m: number): { model: ModelSummary; gpu: GpuSummary; itl: LatencyStats; tokens_per_s: number } {
  const f = prep.scenario.fleet!;
  const fl = run.fleet!;
  const measured_ms = run.duration_ms - run.warmup_ms;
  const measured_s = measured_ms / 1000;
  // a disaggregated model's replicas are those of its two pools (disaggregation-summary.ts has each apart)
  const pools = fl.disaggregated?.[s.name];
  const clusters = fl.gpuClusters.filter((c) => c.served === s || c.served === pools?.prefill || c.served === pools?.decode);
  const { stats, itl, replicas, u } = clusterFigures(clusters, s, measured_ms);
  const mm = fl.metrics.models[m];
  // Tokens the model's GPUs served inside the measured window (their counters restart at the
  // warm-up), whichever request they were for: a count of the requests that both arrived after the
  // warm-up and finished before the end fell short by the queueing time over the window, so an
  // overloaded fleet's tokens/s and cost per token changed threefold from a 60-s to a 240-s run.
  const promptTokens = stats.prefill_tokens - stats.recompute_tokens + stats.cached_prompt_tokens;
  const outPerS = stats.output_tokens / measured_s / f.scale;
  const tokens_per_s = (stats.output_tokens + promptTokens) / measured_s / f.scale;
  const e2e = roundLatency(run.client.e2eByClass[m].summary());
  const ttft = roundLatency(mm.ttft.summary());
  const slo = s.spec.slo;
  const ttftWaiting = run.ttftIncludingInFlight?.byModel[m];
  const latency_ms = { e2e, e2e_including_in_flight: roundLatency(run.e2eIncludingInFlight.byClass[m].summary()), ttft, ...(ttftWaiting ? { ttft_including_in_flight: roundLatency(ttftWaiting.summary()) } : {}), tpot: roundLatency(mm.tpot.summary()), itl: roundLatency(itl.summary()), ...reasoningLatency(mm) };
  const model: ModelSummary = {
    requests: { ...run.client.byClass[m], rate_limited: mm.rate_limited, spilled: mm.spilled, preemptions: mm.preemptions },
    latency_ms,
    scheduling_delay_ms: roundLatency(mm.scheduling_delay.summary()),
    output_tokens_per_s: r(outPerS),
    // the hidden tokens' share of the counted requests' output, of the tokens served in the window
    ...(mm.ttfvt ? { reasoning_tokens_per_s: r(mm.output_tokens > 0 ? outPerS * (mm.reasoning_tokens / mm.output_tokens) : 0), reasoning_answers_cut: mm.answers_cut } : {}),
    utilization: r(u.busy_fraction),
    ...(pools ? { disaggregation: disaggregationFigures(run, pools, measured_ms) } : {}),
    ...(slo
      ? {
          slo: {
            ...slo,
            // As the verdict judges it: every target met, and the e2e lower bound not over its target.
            met: sloVerdict(slo, latency_ms)?.met ?? true,
          },
        }
      : {}),
  };
  const gpu: GpuSummary = {
    replicas,
    replicas_full: s.replicasFull + (pools ? pools.prefill.replicasFull + pools.decode.replicasFull : 0),
    busy_fraction: r(u.busy_fraction),
    batch_size_mean: r(u.mean_batch_size),
    kv_utilization: r(u.kv_utilization),
    preemptions: stats.preemptions,
    output_tokens_per_s: r(outPerS),
    mfu: r(u.mfu),
    bandwidth_utilization: r(u.bandwidth_utilization),
    ...(sharesPrefixes(s.spec) ? prefixCacheFigures(stats, measured_s, f.scale) : {}),
    ...kvTierFigures(stats, s.spec),
    ...(s.spec.cancel_on_disconnect ? { aborted: stats.aborted, aborted_output_tokens: stats.aborted_output_tokens } : {}),
  };
  return { model, gpu, itl, tokens_per_s };
}

export function summarizeFleet(prep: Prepared, run: RunResult): { parts: FleetParts; latency: LatencyBlocks; rate_limited: number } {
  const f = prep.scenario.fleet!;
  const fl = run.fleet!;
  const by_model: Record<string, ModelSummary> = {};
  const gpu: Record<string, GpuSummary> = {};
  const itlAll = new LatencyStats();
  let tokensPerS = 0;
  fl.served.forEach((s, m) => {
    const x = modelFigures(prep, run, s, m);
    by_model[s.name] = x.model;
    gpu[s.name] = x.gpu;
    Object.assign(gpu, poolGpuFigures(run, s.name));
    itlAll.merge(x.itl);
    tokensPerS += x.tokens_per_s;
  });
  const by_stage: Record<string, { latency_ms: LatencySummary }> = {};
  STAGE_NAMES.forEach((name, i) => {
    if (fl.metrics.stages[i].count > 0) by_stage[name] = { latency_ms: roundLatency(fl.metrics.stages[i].summary()) };
  });
  const meanRate = makeArrivals(prep.scenario.workload.arrivals, () => 0.5, prep.trace).meanRatePerS(prep.scenario.duration_s * 1000);
  const bill = fleetMonthlyCost(f, meanRate, (m) => spotFaultOf(f, prep.scenario.faults, m));
  for (const s of fl.served) {
    const g = gpu[s.name];
    if (g.prefix_tokens_saved_per_s !== undefined) g.prefix_usd_saved_per_month = prefixUsdSavedPerMonth(s, g.prefix_tokens_saved_per_s, bill);
    const kvUsd = kvTiersMonthlyUsd(s.name, s.spec, bill);
    if (kvUsd !== undefined) g.kv_tiers_monthly_usd = kvUsd;
  }
  const roundRecord = (o: Readonly<Record<string, number>>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, r(v)]));
  const tokensPerMonth = tokensPerS * 730 * 3600;
  const sampled = f.scale < 1;
  return {
    rate_limited: fl.metrics.rate_limited,
    latency: {
      e2e: roundLatency(run.client.e2e.summary()),
      e2e_including_in_flight: roundLatency(run.e2eIncludingInFlight.all.summary()),
      ttft: roundLatency(fl.metrics.ttft.summary()),
      ...(run.ttftIncludingInFlight ? { ttft_including_in_flight: roundLatency(run.ttftIncludingInFlight.all.summary()) } : {}),
      tpot: roundLatency(fl.metrics.tpot.summary()),
      itl: roundLatency(itlAll.summary()),
    },
    parts: {
      fleet: {
        scale: f.scale,
        sampled,
        users_simulated: fl.users.count,
        note: sampled
          ? `fleet sampling: ${r(f.scale * 100)}% of every fleet with ${r(f.scale * 100)}% of the traffic was simulated; latencies and utilisations stand for the full fleet, request counts are of the sample, tokens/s and cost are full-fleet`
          : 'the full fleet was simulated',
      },
      by_model,
      by_stage,
      gpu,
      cost: {
        monthly_usd: r(bill.monthly_usd),
        by_plane: roundRecord(bill.by_plane),
        by_component: roundRecord(bill.by_component),
        usd_per_million_tokens: r(tokensPerMonth > 0 ? bill.monthly_usd / (tokensPerMonth / 1e6) : 0),
        ...(f.reference_monthly_usd ? { reference_monthly_usd: { ...f.reference_monthly_usd } } : {}),
      },
      // per request served (in the window, full fleet), as the per-token figures are per token served:
      // the offered rate charged an overloaded fleet's energy to requests it never served
      energy: summarizeEnergy(f, run, tokensPerS, run.client.servedAttempts / ((run.duration_ms - run.warmup_ms) / 1000) / f.scale),
    },
  };
}
