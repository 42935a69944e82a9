import { closeSync, constants, fstatSync, openSync, readFileSync, type Stats } from 'node:fs';
import { UserError } from '../errors.ts';

/**
 * Reading an input file whole (a scenario, trace, budgets, corpus, model config, calibration
 * profile, run file), refusing what is not a regular file or too large to be read as one string.
 *
 * A named pipe used to block the command for ever (nothing writes to it), a character device
 * such as /dev/zero never ends, a directory fails with a code few recognise. The file is opened
 * non-blocking, so opening a FIFO returns at once, and its type is checked on the open
 * descriptor (not by a separate stat of the path, which the path could change between).
 */

/** Largest input read whole: V8's longest string is about 2^29 characters (512 MiB). */
export const MAX_INPUT_BYTES = 512 * 2 ** 20;

/**
 * Largest Hugging Face config.json or calibration profile: both are a few kilobytes (the largest
 * config in scenarios/data/model-configs is under 10 KB). A 440 MB "config" within the general
 * bound ran V8 out of memory with a native trace (2026-12-07).
 */
export const MAX_SMALL_INPUT_BYTES = 4 * 2 ** 20;

function sizeText(bytes: number): string {
  return bytes >= 2 ** 20 ? `${(bytes / 2 ** 20).toFixed(0)} MiB` : `${bytes.toLocaleString('en-US')} bytes`;
}

/** What a path that is not a regular file is, for messages (from fstat, or lstat: a link is named). */
export function kindOf(stats: Stats): string {
  if (stats.isSymbolicLink()) return 'a symbolic link';
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a named pipe';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/** The error code of a failed read, as messages show it. */
function codeOf(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? String(e);
}

/**
 * The bytes of the regular file at path. `label` names it in messages; `cannotRead(code)` words
 * an I/O failure (ENOENT, EACCES) the way the caller's messages always have.
 */
export function readInputBytes(path: string, label: string, cannotRead: (code: string) => string, maxBytes = MAX_INPUT_BYTES): Buffer {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw new UserError(`${label}: ${cannotRead(codeOf(e))}`);
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw new UserError(`${label}: expected a regular file, got ${kindOf(stats)}`);
    if (stats.size > maxBytes) {
      throw new UserError(`${label}: expected a file of at most ${maxBytes / 2 ** 20} MiB, got ${sizeText(stats.size)}`);
    }
    return readFileSync(fd);
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`${label}: ${cannotRead(codeOf(e))}`);
  } finally {
    closeSync(fd);
  }
}

/**
 * The text (UTF-8) of the regular file at path, without a leading byte-order mark (editors on
 * Windows write one: the YAML and CSV readers skipped it while JSON.parse refused a config.json,
 * profile or benchmark result that had one); see readInputBytes.
 */
export function readInputText(path: string, label: string, cannotRead: (code: string) => string, maxBytes = MAX_INPUT_BYTES): string {
  const bytes = readInputBytes(path, label, cannotRead, maxBytes);
  let text: string;
  try {
    text = STRICT_UTF8.decode(bytes);
  } catch {
    // Decoded leniently, a byte that is not UTF-8 became U+FFFD and a name read "���" without a word.
    const lenient = bytes.toString('utf8');
    const at = lenient.indexOf('\uFFFD');
    const line = at < 0 ? 1 : lenient.slice(0, at).split('\n').length;
    throw new UserError(`${label} line ${line}: expected UTF-8 text, found bytes that are not UTF-8 (save the file as UTF-8)`);
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Refuses malformed UTF-8 rather than replacing it; keeps a byte-order mark for readInputText to drop. */
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
