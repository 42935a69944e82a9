import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

/**
 * A temporary directory for the test file's suite, made before its tests and removed after them;
 * `write(name, text)` puts a file in it and returns its path.
 */
export function suiteTempDir(prefix: string): { dir: () => string; write: (name: string, text: string) => string } {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    dir: () => dir,
    write(name, text) {
      const file = join(dir, name);
      writeFileSync(file, text);
      return file;
    },
  };
}

/** Every file under `dir` with its text (a directory as "(directory)"): what a refusal must leave as it was. */
export function fileTree(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const rel of readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort()) {
    const path = join(dir, rel);
    files[rel] = statSync(path).isDirectory() ? '(directory)' : readFileSync(path, 'utf8');
  }
  return files;
}
