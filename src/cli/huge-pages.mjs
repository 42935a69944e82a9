// Plain JavaScript (type-checked through JSDoc) so the entry point can decide before loading tsx,
// which costs ~0.3 s: a relaunch then costs one bare Node start-up.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { constants as osConstants } from 'node:os';
import { isMainThread } from 'node:worker_threads';
import { LAUNCHER_PID, RELAUNCHED, watchParent } from '../util/launcher.mjs';
import { siblingName } from '../util/sibling-name.mjs';
export { EXIT_ORPHANED, exitOrphaned, launcherGone, watchParent } from '../util/launcher.mjs';

/*
 * Transparent huge pages for the simulation's state.
 *
 * A full-fleet run keeps ~900 MB of typed arrays (requests, GPU slots, users) and touches them at
 * random; with 4 KiB pages nearly every such touch also misses the TLB, and under a hypervisor a
 * page walk is itself several memory reads. Linux backs memory with 2 MiB pages when the process
 * asks (madvise), which Node's allocator never does; glibc's malloc does it for every large block
 * when GLIBC_TUNABLES says `glibc.malloc.hugetlb=1`. glibc reads that variable once, at process
 * start, so a process without it starts itself again with it, once, and relays signals and the
 * exit status (see relaunchWithHugePages); the child never outlives it (watchParent).
 *
 * Off with FLEETSIM_HUGE_PAGES=0, or by setting glibc.malloc.hugetlb yourself. Nothing happens on
 * other systems, without glibc, or when the kernel's THP mode is `always` (already on) or `never`.
 */

const TUNABLE = 'glibc.malloc.hugetlb';
/** Signals passed on to the child as they are (SIGWINCH: a terminal resize, for the progress bar). */
/** @type {NodeJS.Signals[]} */
const RELAYED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGWINCH'];

/**
 * @typedef {object} HugePageEnv
 * @property {NodeJS.Platform} platform
 * @property {NodeJS.ProcessEnv} env
 * @property {string | null} thpMode contents of /sys/kernel/mm/transparent_hugepage/enabled, null if unreadable
 * @property {string | undefined} glibc glibc's version when the process runs on glibc
 */

/**
 * The GLIBC_TUNABLES value to relaunch with, or null when relaunching would not help.
 * @param {HugePageEnv} h
 * @returns {string | null}
 */
export function hugePageTunables(h) {
  if (h.platform !== 'linux' || h.env.FLEETSIM_HUGE_PAGES === '0' || h.env[RELAUNCHED] === '1') return null;
  const current = h.env.GLIBC_TUNABLES ?? '';
  if (current.includes(TUNABLE)) return null; // the user chose
  if (h.thpMode === null || !h.thpMode.includes('[madvise]')) return null;
  if (h.glibc === undefined) return null;
  return current === '' ? `${TUNABLE}=1` : `${current}:${TUNABLE}=1`;
}

/** @returns {HugePageEnv} */
export function probeHugePages() {
  /** @type {string | null} */
  let thpMode = null;
  try {
    thpMode = readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8');
  } catch {
    // no THP on this kernel
  }
  // The report is built only when the cheaper checks pass (it takes a few ms).
  const report = thpMode?.includes('[madvise]') ? /** @type {{ header?: { glibcVersionRuntime?: string } }} */ (process.report?.getReport()) : undefined;
  return { platform: process.platform, env: process.env, thpMode, glibc: report?.header?.glibcVersionRuntime };
}

/**
 * In the main thread of a process that would gain from huge pages: runs this same command line
 * again in a child with the tunable and resolves to its exit code (128 + n if signal n ended it);
 * the caller exits with it. Otherwise resolves to null and the caller carries on.
 *
 * The child gets its own session, so a Ctrl-C at the terminal reaches this process alone and is
 * relayed exactly once (a second Ctrl-C means "exit now" to the CLI); Ctrl-Z stops both. The
 * handlers are in place before the child starts, so no signal finds this process without them
 * while the child runs. After a second Ctrl-C or SIGTERM this process waits at most
 * SECOND_SIGNAL_GRACE_MS for the child, then kills it (SIGKILL) and exits: the child never
 * outlives the command. If this process dies without a word (SIGKILL), the child notices within
 * ORPHAN_CHECK_MS and exits without writing anything (watchParent).
 * @returns {Promise<number | null>}
 */
