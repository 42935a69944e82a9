import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMain } from '../check/run-main.ts';
import { show } from '../helpers/cli.ts';
import { earlierOutputs } from '../helpers/earlier-output.ts';
import { fileTree, suiteTempDir } from '../helpers/temp-dir.ts';
import { expectRefusedInOneLine, userError } from '../helpers/errors.ts';
import { foreignEntries, MAX_MARKER_BYTES } from '../../src/report/output-layout.ts';
import { OutputDir } from '../../src/report/output-dir.ts';
import { holderOf, lockOutput, removeLockIfStill } from '../../src/util/output-lock.ts';

/**
 * The leftovers of the tenth hostile-input campaign of 2026-12-07 on outputs: files a user added
 * inside an earlier output's subdirectories deleted with it (only its top was checked), a marker
 * read whole however large, a sweep's output called "what fleetsim did not write" by run, and a
 * lock held by a reused pid. Each test failed on the code before. docs/hostile-inputs.md lists them.
 */
const tmp = suiteTempDir('fleetsim-hostile-outputs-tenth-');
const QUICK = ['scenarios/quickstart.yaml', '--set', 'duration_s=30', '--set', 'warmup_s=3', '--quiet'];
const VARY = ['--vary', 'topology.stations.api.servers=12,14'];

const tree = fileTree;

/** A fresh copy of an output `args` write (written once, then copied: each test adds to its own). */
const earlierOutput = earlierOutputs(tmp.dir);

describe('an earlier output is replaced only when fleetsim wrote all of it, to the last file', () => {
  const SWEEP = ['sweep', ...QUICK, ...VARY];

  it('a sweep over an earlier sweep holding points/notes.md, points/0000/mine.txt or charts/mine.svg is refused naming it (they were deleted)', async () => {
    for (const added of ['points/notes.md', 'points/0000/mine.txt', 'charts/mine.svg']) {
      const dir = await earlierOutput(`sweep-with-${added.replace(/\//g, '-')}`, SWEEP);
      writeFileSync(join(dir, added), 'my notes\n');
      const before = tree(dir);
      const r = await runMain([...SWEEP, '--out', dir]);
      expectRefusedInOneLine(r, new RegExp(`refusing to replace a directory holding what fleetsim did not write: ${added.replace(/\./g, '\\.')}; choose another --out or empty it$`), show(r));
      expect(tree(dir)).toEqual(before);
    }
  }, 120_000);

  it('a directory where a run report has a file (chart-mine.svg/ holding the user\'s work) is refused (it was deleted)', async () => {
    const dir = await earlierOutput('report-with-directory', ['run', ...QUICK]);
    const chart = readdirSync(dir).find((e) => /^chart-.+\.svg$/.test(e))!;
    rmSync(join(dir, chart));
    mkdirSync(join(dir, chart));
    writeFileSync(join(dir, chart, 'thesis.tex'), 'precious\n');
    const before = tree(dir);
    const r = await runMain(['run', ...QUICK, '--out', dir]);
    expectRefusedInOneLine(r, new RegExp(`holding what fleetsim did not write: ${chart.replace(/\./g, '\\.')}; `), show(r));
    expect(tree(dir)).toEqual(before);
  }, 60_000);

  it('a file added inside the earlier output while the new one is simulated is found before the rename', async () => {
    const dir = await earlierOutput('sweep-added-meanwhile', SWEEP);
    const writer = new OutputDir(dir, { kind: 'sweep' });
    writeFileSync(join(dir, 'points', '0001', 'added-meanwhile.md'), 'my notes\n');
    writer.write('sweep.json', '{}\n');
    expect(userError(() => writer.commit())).toMatch(/holding what fleetsim did not write: points\/0001\/added-meanwhile\.md;/);
    writer.abort();
    expect(readFileSync(join(dir, 'points', '0001', 'added-meanwhile.md'), 'utf8')).toBe('my notes\n');
  }, 60_000);

  it('an earlier sweep, whole, is still replaced; a walk past its bound refuses rather than listing on', async () => {
    const dir = await earlierOutput('sweep-whole', SWEEP);
    expect(foreignEntries(dir, ['sweep'])).toEqual({ paths: [], too_many: false });
    const r = await runMain([...SWEEP, '--out', dir]);
    expect(r.code, show(r)).toBe(0);
    // the two points' directories and their files, the charts and the top: more than 8 entries
    expect(foreignEntries(dir, ['sweep'], 8)).toEqual({ paths: [], too_many: true });
  }, 60_000);

  it('a writer is held to the layout below the top too (a file of a sweep\'s point that output-layout.ts does not name is a bug)', () => {
    const writer = new OutputDir(join(tmp.dir(), 'held-writer'), { kind: 'sweep' });
    try {
      writer.write('points/0000/summary.json', '{}\n');
      expect(() => writer.write('points/0000/notes.md', 'x\n')).toThrow(/a sweep output written with points\/0000\/notes\.md, which output-layout\.ts does not lay out for it/);
    } finally {
      writer.abort();
    }
  });
});

