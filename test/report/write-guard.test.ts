import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { openReportDir } from '../../src/report/write.ts';
import { writeTree } from '../../src/experiment/sweep-output.ts';
import { runMain } from '../check/run-main.ts';

/** Report files land inside --out and nowhere else: not through a symlink, not by a name that climbs out. */

/** A report written the way run, check and replay write theirs: opened, filled, committed. */
function writeReportDir(out: string, files: Record<string, string>): void {
  const dir = openReportDir(out, []);
  dir.writeAll(files);
  dir.commit();
}

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'fleetsim-write-'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('report writers refuse names that leave the output directory', () => {
  it.each(['../escape.json', 'a/../../escape.json', '/tmp/escape.json', 'x\0y'])('writeReportDir: %j', (name) => {
    const out = join(tmp, 'out-report');
    expect(() => writeReportDir(out, { 'summary.json': '{}', [name]: 'x' })).toThrow(UserError);
    expect(existsSync(join(tmp, 'escape.json'))).toBe(false);
    expect(existsSync(out)).toBe(false); // nothing half-written
  });

  it.each(['../escape.json', 'points/../../escape.json'])('writeTree (sweep, plan, merge): %j', (name) => {
    const out = join(tmp, 'out-tree');
    expect(() => writeTree(out, { 'sweep.json': '{}', [name]: 'x' })).toThrow(UserError);
    expect(existsSync(join(tmp, 'escape.json'))).toBe(false);
  });

  it('an earlier report whose files are symlinks out of it: replaced, the targets untouched', () => {
    const victim = join(tmp, 'victim.txt');
    writeFileSync(victim, 'keep');
    const out = join(tmp, 'out-links');
    mkdirSync(out);
    writeFileSync(join(out, 'summary.json'), '{"fleetsim_version": "0.1.0"}');
    symlinkSync(victim, join(out, 'report.html'));
    writeReportDir(out, { 'summary.json': '{"new": true}', 'report.html': '<html>' });
    expect(readFileSync(victim, 'utf8')).toBe('keep');
    expect(lstatSync(join(out, 'report.html')).isSymbolicLink()).toBe(false);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toBe('<html>');
  });
});

describe('replay --what-if names become file names: plain ones only', () => {
  it('a name that would climb out of --out is refused before anything runs', async () => {
    const out = join(tmp, 'replay-out');
    const r = await runMain(['replay', 'scenarios/mmc-example.yaml', '--what-if', '../../escaped=duration_s=10', '--out', out, '--quiet']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--what-if \.\.\/\.\.\/escaped=duration_s=10: expected a NAME of letters, digits/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(tmp).some((f) => f.includes('escaped'))).toBe(false);
  });
});
