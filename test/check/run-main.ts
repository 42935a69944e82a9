import { main } from '../../src/cli/main.ts';
import type { CliResult } from '../helpers/cli.ts';

/**
 * Runs the CLI in this process (`main(argv)`, what src/cli/fleetsim.mjs calls), capturing stdout,
 * stderr and the exit code: the same code path as a spawn without the second or two a child
 * process spends loading TypeScript. Calls must not overlap (they share process.stdout).
 */
export async function runMain(args: string[]): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const stdoutWrite = process.stdout.write;
  const stderrWrite = process.stderr.write;
  const capture = (into: string[]) => ((chunk: unknown) => (into.push(String(chunk)), true)) as typeof process.stdout.write;
  process.stdout.write = capture(out);
  process.stderr.write = capture(err);
  process.exitCode = undefined;
  let code: number;
  try {
    code = await main(['node', 'fleetsim', ...args]);
  } finally {
    process.stdout.write = stdoutWrite;
    process.stderr.write = stderrWrite;
    process.exitCode = undefined;
  }
  return { args, code, stdout: out.join(''), stderr: err.join('') };
}

/** Runs the calls one after the other (they share stdout), returning the results by name. */
export async function runAll(jobs: Record<string, string[]>): Promise<Record<string, CliResult>> {
  const out: Record<string, CliResult> = {};
  for (const [name, args] of Object.entries(jobs)) out[name] = await runMain(args);
  return out;
}
