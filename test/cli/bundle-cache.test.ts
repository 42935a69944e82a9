import { execFile } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cachedBundle, sourceKey } from '../../src/cli/bundle-cache.mjs';
import { REPO } from '../helpers/cli.ts';
import { suiteTempDir } from '../helpers/temp-dir.ts';

/**
 * The CLI loads its TypeScript from a bundle cached under node_modules/.cache (src/cli/bundle-cache.mjs)
 * and through tsx where it cannot: both ways must be the same program, and the cache must follow
 * every change to src/.
 */

const temp = suiteTempDir('fleetsim-bundle-cache-');

/** Runs the CLI with `env` added; resolves with its exit code and output. */
function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [join(REPO, 'src/cli/fleetsim.mjs'), ...args], { cwd: REPO, env: { ...process.env, ...env }, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      done({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
    });
  });
}

describe('the bundle cache', () => {
  it('keys src/ by every byte: a change to any file, or a new file, is a new key; the same files the same key', () => {
    const root = join(temp.dir(), 'src-copy');
    mkdirSync(join(root, 'cli'), { recursive: true });
    writeFileSync(join(root, 'cli', 'main.ts'), 'export const a = 1;\n');
    writeFileSync(join(root, 'other.ts'), 'export const b = 2;\n');
    const first = sourceKey(root, 'salt');
    expect(sourceKey(root, 'salt')).toBe(first);
    expect(sourceKey(root, 'another esbuild')).not.toBe(first);
    writeFileSync(join(root, 'other.ts'), 'export const b = 3;\n'); // same length, other bytes
    const edited = sourceKey(root, 'salt');
    expect(edited).not.toBe(first);
    writeFileSync(join(root, 'cli', 'added.ts'), '');
    expect(sourceKey(root, 'salt')).not.toBe(edited);
  });

  it('builds once for two commands starting together, and the bundle keeps each module\'s own import.meta.url', async () => {
    const cache = join(temp.dir(), 'cache-race');
    const [a, b] = await Promise.all([cachedBundle(cache), cachedBundle(cache)]);
    expect(a).toBe(b);
    expect(readdirSync(cache).filter((name) => name.startsWith('.tmp-'))).toEqual([]);
    const chunks = readdirSync(a).map((name) => readFileSync(join(a, name), 'utf8')).join('\n');
    // profiles.ts reads the engine profiles beside it: its URL must be its file's in src/, not the chunk's
    expect(chunks).toContain(JSON.stringify(pathToFileURL(join(REPO, 'src/perf/profiles.ts')).href));
    expect(chunks).not.toMatch(/import\.meta\.url/);
    // the signal state the entry point installs is one module, loaded from src/, not a copy in the bundle
    expect(chunks).toContain(pathToFileURL(join(REPO, 'src/util/signals.mjs')).href);
  });

  it('is refused where the cache cannot be written (the CLI then loads src/ through tsx)', async () => {
    if (process.getuid?.() === 0) {
      // root writes through a read-only mode: a cache under a regular file cannot be made by anyone
      const file = join(temp.dir(), 'a-file');
      writeFileSync(file, 'x');
      await expect(cachedBundle(join(file, 'cache'))).rejects.toThrow();
      return;
    }
    const locked = join(temp.dir(), 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o500);
    await expect(cachedBundle(join(locked, 'cache'))).rejects.toThrow();
    expect(existsSync(join(locked, 'cache'))).toBe(false);
  });

  it('the bundled CLI and the CLI through tsx are the same program: the same bytes for a run and the same refusal', async () => {
    const scenario = join(temp.dir(), 'copy.yaml');
    cpSync(join(REPO, 'scenarios/quickstart.yaml'), scenario);
    const args = (out: string) => ['run', scenario, '--set', 'duration_s=20', '--set', 'warmup_s=5', '--json', '--out', join(temp.dir(), out)];
    const [bundled, throughTsx] = await Promise.all([cli(args('bundled'), {}), cli(args('tsx'), { FLEETSIM_BUNDLE: '0' })]);
    expect(bundled.code, bundled.stderr).toBe(throughTsx.code);
    const summary = (out: string) => readFileSync(join(temp.dir(), out, 'summary.json'), 'utf8').replace(/^\s*"(wall_s|events_per_s)": .*\n/gm, '');
    expect(summary('bundled')).toBe(summary('tsx'));
    const refusals = await Promise.all([cli(['perf', '--model', 'no-such-model', '--gpu', 'h100', '--tp', '1'], {}), cli(['perf', '--model', 'no-such-model', '--gpu', 'h100', '--tp', '1'], { FLEETSIM_BUNDLE: '0' })]);
    expect(refusals.map((r) => r.code)).toEqual([2, 2]);
    expect(refusals[0].stderr).toBe(refusals[1].stderr);
  });
});
