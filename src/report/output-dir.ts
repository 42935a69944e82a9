import { existsSync, lstatSync, mkdirSync, readdirSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { fileInside } from '../util/file-inside.ts';
import { checkNotInput } from '../util/not-input.ts';
import { cleanStale, errCode } from '../util/write-atomic.ts';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError } from '../errors.ts';
import { escapeControls } from '../util/excerpt.ts';
import { noteWritten, onExit } from '../util/signals.mjs';
import { exitOrphaned, launcherGone } from '../util/launcher.mjs';
import { siblingName } from '../util/sibling-name.mjs';

/**
 * Output directories (--out) and files (--junit), written so that what a reader finds is either
 * the previous output or the whole new one, never a mixture, and nothing is left behind:
 *
 * - files go into a temporary sibling `.tmp-<name>-<pid>`, renamed into place at the end (an old
 *   output is first renamed to `.old-<name>-<pid>`, then removed);
 * - the temporary directory is created before simulating, so an --out that cannot be written
 *   fails at once (exit 2), not after an hour of simulation;
 * - it is removed however the process exits (process.exit included: signals.mjs runs the hook);
 *   one left by a process killed outright (SIGKILL) is recognised by its name, its pid being dead,
 *   and removed by the next run writing the same output (an `.old-` one is put back first when
 *   the rename into place never happened);
 * - a relaunched child (huge-pages.mjs) whose launcher is gone renames nothing into place;
 * - an output never is, holds or sits inside one of the command's inputs.
 */

export { checkNotInput };

/** Where a symbolic link to a directory points (the path itself otherwise). */
function linkedDirectory(path: string): string {
  try {
    return lstatSync(path).isSymbolicLink() && statSync(path).isDirectory() ? realpathSync(path) : path;
  } catch {
    return path; // missing, or a dangling link: written as the path names it
  }
}

/** Files that mark a directory as one of ours (safe to replace with a new result). */
export const OUTPUT_MARKERS = ['summary.json', 'sweep.json', 'shard.json', 'plan.json', 'replay.json'];

/**
 * Refuses an --out target that is not ours to replace: a file, or a non-empty directory without
 * one of `markers` (summary.json, sweep.json, ...). Called before simulating.
 */
export function checkOutTarget(outDir: string, markers: readonly string[] = OUTPUT_MARKERS, what = '--out'): void {
  const target = resolve(outDir);
  if (!existsSync(target)) return;
  if (!statSync(target).isDirectory()) throw new UserError(`${escapeControls(outDir)}: ${what} expected a directory, got an existing file`);
  const entries = readdirSync(target);
  if (entries.length > 0 && !entries.some((e) => markers.includes(e))) {
    throw new UserError(`${escapeControls(outDir)}: ${what} expected a new or empty directory, or an earlier fleetsim output (with ${markers.join(' or ')}); refusing to replace a directory holding ${entries.length} other entries`);
  }
}

/** How the messages name `<out>.partial`, a path the user never typed. */
const PARTIAL_WHAT = 'the report path of an interrupted run (--out + .partial)';

/** Puts `tmp` in place of `target` (the old one, if any, renamed aside first, then removed). */
function swapInto(tmp: string, target: string): void {
  // Nobody waits for this command any more: put nothing in place (see huge-pages.mjs).
  if (launcherGone()) exitOrphaned();
  const old = join(dirname(target), siblingName('old', basename(target), process.pid));
  const hadOld = existsSync(target);
  if (hadOld) renameSync(target, old);
  renameSync(tmp, target);
  if (hadOld) rmSync(old, { recursive: true, force: true });
}


/**
 * A directory written in a temporary sibling and renamed into place on `commit`. Files may be
 * written as they are produced (shard runs), in subdirectories. Opened before simulating.
 */
export class OutputDir {
  private readonly target: string;
  private readonly tmp: string;
  private done = false;
  private readonly forget: () => void;
  private readonly inputs: readonly string[];
  private readonly markers: readonly string[] | undefined;

  /**
   * `partial`: where an interrupted run will commit instead (`<out>.partial`), checked now like
   * `outDir` itself: a Ctrl-C must not be what finds it holds an input, nor throw the simulated
   * work away because it is not ours to replace.
   */
  constructor(
    private readonly outDir: string,
    opts: { markers?: readonly string[]; inputs?: readonly string[]; partial?: string } = {},
  ) {
    this.inputs = opts.inputs ?? [];
    this.markers = opts.markers;
    checkNotInput(outDir, this.inputs);
    checkOutTarget(outDir, opts.markers);
    if (opts.partial !== undefined) this.checkElsewhere(opts.partial);
    // through a link to a directory, the report goes where the link points: replacing the link
    // itself with a directory left its target empty and the user's link gone
    this.target = linkedDirectory(resolve(outDir));
    const parent = dirname(this.target);
    this.tmp = join(parent, siblingName('tmp', basename(this.target), process.pid));
    this.forget = onExit(() => rmSync(this.tmp, { recursive: true, force: true }));
    this.guard(() => {
      mkdirSync(parent, { recursive: true });
      cleanStale(this.target);
      rmSync(this.tmp, { recursive: true, force: true });
      mkdirSync(this.tmp);
    });
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.abort();
      throw new UserError(`${escapeControls(this.outDir)}: cannot write the output (${errCode(e)})`);
    }
  }

  write(rel: string, content: string): void {
    this.guard(() => {
      // never a name that climbs out of the output, never through a symlink ('wx': a new file only)
      const file = fileInside(this.tmp, rel);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, content, { flag: 'wx' });
    });
  }

  writeAll(files: Record<string, string>): void {
    for (const [rel, content] of Object.entries(files)) this.write(rel, content);
  }

  /**
   * Renames the written tree into place: at --out, or at `elsewhere` (a sibling path such as
   * `<out>.partial`, which must itself be new or one of ours).
   */
  commit(elsewhere?: string): void {
    const target = elsewhere === undefined ? this.target : resolve(elsewhere);
    if (elsewhere !== undefined) {
      // checked when opened too; again here, as the file system may have changed meanwhile
      this.checkElsewhere(elsewhere);
      cleanStale(target);
    }
    this.guard(() => swapInto(this.tmp, target));
    this.done = true;
    this.forget();
    noteWritten(`${elsewhere ?? this.outDir}/`);
  }

  private checkElsewhere(path: string): void {
    checkNotInput(path, this.inputs, PARTIAL_WHAT, '--out');
    checkOutTarget(path, this.markers, PARTIAL_WHAT);
  }

  abort(): void {
    if (this.done) return;
    this.done = true;
    this.forget();
    try {
      rmSync(this.tmp, { recursive: true, force: true });
    } catch {
      /* nothing to clean up */
    }
  }
}

/** Writes a whole tree at once (atomically). */
export function writeTree(outDir: string, files: Record<string, string>, inputs: readonly string[] = []): void {
  const w = new OutputDir(outDir, { inputs });
  w.writeAll(files);
  w.commit();
}

