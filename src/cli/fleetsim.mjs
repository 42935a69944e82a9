#!/usr/bin/env node
// Entry point. Huge pages first (see huge-pages.mjs: this may run the command again in a child
// and exit with its status), then TypeScript through tsx (no build step), then the CLI.
import { withHugePages } from './huge-pages.mjs';

await withHugePages();
const { register } = await import('tsx/esm/api');
register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv);
