import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError } from '../errors.ts';
import { fileInside } from '../util/file-inside.ts';

/** Files that mark a directory as one of ours (safe to replace with a new result). */
const MARKERS = ['summary.json', 'sweep.json', 'shard.json', 'plan.json'];

/**
 * Refuses an --out target that is not ours to replace: a file, or a non-empty directory without
 * a fleetsim marker (summary.json, sweep.json, shard.json, plan.json). Called before simulating.
 */
export function checkOutTarget(outDir: string): void {
  const target = resolve(outDir);
  if (!existsSync(target)) return;
  if (!statSync(target).isDirectory()) throw new UserError(`${outDir}: --out expected a directory, got an existing file`);
  const entries = readdirSync(target);
  if (entries.length > 0 && !entries.some((e) => MARKERS.includes(e))) {
    throw new UserError(`${outDir}: --out expected a new or empty directory, or an earlier fleetsim output; refusing to replace a directory holding ${entries.length} other entries`);
  }
}

/**
 * A directory written in a temporary sibling and renamed into place on `commit`, so an
 * interrupted or failed run never leaves a half-written output that looks complete. Files may be
 * written as they are produced (shard runs), in subdirectories.
 */
export class TreeWriter {
  private readonly target: string;
  private readonly tmp: string;
  private done = false;

  constructor(private readonly outDir: string) {
    checkOutTarget(outDir);
    this.target = resolve(outDir);
    const parent = dirname(this.target);
    this.tmp = join(parent, `.tmp-${basename(this.target)}-${process.pid}`);
    this.guard(() => {
      mkdirSync(parent, { recursive: true });
      rmSync(this.tmp, { recursive: true, force: true });
      mkdirSync(this.tmp);
    });
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.abort();
      throw new UserError(`${this.outDir}: cannot write the output (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
  }

  write(rel: string, content: string): void {
    this.guard(() => {
      // Never a name that climbs out of the output, never through a symlink ('wx': a new file only).
      const file = fileInside(this.tmp, rel);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, content, { flag: 'wx' });
    });
  }

  writeAll(files: Record<string, string>): void {
    for (const [rel, content] of Object.entries(files)) this.write(rel, content);
  }

  commit(): void {
    const old = join(dirname(this.target), `.old-${basename(this.target)}-${process.pid}`);
    if (existsSync(this.target)) renameSync(this.target, old);
    renameSync(this.tmp, this.target);
    rmSync(old, { recursive: true, force: true });
    this.done = true;
  }

  abort(): void {
    if (this.done) return;
    this.done = true;
    try {
      rmSync(this.tmp, { recursive: true, force: true });
    } catch {
      /* nothing to clean up */
    }
  }
}

/** Writes a whole tree at once (atomically). */
export function writeTree(outDir: string, files: Record<string, string>): void {
  const w = new TreeWriter(outDir);
  w.writeAll(files);
  w.commit();
}
