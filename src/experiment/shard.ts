import { createHash } from 'node:crypto';
import { z } from 'zod';
import { UserError } from '../errors.ts';
import type { Summary } from '../results/summary.ts';
import { SummarySchema } from '../results/summary-schema.ts';
import { TimeSeriesJSONSchema, type TimeSeriesJSON } from '../metrics/timeseries.ts';
import { nonNegInt, posInt, seedInt } from '../util/zod-helpers.ts';
import { KNOB_KINDS } from './grid.ts';
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

/**
 * 2: each run's sha256 in the manifest (format 1 had none: merge refuses it, re-run the shard).
 * 3: the sweep's document_sha256, from which with the other fields merge recomputes its hash.
 */
export const SHARD_FORMAT = 3;

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

/**
 * What merge reads, declared: a shard.json or run file edited by hand is refused naming its first
 * field that is not (a missing `shard`, a knob of another kind, a summary that is a string, a run's
 * `requests` null failed with internal errors, the last after the merged output was written).
 * Counts of shards and points have no maximum here: merge refuses those out of range naming the
 * sweep (experiment/merge.ts).
 */
const positiveCount = () => z.int({ error: 'expected a positive integer' }).min(1, { error: 'expected a positive integer' });

const SweepMetaSchema = z.strictObject({
  fleetsim_version: z.string(),
  scenario: z.string(),
  scenario_file: z.string(),
  seed: seedInt(),
  replications: posInt(),
  knobs: z.array(z.strictObject({ path: z.string(), kind: z.enum(KNOB_KINDS), values: z.array(z.unknown()).min(1, { error: 'expected at least one value' }) })),
  points: positiveCount(),
  document_sha256: z.string().regex(/^[0-9a-f]{64}$/, { error: 'expected the sha256 of the scenario document (64 hex digits)' }),
  hash: z.string(),
});

export const ShardManifestSchema = z.strictObject({
  kind: z.literal('fleetsim-shard'),
  format: z.literal(SHARD_FORMAT),
  sweep: SweepMetaSchema,
  shard: z
    .strictObject({ index: nonNegInt(), count: positiveCount() })
    .superRefine((s, ctx) => {
      if (s.index >= s.count) ctx.addIssue({ code: 'custom', message: `expected an integer below shard.count (${s.count})`, input: s.index, path: ['index'] });
    }),
  complete: z.boolean(),
  runs: z.array(
    z.strictObject({
      point: nonNegInt(),
      replication: nonNegInt(),
      file: z.string(),
      sha256: z.string().regex(/^[0-9a-f]{64}$/, { error: 'expected the sha256 of the run file (64 hex digits)' }),
    }),
  ),
});

export const RunRecordSchema = z.strictObject({
  point: nonNegInt(),
  replication: nonNegInt(),
  // not read by merge (the summary holds it too): any number, as the sweep's seed plus the replication may pass 2^53
  seed: z.number(),
  summary: SummarySchema,
  timeseries: TimeSeriesJSONSchema,
});

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
  const writer = new TreeWriter(outDir, { inputs, kind: 'shard' });
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