export async function relaunchWithHugePages() {
  if (!isMainThread) return null;
  const tunables = hugePageTunables(probeHugePages());
  if (tunables === null) return null;
  /** @type {import('node:child_process').ChildProcess | undefined} */
  let child;
  /** @type {NodeJS.Signals[]} */
  const stopSignals = [];
  /** @param {NodeJS.Signals} sig */
  const relay = (sig) => {
    child?.kill(sig);
    if ((sig === 'SIGINT' || sig === 'SIGTERM') && stopSignals.push(sig) === 2) {
      setTimeout(() => child?.kill('SIGKILL'), SECOND_SIGNAL_GRACE_MS).unref();
    }
  };
  // Ctrl-Z: stop the child, then this process; `fg` (SIGCONT) resumes both.
  const suspend = () => {
    child?.kill('SIGSTOP');
    process.kill(process.pid, 'SIGSTOP');
  };
  const resume = () => {
    child?.kill('SIGCONT');
  };
  for (const s of RELAYED) process.on(s, relay);
  process.on('SIGTSTP', suspend);
  process.on('SIGCONT', resume);
  const started = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, GLIBC_TUNABLES: tunables, [RELAUNCHED]: '1', [LAUNCHER_PID]: String(process.pid) },
    detached: true,
  });
  child = started;
  return new Promise((resolve) => {
    started.on('error', (e) => {
      process.stderr.write(`fleetsim: could not start again with huge pages (${e.message}); set FLEETSIM_HUGE_PAGES=0\n`);
      resolve(70);
    });
    started.on('exit', (code, signal) => {
      for (const s of RELAYED) process.off(s, relay);
      process.off('SIGTSTP', suspend);
      process.off('SIGCONT', resume);
      if (code !== null) return resolve(code);
      // Killed by a signal: one relayed before the child had its handlers, or the SIGKILL after a
      // second Ctrl-C. Either way the command was interrupted and wrote nothing, and what the child
      // had begun to write (it was killed before its exit handlers ran) goes with it.
      if (started.pid !== undefined) removeLeftovers(process.argv.slice(2), started.pid);
      const by = stopSignals[stopSignals.length - 1] ?? signal ?? 'SIGTERM';
      if (by === 'SIGINT' || by === 'SIGTERM') process.stderr.write(`\nfleetsim: ${by === 'SIGINT' ? 'interrupted (Ctrl-C)' : 'terminated (SIGTERM)'}; nothing written\n`);
      resolve(128 + (/** @type {Record<string, number>} */ (osConstants.signals)[by] ?? 0));
    });
  });
}

/**
 * The temporary siblings a killed child left beside its outputs (`--out`, `--junit`):
 * `.tmp-<name>-<pid>` (the report or file being written) is removed; `.old-<name>-<pid>` (an earlier
 * report moved aside) is put back when the target is missing, else removed. A double Ctrl-C while the
 * child built its report (synchronous, past the grace below) left them after the command had exited.
 * @param {string[]} args
 * @param {number} pid
 */
export function removeLeftovers(args, pid) {
  /** @type {string[]} */
  const targets = [];
  args.forEach((a, i) => {
    for (const flag of ['--out', '--junit']) {
      if (a === flag && args[i + 1] !== undefined) targets.push(args[i + 1]);
      else if (a.startsWith(`${flag}=`)) targets.push(a.slice(flag.length + 1));
    }
  });
  for (const target of targets.filter((t) => t.trim() !== '')) {
    for (const name of [basename(resolve(target)), `${basename(resolve(target))}.partial`]) {
      const full = join(dirname(resolve(target)), name);
      const old = join(dirname(full), siblingName('old', name, pid));
      try {
        rmSync(join(dirname(full), siblingName('tmp', name, pid)), { recursive: true, force: true });
        if (existsSync(old)) {
          if (existsSync(full)) rmSync(old, { recursive: true, force: true });
          else renameSync(old, full);
        }
      } catch {
        // best effort: the next write beside the target removes what a dead process left (cleanStale)
      }
    }
  }
}

/** After a second Ctrl-C or SIGTERM, how long the launcher waits for the child before killing it. */
const SECOND_SIGNAL_GRACE_MS = 1000;

/**
 * For entry points: where huge pages help, run the command again with them and exit with its
 * status; otherwise return. `worthIt` false skips the relaunch (~0.1 s) for quick commands.
 * @param {boolean} [worthIt]
 */
export async function withHugePages(worthIt = true) {
  const code = worthIt ? await relaunchWithHugePages() : null;
  if (code !== null) process.exit(code);
  watchParent();
}

/**
 * KiB of this process's memory the kernel backs with huge pages (/proc/self/smaps_rollup), or
 * null where that cannot be read (not Linux).
 * @returns {number | null}
 */
export function hugePagesKiB() {
  try {
    const m = /AnonHugePages:\s+(\d+) kB/.exec(readFileSync('/proc/self/smaps_rollup', 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}
