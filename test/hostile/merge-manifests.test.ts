import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { show } from '../helpers/cli.ts';
import { suiteTempDir } from '../helpers/temp-dir.ts';
import { expectMergeRefused as expectRefused, shardEditor, sweepShards } from '../helpers/shards.ts';

/**
 * `fleetsim merge` of shard outputs edited by hand (the fifth hostile campaign, 2026-12-07): a
 * shard.json without `shard` or `sweep`, a knob of an unknown kind, a run whose summary is a
 * string or whose time series is malformed failed with internal errors (exit 70, a stack trace),
 * and a run whose `requests` is null was merged, written, and then failed. Each is refused now
 * before anything is written: one line naming the file and the field, exit 2.
 */
const tmp = suiteTempDir('fleetsim-hostile-merge-');

type Json = Record<string, any>;

// two points of two replications, two shards: shard 0 holds replication 0 of each point
const SWEEP = ['scenarios/quickstart.yaml', '--vary', 'topology.stations.api.servers=12,16', '--set', 'duration_s=60', '--set', 'warmup_s=1', '--replications', '2', '--jobs', '1', '--quiet'];
const mergeEdited = shardEditor(tmp, sweepShards(tmp, SWEEP));

describe('merge refuses a hand-edited shard.json naming the file and the field', () => {
  it.each<[string, (m: Json) => void, RegExp]>([
    ['no shard key (an internal error)', (m) => delete m.shard, /^shard: expected a mapping \(key: value\), got nothing$/],
    ['no sweep (an internal error)', (m) => delete m.sweep, /^sweep: expected a mapping \(key: value\), got nothing$/],
    ['a knob of an unknown kind (merged)', (m) => (m.sweep.knobs[0].kind = 'zigzag'), /^sweep\.knobs\[0\]\.kind: expected one of "list", "range", got "zigzag"$/],
    ['a knob without values (an internal error)', (m) => (m.sweep.knobs[0].values = null), /^sweep\.knobs\[0\]\.values: expected a list, got null$/],
    ['knobs an object (an internal error)', (m) => (m.sweep.knobs = {}), /^sweep\.knobs: expected a list, got \{\}$/],
    ['points a string (merged)', (m) => (m.sweep.points = '2'), /^sweep\.points: expected a positive integer, got "2"$/],
    ['replications a string (merged)', (m) => (m.sweep.replications = '2'), /^sweep\.replications: expected a positive integer, got "2"$/],
    ['a run entry null (an internal error)', (m) => (m.runs[0] = null), /^runs\[0\]: expected a mapping \(key: value\), got null$/],
    ['a shard index past the count (refused as a shard given twice, no field named)', (m) => (m.shard.index = 5), /^shard\.index: expected an integer below shard\.count \(2\), got 5$/],
  ])('%s', async (name, edit, field) => {
    const result = await mergeEdited(`manifest-${name.replace(/\W+/g, '-')}`, { manifest: edit });
    expectRefused(result, result.manifest, field);
  });
});

