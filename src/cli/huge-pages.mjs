// Plain JavaScript (type-checked through JSDoc) so the entry point can decide before loading tsx,
// which costs ~0.3 s: a relaunch then costs one bare Node start-up.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { isMainThread } from 'node:worker_threads';

/*
 * Transparent huge pages for the simulation's state.
 *
 * A full-fleet run keeps ~900 MB of typed arrays (requests, GPU slots, users) and touches them at
 * random; with 4 KiB pages nearly every such touch also misses the TLB, and under a hypervisor a
 * page walk is itself several memory reads. Linux backs memory with 2 MiB pages when the process
 * asks (madvise), which Node's allocator never does; glibc's malloc does it for every large block
 * when GLIBC_TUNABLES says `glibc.malloc.hugetlb=1`. glibc reads that variable once, at process
 * start, so a process without it starts itself again with it, once, and relays signals and the
 * exit status (see relaunchWithHugePages).
 *
 * Off with FLEETSIM_HUGE_PAGES=0, or by setting glibc.malloc.hugetlb yourself. Nothing happens on
 * other systems, without glibc, or when the kernel's THP mode is `always` (already on) or `never`.
 */

const TUNABLE = 'glibc.malloc.hugetlb';
/** Set in the relaunched process: never relaunch again. */
const RELAUNCHED = 'FLEETSIM_RELAUNCHED';
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
 * relayed exactly once (a second Ctrl-C means "exit now" to the CLI); Ctrl-Z stops both. If this
 * process dies without relaying (SIGKILL), the child sees its IPC channel close and stops as on
 * SIGTERM (watchParent).
 * @returns {Promise<number | null>}
 */
export async function relaunchWithHugePages() {
  if (!isMainThread) return null;
  const tunables = hugePageTunables(probeHugePages());
  if (tunables === null) return null;
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, GLIBC_TUNABLES: tunables, [RELAUNCHED]: '1' },
    detached: true,
  });
  /** @param {NodeJS.Signals} sig */
  const relay = (sig) => {
    child.kill(sig);
  };
  // Ctrl-Z: stop the child, then this process; `fg` (SIGCONT) resumes both.
  const suspend = () => {
    child.kill('SIGSTOP');
    process.kill(process.pid, 'SIGSTOP');
  };
  const resume = () => {
    child.kill('SIGCONT');
  };
  for (const s of RELAYED) process.on(s, relay);
  process.on('SIGTSTP', suspend);
  process.on('SIGCONT', resume);
  return new Promise((resolve) => {
    child.on('error', (e) => {
      process.stderr.write(`fleetsim: could not start again with huge pages (${e.message}); set FLEETSIM_HUGE_PAGES=0\n`);
      resolve(70);
    });
    child.on('exit', (code, signal) => {
      for (const s of RELAYED) process.off(s, relay);
      process.off('SIGTSTP', suspend);
      process.off('SIGCONT', resume);
      resolve(code ?? 128 + (signal ? (/** @type {Record<string, number>} */ (osConstants.signals)[signal] ?? 0) : 0));
    });
  });
}

/** In a relaunched child: stop (as on SIGTERM) when the parent goes away without relaying a signal. */
export function watchParent() {
  if (process.env[RELAUNCHED] !== '1' || !process.channel) return;
  process.channel.unref(); // the channel alone must not keep the process alive
  process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}

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
