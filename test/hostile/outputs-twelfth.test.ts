import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMain } from '../check/run-main.ts';
import { show } from '../helpers/cli.ts';
import { earlierOutputs, expectKept } from '../helpers/earlier-output.ts';
import { suiteTempDir } from '../helpers/temp-dir.ts';
import { expectRefusedInOneLine } from '../helpers/errors.ts';

/**
 * The twelfth hostile-input campaign of 2026-12-07 on outputs: fleetsim told its own files from a
 * user's by their names alone, so a user's notes at fleetsim-style names (a sweep's summary.json, a
 * points/0042/, a chart, a vllm.json, a replay's summary-*.json) were deleted with the earlier
 * output, and a user's file at a reserved sibling name (.lock-<out>, .tmp-<out>-<pid>) too. Each test
 * failed on the code before. docs/hostile-inputs.md lists them.
 */
const tmp = suiteTempDir('fleetsim-hostile-outputs-twelfth-');
const QUICK = ['scenarios/quickstart.yaml', '--set', 'duration_s=20', '--set', 'warmup_s=2', '--quiet'];
const SWEEP = ['sweep', ...QUICK, '--vary', 'topology.stations.api.servers=12,16', '--jobs', '1'];
const RUN = ['run', ...QUICK];
const REPLAY = ['replay', 'scenarios/incidents/cold-cache-failover.yaml', '--allow-path', 'scenarios', '--quiet'];

/** A fresh copy of an output `args` write (written once, then copied: each test adds to its own). */
const earlierOutput = earlierOutputs(tmp.dir);

describe('an earlier output is replaced only when its marker accounts for every file in it', () => {
  it('a 2-point sweep: a summary.json and stations.csv at its top, a points/0042/ and a chart of no knob of it are the user\'s, kept', async () => {
    await expectKept(await earlierOutput('sweep-top', SWEEP), SWEEP, { 'summary.json': 'not json, my notes\n', 'stations.csv': 'my data\n' }, /refusing to replace a directory holding what fleetsim did not write: stations\.csv \(a sweep of 2 points writes none at its top\), summary\.json/);
    const points = await earlierOutput('sweep-points', SWEEP);
    const pointFiles = { 'points/0042/summary.json': readFileSync(join(points, 'points/0000/summary.json'), 'utf8'), 'points/0042/timeseries.csv': 'mine\n' };
    await expectKept(points, SWEEP, pointFiles, /points\/0042 \(not one of the 2 points sweep\.json lists\)/);
    await expectKept(await earlierOutput('sweep-chart', SWEEP), SWEEP, { 'charts/p99-vs-budget.svg': '<svg/>\n' }, /charts\/p99-vs-budget\.svg \(not a chart of the knobs sweep\.json lists\)/);
    await expectKept(await earlierOutput('sweep-csv', SWEEP), SWEEP, { 'sweep.csv': 'my,own,table\n1,2,3\n' }, /sweep\.csv \(not fleetsim's: not its CSV header\)/);
    const own = await runMain([...SWEEP, '--out', await earlierOutput('sweep-own', SWEEP)]);
    expect(own.code, show(own)).toBe(0); // its own earlier output is still replaced
  });

  it('a run: a chart its report.md does not link and a vllm.json without fleetsim_version are the user\'s, kept', async () => {
    await expectKept(await earlierOutput('run-user', RUN), RUN, { 'chart-mynotes.svg': '<svg/>\n', 'vllm.json': '{"mine":1}\n' }, /chart-mynotes\.svg \(not a chart fleetsim draws\), vllm\.json \(not fleetsim's: no fleetsim_version\)/);
    const vllm = await earlierOutput('run-vllm', [...RUN, '--format', 'vllm']);
    const own = await runMain([...RUN, '--out', vllm]);
    expect(own.code, show(own)).toBe(0); // a vllm.json fleetsim wrote is replaced
  });

  it('a replay: a summary-*.json of no variant replay.json lists is the user\'s, kept', async () => {
    await expectKept(await earlierOutput('replay-user', REPLAY), REPLAY, { 'summary-my-notes.json': '{"fleetsim_version": "mine"}\n' }, /summary-my-notes\.json \(not a variant replay\.json lists\)/);
  });

  it('a plan: a points/ directory of no evaluation plan.json lists is the user\'s, kept', async () => {
    const PLAN = ['plan', ...QUICK, '--vary', 'topology.stations.api.servers=10..14', '--slo', 'latency_ms.e2e.p99<=100000', '--minimize', 'topology.stations.api.servers'];
    const plan = await earlierOutput('plan-user', PLAN);
    await expectKept(plan, PLAN, { 'points/0099/summary.json': readFileSync(join(plan, 'summary.json'), 'utf8') }, /points\/0099 \(not a point plan\.json lists\)/);
    await expectKept(await earlierOutput('plan-csv', PLAN), PLAN, { 'plan.csv': 'budget,notes\n' }, /plan\.csv \(not fleetsim's: not its CSV header\)/);
    const own = await runMain([...PLAN, '--out', await earlierOutput('plan-own', PLAN)]);
    expect(own.code, show(own)).toBe(0);
  });

  it('a shard: a run file its shard.json does not list is the user\'s, kept', async () => {
    const SHARD = [...SWEEP, '--shard', '0/2'];
    const shard = await earlierOutput('shard-user', SHARD);
    await expectKept(shard, SHARD, { 'runs/p7-r0.json': readFileSync(join(shard, 'runs/p0-r0.json'), 'utf8') }, /runs\/p7-r0\.json \(not a run shard\.json lists\)/);
    const own = await runMain([...SHARD, '--out', await earlierOutput('shard-own', SHARD)]);
    expect(own.code, show(own)).toBe(0);
  });
});

describe('a user\'s file at a name fleetsim reserves beside an output is not removed', () => {
  it('a .lock-<out> not holding a pid is refused, naming it, and kept (it was read as pid NaN and taken over)', async () => {
    const out = join(tmp.dir(), 'locked');
    writeFileSync(join(tmp.dir(), '.lock-locked'), 'my lock notes\n');
    const r = await runMain([...RUN, '--out', out]);
    expectRefusedInOneLine(r, /\.lock-locked expected fleetsim's lock file \(a pid and its start time\), got a file holding something else/, show(r));
    expect(readFileSync(join(tmp.dir(), '.lock-locked'), 'utf8')).toBe('my lock notes\n');
    expect(existsSync(out)).toBe(false);
  });

  it('a .tmp-<out>-<dead pid> directory not laid out as an output is left, with a warning naming it (it was removed for its name and pid)', async () => {
    const out = join(tmp.dir(), 'thesis');
    const left = join(tmp.dir(), '.tmp-thesis-999999');
    mkdirSync(left);
    writeFileSync(join(left, 'thesis.tex'), 'precious\n');
    const r = await runMain([...RUN, '--out', out]);
    expect(r.code, show(r)).toBe(0);
    expect(r.stderr).toMatch(/warning: left \S+\.tmp-thesis-999999 in place: named like a temporary that fleetsim leaves, but not one/);
    expect(readFileSync(join(left, 'thesis.tex'), 'utf8')).toBe('precious\n');
  });
});