describe('merge refuses a hand-edited run file naming the file and the field', () => {
  it.each<[string, (r: Json) => void | string, RegExp]>([
    ['the summary a string', (r) => { r.summary = 'hello'; }, /^summary: expected a mapping \(key: value\), got "hello"$/],
    ['requests null (written, then an internal error)', (r) => { r.summary.requests = null; }, /^summary\.requests: expected a mapping \(key: value\), got null$/],
    ['latency_ms a list', (r) => { r.summary.latency_ms = []; }, /^summary\.latency_ms: expected a mapping \(key: value\), got \[\]$/],
    ['stations null', (r) => { r.summary.stations = null; }, /^summary\.stations: expected a mapping \(key: value\), got null$/],
    ['a count a string (merged)', (r) => { r.summary.requests.completed = 'many'; }, /^summary\.requests\.completed: expected a number, got "many"$/],
    ['the run null', () => 'null', /^\(top level\): expected a mapping \(key: value\), got null$/],
    ['the time series a string', (r) => { r.timeseries = 'x'; }, /^timeseries: expected a mapping \(key: value\), got "x"$/],
    ['a counter of an unknown type', (r) => { r.timeseries.fields.arrivals.typed = 'Nope'; }, /^timeseries\.fields\.arrivals\.typed: expected one of "Float64Array", got "Nope"$/],
    ['a window short of sketches', (r) => { r.timeseries.fields.latency.sketches.pop(); }, /^timeseries\.fields\.latency: expected 60 entries \(one a window, as fields\.arrivals\), got 59$/],
    ['an error rate of 2, which compare refuses (merged into the mean, 1.087 with a CI to 46,576)', (r) => { r.summary.requests.error_rate = 2; }, /^summary\.requests\.error_rate: expected a fraction from 0 to 1, got 2$/],
    ['a negative p99 (merged)', (r) => { r.summary.latency_ms.e2e.p99 = -5; }, /^summary\.latency_ms\.e2e\.p99: expected a number >= 0, got -5$/],
    ['more completed than offered (merged)', (r) => { r.summary.requests.completed = 1e9; }, /^summary\.requests\.completed: expected at most requests\.offered \(\d+\), got 1000000000$/],
    ['a sketch null', (r) => { r.timeseries.fields.latency.sketches[0] = null; }, /^timeseries\.fields\.latency\.sketches\[0\]: expected a mapping \(key: value\), got null$/],
    ['a field the series does not have (one named merge replaced the method)', (r) => { r.timeseries.fields.merge = { value: null }; }, /^timeseries\.fields\.merge: unknown key "merge"$/],
    ['the window a string (merged)', (r) => { r.timeseries.fields.window_ms.num = 'abc'; }, /^timeseries\.fields\.window_ms\.num: expected a positive number, got "abc"$/],
    [
      'a sketch key far outside its bins (an array length out of range)',
      (r) => { r.timeseries.fields.latency.sketches.find((s: Json) => s.store.count > 0).store.minKey = -1e12; },
      /^timeseries\.fields\.latency\.sketches\[\d+\]\.store\.minKey: expected an integer key from -\d+ to \d+ inside the bins \(offset -?\d+, \d+ bins\) in a store holding a count, got -1000000000000$/,
    ],
  ])('%s', async (name, edit, field) => {
    const result = await mergeEdited(`run-${name.replace(/\W+/g, '-')}`, { run: edit });
    expectRefused(result, result.run, field);
  });

  it("windows of another width than the point's replication 0 are refused naming both files (merged in part)", async () => {
    const result = await mergeEdited('run-windows', {
      run: (r) => {
        r.timeseries.fields.window_ms.num = 2000;
      },
    });
    // shard 1 holds replication 1 of point 0, read after the edited replication 0
    const other = join(result.manifest, '..', '..', 'shard-1', 'runs', 'p0-r1.json');
    expectRefused(result, other, /^timeseries: expected the windows of replication 0 of point 0 \(.+: 60 of 2000 ms\), found 60 of 1000 ms$/);
    expect(result.r.stderr).toContain(`(${result.run}: 60 of 2000 ms)`);
  });

  it('a run file missing is refused naming it', async () => {
    const result = await mergeEdited('run-missing', { manifest: (m) => (m.runs[0].file = 'runs/gone.json') });
    expectRefused(result, join(result.manifest, '..', 'runs', 'gone.json'), /^cannot read a run \(ENOENT\)$/);
  });

  it('keys a summary does not declare still merge (another fleetsim version may write them)', async () => {
    const { r, out } = await mergeEdited('run-unknown-key', { run: (rec) => { rec.summary.extra_block = { figure: 1 }; } });
    expect(r.code, show(r)).toBe(0);
    expect(existsSync(join(out, 'sweep.json'))).toBe(true);
  });
});
