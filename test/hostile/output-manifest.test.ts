import { createHash } from 'node:crypto';
import { appendFileSync, copyFileSync, cpSync, existsSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMain } from '../check/run-main.ts';
import { show } from '../helpers/cli.ts';
import { earlierOutputs } from '../helpers/earlier-output.ts';
import { expectRefusedInOneLine } from '../helpers/errors.ts';
import { suiteTempDir } from '../helpers/temp-dir.ts';

/**
 * An output keeps the list of what fleetsim wrote into it (.fleetsim-files.json: each file's size
 * and SHA-256, src/report/output-manifest.ts). Before it, a file at one of fleetsim's names that
 * started as fleetsim's was judged fleetsim's by its name and first bytes: a report.md edited below
 * its first line, rows appended to a CSV, a summary copied to vllm.json, a shard's run file
 * rewritten were replaced with the output, the user's work lost. Each refusal test failed on the
 * code before (the rerun replaced the output, exit 0).
 */
const tmp = suiteTempDir('fleetsim-hostile-output-manifest-');
const QUICK = ['scenarios/quickstart.yaml', '--set', 'duration_s=20', '--set', 'warmup_s=2', '--quiet'];
const RUN = ['run', ...QUICK];
const REPLAY = ['replay', 'scenarios/incidents/cold-cache-failover.yaml', '--allow-path', 'scenarios', '--quiet', '--set', 'duration_s=300'];
const SHARD = ['sweep', ...QUICK, '--vary', 'topology.stations.api.servers=12,16', '--jobs', '1', '--shard', '0/1'];
const earlierOutput = earlierOutputs(tmp.dir);

/** Every file under `dir` but the list, relative path -> bytes. */
function filesUnder(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile() || e.name === '.fleetsim-files.json') continue;
    const path = join(e.parentPath, e.name);
    files.set(path.slice(dir.length + 1), readFileSync(path));
  }
  return files;
}

/** Runs `args` over `out` after `edit`, and expects a refusal naming `named`, the edited file as the user left it. */
async function expectEditKept(out: string, args: string[], rel: string, edit: (path: string) => void, named: RegExp): Promise<void> {
  const path = join(out, rel);
  edit(path);
  const edited = readFileSync(path, 'utf8');
  const r = await runMain([...args, '--out', out]);
  expectRefusedInOneLine(r, named, show(r));
  expect(readFileSync(path, 'utf8')).toBe(edited);
}

