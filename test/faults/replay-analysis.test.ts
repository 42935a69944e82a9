import { describe, expect, it } from 'vitest';
import { windowFailureRate } from '../../src/experiment/replay.ts';
import type { WindowRow } from '../../src/metrics/timeseries.ts';

const row = (completions: number, errors: number, rejections: number): WindowRow => ({
  t_start_s: 0,
  warmup: false,
  arrivals: completions + errors + rejections,
  completions,
  errors,
  rejections,
  retries: 0,
  e2e_p50_ms: null,
  e2e_p99_ms: null,
  ttft_p50_ms: null,
  ttft_p99_ms: null,
  queued: 0,
});

describe('replay analysis', () => {
  it('a window failure rate is errors and refusals of that window over the requests that ended in it', () => {
    expect(windowFailureRate(row(0, 100, 0))).toBe(1);
    expect(windowFailureRate(row(0, 98, 2))).toBe(1);
    expect(windowFailureRate(row(90, 5, 5))).toBeCloseTo(0.1, 12);
    expect(windowFailureRate(row(0, 0, 0))).toBe(0);
    // A window of all errors beside another with a few refusals: the peak of the ratio is 100%,
    // not the sum of the two peaks (which printed 102% before).
    const peak = Math.max(...[row(0, 50, 0), row(98, 0, 2)].map(windowFailureRate));
    expect(peak).toBe(1);
  });
});
