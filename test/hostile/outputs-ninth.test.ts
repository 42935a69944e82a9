import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMain } from '../check/run-main.ts';
import { REPO, show } from '../helpers/cli.ts';
import { fileTree, suiteTempDir } from '../helpers/temp-dir.ts';
import { expectRefusedInOneLine } from '../helpers/errors.ts';
import { sweepShards } from '../helpers/shards.ts';

/**
 * The ninth hostile-input campaign of 2026-12-07: outputs that replaced what was not fleetsim's (a
 * project directory holding a file named plan.json or summary.json deleted whole, a notes file
 * beside a JUnit report or a calibration profile overwritten) and two runs writing one --out at
 * once, each failing on the code before. docs/hostile-inputs.md lists them.
 */
const tmp = suiteTempDir('fleetsim-hostile-outputs-');
const QUICK = ['scenarios/quickstart.yaml', '--set', 'duration_s=30', '--set', 'warmup_s=3'];
const VARY = ['--vary', 'topology.stations.api.servers=12,14'];
const SLO = ['--slo', 'latency_ms.e2e.p99<=100000', '--minimize', 'stations.api.servers'];
const shards = sweepShards(tmp, [...QUICK, ...VARY]);

const tree = fileTree;

/** A user's project, with a file of the name fleetsim's outputs carry (`marker`) and `text` in it. */
function project(name: string, marker: string, text: string): string {
  const dir = join(tmp.dir(), name);
  mkdirSync(join(dir, '.git'), { recursive: true });
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, marker), text);
  writeFileSync(join(dir, 'src', 'main.c'), 'int main(){}\n');
  writeFileSync(join(dir, '.git', 'HEAD'), 'ref\n');
  writeFileSync(join(dir, 'README'), 'my project\n');
  return dir;
}

const budgets = () => tmp.write('budgets.yaml', 'budgets:\n  - requests.error_rate <= 1\n');

