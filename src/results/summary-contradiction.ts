import type { Summary } from './summary.ts';

// one sketch's quantiles are in order; the exact max is not compared (a sketch's p999 may sit
// up to its 0.5% accuracy above it)
const QUANTILE_ORDER = ['p50', 'p90', 'p99', 'p999'] as const;

/**
 * The first figure of a summary that no run can produce, if any: a negative count or rate, an
 * error rate above 1, more requests completed than offered, quantiles out of order. Each held
 * for a single run holds for the means over replications too. A hand-edited summary with a
 * negative throughput used to compare as if real; `merge` merged an error rate of 2 into a
 * point's mean.
 */
export function summaryContradiction(s: Summary): string | undefined {
  const r = s.requests as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(r)) {
    if (typeof value === 'number' && value < 0) return `requests.${key}: expected a number >= 0, got ${value}`;
  }
  if (s.requests.error_rate > 1) return `requests.error_rate: expected a fraction from 0 to 1, got ${s.requests.error_rate}`;
  if (s.requests.completed > s.requests.offered) return `requests.completed: expected at most requests.offered (${s.requests.offered}), got ${s.requests.completed}`;
  for (const [block, figures] of Object.entries(s.latency_ms as unknown as Record<string, Record<string, unknown>>)) {
    let previous: { key: string; value: number } | undefined;
    for (const key of ['mean', ...QUANTILE_ORDER]) {
      const value = figures?.[key];
      if (typeof value !== 'number') continue;
      if (value < 0) return `latency_ms.${block}.${key}: expected a number >= 0, got ${value}`;
      if (key === 'mean') continue;
      if (previous && value < previous.value) return `latency_ms.${block}.${key}: expected at least ${previous.key} (${previous.value}), got ${value}`;
      previous = { key, value };
    }
  }
  return undefined;
}
