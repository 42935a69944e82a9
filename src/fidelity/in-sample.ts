import type { CalibrationProfile } from '../perf/calibration.ts';
import type { CorpusRow } from './corpus.ts';
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
  const parsed = new Map<string, FitRows | undefined>();
  const fits = new Map<string, string>();
  let count = 0;
  for (const row of rows) {
    const corpus = profileOf(row).fit?.corpus;
    if (corpus === undefined) continue;
    if (!parsed.has(corpus)) parsed.set(corpus, fitRows(corpus));
    const fit = parsed.get(corpus);
    if (fit === undefined || !fittedOn(row, fit)) continue;
    count++;
    fits.set(profileOf(row).name ?? 'profile', corpus);
  }
  return { rows: count, fits };
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
