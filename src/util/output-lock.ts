import { closeSync, linkSync, lstatSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UserError } from '../errors.ts';
import { escapeControls } from './excerpt.ts';
import { lockName, siblingName } from './sibling-name.mjs';
import { onExit } from './signals.mjs';
import { alive, errCode } from './write-atomic.ts';

/**
 * One writer per output at a time: two `run --out same` at once both exited 0, the second's
 * result silently replacing the first's. The writer holds `.lock-<name>` beside the output, a file
 * made only if missing and holding its pid; a lock whose process is gone (killed outright) or is
 * this very process (an earlier command of it, in tests) is taken over.
 */

/** The most a lock's text is read: a pid and a newline (a 1-GB file at the name was read whole). */
const LOCK_READ_BYTES = 32;

/**
 * The pid a lock records (NaN when it is not one). Only a regular file is read: reading a named
 * pipe at the name blocked the event loop, so that neither Ctrl-C nor SIGTERM ended the command.
 */
function holderOf(lock: string): number {
  try {
    if (!lstatSync(lock).isFile()) return NaN;
    const fd = openSync(lock, 'r');
    try {
      const buffer = Buffer.alloc(LOCK_READ_BYTES);
      const text = buffer.toString('utf8', 0, readSync(fd, buffer, 0, LOCK_READ_BYTES, 0)).trim();
      return /^[1-9]\d*$/.test(text) ? Number(text) : NaN;
    } finally {
      closeSync(fd);
    }
  } catch {
    return NaN; // gone meanwhile: taken over below like a stale one
  }
}

/** A lock's name held by something other than a file or a link (a directory, a pipe): not fleetsim's, and not to be removed. */
function refuseForeignLock(lock: string, outDir: string, what: string): void {
  let kind: string;
  try {
    const st = lstatSync(lock);
    if (st.isFile() || st.isSymbolicLink()) return;
    kind = st.isDirectory() ? 'a directory' : st.isFIFO() ? 'a named pipe' : 'a special file';
  } catch {
    return; // none: nothing to refuse
  }
  throw new UserError(`${escapeControls(outDir)}: ${what}: ${escapeControls(lock)} expected fleetsim's lock file (a regular file holding a pid), got ${kind}; remove it or choose another ${what}`);
}

/** Makes `lock` holding our pid, whole or not at all (written aside, then linked: link fails if it exists). */
function tryCreate(lock: string): boolean {
  const aside = join(dirname(lock), siblingName('tmp', basename(lock), process.pid));
  writeFileSync(aside, `${process.pid}\n`);
  try {
    linkSync(aside, lock);
    return true;
  } catch (e) {
    if (errCode(e) === 'EEXIST') return false;
    throw e;
  } finally {
    rmSync(aside, { force: true });
  }
}

/**
 * Locks the output `target` (an absolute path whose parent exists) for this process, or refuses
 * naming `outDir` and the pid holding it. Returns the release, also run at exit however the process
 * ends (signals.mjs); a release removes the lock only while it is still ours.
 */
export function lockOutput(target: string, outDir: string, what: string): () => void {
  const lock = join(dirname(target), lockName(basename(target)));
  refuseForeignLock(lock, outDir, what);
  for (let attempt = 0; !tryCreate(lock); attempt++) {
    const holder = holderOf(lock);
    if ((alive(holder) && holder !== process.pid) || attempt === 2) {
      // a pid is reused: the process the lock names may be no fleetsim at all
      const who = Number.isNaN(holder) ? 'another fleetsim' : `another fleetsim (pid ${holder})`;
      throw new UserError(`${escapeControls(outDir)}: ${what} is being written by ${who}, which holds ${escapeControls(lock)}; wait for it or choose another ${what} (if no fleetsim is writing it, remove the lock)`);
    }
    rmSync(lock, { force: true }); // its writer is gone
  }
  const release = () => {
    if (holderOf(lock) === process.pid) rmSync(lock, { force: true });
  };
  const forget = onExit(release);
  return () => {
    forget();
    release();
  };
}
