import { describe, expect, it } from 'vitest';
import { runReplications } from '../../src/experiment/replications.ts';
import { buildCharts } from '../../src/report/charts/specs.ts';
import { timeseriesCsv } from '../../src/report/csv.ts';
import { parse } from 'csv-parse/sync';
import { loadScenario } from '../../src/scenario/load.ts';
import { prepare } from '../../src/scenario/prepare.ts';

/** The shipped chat-prefix scenario, shortened (90 s, 30 s of warm-up) with overrides. */
function run(overrides: string[] = []) {
  const prep = prepare(loadScenario('scenarios/chat-prefix.yaml', ['duration_s=90', 'warmup_s=30', ...overrides]));
  return runReplications(prep, 1, 1);
}

describe('scenarios/chat-prefix.yaml', () => {
  const affinity = run();
  const uncached = run(['fleet.models.chat.batching.prefix_caching=false']);
  const leastLoaded = run(['fleet.models.chat.router.policy=least_outstanding']);

  it('caching cuts prefill: the hit rate is high and TTFT falls against the same fleet and prompts without caching', () => {
    const gpu = affinity.summary.gpu!.chat;
    expect(gpu.prefix_hit_rate).toBeGreaterThan(0.7);
    expect(uncached.summary.gpu!.chat.prefix_hit_rate).toBe(0);
    const ttft = (e: typeof affinity) => e.summary.by_model!.chat.latency_ms.ttft;
    expect(ttft(affinity).p50!).toBeLessThan(0.6 * ttft(uncached).p50!);
    expect(ttft(affinity).p99!).toBeLessThan(ttft(uncached).p99!);
  });

  it('prefix affinity hits more than least-outstanding routing over the same caches', () => {
    expect(affinity.summary.gpu!.chat.prefix_hit_rate!).toBeGreaterThan(leastLoaded.summary.gpu!.chat.prefix_hit_rate! + 0.05);
  });

  it('the time series carries the hit rate per window: it rises as the caches warm', () => {
    const rates = affinity.timeseries.map((r) => r.prefix_hit_rate!.chat);
    for (const x of rates) expect(x === null || (x >= 0 && x <= 1)).toBe(true);
    expect(rates[0]!).toBeLessThan(rates[rates.length - 1]!);
    expect(uncached.timeseries[0].prefix_hit_rate).toBeUndefined(); // no caching model, no column
  });

  it('the report charts the hit rate over time, from the rows or from timeseries.csv, and only for caching models', () => {
    const ids = (e: typeof affinity, timeseries: readonly object[]) => buildCharts({ summary: e.summary, timeseries }).map((c) => c.id);
    expect(ids(affinity, affinity.timeseries)).toContain('prefix-cache');
    const csvRows = parse(timeseriesCsv(affinity.timeseries), { columns: true }) as Record<string, string>[];
    expect(Object.keys(csvRows[0])).toContain('prefix_hit_rate:chat');
    expect(ids(affinity, csvRows)).toContain('prefix-cache');
    expect(ids(uncached, uncached.timeseries)).not.toContain('prefix-cache');
  });
});
