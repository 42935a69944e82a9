#!/usr/bin/env node
// Entry point. Huge pages first (see huge-pages.mjs: this may run the command again in a child
// and exit with its status), then the signal handlers (before the ~0.3 s of loading tsx: a
// Ctrl-C or SIGTERM at any moment from here on gets an answer, see util/signals.mjs), then TypeScript
// through tsx (no build step), then the CLI.
import { withHugePages } from './huge-pages.mjs';
import { installSignalHandlers } from '../util/signals.mjs';

// Only commands that simulate are worth the ~0.1 s a relaunch costs.
const SIMULATING = new Set(['run', 'check', 'compare', 'replay', 'sweep', 'plan']);
await withHugePages(SIMULATING.has(process.argv.slice(2).find((a) => !a.startsWith('-')) ?? ''));
installSignalHandlers();
const { register } = await import('tsx/esm/api');
register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv);
