import { spawnSync } from 'node:child_process';
import { closeSync, cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, show } from '../helpers/cli.ts';
import { runMain } from '../check/run-main.ts';
import { cleanStale } from '../../src/util/write-atomic.ts';
import { laidOutAsSomeKind } from '../../src/report/output-layout.ts';
import { siblingName } from '../../src/util/sibling-name.mjs';

/**
 * Outputs under hostile conditions: an interrupted rerun, a read-only or stale target, outputs
 * aimed at inputs, edited or misdirected shards, a full stdout. Most commands run in this process
 * (runMain); the ones that need signals, another user or a file descriptor are spawned.
 */
const EXAMPLE = 'scenarios/mmc-example.yaml';
const QUICK = ['--set', 'duration_s=200', '--set', 'warmup_s=20', '--quiet'];
/** A run of hours: 1e9 arrivals a second for 2 s (warm-up 1 s), within the 2^31 - 1 events the limits allow (more arrivals are refused up front). */
const DENSE = ['--set', 'duration_s=2', '--set', 'warmup_s=1', '--set', 'workload.arrivals.rate_per_s=1e9', '--set', 'limits.max_events=2147483647'];

let tmp: string;
const at = (...p: string[]) => join(tmp, ...p);

/** A pid that is certainly not running: a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  return r.pid!;
}

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'fleetsim-outputs-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('reports', () => {
  it('--out of a 250-byte name is written (its temporary sibling, named with a hash, stays within the 255-byte limit), and a killed run\'s sibling of it is found again', async () => {
    const long = at('b'.repeat(250));
    const r = await runMain(['run', EXAMPLE, ...QUICK, '--out', long]);
    expect(r.code, show(r)).toBe(0);
    expect(existsSync(join(long, 'summary.json'))).toBe(true);
    const left = join(tmp, siblingName('tmp', 'b'.repeat(250), deadPid()));
    expect(Buffer.byteLength(basename(left))).toBeLessThanOrEqual(255);
    mkdirSync(left);
    cleanStale(long, laidOutAsSomeKind);
    expect(existsSync(left)).toBe(false);
  });

  it('--out through a link to a directory writes into the directory and keeps the link; a name with a newline is refused on one line', async () => {
    mkdirSync(at('link-target'));
    symlinkSync(at('link-target'), at('link'));
    const r = await runMain(['run', EXAMPLE, ...QUICK, '--out', at('link')]);
    expect(r.code, show(r)).toBe(0);
    expect(lstatSync(at('link')).isSymbolicLink()).toBe(true);
    expect(existsSync(at('link-target', 'summary.json'))).toBe(true);
    writeFileSync(at('nl\nfile'), 'a file');
    const nl = await runMain(['run', EXAMPLE, ...QUICK, '--out', at('nl\nfile')]);
    expect(nl.code).toBe(2);
    expect(nl.stderr).toBe(`${at('nl\\nfile')}: --out expected a directory, got an existing file\n`);
  });

  it('an interrupted rerun leaves the complete report in --out as it was and writes beside it, in <out>.partial', async () => {
    const out = at('kept');
    const first = await runMain(['run', EXAMPLE, ...QUICK, '--out', out]);
    expect(first.code, show(first)).toBe(0);
    const before = readFileSync(join(out, 'summary.json'), 'utf8');
    // In this process: the command's own SIGINT handler gets the signal (signals.mjs).
    const rerun = runMain(['run', EXAMPLE, '--set', 'duration_s=2e8', '--out', out]);
    // The output is opened just before the simulation starts.
    while (!readdirSync(tmp).some((e) => e.startsWith('.tmp-kept-'))) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 200));
    process.kill(process.pid, 'SIGINT');
    const r = await rerun;
    expect(r.code, show(r)).toBe(130);
    expect(readFileSync(join(out, 'summary.json'), 'utf8')).toBe(before);
    expect(JSON.parse(before).complete).toBe(true);
    expect(JSON.parse(readFileSync(join(`${out}.partial`, 'summary.json'), 'utf8')).complete).toBe(false);
    expect(r.stderr).toContain(`${out}/ was left as it was`);
    expect(readdirSync(tmp).filter((e) => e.startsWith('.'))).toEqual([]);
  });

  it('<out>.partial is checked before simulating: one holding the scenario, or not ours, is refused (exit 2), so a Ctrl-C can neither delete an input nor throw the run away', async () => {
    // an earlier report (summary.json: ours to replace) that also holds the scenario being run
    const partial = at('held.partial');
    mkdirSync(partial);
    writeFileSync(join(partial, 'summary.json'), '{"fleetsim_version": "0.1.0"}');
    cpSync(EXAMPLE, join(partial, 'scenario.yaml'));
    const held = await runMain(['run', join(partial, 'scenario.yaml'), '--set', 'duration_s=2e8', '--out', at('held')]);
    expect(held.code, show(held)).toBe(2);
    expect(held.stderr.trim()).toBe(`${partial}: the report path of an interrupted run (--out + .partial) contains the input ${join(partial, 'scenario.yaml')}; refusing to overwrite an input (choose another --out)`);
    expect(held.stdout).toBe(''); // refused before the capacity check: nothing simulated
    expect(readdirSync(partial).sort()).toEqual(['scenario.yaml', 'summary.json']);
    // a directory of someone else's files
    const foreign = at('foreign.partial');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'notes.txt'), 'mine');
    const budgets = at('foreign-budgets.yaml');
    writeFileSync(budgets, '- latency_ms.e2e.p99 <= 1e9\n');
    const r = await runMain(['check', EXAMPLE, '--budgets', budgets, '--set', 'duration_s=2e8', '--out', at('foreign')]);
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr.trim()).toMatch(/foreign\.partial: the report path of an interrupted run \(--out \+ \.partial\) expected a new or empty directory/);
    expect(readFileSync(join(foreign, 'notes.txt'), 'utf8')).toBe('mine');
  });

  it('replications on worker threads stop soon after SIGTERM however dense, and report the ones started (exit 143)', async () => {
    const out = at('jobs');
    const run = runMain(['run', EXAMPLE, ...DENSE, '--replications', '4', '--jobs', '2', '--out', out]);
    while (!readdirSync(tmp).some((e) => e.startsWith('.tmp-jobs-'))) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 1500)); // the workers start and simulate
    const t0 = performance.now();
    process.kill(process.pid, 'SIGTERM');
    const r = await run;
    // Stopping the workers, then rendering and writing the partial report (charts included): the
    // 2-s bound on the stop alone is test/engine/interrupt.test.ts's; this whole path measured
    // 1.2 s on a quiet machine and 3.8 s with the rest of the suite running beside it.
    expect(performance.now() - t0).toBeLessThan(8000);
    expect(r.code, show(r)).toBe(143);
    const s = JSON.parse(readFileSync(join(`${out}.partial`, 'summary.json'), 'utf8'));
    expect(s.complete).toBe(false);
    expect(s.engine.stop_reason).toBe('stopped');
    expect(s.replications).toBe(Math.min(2, availableParallelism())); // those under way; the others never started
    expect(existsSync(out)).toBe(false);
  });

  it('an interrupted check gives no verdict: exit 130, no JUnit report, the partial report beside --out', async () => {
    const out = at('gate'), junit = at('gate.xml');
    const budgets = at('budgets.yaml');
    // a stage the run reaches late: evaluated on part of the run it used to fail the budget's path
    writeFileSync(budgets, '- latency_ms.e2e.p99 <= 1e9\n');
    let settled = false;
    const run = runMain(['check', EXAMPLE, '--budgets', budgets, ...DENSE, '--junit', junit, '--out', out]);
    void run.finally(() => (settled = true));
    while (!settled && !readdirSync(tmp).some((e) => e.startsWith('.tmp-gate-'))) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 200));
    process.kill(process.pid, 'SIGINT');
    const r = await run;
    expect(r.code, show(r)).toBe(130);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('no verdict');
    expect(existsSync(junit)).toBe(false);
    expect(JSON.parse(readFileSync(join(`${out}.partial`, 'summary.json'), 'utf8')).complete).toBe(false);
  });

  it('temporary directories left by killed runs are recognised and removed by the next run; an .old- one is put back first', async () => {
    const out = at('stale');
    const pid = deadPid();
    mkdirSync(at(`.tmp-stale-${pid}`));
    writeFileSync(at(`.tmp-stale-${pid}`, 'summary.json'), '{"fleetsim_version": "0.2.0", "scena'); // cut short by the kill
    // Killed between its two renames: the previous report sits in .old-, --out is missing.
    mkdirSync(at(`.old-stale-${pid}`));
    writeFileSync(at(`.old-stale-${pid}`, 'summary.json'), '{"fleetsim_version": "previous"}');
    const alive = at(`.tmp-stale-${process.ppid}`); // a live process's (vitest's): not ours to touch
    mkdirSync(alive);
    cleanStale(out, laidOutAsSomeKind);
    expect(readFileSync(join(out, 'summary.json'), 'utf8')).toBe('{"fleetsim_version": "previous"}');
    const r = await runMain(['run', EXAMPLE, ...QUICK, '--out', out]);
    expect(r.code, show(r)).toBe(0);
    expect(existsSync(at(`.tmp-stale-${pid}`))).toBe(false);
    expect(existsSync(at(`.old-stale-${pid}`))).toBe(false);
    expect(existsSync(alive)).toBe(true);
    rmSync(alive, { recursive: true });
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).complete).toBe(true);
  });

  it('a shard killed outright leaves a temporary directory that its rerun recognises and removes', async () => {
    const out = at('killed-shard');
    const left = at(`.tmp-killed-shard-${deadPid()}`);
    mkdirSync(join(left, 'runs'), { recursive: true });
    writeFileSync(join(left, 'runs', 'p0-r0.json'), '{"half');
    const rerun = await runMain(['sweep', EXAMPLE, ...QUICK, '--jobs', '1', '--shard', '0/1', '--out', out]);
    expect(rerun.code, show(rerun)).toBe(0);
    expect(readdirSync(tmp).filter((e) => e.startsWith('.tmp-killed-shard-'))).toEqual([]);
    expect(existsSync(join(out, 'shard.json'))).toBe(true);
  });

  it('an empty --out or --junit is refused (it read as "not given": exit 0, nothing written)', async () => {
    for (const args of [['run', EXAMPLE, ...QUICK, '--out', ''], ['check', EXAMPLE, ...QUICK, '--junit', ' ']]) {
      const r = await runMain(args);
      expect(r.code, show(r)).toBe(2);
      expect(r.stderr.trim()).toMatch(/^fleetsim: option '--(out <dir>|junit <file>)' argument '\s*' is invalid\. expected a path, got an empty string$/);
    }
  });

  it('a read-only --out fails at once with exit 2 naming the path, before simulating', async () => {
    // As root, permissions do not apply: sysfs refuses new entries even to root.
    let ro = '/sys';
    if (process.getuid?.() !== 0) {
      ro = at('read-only');
      mkdirSync(ro);
      chmodSync(ro, 0o555);
    }
    const target = join(ro, 'fleetsim-report');
    const r = await runMain(['run', EXAMPLE, '--set', 'duration_s=2e8', '--out', target]);
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr.trim()).toMatch(new RegExp(`^${target.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot write the output \\(E(ACCES|ROFS|PERM)\\)$`));
    expect(r.stdout).toBe(''); // not even the capacity check: nothing was simulated
  });

  it('no output replaces an input: --out holding the scenario, --junit on the budgets file', async () => {
    const dir = at('inputs');
    mkdirSync(dir);
    cpSync(join(REPO, EXAMPLE), join(dir, 'scenario.yaml'));
    writeFileSync(join(dir, 'summary.json'), '{"fleetsim_version": "0.1.0"}'); // an earlier report: replaceable, were it not for the scenario
    writeFileSync(join(dir, 'budgets.yaml'), '- latency_ms.e2e.p99 <= 100000\n');
    const scenario = readFileSync(join(dir, 'scenario.yaml'), 'utf8');
    const run = await runMain(['run', join(dir, 'scenario.yaml'), ...QUICK, '--out', dir]);
    expect(run.code, show(run)).toBe(2);
    // the scenario and the budgets are not files fleetsim writes in a report: refused for them
    expect(run.stderr.trim()).toMatch(/inputs: --out expected .*; refusing to replace a directory holding what fleetsim did not write: budgets\.yaml, scenario\.yaml; choose another --out or empty it$/);
    const check = await runMain(['check', join(dir, 'scenario.yaml'), ...QUICK, '--budgets', join(dir, 'budgets.yaml'), '--junit', join(dir, 'budgets.yaml')]);
    expect(check.code, show(check)).toBe(2);
    expect(check.stderr).toContain('--junit is the input');
    expect(readFileSync(join(dir, 'scenario.yaml'), 'utf8')).toBe(scenario);
    expect(readFileSync(join(dir, 'budgets.yaml'), 'utf8')).toBe('- latency_ms.e2e.p99 <= 100000\n');
  });

  it('nor does it replace the model config.json or calibration profile a served model names (run, sweep and check --junit refuse them, exit 2)', async () => {
    const dir = at('fleet-inputs');
    const report = join(dir, 'report');
    mkdirSync(report, { recursive: true });
    cpSync(join(REPO, 'scenarios/spot-mix.yaml'), join(dir, 'scenario.yaml'));
    writeFileSync(join(report, 'summary.json'), '{"fleetsim_version": "0.1.0"}'); // an earlier report: replaceable, were it not for the files below
    cpSync(join(REPO, 'scenarios/data/model-configs/llama-3.1-8b/config.json'), join(report, 'config.json'));
    cpSync(join(REPO, 'src/perf/profiles/vllm.json'), join(report, 'profile.json'));
    cpSync(join(REPO, 'scenarios/data/model-configs/llama-3.1-8b/config.json'), join(dir, 'config.json'));
    const config = readFileSync(join(report, 'config.json'), 'utf8');
    const profile = readFileSync(join(report, 'profile.json'), 'utf8');
    const scenario = join(dir, 'scenario.yaml');
    const withConfig = ['--set', 'fleet.models.llama.model=report/config.json', '--quiet'];
    const withProfile = ['--set', 'fleet.models.llama.calibration=report/profile.json', '--quiet'];
    for (const [args, input] of [
      [['run', scenario, ...withConfig, '--out', report], join(report, 'config.json')],
      [['run', scenario, ...withProfile, '--out', report], join(report, 'profile.json')],
      [['sweep', scenario, ...withConfig, '--vary', 'fleet.models.llama.gpus=8,16', '--out', report], join(report, 'config.json')],
    ] as const) {
      const r = await runMain([...args]);
      expect(r.code, show(r)).toBe(2);
      // neither is a file fleetsim writes in a report: the directory is refused for them
      expect(r.stderr.trim(), input).toMatch(/report: --out expected .*; refusing to replace a directory holding what fleetsim did not write: config\.json, profile\.json; choose another --out or empty it$/);
    }
    writeFileSync(join(dir, 'budgets.yaml'), '- latency_ms.e2e.p99 <= 1e9\n');
    const check = await runMain(['check', scenario, '--set', 'fleet.models.llama.model=config.json', '--quiet', '--budgets', join(dir, 'budgets.yaml'), '--junit', join(dir, 'config.json')]);
    expect(check.code, show(check)).toBe(2);
    expect(check.stderr).toContain('--junit is the input');
    expect(readFileSync(join(report, 'config.json'), 'utf8')).toBe(config);
    expect(readFileSync(join(report, 'profile.json'), 'utf8')).toBe(profile);
    expect(readFileSync(join(dir, 'config.json'), 'utf8')).toBe(config);
  });
});

describe('merge', () => {
  let shards: string[];
  beforeAll(async () => {
    shards = [at('shards', 's0'), at('shards', 's1')];
    for (const [i, dir] of shards.entries()) {
      const r = await runMain(['sweep', EXAMPLE, ...QUICK, '--vary', 'topology.stations.api.servers=10,11', '--jobs', '1', '--shard', `${i}/2`, '--out', dir]);
      expect(r.code, show(r)).toBe(0);
    }
  });

  it.each([
    ['is', () => shards[0]],
    ['contains', () => at('shards')],
    ['is inside', () => join(shards[1], 'merged')],
  ])('refuses an --out that %s one of its shard directories', async (how, target) => {
    const before = readFileSync(join(shards[0], 'shard.json'), 'utf8');
    const r = await runMain(['merge', ...shards, '--out', target(), '--quiet']);
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`--out ${how} the input`));
    expect(readFileSync(join(shards[0], 'shard.json'), 'utf8')).toBe(before);
  });

  it('refuses a run file edited since its shard was written, naming it', async () => {
    const edited = at('shards-edited');
    cpSync(at('shards'), edited, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(edited, 's1', 'shard.json'), 'utf8'));
    const file = join(edited, 's1', manifest.runs[0].file);
    // Same JSON, one figure changed: it would merge silently without the checksum.
    writeFileSync(file, readFileSync(file, 'utf8').replace(/"completed":(\d+)/, (_m, n) => `"completed":${Number(n) + 1}`));
    const ok = await runMain(['merge', ...shards, '--out', at('merged'), '--quiet']);
    expect(ok.code, show(ok)).toBe(0);
    const r = await runMain(['merge', join(edited, 's0'), join(edited, 's1'), '--out', at('merged-edited'), '--quiet']);
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr.trim()).toBe(`merge: ${file}: the run file changed since its shard was written (its sha256 differs from the one in shard.json); run that shard again`);
  });
});

describe('compare', () => {
  let summary: string;
  beforeAll(async () => {
    const r = await runMain(['run', EXAMPLE, ...QUICK, '--out', at('cmp')]);
    expect(r.code, show(r)).toBe(0);
    summary = join(at('cmp'), 'summary.json');
  });

  it('refuses a station-network result against a fleet one, before running anything', async () => {
    const r = await runMain(['compare', summary, 'scenarios/openai-2024.yaml', '--quiet']);
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr.trim()).toBe(`compare: ${summary} is a station network result and scenarios/openai-2024.yaml a fleet one: their figures are not comparable; compare results of the same kind`);
  });

  it('warns when the summaries come from different fleetsim versions', async () => {
    const older = at('older-summary.json');
    writeFileSync(older, JSON.stringify({ ...JSON.parse(readFileSync(summary, 'utf8')), fleetsim_version: '0.0.1' }));
    const r = await runMain(['compare', older, summary]);
    expect(r.code, show(r)).toBe(0);
    expect(r.stderr).toContain('warning: the base comes from fleetsim 0.0.1 and the candidate from');
  });

  it('refuses a summary.json that is not one (a block replaced, a negative count) in one line naming the field; a key it does not know is let through', async () => {
    const doc = JSON.parse(readFileSync(summary, 'utf8'));
    const edited = (name: string, change: Record<string, unknown>) => {
      const f = at(name);
      writeFileSync(f, JSON.stringify({ ...doc, ...change }));
      return f;
    };
    // both were read as nothing: "No regression", exit 0
    const block = await runMain(['compare', summary, edited('requests-string.json', { requests: 'abc' }), '--quiet']);
    expect(block.code, show(block)).toBe(2);
    expect(block.stderr.trim()).toBe(`${at('requests-string.json')}: requests: expected a mapping (key: value), got "abc" (not a summary.json fleetsim can compare)`);
    const count = await runMain(['compare', edited('replications-negative.json', { replications: -5 }), summary, '--quiet']);
    expect(count.code, show(count)).toBe(2);
    expect(count.stderr.trim()).toMatch(/replications-negative\.json: replications: expected a number >= 1, got -5/);
    const extra = await runMain(['compare', summary, edited('extra-key.json', { a_later_block: { x: 1 } }), '--quiet']);
    expect(extra.code, show(extra)).toBe(0);
  });

  it('refuses figures no run can produce (a negative rate, an error rate above 1, more completed than offered, quantiles out of order) and a missing block, naming the field', async () => {
    const doc = JSON.parse(readFileSync(summary, 'utf8'));
    const cases: [string, Record<string, unknown>, string][] = [
      ['negative-throughput', { requests: { ...doc.requests, throughput_per_s: -5 } }, 'requests.throughput_per_s: expected a number >= 0, got -5'],
      ['error-rate-2', { requests: { ...doc.requests, error_rate: 2 } }, 'requests.error_rate: expected a fraction from 0 to 1, got 2'],
      ['completed-above-offered', { requests: { ...doc.requests, completed: doc.requests.offered + 1 } }, `requests.completed: expected at most requests.offered (${doc.requests.offered}), got ${doc.requests.offered + 1}`],
      ['p99-below-p90', { latency_ms: { ...doc.latency_ms, e2e: { ...doc.latency_ms.e2e, p99: 0 } } }, `latency_ms.e2e.p99: expected at least p90 (${doc.latency_ms.e2e.p90}), got 0`],
    ];
    for (const [name, change, message] of cases) {
      const f = at(`${name}.json`);
      writeFileSync(f, JSON.stringify({ ...doc, ...change }));
      const r = await runMain(['compare', summary, f, '--quiet']);
      expect(r.code, show(r)).toBe(2);
      expect(r.stderr.trim()).toBe(`${f}: ${message} (not a summary.json fleetsim can compare)`);
    }
    // read as a summary (it has fleetsim_version), not as a scenario with a dozen unknown keys
    const withoutLatency = { ...doc };
    delete withoutLatency.latency_ms;
    const f = at('no-latency.json');
    writeFileSync(f, JSON.stringify(withoutLatency));
    const r = await runMain(['compare', summary, f, '--quiet']);
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr.trim()).toBe(`${f}: latency_ms: expected a mapping (key: value), got nothing (not a summary.json fleetsim can compare)`);
  });

  it('--fail-on-regression on single runs is inconclusive (exit 1), not a pass; with replications it passes', async () => {
    const single = await runMain(['compare', summary, summary, '--fail-on-regression', '--quiet']);
    expect(single.code, show(single)).toBe(1);
    expect(single.stderr).toContain('inconclusive');
    const tested = await runMain(['compare', EXAMPLE, EXAMPLE, ...QUICK, '--replications', '2', '--fail-on-regression']);
    expect(tested.code, show(tested)).toBe(0);
  });
});

describe('stdout', () => {
  it('a write error on stdout (/dev/full) ends in one line and exit 1', () => {
    const full = openSync('/dev/full', 'w');
    try {
      const r = spawnSync(process.execPath, ['src/cli/fleetsim.mjs', 'schema'], { cwd: REPO, encoding: 'utf8', stdio: ['ignore', full, 'pipe'] });
      expect(r.status).toBe(1);
      expect(r.stderr).toBe('fleetsim: cannot write to stdout (ENOSPC)\n');
    } finally {
      closeSync(full);
    }
  });
});
