import { LatencyStats } from './latency.ts';

/** One window's counters; latency sketches are per window, so memory grows with windows only. */
export interface WindowRow {
  t_start_s: number;
  warmup: boolean;
  arrivals: number;
  completions: number;
  errors: number;
  e2e_p50_ms: number | null;
  e2e_p99_ms: number | null;
}

/** Counters and latency quantiles per fixed window of simulated time. */
export class TimeSeries {
  private arrivals: Float64Array;
  private completions: Float64Array;
  private errors: Float64Array;
  private latency: LatencyStats[] = [];

  constructor(
    private readonly window_ms: number,
    duration_ms: number,
    private readonly warmup_ms: number,
  ) {
    const n = Math.max(1, Math.ceil(duration_ms / window_ms));
    this.arrivals = new Float64Array(n);
    this.completions = new Float64Array(n);
    this.errors = new Float64Array(n);
    for (let i = 0; i < n; i++) this.latency.push(new LatencyStats());
  }

  private index(t_ms: number): number {
    const i = Math.floor(t_ms / this.window_ms);
    return i < this.arrivals.length ? i : this.arrivals.length - 1;
  }

  arrival(t_ms: number): void {
    this.arrivals[this.index(t_ms)]++;
  }

  completion(t_ms: number, e2e_ms: number): void {
    const i = this.index(t_ms);
    this.completions[i]++;
    this.latency[i].add(e2e_ms);
  }

  error(t_ms: number): void {
    this.errors[this.index(t_ms)]++;
  }

  /** Adds another run's windows (same window and duration) into this one. */
  merge(other: TimeSeries): void {
    const n = Math.min(this.arrivals.length, other.arrivals.length);
    for (let i = 0; i < n; i++) {
      this.arrivals[i] += other.arrivals[i];
      this.completions[i] += other.completions[i];
      this.errors[i] += other.errors[i];
      this.latency[i].merge(other.latency[i]);
    }
  }

  /** Rows with counts divided by `runs` (the mean per replication) and pooled quantiles. */
  rows(runs = 1): WindowRow[] {
    const out: WindowRow[] = [];
    for (let i = 0; i < this.arrivals.length; i++) {
      const start_ms = i * this.window_ms;
      out.push({
        t_start_s: start_ms / 1000,
        warmup: start_ms < this.warmup_ms,
        arrivals: this.arrivals[i] / runs,
        completions: this.completions[i] / runs,
        errors: this.errors[i] / runs,
        e2e_p50_ms: this.latency[i].quantile(0.5),
        e2e_p99_ms: this.latency[i].quantile(0.99),
      });
    }
    return out;
  }
}
