import { type Dirent, lstatSync, opendirSync } from 'node:fs';
import { join } from 'node:path';
import { readHead } from '../util/read-head.ts';
import { REPORT_CHART_IDS, VEGA_LITE_SCHEMA } from './charts/specs.ts';
import { MANIFEST_FILE, MANIFEST_HEAD, notAsListed, readManifest, type Manifest } from './output-manifest.ts';

/**
 * What each kind of fleetsim output directory holds: the marker file that names the kind (read,
 * to tell fleetsim's own from a user's file of the same name), the files written beside it and
 * the directories, with what each of those holds in turn. An --out is replaced only when it is one
 * of these, whole, to the last file: a project that held a file named plan.json lost its .git/ and
 * src/ when the name alone was the test, and notes a user kept in a sweep's points/ were lost with
 * it when only the top was checked.
 *
 * The writers are held to these layouts (OutputDir.write refuses a path its kind does not name),
 * so a file added to an output without its place here fails every test that writes the output,
 * rather than making fleetsim refuse its own earlier outputs.
 */

/** A name, or a pattern of names (a chart per chart id, a summary per what-if). */
type EntryName = string | RegExp;
/** A directory an output holds, and what it holds (a point's directory in points/, say). */
interface DirectoryEntry {
  directory: EntryName;
  holds: readonly LayoutEntry[];
}
/** A regular file (its name) or a directory. */
type LayoutEntry = EntryName | DirectoryEntry;

/** The report pages run, check and replay write (report-files.ts): report.md, report.html, the charts. */
export const REPORT_PAGES: readonly EntryName[] = ['report.md', 'report.html', 'distributions.csv', /^chart-[\w.-]+\.svg$/];
/** One run's data: at the top of a report, of a one-point sweep and of a plan (its best point), and in each point's directory. */
const RUN_DATA: readonly string[] = ['summary.json', 'timeseries.csv', 'stations.csv'];
/** points/NNNN/ (sweep.ts's pointDir: zero-padded, four digits or more) of a sweep or a plan. */
const POINTS: DirectoryEntry = { directory: 'points', holds: [{ directory: /^\d{4,}$/, holds: RUN_DATA }] };
/** charts/<id>.svg and charts/<id>.vl.json (sweep-charts.ts's renderCharts) of a sweep: sweepCharts' ids. */
const SWEEP_CHARTS: DirectoryEntry = { directory: 'charts', holds: [/^(?:cost-vs-p99|p99-vs-[\w-]+)\.(?:svg|vl\.json)$/] };
/** The same of a plan (plan.ts's planCharts) or a fleet plan (fleet-plan.ts's fleetPlanCharts). */
const PLAN_CHARTS: DirectoryEntry = { directory: 'charts', holds: [/^(?:pareto|frontier-[\w-]+)\.(?:svg|vl\.json)$/] };
/** runs/p<point>-r<replication>.json of a shard (shard.ts). */
const RUNS: DirectoryEntry = { directory: 'runs', holds: [/^p\d+-r\d+\.json$/] };

type Json = Record<string, unknown>;
const isObject = (doc: unknown): doc is Json => doc !== null && typeof doc === 'object' && !Array.isArray(doc);

interface OutputKind {
  /** What the refusals call it ("holds a sweep"). */
  noun: string;
  marker: string;
  /** True when the marker's parsed JSON is one fleetsim wrote (fields no user file carries by chance). */
  ours: (doc: Json) => boolean;
  entries: readonly LayoutEntry[];
  /** Why a path the layout allows is still not one this output wrote, judged from its marker (`doc`); undefined when it is. */
  written?: (doc: Json, rel: string, dir: string) => string | undefined;
}

