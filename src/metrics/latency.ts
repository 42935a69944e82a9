import { DDSketch } from '@datadog/sketches-js';

/** Relative accuracy of every latency sketch: quantiles are within 0.5% of the true value. */
export const SKETCH_RELATIVE_ACCURACY = 0.005;

export interface LatencySummary {
  p50: number | null;
  p90: number | null;
  p99: number | null;
  p999: number | null;
  mean: number | null;
  max: number | null;
}

export const LATENCY_KEYS = ['p50', 'p90', 'p99', 'p999', 'mean', 'max'] as const;

/**
 * A latency distribution in bounded memory: a DDSketch (relative-error, mergeable; its size
 * depends on the value range, not on the count) plus exact count, sum and max.
 */
export class LatencyStats {
  readonly sketch = new DDSketch({ relativeAccuracy: SKETCH_RELATIVE_ACCURACY });

  add(value_ms: number): void {
    this.sketch.accept(value_ms);
  }

  get count(): number {
    return this.sketch.count;
  }

  quantile(q: number): number | null {
    return this.sketch.count === 0 ? null : this.sketch.getValueAtQuantile(q);
  }

  merge(other: LatencyStats): void {
    if (other.sketch.count > 0) this.sketch.merge(other.sketch);
  }

  summary(): LatencySummary {
    const s = this.sketch;
    if (s.count === 0) return { p50: null, p90: null, p99: null, p999: null, mean: null, max: null };
    return {
      p50: s.getValueAtQuantile(0.5),
      p90: s.getValueAtQuantile(0.9),
      p99: s.getValueAtQuantile(0.99),
      p999: s.getValueAtQuantile(0.999),
      mean: s.sum / s.count,
      max: s.max,
    };
  }
}
