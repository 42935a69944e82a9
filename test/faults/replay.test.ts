import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { loadScenario } from '../../src/scenario/load.ts';
import { prepare } from '../../src/scenario/prepare.ts';
import { runReplay } from '../../src/experiment/replay.ts';
import { fleetsim, show } from '../helpers/cli.ts';

/** Incidents at a small sample of the fleet, so the suite stays fast: the shapes survive sampling. */
const SMALL = ['fleet.scale=0.002'];
/** The incidents extend ../openai-2024.yaml, outside their directory: scenarios/ must be allowed (--allow-path). */
const ALLOW = ['scenarios'];
const variant = (file: string, name = 'baseline', overrides: string[] = []) => ({ name, overrides, prep: prepare(loadScenario(file, [...SMALL, ...overrides], ALLOW)) });
const windowErr = (r: { completions: number; errors: number; rejections: number }) => (r.errors + r.rejections) / Math.max(1, r.completions + r.errors + r.rejections);

describe('incident replays', () => {
  const files = readdirSync('scenarios/incidents').filter((f) => f.endsWith('.yaml') && f !== 'base.yaml');

  it('ships the eight incidents', () => {
    expect(files.sort()).toEqual([
      'db-pooler-surge-jun-2024.yaml',
      'gpu-cluster-failure.yaml',
      'gpu-fragmentation-aug-2024.yaml',
      'k8s-discovery-dec-2024.yaml',
      'rate-limit-misconfig-jun-2024.yaml',
      'redis-auth-shards-oct-2023.yaml',
      'redis-failover-dec-2023.yaml',
      'region-outage.yaml',
    ]);
  });

  it.each(files)('%s runs end to end and shows its spike and its recovery', async (f) => {
    const [run] = await runReplay([variant(`scenarios/incidents/${f}`)], 1);
    const bands = run.summary.faults!;
    expect(bands.length).toBeGreaterThan(0);
    const start = Math.min(...bands.map((b) => b.start_s));
    const end = Math.max(...bands.map((b) => b.recovered_s ?? b.end_s));
    const rows = run.timeseries.filter((r) => !r.warmup);
    const before = rows.filter((r) => r.t_start_s + 60 <= start);
    const during = rows.filter((r) => r.t_start_s >= start && r.t_start_s < end);
    const after = rows.filter((r) => r.t_start_s >= end + 600);
    const peak = (xs: typeof rows, k: (r: (typeof rows)[number]) => number) => Math.max(0, ...xs.map(k));
    const ttft = (r: (typeof rows)[number]) => r.ttft_p99_ms ?? 0;
    // The spike: errors, or (for fragmentation) time to first token, well above the quiet hour.
    const spike = peak(during, windowErr) > peak(before, windowErr) + 0.02 || peak(during, (r) => r.retries) > 3 * peak(before, (r) => r.retries) + 5 || peak(during, ttft) > 2 * peak(before, ttft);
    expect(spike, `${f}: no spike (seed 1)`).toBe(true);
    // The recovery: after the fault, errors are back near the quiet hour's.
    if (after.length > 0) expect(peak(after, windowErr), `${f}: not recovered`).toBeLessThan(peak(before, windowErr) + 0.05);
    expect(run.analysis.recovered).toBe(true);
  });

  it('replays are deterministic and what-ifs share arrivals and fault times', async () => {
    const file = 'scenarios/incidents/region-outage.yaml';
    const a = await runReplay([variant(file), variant(file, 'fast-dns', ['faults.0.dns_ttl_s=5'])], 3);
    const b = await runReplay([variant(file), variant(file, 'fast-dns', ['faults.0.dns_ttl_s=5'])], 3);
    const strip = (x: typeof a) => JSON.stringify(x.map((r) => ({ ...r, summary: { ...r.summary, engine: null } })));
    expect(strip(a)).toBe(strip(b));
    // Common random numbers: the same requests arrive in both variants.
    expect(a[1].summary.requests.offered).toBe(a[0].summary.requests.offered);
    expect(a[1].summary.faults![0].start_s).toBe(a[0].summary.faults![0].start_s);
    // A shorter DNS TTL shifts traffic sooner and fails fewer requests.
    expect(a[1].summary.faults![0].mitigated_s).toBeLessThan(a[0].summary.faults![0].mitigated_s!);
    expect(a[1].analysis.requests_failed).toBeLessThan(a[0].analysis.requests_failed);
  });

  it('fleetsim replay compares what-ifs from the command line', async () => {
    // A shorter storm (30 min) in a shorter run keeps the test quick; the shape is the same.
    const r = await fleetsim(['replay', 'scenarios/incidents/redis-failover-dec-2023.yaml', '--allow-path', 'scenarios', '--set', 'duration_s=4200', '--set', 'faults.0.reconnect_s=1800', '--what-if', 'pooling=faults.0.pooling=true', '--json']);
    expect(r.code, show(r)).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.variants.map((v: { name: string }) => v.name)).toEqual(['baseline', 'pooling']);
    const [base, pooled] = doc.variants;
    expect(base.analysis.peak_error_rate).toBeGreaterThan(0.9);
    // Without pooling the reconnect storm outlasts the failover; with it the outage ends with the failover.
    expect(base.analysis.time_to_recover_s).toBeGreaterThan(1800);
    expect(pooled.analysis.time_to_recover_s).toBeLessThan(900);
    const bad = await fleetsim(['replay', 'scenarios/incidents/region-outage.yaml', '--allow-path', 'scenarios', '--what-if', 'nonsense']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });
});
