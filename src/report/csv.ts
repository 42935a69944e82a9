import { stringify } from 'csv-stringify/sync';
import type { WindowRow } from '../metrics/timeseries.ts';
import { round } from './round.ts';
import type { Summary } from './summary.ts';

const num = (x: number | null | undefined) => (x === null || x === undefined ? '' : round(x));

export function timeseriesCsv(rows: WindowRow[]): string {
  return stringify(
    rows.map((r) => ({ ...r, warmup: r.warmup ? 1 : 0, e2e_p50_ms: num(r.e2e_p50_ms), e2e_p99_ms: num(r.e2e_p99_ms) })),
    { header: true, columns: ['t_start_s', 'warmup', 'arrivals', 'completions', 'errors', 'e2e_p50_ms', 'e2e_p99_ms'] },
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
