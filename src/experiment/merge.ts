import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { z } from 'zod';
import { UserError } from '../errors.ts';
import { TimeSeries } from '../metrics/timeseries.ts';
import { summaryContradiction } from '../results/summary-contradiction.ts';
import { knobFromMeta, type Knob } from './grid.ts';
import { RunRecordSchema, SHARD_FORMAT, ShardManifestSchema, sha256 as sha, type RunRecord, type ShardManifest } from './shard.ts';
import { finishPoint, sweepHash, type PointResult, type SweepMeta } from './sweep.ts';
import type { RunOutput } from './parallel.ts';
import { readInputBytes } from '../util/read-input.ts';
import { fileInside } from '../util/file-inside.ts';
import { lineNestedDeeperThan, parseJsonInput } from '../util/json-keys.ts';
import { MAX_DEPTH, separatorCount } from '../scenario/document.ts';
import { resolveInScope, scopeOfDir } from '../util/paths.ts';
import { describeIssue } from '../util/format-issue.ts';
import { quote } from '../util/excerpt.ts';

/**
 * `fleetsim merge DIR...`: the shards of one sweep back into the result of one unsharded run.
 * Each point's runs are read in replication order and combined by `finishPoint`, the function
 * the unsharded sweep uses: summaries aggregate from the per-replication summaries (stored
 * whole), time series merge from the exact per-window sketches. So the merged output equals the
 * unsharded one, apart from the wall-clock fields (engine.wall_s, engine.events_per_s).
 */

export interface MergedSweep {
  meta: SweepMeta;
  knobs: Knob[];
  points: PointResult[];
}

/**
 * Bounds on what merge reads, checked before parsing (a hostile campaign, 2026-12-07): a 400 MB
 * shard.json of 200 million knob values crashed V8 (a native "invalid size" error), one of 3.5
 * million runs took 3.3 GB before its refusal, and a value nested 100,000 deep overflowed the
 * stack of what walks it after JSON.parse. A genuine shard.json takes about 180 bytes and 6 lines
 * a run (600 runs: 109 KB, 3,928 lines), so these admit a shard of over a million runs; a genuine
 * run file is far below its bound (an hour of quickstart: 200 KB; the largest seen: about 30 MB).
 */
export const MAX_MANIFEST_BYTES = 256 * 2 ** 20;
export const MAX_MANIFEST_SEPARATORS = 8_000_000;
export const MAX_RUN_FILE_BYTES = 128 * 2 ** 20;

const MANIFEST_LIMITS = { maxBytes: MAX_MANIFEST_BYTES, maxSeparators: MAX_MANIFEST_SEPARATORS };
const RUN_FILE_LIMITS = { maxBytes: MAX_RUN_FILE_BYTES };

function readJson(file: string, what: string, limits: { maxBytes: number; maxSeparators?: number }, sha256?: string): unknown {
  const bytes = readInputBytes(file, `merge: ${file}`, (code) => `cannot read ${what} (${code})`, limits.maxBytes);
  if (sha256 !== undefined && sha(bytes) !== sha256) {
    throw new UserError(`merge: ${file}: the run file changed since its shard was written (its sha256 differs from the one in shard.json); run that shard again`);
  }
  const text = bytes.toString('utf8');
  const separators = limits.maxSeparators === undefined ? 0 : separatorCount(text);
  if (limits.maxSeparators !== undefined && separators > limits.maxSeparators) {
    throw new UserError(`merge: ${file}: expected ${what} of at most ${limits.maxSeparators.toLocaleString('en-US')} commas and line breaks, got ${separators.toLocaleString('en-US')} (a shard of a million runs has about 6 million)`);
  }
  const deep = lineNestedDeeperThan(text, MAX_DEPTH);
  if (deep !== undefined) throw new UserError(`merge: ${file} line ${deep}: nested deeper than ${MAX_DEPTH} levels; expected ${what} as fleetsim writes it`);
  // a key twice (a run listed under two `point`s in one object) is refused, not read as the last
  return parseJsonInput(text, `merge: ${file}`, `invalid JSON in ${what}`);
}

/**
 * `doc` as `schema` declares it, or a one-line refusal naming `file` and its first field that is
 * not. Keys a run's summary does not declare are let through, as compare lets them through: a
 * summary of another fleetsim version may carry them (shard.ts declares the rest strictly).
 */
