import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRunner, withRunner, type Runner } from '../../src/experiment/parallel.ts';
import { planSweep, runSweep, sweepFiles, type PointResult, type Sweep } from '../../src/experiment/sweep.ts';
import { runShard } from '../../src/experiment/shard.ts';
import { mergeShards } from '../../src/experiment/merge.ts';
import { sweepCharts } from '../../src/experiment/sweep-charts.ts';
import { runReplications, runReplicationsJobs } from '../../src/experiment/replications.ts';
import { loadScenario } from '../../src/scenario/load.ts';
import { prepare } from '../../src/scenario/prepare.ts';
import { DistributionCollector } from '../../src/results/distributions.ts';
import { REPO } from '../helpers/cli.ts';

/** JSON with the wall-clock fields (the only ones allowed to differ) blanked. */
const noWall = (x: unknown) => JSON.stringify(x, (k, v) => (k === 'wall_s' || k === 'events_per_s' ? 0 : v));
const filesNoWall = (files: Record<string, string>) =>
  Object.fromEntries(Object.entries(files).map(([k, v]) => [k, k.endsWith('summary.json') ? noWall(JSON.parse(v)) : v]));

const MMC = join(REPO, 'scenarios/mmc-example.yaml');
// 6 points x 3 replications, 300 simulated s each (about 2,500 customers a run).
const INPUT = { file: MMC, sets: ['duration_s=300', 'warmup_s=30'], vary: ['topology.stations.api.servers=9..11:1', 'workload.arrivals.rate_per_s=8,8.5'], replications: 3 };

let tmp: string;
let sw: Sweep;
let pool: Runner;
let inline: PointResult[];
let pooled: PointResult[];

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'fleetsim-sweep-'));
  sw = planSweep(INPUT);
  pool = createRunner(2);
  inline = await withRunner(1, (r) => runSweep(sw, r));
  pooled = await runSweep(sw, pool);
});

