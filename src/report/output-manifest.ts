import { createHash } from 'node:crypto';
import { closeSync, lstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { readHead } from '../util/read-head.ts';
import { version } from '../version.ts';

/**
 * The list of what fleetsim wrote into an output directory, kept in it: each file's size and
 * SHA-256. The layout rules (output-layout.ts) judge a file by its name, its place and its first
 * bytes, so a file at one of fleetsim's names that starts as fleetsim's was taken for its own: a
 * report.md or replay.txt edited below its first line, rows appended to a CSV, a shard's run file
 * rewritten, a summary copied to vllm.json. The next run replaced them, and the user's work was
 * gone. With the list, a file that is not on it, or not as listed, is the user's, and the output
 * is not replaced. An output written before the list existed is judged by the layout alone.
 */

/** The list's file name: hidden, as it is for fleetsim to read, not the reader. */
export const MANIFEST_FILE = '.fleetsim-files.json';
/** How the list starts (JSON.stringify with two spaces, `kind` first): a user's file at its name does not. */
export const MANIFEST_HEAD = '{\n  "kind": "fleetsim-files",';
/**
 * More files than the list holds (a sweep of 50,000 points writes about 200,000): a larger output
 * is judged by the layout alone, its list saying so, rather than a list of hundreds of megabytes
 * read whole at every rerun.
 */
export const MAX_LISTED_FILES = 200_000;
/** Larger than any list fleetsim writes (some 110 bytes a file). */
const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;

export interface ListedFile {
  readonly bytes: number;
  readonly sha256: string;
}

/** What an output's list says: the files it lists, or that it lists none (too many); 'not ours' for a file at its name fleetsim did not write. */
export type Manifest = { files: ReadonlyMap<string, ListedFile> } | { files: 'unlisted' } | 'not ours';

/** The files a writer has written so far, listed as they are written. */
export class ManifestBuilder {
  private readonly files = new Map<string, ListedFile>();

  add(rel: string, content: string): void {
    if (this.files.size > MAX_LISTED_FILES) return;
    // hashed as the string's UTF-8, not copied into a buffer first (a sweep's chart spec may be hundreds of MB)
    this.files.set(rel, { bytes: Buffer.byteLength(content, 'utf8'), sha256: createHash('sha256').update(content, 'utf8').digest('hex') });
  }

  /** The list's text: the files sorted by path, so an output's list is the same bytes for the same files. */
  text(): string {
    const listed = this.files.size <= MAX_LISTED_FILES;
    const note = listed
      ? 'what fleetsim wrote here: a file changed, added or copied in since is taken as yours, and the next run refuses to replace this output'
      : `more than ${MAX_LISTED_FILES.toLocaleString('en-US')} files: not listed; the next run judges them by their names and first bytes`;
    const head = JSON.stringify({ kind: 'fleetsim-files', fleetsim_version: version, note }, null, 2).slice(0, -2);
    if (!listed) return `${head},\n  "files": null\n}\n`;
    // one line a file: a sweep's list of 200,000 stays some 20 MB
    const lines = [...this.files.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([rel, f]) => `    ${JSON.stringify(rel)}: ${JSON.stringify({ bytes: f.bytes, sha256: f.sha256 })}`);
    return `${head},\n  "files": {${lines.length === 0 ? '' : `\n${lines.join(',\n')}\n  `}}\n}\n`;
  }
}

/** The list in `dir`; undefined when there is none (an output of an earlier version). */
export function readManifest(dir: string): Manifest | undefined {
  const path = join(dir, MANIFEST_FILE);
  try {
    if (!lstatSync(path).isFile()) return 'not ours';
  } catch {
    return undefined;
  }
  try {
    const head = readHead(path, MAX_MANIFEST_BYTES);
    if (!head.whole || !head.text.startsWith(MANIFEST_HEAD)) return 'not ours';
    const doc = JSON.parse(head.text) as { files?: unknown };
    if (doc.files === null) return { files: 'unlisted' };
    if (doc.files === undefined || typeof doc.files !== 'object' || Array.isArray(doc.files)) return 'not ours';
    const entries = Object.entries(doc.files as Record<string, unknown>);
    // an entry fleetsim did not write (null, a size that is not one) makes the list not its own,
    // rather than the file it names "unreadable"
    return entries.every(([, f]) => isListedFile(f)) ? { files: new Map(entries as [string, ListedFile][]) } : 'not ours';
  } catch {
    return 'not ours';
  }
}

/** A list entry as fleetsim writes one: a size in bytes and a SHA-256 in hex. */
function isListedFile(f: unknown): f is ListedFile {
  if (f === null || typeof f !== 'object') return false;
  const { bytes, sha256 } = f as Record<string, unknown>;
  return Number.isSafeInteger(bytes) && (bytes as number) >= 0 && typeof sha256 === 'string' && /^[0-9a-f]{64}$/.test(sha256);
}

/** Why the file at `path` (at `rel` in the output) is not the one the list says fleetsim wrote; undefined when it is, or when the list lists nothing. */
export function notAsListed(manifest: Exclude<Manifest, 'not ours'>, rel: string, path: string): string | undefined {
  if (manifest.files === 'unlisted') return undefined;
  try {
    const stat = lstatSync(path);
    // fleetsim writes no link: one at a file's name is the user's, kept (removed, it was lost)
    if (stat.isSymbolicLink()) return `${rel} (a link fleetsim did not make)`;
    const listed = manifest.files.get(rel);
    if (listed === undefined) return `${rel} (not a file fleetsim wrote here: ${MANIFEST_FILE} does not list it)`;
    if (!stat.isFile() || stat.size !== listed.bytes || fileSha256(path) !== listed.sha256) return `${rel} (changed since fleetsim wrote it)`;
  } catch {
    return `${rel} (unreadable)`;
  }
  return undefined;
}

/**
 * One buffer for every file hashed: allocating (and zero-filling) a megabyte a file made the check
 * of a 9,000-file sweep ten times slower than the hashing itself.
 */
let hashBuffer: Buffer | undefined;

/** The SHA-256 of the regular file at `path`, read in 1-MB pieces (a chart's spec may be hundreds of MB). */
function fileSha256(path: string): string {
  const hash = createHash('sha256');
  const buffer = (hashBuffer ??= Buffer.allocUnsafe(1024 * 1024));
  const fd = openSync(path, 'r');
  try {
    for (let n = readSync(fd, buffer); n > 0; n = readSync(fd, buffer)) hash.update(buffer.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}
