import type { RunResult } from './run-result.ts';
import { LatencyStats } from '../metrics/latency.ts';
import { round } from './round.ts';

/** One latency distribution: points (latency ms, fraction of requests at or below it). */
export interface CdfSeries {
  /** Model name, or "all requests" for a station network. */
  model: string;
  metric: 'ttft' | 'e2e';
  points: { ms: number; q: number }[];
}

/** Quantiles at which a CDF is drawn: every percent, then the tail. */
const GRID: number[] = [
  ...Array.from({ length: 99 }, (_, i) => (i + 1) / 100),
  0.995,
  0.999,
  0.9995,
  0.9999,
];

function cdfPoints(l: LatencyStats): { ms: number; q: number }[] {
  if (l.count === 0) return [];
  const pts = GRID.map((q) => ({ ms: round(l.quantile(q)!), q }));
  const s = l.sketch as unknown as { min: number; max: number };
  return [{ ms: round(s.min), q: 0 }, ...pts, { ms: round(s.max), q: 1 }];
}

const asStats = (x: unknown): LatencyStats | undefined => (x instanceof LatencyStats ? x : undefined);

/** The parts of a RunResult this module reads, all optional. */
interface LooseRun {
  e2e?: unknown;
  client?: { e2e?: unknown; e2eByClass?: unknown[] };
  fleet?: { served?: { name: string }[]; metrics?: { models?: { ttft?: unknown; e2e?: unknown }[] } };
}

/**
 * Pools the latency sketches of one or more runs (replications) into CDF points: TTFT and
 * end-to-end per model for a fleet, end-to-end of all requests for a station network.
 */
export class DistributionCollector {
  private readonly byKey = new Map<string, { model: string; metric: 'ttft' | 'e2e'; stats: LatencyStats }>();

  private into(model: string, metric: 'ttft' | 'e2e', l: LatencyStats): void {
    const key = `${metric}\u0000${model}`;
    let e = this.byKey.get(key);
    if (!e) this.byKey.set(key, (e = { model, metric, stats: new LatencyStats() }));
    e.stats.merge(l);
  }

  /**
   * Takes the sketches of one run. The run's internals are read defensively (they are being
   * reshaped by the fault and client work): a sketch not found where expected is skipped, and
   * the CDF chart falls back to the summary's quantiles.
   */
  add(r: RunResult): void {
    const run = r as unknown as LooseRun;
    const served = run.fleet?.served;
    if (Array.isArray(served)) {
      served.forEach((s, m) => {
        const mm = run.fleet?.metrics?.models?.[m];
        const ttft = asStats(mm?.ttft);
        const e2e = asStats(run.client?.e2eByClass?.[m]) ?? asStats(mm?.e2e);
        if (ttft) this.into(s.name, 'ttft', ttft);
        if (e2e) this.into(s.name, 'e2e', e2e);
      });
    } else {
      const e2e = asStats(run.client?.e2e) ?? asStats(run.e2e);
      if (e2e) this.into('all requests', 'e2e', e2e);
    }
  }

  series(): CdfSeries[] {
    return [...this.byKey.values()].map((e) => ({ model: e.model, metric: e.metric, points: cdfPoints(e.stats) })).filter((c) => c.points.length > 0);
  }
}

/** distributions.csv: model, metric, quantile, latency_ms. */
export function distributionsCsvRows(series: CdfSeries[]): { model: string; metric: string; quantile: number; latency_ms: number }[] {
  return series.flatMap((c) => c.points.map((p) => ({ model: c.model, metric: c.metric, quantile: p.q, latency_ms: p.ms })));
}
