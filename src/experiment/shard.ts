import { createHash } from 'node:crypto';
import { UserError } from '../errors.ts';
import type { Summary } from '../results/summary.ts';
import type { TimeSeriesJSON } from '../metrics/timeseries.ts';
import type { Runner } from './parallel.ts';
import { forEachLimited, pairs, type Sweep, type SweepMeta } from './sweep.ts';
import { TreeWriter } from './sweep-output.ts';

/**
 * `--shard i/N`: run (point k, replication r) of a sweep belongs to shard (k x replications + r)
 * mod N. The share depends only on the grid and N, so N machines given 0/N .. N-1/N run every
 * pair exactly once, and replications of one point spread over the shards too (a one-point sweep
 * with 100 replications shards as well as a 100-point grid).
 *
 * A shard's output directory holds shard.json (the sweep's manifest and the pairs it ran) and
 * runs/p<k>-r<i>.json per run: the per-replication summary and the serialised time series
 * (exact per-window sketches). `fleetsim merge` rebuilds from them exactly what an unsharded
 * sweep writes.
 */

export interface ShardSpec {
  index: number;
  count: number;
}

/** 2: each run's sha256 in the manifest (format 1 had none: merge refuses it, re-run the shard). */
export const SHARD_FORMAT = 2;

export interface ShardManifest {
  kind: 'fleetsim-shard';
  format: number;
  sweep: SweepMeta;
  shard: ShardSpec;
  complete: boolean;
  /** Each run file and the sha256 (hex) of its bytes: merge refuses a file that changed since. */
  runs: { point: number; replication: number; file: string; sha256: string }[];
}

/** One run as stored in a shard. */
export interface RunRecord {
  point: number;
  replication: number;
  seed: number;
  summary: Summary;
  timeseries: TimeSeriesJSON;
}

/** The sha256 of a run file's text as written (UTF-8), hex. */
export function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Parses `i/N` (0 <= i < N). */
export function parseShard(s: string): ShardSpec {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(s);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || !(count >= 1) || !(index < count) || !Number.isSafeInteger(count)) {
    throw new UserError(`--shard ${s}: expected i/N with 0 <= i < N, e.g. 0/4 (the first of four shards)`);
  }
  return { index, count };
}

export const inShard = (shard: ShardSpec, pair: number): boolean => pair % shard.count === shard.index;

export function runFileName(point: number, replication: number): string {
  return `runs/p${point}-r${replication}.json`;
}

/** Runs this shard's share of the sweep and writes its output directory (atomically). */
export async function runShard(sw: Sweep, runner: Runner, shard: ShardSpec, outDir: string, onRun?: (k: number, i: number) => void, inputs: readonly string[] = []): Promise<ShardManifest> {
  const writer = new TreeWriter(outDir, { inputs });
  const runs: ShardManifest['runs'] = [];
  let complete = true;
  try {
    await forEachLimited(pairs(sw.meta, (j) => inShard(shard, j)), 2 * runner.jobs, async ([k, i]) => {
      const task = sw.task(k, i);
      const out = await runner.run(task);
      const record: RunRecord = { point: k, replication: i, seed: task.seed, summary: out.summary, timeseries: out.timeseries.toJSON() };
      const file = runFileName(k, i);
      const text = JSON.stringify(record);
      writer.write(file, text);
      runs.push({ point: k, replication: i, file, sha256: sha256(text) });
      complete &&= out.summary.complete;
      onRun?.(k, i);
    });
    runs.sort((a, b) => a.point - b.point || a.replication - b.replication);
    const manifest: ShardManifest = { kind: 'fleetsim-shard', format: SHARD_FORMAT, sweep: sw.meta, shard, complete, runs };
    writer.write('shard.json', `${JSON.stringify(manifest, null, 2)}\n`);
    writer.commit();
    return manifest;
  } catch (e) {
    writer.abort();
    throw e;
  }
}
