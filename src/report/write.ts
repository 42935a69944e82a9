import { mkdirSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError } from '../errors.ts';

/**
 * Writes every file into a temporary sibling directory, then renames it into place, so an
 * interrupted or failed run never leaves a half-written report that looks complete.
 */
export function writeReportDir(outDir: string, files: Record<string, string>): void {
  const target = resolve(outDir);
  const parent = dirname(target);
  const tmp = join(parent, `.tmp-${basename(target)}-${process.pid}`);
  const old = join(parent, `.old-${basename(target)}-${process.pid}`);
  try {
    mkdirSync(parent, { recursive: true });
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp);
    for (const [name, content] of Object.entries(files)) writeFileSync(join(tmp, name), content);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw new UserError(`${outDir}: cannot write the report (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  if (existsSync(target)) renameSync(target, old);
  renameSync(tmp, target);
  rmSync(old, { recursive: true, force: true });
}
