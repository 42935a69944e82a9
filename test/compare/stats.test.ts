import { describe, expect, it } from 'vitest';
import { holm, holmAdjusted, pairedT, sampleFromCi, sampleOf, welch } from '../../src/report/stats.ts';
import { meanCi95 } from '../../src/metrics/ci.ts';
import { compareMarkdown, compareSummaries, headlineMetrics } from '../../src/report/compare.ts';
import type { Summary } from '../../src/results/summary.ts';

describe('significance tests', () => {
  it("Welch's t-test matches scipy.stats.ttest_ind(equal_var=False)", () => {
    const r = welch(sampleOf([1, 2, 3, 4, 5]), sampleOf([2, 4, 6, 8, 10]))!;
    expect(r.t).toBeCloseTo(1.8973665961010275, 10);
    expect(r.df).toBeCloseTo(5.882352941176471, 10);
    expect(r.p).toBeCloseTo(0.10753119493062728, 6);
    expect(welch(sampleOf([1]), sampleOf([2, 3]))).toBeNull();
  });

  it('the paired t-test matches scipy.stats.ttest_rel', () => {
    const r = pairedT([1, 2, 3, 4, 5], [1.5, 2.2, 3.9, 4.1, 5.8])!;
    expect(r.t).toBeCloseTo(3.1622776601683786, 10);
    expect(r.df).toBe(4);
    expect(r.p).toBeCloseTo(0.03410942316740965, 6);
  });

  it('exact figures (zero variance): p 1 when equal, 0 when they differ', () => {
    expect(welch(sampleOf([5, 5, 5]), sampleOf([5, 5, 5]))!.p).toBe(1);
    expect(welch(sampleOf([5, 5, 5]), sampleOf([6, 6, 6]))!.p).toBe(0);
    expect(pairedT([1, 2, 3], [2, 3, 4])!.p).toBe(0);
  });

  it('a sample rebuilt from the 95% CI of summary.json has the sample SD back', () => {
    const xs = [10.2, 11.9, 9.4, 12.5, 10.8];
    const { mean, ci95 } = meanCi95(xs);
    const back = sampleFromCi(mean, ci95!, xs.length);
    expect(back.sd).toBeCloseTo(sampleOf(xs).sd!, 10);
    expect(sampleFromCi(3, undefined, 1)).toEqual({ mean: 3, sd: null, n: 1 });
  });

  it('Holm-Bonferroni rejects step-down and stops at the first that fails', () => {
    expect(holm([0.01, 0.04, 0.03, 0.005], 0.05)).toEqual([true, false, false, true]);
    expect(holm([0.001, null, 0.02], 0.05)).toEqual([true, false, true]);
    expect(holm([0.03, 0.03], 0.05)).toEqual([false, false]);
  });

  it('Holm-adjusted p-values: the running maximum of (m - k) p over the sorted ones, rejected exactly where holm() rejects', () => {
    // sorted 0.005, 0.01, 0.03, 0.04 (m = 4): 4 x 0.005, 3 x 0.01, max(0.03, 2 x 0.03), max(0.06, 0.04)
    const ps = [0.01, 0.04, 0.03, 0.005];
    const adjusted = holmAdjusted(ps);
    [0.03, 0.06, 0.06, 0.02].forEach((want, i) => expect(adjusted[i]).toBeCloseTo(want, 12));
    expect(holmAdjusted([0.2, null, 0.9])).toEqual([0.4, null, 0.9]);
    expect(holmAdjusted([0.6, 0.7])).toEqual([1, 1]);
    for (const alpha of [0.01, 0.025, 0.05, 0.1]) expect(adjusted.map((p) => p! <= alpha)).toEqual(holm(ps, alpha));
  });
});