describe('the list of what fleetsim wrote', () => {
  it('lists every file of the output, each with its size and SHA-256, and nothing else', async () => {
    for (const args of [RUN, REPLAY, SHARD]) {
      const out = await earlierOutput(`listed-${args[0]}`, args);
      const text = readFileSync(join(out, '.fleetsim-files.json'), 'utf8');
      const doc = JSON.parse(text) as { kind: string; files: Record<string, { bytes: number; sha256: string }> };
      expect(doc.kind).toBe('fleetsim-files');
      const files = filesUnder(out);
      expect(Object.keys(doc.files).sort()).toEqual([...files.keys()].sort());
      for (const [rel, bytes] of files) {
        expect(doc.files[rel], rel).toEqual({ bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
      }
    }
  });
});

describe('a file at a name fleetsim writes, changed since, is the user\'s: the output is not replaced', () => {
  it('report.md edited below its first line', async () => {
    const out = await earlierOutput('report-md', RUN);
    await expectEditKept(out, RUN, 'report.md', (p) => appendFileSync(p, '\nMy notes on this run.\n'), /report\.md \(changed since fleetsim wrote it\)/);
  });

  it('rows appended to timeseries.csv, and summary.json (the marker) rewritten', async () => {
    const csv = await earlierOutput('csv-rows', RUN);
    await expectEditKept(csv, RUN, 'timeseries.csv', (p) => appendFileSync(p, '9999,1,2,3\n'), /timeseries\.csv \(changed since fleetsim wrote it\)/);
    const marker = await earlierOutput('marker', RUN);
    const tidy = (p: string) => writeFileSync(p, `${JSON.stringify(JSON.parse(readFileSync(p, 'utf8')), null, 4)}\n`);
    await expectEditKept(marker, RUN, 'summary.json', tidy, /summary\.json \(changed since fleetsim wrote it\)/);
  });

  it('a summary copied to vllm.json, a name a report without --format vllm does not write', async () => {
    const out = await earlierOutput('vllm-copy', RUN);
    const copy = (p: string) => copyFileSync(join(out, 'summary.json'), p);
    await expectEditKept(out, RUN, 'vllm.json', copy, /vllm\.json \(not a file fleetsim wrote here: \.fleetsim-files\.json does not list it\)/);
  });

  it("replay.txt edited below its first line; a shard's run file rewritten", async () => {
    const replay = await earlierOutput('replay-txt', REPLAY);
    await expectEditKept(replay, REPLAY, 'replay.txt', (p) => appendFileSync(p, 'what we learned\n'), /replay\.txt \(changed since fleetsim wrote it\)/);
    const shard = await earlierOutput('shard-run', SHARD);
    const rewrite = (p: string) => writeFileSync(p, readFileSync(p, 'utf8').replace(/"seed": ?\d+/, '"seed": 7'));
    await expectEditKept(shard, SHARD, 'runs/p0-r0.json', rewrite, /runs\/p0-r0\.json \(changed since fleetsim wrote it\)/);
  });

  it("a user's file at the list's own name", async () => {
    const out = await earlierOutput('list-name', RUN);
    await expectEditKept(out, RUN, '.fleetsim-files.json', (p) => writeFileSync(p, '{"todo": []}\n'), /\.fleetsim-files\.json \(not fleetsim's: not its list of the files it wrote\)/);
  });
});

describe('the list judges what else a rerun removes', () => {
  it("an earlier output moved aside by a killed run (.old-<name>-<dead pid>) holding an edit is left in place, with a warning", async () => {
    const out = await earlierOutput('aside', RUN);
    const edited = join(tmp.dir(), '.old-aside-3999999');
    cpSync(out, edited, { recursive: true });
    appendFileSync(join(edited, 'report.md'), '\nMy notes.\n');
    rmSync(out, { recursive: true });
    const r = await runMain([...RUN, '--out', out]);
    expect(r.code, show(r)).toBe(0);
    expect(r.stderr).toMatch(/warning: left .*\.old-aside-3999999 in place/);
    expect(readFileSync(join(edited, 'report.md'), 'utf8')).toMatch(/My notes\.\n$/);
  });

  it('a link at a name fleetsim writes is the user\'s (fleetsim makes none); an entry of the list that is not a size and digest makes the list not fleetsim\'s', async () => {
    const linked = await earlierOutput('link', RUN);
    const target = tmp.write('precious.txt', 'mine\n');
    await expectEditKept(linked, RUN, 'vllm.json', (p) => symlinkSync(target, p), /vllm\.json \(a link fleetsim did not make\)/);
    const forged = await earlierOutput('null-entry', RUN);
    const nulled = (p: string) => writeFileSync(p, readFileSync(p, 'utf8').replace(/"report\.md": \{[^}]*\}/, '"report.md": null'));
    await expectEditKept(forged, RUN, '.fleetsim-files.json', nulled, /\.fleetsim-files\.json \(not fleetsim's: not its list of the files it wrote\)/);
  });
});

describe('what loses nothing is still replaced', () => {
  it('an output as written, one with a file of it removed, and one of an earlier version (no list)', async () => {
    for (const prepare of [() => {}, (out: string) => rmSync(join(out, 'report.md')), (out: string) => rmSync(join(out, '.fleetsim-files.json'))]) {
      const out = await earlierOutput(`own-${prepare.toString().length}`, RUN);
      prepare(out);
      const r = await runMain([...RUN, '--out', out]);
      expect(r.code, show(r)).toBe(0);
      expect(existsSync(join(out, 'report.md'))).toBe(true);
      expect(existsSync(join(out, '.fleetsim-files.json'))).toBe(true);
    }
  });
});

describe('a --out below a file', () => {
  it('names the parent that is a file (it read "cannot write the output (EEXIST)")', async () => {
    const out = await earlierOutput('below-file', RUN);
    const r = await runMain([...RUN, '--out', join(out, 'summary.json', 'report')]);
    expectRefusedInOneLine(r, /: --out expected a path below directories, but .*summary\.json is a file$/, show(r));
  });

  it('names a link to nothing, at --out or on the way (they read "cannot write the output (ENOTDIR)", "(ENOENT)")', async () => {
    const dangling = join(tmp.dir(), 'dangling');
    symlinkSync(join(tmp.dir(), 'nowhere'), dangling);
    const at = await runMain([...RUN, '--out', dangling]);
    expectRefusedInOneLine(at, /dangling: --out expected a directory or a new path, got a link to nothing \(.*dangling\); remove it or choose another --out$/, show(at));
    const below = await runMain([...RUN, '--out', join(dangling, 'out')]);
    expectRefusedInOneLine(below, /: --out expected a path below directories, but .*dangling is a link to nothing$/, show(below));
  });
});
