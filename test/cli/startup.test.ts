import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Command, Help } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMANDS, VERSION } from '../../src/cli/commands.mjs';
import { fleetsim, REPO } from '../helpers/cli.ts';

/**
 * What makes start-up fast, asserted as structure rather than timed (timing is
 * test/bench/startup.bench.ts): `fleetsim --help` needs neither tsx nor any command module, the
 * CLI loads only the module of the command it runs, and no command loads vega at start-up.
 */

/** Static imports of a source file: `import ... from`, `export ... from` and bare `import '...'`; not `import type`, not `import()`. */
function staticImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm)) specifiers.push(m[1]);
  return specifiers;
}

/** Every file and package reached from `entry` through static imports (relative ones followed). */
function staticClosure(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const queue = [resolve(REPO, entry)];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    for (const s of staticImports(file)) {
      if (s.startsWith('.')) queue.push(resolve(dirname(file), s));
      else if (!s.startsWith('node:')) packages.add(s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]);
    }
  }
  return { files, packages };
}

const relative = (files: Set<string>) => [...files].map((f) => f.slice(REPO.length));
/** The modules that define commands, from the dynamic imports of the command table. */
const COMMAND_MODULES = [...readFileSync(join(REPO, 'src/cli/commands.mjs'), 'utf8').matchAll(/import\('(\.[^']+)'\)/g)].map((m) => join('src/cli', m[1]));
const HEAVY_PACKAGES = ['vega', 'vega-lite', 'zod', 'yaml', 'piscina', 'tsx'];

describe('start-up structure', () => {
  it('the command table names a module for every command', () => {
    expect(COMMAND_MODULES).toHaveLength(COMMANDS.length);
  });

  it('the entry point answers --help without TypeScript: only plain JavaScript and commander', () => {
    const { files, packages } = staticClosure('src/cli/fleetsim.mjs');
    expect(relative(files).filter((f) => !f.endsWith('.mjs'))).toEqual([]);
    expect([...packages]).toEqual(['commander']);
  });

  it('main.ts imports no command module and nothing heavy; the command runs load on demand', () => {
    const { files, packages } = staticClosure('src/cli/main.ts');
    const reached = relative(files);
    expect(reached.filter((f) => COMMAND_MODULES.includes(f))).toEqual([]);
    expect(reached.filter((f) => /^src\/(engine|fleet|experiment|report|workload|perf|fidelity)\//.test(f))).toEqual([]);
    expect([...packages].filter((p) => HEAVY_PACKAGES.includes(p))).toEqual([]);
  });

  it('no command module loads vega or vega-lite at start-up (charts load them when drawn)', () => {
    for (const m of COMMAND_MODULES) {
      const { packages } = staticClosure(m);
      expect([...packages].filter((p) => p.startsWith('vega')), m).toEqual([]);
    }
  });

  it('validate loads the scenario loader and the capacity check only when it runs', () => {
    const { files, packages } = staticClosure('src/cli/validate.ts');
    expect(relative(files).filter((f) => !f.startsWith('src/util/')).sort()).toEqual(['src/cli/options.ts', 'src/cli/validate.ts']);
    expect([...packages].filter((p) => HEAVY_PACKAGES.includes(p))).toEqual([]);
  });
});

/** The program as it was before lazy loading: every command module registered. */
async function eagerProgram(): Promise<{ program: Command; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const program = new Command('fleetsim')
    .description('Discrete-event capacity and failure simulator for LLM serving fleets')
    .version(JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version)
    .exitOverride()
    .configureOutput({ writeOut: (s) => out.push(s), writeErr: (s) => err.push(s), getOutHelpWidth: () => 80, getErrHelpWidth: () => 80 });
  for (const c of COMMANDS) (await c.load())(program);
  return { program, out, err };
}

describe('the command table and the fast answers', () => {
  it('lists each command as its module registers it (name, term, description)', async () => {
    const help = new Help();
    for (const c of COMMANDS) {
      const program = new Command('fleetsim');
      (await c.load())(program);
      const [registered] = program.commands;
      expect({ name: registered.name(), term: help.subcommandTerm(registered), description: registered.description() }, `src/cli/commands.mjs: entry "${c.name}"`).toEqual({
        name: c.name,
        term: c.term,
        description: c.description,
      });
    }
  });

  it('--help, --version, help and no arguments answer as the program with every command loaded does', async () => {
    const { program } = await eagerProgram();
    const [help, version, helpCommand, none] = await Promise.all([fleetsim(['--help']), fleetsim(['--version']), fleetsim(['help']), fleetsim([])]);
    expect(help).toMatchObject({ code: 0, stdout: program.helpInformation(), stderr: '' });
    expect(helpCommand).toMatchObject({ code: 0, stdout: program.helpInformation(), stderr: '' });
    expect(version).toMatchObject({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
    expect(VERSION).toBe(JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version);
    // No command: the help on stderr, and exit 2 (bad input), as before.
    expect(none).toMatchObject({ code: 2, stdout: '', stderr: program.helpInformation() });
  });

  it('a command\'s own help and an unknown command still work with the others not loaded', async () => {
    const { program } = await eagerProgram();
    const [runHelp, helpRun, typo] = await Promise.all([fleetsim(['run', '--help']), fleetsim(['help', 'run']), fleetsim(['rnu', 'x.yaml'])]);
    const run = program.commands.find((c) => c.name() === 'run')!;
    // main.ts adds --allow-path to every command that loads a scenario; compare the rest.
    const withoutAllowPath = (text: string) => text.replace(/\n\s+--allow-path <dir>[\s\S]*?(?=\n {2}-)/, '');
    expect(runHelp.code).toBe(0);
    expect(withoutAllowPath(runHelp.stdout)).toBe(run.helpInformation());
    expect(helpRun.stdout).toBe(runHelp.stdout);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/unknown command 'rnu'.*run/);
  });

  it('runs where the temporary directory cannot be written (tsx then keeps its cache in memory; it crashed with a stack trace)', async () => {
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((done) =>
      execFile(process.execPath, ['src/cli/fleetsim.mjs', 'validate', 'scenarios/mmc-example.yaml'], { cwd: REPO, encoding: 'utf8', env: { ...process.env, TMPDIR: join(REPO, 'package.json', 'tmp') /* under a file: not even root can make it */ } }, (err, stdout, stderr) =>
        done({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
      ),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/mean load/);
  }, 60_000);
});
