#!/usr/bin/env node
// Entry point: load TypeScript through tsx (no build step), then run the CLI.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv);
