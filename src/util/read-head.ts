import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/**
 * The first `max_bytes` of the file at `path` (a regular file: the caller checks, as opening a
 * named pipe blocks), and whether that is the whole of it. Never reads more, however large the
 * file: a 200-MB file named like a marker was read whole only to be told it was not fleetsim's.
 */
export function readHead(path: string, max_bytes: number): { text: string; whole: boolean } {
  const fd = openSync(path, 'r');
  try {
    // one byte past the bound (or past the size, should the file grow meanwhile) tells a whole file from a longer one
    const buffer = Buffer.alloc(Math.min(fstatSync(fd).size, max_bytes) + 1);
    let read_bytes = 0;
    for (let n = 1; n > 0 && read_bytes < buffer.length; read_bytes += n) n = readSync(fd, buffer, read_bytes, buffer.length - read_bytes, read_bytes);
    return { text: buffer.toString('utf8', 0, Math.min(read_bytes, max_bytes)), whole: read_bytes < buffer.length };
  } finally {
    closeSync(fd);
  }
}
