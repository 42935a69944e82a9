import { InvalidArgumentError } from 'commander';

/**
 * A commander parser for an output path (--out, --junit): an empty one was read as "not given",
 * and the command wrote nothing and exited 0. Here, below the commands, as `calibrate` (in
 * fidelity/) takes one too.
 */
export function pathArg(v: string): string {
  if (v.trim() === '') throw new InvalidArgumentError('expected a path, got an empty string');
  return v;
}
