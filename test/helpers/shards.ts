import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect } from 'vitest';
import { runMain } from '../check/run-main.ts';
import { show, type CliResult } from './cli.ts';
import { expectRefusedInOneLine } from './errors.ts';
import { sha256 } from '../../src/experiment/shard.ts';

/**
 * Two shards of one sweep (`sweep ... --shard i/2`), made once for a suite in its temporary
 * directory: the merge tests copy and edit them. `sweep` is the sweep's arguments after the command.
 */
export function sweepShards(tmp: { dir: () => string }, sweep: readonly string[]): () => string[] {
  const shards = () => [join(tmp.dir(), 'shard-0'), join(tmp.dir(), 'shard-1')];
  beforeAll(async () => {
    for (const [i, dir] of shards().entries()) {
      const r = await runMain(['sweep', ...sweep, '--shard', `${i}/2`, '--out', dir]);
      expect(r.code, show(r)).toBe(0);
    }
  }, 120_000);
  return shards;
}

type Json = Record<string, any>;
export interface ShardEdit {
  /** applied to both shards' shard.json (an edit of one alone reads as shards of different sweeps) */
  manifest?: (m: Json) => void;
  /** applied to shard 0's first run (point 0, replication 0), its sha256 updated in shard.json; a string replaces the file's text */
  run?: (r: Json) => void | string;
}
export interface EditedMerge {
  r: CliResult;
  out: string;
  /** shard 0's shard.json and its first run file, as edited */
  manifest: string;
  run: string;
}

/**
 * `mergeEdited(name, edit)`: merges copies of the suite's shards (`shards`, of sweepShards) with
 * `edit` made, in `name` under the suite's directory (not --quiet: the terminal table reads the
 * merged summaries too).
 */
export function shardEditor(tmp: { dir: () => string }, shards: () => string[]): (name: string, edit: ShardEdit) => Promise<EditedMerge> {
  return async (name, edit) => {
    const dirs = shards().map((dir, i) => join(tmp.dir(), name, `shard-${i}`));
    shards().forEach((dir, i) => cpSync(dir, dirs[i], { recursive: true }));
    const manifests = dirs.map((dir) => join(dir, 'shard.json'));
    const docs = manifests.map((file) => JSON.parse(readFileSync(file, 'utf8')) as Json);
    const run = join(dirs[0], docs[0].runs[0].file);
    if (edit.run) {
      const record = JSON.parse(readFileSync(run, 'utf8')) as Json;
      const replaced = edit.run(record);
      const text = typeof replaced === 'string' ? replaced : JSON.stringify(record);
      writeFileSync(run, text);
      docs[0].runs[0].sha256 = sha256(text);
    }
    docs.forEach((doc, i) => {
      edit.manifest?.(doc);
      writeFileSync(manifests[i], JSON.stringify(doc, null, 2));
    });
    const out = join(tmp.dir(), name, 'merged');
    return { r: await runMain(['merge', ...dirs, '--out', out]), out, manifest: manifests[0], run };
  };
}

/** Refused in one line naming `file` and then the field and what was expected (`field`), nothing written. */
export function expectMergeRefused(result: { r: CliResult; out: string }, file: string, field: RegExp): void {
  const { r, out } = result;
  expectRefusedInOneLine(r, /^merge: /, show(r));
  const prefix = `merge: ${file}: `;
  const line = r.stderr.trim();
  expect(line.startsWith(prefix), show(r)).toBe(true);
  expect(line.slice(prefix.length)).toMatch(field);
  expect(existsSync(out), 'nothing written').toBe(false);
}
