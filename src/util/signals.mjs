// Ctrl-C and SIGTERM for the process that runs a command. Plain JavaScript (type-checked through
// JSDoc) so the entry point installs it before loading tsx (~0.3 s): from then on no signal meets
// Node's default action, which would end the process with no word said.
import { constants as osConstants } from 'node:os';

/** Exit code of a run stopped by Ctrl-C (128 + SIGINT), as shells report it. */
export const EXIT_INTERRUPTED = 130;
/** Exit code of a run stopped by SIGTERM (128 + 15): `docker stop`, a Kubernetes pod deletion. */
export const EXIT_TERMINATED = 143;

/** @typedef {(signal: 'SIGINT' | 'SIGTERM') => void} InterruptHandler */

/** Handlers of the runs that stop gracefully (see progress.ts, Interrupt); the newest one gets the signal. */
/** @type {InterruptHandler[]} */
const listeners = [];
/** Run at exit however the process ends (process.exit included): removal of temporary output directories. */
/** @type {Set<() => void>} */
const exitHooks = new Set();
let installed = false;
let exitListening = false;
/** Outputs the command has put in place (OutputDir.commit, writeFileAtomic): what a late signal must not call unwritten. */
/** @type {string[]} */
const written = [];

/**
 * Records an output put in place, for the message of a signal that arrives afterwards.
 * @param {string} path
 */
export function noteWritten(path) {
  // the last few are all a message needs (one process may write many, as the test suite does)
  if (written.length === 4) written.shift();
  written.push(path);
}

/**
 * Lets a signal that arrived during the command's last synchronous work (writing its outputs)
 * reach its handler before the process ends: Node delivers signals between turns of the event
 * loop, and a loop with nothing left to do ends without one, so such a signal went unanswered
 * (exit 0, no word). A turn of the loop through its poll phase delivers it.
 * @returns {Promise<void>}
 */
export function deliverPendingSignals() {
  // two immediates: the first may run before the loop has polled since the signal came
  return new Promise((done) => setImmediate(() => setImmediate(done)));
}

/** @param {'SIGINT' | 'SIGTERM'} signal */
export function exitCodeFor(signal) {
  return 128 + /** @type {Record<string, number>} */ (osConstants.signals)[signal];
}

/**
 * Installs the process's SIGINT and SIGTERM handlers (idempotent). While a run listens
 * (onInterrupt) the signal is its own to handle: it stops and writes what it simulated. Otherwise
 * the command exits at once with 130 or 143: its outputs are written atomically (a temporary
 * directory renamed into place, removed by an exit hook), so nothing half-written stays. A
 * process without a SIGTERM handler also ignores the signal as PID 1 (in a container), so
 * `docker stop` would wait out the grace period.
 */
export function installSignalHandlers() {
  if (installed) return;
  installed = true;
  for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
    process.on(signal, () => {
      const listener = listeners[listeners.length - 1];
      if (listener) return listener(signal);
      const how = signal === 'SIGINT' ? 'interrupted (Ctrl-C)' : 'terminated (SIGTERM)';
      // after the outputs were put in place they are whole (written atomically): say so, not "nothing written"
      const what = written.length === 0 ? 'nothing written' : `after writing ${written.join(', ')} (complete)`;
      process.stderr.write(`\nfleetsim: ${how}; ${what}\n`);
      process.exit(exitCodeFor(signal));
    });
  }
}

/**
 * Routes SIGINT and SIGTERM to `handler` until the returned function is called.
 * @param {InterruptHandler} handler
 * @returns {() => void}
 */
export function onInterrupt(handler) {
  installSignalHandlers();
  listeners.push(handler);
  return () => {
    const i = listeners.lastIndexOf(handler);
    if (i >= 0) listeners.splice(i, 1);
  };
}

/**
 * Runs `hook` when the process exits, whatever the path (process.exit included), until the
 * returned function is called. Hooks must be synchronous.
 * @param {() => void} hook
 * @returns {() => void}
 */
export function onExit(hook) {
  if (!exitListening) {
    exitListening = true;
    process.on('exit', runExitHooks);
  }
  exitHooks.add(hook);
  return () => {
    exitHooks.delete(hook);
  };
}

function runExitHooks() {
  for (const hook of [...exitHooks]) {
    try {
      hook();
    } catch {
      // best effort: the process is ending
    }
  }
  exitHooks.clear();
}
