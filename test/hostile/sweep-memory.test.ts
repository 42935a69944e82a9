import { describe, expect, it } from 'vitest';
import { withRunner } from '../../src/experiment/parallel.ts';
import { planSweep, pointFiles, runSweep, sweepFiles, type PointResult } from '../../src/experiment/sweep.ts';
import { checkSweepMemory } from '../../src/experiment/memory.ts';
import { userError } from '../helpers/errors.ts';

/**
 * What a sweep holds while it runs: each point is handed over (its files written) as it finishes
 * and kept without its time series, so the series held do not grow with the number of points.
 * Summaries, one per point, are still kept to the end (sweep.csv, the charts): see
 * docs/hostile-inputs.md.
 */
const FILE = 'scenarios/mmc-example.yaml';
const SETS = ['duration_s=60', 'warmup_s=10'];

describe('sweep memory', () => {
  it('keeps no finished point\'s time series, and writes the same files as when it kept them all', async () => {
    const sw = planSweep({ file: FILE, sets: SETS, vary: ['topology.stations.api.servers=20,21,22,23,24,25'], replications: 2 });
    const handed: PointResult[] = [];
    const kept = await withRunner(1, (runner) => runSweep(sw, runner, undefined, (p) => handed.push(p)));
    expect(handed.map((p) => p.index).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    for (const p of handed) expect(p.timeseries.length).toBeGreaterThan(0);
    // Would fail if the sweep held every point's series to the end.
    expect(kept.reduce((rows, p) => rows + p.timeseries.length, 0)).toBe(0);
    expect(kept.map((p) => p.summary)).toEqual(handed.sort((a, b) => a.index - b.index).map((p) => p.summary));
    // The files written point by point are those of the sweep that kept everything.
    const whole = await withRunner(1, (runner) => runSweep(sw, runner));
    const streamed = Object.assign({}, ...handed.map((p) => pointFiles(sw.meta, p)));
    const all = sweepFiles(sw.meta, sw.knobs, whole);
    const wall = (text: string) => text.replace(/"(wall_s|events_per_s)": [\d.e+-]+/g, '"$1": 0');
    for (const [name, text] of Object.entries(streamed)) expect(wall(text as string), name).toBe(wall(all[name]));
  });

  it('the estimate counts the series of the points under way, not of every point', () => {
    const sw = planSweep({ file: 'scenarios/openai-2024.yaml', sets: ['fleet.scale=0.002', 'duration_s=5', 'warmup_s=0'] });
    const message = userError(() => checkSweepMemory(() => sw.scenario(0), 100_000, 1, 'x.yaml', { runs: 100_000, jobs: 2 }));
    expect(message).toMatch(/100,000 summaries kept until the end/);
    // Before, 100,001 merged time series added about 4 GB to this estimate (11.3 GB in all).
    expect(message).not.toMatch(/100,00\d merged time series/);
    expect(Number(/would need about ([\d.]+) GB/.exec(message)?.[1])).toBeLessThan(8);
  });
});