function checked<T>(schema: z.ZodType, doc: unknown, file: string): T {
  const parsed = schema.safeParse(doc, { reportInput: true });
  const issue = parsed.success ? undefined : parsed.error.issues.find((i) => !(i.code === 'unrecognized_keys' && i.path[0] === 'summary'));
  if (issue) throw new UserError(`merge: ${file}: ${describeIssue(issue)}`);
  // the document itself, not zod's copy: its keys in their order, so the merged output is the same bytes
  return doc as T;
}

/** One shard's manifest, refused unless it is a whole shard of this fleetsim's format. */
function readManifest(dir: string): ShardManifest {
  const file = join(dir, 'shard.json');
  if (!existsSync(file)) throw new UserError(`merge: ${dir}: not a shard output (no shard.json); expected a directory written by \`fleetsim sweep --shard i/N --out DIR\``);
  const m = readJson(file, 'the shard manifest', MANIFEST_LIMITS) as ShardManifest | null;
  if (m === null || typeof m !== 'object' || m.kind !== 'fleetsim-shard' || m.format !== SHARD_FORMAT) {
    const other = m !== null && typeof m === 'object' && m.kind === 'fleetsim-shard';
    throw new UserError(`merge: ${file}: expected a fleetsim shard manifest (format ${SHARD_FORMAT}${other ? `, found format ${m.format}: written by an earlier or later fleetsim, whose shards this one does not read; run the shard again` : ''})`);
  }
  const manifest = checked<ShardManifest>(ShardManifestSchema, m, file);
  // the fields the hash covers, edited (a knob value relabelling points, a seed), with the hash kept
  const hash = sweepHash(manifest.sweep);
  if (manifest.sweep.hash !== hash) {
    throw new UserError(`merge: ${file}: sweep.hash: expected ${hash}, the hash of the sweep's fleetsim_version, document_sha256, knobs, seed and replications as recorded, got ${quote(manifest.sweep.hash)}; one of them was edited`);
  }
  return manifest;
}

/** Where each run of the sweep is: every run once, in the shard it belongs to, its file inside that shard. */
function runFiles(manifests: readonly { dir: string; m: ShardManifest }[], meta: SweepMeta, count: number): Map<number, { file: string; sha256: string }> {
  const where = new Map<number, { file: string; sha256: string }>();
  for (const { dir, m } of manifests) {
    const manifest = join(dir, 'shard.json');
    for (const r of m.runs) {
      if (r.point >= meta.points || r.replication >= meta.replications) throw new UserError(`merge: ${manifest}: runs: point ${r.point} replication ${r.replication} is not a run of this sweep (${meta.points} points x ${meta.replications} replications)`);
      const j = r.point * meta.replications + r.replication;
      if (j % count !== m.shard.index) throw new UserError(`merge: ${manifest}: runs: point ${r.point} replication ${r.replication} belongs to shard ${j % count}/${count}, not to this one`);
      if (where.has(j)) throw new UserError(`merge: ${manifest}: runs: point ${r.point} replication ${r.replication} is listed twice`);
      let file: string;
      try {
        file = fileInside(dir, r.file);
      } catch {
        throw new UserError(`merge: ${manifest}: runs: file ${JSON.stringify(r.file.slice(0, 80))}: expected a relative path inside the shard directory`);
      }
      confineRunFile(dir, file);
      where.set(j, { file, sha256: r.sha256 });
    }
  }
  return where;
}

/**
 * Refuses a run file that is, or lies under, a symbolic link leading outside its shard directory,
 * before it is opened: a shard copied from elsewhere had its run (or runs/) linked to /etc/passwd,
 * which merge read and quoted in its refusal.
 */
function confineRunFile(dir: string, file: string): void {
  try {
    resolveInScope(scopeOfDir(dir), resolve(file), file);
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    throw new UserError(`merge: ${file}: a symbolic link that leads outside the shard directory ${dir}; expected the run file inside it`);
  }
}

/** Most shards merge reads: far above any sweep the memory checks let run (a 100,000-point sweep needs 7 GB). */
const MAX_SHARDS = 1_000_000;

