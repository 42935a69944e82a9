import { lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What each kind of fleetsim output directory holds at its top: the marker file that names the
 * kind (read, to tell fleetsim's own from a user's file of the same name) and the entries written
 * beside it. An --out is replaced only when it is one of these, whole: a project that held a file
 * named plan.json lost its .git/ and src/ when the name alone was the test.
 *
 * The writers are held to these lists (OutputDir.write refuses an entry its kind does not name),
 * so a file added to an output without its name here fails every test that writes the output,
 * rather than making fleetsim refuse its own earlier outputs.
 */

/** A name, or a pattern of names (a chart per chart id, a summary per what-if). */
type EntryName = string | RegExp;

/** The report pages run, check and replay write (report-files.ts): report.md, report.html, the charts. */
export const REPORT_PAGES: readonly EntryName[] = ['report.md', 'report.html', 'distributions.csv', /^chart-[\w.-]+\.svg$/];
/** One run's data: at the top of a report, of a one-point sweep and of a plan (its best point). */
const RUN_DATA: readonly EntryName[] = ['summary.json', 'timeseries.csv', 'stations.csv'];

type Json = Record<string, unknown>;
const isObject = (doc: unknown): doc is Json => doc !== null && typeof doc === 'object' && !Array.isArray(doc);

interface OutputKind {
  marker: string;
  /** True when the marker's parsed JSON is one fleetsim wrote (fields no user file carries by chance). */
  ours: (doc: Json) => boolean;
  entries: readonly EntryName[];
}

export const OUTPUT_KINDS = {
  report: { marker: 'summary.json', ours: (d) => typeof d.fleetsim_version === 'string', entries: [...RUN_DATA, 'vllm.json', ...REPORT_PAGES] },
  replay: { marker: 'replay.json', ours: (d) => typeof d.scenario_file === 'string' && Array.isArray(d.variants), entries: ['replay.json', 'replay.txt', 'timeseries.csv', /^summary-.+\.json$/, ...REPORT_PAGES] },
  sweep: { marker: 'sweep.json', ours: (d) => d.kind === 'sweep' && typeof d.fleetsim_version === 'string', entries: ['sweep.json', 'sweep.csv', 'points', 'charts', ...RUN_DATA] },
  plan: { marker: 'plan.json', ours: (d) => (d.kind === 'plan' || d.kind === 'fleet-plan') && typeof d.fleetsim_version === 'string', entries: ['plan.json', 'plan.csv', 'points', 'charts', ...RUN_DATA] },
  shard: { marker: 'shard.json', ours: (d) => d.kind === 'fleetsim-shard', entries: ['shard.json', 'runs'] },
} satisfies Record<string, OutputKind>;

export type OutputKindName = keyof typeof OUTPUT_KINDS;
/** Every kind: what sweep, plan, merge and a shard may replace. */
export const ALL_OUTPUT_KINDS = Object.keys(OUTPUT_KINDS) as OutputKindName[];

/** True when `entry` (a name at the top of the directory) is one an output of `kind` holds. */
export function entryOfKind(kind: OutputKindName, entry: string): boolean {
  return (OUTPUT_KINDS[kind].entries as readonly EntryName[]).some((e) => (typeof e === 'string' ? e === entry : e.test(entry)));
}

/** Larger than any marker fleetsim writes (a sweep.json of 10,000 points is a few MB): not read. */
const MAX_MARKER_BYTES = 256 * 1024 * 1024;

/** True when `dir`'s marker of `kind` is a regular file that parses as fleetsim's own. */
function markerIsOurs(dir: string, kind: OutputKindName): boolean {
  const path = join(dir, OUTPUT_KINDS[kind].marker);
  try {
    const stats = lstatSync(path);
    if (!stats.isFile() || stats.size > MAX_MARKER_BYTES) return false;
    const doc: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return isObject(doc) && OUTPUT_KINDS[kind].ours(doc);
  } catch {
    return false; // unreadable or not JSON: not ours
  }
}

/**
 * The entries of `dir` (listing `entries`) that keep it from being replaced as an output of one of
 * `kinds`: empty when it is one, whole. Otherwise those of the kind it comes nearest to (its
 * marker's name present, fewest others), a marker that is not fleetsim's among them; all of
 * `entries` when no marker's name is there.
 */
export function foreignEntries(dir: string, entries: readonly string[], kinds: readonly OutputKindName[]): string[] {
  let nearest: string[] | undefined;
  for (const kind of kinds) {
    const marker = OUTPUT_KINDS[kind].marker;
    if (!entries.includes(marker)) continue;
    const foreign = entries.filter((e) => !entryOfKind(kind, e) && e !== marker);
    if (!markerIsOurs(dir, kind)) foreign.unshift(`${marker} (not fleetsim's)`);
    if (nearest === undefined || foreign.length < nearest.length) nearest = foreign;
    if (foreign.length === 0) break;
  }
  return nearest ?? [...entries];
}
