// The command table and the top-level program. Plain JavaScript (type-checked through JSDoc) so
// that `fleetsim --help` and `--version` are answered without loading tsx (~0.25 s) or any command:
// a command's module, and with it the simulator, zod, yaml or vega, loads only when it runs.
import { createRequire } from 'node:module';
import { Command, CommanderError, Help } from 'commander';

/** @typedef {(program: Command) => void} Register */
/**
 * @typedef {object} CommandEntry
 * @property {string} name
 * @property {string} term how the top-level help lists it (commander's own term for the real command)
 * @property {string} description
 * @property {() => Promise<Register>} load imports the module that defines the command
 */

/**
 * In the order `fleetsim --help` lists them. The terms and descriptions must match what each
 * module registers (test/cli/startup.test.ts loads every module and compares).
 * @type {readonly CommandEntry[]}
 */
export const COMMANDS = [
  {
    name: 'run',
    term: 'run [options] <scenario>',
    description: 'simulate a scenario and report latencies, errors and utilisation',
    load: async () => (await import('./run.ts')).registerRun,
  },
  {
    name: 'validate',
    term: 'validate [options] <scenario>',
    description: 'check a scenario file (schema, references, traces) and print the capacity check, without simulating',
    load: async () => (await import('./validate.ts')).registerValidate,
  },
  {
    name: 'schema',
    term: 'schema [options]',
    description: 'print the JSON Schema of scenario files (for editor validation and completion), or with --summary that of summary.json',
    load: async () => (await import('./schema.ts')).registerSchema,
  },
  {
    name: 'replay',
    term: 'replay [options] <scenario>',
    description: 'replay an incident scenario, and what-ifs on common random numbers (same arrivals, same fault times)',
    load: async () => (await import('./replay.ts')).registerReplay,
  },
  {
    name: 'perf',
    term: 'perf [options]',
    description: 'step-time model figures for one replica: prefill, TTFT, TPOT, end-to-end, KV capacity, throughput and cost per token',
    load: async () => (await import('../perf/cli-perf.ts')).registerPerf,
  },
  {
    name: 'calibrate',
    term: 'calibrate [options]',
    description: "fit an engine profile (the step-time model's factors) to measurements: a corpus (data/corpus format) or a Splitwise CSV",
    load: async () => (await import('../fidelity/cli-calibrate.ts')).registerCalibrate,
  },
  {
    name: 'fidelity',
    term: 'fidelity [options]',
    description: "fleetsim's error against published hardware measurements: predicts every corpus row, prints the MAPE per kind, GPU, stack and dtype",
    load: async () => (await import('../fidelity/cli-fidelity.ts')).registerFidelity,
  },
  {
    name: 'check',
    term: 'check [options] <scenario>',
    description: "simulate a scenario and check budgets on summary.json figures and the scenario's own SLOs: exit 0 all pass, 1 a budget or SLO target fails (or is inconclusive), 2 bad input",
    load: async () => (await import('./check.ts')).registerCheck,
  },
  {
    name: 'compare',
    term: 'compare [options] <base> <candidate>',
    description: "compare two results: every headline metric side by side, significance over replications (paired t-test on common random numbers, else Welch's), regressions flagged",
    load: async () => (await import('./compare.ts')).registerCompare,
  },
  {
    name: 'sweep',
    term: 'sweep [options] <scenario>',
    description: 'run a grid of scenario variants (cartesian product of --vary knobs) with confidence intervals, a CSV and charts',
    load: async () => (await import('./sweep.ts')).registerSweep,
  },
  {
    name: 'plan',
    term: 'plan [options] <scenario>',
    description: 'find the cheapest configuration that meets every SLO with confidence (bisection on range knobs, grid over list knobs)',
    load: async () => (await import('./plan.ts')).registerPlan,
  },
  {
    name: 'merge',
    term: 'merge [options] <dirs...>',
    description: 'combine the shard outputs of `fleetsim sweep --shard i/N` into the result of one unsharded sweep',
    load: async () => (await import('./merge.ts')).registerMerge,
  },
];

/** The package version, read from package.json (as src/version.ts does for the TypeScript side). */
export const VERSION = /** @type {{ version: string }} */ (createRequire(import.meta.url)('../../package.json')).version;

/** Exit codes of a CommanderError: help and version are successes, anything else is bad input (EXIT in main.ts). */
/** @param {CommanderError} e */
export function commanderExitCode(e) {
  return e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : 2;
}

/** Top-level flags; a command line of these alone (or none, or `help`) needs no command module. */
const TOP_LEVEL_FLAGS = new Set(['-h', '--help', '-V', '--version']);

/**
 * The command a command line runs, or shows help for (`fleetsim help run`): the first argument that
 * is not an option. Commander dispatches on the same argument (an unknown option before it stops
 * the dispatch altogether, so loading that command then is harmless).
 * @param {readonly string[]} args the arguments after the script
 * @returns {string | undefined}
 */
export function chosenCommand(args) {
  const operands = args.filter((a) => !a.startsWith('-'));
  return operands[0] === 'help' ? operands[1] : operands[0];
}

/** @param {readonly string[]} args the arguments after the script */
export function needsNoCommand(args) {
  return args.every((a) => TOP_LEVEL_FLAGS.has(a)) || (args.length === 1 && args[0] === 'help');
}

/**
 * The program with every command listed but none defined: `chosen` (if any) is registered for real
 * by `register`, every other command is a stub that carries its name, term and description (for
 * the command list and commander's "did you mean"). Commander dispatches only to the chosen one.
 * `outputError` is set before any command is added: commands copy it when they are created.
 * @param {{ chosen?: CommandEntry, register?: Register, outputError?: (str: string, write: (str: string) => void) => void }} [real]
 */
export function topLevelProgram(real = {}) {
  const terms = new Map(COMMANDS.map((c) => [c.name, c.term]));
  const commanderHelp = new Help(); // for commander's own `help [command]`
  const program = new Command('fleetsim')
    .description('Discrete-event capacity and failure simulator for LLM serving fleets')
    .version(VERSION)
    .exitOverride()
    .configureHelp({ subcommandTerm: (cmd) => terms.get(cmd.name()) ?? commanderHelp.subcommandTerm(cmd) });
  if (real.outputError) program.configureOutput({ outputError: real.outputError });
  for (const c of COMMANDS) {
    if (c === real.chosen && real.register) real.register(program);
    else program.command(c.name).description(c.description);
  }
  for (const c of program.commands) c.exitOverride();
  return program;
}

/**
 * Answers `fleetsim`, `--help`, `--version` and `help` on their own, without tsx: the exit code.
 * @param {string[]} argv process.argv
 */
export function answerTopLevel(argv) {
  try {
    topLevelProgram().parse(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return commanderExitCode(e);
    throw e;
  }
}