export const OUTPUT_KINDS = {
  report: { noun: 'a report', marker: 'summary.json', ours: (d) => typeof d.fleetsim_version === 'string', entries: [...RUN_DATA, 'vllm.json', ...REPORT_PAGES, MANIFEST_FILE], written: (d, rel, dir) => chartNotInReport(d, rel, dir) },
  replay: { noun: 'a replay', marker: 'replay.json', ours: (d) => typeof d.scenario_file === 'string' && Array.isArray(d.variants), entries: ['replay.json', 'replay.txt', 'timeseries.csv', /^summary-.+\.json$/, ...REPORT_PAGES, MANIFEST_FILE], written: replayWrote },
  sweep: { noun: 'a sweep', marker: 'sweep.json', ours: (d) => d.kind === 'sweep' && typeof d.fleetsim_version === 'string', entries: ['sweep.json', 'sweep.csv', POINTS, SWEEP_CHARTS, ...RUN_DATA, MANIFEST_FILE], written: sweepWrote },
  plan: { noun: 'a plan', marker: 'plan.json', ours: (d) => (d.kind === 'plan' || d.kind === 'fleet-plan') && typeof d.fleetsim_version === 'string', entries: ['plan.json', 'plan.csv', POINTS, PLAN_CHARTS, ...RUN_DATA, MANIFEST_FILE], written: planWrote },
  shard: { noun: 'a sweep shard', marker: 'shard.json', ours: (d) => d.kind === 'fleetsim-shard', entries: ['shard.json', RUNS, MANIFEST_FILE], written: shardWrote },
} satisfies Record<string, OutputKind>;

export type OutputKindName = keyof typeof OUTPUT_KINDS;
/** Every kind: what sweep, plan, merge and a shard may replace. */
export const ALL_OUTPUT_KINDS = Object.keys(OUTPUT_KINDS) as OutputKindName[];

const named = (name: EntryName, entry: string) => (typeof name === 'string' ? name === entry : name.test(entry));
const isDirectoryEntry = (e: LayoutEntry): e is DirectoryEntry => typeof e === 'object' && 'directory' in e;

/** What `layout` says of `entry`: the directory entry it is, 'file' when a file of that name belongs there, undefined when nothing does. */
function placeOf(layout: readonly LayoutEntry[], entry: string, directory: boolean): DirectoryEntry | 'file' | undefined {
  for (const e of layout) {
    if (isDirectoryEntry(e) ? directory && named(e.directory, entry) : !directory && named(e, entry)) return isDirectoryEntry(e) ? e : 'file';
  }
  return undefined;
}

/** True when `rel` (a file's path in the output, `/`-separated) is one an output of `kind` holds. */
export function pathOfKind(kind: OutputKindName, rel: string): boolean {
  const parts = rel.split(/[\\/]/);
  let layout: readonly LayoutEntry[] = OUTPUT_KINDS[kind].entries;
  for (const [i, part] of parts.entries()) {
    const place = placeOf(layout, part, i < parts.length - 1);
    if (place === undefined) return false;
    if (place !== 'file') layout = place.holds;
  }
  return true;
}

/** Larger than any marker fleetsim writes (a sweep.json of 10,000 points is 2 MB): never read further. */
export const MAX_MARKER_BYTES = 64 * 1024 * 1024;
/**
 * More entries than any output fleetsim writes holds (a sweep of the largest grid, 1,000,000
 * points, makes 4 a point): a directory with more is refused when the walk gets there, not walked
 * for minutes nor listed whole into memory.
 */
export const MAX_WALKED_ENTRIES = 5_000_000;

/** `dir`'s marker of `kind`, parsed, when it is fleetsim's own (a regular file that parses as one); else why it is not. */
function readMarker(dir: string, kind: OutputKindName): Json | string {
  const { marker, ours } = OUTPUT_KINDS[kind];
  const doc = readOwnJson(join(dir, marker));
  if (doc === 'too large') return `${marker} (not fleetsim's: larger than the ${MAX_MARKER_BYTES / 1024 / 1024} MB of any marker fleetsim writes)`;
  return doc !== undefined && ours(doc) ? doc : `${marker} (not fleetsim's)`;
}

