import type { Command } from 'commander';

/**
 * The first option the command line gives (not a default) that is not among `taken`: for a mode of
 * a command that reads only some of its options, the others would be ignored without a word.
 */
export function strayOption(command: Command, taken: readonly string[]): string | undefined {
  return command.options.find((o) => o.long !== undefined && !taken.includes(o.long) && command.getOptionValueSource(o.attributeName()) === 'cli')?.long;
}
