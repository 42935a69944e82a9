import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMain } from '../check/run-main.ts';
import { show } from '../helpers/cli.ts';
import { earlierOutputs, expectKept } from '../helpers/earlier-output.ts';
import { suiteTempDir } from '../helpers/temp-dir.ts';

/**
 * The twelfth campaign's leftovers on outputs, mended 2026-12-07: a plan's top-level run files and
 * chart ids were judged by their names (and a CSV's header) only, not by what its plan.json lists,
 * and a chart's vl.json not at all, so a user's file at such a name was deleted with the earlier
 * output. Each test failed on the code before. docs/hostile-inputs.md lists them.
 */
const tmp = suiteTempDir('fleetsim-hostile-outputs-thirteenth-');
const QUICK = ['scenarios/quickstart.yaml', '--set', 'duration_s=20', '--set', 'warmup_s=2', '--quiet'];
const PLAN_KNOB = ['plan', ...QUICK, '--vary', 'topology.stations.api.servers=10..14', '--minimize', 'topology.stations.api.servers'];
/** A plan that chooses a configuration (every one meets its SLO), and one that chooses none. */
const PLAN = [...PLAN_KNOB, '--slo', 'latency_ms.e2e.p99<=100000'];
const PLAN_NONE = [...PLAN_KNOB, '--slo', 'latency_ms.e2e.p99<=1'];
const FLEET_PLAN = ['plan', 'test/experiment/fixtures/fleet-plan-two-models.yaml', '--fleet', '--gpus', 'l4', '--tp', '1', '--jobs', '1', '--quiet'];
const SWEEP = ['sweep', ...QUICK, '--vary', 'topology.stations.api.servers=12,16', '--jobs', '1'];

/** A fresh copy of an output `args` write (written once, then copied: each test adds to its own). */
const earlierOutput = earlierOutputs(tmp.dir);

describe("a plan's files are those its plan.json accounts for", () => {
  it('a plan: a chart of an id plan.json does not draw is the user\'s, kept; its own output is still replaced', async () => {
    const plan = await earlierOutput('plan-chart', PLAN);
    const svg = readFileSync(join(plan, 'charts/pareto.svg'), 'utf8');
    await expectKept(plan, PLAN, { 'charts/frontier-mine.svg': svg }, /charts\/frontier-mine\.svg \(not a chart of what plan\.json lists\)/);
    const own = await runMain([...PLAN, '--out', await earlierOutput('plan-own', PLAN)]);
    expect(own.code, show(own)).toBe(0);
  });

  it('a plan that chose nothing: a summary.json at its top (a copy of a point\'s) is the user\'s, kept', async () => {
    const plan = join(tmp.dir(), 'plan-none');
    const first = await runMain([...PLAN_NONE, '--out', plan]);
    expect(first.code, show(first)).toBe(1); // written, though no configuration met the SLO
    const planJson = JSON.parse(readFileSync(join(plan, 'plan.json'), 'utf8'));
    expect(planJson.chosen).toBeNull();
    const summary = readFileSync(join(plan, planJson.evaluations.find((e: { dir: string | null }) => e.dir !== null).dir, 'summary.json'), 'utf8');
    await expectKept(plan, PLAN_NONE, { 'summary.json': summary }, /summary\.json \(not a file of the configuration plan\.json chose\)/);
  });

  it('a fleet plan: a timeseries.csv at its top (it writes none) and a frontier of no model it lists are the user\'s, kept; its own is replaced', async () => {
    const fleet = await earlierOutput('fleet-user', FLEET_PLAN);
    const series = readFileSync(join(await earlierOutput('plan-series', PLAN), 'timeseries.csv'), 'utf8');
    const chart = readFileSync(join(fleet, 'charts/frontier-chat.svg'), 'utf8');
    const named = /charts\/frontier-other\.svg \(not a chart of what plan\.json lists\), timeseries\.csv \(not a file of the configuration plan\.json chose\)/;
    await expectKept(fleet, FLEET_PLAN, { 'timeseries.csv': series, 'charts/frontier-other.svg': chart }, named);
    const own = await runMain([...FLEET_PLAN, '--out', await earlierOutput('fleet-own', FLEET_PLAN)]);
    expect(own.code, show(own)).toBe(0);
  });
});