/** The JSON object in the regular file `path`; undefined when it is not one (unreadable, not JSON), 'too large' past MAX_MARKER_BYTES. */
function readOwnJson(path: string): Json | undefined | 'too large' {
  try {
    if (!lstatSync(path).isFile()) return undefined;
    const head = readHead(path, MAX_MARKER_BYTES);
    if (!head.whole) return 'too large';
    const doc: unknown = JSON.parse(head.text);
    return isObject(doc) ? doc : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `path` is a symbolic link (false when it is missing or unreadable). */
function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** True when the regular file at `path` is JSON, whole (read at most MAX_MARKER_BYTES). */
function parsesWhole(path: string): boolean {
  try {
    JSON.parse(readHead(path, MAX_MARKER_BYTES).text);
    return true;
  } catch {
    return false;
  }
}

/**
 * The first line each CSV fleetsim writes starts with (timeseries.csv: a run's, or a replay's with
 * its variant first; plan.csv: a plan's, or a fleet plan's): a user's notes named stations.csv were
 * deleted for the name alone, and a sweep.csv a user had rewritten with the sweep.
 */
const CSV_HEADS: Readonly<Record<string, readonly string[]>> = {
  'timeseries.csv': ['t_start_s,', 'variant,t_start_s,'],
  'stations.csv': ['station,'],
  'distributions.csv': ['model,metric,'],
  'sweep.csv': ['point,'],
  'plan.csv': ['try,point,', 'model,option,instance,'],
};
/**
 * How each charts/<id>.vl.json fleetsim writes starts (sweep-charts.ts: its spec pretty-printed,
 * `$schema` then `config` first): a user's JSON at a chart's name was deleted with the output. Its
 * head is read, not the whole parsed: a sweep's of 1,000,000 points is some 360 MB.
 */
const VL_JSON_HEAD = `{\n  "$schema": ${JSON.stringify(VEGA_LITE_SCHEMA)},\n  "config": {`;
/** The JSON files whose content is a summary (or vllm.json, drawn from one): fleetsim_version is in each. */
const SUMMARY_JSON = /^(?:summary(?:-.+)?|vllm)\.json$/;

/**
 * Why the file at `path` is not one fleetsim wrote by its content (a summary without
 * fleetsim_version, a CSV or a chart's vl.json not starting as fleetsim's do), or undefined.
 * Files of other names are judged by their place alone (the layout, the marker's list).
 */
function contentNotOurs(rel: string, path: string, half_written = false): string | undefined {
  const name = rel.slice(rel.lastIndexOf('/') + 1);
  const summary = SUMMARY_JSON.test(name);
  const check = summary ? undefined : headCheckOf(name);
  // files of other names cost no system call here (a walk may meet millions)
  if (!summary && check === undefined) return undefined;
  // a link at a file's name is removed, never followed: what it points to is not at stake
  if (isLink(path)) return undefined;
  if (summary) {
    const doc = readOwnJson(path);
    if (typeof doc === 'object' && typeof doc.fleetsim_version === 'string') return undefined;
    // a writer killed mid-file leaves JSON cut short; JSON whole without fleetsim_version is a user's
    if (half_written && doc === undefined && !parsesWhole(path)) return undefined;
    return `${rel} (not fleetsim's: no fleetsim_version)`;
  }
  if (check === undefined) return undefined;
  let first: string;
  try {
    first = lstatSync(path).isFile() ? readHead(path, 4096).text : '';
  } catch {
    first = ''; // unreadable: not known to be ours
  }
  return check.ours(first) ? undefined : `${rel} (not fleetsim's: ${check.not})`;
}

/** How the first 4 KB of a file of this name read when fleetsim wrote it, and what a refusal says otherwise. */
function headCheckOf(name: string): { ours: (head: string) => boolean; not: string } | undefined {
  if (name.endsWith('.vl.json')) return { ours: (head) => head.startsWith(VL_JSON_HEAD), not: `not its Vega-Lite spec, ${VEGA_LITE_SCHEMA} first` };
  const csv = CSV_HEADS[name];
  if (csv !== undefined) return { ours: (head) => csv.some((h) => head.startsWith(h)), not: 'not its CSV header' };
  // a user's page or drawing put at a report's or a sweep's name was deleted with it
  if (name === 'report.html') return { ours: (head) => head.startsWith('<!doctype html>') && head.includes('<title>fleetsim report: '), not: 'not its report page' };
  // fleetsim's list of what it wrote (output-manifest.ts): a user's file at its name is not one
  if (name === MANIFEST_FILE) return { ours: (head) => head.startsWith(MANIFEST_HEAD), not: 'not its list of the files it wrote' };
  if (name.endsWith('.svg')) return { ours: (head) => head.startsWith('<svg ') && head.slice(0, 512).includes('class="marks"'), not: 'not a chart it drew (Vega\'s SVG)' };
  return undefined;
}

/**
 * The judge of a walk of an output of `kind` whose marker is `doc`: its place in what the marker
 * lists, then its content, then, where the output keeps a list of what fleetsim wrote
 * (`manifest`), whether the file is on it as it was written.
 */
function judgeOf(kind: OutputKindName, doc: Json, dir: string, manifest: Manifest | undefined): NonNullable<Walk['judge']> {
  const written = (OUTPUT_KINDS[kind] as OutputKind).written;
  const legacy = (rel: string, path: string, directory: boolean) => written?.(doc, rel, dir) ?? (directory ? undefined : contentNotOurs(rel, path));
  // no list (an earlier version's output, or one too large to list): names, places and heads
  if (manifest === undefined || (manifest !== 'not ours' && manifest.files === 'unlisted')) return legacy;
  if (manifest === 'not ours') {
    return (rel, path, directory) => legacy(rel, path, directory) ?? (rel === MANIFEST_FILE ? `${rel} (not fleetsim's: not its list of the files it wrote)` : undefined);
  }
  // the list decides: a file on it as written is fleetsim's (a chart whose report.md the user
  // removed too), any other is the user's, said by the rules of names and heads where one applies
  return (rel, path, directory) => {
    if (directory) return legacy(rel, path, true);
    if (rel === MANIFEST_FILE) return undefined;
    const changed = notAsListed(manifest, rel, path);
    return changed === undefined ? undefined : (legacy(rel, path, false) ?? changed);
  };
}

/**
 * Starts the walk of an output of `kind` in `dir`: its marker and list of files read, what is
 * wrong with either noted, the judge set when the marker is fleetsim's.
 */
function startWalk(dir: string, kind: OutputKindName, left: number): Walk {
  const walk: Walk = { left, paths: [] };
  const marker = OUTPUT_KINDS[kind].marker;
  const marker_doc = readMarker(dir, kind);
  if (typeof marker_doc === 'string') {
    walk.paths.push(marker_doc);
    return walk;
  }
  const manifest = readManifest(dir);
  // the marker is read, not walked: an edit of it is caught by the list alone
  const marker_changed = manifest === undefined || manifest === 'not ours' ? undefined : notAsListed(manifest, marker, join(dir, marker));
  if (marker_changed !== undefined) walk.paths.push(marker_changed);
  walk.judge = judgeOf(kind, marker_doc, dir, manifest);
  return walk;
}

/**
 * What a walk derives from its marker (`doc`, read once a walk) once, not again for each entry it
 * judges: report.md read for each chart, a shard's or plan's lists rebuilt for each of its files.
 */
const derivedOnce = new WeakMap<Json, Map<string, ReadonlySet<unknown>>>();
function once(doc: Json, key: string, derive: () => Iterable<unknown>): ReadonlySet<unknown> {
  let byKey = derivedOnce.get(doc);
  if (byKey === undefined) derivedOnce.set(doc, (byKey = new Map()));
  let set = byKey.get(key);
  if (set === undefined) byKey.set(key, (set = new Set(derive())));
  return set;
}

/** The file of each chart a report can hold (report-files.ts's chartFile). */
const REPORT_CHART_FILES: ReadonlySet<string> = new Set(REPORT_CHART_IDS.map((id) => `chart-${id}.svg`));

/** The chart files report.md links (report-files.ts): the charts the report was written with. */
function chartNotInReport(doc: Json, rel: string, dir: string): string | undefined {
  if (!/^chart-.+\.svg$/.test(rel)) return undefined;
  const links = once(doc, 'report charts', () => {
    try {
      // a FIFO or a device named report.md blocked the walk for good: only a regular file is read
      if (!lstatSync(join(dir, 'report.md')).isFile()) return [];
      return readHead(join(dir, 'report.md'), MAX_MARKER_BYTES).text.match(/chart-[\w.-]+\.svg/g) ?? [];
    } catch {
      return []; // no report.md: no chart is known to be the report's
    }
  });
  // a user's chart linked from report.md (an edit of it) was deleted with both: only the ids
  // fleetsim draws count
  if (!REPORT_CHART_FILES.has(rel)) return `${rel} (not a chart fleetsim draws)`;
  return links.has(rel) ? undefined : `${rel} (not a chart the report links)`;
}

/** A replay writes summary-<variant>.json for each variant replay.json lists, and the charts its report links. */
function replayWrote(doc: Json, rel: string, dir: string): string | undefined {
  const variant = /^summary-(.+)\.json$/.exec(rel)?.[1];
  if (variant === undefined) return chartNotInReport(doc, rel, dir);
  const names = (doc.variants as unknown[]).map((v) => (isObject(v) ? v.name : undefined));
  return names.includes(variant) ? undefined : `${rel} (not a variant replay.json lists)`;
}

/**
 * A sweep writes points/NNNN for each of sweep.json's `points`, the run data at its top only when
 * it has one point (sweep.ts's pointFiles), and the charts of its knobs (sweep-charts.ts).
 */
function sweepWrote(doc: Json, rel: string): string | undefined {
  const points = typeof doc.points === 'number' ? doc.points : 0;
  const point = /^points\/(\d+)$/.exec(rel)?.[1];
  // exactly sweep.ts's pointDir (zero-padded to four digits): `points/00001` is a user's copy, not point 1
  if (point !== undefined) return Number(point) < points && point === point.replace(/^0+(?=\d)/, '').padStart(4, '0') ? undefined : `${rel} (not one of the ${points} points sweep.json lists)`;
  if (RUN_DATA.includes(rel) && points !== 1) return `${rel} (a sweep of ${points} points writes none at its top)`;
  const chart = chartIdOf(rel);
  if (chart === undefined) return undefined;
  const ids = once(doc, 'chart ids', () => {
    const knobs = Array.isArray(doc.knobs) ? doc.knobs : [];
    return ['cost-vs-p99', ...uniqueChartIds('p99-vs-', knobs.map((k) => (isObject(k) && typeof k.path === 'string' ? k.path : '')))];
  });
  return ids.has(chart) ? undefined : `${rel} (not a chart of the knobs sweep.json lists)`;
}

/** The id of the chart file `rel` (charts/<id>.svg or charts/<id>.vl.json); undefined for another path. */
const chartIdOf = (rel: string) => /^charts\/(.+)\.(?:svg|vl\.json)$/.exec(rel)?.[1];

/**
 * A plan writes points/NNNN for each evaluation plan.json gives a `dir` (plan.ts's planJson; a
 * fleet plan, none), the run files at its top of the configuration it chose, and its charts: a
 * user's files at those names were deleted with it when the names alone were the test.
 */
function planWrote(doc: Json, rel: string): string | undefined {
  if (/^points\/[^/]+$/.test(rel)) {
    const dirs = once(doc, 'evaluation dirs', () => (Array.isArray(doc.evaluations) ? doc.evaluations : []).map((e) => (isObject(e) ? e.dir : undefined)));
    return dirs.has(rel) ? undefined : `${rel} (not a point plan.json lists)`;
  }
  if (RUN_DATA.includes(rel)) return once(doc, 'top files', () => planTopFiles(doc)).has(rel) ? undefined : `${rel} (not a file of the configuration plan.json chose)`;
  const chart = chartIdOf(rel);
  if (chart === undefined) return undefined;
  return once(doc, 'chart ids', () => planChartIds(doc)).has(chart) ? undefined : `${rel} (not a chart of what plan.json lists)`;
}

/**
 * The run files at a plan's top: a plan's chosen configuration's when it was simulated (plan.ts:
 * chosen.dir), a fleet plan's confirmation run's, without its time series (fleet-plan.ts: confirmed).
 */
function planTopFiles(doc: Json): string[] {
  if (doc.kind === 'fleet-plan') return doc.confirmed === null || doc.confirmed === undefined ? [] : ['summary.json', 'stations.csv'];
  return isObject(doc.chosen) && typeof doc.chosen.dir === 'string' ? [...RUN_DATA] : [];
}

/**
 * The charts a plan draws: plan.ts's planCharts, `pareto` of its evaluations; fleet-plan.ts's
 * fleetPlanCharts, a frontier per model and two of the fleet's combinations. Allowed when plan.json
 * lists what they are drawn from (a figure that was not finite is null there, so not judged by it).
 */
function planChartIds(doc: Json): string[] {
  const listed = (field: unknown) => Array.isArray(field) && field.length > 0;
  if (doc.kind !== 'fleet-plan') return listed(doc.evaluations) ? ['pareto'] : [];
  const names = (Array.isArray(doc.models) ? doc.models : []).map((m) => (isObject(m) && typeof m.model === 'string' ? m.model : ''));
  const models = uniqueChartIds('frontier-', names, FLEET_FRONTIER_IDS);
  return listed(doc.fleet_points) ? [...models, ...FLEET_FRONTIER_IDS] : models;
}

/** A shard writes the run files its shard.json lists (shard.ts: each listed as it is written). */
function shardWrote(doc: Json, rel: string): string | undefined {
  if (!rel.startsWith('runs/')) return undefined;
  const files = once(doc, 'run files', () => (Array.isArray(doc.runs) ? doc.runs : []).map((r) => (isObject(r) ? r.file : undefined)));
  return files.has(rel) ? undefined : `${rel} (not a run shard.json lists)`;
}

/** A file-name-safe stem for a path (`topology.stations.api.servers` -> `topology-stations-api-servers`): a sweep's chart ids. */
export function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'knob';
}

/**
 * The chart ids of `names` under `prefix` (a sweep's knobs, a fleet plan's models), each unique:
 * slug cuts at 80 characters and folds other characters to '-', so two knobs of one long station's
 * name, or models keyed `chat.v2` and `chat-v2` (or `fleet`, beside the fleet's own frontier), drew
 * one chart, the second overwriting the first. A repeat takes `-2`, `-3`, ... in the names' order;
 * `reserved` are the ids the output draws besides.
 */
export function uniqueChartIds(prefix: string, names: readonly string[], reserved: readonly string[] = []): string[] {
  const taken = new Set(reserved);
  return names.map((name) => {
    const base = `${prefix}${slug(name)}`;
    let id = base;
    for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
    taken.add(id);
    return id;
  });
}

/** The charts a fleet plan draws of the fleet's combinations, besides one per model. */
export const FLEET_FRONTIER_IDS = ['frontier-fleet', 'frontier-fleet-carbon'] as const;

/** What a walk of an output found: the paths fleetsim would not have written; `too_many` when it stopped at its bound. */
export interface Foreign {
  paths: string[];
  too_many: boolean;
}

/** A walk under way: the entries it may still list, the foreign paths found. */
interface Walk {
  left: number;
  paths: string[];
  /** Why a laid-out entry (at `rel`, on disk at `path`) is still not fleetsim's; undefined when it is. */
  judge?: (rel: string, path: string, directory: boolean) => string | undefined;
}

/**
 * Files a file manager writes into any folder it shows (macOS Finder's view settings, Windows
 * Explorer's thumbnails), rebuilt when missing: opening an output in Finder made fleetsim refuse to
 * replace it. Removed with the output. An editor's swap file is not among them: it means a file of
 * the output is open.
 */
const FILE_MANAGER_CACHES: ReadonlySet<string> = new Set(['.DS_Store', 'Thumbs.db']);

/** The entries of `dir`, sorted, counted off `walk.left`; undefined when there are more than are left (not listed further). */
function listBounded(dir: string, walk: Walk): Dirent[] | undefined {
  const listing = opendirSync(dir);
  const entries: Dirent[] = [];
  try {
    for (let d = listing.readSync(); d !== null; d = listing.readSync()) {
      if (entries.length === walk.left) return undefined;
      entries.push(d);
    }
  } finally {
    listing.closeSync();
  }
  walk.left -= entries.length;
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Adds to `walk.paths` each of `entries` (in `dir`, at `rel` in the output) that `layout` has no
 * place for, descending into the directories it names. False when the walk ran past its bound.
 */
function walkLayout(dir: string, rel: string, entries: readonly Dirent[], layout: readonly LayoutEntry[], walk: Walk): boolean {
  for (const entry of entries) {
    if (entry.isFile() && FILE_MANAGER_CACHES.has(entry.name)) continue;
    const path = rel === '' ? entry.name : `${rel}/${entry.name}`;
    // a directory where fleetsim writes a file is not its own; a link is never followed (removed,
    // it costs nothing where a file goes; where a directory goes, fleetsim never writes one)
    const place = placeOf(layout, entry.name, entry.isDirectory());
    const why = place === undefined ? path : walk.judge?.(path, join(dir, entry.name), place !== 'file');
    if (why !== undefined) walk.paths.push(why);
    if (why !== undefined || place === undefined || place === 'file') continue;
    let inner: Dirent[] | undefined;
    try {
      inner = listBounded(join(dir, entry.name), walk);
    } catch {
      walk.paths.push(`${path} (unreadable)`);
      continue;
    }
    if (inner === undefined || !walkLayout(join(dir, entry.name), path, inner, place.holds, walk)) return false;
  }
  return true;
}

/**
 * The paths in `dir` that keep it from being replaced as an output of one of `kinds`, walked to
 * the last file (at most `max_entries` listed): none when it is one, whole, or is empty. Otherwise
 * those of the kind it comes nearest to (its marker's name present, fewest others), a marker that
 * is not fleetsim's among them; every entry at its top when no marker's name is there.
 */
export function foreignEntries(dir: string, kinds: readonly OutputKindName[], max_entries = MAX_WALKED_ENTRIES): Foreign {
  const top = listBounded(dir, { left: max_entries, paths: [] });
  if (top === undefined) return { paths: [], too_many: true };
  let nearest: Foreign | undefined;
  for (const kind of kinds) {
    const marker = OUTPUT_KINDS[kind].marker;
    if (!top.some((e) => e.name === marker)) continue;
    const walk = startWalk(dir, kind, max_entries - top.length);
    const walked = walkLayout(dir, '', top.filter((e) => e.name !== marker), OUTPUT_KINDS[kind].entries, walk);
    const found = { paths: walk.paths, too_many: !walked };
    if (nearest === undefined || found.paths.length < nearest.paths.length) nearest = found;
    if (found.paths.length === 0 && walked) break;
  }
  return nearest ?? { paths: top.map((e) => e.name), too_many: false };
}

/**
 * True when every entry under `dir`, to the last file, is one some kind of output lays out, with
 * the content fleetsim writes there (its marker not needed, nor its files whole): the shape of a
 * temporary directory a killed fleetsim left (output-dir.ts's cleanStale), as a user's directory
 * of the same name is not.
 */
export function laidOutAsSomeKind(dir: string, sibling: 'tmp' | 'old' = 'old', max_entries = MAX_WALKED_ENTRIES): boolean {
  // an output being written (`.tmp-`) may hold a file cut short by the kill; one moved aside (`.old-`) was whole
  const half_written = sibling === 'tmp';
  try {
    const top = listBounded(dir, { left: max_entries, paths: [] });
    if (top === undefined) return false;
    // with the list of what fleetsim wrote (an output moved aside, or one whole but not yet renamed
    // into place), every file must be on it as written: an edited report.md moved aside was removed
    const manifest = readManifest(dir);
    if (manifest === 'not ours') return false;
    const listed = manifest !== undefined && manifest.files !== 'unlisted' ? manifest : undefined;
    return ALL_OUTPUT_KINDS.some((kind) => {
      // judged by content too: a user's `.old-rep-999997/summary.json` of notes was removed for its
      // name alone; a marker, when there, must be fleetsim's (a killed writer may not have reached it)
      const marker = OUTPUT_KINDS[kind].marker;
      if (top.some((e) => e.name === marker) && typeof readMarker(dir, kind) === 'string' && !(half_written && !parsesWhole(join(dir, marker)))) return false;
      const judge: Walk['judge'] = listed === undefined
        ? (rel, path, directory) => (directory ? undefined : contentNotOurs(rel, path, half_written))
        : (rel, path, directory) => (directory || rel === MANIFEST_FILE ? undefined : notAsListed(listed, rel, path));
      const walk: Walk = { left: max_entries - top.length, paths: [], judge };
      return walkLayout(dir, '', top, OUTPUT_KINDS[kind].entries, walk) && walk.paths.length === 0;
    });
  } catch {
    return false; // unreadable: not known to be ours
  }
}