describe('--out replaces a directory only when it is a whole fleetsim output', () => {
  it('every command refuses a project holding a file named like its marker (it deleted .git/ and src/), naming the foreign entries', async () => {
    const commands: [string, string, string[]][] = [
      ['plan.json', '{"plan":"Q3 roadmap"}\n', ['sweep', ...QUICK, ...VARY]],
      ['summary.json', '{"name":"my project"}\n', ['run', ...QUICK]],
      ['summary.json', '{"name":"my project"}\n', ['check', ...QUICK, '--budgets', budgets()]],
      ['replay.json', '{"replay":"notes"}\n', ['replay', 'scenarios/mmc-example.yaml', '--set', 'duration_s=30', '--set', 'warmup_s=3', '--what-if', 'bigger=topology.stations.api.servers=12']],
      ['sweep.json', '{"sweep":"the floor"}\n', ['plan', ...QUICK, ...VARY, ...SLO]],
      ['shard.json', '{"shard":"db"}\n', ['merge', ...shards()]],
    ];
    for (const [i, [marker, text, args]] of commands.entries()) {
      const dir = project(`project-${i}`, marker, text);
      const before = tree(dir);
      const r = await runMain([...args, '--out', dir, '--quiet']);
      expectRefusedInOneLine(r, new RegExp(`.*project-${i}: --out .*\\.git, README, src.*; choose another --out or empty it$`), show(r));
      expect(r.stderr).toContain(`${marker} (not fleetsim's)`);
      expect(tree(dir), show(r)).toEqual(before);
    }
  }, 120_000);

  it('an earlier report to which the user added notes.txt is refused naming notes.txt; without it, replaced', async () => {
    const dir = join(tmp.dir(), 'report-with-notes');
    const first = await runMain(['run', ...QUICK, '--out', dir, '--quiet']);
    expect(first.code, show(first)).toBe(0);
    writeFileSync(join(dir, 'notes.txt'), 'why p99 doubled\n');
    const again = await runMain(['run', ...QUICK, '--set', 'seed=2', '--out', dir, '--quiet']);
    expectRefusedInOneLine(again, /report-with-notes: --out .*: notes\.txt; choose another --out or empty it$/, show(again));
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('why p99 doubled\n');
    expect(JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')).seed).not.toBe(2);
  }, 60_000);

  it('each command replaces its own earlier output, whatever files it wrote (the recognised entries are those its writers write)', async () => {
    const commands: string[][] = [
      ['run', ...QUICK, '--format', 'vllm'],
      ['sweep', ...QUICK, ...VARY],
      ['sweep', ...QUICK, ...VARY, '--shard', '0/2'],
      ['plan', ...QUICK, ...VARY, ...SLO],
      ['plan', 'test/experiment/fixtures/fleet-plan-two-models.yaml', '--fleet', '--gpus', 'l4,a10g', '--tp', '1', '--jobs', '1'],
      ['replay', 'scenarios/mmc-example.yaml', '--set', 'duration_s=30', '--set', 'warmup_s=3', '--what-if', 'bigger=topology.stations.api.servers=12'],
      ['merge', ...shards()],
    ];
    for (const [i, args] of commands.entries()) {
      const dir = join(tmp.dir(), `own-${i}`);
      for (const time of [1, 2]) {
        const r = await runMain([...args, '--out', dir, '--quiet']);
        expect(r.code, `run ${time}: ${show(r)}`).toBe(0);
      }
    }
  }, 180_000);

  it('the report path of an interrupted run (--out + .partial) is checked the same way before the run', async () => {
    const dir = project('partial-target.partial', 'summary.json', '{"name":"my project"}\n');
    const before = tree(dir);
    const r = await runMain(['run', ...QUICK, '--out', join(tmp.dir(), 'partial-target'), '--quiet']);
    expectRefusedInOneLine(r, /partial-target\.partial: the report path of an interrupted run .*summary\.json \(not fleetsim's\)/, show(r));
    expect(tree(dir)).toEqual(before);
  }, 60_000);

  it('run from a directory removed under the shell (as a replaced --out left it), one line and exit 2, where loading failed with a stack trace', () => {
    const parent = tmp.dir();
    const script = `mkdir gone && cd gone && rmdir ../gone && exec "$0" "$1" run "$2" --out "$3" --quiet`;
    const r = spawnSync('sh', ['-c', script, process.execPath, join(REPO, 'src/cli/fleetsim.mjs'), join(REPO, QUICK[0]), join(parent, 'never-written')], { cwd: parent, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toBe('fleetsim: the current directory no longer exists (removed while the shell was in it); cd to an existing directory\n');
    expect(existsSync(join(parent, 'never-written'))).toBe(false);
  });

  it('a plan.json of only {"kind":"plan"} is not fleetsim\'s: a sweep over that project is refused (it deleted points/thesis.tex)', async () => {
    const dir = join(tmp.dir(), 'kind-only');
    mkdirSync(join(dir, 'points'), { recursive: true });
    writeFileSync(join(dir, 'plan.json'), '{"kind":"plan"}\n');
    writeFileSync(join(dir, 'points', 'thesis.tex'), 'precious\n');
    const before = tree(dir);
    const r = await runMain(['sweep', ...QUICK, ...VARY, '--out', dir, '--quiet']);
    expectRefusedInOneLine(r, /kind-only: --out expected .*plan\.json \(not fleetsim's\)/, show(r));
    expect(tree(dir)).toEqual(before);
  }, 60_000);

  it('a lock name held by a named pipe or a directory is refused in one line (reading the pipe hung the command past SIGTERM)', async () => {
    for (const [name, make] of [['piped', (p: string) => execFileSync('mkfifo', [p])], ['dir-lock', (p: string) => mkdirSync(p)]] as const) {
      make(join(tmp.dir(), `.lock-${name}`));
      const r = await runMain(['run', ...QUICK, '--out', join(tmp.dir(), name), '--quiet']);
      expectRefusedInOneLine(r, new RegExp(`\\.lock-${name} expected fleetsim's lock file \\(a regular file holding a pid\\), got a (named pipe|directory)`), show(r));
      expect(existsSync(join(tmp.dir(), name))).toBe(false);
    }
  }, 60_000);

  it('--out . (the directory the command runs in) is refused: replaced by a rename, it left the shell in a removed directory', async () => {
    const dir = join(tmp.dir(), 'working-dir');
    mkdirSync(dir);
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string; args: string[] }>((done) => {
      const child = spawn(process.execPath, [join(REPO, 'src/cli/fleetsim.mjs'), 'run', join(REPO, QUICK[0]), ...QUICK.slice(1), '--out', '.', '--quiet'], { cwd: dir });
      let stdout = '', stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => done({ code, stdout, stderr, args: ['run', '--out', '.'] }));
    });
    expect(r.code, JSON.stringify(r)).toBe(2);
    expect(r.stderr).toBe('.: --out expected a directory other than the current one or one holding it, which a new output would replace (the shell would be left in a removed directory); choose a subdirectory\n');
    expect(readdirSync(dir)).toEqual([]);
    // the same through a link to it, and through a directory that holds it
    const link = join(tmp.dir(), 'working-link');
    symlinkSync(dir, link);
    const inner = join(dir, 'inner');
    mkdirSync(inner);
    for (const [cwd, out] of [[dir, link], [inner, '..']]) {
      const child = spawnSync(process.execPath, [join(REPO, 'src/cli/fleetsim.mjs'), 'run', join(REPO, QUICK[0]), ...QUICK.slice(1), '--out', out, '--quiet'], { cwd, encoding: 'utf8' });
      expect(child.status, child.stderr).toBe(2);
      expect(child.stderr).toMatch(/--out expected a directory other than the current one or one holding it/);
    }
    expect(readdirSync(dir)).toEqual(['inner']);
  }, 60_000);
});

describe('single-file outputs replace only what fleetsim wrote', () => {
  it('check --junit on an existing notes file is refused before the run; on an earlier JUnit report, replaced', async () => {
    const notes = tmp.write('notes.md', '# release notes\n');
    const r = await runMain(['check', ...QUICK, '--budgets', budgets(), '--junit', notes, '--quiet']);
    expectRefusedInOneLine(r, /--junit .*notes\.md: an existing file that is not a JUnit report of fleetsim check; choose another path or remove it$/, show(r));
    expect(readFileSync(notes, 'utf8')).toBe('# release notes\n');
    const junit = join(tmp.dir(), 'check.xml');
    for (const time of [1, 2]) {
      const ok = await runMain(['check', ...QUICK, '--budgets', budgets(), '--junit', junit, '--quiet']);
      expect(ok.code, `run ${time}: ${show(ok)}`).toBe(0);
    }
    expect(readFileSync(junit, 'utf8')).toContain('<testsuites name="fleetsim check"');
  }, 60_000);

  it('calibrate --out on an existing JSON that is not a calibration profile is refused before the fit', async () => {
    const other = tmp.write('package.json', '{"name": "my-app", "version": "1.0.0"}\n');
    const measurements = tmp.write('m.csv', readFileSync('scenarios/data/splitwise/llama2-70b-a100.csv', 'utf8').split('\n').slice(0, 20).join('\n') + '\n');
    const r = await runMain(['calibrate', '--measurements', measurements, '--fit', 'step_overhead_ms', '--out', other]);
    expectRefusedInOneLine(r, /--out .*package\.json: an existing file that is not a fleetsim calibration profile; choose another path or remove it$/, show(r));
    expect(readFileSync(other, 'utf8')).toBe('{"name": "my-app", "version": "1.0.0"}\n');
    const profile = join(tmp.dir(), 'profile.json');
    for (const time of [1, 2]) {
      const ok = await runMain(['calibrate', '--measurements', measurements, '--fit', 'step_overhead_ms', '--out', profile]);
      expect(ok.code, `run ${time}: ${show(ok)}`).toBe(0);
    }
  }, 120_000);
});

describe('one --out, one writer at a time', () => {
  /** The lock a writer of `dir` holds, beside it. */
  const lockOf = (dir: string) => join(tmp.dir(), `.lock-${dir.split('/').pop()}`);

  it('a second run --out on a directory another run is writing is refused while the first holds it; the first completes', async () => {
    const dir = join(tmp.dir(), 'shared');
    const first = spawn(process.execPath, ['src/cli/fleetsim.mjs', 'run', 'scenarios/quickstart.yaml', '--set', 'duration_s=3000', '--out', dir, '--quiet'], { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'] });
    let firstErr = '';
    first.stderr.on('data', (d) => (firstErr += String(d)));
    const firstExit = new Promise<number | null>((done) => first.on('exit', (code) => done(code)));
    for (let waited_ms = 0; !existsSync(lockOf(dir)) && waited_ms < 30_000; waited_ms += 50) await new Promise((r) => setTimeout(r, 50));
    expect(existsSync(lockOf(dir)), firstErr).toBe(true);
    const second = await runMain(['run', ...QUICK, '--out', dir, '--quiet']);
    // the pid of the process writing (a child of the one spawned when it relaunches itself: huge-pages.mjs)
    expectRefusedInOneLine(second, /shared: --out is being written by another fleetsim \(pid \d+\), which holds .*\.lock-shared; wait for it or choose another --out \(if no fleetsim is writing it, remove the lock\)$/, show(second));
    expect(second.stderr).not.toContain(`pid ${process.pid}`);
    expect(await firstExit, firstErr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')).duration_s).toBe(3000);
    expect(existsSync(lockOf(dir))).toBe(false);
  }, 120_000);

  it('a lock left by a process that is gone is taken over (and removed after)', async () => {
    const dir = join(tmp.dir(), 'stale');
    const gone = spawn(process.execPath, ['-e', '0']);
    await new Promise((done) => gone.on('exit', done));
    writeFileSync(lockOf(dir), `${gone.pid}\n`);
    const r = await runMain(['run', ...QUICK, '--out', dir, '--quiet']);
    expect(r.code, show(r)).toBe(0);
    expect(existsSync(lockOf(dir))).toBe(false);
    expect(existsSync(join(dir, 'summary.json'))).toBe(true);
  }, 60_000);
});
