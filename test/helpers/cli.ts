import { execFile } from 'node:child_process';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));

export interface CliResult {
  args: string[];
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `node src/cli/fleetsim.mjs ...args` from the repository root (no shell). */
export function fleetsim(args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['src/cli/fleetsim.mjs', ...args],
      { cwd: REPO, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ args, code, stdout, stderr });
      },
    );
  });
}

/** A readable description for assertion messages. */
export function show(r: CliResult): string {
  return `fleetsim ${r.args.join(' ')}\nexit ${r.code}\nstdout: ${r.stdout.slice(0, 2000)}\nstderr: ${r.stderr.slice(0, 2000)}`;
}

/** Resolves once a spawned CLI has printed `text` on stdout (returns all stdout so far); rejects after timeout_ms. */
export function waitForStdout(child: { stdout: Readable }, text: string, stderr: () => string, timeout_ms = 60_000): Promise<string> {
  let stdout = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`"${text}" not printed in ${timeout_ms / 1000} s; stderr: ${stderr()}`)), timeout_ms);
    child.stdout.on('data', (d) => {
      stdout += String(d);
      if (stdout.includes(text)) {
        clearTimeout(timer);
        resolve(stdout);
      }
    });
  });
}
