import { stringify } from 'csv-stringify/sync';
import type { WindowRow } from '../metrics/timeseries.ts';
import { round } from '../results/round.ts';
import type { FaultBand } from '../faults/types.ts';
import type { Summary } from '../results/summary.ts';

const num = (x: number | null | undefined) => (x === null || x === undefined ? '' : round(x));

/** Faults active during [t, t + w): their kinds joined by '+' (empty when none). */
export function activeFaults(bands: readonly FaultBand[], t_s: number, w_s: number): string {
  return bands
    .filter((b) => b.start_s < t_s + w_s && (b.recovered_s ?? b.end_s) > t_s)
    .map((b) => b.kind)
    .join('+');
}

/** Share of the window's ended requests that failed or timed out / were rejected. */
export function windowErrorRate(r: WindowRow): number {
  const ended = r.completions + r.errors + r.rejections;
  return ended > 0 ? round(r.errors / ended) : 0;
}
export function windowRejectionRate(r: WindowRow): number {
  const ended = r.completions + r.errors + r.rejections;
  return ended > 0 ? round(r.rejections / ended) : 0;
}

export function timeseriesCsv(rows: WindowRow[], bands: readonly FaultBand[] = [], window_s = 0): string {
  // one column per model with prefix caching, after the fixed ones (none without)
  const prefixModels = Object.keys(rows[0]?.prefix_hit_rate ?? {});
  const prefixColumns = prefixModels.map((m) => `prefix_hit_rate:${m}`);
  return stringify(
    rows.map((r) => ({
      ...r,
      prefix_hit_rate: undefined,
      ...Object.fromEntries(prefixModels.map((m, k) => [prefixColumns[k], num(r.prefix_hit_rate?.[m])])),
      warmup: r.warmup ? 1 : 0,
      e2e_p50_ms: num(r.e2e_p50_ms),
      e2e_p99_ms: num(r.e2e_p99_ms),
      ttft_p50_ms: num(r.ttft_p50_ms),
      ttft_p99_ms: num(r.ttft_p99_ms),
      error_rate: windowErrorRate(r),
      rejection_rate: windowRejectionRate(r),
      faults: activeFaults(bands, r.t_start_s, window_s),
    })),
    {
      header: true,
      columns: ['t_start_s', 'warmup', 'arrivals', 'completions', 'errors', 'rejections', 'retries', 'error_rate', 'rejection_rate', 'e2e_p50_ms', 'e2e_p99_ms', 'ttft_p50_ms', 'ttft_p99_ms', 'queued', 'in_flight', 'faults', ...prefixColumns],
    },
  );
}

export function stationsCsv(s: Summary): string {
  const rows = Object.entries(s.stations).map(([name, st]) => ({
    station: name,
    servers: st.servers,
    utilization: st.utilization,
    arrivals: st.arrivals,
    completed: st.completed,
    rejected: st.rejected,
    timed_out: st.timed_out,
    wait_probability: st.wait_probability,
    throughput_per_s: st.throughput_per_s,
    wait_p50_ms: num(st.wait_ms.p50),
    wait_p99_ms: num(st.wait_ms.p99),
    wait_mean_ms: num(st.wait_ms.mean),
    sojourn_p50_ms: num(st.sojourn_ms.p50),
    sojourn_p99_ms: num(st.sojourn_ms.p99),
    sojourn_mean_ms: num(st.sojourn_ms.mean),
    queue_len_mean: st.queue_len_mean,
    queue_len_max: st.queue_len_max,
  }));
  return stringify(rows, { header: true });
}
