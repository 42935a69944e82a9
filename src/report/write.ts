import { mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError } from '../errors.ts';
import { fileInside } from '../util/file-inside.ts';

/**
 * Refuses an --out target that is not ours to replace: a file, or a non-empty directory that does
 * not hold a fleetsim report (no summary.json). Called before simulating, so a bad path fails fast.
 */
export function checkReportTarget(outDir: string): void {
  const target = resolve(outDir);
  if (!existsSync(target)) return;
  if (!statSync(target).isDirectory()) throw new UserError(`${outDir}: --out expected a directory, got an existing file`);
  const entries = readdirSync(target);
  if (entries.length > 0 && !entries.includes('summary.json')) {
    throw new UserError(`${outDir}: --out expected a new or empty directory, or an earlier report (with summary.json); refusing to replace a directory holding ${entries.length} other entries`);
  }
}

/**
 * Writes every file into a temporary sibling directory, then renames it into place, so an
 * interrupted or failed run never leaves a half-written report that looks complete.
 */
export function writeReportDir(outDir: string, files: Record<string, string>): void {
  checkReportTarget(outDir);
  const target = resolve(outDir);
  const parent = dirname(target);
  const tmp = join(parent, `.tmp-${basename(target)}-${process.pid}`);
  const old = join(parent, `.old-${basename(target)}-${process.pid}`);
  try {
    mkdirSync(parent, { recursive: true });
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp);
    // 'wx': a new file only, never through a symlink; fileInside: never a name that climbs out of --out.
    for (const [name, content] of Object.entries(files)) writeFileSync(fileInside(tmp, name), content, { flag: 'wx' });
  } catch (e) {
    try { rmSync(tmp, { recursive: true, force: true }); } catch { /* nothing to clean up, e.g. the parent is a file */ }
    throw new UserError(`${outDir}: cannot write the report (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  if (existsSync(target)) renameSync(target, old);
  renameSync(tmp, target);
  rmSync(old, { recursive: true, force: true });
}
