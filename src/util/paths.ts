import { realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { UserError } from '../errors.ts';
import { quote } from './excerpt.ts';

/**
 * Where files named inside a scenario may come from. A scenario may arrive in a pull request, and
 * the paths in it (`extends:`, traces, model configs) are the author's choice, not the user's: they
 * resolve from the scenario's directory and must stay inside it or inside a directory the user
 * allowed with `--allow-path DIR`. An absolute path, a `..` that climbs out, or a symlink whose
 * real path lies outside is refused, before the file is opened (so a refusal says nothing about
 * whether the file exists). Paths the user types as flags (`--budgets FILE`) are not confined.
 */
export interface PathScope {
  /** Relative paths resolve from here: the directory of the scenario file given on the command line. */
  readonly dir: string;
  /**
   * Directories files may come from: the scenario's own, then every --allow-path, each as given
   * (absolute) and with symlinks resolved, so both the lexical and the real path can be checked.
   */
  readonly roots: readonly string[];
}

/** Directories the user allowed with --allow-path in this process (set by the CLI before a command runs). */
let allowed: readonly string[] = [];

/** Checks and records the --allow-path directories; each must be an existing directory. */
export function setAllowedPaths(dirs: readonly string[]): void {
  allowed = dirs.flatMap((d) => {
    let real: string;
    try {
      real = realpathSync(d);
    } catch (e) {
      throw new UserError(`--allow-path ${quote(d)}: cannot use it (${(e as NodeJS.ErrnoException).code ?? 'unreadable'})`);
    }
    if (!statSync(real).isDirectory()) throw new UserError(`--allow-path ${quote(d)}: expected a directory`);
    return [resolve(d), real];
  });
}

export function allowedPaths(): readonly string[] {
  return allowed;
}

/** A directory as given (absolute) and with symlinks resolved. */
function bothForms(dir: string): string[] {
  const lexical = resolve(dir);
  try {
    const real = realpathSync(lexical);
    return real === lexical ? [lexical] : [lexical, real];
  } catch {
    return [lexical]; // a scenario given as a path that does not exist fails when it is read
  }
}

/** The scope of a scenario file: its directory, plus the allowed directories (default: those of --allow-path). */
export function scopeOf(scenarioFile: string, allow: readonly string[] = allowed): PathScope {
  const dir = dirname(resolve(scenarioFile));
  return { dir, roots: [...new Set([...bothForms(dir), ...allow.flatMap(bothForms)])] };
}

/** The scope of an in-memory scenario: relative paths from `dir` (default the working directory), and nothing outside it. */
export function scopeOfDir(dir: string = process.cwd(), roots?: readonly string[]): PathScope {
  return { dir: resolve(dir), roots: roots ?? bothForms(dir) };
}

/** Where the files a prepared (or loaded) scenario names may come from: its directory and roots. */
export function scopeOfPrepared(prep: { dir?: string; roots?: readonly string[] }): PathScope {
  return scopeOfDir(prep.dir, prep.roots);
}

const inside = (root: string, p: string) => p === root || p.startsWith(root.endsWith(sep) ? root : root + sep);

/**
 * The absolute path of `path` (as written in the scenario, relative to `from`, by default
 * scope.dir), or a UserError naming `field` when it leads outside every root. Returns the real
 * path when the file exists (the caller then reads what was checked), else the lexical one (the
 * caller reports it missing).
 */
export function resolveInScope(scope: PathScope, path: string, field: string, from: string = scope.dir): string {
  const lexical = resolve(from, path);
  // The lexical check comes first: a path outside is refused whether or not it exists.
  if (!scope.roots.some((r) => inside(r, lexical))) throw outside(scope, path, field, isAbsolute(path) ? 'an absolute path outside' : 'a path that leads outside');
  let real: string;
  try {
    real = realpathSync(lexical);
  } catch {
    return lexical;
  }
  if (!scope.roots.some((r) => inside(r, real))) throw outside(scope, path, field, 'a symbolic link that leads outside');
  return real;
}

function outside(scope: PathScope, path: string, field: string, what: string): UserError {
  const rel = relative(process.cwd(), scope.dir);
  const shown = rel === '' ? '.' : rel.startsWith('..') ? scope.dir : rel;
  return new UserError(
    `${field}: ${quote(path)} is ${what} the scenario's directory (${quote(shown)}) and every --allow-path; ` +
      'files named in a scenario must stay inside them (pass --allow-path DIR to allow another directory)',
  );
}
