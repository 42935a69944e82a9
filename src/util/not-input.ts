import { realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { UserError } from '../errors.ts';

/**
 * An output never is, holds or sits inside one of the command's inputs: `merge A B --out A` used
 * to replace shard A, and `calibrate --measurements m.csv --out m.csv` its measurements. Shared by
 * every command that writes (report/output-dir.ts for --out directories and --junit, calibrate for
 * its profile), hence in util/.
 */

/** A path with symbolic links resolved as far as it exists (the rest appended), for comparisons. */
function canonical(path: string): string {
  let head = resolve(path);
  const rest: string[] = [];
  for (;;) {
    try {
      return join(realpathSync(head), ...rest);
    } catch {
      const up = dirname(head);
      if (up === head) return resolve(path);
      rest.unshift(basename(head));
      head = up;
    }
  }
}

/** True when `inner` is `outer` or inside it. */
function within(inner: string, outer: string): boolean {
  const rel = relative(outer, inner);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/** Refuses an output path that is, contains, or lies inside one of the inputs (files or directories); `choose` names the flag that sets it. */
export function checkNotInput(out: string, inputs: readonly string[], what = '--out', choose = what): void {
  const target = canonical(out);
  for (const input of inputs) {
    const source = canonical(input);
    if (within(source, target) || within(target, source)) {
      const how = source === target ? 'is' : within(source, target) ? 'contains' : 'is inside';
      throw new UserError(`${out}: ${what} ${how} the input ${input}; refusing to overwrite an input (choose another ${choose})`);
    }
  }
}