describe("a chart's vl.json is fleetsim's only when it starts as fleetsim's specs do ($schema, then config)", () => {
  const notOurs = (rel: string) => new RegExp(`${rel.replace(/[./]/g, '\\$&')} \\(not fleetsim's: not its Vega-Lite spec, https://vega\\.github\\.io/schema/vega-lite/v6\\.json first\\)`);

  it("a user's JSON at a plan's or a sweep's chart spec is kept, as are one that is not JSON and a user's own Vega-Lite chart", async () => {
    await expectKept(await earlierOutput('plan-vl', PLAN), PLAN, { 'charts/pareto.vl.json': '{"my": "notes"}\n' }, notOurs('charts/pareto.vl.json'));
    await expectKept(await earlierOutput('sweep-vl', SWEEP), SWEEP, { 'charts/cost-vs-p99.vl.json': 'my notes, not JSON\n' }, notOurs('charts/cost-vs-p99.vl.json'));
    // a user's own chart of the same $schema, as an editor exports it (no fleetsim config)
    const mine = `${JSON.stringify({ $schema: 'https://vega.github.io/schema/vega-lite/v6.json', mark: 'bar', data: { values: [] } }, null, 2)}\n`;
    await expectKept(await earlierOutput('sweep-vl-mine', SWEEP), SWEEP, { 'charts/cost-vs-p99.vl.json': mine }, notOurs('charts/cost-vs-p99.vl.json'));
    const own = await runMain([...SWEEP, '--out', await earlierOutput('sweep-own', SWEEP)]);
    expect(own.code, show(own)).toBe(0); // its own vl.json files are still replaced
  });
});

/**
 * A thirteenth campaign (2026-12-08, on the mends above): a user's chart linked from report.md, a
 * sweep's points/00001, user files at fleetsim's page and chart names, and a user's directories
 * named like fleetsim's dead temporaries were deleted; a FIFO named report.md hung the walk; models
 * or knobs whose names slug alike drew one chart. Each test failed on the code before.
 */
