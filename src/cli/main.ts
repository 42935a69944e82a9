import { endCommand, markCommandStart } from '../util/wall-budget.ts';
import { CommanderError, type Command } from 'commander';
import { UserError } from '../errors.ts';
import { chosenCommand, commanderExitCode, COMMANDS, topLevelProgram } from './commands.mjs';
import { installSignalHandlers } from '../util/signals.mjs';
import { collect, repeatedOption } from './options.ts';
import { setAllowedPaths } from '../util/paths.ts';
import { excerpt } from '../util/excerpt.ts';

/** Exit codes: 0 ok, 1 a check failed, 2 bad input, 3 a run stopped at a limit, 70 internal error. */
export const EXIT = { ok: 0, failed: 1, usage: 2, incomplete: 3, internal: 70 } as const;

/** Commands that load a scenario, and with it the files it names (traces, model configs, `extends:`). */
const LOADS_SCENARIO = new Set(['run', 'validate', 'check', 'compare', 'replay', 'sweep', 'plan']);

/** Commands whose `--out` holds charts. */
const DRAWS_CHARTS = new Set(['run', 'check', 'replay', 'sweep', 'plan', 'merge']);

/**
 * Loads vega and vega-lite (0.5-3 s) before a command that will draw charts starts simulating,
 * not when the report is drawn: a run stopped by Ctrl-C or SIGTERM then writes its partial report
 * without waiting for them. Commands without `--out`, and every `--help`, skip them. A failure
 * here is left to the report, which loads them again and says why.
 */
async function preloadCharts(): Promise<void> {
  await Promise.all([import('vega'), import('vega-lite')]).catch(() => undefined);
}

/**
 * Longest error line printed. Every message quotes input through util/excerpt.ts; this is the
 * backstop that keeps any message one line, without control characters, and short of a file.
 */
const MAX_MESSAGE_CHARS = 1000;

/** One line for stderr: control characters escaped, cut at MAX_MESSAGE_CHARS. */
export function errorLine(message: string): string {
  return excerpt(message.replace(/\n+$/, ''), MAX_MESSAGE_CHARS);
}

/** Commander's own messages quote a flag's value whole ("argument '...' is invalid"): an excerpt instead. */
function commanderLine(message: string): string {
  const quoted = message.replace(/^error: /, '').replace(/(argument ')([\s\S]*)(' is invalid)/, (_, a: string, v: string, b: string) => `${a}${excerpt(v)}${b}`);
  return errorLine(`fleetsim: ${quoted.replace(/'([^']{81,})'/g, (_, v: string) => `'${excerpt(v)}'`)}`);
}

/**
 * The program for one command line. Only the command it runs is loaded (its module imports the
 * simulator, zod, yaml or vega); the others are listed by name and description (cli/commands.mjs).
 */
export async function buildProgram(argv: readonly string[]): Promise<Command> {
  const chosen = COMMANDS.find((c) => c.name === chosenCommand(argv.slice(2)));
  const outputError = (str: string, write: (str: string) => void) => write(`${commanderLine(str)}\n`);
  const program = topLevelProgram(chosen ? { chosen, register: await chosen.load(), outputError } : { outputError });
  for (const c of program.commands) {
    if (LOADS_SCENARIO.has(c.name())) {
      c.option('--allow-path <dir>', 'a directory (besides the scenario\'s own) that files named in the scenario may come from (repeatable)', collect, []);
    }
  }
  // Files a scenario names are confined to its directory and these (util/paths.ts), set anew for every command.
  program.hook('preAction', async (_program, command) => {
    const repeated = repeatedOption(command, argv.slice(2));
    if (repeated) {
      throw new UserError(`fleetsim ${command.name()}: ${repeated.name} given twice ("${excerpt(repeated.first)}", then "${excerpt(repeated.second)}"): give it once`);
    }
    markCommandStart(); // limits.max_wall_s bounds the whole command from here (util/wall-budget.ts)
    setAllowedPaths((command.opts().allowPath as string[] | undefined) ?? []);
    if (command.opts().out !== undefined && DRAWS_CHARTS.has(command.name())) await preloadCharts();
  });
  return program;
}

/**
 * A failed write to stdout (`> /dev/full`: ENOSPC; a closed pipe: EPIPE) ends the command with one
 * line on stderr and exit 1, instead of an unhandled 'error' event and its stack trace.
 */
let stdoutGuarded = false;
export function guardStdout(stream: NodeJS.WriteStream = process.stdout): void {
  if (stdoutGuarded) return;
  stdoutGuarded = true;
  stream.on('error', (e: NodeJS.ErrnoException) => {
    process.stderr.write(`fleetsim: cannot write to stdout (${e.code ?? e.message})\n`);
    process.exit(EXIT.failed);
  });
}

/** Runs the CLI and returns the exit code (never throws for user errors). */
export async function main(argv: string[]): Promise<number> {
  installSignalHandlers();
  guardStdout();
  try {
    const program = await buildProgram(argv);
    await program.parseAsync(argv);
    return Number(process.exitCode ?? EXIT.ok);
  } catch (e) {
    if (e instanceof CommanderError) {
      // Commander already printed its one-line message; help and version are successes.
      return commanderExitCode(e);
    }
    if (e instanceof UserError) {
      // One line per problem (a scenario may have several).
      process.stderr.write(`${e.message.split('\n').map(errorLine).join('\n')}\n`);
      return EXIT.usage;
    }
    process.stderr.write(`fleetsim: internal error (a bug; please report it with the command line):\n${(e as Error).stack ?? String(e)}\n`);
    return EXIT.internal;
  } finally {
    setAllowedPaths([]); // a command's --allow-path ends with it (main may run again in this process)
    endCommand(); // and so does its wall-clock bound
  }
}
