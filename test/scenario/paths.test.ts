import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepare } from '../../src/scenario/prepare.ts';
import { planSweep } from '../../src/experiment/sweep.ts';
import { preparedFor } from '../../src/experiment/parallel-worker.ts';
import { loadScenario } from '../../src/scenario/load.ts';
import { runMain } from '../check/run-main.ts';
import { userError } from '../helpers/errors.ts';

/**
 * Files named inside a scenario (extends:, traces, model configs) stay inside the scenario's
 * directory or a directory given with --allow-path: a scenario from a pull request must not read
 * the runner's files (and show them in an error message).
 */

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const TRACE = 'TIMESTAMP,ContextTokens,GeneratedTokens\n1,10,5\n2,10,5\n';
const SECRET = 'TIMESTAMP,ContextTokens,GeneratedTokens\n1,10,5\n';

let tmp: string;
let project: string;
let outside: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'fleetsim-paths-'));
  project = join(tmp, 'project');
  outside = join(tmp, 'outside');
  mkdirSync(join(project, 'traces'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(project, 'traces', 'ok.csv'), TRACE);
  writeFileSync(join(outside, 'secret.csv'), SECRET); // a valid trace, so only the confinement can refuse it
  writeFileSync(join(outside, 'base.yaml'), scenario('{ kind: poisson, rate_per_s: 1 }'));
  symlinkSync(join(outside, 'secret.csv'), join(project, 'traces', 'link.csv'));
  symlinkSync(outside, join(project, 'linked-dir'));
  symlinkSync(join(project, 'traces', 'ok.csv'), join(project, 'inside-link.csv'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

function scenario(arrivals: string): string {
  return `name: paths\nduration_s: 10\nworkload:\n  arrivals: ${arrivals}\ntopology:\n  entry: api\n  stations:\n    api: { servers: 1, service_ms: { dist: constant, value: 1 } }\n`;
}

function writeScenario(name: string, text: string): string {
  const f = join(project, name);
  mkdirSync(dirname(f), { recursive: true });
  writeFileSync(f, text);
  return f;
}

const traceScenario = (name: string, file: string) => writeScenario(name, scenario(`{ kind: trace, file: ${JSON.stringify(file)} }`));
const load = (f: string, allow: string[] = []) => prepare(loadScenario(f, [], allow));

describe('traces named in a scenario', () => {
  it('inside the scenario directory, directly or through a symlink that stays inside: read', () => {
    expect(load(traceScenario('a.yaml', 'traces/ok.csv')).trace?.length).toBe(2);
    expect(load(traceScenario('b.yaml', 'inside-link.csv')).trace?.length).toBe(2);
  });

  it.each<[string, () => string, RegExp]>([
    ['a .. escape', () => '../outside/secret.csv', /is a path that leads outside the scenario's directory/],
    ['an absolute path', () => join(outside, 'secret.csv'), /is an absolute path outside the scenario's directory/],
    ['a symlink to a file outside', () => 'traces/link.csv', /is a symbolic link that leads outside the scenario's directory/],
    ['a path through a symlinked directory', () => 'linked-dir/secret.csv', /is a symbolic link that leads outside the scenario's directory/],
    ['a .. escape that does not exist', () => '../outside/nothing.csv', /is a path that leads outside/],
  ])('%s is refused, naming the field', (_what, path, problem) => {
    const f = traceScenario('escape.yaml', path());
    const msg = userError(() => load(f));
    expect(msg.startsWith(`${f}: workload.arrivals.file: "${path()}" `), msg).toBe(true);
    expect(msg).toMatch(problem);
    expect(msg).toMatch(/pass --allow-path DIR/);
  });

  it('a directory given with --allow-path lets them through (the real path is checked)', () => {
    expect(load(traceScenario('c.yaml', '../outside/secret.csv'), [outside]).trace?.length).toBe(1);
    expect(load(traceScenario('d.yaml', 'traces/link.csv'), [outside]).trace?.length).toBe(1);
    expect(load(traceScenario('e.yaml', join(outside, 'secret.csv')), [outside]).trace?.length).toBe(1);
  });

  it('a scenario in a subdirectory may not climb to its parent', () => {
    const f = writeScenario('sub/s.yaml', scenario('{ kind: trace, file: ../traces/ok.csv }'));
    expect(userError(() => load(f))).toMatch(/"\.\.\/traces\/ok\.csv" is a path that leads outside/);
    expect(load(f, [project]).trace?.length).toBe(2);
  });

  it('token traces of served models are confined too', () => {
    const fleet = readFileSync(join(REPO, 'scenarios/openai-2024.yaml'), 'utf8').replaceAll('data/azure-llm-2023/conv.csv', '../outside/secret.csv');
    const f = writeScenario('fleet.yaml', fleet);
    expect(userError(() => load(f))).toMatch(/fleet\.models\.gpt-4\.tokens\.trace: "\.\.\/outside\/secret\.csv" is a path that leads outside/);
  });

  it('a model config.json outside is refused before any simulation', () => {
    const fleet = readFileSync(join(REPO, 'scenarios/openai-2024.yaml'), 'utf8')
      .replaceAll('data/azure-llm-2023/conv.csv', 'traces/ok.csv')
      .replace('model: gpt-3-175b', `model: ${join(outside, 'config.json')}`);
    const f = writeScenario('model.yaml', fleet);
    expect(userError(() => load(f))).toMatch(/fleet\.models\.gpt-4\.model: ".*config\.json" is an absolute path outside/);
  });
});

describe('extends:', () => {
  it('a base outside the directory is refused; allowed, it is read', () => {
    const f = writeScenario('ext.yaml', 'extends: ../outside/base.yaml\nname: ext\n');
    expect(userError(() => loadScenario(f))).toMatch(/ext\.yaml: extends: "\.\.\/outside\/base\.yaml" is a path that leads outside/);
    expect(loadScenario(f, [], [outside]).scenario.name).toBe('ext');
  });

  it('the shipped incidents need scenarios/ allowed: they extend ../openai-2024.yaml', () => {
    const f = join(REPO, 'scenarios/incidents/region-outage.yaml');
    expect(userError(() => loadScenario(f))).toMatch(/base\.yaml: extends: "\.\.\/openai-2024\.yaml" is a path that leads outside/);
    expect(loadScenario(f, [], [join(REPO, 'scenarios')]).scenario.name).toBe('region-outage');
  });
});

describe('--allow-path on the command line', () => {
  it('validate: refused without it (exit 2, one line), accepted with it', async () => {
    const f = traceScenario('cli.yaml', '../outside/secret.csv');
    const refused = await runMain(['validate', f]);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/workload\.arrivals\.file: "\.\.\/outside\/secret\.csv" is a path that leads outside/);
    const allowed = await runMain(['validate', f, '--allow-path', outside]);
    expect(allowed.code, allowed.stderr).toBe(0);
    // Each command starts afresh: the directory allowed for the last one is not allowed for the next.
    expect((await runMain(['validate', f])).code).toBe(2);
  });

  it('check honours it for traces too (it reads the scenario with its budgets its own way)', async () => {
    const f = traceScenario('check.yaml', '../outside/secret.csv');
    const budgets = join(project, 'budgets.yaml');
    writeFileSync(budgets, '- requests.error_rate <= 1\n');
    const refused = await runMain(['check', f, '--budgets', budgets, '--quiet']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/workload\.arrivals\.file: "\.\.\/outside\/secret\.csv" is a path that leads outside/);
    const allowed = await runMain(['check', f, '--budgets', budgets, '--quiet', '--allow-path', outside]);
    // the trace is read and the run checked: its few seconds are too short to judge steady state,
    // so the met budget is inconclusive (exit 1), not a refusal (exit 2)
    expect(allowed.code, allowed.stderr).toBe(1);
    expect(allowed.stdout).toMatch(/^## fleetsim check: .*: INCONCLUSIVE\n\n0 passed, 0 failed, 1 inconclusive \(the run is too short to tell whether it is at steady state: counts as a failure\)/);
  });

  it('a directory that does not exist is refused', async () => {
    const r = await runMain(['validate', traceScenario('cli2.yaml', 'traces/ok.csv'), '--allow-path', join(tmp, 'nope')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--allow-path ".*nope": cannot use it \(ENOENT\)/);
  });

  it('every command that loads a scenario takes it', async () => {
    for (const command of ['run', 'validate', 'check', 'compare', 'replay', 'sweep', 'plan']) {
      const r = await runMain([command, '--help']);
      expect(r.stdout, command).toMatch(/--allow-path <dir>/);
    }
  });

  it('a sweep point that varies a trace path to one outside is refused where a worker prepares it', () => {
    const f = traceScenario('sweep.yaml', 'traces/ok.csv');
    const sw = planSweep({ file: f, vary: ['workload.arrivals.file=traces/ok.csv,../outside/secret.csv'], allowPaths: [] });
    expect(preparedFor(sw.task(0, 0)).trace?.length).toBe(2);
    expect(userError(() => preparedFor(sw.task(1, 0)))).toMatch(/workload\.arrivals\.file: "\.\.\/outside\/secret\.csv" is a path that leads outside/);
  });
});