/** Reads and checks the shard manifests: one sweep, every shard once, every run present. */
export function readShards(dirs: readonly string[]): { meta: SweepMeta; locate: (k: number, i: number) => { file: string; sha256: string } } {
  if (dirs.length === 0) throw new UserError('merge: expected one or more shard directories (written by `fleetsim sweep --shard i/N --out DIR`)');
  const manifests = dirs.map((dir) => ({ dir, m: readManifest(dir) }));
  const first = manifests[0];
  const count = first.m.shard.count;
  const byIndex = new Map<number, string>();
  // the whole description but the path the scenario was given by (shards may name one file two ways)
  const described = (meta: SweepMeta) => JSON.stringify({ ...meta, scenario_file: undefined });
  const sweepOfFirst = described(first.m.sweep);
  for (const { dir, m } of manifests) {
    // the whole description, not the hash alone: an edited shard.json keeps its hash
    if (m.sweep.hash !== first.m.sweep.hash || described(m.sweep) !== sweepOfFirst) {
      throw new UserError(`merge: ${dir} and ${first.dir} are shards of different sweeps (the scenario, --set, --vary, --seed, --replications or the fleetsim version differ)`);
    }
    if (m.shard.count !== count) throw new UserError(`merge: ${dir} is shard ${m.shard.index}/${m.shard.count} but ${first.dir} is one of ${count} shards`);
    const seen = byIndex.get(m.shard.index);
    if (seen !== undefined) throw new UserError(`merge: shard ${m.shard.index}/${count} given twice (${seen} and ${dir})`);
    byIndex.set(m.shard.index, dir);
  }
  // sweep writes at most one shard a run: a larger count is not one of its sweeps (and was listed in full)
  const runs = first.m.sweep.points * first.m.sweep.replications;
  if (!(count <= Math.min(runs, MAX_SHARDS))) {
    throw new UserError(`merge: ${first.dir}: shard count ${count}: expected at most the sweep's ${runs} runs (points x replications) and at most ${MAX_SHARDS.toLocaleString('en-US')}`);
  }
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !byIndex.has(i));
  if (missing.length > 0) {
    throw new UserError(`merge: missing shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${count}`).join(', ')}; expected all ${count} shards of the sweep`);
  }
  const meta = first.m.sweep;
  const where = runFiles(manifests, meta, count);
  const total = meta.points * meta.replications;
  for (let j = 0; j < total; j++) {
    if (!where.has(j)) {
      const k = Math.floor(j / meta.replications);
      throw new UserError(`merge: no run of point ${k}, replication ${j % meta.replications} in shard ${j % count}/${count} (${byIndex.get(j % count)})`);
    }
  }
  return { meta, locate: (k, i) => where.get(k * meta.replications + i)! };
}

/** Merges shard directories into the sweep's points, in grid order. */
export function mergeShards(dirs: readonly string[]): MergedSweep {
  const { meta, locate } = readShards(dirs);
  const knobs = meta.knobs.map(knobFromMeta);
  const points: PointResult[] = [];
  for (let k = 0; k < meta.points; k++) {
    const runs: RunOutput[] = [];
    for (let i = 0; i < meta.replications; i++) {
      const { file, sha256 } = locate(k, i);
      const rec = checked<RunRecord>(RunRecordSchema, readJson(file, 'a run', RUN_FILE_LIMITS, sha256), file);
      const impossible = summaryContradiction(rec.summary);
      if (impossible) throw new UserError(`merge: ${file}: summary.${impossible}`);
      if (rec.point !== k || rec.replication !== i) throw new UserError(`merge: ${file}: expected point ${k} replication ${i}, found point ${rec.point} replication ${rec.replication}`);
      const timeseries = TimeSeries.fromJSON(rec.timeseries);
      // replications of a point share their windows: a series of other windows merged in part, silently
      const first = runs[0]?.timeseries;
      if (first && (timeseries.windows !== first.windows || timeseries.windowMs !== first.windowMs)) {
        throw new UserError(`merge: ${file}: timeseries: expected the windows of replication 0 of point ${k} (${locate(k, 0).file}: ${first.windows} of ${first.windowMs} ms), found ${timeseries.windows} of ${timeseries.windowMs} ms`);
      }
      // shards may name the scenario by different paths (same document, same hash): report the first's
      runs.push({ summary: { ...rec.summary, scenario_file: meta.scenario_file }, timeseries });
    }
    points.push(finishPoint(knobs, k, runs));
  }
  return { meta, knobs, points };
}
