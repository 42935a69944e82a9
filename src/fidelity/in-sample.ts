import { createHash } from 'node:crypto';
import type { CalibrationProfile } from '../perf/calibration.ts';
import { rowConfiguration, type CorpusRow } from './corpus.ts';
import { SPLIT_FILTERS, type SplitFilter } from './table.ts';
import { versionAtLeast } from './versions.ts';

/**
 * Whether `fidelity` evaluates rows a profile was fitted on. A profile written by `calibrate --corpus`
 * records its rows in fit.corpus as "FILES, SPLIT split, stack STACKS[ since V][ before V]"
 * (cli-calibrate.ts corpusFit): `fidelity --calibration` of a profile fitted on valset.csv's
 * every row printed its error on those rows as a validation MAPE.
 */
interface FitRows {
  /** file names as calibrate wrote them: the base name, or a path under the corpus directory */
  readonly files: readonly string[];
  readonly split: SplitFilter;
  readonly stacks: readonly string[];
  readonly since?: string;
  readonly before?: string;
}

const FIT_CORPUS = new RegExp(`^(.+), (${SPLIT_FILTERS.join('|')}) split, stack (\\S+?)(?: since (\\S+))?(?: before (\\S+))?$`);

/** A fit record's rows, or undefined for one that names no corpus rows (a Splitwise measurement file). */
export function fitRows(corpus: string): FitRows | undefined {
  const m = FIT_CORPUS.exec(corpus);
  if (!m) return undefined;
  return { files: m[1].split(', '), split: m[2] as SplitFilter, stacks: m[3].split('+'), since: m[4], before: m[5] };
}

/** Bytes of a row's digest in a fit's record: 32 bits, one false match in about 4e9 / (rows fitted) rows. */
const ROW_DIGEST_BYTES = 4;

/**
 * Fitted rows recorded by digest up to this many (about 22 kB of profile); a larger fit records
 * none, and fidelity falls back to its file names. The bundled corpus holds a few hundred rows.
 */
export const MAX_FIT_ROWS_RECORDED = 4096;

/** A row's identity: what it measures (rowConfiguration) and the value it measured, not its file, id or split. */
function rowDigest(row: CorpusRow): Buffer {
  return createHash('sha256').update(`${rowConfiguration(row)}\n${row.value}`).digest().subarray(0, ROW_DIGEST_BYTES);
}

/**
 * fit.rows of a profile fitted on these corpus rows: their digests, sorted, as one base64url
 * string (5.3 characters a row); undefined beyond MAX_FIT_ROWS_RECORDED. By file name alone, the
 * fitted rows copied to mine.csv were read as out of sample.
 */
export function fitRowsRecord(rows: readonly CorpusRow[]): string | undefined {
  if (rows.length === 0 || rows.length > MAX_FIT_ROWS_RECORDED) return undefined;
  const digests = [...new Set(rows.map((r) => rowDigest(r).toString('hex')))].sort();
  return Buffer.from(digests.join(''), 'hex').toString('base64url');
}

/** The digests of a fit.rows record, as hex. */
function recordedDigests(record: string): ReadonlySet<string> {
  const hex = Buffer.from(record, 'base64url').toString('hex');
  const size = 2 * ROW_DIGEST_BYTES;
  const digests = new Set<string>();
  for (let i = 0; i + size <= hex.length; i += size) digests.add(hex.slice(i, i + size));
  return digests;
}

/** Is the row one of the fit's? Its file by name (the fit records no directory), split, stack and era. */
export function fittedOn(row: CorpusRow, fit: FitRows): boolean {
  const file = row.file.replaceAll('\\', '/');
  return fit.files.some((f) => file === f || file.endsWith(`/${f}`))
    && (fit.split === 'all' || row.split === fit.split)
    && fit.stacks.includes(row.stack)
    && (fit.since === undefined || versionAtLeast(row.stack_version, fit.since))
    && (fit.before === undefined || !versionAtLeast(row.stack_version, fit.before));
}

export interface InSample {
  /** evaluated rows that the profile each is predicted with was fitted on */
  readonly rows: number;
  /** the fit records of those profiles by profile name ("vllm" to "open.csv, vendor.csv, calibration split, stack vllm") */
  readonly fits: ReadonlyMap<string, string>;
}

/** The evaluated rows that their own profile was fitted on, and those profiles' fit records. */
export function inSampleRows(rows: readonly CorpusRow[], profileOf: (row: CorpusRow) => CalibrationProfile): InSample {
  const fits = new Map<string, string>();
  const fittedOnProfile = fitMembership();
  let count = 0;
  for (const row of rows) {
    const corpus = profileOf(row).fit?.corpus;
    if (corpus === undefined || !fittedOnProfile(row, profileOf(row))) continue;
    count++;
    fits.set(profileOf(row).name ?? 'profile', corpus);
  }
  return { rows: count, fits };
}

/**
 * Whether a row is one its profile was fitted on: by its digest where the profile records its
 * rows' (fit.rows), else by the file names, split, stack and era of fit.corpus (the built-in
 * profiles, and profiles fitted before 2026-12-07). Each record is read once.
 */
function fitMembership(): (row: CorpusRow, profile: CalibrationProfile) => boolean {
  const digests = new Map<string, ReadonlySet<string>>();
  const parsed = new Map<string, FitRows | undefined>();
  return (row, profile) => {
    const record = profile.fit?.rows;
    if (record !== undefined) {
      if (!digests.has(record)) digests.set(record, recordedDigests(record));
      return digests.get(record)!.has(rowDigest(row).toString('hex'));
    }
    const corpus = profile.fit!.corpus;
    if (!parsed.has(corpus)) parsed.set(corpus, fitRows(corpus));
    const fit = parsed.get(corpus);
    return fit !== undefined && fittedOn(row, fit);
  };
}

/**
 * The warning of an in-sample figure, one line; undefined when no evaluated row is in-sample.
 * `profile` names the one profile of every row (a --calibration file, an --engine), or is
 * undefined when each row's stack has its own (then each is named with its record).
 */
export function inSampleWarning(inSample: InSample, evaluated: number, profile: string | undefined): string | undefined {
  if (inSample.rows === 0) return undefined;
  const rows = `${inSample.rows} of the ${evaluated} ${evaluated === 1 ? 'row' : 'rows'} to evaluate`;
  const records = [...inSample.fits].map(([name, corpus]) => (profile === undefined ? `${name}: "${corpus}"` : `its fit.corpus: "${corpus}"`)).join('; ');
  const whose = profile === undefined ? 'their stacks\' profiles were' : `${profile} was`;
  return `${rows} ${inSample.rows === 1 ? 'is a row' : 'are rows'} ${whose} fitted on (${records}): their error is in-sample, not validation`;
}
