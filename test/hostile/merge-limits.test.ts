import { appendFileSync, cpSync, existsSync, mkdirSync, readFileSync, renameSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMain } from '../check/run-main.ts';
import { show, type CliResult } from '../helpers/cli.ts';
import { suiteTempDir } from '../helpers/temp-dir.ts';
import { sweepShards } from '../helpers/shards.ts';
import { expectRefusedInOneLine } from '../helpers/errors.ts';
import { sha256 } from '../../src/experiment/shard.ts';
import { MAX_MANIFEST_BYTES, MAX_MANIFEST_SEPARATORS, MAX_RUN_FILE_BYTES } from '../../src/experiment/merge.ts';
import { MAX_DEPTH } from '../../src/scenario/document.ts';

/**
 * `fleetsim merge` of hostile shard outputs (the sixth hostile campaign, 2026-12-07): a huge
 * shard.json crashed V8 or took gigabytes before its refusal, values nested 100,000 deep failed
 * with internal errors (exit 70), and a run file that is a symbolic link leading outside its shard
 * was followed and merged (one to /etc/passwd was quoted in the refusal). Each is refused now
 * before it is parsed (or opened): one line naming the file, exit 2, nothing written.
 */
const tmp = suiteTempDir('fleetsim-hostile-merge-limits-');

type Json = Record<string, any>;

// one point of two replications, two shards: shard 0 holds replication 0
const SWEEP = ['scenarios/quickstart.yaml', '--vary', 'topology.stations.api.servers=12', '--set', 'duration_s=30', '--set', 'warmup_s=1', '--replications', '2', '--jobs', '1', '--quiet'];
const shards = sweepShards(tmp, SWEEP);

/** Copies of the shards; returns their directories, shard 0's manifest and its first run file. */
function copiedShards(name: string): { dirs: string[]; manifest: string; run: string } {
  const dirs = shards().map((dir, i) => join(tmp.dir(), name, `shard-${i}`));
  shards().forEach((dir, i) => cpSync(dir, dirs[i], { recursive: true }));
  const manifest = join(dirs[0], 'shard.json');
  const doc = JSON.parse(readFileSync(manifest, 'utf8')) as Json;
  return { dirs, manifest, run: join(dirs[0], doc.runs[0].file) };
}

/** Replaces shard 0's first run with `text` and records its sha256 in shard.json, as a forger would. */
function forgeRun(manifest: string, run: string, text: string): void {
  writeFileSync(run, text);
  const doc = JSON.parse(readFileSync(manifest, 'utf8')) as Json;
  doc.runs[0].sha256 = sha256(text);
  writeFileSync(manifest, JSON.stringify(doc, null, 2));
}

async function merge(name: string, dirs: string[]): Promise<{ r: CliResult; out: string }> {
  const out = join(tmp.dir(), name, 'merged');
  return { r: await runMain(['merge', ...dirs, '--out', out]), out };
}

/** Refused in one line that starts by naming `file` and then says `why`; nothing written. */
function expectRefused({ r, out }: { r: CliResult; out: string }, file: string, why: RegExp): void {
  expectRefusedInOneLine(r, /^merge: /, show(r));
  const line = r.stderr.trim();
  expect(line.startsWith(`merge: ${file}`), show(r)).toBe(true);
  expect(line.slice(`merge: ${file}`.length)).toMatch(why);
  expect(existsSync(out), 'nothing written').toBe(false);
}

const nestedObjects = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
const nestedArrays = (depth: number) => '['.repeat(depth) + '1' + ']'.repeat(depth);
const TOO_DEEP = new RegExp(`^ line \\d+: nested deeper than ${MAX_DEPTH} levels`);