describe('the thirteenth campaign: what fleetsim draws and writes, not what is named like it', () => {
  const RUN = ['run', ...QUICK];

  it("a user's chart linked from report.md is the user's, kept with the edit; a page or drawing put at fleetsim's names too", async () => {
    const report = await earlierOutput('report-linked', RUN);
    const notes = `${readFileSync(join(report, 'report.md'), 'utf8')}\n## My notes\n![mine](chart-mine.svg)\n`;
    await expectKept(report, RUN, { 'chart-mine.svg': '<svg>my own chart</svg>\n', 'report.md': notes }, /chart-mine\.svg \(not a chart fleetsim draws\)/);
    const drawn = await earlierOutput('report-drawn', RUN);
    await expectKept(drawn, RUN, { 'chart-cdf.svg': '<svg>my own</svg>\n', 'report.html': '<html>my page</html>\n' }, /chart-cdf\.svg \(not fleetsim's: not a chart it drew \(Vega's SVG\)\), report\.html \(not fleetsim's: not its report page\)/);
    const sweep = await earlierOutput('sweep-drawn', SWEEP);
    await expectKept(sweep, SWEEP, { 'charts/cost-vs-p99.svg': '<svg>mine</svg>\n' }, /charts\/cost-vs-p99\.svg \(not fleetsim's/);
  });

  it("a sweep's points/00001 (a copy of point 1) is the user's: only sweep.ts's own names count", async () => {
    const sweep = await earlierOutput('sweep-00001', SWEEP);
    const summary = readFileSync(join(sweep, 'points/0001/summary.json'), 'utf8');
    await expectKept(sweep, SWEEP, { 'points/00001/summary.json': summary }, /points\/00001 \(not one of the 2 points sweep\.json lists\)/);
  });

  it('a FIFO named report.md is refused, not waited on for good', async () => {
    const report = await earlierOutput('report-fifo', RUN);
    rmSync(join(report, 'report.md'));
    execFileSync('mkfifo', [join(report, 'report.md')]);
    const r = await runMain([...RUN, '--out', report]);
    expect(r.code, show(r)).toBe(2);
  });

  it("a user's directories named like fleetsim's dead temporaries are left with a warning, not removed nor put in place", async () => {
    const parent = join(tmp.dir(), 'stale-siblings');
    const out = join(parent, 'rep');
    const first = await runMain([...RUN, '--out', out]);
    expect(first.code, show(first)).toBe(0);
    const dead = 999_999_7; // no such process: the kernel's pid_max is at most 4,194,304
    const mine = { [`.old-rep-${dead}/summary.json`]: 'my notes\n', [`.tmp-rep-${dead + 1}/report.html`]: 'my page\n' };
    for (const [rel, text] of Object.entries(mine)) {
      mkdirSync(join(parent, rel, '..'), { recursive: true });
      writeFileSync(join(parent, rel), text);
    }
    const again = await runMain([...RUN, '--out', out]);
    expect(again.code, show(again)).toBe(0);
    expect(again.stderr).toMatch(/warning: left .*\.old-rep-9999997 in place/);
    for (const [rel, text] of Object.entries(mine)) expect(readFileSync(join(parent, rel), 'utf8')).toBe(text);
  });

  it('models whose keys slug alike, or are named like the fleet\'s frontiers, each keep a chart of their own', async () => {
    const fixture = readFileSync('test/experiment/fixtures/fleet-plan-two-models.yaml', 'utf8');
    const scenario = join(tmp.dir(), 'fleet-keys.yaml');
    writeFileSync(scenario, fixture.replace(/^ {4}chat:/m, '    fleet:').replace(/^ {4}complete:/m, '    fleet-carbon:'));
    const out = join(tmp.dir(), 'fleet-keys');
    const r = await runMain(['plan', scenario, '--fleet', '--gpus', 'l4', '--tp', '1', '--jobs', '1', '--quiet', '--out', out]);
    expect(r.code, show(r)).toBe(0);
    const charts = readdirSync(join(out, 'charts')).filter((f) => f.endsWith('.svg')).sort();
    expect(charts).toEqual(['frontier-fleet-2.svg', 'frontier-fleet-carbon-2.svg', 'frontier-fleet-carbon.svg', 'frontier-fleet.svg']);
    const again = await runMain(['plan', scenario, '--fleet', '--gpus', 'l4', '--tp', '1', '--jobs', '1', '--quiet', '--out', out]);
    expect(again.code, show(again)).toBe(0); // its own charts are its own
  });
});

describe("a file manager's caches in an earlier output", () => {
  it("Finder's .DS_Store and Explorer's Thumbs.db are removed with it (it was refused); an editor's swap file still stops it", async () => {
    const sweep = await earlierOutput('sweep-finder', SWEEP);
    for (const rel of ['.DS_Store', 'points/.DS_Store', 'points/0000/Thumbs.db', 'charts/.DS_Store']) writeFileSync(join(sweep, rel), 'Bud1');
    const r = await runMain([...SWEEP, '--out', sweep]);
    expect(r.code, show(r)).toBe(0);
    expect(existsSync(join(sweep, '.DS_Store'))).toBe(false);
    const report = await earlierOutput('report-swap', ['run', ...QUICK]);
    await expectKept(report, ['run', ...QUICK], { '.report.md.swp': 'b0VIM 9.0' }, /\.report\.md\.swp/);
  });
});
