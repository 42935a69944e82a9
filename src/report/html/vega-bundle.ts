import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: { code: string; version: string } | undefined;

/** Where Node resolves `vega` (its `exports` hide build/*.min.js, so we go through the entry point). */
function vegaEntry(): string {
  const meta = import.meta as ImportMeta & { resolve?: (s: string) => string };
  if (typeof meta.resolve === 'function') {
    try {
      return fileURLToPath(meta.resolve('vega'));
    } catch {
      /* fall through: some loaders (test runners) do not provide a synchronous import.meta.resolve */
    }
  }
  return createRequire(import.meta.url).resolve('vega');
}

/** The package folder of vega: the nearest parent of its entry point whose package.json is vega's. */
export function vegaPackageDir(): string {
  let dir = dirname(vegaEntry());
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'vega') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the vega package folder (is vega installed?)');
    dir = up;
  }
}

/** vega's minified browser build (UMD, defines the global `vega`) and its version, read once. */
export function vegaBundle(): { code: string; version: string } {
  if (!cached) {
    const dir = vegaPackageDir();
    const version = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
    const code = readFileSync(join(dir, 'build', 'vega.min.js'), 'utf8');
    cached = { code, version };
  }
  return cached;
}
