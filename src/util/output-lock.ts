import { linkSync, lstatSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { readHead } from './read-head.ts';
import { basename, dirname, join } from 'node:path';
import { UserError } from '../errors.ts';
import { escapeControls } from './excerpt.ts';
import { lockName, siblingName } from './sibling-name.mjs';
import { onExit } from './signals.mjs';
import { alive, errCode } from './write-atomic.ts';

/**
 * One writer per output at a time: two `run --out same` at once both exited 0, the second's
 * result silently replacing the first's. The writer holds `.lock-<name>` beside the output, a file
 * made only if missing and holding its pid (and, on Linux, when that process started); a lock whose
 * process is gone (killed outright), was started after the lock was made (its pid reused), or is
 * this very process (an earlier command of it, in tests) is taken over.
 */

/** The most a lock's text is read: a pid, its start time and a newline (a 1-GB file at the name was read whole). */
const LOCK_READ_BYTES = 64;

/**
 * When the process `pid` started, in clock ticks since boot (field 22 of /proc/<pid>/stat), or
 * undefined where there is no /proc (not Linux) or no such process. With the pid, it names one
 * process for good: a pid is reused, its start time with it is not.
 */
function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the fields after the command's name, which is in parentheses and may hold anything
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** What a lock records: a pid (NaN when it is not one) and, from a fleetsim on Linux, that process's start time. */
export interface Holder {
  pid: number;
  started?: string;
}

/**
 * The process a lock records. Only a regular file is read: reading a named pipe at the name blocked
 * the event loop, so that neither Ctrl-C nor SIGTERM ended the command.
 */
export function holderOf(lock: string): Holder {
  try {
    if (!lstatSync(lock).isFile()) return { pid: NaN };
    const head = readHead(lock, LOCK_READ_BYTES);
    const [pid, started, ...rest] = head.text.trim().split(' ');
    if (!head.whole || !/^[1-9]\d*$/.test(pid) || rest.length > 0 || (started !== undefined && !/^\d+$/.test(started))) return { pid: NaN };
    return { pid: Number(pid), ...(started === undefined ? {} : { started }) };
  } catch {
    return { pid: NaN }; // gone meanwhile: taken over below like a stale one
  }
}

/**
 * True when the lock's process runs still: its pid alive and, when the lock records a start time,
 * the process with that pid started then (another started later under a reused pid is no fleetsim
 * of ours, and held the output until the lock was removed by hand).
 */
function holderRuns(holder: Holder): boolean {
  if (!alive(holder.pid)) return false;
  const now = holder.started === undefined ? undefined : startTimeOf(holder.pid);
  return now === undefined || now === holder.started;
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

/**
 * A regular file at the lock's name that does not hold `pid[ start]` is no lock of fleetsim's (a
 * lock is linked into place whole): a user's notes there were read as pid NaN, taken over and
 * removed, and a 1-GB file removed unread. Refused, naming it; a lock gone meanwhile is not.
 */
function refuseUnreadableLock(lock: string, holder: Holder, outDir: string, what: string): void {
  if (!Number.isNaN(holder.pid)) return;
  try {
    if (!lstatSync(lock).isFile()) return;
  } catch {
    return; // removed meanwhile: the next attempt makes ours
  }
  throw new UserError(`${escapeControls(outDir)}: ${what}: ${escapeControls(lock)} expected fleetsim's lock file (a pid and its start time), got a file holding something else; remove it or choose another ${what}`);
}

/** Makes `lock` holding our pid, whole or not at all (written aside, then linked: link fails if it exists). */
function tryCreate(lock: string): boolean {
  const aside = join(dirname(lock), siblingName('tmp', basename(lock), process.pid));
  const started = startTimeOf(process.pid);
  writeFileSync(aside, `${process.pid}${started === undefined ? '' : ` ${started}`}\n`);
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
 * Removes `lock` only while it is still the one judged stale (`stale`, as read): two writers that
 * found the same dead lock at one instant both removed "it", the second removing the lock the first
 * had just made, and both went on to write. The lock is moved aside (a rename is atomic), read
 * again, and linked back if it is another's (a link fails where a third made one meanwhile).
 */
export function removeLockIfStill(lock: string, stale: Holder): void {
  const aside = join(dirname(lock), siblingName('old', basename(lock), process.pid));
  try {
    renameSync(lock, aside);
  } catch (e) {
    if (errCode(e) === 'ENOENT') return; // removed meanwhile: the next attempt makes ours
    throw e;
  }
  const moved = holderOf(aside);
  if (!Object.is(moved.pid, stale.pid) || moved.started !== stale.started) {
    try {
      linkSync(aside, lock);
    } catch (e) {
      if (errCode(e) !== 'EEXIST') throw e;
    }
  }
  rmSync(aside, { force: true });
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
    refuseUnreadableLock(lock, holder, outDir, what);
    if ((holderRuns(holder) && holder.pid !== process.pid) || attempt === 2) {
      // where /proc tells no start time, a reused pid may still name a process that is no fleetsim
      const who = Number.isNaN(holder.pid) ? 'another fleetsim' : `another fleetsim (pid ${holder.pid})`;
      throw new UserError(`${escapeControls(outDir)}: ${what} is being written by ${who}, which holds ${escapeControls(lock)}; wait for it or choose another ${what} (if no fleetsim is writing it, remove the lock)`);
    }
    removeLockIfStill(lock, holder); // its writer is gone
  }
  const release = () => {
    if (holderOf(lock).pid === process.pid) rmSync(lock, { force: true });
  };
  const forget = onExit(release);
  return () => {
    forget();
    release();
  };
}
