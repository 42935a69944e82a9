import { existsSync, lstatSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError } from '../errors.ts';
import { escapeControls, excerpt } from './excerpt.ts';
import { kindOf } from './read-input.ts';
import { exitOrphaned, launcherGone } from './launcher.mjs';
import { siblingName, siblingPattern } from './sibling-name.mjs';
import { checkNotInput } from './not-input.ts';
import { noteWritten, onExit } from './signals.mjs';

// One file written atomically, and the clean-up of what dead writers left: shared by report
// directories (report/output-dir.ts), `check --junit`, the scenario reference and `calibrate --out`.

/** True when process `pid` exists (ours or another user's). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes what dead processes left beside `target` while writing it: `.tmp-<name>-<pid>`
 * directories and files, and `.old-<name>-<pid>` (put back in place when the target is missing:
 * the process died between its two renames). Only what has the shape fleetsim leaves is touched:
 * a user's `.tmp-r1-999999/thesis.tex` was removed for its name and a dead pid alone. With
 * `ourDirectory` (an output directory's target), a sibling must be a directory it accepts; without
 * (a file's), a regular file. Anything else is left where it is, with a warning naming it.
 */
export function cleanStale(target: string, ourDirectory?: (path: string, sibling: 'tmp' | 'old') => boolean): void {
  const parent = dirname(target);
  const name = basename(target);
  let entries: string[];
  try {
    entries = readdirSync(parent);
  } catch {
    return; // no parent yet: nothing stale
  }
  const pattern = siblingPattern(name);
  for (const e of entries) {
    const m = pattern.exec(e);
    if (!m || alive(Number(m[2]))) continue;
    const path = join(parent, e);
    if (!leftByFleetsim(path, m[1] === 'old' ? 'old' : 'tmp', ourDirectory)) {
      process.stderr.write(`fleetsim: warning: left ${escapeControls(path)} in place: named like a temporary that fleetsim leaves, but not one (its contents are not fleetsim's); remove it if it is not yours\n`);
      continue;
    }
    if (m[1] === 'old' && !existsSync(target)) renameSync(path, target);
    else rmSync(path, { recursive: true, force: true });
  }
}

/** Whether the sibling at `path` has the shape fleetsim's writer of the target leaves (see cleanStale). */
function leftByFleetsim(path: string, sibling: 'tmp' | 'old', ourDirectory: ((path: string, sibling: 'tmp' | 'old') => boolean) | undefined): boolean {
  try {
    const stats = lstatSync(path);
    return ourDirectory === undefined ? stats.isFile() : stats.isDirectory() && ourDirectory(path, sibling);
  } catch {
    return false; // gone meanwhile, or unreadable: not ours to touch
  }
}

export const errCode = (e: unknown) => (e as NodeJS.ErrnoException).code ?? String(e);

/**
 * What an existing file must be for an output to replace it: `check --junit notes.md` overwrote
 * the notes, `calibrate --out package.json` the package. `name` is how a refusal says it.
 */
export interface FileOutputKind {
  name: string;
  ours: (text: string) => boolean;
}

/** Larger than any file fleetsim writes as one output: not read, not ours. */
const MAX_OWN_FILE_BYTES = 64 * 1024 * 1024;

/** True when the file at `path` (of `size_bytes`) is one of `kind`; one that cannot be read is not. */
function isOfKind(path: string, size_bytes: number, kind: FileOutputKind): boolean {
  try {
    return size_bytes <= MAX_OWN_FILE_BYTES && kind.ours(readFileSync(path, 'utf8'));
  } catch {
    return false;
  }
}

/** Writes one file atomically (a temporary sibling renamed over it), never over an input nor a file not of `kind`. */
export function writeFileAtomic(path: string, text: string, inputs: readonly string[], what: string, kind?: FileOutputKind): void {
  checkNotInput(path, inputs, what);
  checkReplaceable(path, what, kind); // again: the path may have changed during the work
  const target = resolve(path);
  const tmp = join(dirname(target), siblingName('tmp', basename(target), process.pid));
  const forget = onExit(() => rmSync(tmp, { force: true }));
  try {
    cleanStale(target);
    writeFileSync(tmp, text);
    if (launcherGone()) exitOrphaned();
    renameSync(tmp, target);
    noteWritten(path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new UserError(`${path}: ${what}: cannot write the file (${errCode(e)})`);
  } finally {
    forget();
  }
}

/**
 * Refuses an existing `path` that is not a regular file: the rename into place replaced a named
 * pipe, a device node (`--out /dev/null` became a regular file) or a symbolic link (the profile it
 * pointed to was left stale), and a directory cannot take a file's place. With `kind`, also a
 * file that is not one of that kind (a user's own file of the name).
 */
function checkReplaceable(path: string, what: string, kind?: FileOutputKind): void {
  let stats;
  try {
    stats = lstatSync(path);
  } catch {
    return; // missing (or unreadable: the probe or the write says so)
  }
  if (!stats.isFile()) throw new UserError(`${what} ${excerpt(path)}: ${kindOf(stats)}; expected a regular file or a new path`);
  if (kind && !isOfKind(path, stats.size, kind)) {
    throw new UserError(`${what} ${excerpt(path)}: an existing file that is not ${kind.name}; choose another path or remove it`);
  }
}

/**
 * Creates and removes a temporary file in `dir`: access(W_OK) passes for root on a read-only or
 * pseudo file system (/sys), where the write then failed after the whole work.
 */
function probeWritable(dir: string, name: string): void {
  const probe = join(dir, siblingName('tmp', name, process.pid));
  const forget = onExit(() => rmSync(probe, { force: true }));
  try {
    writeFileSync(probe, '', { flag: 'wx' });
    rmSync(probe, { force: true });
  } finally {
    forget();
  }
}

/**
 * Where one output file goes, checked before the work that makes it (`check --junit`, `calibrate
 * --out`): the directories it names may not exist yet (made when it is written), and the nearest
 * that does must be a directory that takes files (a file is made there and removed), and the path,
 * when it exists, a regular file. A calibrate --out under a missing directory failed only after
 * the whole fit.
 */
export function checkFileTarget(path: string, what: string, kind?: FileOutputKind): void {
  const target = resolve(path);
  let parent = dirname(target);
  while (!existsSync(parent) && dirname(parent) !== parent) parent = dirname(parent);
  try {
    if (!statSync(parent).isDirectory()) throw new UserError(`${what} ${excerpt(path)}: ${excerpt(parent)} is not a directory`);
    checkReplaceable(path, what, kind);
    probeWritable(parent, basename(target));
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`${what} ${excerpt(path)}: cannot write into ${excerpt(parent)} (${errCode(e)})`);
  }
}
