import { existsSync, lstatSync, mkdirSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { fileInside } from '../util/file-inside.ts';
import { checkNotInput } from '../util/not-input.ts';
import { cleanStale, errCode } from '../util/write-atomic.ts';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { UserError } from '../errors.ts';
import { escapeControls } from '../util/excerpt.ts';
import { noteWritten, onExit } from '../util/signals.mjs';
import { exitOrphaned, launcherGone } from '../util/launcher.mjs';
import { siblingName } from '../util/sibling-name.mjs';
import { lockOutput } from '../util/output-lock.ts';
import { ManifestBuilder, MANIFEST_FILE } from './output-manifest.ts';
import { ALL_OUTPUT_KINDS, foreignEntries, laidOutAsSomeKind, MAX_WALKED_ENTRIES, OUTPUT_KINDS, pathOfKind, type Foreign, type OutputKindName } from './output-layout.ts';

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

/**
 * What keeps a directory from being made at `dir`: its nearest existing ancestor (itself included)
 * when that is not a directory ("X is a file"), or a link to nothing on the way ("X is a link to
 * nothing"); undefined when neither.
 */
function fileOnTheWay(dir: string): string | undefined {
  for (let p = dir; ; p = dirname(p)) {
    try {
      return statSync(p).isDirectory() ? undefined : `${escapeControls(p)} is a file`;
    } catch {
      if (isLinkToNothing(p)) return `${escapeControls(p)} is a link to nothing`;
      if (dirname(p) === p) return undefined; // the root: nothing on the way
    }
  }
}

function isLinkToNothing(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** How many foreign entries a refusal names (a project may hold hundreds). */
const NAMED_ENTRIES = 5;

/**
 * Refuses an --out target that is not ours to replace: a file, or a non-empty directory that is not
 * an earlier output of one of `kinds` (its marker fleetsim's own, every other entry, to the last
 * file in its subdirectories, one fleetsim writes there: output-layout.ts), naming what fleetsim did
 * not write, or the other kind of fleetsim output it is. Called before simulating, and again
 * before the new output is renamed into place.
 */
export function checkOutTarget(outDir: string, kinds: readonly OutputKindName[] = ALL_OUTPUT_KINDS, what = '--out', movedAside?: string): void {
  // `movedAside`: where the output was renamed to be judged once more (swapInto), named as `outDir`
  const target = movedAside ?? resolve(outDir);
  if (!existsSync(target)) return;
  if (!statSync(target).isDirectory()) throw new UserError(`${escapeControls(outDir)}: ${what} expected a directory, got an existing file`);
  // replaced by a rename, the directory the command runs in (or one holding it, or a link to
  // either) would leave its shell in a removed one
  if (holdsWorkingDirectory(target)) throw new UserError(`${escapeControls(outDir)}: ${what} expected a directory other than the current one or one holding it, which a new output would replace (the shell would be left in a removed directory); choose a subdirectory`);
  const foreign = foreignEntries(target, kinds);
  const markers = kinds.map((k) => OUTPUT_KINDS[k].marker).join(' or ');
  const expected = `${escapeControls(outDir)}: ${what} expected a new or empty directory, or an earlier fleetsim output (${markers} and the files fleetsim writes beside it)`;
  if (foreign.too_many) throw new UserError(`${expected}; refusing to replace a directory of more than ${MAX_WALKED_ENTRIES.toLocaleString('en-US')} entries, more than any fleetsim output holds; choose another --out or empty it`);
  if (foreign.paths.length === 0) return;
  refuseOtherKind(outDir, target, kinds, what);
  const named = foreign.paths.slice(0, NAMED_ENTRIES).map(escapeControls).join(', ');
  const more = foreign.paths.length > NAMED_ENTRIES ? ` and ${foreign.paths.length - NAMED_ENTRIES} more` : '';
  throw new UserError(`${expected}; refusing to replace a directory holding what fleetsim did not write: ${named}${more}; choose another --out or empty it`);
}

/**
 * Refuses `target` when it is, whole, a fleetsim output of a kind this command does not replace (a
 * sweep's, under run --out), saying so: calling its sweep.json "what fleetsim did not write" was wrong.
 */
function refuseOtherKind(outDir: string, target: string, kinds: readonly OutputKindName[], what: string): void {
  const other = ALL_OUTPUT_KINDS.find((k) => !kinds.includes(k) && isWhole(foreignEntries(target, [k])));
  if (other === undefined) return;
  const replaced = kinds.map((k) => OUTPUT_KINDS[k].noun).join(' or ');
  // the .partial path is not one the user typed: "choose another the report path of ..." read garbled
  const way = what === PARTIAL_WHAT ? `choose another --out or remove ${escapeControls(outDir)}` : `choose another ${what} or remove it`;
  throw new UserError(`${escapeControls(outDir)}: ${what} holds another kind of fleetsim output, ${OUTPUT_KINDS[other].noun} (${OUTPUT_KINDS[other].marker}), and this command replaces only ${replaced}; ${way}`);
}

const isWhole = (foreign: Foreign) => foreign.paths.length === 0 && !foreign.too_many;

/** Whether the existing directory `target`, links followed, is the working directory or holds it. */
function holdsWorkingDirectory(target: string): boolean {
  const real = realpathSync(target);
  const cwd = realpathSync('.');
  return cwd === real || cwd.startsWith(real.endsWith(sep) ? real : real + sep);
}

/** How the messages name `<out>.partial`, a path the user never typed. */
const PARTIAL_WHAT = 'the report path of an interrupted run (--out + .partial)';

/** A writer wrote an entry its kind does not list: a bug, not a refusal (thrown through guard's wrapping). */
class UnlistedEntry extends Error {}

/**
 * Puts `tmp` in place of `target`: the old one, if any, renamed aside, judged there by `judge` (a
 * refusal puts it back), then removed. Judged where nobody adds to it any more: a file a user saved
 * into the output while the walk before the rename was hashing the rest of it was deleted with it.
 */
function swapInto(tmp: string, target: string, judge: (aside: string) => void): void {
  // Nobody waits for this command any more: put nothing in place (see huge-pages.mjs).
  if (launcherGone()) exitOrphaned();
  const old = join(dirname(target), siblingName('old', basename(target), process.pid));
  const hadOld = existsSync(target);
  if (hadOld) {
    renameSync(target, old);
    try {
      judge(old);
    } catch (e) {
      renameSync(old, target);
      throw e;
    }
  }
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
  private readonly replaces: readonly OutputKindName[];
  private readonly kind: OutputKindName | undefined;
  private readonly unlock: () => void;
  /** What was written, listed in the output at commit (output-manifest.ts): the next run's test of what is still ours. */
  private readonly manifest = new ManifestBuilder();

  /**
   * `kind`: the output written, whose top entries output-layout.ts lists (a write of another is a
   * bug); `replaces`: the kinds of earlier output it may replace (every kind unless given).
   * `partial`: where an interrupted run will commit instead (`<out>.partial`), checked now like
   * `outDir` itself: a Ctrl-C must not be what finds it holds an input, nor throw the simulated
   * work away because it is not ours to replace.
   */
  constructor(
    private readonly outDir: string,
    opts: { kind?: OutputKindName; replaces?: readonly OutputKindName[]; inputs?: readonly string[]; partial?: string } = {},
  ) {
    this.inputs = opts.inputs ?? [];
    this.replaces = opts.replaces ?? ALL_OUTPUT_KINDS;
    this.kind = opts.kind;
    checkNotInput(outDir, this.inputs);
    checkOutTarget(outDir, this.replaces);
    if (opts.partial !== undefined) this.checkElsewhere(opts.partial);
    // through a link to a directory, the report goes where the link points: replacing the link
    // itself with a directory left its target empty and the user's link gone
    this.target = linkedDirectory(resolve(outDir));
    const parent = dirname(this.target);
    this.tmp = join(parent, siblingName('tmp', basename(this.target), process.pid));
    // one writer at a time: a second run --out on the same directory replaced the first's result
    this.unlock = this.cannotWrite(() => {
      mkdirSync(parent, { recursive: true });
      return lockOutput(this.target, outDir, '--out');
    });
    this.forget = onExit(() => rmSync(this.tmp, { recursive: true, force: true }));
    this.guard(() => {
      cleanStale(this.target, laidOutAsSomeKind);
      rmSync(this.tmp, { recursive: true, force: true });
      mkdirSync(this.tmp);
    });
  }

  /** Runs `fn`, its failures said as the output's (a refusal or a bug passed on as it is). */
  private cannotWrite<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof UserError || e instanceof UnlistedEntry) throw e;
      // `--out notes.md/report` read "cannot write the output (EEXIST)": say which parent is a file
      const target = this.target ?? resolve(this.outDir);
      if (isLinkToNothing(target)) throw new UserError(`${escapeControls(this.outDir)}: --out expected a directory or a new path, got a link to nothing (${escapeControls(target)}); remove it or choose another --out`);
      const blocker = fileOnTheWay(dirname(target));
      if (blocker !== undefined) throw new UserError(`${escapeControls(this.outDir)}: --out expected a path below directories, but ${blocker}`);
      throw new UserError(`${escapeControls(this.outDir)}: cannot write the output (${errCode(e)})`);
    }
  }

  /** cannotWrite, removing what was written when `fn` fails. */
  private guard(fn: () => void): void {
    try {
      this.cannotWrite(fn);
    } catch (e) {
      this.abort();
      throw e;
    }
  }

  write(rel: string, content: string): void {
    this.guard(() => {
      // never a name that climbs out of the output, never through a symlink ('wx': a new file only)
      const file = fileInside(this.tmp, rel);
      this.checkListed(rel);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, content, { flag: 'wx' });
      this.manifest.add(rel, content);
    });
  }

  /**
   * A writer may write only what output-layout.ts lays out for its kind, to the last file of its
   * subdirectories: what fleetsim recognises as its own when the next run replaces the output. Not
   * the user's doing, so no UserError.
   */
  private checkListed(rel: string): void {
    if (this.kind !== undefined && !pathOfKind(this.kind, rel)) {
      throw new UnlistedEntry(`a ${this.kind} output written with ${rel}, which output-layout.ts does not lay out for it (add it there)`);
    }
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
    // checked when opened too; again here, as the file system may have changed meanwhile (a
    // file the user added to the earlier output while this one was simulated): judged once moved
    // aside, where nothing more is added to it (swapInto)
    const judge = elsewhere === undefined
      ? (aside: string) => checkOutTarget(this.outDir, this.replaces, '--out', aside)
      : (aside: string) => checkOutTarget(elsewhere, this.replaces, PARTIAL_WHAT, aside);
    if (elsewhere !== undefined) {
      checkNotInput(elsewhere, this.inputs, PARTIAL_WHAT, '--out');
      cleanStale(target, laidOutAsSomeKind);
    }
    this.guard(() => {
      writeFileSync(join(this.tmp, MANIFEST_FILE), this.manifest.text(), { flag: 'wx' });
      swapInto(this.tmp, target, judge);
    });
    this.done = true;
    this.forget();
    this.unlock();
    noteWritten(`${elsewhere ?? this.outDir}/`);
  }

  private checkElsewhere(path: string): void {
    checkNotInput(path, this.inputs, PARTIAL_WHAT, '--out');
    checkOutTarget(path, this.replaces, PARTIAL_WHAT);
  }

  abort(): void {
    if (this.done) return;
    this.done = true;
    this.forget();
    this.unlock();
    try {
      rmSync(this.tmp, { recursive: true, force: true });
    } catch {
      /* nothing to clean up */
    }
  }
}

/** Writes a whole tree at once (atomically). */
export function writeTree(outDir: string, files: Record<string, string>, inputs: readonly string[] = [], kind?: OutputKindName): void {
  const w = new OutputDir(outDir, { inputs, ...(kind ? { kind } : {}) });
  w.writeAll(files);
  w.commit();
}

