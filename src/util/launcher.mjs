// The relaunched child's side of the huge-page relaunch (cli/huge-pages.mjs): is the launcher
// still there? Plain JavaScript, below every layer, because writers (report/output-dir.ts) ask it
// just before they put an output in place.

/** Set in the relaunched process: never relaunch again. */
export const RELAUNCHED = 'FLEETSIM_RELAUNCHED';
/** Set in the relaunched process: the launcher's pid, to tell when it is gone. */
export const LAUNCHER_PID = 'FLEETSIM_LAUNCHER_PID';

/** Exit code of a relaunched child whose launcher went away (128 + SIGHUP: the other end hung up). */
export const EXIT_ORPHANED = 129;
/** How often a relaunched child checks that its launcher is still there (a cheap getppid). */
const ORPHAN_CHECK_MS = 100;

/**
 * True in a relaunched child whose launcher is gone: the child was then re-parented (to init or
 * a subreaper), so its parent pid is no longer the launcher's. Always false outside a relaunch.
 * Writers ask this just before putting an output in place (see sweep-output.ts).
 */
export function launcherGone() {
  if (process.env[RELAUNCHED] !== '1') return false;
  const launcher = Number(process.env[LAUNCHER_PID]);
  return Number.isInteger(launcher) && launcher > 0 && process.ppid !== launcher;
}

/** The launcher is gone: nobody waits for this command any more. Exit without writing anything. */
export function exitOrphaned() {
  process.exit(EXIT_ORPHANED); // exit hooks remove temporary output directories (signals.mjs)
}

/**
 * In a relaunched child: exit without writing anything once the launcher is gone, whatever ended
 * it. Linux's parent-death signal (prctl PR_SET_PDEATHSIG) is out of Node's reach, so the child
 * watches twice: the IPC channel closes when the launcher dies ('disconnect', at once), and the
 * parent pid changes when the child is re-parented (polled every ORPHAN_CHECK_MS, which also
 * covers a launcher that died before this listener was attached). The simulation yields to the
 * event loop every few tens of milliseconds (run-sliced.ts), so both are seen while it runs, and
 * writers check launcherGone() before renaming an output into place.
 */
export function watchParent() {
  if (process.env[RELAUNCHED] !== '1') return;
  if (launcherGone()) exitOrphaned();
  if (process.channel) {
    process.channel.unref(); // the channel alone must not keep the process alive
    process.on('disconnect', exitOrphaned);
  }
  setInterval(() => {
    if (launcherGone()) exitOrphaned();
  }, ORPHAN_CHECK_MS).unref();
}

