// Plain JavaScript: the launcher (cli/huge-pages.mjs) reads these names before TypeScript loads.
import { createHash } from 'node:crypto';

/**
 * The temporary siblings an output is written through: `.tmp-<name>-<pid>` (being written) and
 * `.old-<name>-<pid>` (an earlier output moved aside). A name near the file system's 255-byte
 * limit made them too long (ENAMETOOLONG for an --out of 244 bytes or more): such a name is cut
 * and a hash of the whole name added, so the sibling stays within the limit and still names one
 * target only.
 */
const MAX_NAME_BYTES = 255;
/** Bytes of the name kept when it is cut: room for `.tmp-`, `~` and 8 hex digits, `-` and a pid of 10 digits. */
const KEPT_NAME_BYTES = MAX_NAME_BYTES - 5 - 9 - 1 - 10;

/**
 * The name as its siblings carry it: whole, or cut with a hash when a sibling would pass the limit.
 * @param {string} name
 */
function siblingStem(name) {
  if (Buffer.byteLength(`.tmp-${name}-${'9'.repeat(10)}`) <= MAX_NAME_BYTES) return name;
  let cut = name;
  while (Buffer.byteLength(cut) > KEPT_NAME_BYTES) cut = cut.slice(0, -1);
  return `${cut}~${createHash('sha256').update(name).digest('hex').slice(0, 8)}`;
}

/**
 * @param {'tmp' | 'old'} kind
 * @param {string} name the target's base name
 * @param {number} pid
 */
export function siblingName(kind, name, pid) {
  return `.${kind}-${siblingStem(name)}-${pid}`;
}

/**
 * `.lock-<name>`: the lock a writer of the output `name` holds beside it (see util/output-lock.ts).
 * @param {string} name the target's base name
 */
export function lockName(name) {
  return `.lock-${siblingStem(name)}`;
}

/**
 * Matches the siblings of `name`: group 1 the kind, group 2 the pid.
 * @param {string} name
 */
export function siblingPattern(name) {
  const escaped = siblingStem(name).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^\\.(tmp|old)-${escaped}-(\\d+)$`);
}
