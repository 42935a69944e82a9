// Plain JavaScript (type-checked through JSDoc) so the entry point can use it before TypeScript
// loads. See loadMain below for what it does and why.
import { createHash, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/*
 * The CLI's TypeScript, compiled once into a cache and loaded from there.
 *
 * Loading src/ through tsx's loader hooks costs every command 1-2 s of CPU before it does anything
 * (measured 2026-12-07 on the project's 2-core machine, the least of six runs: a refused `plan`
 * 1.99 s, `perf` 1.04 s): Node 20 runs the hooks on a thread of their own and asks it about each
 * of ~280 modules. The same modules bundled by esbuild (tsx's own compiler) load in 0.87 s and
 * 0.36 s. So the first command after a change to src/ bundles it (~1.2 s) into
 * node_modules/.cache/fleetsim-cli/<key>/, keyed by the bytes of every file under src/, and every
 * command loads that bundle. This is a cache, not a build step: nothing to run by hand, and a
 * change to any file is a new key. Where the cache cannot be written or built (a read-only
 * install, a full disk) the command loads src/ through tsx as before; FLEETSIM_BUNDLE=0 asks for
 * that too.
 *
 * Packages stay outside the bundle (resolved from node_modules as before), and each module's
 * `import.meta.url` is its own file's URL in src/, so the files it finds beside itself (profiles,
 * catalogs, worker scripts) are where they were.
 */

/** At most this many bundles are kept (one per version of src/ run recently). */
const MAX_KEPT_BUNDLES = 6;
/** A bundle or a half-built one is removed only when unused this long: a command may still be loading from it. */
const STALE_AFTER_MS = 60 * 60 * 1000;
/** src/ is the directory above this file's. */
const SOURCE_ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
/** Files under src/ the key reads; far more than src/ holds (~300), so a stray tree cannot make every start slow. */
const MAX_KEYED_FILES = 5000;

/**
 * The CLI's `main`, from the bundle when it can be had, else through tsx.
 * @returns {Promise<(argv: string[]) => Promise<number>>}
 */
export async function loadMain() {
  if (process.env.FLEETSIM_BUNDLE !== '0') {
    const bundle = await cachedBundle().catch(() => undefined);
    // a bundle whose files were removed under it: src/ through tsx instead
    const main = bundle === undefined ? undefined : await import(pathToFileURL(join(bundle, 'main.js')).href).then((m) => m.main, () => undefined);
    if (main !== undefined) return main;
  }
  const { register } = await import('tsx/esm/api');
  register();
  return (await import('./main.ts')).main;
}

/**
 * The directory of the bundle for src/ as it is now, built if missing.
 * @returns {Promise<string>}
 */
export async function cachedBundle(cache = join(dirname(SOURCE_ROOT), 'node_modules', '.cache', 'fleetsim-cli')) {
  // esbuild wherever npm put it (hoisted above this package when it is another project's dependency)
  const { version: esbuildVersion } = JSON.parse(readFileSync(createRequire(import.meta.url).resolve('esbuild/package.json'), 'utf8'));
  const key = sourceKey(SOURCE_ROOT, `${esbuildVersion} ${process.versions.node}`);
  const bundle = join(cache, key);
  try {
    const now = new Date();
    utimesSync(bundle, now, now); // marks it used, for pruneBundles
    return bundle;
  } catch {
    /* not built yet */
  }
  mkdirSync(cache, { recursive: true });
  // one name per build, not per process: two builds of one key never share a directory
  const building = join(cache, `.tmp-${key}-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await buildBundle(SOURCE_ROOT, building);
    renameSync(building, bundle);
  } catch (e) {
    rmSync(building, { recursive: true, force: true });
    // another command built the same key first: theirs is the same bytes
    if (!isBuiltDirectory(bundle)) throw e;
  }
  pruneBundles(cache, key);
  return bundle;
}

/**
 * A hash of every file under `root` (paths and bytes) and of `salt`, as 24 hex digits.
 * @param {string} root
 * @param {string} salt
 */
export function sourceKey(root, salt) {
  const hash = createHash('sha256').update(`${salt}\n${root}\n`);
  for (const file of filesUnder(root)) {
    const bytes = readFileSync(file);
    hash.update(`${relative(root, file).split(sep).join('/')}\0${bytes.length}\0`).update(bytes);
  }
  return hash.digest('hex').slice(0, 24);
}

/**
 * Every file under `root`, sorted; refused past MAX_KEYED_FILES.
 * @param {string} root
 * @returns {string[]}
 */
function filesUnder(root) {
  /** @type {string[]} */
  const files = [];
  const pending = [root];
  while (pending.length > 0) {
    const directory = /** @type {string} */ (pending.pop());
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) pending.push(path);
      else if (entry.isFile()) files.push(path);
      if (files.length > MAX_KEYED_FILES) throw new Error(`more than ${MAX_KEYED_FILES} files under ${root}`);
    }
  }
  return files.sort();
}

/**
 * Bundles src/cli/main.ts and what it imports, split at each dynamic import (a command loads only
 * its own modules, as with tsx).
 * @param {string} root src/
 * @param {string} outdir
 */
async function buildBundle(root, outdir) {
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: [join(root, 'cli', 'main.ts')],
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    logLevel: 'silent',
    // functions and classes keep their names where two modules' names meet in one chunk (an internal
    // error's stack trace names the function it was in, as through tsx)
    keepNames: true,
    plugins: [ownImportMetaUrl(root), sharedPlainModules(root)],
  });
}

/**
 * Each module under `root` keeps its own `import.meta.url` (bundled, it would be its chunk's).
 * @param {string} root
 * @returns {import('esbuild').Plugin}
 */
function ownImportMetaUrl(root) {
  return {
    name: 'fleetsim-own-import-meta-url',
    setup(build) {
      build.onLoad({ filter: /\.(ts|mjs|js)$/ }, (args) => {
        if (!args.path.startsWith(root + sep)) return undefined;
        const source = readFileSync(args.path, 'utf8');
        const contents = source.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href));
        return { contents, loader: args.path.endsWith('.ts') ? 'ts' : 'js' };
      });
    },
  };
}

/**
 * The plain-JavaScript modules under `root` stay outside the bundle, loaded from src/ as the entry
 * point loads them: one instance each, so the signal state util/signals.mjs keeps for the entry
 * point is the state the command sees (bundled, each would be a second copy). commands.mjs is the
 * exception: its table imports the commands' TypeScript, which only the bundle can load (it keeps
 * no state, so the entry point's copy is harmless).
 * @param {string} root
 * @returns {import('esbuild').Plugin}
 */
function sharedPlainModules(root) {
  return {
    name: 'fleetsim-shared-plain-modules',
    setup(build) {
      build.onResolve({ filter: /^\.\.?\/.*\.mjs$/ }, (args) => {
        const path = resolve(args.resolveDir, args.path);
        if (!path.startsWith(root + sep) || path === join(root, 'cli', 'commands.mjs')) return undefined;
        return { path: pathToFileURL(path).href, external: true };
      });
    },
  };
}

/** @param {string} path */
function isBuiltDirectory(path) {
  try {
    return statSync(join(path, 'main.js')).isFile();
  } catch {
    return false;
  }
}

/**
 * Removes bundles and half-built directories unused for STALE_AFTER_MS beyond the
 * MAX_KEPT_BUNDLES most recent, never `current`. Failures are left for a later command.
 * @param {string} cache
 * @param {string} current
 */
function pruneBundles(cache, current) {
  try {
    const entries = readdirSync(cache)
      .filter((name) => name !== current)
      .map((name) => ({ name, used_ms: statSync(join(cache, name)).mtimeMs }))
      .sort((a, b) => b.used_ms - a.used_ms);
    const now_ms = Date.now();
    entries.forEach((entry, index) => {
      const keep = !entry.name.startsWith('.tmp-') && index < MAX_KEPT_BUNDLES - 1;
      if (!keep && now_ms - entry.used_ms > STALE_AFTER_MS) rmSync(join(cache, entry.name), { recursive: true, force: true });
    });
  } catch {
    /* a cache another command is pruning: left to the next */
  }
}