describe('markers and kinds', () => {
  it(`a summary.json over ${MAX_MARKER_BYTES / 1024 / 1024} MB is not read whole: not fleetsim's, said so`, async () => {
    const dir = join(tmp.dir(), 'huge-marker');
    mkdirSync(dir);
    const padding = Buffer.alloc(MAX_MARKER_BYTES, ' ');
    writeFileSync(join(dir, 'summary.json'), Buffer.concat([Buffer.from('{"fleetsim_version": "0.2.0"'), padding, Buffer.from('}\n')]));
    const r = await runMain(['run', ...QUICK, '--out', dir]);
    expectRefusedInOneLine(r, /huge-marker: --out expected .*: summary\.json \(not fleetsim's: larger than the 64 MB of any marker fleetsim writes\);/, show(r));
    expect(statSync(join(dir, 'summary.json')).size).toBe(MAX_MARKER_BYTES + 30);
  }, 60_000);

  it('run --out over a sweep\'s output says it holds a sweep, which run does not replace (it called sweep.json "what fleetsim did not write")', async () => {
    const dir = await earlierOutput('sweep-under-run', ['sweep', ...QUICK, ...VARY]);
    const before = tree(dir);
    const r = await runMain(['run', ...QUICK, '--out', dir]);
    expectRefusedInOneLine(r, /sweep-under-run: --out holds another kind of fleetsim output, a sweep \(sweep\.json\), and this command replaces only a report or a replay; choose another --out or remove it$/, show(r));
    expect(tree(dir)).toEqual(before);
  }, 60_000);
});

describe('a lock names its process by pid and start time', () => {
  /** The start time /proc gives `pid` (Linux). */
  const startOf = (pid: number) => {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  };

  it.runIf(existsSync('/proc/self/stat'))('a lock naming a live process started after it (a reused pid) is taken over; one naming it as it started still holds', async () => {
    const other = spawn('sleep', ['60']);
    try {
      await new Promise((ready) => other.on('spawn', ready));
      const lock = join(tmp.dir(), '.lock-reused');
      writeFileSync(lock, `${other.pid} ${Number(startOf(other.pid!)) - 1}\n`);
      const r = await runMain(['run', ...QUICK, '--out', join(tmp.dir(), 'reused')]);
      expect(r.code, show(r)).toBe(0);
      expect(existsSync(lock)).toBe(false);
      writeFileSync(lock, `${other.pid} ${startOf(other.pid!)}\n`);
      const held = await runMain(['run', ...QUICK, '--out', join(tmp.dir(), 'reused')]);
      expectRefusedInOneLine(held, new RegExp(`reused: --out is being written by another fleetsim \\(pid ${other.pid}\\)`), show(held));
      rmSync(lock);
    } finally {
      other.kill();
    }
  }, 60_000);

  it.runIf(existsSync('/proc/self/stat'))('the lock records the writer\'s pid and start time', () => {
    const target = join(tmp.dir(), 'locked');
    const release = lockOutput(target, target, '--out');
    try {
      expect(readFileSync(join(tmp.dir(), '.lock-locked'), 'utf8')).toBe(`${process.pid} ${startOf(process.pid)}\n`);
    } finally {
      release();
    }
  });

  it('two writers finding one dead lock: the second puts back the lock the first made meanwhile, and removes only the dead one', () => {
    const dead = spawnSync(process.execPath, ['-e', '']).pid!; // a process that has ended
    const lock = join(tmp.dir(), '.lock-raced');
    writeFileSync(lock, `${dead}\n`);
    const judgedStale = holderOf(lock);
    // the first writer removes it and makes its own before the second acts on what it read
    writeFileSync(lock, `${process.pid}\n`);
    removeLockIfStill(lock, judgedStale);
    expect(readFileSync(lock, 'utf8')).toBe(`${process.pid}\n`);
    writeFileSync(lock, `${dead}\n`);
    removeLockIfStill(lock, holderOf(lock));
    expect(existsSync(lock)).toBe(false);
    expect(readdirSync(tmp.dir()).filter((n) => n.includes('raced'))).toEqual([]);
  });
});