afterAll(async () => {
  await pool?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('sweep', () => {
  it('runs the grid in order with the same seeds at every point', () => {
    expect(sw.meta).toMatchObject({ points: 6, replications: 3, seed: 7, scenario: 'mmc-example' });
    expect(inline.map((p) => p.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(inline.map((p) => p.values)).toEqual([[9, 8], [9, 8.5], [10, 8], [10, 8.5], [11, 8], [11, 8.5]]);
    for (const p of inline) {
      expect(p.summary).toMatchObject({ seed: 7, replications: 3, complete: true });
      expect(p.summary.stations.api.servers).toBe(p.values[0]);
    }
    // Common random numbers: the same arrivals at points that differ only in servers.
    expect(inline[0].summary.requests.offered).toBe(inline[2].summary.requests.offered);
  });

  it('gives the same results on 1 and on 2 worker threads', () => {
    expect(noWall(pooled)).toBe(noWall(inline));
    expect(filesNoWall(sweepFiles(sw.meta, sw.knobs, pooled))).toEqual(filesNoWall(sweepFiles(sw.meta, sw.knobs, inline)));
  });

  it('writes a CSV row per point with the summary figures and their 95% CIs', () => {
    const files = sweepFiles(sw.meta, sw.knobs, inline);
    const rows = parse(files['sweep.csv'], { columns: true, cast: true }) as Record<string, number | string>[];
    expect(rows).toHaveLength(6);
    expect(Object.keys(rows[0]).slice(0, 5)).toEqual(['point', 'topology.stations.api.servers', 'workload.arrivals.rate_per_s', 'replications', 'complete']);
    for (const col of ['e2e_p50_ms', 'e2e_p99_ms', 'error_rate', 'throughput_per_s', 'utilization.api']) {
      expect(Object.keys(rows[0])).toEqual(expect.arrayContaining([col, `${col}_lo95`, `${col}_hi95`]));
    }
    rows.forEach((row, k) => {
      const s = inline[k].summary as unknown as { latency_ms: { e2e: Record<string, number> & { ci95: Record<string, [number, number]> } }; stations: { api: { utilization: number; ci95: Record<string, [number, number]> } } };
      expect(row.point).toBe(k);
      expect(row['topology.stations.api.servers']).toBe(inline[k].values[0]);
      expect(row.e2e_p99_ms).toBe(s.latency_ms.e2e.p99);
      expect([row.e2e_p99_ms_lo95, row.e2e_p99_ms_hi95]).toEqual(s.latency_ms.e2e.ci95.p99);
      expect(row['utilization.api']).toBe(s.stations.api.utilization);
      expect([row['utilization.api_lo95'], row['utilization.api_hi95']]).toEqual(s.stations.api.ci95.utilization);
      expect(row.e2e_p99_ms_lo95 as number).toBeLessThanOrEqual(row.e2e_p99_ms as number);
      expect(row.e2e_p99_ms_hi95 as number).toBeGreaterThanOrEqual(row.e2e_p99_ms as number);
    });
    // Utilisation grows with the arrival rate and falls with the servers (same seeds).
    expect(rows[1]['utilization.api'] as number).toBeGreaterThan(rows[0]['utilization.api'] as number);
    expect(rows[4]['utilization.api'] as number).toBeLessThan(rows[0]['utilization.api'] as number);
  });

  it('draws p99 against each numeric knob and cost (servers) against p99 with the Pareto front', () => {
    const charts = sweepCharts(sw.knobs, inline);
    expect(charts.map((c) => c.id)).toEqual(['p99-vs-topology-stations-api-servers', 'p99-vs-workload-arrivals-rate_per_s', 'cost-vs-p99']);
    const pareto = charts[2].spec as unknown as { layer: { data: { values: { x: number; y: number; front: string }[] } }[] };
    const pts = pareto.layer[1].data.values;
    const front = pts.filter((p) => p.front === 'Pareto front');
    expect(front.length).toBeGreaterThan(0);
    // Nothing on the front is beaten on both axes by another point.
    for (const f of front) expect(pts.some((q) => q.x <= f.x && q.y <= f.y && (q.x < f.x || q.y < f.y))).toBe(false);
  });

  it('shards (any N) merge into exactly the unsharded result', async () => {
    const dirs = [0, 1, 2, 3].map((i) => join(tmp, `shard-${i}`));
    // Shards on different runners, as on different machines.
    await runShard(sw, pool, { index: 0, count: 4 }, dirs[0]);
    await withRunner(1, async (r) => {
      for (const i of [1, 2, 3]) await runShard(sw, r, { index: i, count: 4 }, dirs[i]);
    });
    const merged = mergeShards([dirs[2], dirs[0], dirs[3], dirs[1]]);
    expect(merged.meta).toEqual(sw.meta);
    expect(filesNoWall(sweepFiles(merged.meta, merged.knobs, merged.points))).toEqual(filesNoWall(sweepFiles(sw.meta, sw.knobs, inline)));
    expect(() => mergeShards([dirs[0], dirs[1], dirs[3]])).toThrow('merge: missing shard 2/4; expected all 4 shards of the sweep');
    expect(() => mergeShards([dirs[0], dirs[0]])).toThrow(/shard 0\/4 given twice/);
  });

  it('a shard of a different sweep is refused', async () => {
    const other = planSweep({ ...INPUT, seed: 99 });
    const a = join(tmp, 'a');
    const b = join(tmp, 'b');
    await withRunner(1, async (r) => {
      await runShard(sw, r, { index: 0, count: 2 }, a);
      await runShard(other, r, { index: 1, count: 2 }, b);
    });
    expect(() => mergeShards([a, b])).toThrow(/are shards of different sweeps/);
    expect(() => mergeShards([tmp])).toThrow(/not a shard output \(no shard.json\)/);
  });
});

describe('run --jobs', () => {
  it('replications on worker threads equal the sequential path (station network)', async () => {
    const prep = prepare(loadScenario(MMC, ['duration_s=300']));
    const seq = runReplications(prep, 7, 4, undefined, { keepRuns: true });
    const par = await runReplicationsJobs(prep, 7, 4, 2, { keepRuns: true });
    expect(par.runs).toHaveLength(4);
    expect(noWall(par.summary)).toBe(noWall(seq.summary));
    expect(noWall(par.runs)).toBe(noWall(seq.runs));
    expect(par.timeseries).toEqual(seq.timeseries);
    expect(par.interrupted).toBe(false);
  });

  it('and on the LLM fleet, latency distributions included', async () => {
    const prep = prepare(loadScenario(join(REPO, 'scenarios/openai-2024.yaml'), ['duration_s=8', 'warmup_s=2']));
    const dist = new DistributionCollector();
    const seq = runReplications(prep, 1, 2, (_i, r) => dist.add(r));
    const par = await runReplicationsJobs(prep, 1, 2, 2);
    expect(noWall(par.summary)).toBe(noWall(seq.summary));
    expect(par.timeseries).toEqual(seq.timeseries);
    expect(par.distributions).toEqual(dist.series());
    expect(par.distributions.length).toBeGreaterThan(0);
  });
});

describe('a refusal names what it belongs to', () => {
  const refusal = (input: Parameters<typeof planSweep>[0]): string => {
    try {
      planSweep(input);
    } catch (e) {
      return (e as Error).message;
    }
    return 'accepted';
  };

  it('a bad --set is the scenario\'s problem, not a point\'s: no "--vary: at point" prefix', () => {
    expect(refusal({ ...INPUT, sets: [...INPUT.sets, 'topology.stations.api.service_ms.mean=0'] })).toMatch(/^.*mmc-example\.yaml(:\d+:\d+)?: topology\.stations\.api\.service_ms\.mean: /);
  });

  it('a bad knob value is the point\'s, named by it', () => {
    expect(refusal({ ...INPUT, vary: ['topology.stations.api.servers=0,1'] })).toMatch(/^--vary: at point 0 \(topology\.stations\.api\.servers=0\): .*mmc-example\.yaml/);
  });
});
