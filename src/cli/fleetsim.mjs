#!/usr/bin/env node
// Entry point. `fleetsim`, `--help`, `--version` and `help` on their own are answered from the
// command table (commands.mjs) without TypeScript: that takes one bare Node start-up. Otherwise:
// huge pages first (see huge-pages.mjs: this may run the command again in a child and exit with
// its status), then the signal handlers (before TypeScript loads: a Ctrl-C or SIGTERM at any
// moment from here on gets an answer, see util/signals.mjs), then the CLI's TypeScript, compiled
// once into a cache (bundle-cache.mjs; through tsx where that cannot be had, no build step), which
// loads only the module of the command it runs.
import { mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withHugePages } from './huge-pages.mjs';
import { deliverPendingSignals, installSignalHandlers } from '../util/signals.mjs';
import { answerTopLevel, needsNoCommand } from './commands.mjs';
import { loadMain } from './bundle-cache.mjs';

const args = process.argv.slice(2);
if (!workingDirectoryExists()) {
  // run from a directory removed under the shell, loading tsx failed with a stack trace (uv_cwd)
  process.stderr.write('fleetsim: the current directory no longer exists (removed while the shell was in it); cd to an existing directory\n');
  process.exitCode = 2;
} else if (needsNoCommand(args)) {
  installSignalHandlers();
  process.exitCode = answerTopLevel(process.argv);
} else {
  // Only commands that simulate are worth the ~0.1 s a relaunch costs.
  const SIMULATING = new Set(['run', 'check', 'compare', 'replay', 'sweep', 'plan']);
  await withHugePages(SIMULATING.has(args.find((a) => !a.startsWith('-')) ?? ''));
  installSignalHandlers();
  // tsx keeps its compile cache in the temporary directory: where that cannot be written (a
  // read-only TMPDIR) it failed with a stack trace, so the cache is then kept in memory instead
  if (!temporaryDirectoryWritable()) process.env.TSX_DISABLE_CACHE = '1';
  const main = await loadMain();
  process.exitCode = await main(process.argv);
  // a Ctrl-C or SIGTERM that came while the outputs were written gets its answer (exit 130/143)
  await deliverPendingSignals();
}

/** Can a directory be made in the temporary directory (TMPDIR)? */
function temporaryDirectoryWritable() {
  try {
    rmdirSync(mkdtempSync(join(tmpdir(), 'fleetsim-')));
    return true;
  } catch {
    return false;
  }
}

/** Whether the process's working directory still exists (Node throws ENOENT reading it otherwise). */
function workingDirectoryExists() {
  try {
    process.cwd();
    return true;
  } catch {
    return false;
  }
}
