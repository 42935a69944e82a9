import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { show } from '../helpers/cli.ts';
import { userError } from '../helpers/errors.ts';
import { runMain } from '../check/run-main.ts';
import { loadScenario } from '../../src/scenario/load.ts';
import { prepare } from '../../src/scenario/prepare.ts';
import { startRun } from '../../src/experiment/simulate.ts';
import { checkMemory, estimateMemory, runParts } from '../../src/experiment/memory.ts';
import { runReplications } from '../../src/experiment/replications.ts';
import { SummaryAggregator } from '../../src/results/aggregate.ts';

/**
 * Everything is bounded before anything is built: a scenario that cannot fit is refused with the
 * estimate and the limit (exit 2), not discovered by the V8 heap (exit 134) or the swap.
 */
const EXAMPLE = 'scenarios/mmc-example.yaml';
const FLEET = 'scenarios/openai-2024.yaml';

describe('refused before simulating, with the estimate and the limit', () => {
  it.each([
    ['time-series windows of a microsecond', [EXAMPLE, '--set', 'window_s=0.000001'], /about [\d,.]+ (GB|e\d+ GB|\S+ GB) of memory \([\d,.e]+ time-series windows of 0\.000001 s/],
    ['ten million GPUs at full scale', [FLEET, '--set', 'fleet.scale=1', '--set', 'fleet.models.gpt-4.gpus=10000000'], /1,2\d\d,\d\d\d GPU replicas: [\d.]+ GB/],
  ])('%s', async (_what, args, detail) => {
    const t0 = performance.now();
    const r = await runMain(['run', ...args, '--quiet']);
    expect(r.code, show(r)).toBe(2);
    const line = r.stderr.trim();
    expect(line.includes('\n')).toBe(false);
    expect(line).toMatch(/this would need about \S+ (GB|MB) of memory/);
    expect(line).toMatch(/over the limit of 4 GB/);
    expect(line).toMatch(detail);
    expect(r.stdout).toBe('');
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it('replications are aggregated as they complete: a billion cost no more memory than two', () => {
    const sc = prepare(loadScenario(EXAMPLE, [])).scenario;
    const bytes = (runs: number) => estimateMemory(sc, { runs, parallel: 1, threads: 0 }).reduce((a, p) => a + p.bytes, 0);
    expect(bytes(1e9)).toBe(bytes(2));
    expect(bytes(2)).toBeGreaterThan(bytes(1));
    expect(() => checkMemory(sc, EXAMPLE, { runs: 1e9, parallel: 1, threads: 0 })).not.toThrow();
    // Summaries kept whole (compare's replications) still count one by one.
    expect(userError(() => checkMemory(sc, EXAMPLE, { runs: 1e9, parallel: 1, threads: 0, keptSummaries: 1e9 }))).toMatch(/1,000,000,000 summaries kept until the end: [\d,.]+ [GT]B/);
  });

  it('limits.max_memory_gb raises the limit', () => {
    // 20,000 replicas of 4,096 sequence slots: ~1.5 GB of typed arrays by the per-slot cost, over a 1 GB limit.
    const sets = ['fleet.scale=1', 'fleet.models.gpt-4.gpus=160000', 'fleet.models.gpt-4.batching.max_num_seqs=4096'];
    const big = prepare(loadScenario(FLEET, [...sets, 'limits.max_memory_gb=1'])).scenario;
    expect(userError(() => checkMemory(big, FLEET, { runs: 1, parallel: 1, threads: 0 }))).toMatch(/over the limit of 1 GB/);
    const raised = prepare(loadScenario(FLEET, [...sets, 'limits.max_memory_gb=8'])).scenario;
    expect(() => checkMemory(raised, FLEET, { runs: 1, parallel: 1, threads: 0 })).not.toThrow();
  });

  it('--jobs beyond the cores is capped, and says so', async () => {
    const r = await runMain(['run', EXAMPLE, '--set', 'duration_s=100', '--set', 'warmup_s=10', '--replications', '2', '--jobs', '1000', '--json']);
    expect(r.code, show(r)).toBe(0);
    expect(r.stderr).toContain(`--jobs 1000 capped at ${availableParallelism()}, the number of cores available`);
    expect(JSON.parse(r.stdout).replications).toBe(2);
  });
});

describe('the estimate against measured memory', () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const used = () => {
    gc();
    gc();
    const m = process.memoryUsage();
    return m.heapUsed + m.external + m.arrayBuffers;
  };
  const within = (estimate: number, measured: number) => {
    expect(measured).toBeGreaterThan(0);
    expect(estimate / measured, `estimate ${estimate} B, measured ${measured} B`).toBeGreaterThan(0.5);
    expect(estimate / measured, `estimate ${estimate} B, measured ${measured} B`).toBeLessThan(3);
  };

  it('time-series windows: within a factor of 3 of what 20,000 empty windows take', () => {
    const prep = prepare(loadScenario(EXAMPLE, ['duration_s=2000', 'window_s=0.1', 'workload.arrivals.rate_per_s=0.001']));
    const before = used();
    const run = startRun(prep, 1);
    const measured = used() - before;
    const windows = runParts(prep.scenario)[1];
    expect(windows.what).toMatch(/^20,000 time-series windows/);
    within(windows.bytes, measured);
    expect(run.duration_ms).toBe(2_000_000);
  });

  it('the replication aggregate: within a factor of 3 of what it holds, and as much after 500 replications as after 2', () => {
    const prep = prepare(loadScenario(FLEET, ['duration_s=4', 'warmup_s=1']));
    const summary = runReplications(prep, 1, 1).summary;
    const estimate = estimateMemory(prep.scenario, { runs: 2, parallel: 1, threads: 0 }).find((x) => x.what.startsWith('the aggregate of'))!.bytes;
    // Twenty aggregates of two summaries each, measured together: one alone is within the heap's
    // own granularity and GC timing (its measured size varied by 4x from run to run).
    const copies = 20;
    const before = used();
    const aggregators = Array.from({ length: copies }, () => {
      const a = new SummaryAggregator();
      a.add(structuredClone(summary));
      a.add(structuredClone(summary));
      return a;
    });
    const two = used();
    const aggregator = aggregators[0];
    for (let i = 2; i < 500; i++) aggregator.add(structuredClone(summary));
    const many = used();
    within(estimate, (two - before) / copies);
    // A kept summary is ~22 KB: 498 of them would be ~11 MB.
    expect(many - two).toBeLessThan(512 * 1024);
    expect(aggregator.result().replications).toBe(500);
  });

  it('GPU replicas: within a factor of 3 of what 4,000 more replicas take', () => {
    const at = (gpus: number) => prepare(loadScenario(FLEET, ['fleet.scale=1', 'fleet.users.count=1000', `fleet.models.gpt-4.gpus=${gpus}`]));
    const small = at(8);
    const large = at(8 + 8 * 4000);
    const replicas = (p: ReturnType<typeof at>) => estimateMemory(p.scenario, { runs: 1, parallel: 1, threads: 0 }).find((x) => x.what.endsWith('GPU replicas'))!.bytes;
    const before = used();
    const a = startRun(small, 1);
    const mid = used();
    const b = startRun(large, 1);
    const after = used();
    within(replicas(large) - replicas(small), after - mid - (mid - before));
    expect([a.duration_ms, b.duration_ms]).toEqual([120_000, 120_000]);
  });
});

describe('limits.max_wall_s bounds the whole command, not each run alone', () => {
  it.each([['in this thread', '1'], ['on worker threads', '2']])('a million quick replications stop at the bound, %s, marked incomplete', async (_where, jobs) => {
    const t0 = performance.now();
    const r = await runMain(['run', EXAMPLE, '--replications', '1000000', '--jobs', jobs, '--set', 'limits.max_wall_s=1.5', '--set', 'duration_s=20', '--set', 'warmup_s=0', '--json', '--quiet']);
    const wall_ms = performance.now() - t0;
    expect(r.code, show(r)).toBe(3);
    const s = JSON.parse(r.stdout);
    expect(s.complete).toBe(false);
    expect(s.engine.stop_reason).toBe('max_wall');
    expect(s.replications).toBeGreaterThan(0);
    expect(s.replications).toBeLessThan(1000000);
    expect(r.stderr).toMatch(/after \d+ of 1000000 replications \(limits\.max_wall_s = 1\.5 s bounds the whole command\)/);
    // The bound, plus the worker threads' start-up and the report, on a loaded 2-core machine.
    expect(wall_ms).toBeLessThan(1500 + 15000);
  });

  it('library calls after a command are not bounded by it', async () => {
    await runMain(['run', EXAMPLE, '--replications', '3', '--jobs', '1', '--set', 'limits.max_wall_s=0.001', '--set', 'duration_s=5', '--set', 'warmup_s=0', '--quiet']);
    const exp = runReplications(prepare(loadScenario(EXAMPLE, ['duration_s=5', 'warmup_s=0'])), 1, 2);
    expect(exp.summary.complete).toBe(true);
    expect(exp.summary.replications).toBe(2);
  });
});