describe('compare on summaries', () => {
  const base = (p99: number, ci: number, extra: Partial<Summary> = {}): Summary =>
    ({
      fleetsim_version: '0.1.0',
      scenario: 'x',
      scenario_file: 'x.yaml',
      seed: 1,
      replications: 5,
      complete: true,
      duration_s: 10,
      warmup_s: 0,
      window_s: 1,
      requests: { offered: 100, completed: 100, failed: 0, rejected: 0, timed_out: 0, in_flight_at_end: 0, error_rate: 0, throughput_per_s: 10, ci95: { throughput_per_s: [9.9, 10.1] } },
      latency_ms: { e2e: { p50: 10, p90: 20, p99, p999: 40, mean: 12, max: 50, ci95: { p99: [p99 - ci, p99 + ci] } } },
      stations: {},
      engine: { events: 1, wall_s: 1, events_per_s: 1, stop_reason: 'until' },
      ...extra,
    }) as unknown as Summary;

  it('flags a latency increase as a regression and a throughput increase as an improvement (direction-aware)', () => {
    const a = base(100, 2);
    const b = base(130, 2);
    (b.requests as unknown as { throughput_per_s: number }).throughput_per_s = 12;
    const c = compareSummaries({ label: 'a', summary: a }, { label: 'b', summary: b });
    expect(c.regressions).toEqual(['latency_ms.e2e.p99']);
    expect(c.improvements).toEqual(['requests.throughput_per_s']);
    const row = c.metrics.find((m) => m.metric === 'latency_ms.e2e.p99')!;
    expect(row).toMatchObject({ direction: 'lower', test: 'welch', significant: true, verdict: 'regression' });
    expect(row.change_rel).toBeCloseTo(0.3, 10);
    // Figures without a CI (one replication, or a figure with none) are not tested.
    expect(c.metrics.find((m) => m.metric === 'latency_ms.e2e.p50')!.verdict).toBe('untested');
  });

  it('with a single run a side nothing is tested: the headline says inconclusive, not "No regression"', () => {
    const one = (p99: number) => ({ ...base(p99, 0), replications: 1, latency_ms: { e2e: { p50: 10, p90: 20, p99, p999: 40, mean: 12, max: 50 } }, requests: { offered: 100, completed: 100, failed: 0, rejected: 0, timed_out: 0, in_flight_at_end: 0, error_rate: 0, throughput_per_s: 10 } }) as unknown as Summary;
    const c = compareSummaries({ label: 'a', summary: one(100) }, { label: 'b', summary: one(150) });
    expect(c.regressions).toEqual([]);
    expect(c.untested).toContain('latency_ms.e2e.p99');
    expect(c.metrics.every((m) => m.p_holm === null)).toBe(true);
    const md = compareMarkdown(c);
    expect(md).toContain('**Inconclusive**: a side has a single run, so no change could be tested');
    expect(md).not.toContain('No regression');
  });

  it('warns when a difference may be the runs\' and not the systems\': a side not at steady state, too short, or sides of other lengths', () => {
    const steady = (ok: boolean, codes: string[] = []) => ({ steady_state: { ok, reasons: [], served_fraction: 1 }, warnings: codes.map((code) => ({ code, message: code })), slo: {} }) as never;
    const a = base(100, 2, { duration_s: 300, verdict: steady(false) } as Partial<Summary>);
    // twice as long at the same load: twice the arrivals (a different load is warned of apart)
    const b = base(100, 2, { duration_s: 600, verdict: steady(true, ['steady_state_unjudged']) } as Partial<Summary>);
    b.requests = { ...b.requests, offered: 2 * a.requests.offered };
    const c = compareSummaries({ label: 'a', summary: a }, { label: 'b', summary: b });
    expect(c.warnings).toEqual([
      'the base run is not at steady state: its latencies and counts depend on how long it ran, so a change of duration_s alone changes them',
      'the candidate run is too short to judge its steady state: its latencies may depend on how long it ran',
      'the sides ran for different lengths (duration 300 s and 600 s, warm-up 0 s and 0 s): a difference may be the length\'s, not the system\'s',
    ]);
    expect(compareMarkdown(c)).toContain('- **Warning:** the base run is not at steady state');
    const same = compareSummaries({ label: 'a', summary: base(100, 2, { verdict: steady(true) } as Partial<Summary>) }, { label: 'b', summary: base(101, 2, { verdict: steady(true) } as Partial<Summary>) });
    expect(same.warnings).toEqual([]);
  });

  it('does not flag a change inside the noise, nor a significant one under --min-change', () => {
    const c = compareSummaries({ label: 'a', summary: base(100, 20) }, { label: 'b', summary: base(104, 20) });
    expect(c.regressions).toEqual([]);
    const tiny = compareSummaries({ label: 'a', summary: base(100, 0.01) }, { label: 'b', summary: base(101, 0.01) }, { minChange: 0.02 });
    expect(tiny.metrics.find((m) => m.metric === 'latency_ms.e2e.p99')!.verdict).toBe('no significant change');
  });

  it('headline metrics cover every latency block, model (names with dots), cluster and the cost', () => {
    const s = {
      ...base(1, 1),
      latency_ms: { e2e: {}, ttft: {} },
      by_model: { 'gpt-3.5-turbo': {} },
      gpu: { 'gpt-3.5-turbo': {} },
      cost: { monthly_usd: 1 },
      fleet: { scale: 1 },
      stations: { api: {} },
    } as unknown as Summary;
    const paths = headlineMetrics(s).map((m) => `${m.path}:${m.direction}`);
    expect(paths).toContain('latency_ms.ttft.p99:lower');
    expect(paths).toContain('by_model.gpt-3.5-turbo.latency_ms.ttft.p99:lower');
    expect(paths).toContain('by_model.gpt-3.5-turbo.output_tokens_per_s:higher');
    expect(paths).toContain('gpu.gpt-3.5-turbo.busy_fraction:neutral');
    expect(paths).toContain('cost.monthly_usd:lower');
    expect(paths).toContain('requests.throughput_per_s:higher');
    // A fleet's many tiers are left to stations.csv; a station network's stations are compared.
    expect(paths.some((p) => p.startsWith('stations.'))).toBe(false);
  });
});