describe('merge refuses nesting deeper than the project limit before parsing', () => {
  it.each<[string, (depth: number) => string]>([
    ['objects (an internal error in the aggregation)', nestedObjects],
    ['arrays (an internal error in JSON.stringify)', nestedArrays],
  ])('an unknown summary key nested 100,000 deep: %s', async (name, nested) => {
    const { dirs, manifest, run } = copiedShards(`run-deep-${name.slice(0, 6)}`);
    const record = readFileSync(run, 'utf8');
    forgeRun(manifest, run, record.replace('"summary":{', `"summary":{"extra":${nested(100_000)},`));
    expectRefused(await merge(`run-deep-${name.slice(0, 6)}`, dirs), run, TOO_DEEP);
  });

  it('a knob value nested 50,000 deep in shard.json (an internal error)', async () => {
    const { dirs } = copiedShards('manifest-deep');
    const manifests = dirs.map((dir) => join(dir, 'shard.json'));
    for (const file of manifests) {
      const doc = JSON.parse(readFileSync(file, 'utf8')) as Json;
      doc.sweep.knobs[0].values[0] = 'DEEP';
      writeFileSync(file, JSON.stringify(doc, null, 2).replace('"DEEP"', nestedArrays(50_000)));
    }
    expectRefused(await merge('manifest-deep', dirs), manifests[0], TOO_DEEP);
  });

  it('nesting within the limit still merges', async () => {
    const { dirs, manifest, run } = copiedShards('run-shallow');
    forgeRun(manifest, run, readFileSync(run, 'utf8').replace('"summary":{', `"summary":{"extra":${nestedObjects(MAX_DEPTH - 10)},`));
    const { r, out } = await merge('run-shallow', dirs);
    expect(r.code, show(r)).toBe(0);
    expect(existsSync(join(out, 'sweep.json'))).toBe(true);
  });
});

describe('merge refuses a shard.json or run file too large before reading it', () => {
  it('a shard.json of more commas and line breaks than a shard of a million runs has', async () => {
    const { dirs, manifest } = copiedShards('manifest-separators');
    // trailing white space: still valid JSON, and the same document
    appendFileSync(manifest, '\n'.repeat(MAX_MANIFEST_SEPARATORS + 1));
    expectRefused(await merge('manifest-separators', dirs), manifest, /^: expected the shard manifest of at most [\d,]+ commas and line breaks, got [\d,]+/);
  });

  it('a shard.json over its byte limit (a sparse file: no disk used)', async () => {
    const { dirs, manifest } = copiedShards('manifest-bytes');
    truncateSync(manifest, MAX_MANIFEST_BYTES + 1);
    expectRefused(await merge('manifest-bytes', dirs), manifest, /^: expected a file of at most \d+ MiB, got \d+ MiB$/);
  });

  it('a run file over its byte limit, far above a genuine one', async () => {
    const { dirs, run } = copiedShards('run-bytes');
    truncateSync(run, MAX_RUN_FILE_BYTES + 1);
    expectRefused(await merge('run-bytes', dirs), run, /^: expected a file of at most \d+ MiB, got \d+ MiB$/);
  });
});

describe('merge refuses a run file that is a symbolic link leading outside its shard', () => {
  const OUTSIDE = /^: a symbolic link that leads outside the shard directory .*shard-0; expected the run file inside it$/;

  it('a run file linked to a genuine run elsewhere (was merged)', async () => {
    const { dirs, run } = copiedShards('link-run');
    const elsewhere = join(tmp.dir(), 'link-run', 'elsewhere.json');
    renameSync(run, elsewhere);
    symlinkSync(elsewhere, run);
    expectRefused(await merge('link-run', dirs), run, OUTSIDE);
  });

  it('a run file linked to /etc/passwd (was read and quoted)', async () => {
    const { dirs, run } = copiedShards('link-passwd');
    renameSync(run, `${run}.moved`);
    symlinkSync('/etc/passwd', run);
    const result = await merge('link-passwd', dirs);
    expectRefused(result, run, OUTSIDE);
    expect(result.r.stderr).not.toContain('root:');
  });

  it('the runs directory linked elsewhere (was merged)', async () => {
    const { dirs, run } = copiedShards('link-dir');
    const runs = join(dirs[0], 'runs');
    const elsewhere = join(tmp.dir(), 'link-dir', 'elsewhere');
    mkdirSync(elsewhere);
    renameSync(runs, join(elsewhere, 'runs'));
    symlinkSync(join(elsewhere, 'runs'), runs);
    expectRefused(await merge('link-dir', dirs), run, OUTSIDE);
  });

  it('a link that stays inside the shard directory still merges', async () => {
    const { dirs, run } = copiedShards('link-inside');
    renameSync(run, `${run}.real`);
    symlinkSync(`${run}.real`, run);
    const { r } = await merge('link-inside', dirs);
    expect(r.code, show(r)).toBe(0);
  });
});
