import { UserError } from '../errors.ts';

/**
 * Runs `fn`, prefixing `file: ` to each line of a UserError it throws that does not already name
 * the file. Checks made while a scenario is built or costed (a fault on a pool that does not
 * exist, disaggregated pools that do not add up, a power cap below idle) then name the scenario
 * file, like the schema's, and the one error line says where to look.
 */
export function inFile<T>(file: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    throw new UserError(e.message.split('\n').map((line) => (line.startsWith(`${file}:`) ? line : `${file}: ${line}`)).join('\n'));
  }
}
