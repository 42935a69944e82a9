import { isAbsolute, join } from 'node:path';

/**
 * `dir/rel` for a report file, refusing a name that could land outside `dir` (absolute, or with a
 * `..` segment): report files are named by the code, but some names carry input (a what-if's name),
 * and an output directory must only ever receive files inside it.
 */
export function fileInside(dir: string, rel: string): string {
  const parts = rel.split(/[\\/]/);
  if (rel === '' || isAbsolute(rel) || rel.includes('\0') || parts.includes('..')) {
    throw new Error(`report file name ${JSON.stringify(rel.slice(0, 80))}: expected a relative path inside the output directory`);
  }
  return join(dir, ...parts);
}
