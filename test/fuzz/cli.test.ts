import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseKnobs } from '../../src/experiment/grid.ts';
import { parseSlo } from '../../src/experiment/plan.ts';
import { planSweep } from '../../src/experiment/sweep.ts';
import { fleetsim, REPO, type CliResult } from '../helpers/cli.ts';
import { runMain } from '../check/run-main.ts';
import { applyAll, expectCleanMessage, expectReturnsOrUserError, FUZZ_SEED, fuzzParams, HUGE_NUMBERS, mutations } from './mutate.ts';

/**
 * The CLI against hostile flag values (in this process: main() as fleetsim.mjs calls it), and a
 * few real invocations of mutated inputs: every outcome is exit 0 or 2, and an exit 2 prints one
 * clean line on stderr, never exit 70 or a stack trace. See mutate.ts to run it longer.
 */

let tmp: string;
let tree: string;
let tiny: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'fleetsim-fuzz-cli-'));
  tree = join(tmp, 'scenarios');
  cpSync(join(REPO, 'scenarios'), tree, { recursive: true, filter: (src) => !src.endsWith('.csv') || src.includes('splitwise') });
  // The fleet scenarios' token trace, cut short: the fuzz is about the inputs, not parsing speed.
  const conv = readFileSync(join(REPO, 'scenarios/data/azure-llm-2023/conv.csv'), 'utf8').split('\n').slice(0, 301).join('\n');
  writeFileSync(join(tree, 'data/azure-llm-2023/conv.csv'), conv);
  writeFileSync(join(tree, 'data/azure-llm-2023/code.csv'), conv);
  // A scenario that simulates in milliseconds.
  tiny = join(tmp, 'tiny.yaml');
  writeFileSync(tiny, readFileSync(join(REPO, 'scenarios/mmc-example.yaml'), 'utf8').replace('duration_s: 2000', 'duration_s: 3').replace('warmup_s: 200', 'warmup_s: 0'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

/** Flag values: numbers at the edges, control characters, long strings, YAML that explodes, anything. */
const flagValue = fc.oneof(
  fc.constantFrom(...HUGE_NUMBERS, '', ' ', '-', '--', '=', '==', '1=2=3', '\u001b[2J', '\u202e', 'a\nb', 'x'.repeat(5000), '[[[[[[[[', `${'['.repeat(3000)}1${']'.repeat(3000)}`),
  fc.constantFrom('&a [*a]', 'a: &x [1,2]\nb: [*x, *x]', '{__proto__: {polluted: 1}}', '!!binary aGk=', '.', '..', '/', '/etc/passwd', '../..', '%YAML 1.1'),
  fc.string({ maxLength: 30 }),
  fc.integer({ min: -5, max: 5 }).map(String),
);

/** --set paths: real fields, reserved names, numbers, dots and garbage. */
const setPath = fc.oneof(
  fc.constantFrom('duration_s', 'seed', 'replications', 'name', 'topology.stations.api.servers', 'topology.stations.api.service_ms', 'topology.entry', 'workload.arrivals', 'limits.max_events', 'warmup_s'),
  fc.constantFrom('__proto__.x', 'constructor.prototype.polluted', 'topology.stations.prototype', 'a..b', '.', 'topology.stations.api.next.0.to', 'extends', 'workload.arrivals.file'),
  fc.string({ maxLength: 20 }),
);

function expectExit0or2(r: CliResult, input: string): void {
  const context = `fleetsim ${r.args.map((a) => JSON.stringify(a.slice(0, 60))).join(' ')}`;
  expect([0, 2], `${context}\nexit ${r.code}\nstderr: ${r.stderr.slice(0, 2000)}`).toContain(r.code);
  expect(r.stderr, context).not.toMatch(/internal error|\n\s+at /);
  if (r.code === 2) {
    expectCleanMessage(r.stderr.replace(/\n$/, ''), input, context);
  }
}

describe('flag values, in this process', () => {
  it('validate --set path=value', async () => {
    await fc.assert(
      fc.asyncProperty(setPath, flagValue, async (path, value) => {
        const r = await runMain(['validate', tiny, '--set', `${path}=${value}`]);
        expectExit0or2(r, value);
        expect(({} as Record<string, unknown>).polluted, 'Object.prototype polluted').toBeUndefined();
      }),
      fuzzParams(120),
    );
  });

  it('run --seed, --replications, --jobs and --allow-path', async () => {
    // Valid counts are kept small so a run stays short; everything else is hostile.
    const count = fc.oneof(flagValue, fc.constantFrom('1', '2', '3'));
    await fc.assert(
      fc.asyncProperty(fc.oneof(flagValue, fc.nat().map(String)), count, count, fc.oneof(flagValue, fc.constantFrom('.', 'scenarios')), async (seed, reps, jobs, allow) => {
        const r = await runMain(['run', tiny, '--quiet', '--seed', seed, '--replications', reps, '--jobs', ['1', '2', '3'].includes(jobs) ? jobs : '1', '--allow-path', allow]);
        expectExit0or2(r, seed + reps + allow);
      }),
      fuzzParams(30),
    );
  });

  it('--vary and --slo are parsed, and a sweep planned, without anything but a UserError', () => {
    fc.assert(
      fc.property(setPath, flagValue, flagValue, (path, a, b) => {
        const vary = `${path}=${a},${b}`;
        expectReturnsOrUserError(() => planSweep({ file: tiny, vary: [vary] }), vary, `--vary ${vary}`);
        expectReturnsOrUserError(() => parseKnobs([`${path}=${a}..${b}:${b}`]), `${a}${b}`, '--vary range');
        expectReturnsOrUserError(() => parseSlo(`${path}<=${a}`), a, `--slo ${path}<=${a}`);
        expect(({} as Record<string, unknown>).polluted, 'Object.prototype polluted').toBeUndefined();
      }),
      fuzzParams(150),
    );
  });
});

describe('real invocations of mutated inputs', () => {
  // Three spawned processes (a few seconds each on a busy machine): the in-process properties above cover the breadth.
  it('validate a mutated incident (a fleet scenario through two extends)', async () => {
    const [ms] = fc.sample(mutations, { seed: FUZZ_SEED, numRuns: 1 });
    const text = applyAll(readFileSync(join(tree, 'incidents/region-outage.yaml'), 'utf8'), ms);
    const mutated = join(tree, 'incidents/region-outage-fuzz.yaml');
    writeFileSync(mutated, text);
    expectExit0or2(await fleetsim(['validate', mutated, '--allow-path', tree]), text);
  });

  it('check with a mutated budgets file, and run with a hostile seed', async () => {
    const [ms] = fc.sample(mutations, { seed: FUZZ_SEED + 1, numRuns: 1 });
    const text = applyAll(readFileSync(join(REPO, 'scenarios/budgets/openai-2024.yaml'), 'utf8'), ms);
    const budgets = join(tmp, 'budgets.yaml');
    writeFileSync(budgets, text);
    expectExit0or2(await fleetsim(['check', tiny, '--budgets', budgets, '--quiet']), text);
    const [seed] = fc.sample(flagValue, { seed: FUZZ_SEED, numRuns: 1 });
    expectExit0or2(await fleetsim(['run', tiny, '--quiet', '--seed', seed]), seed);
  });
});
