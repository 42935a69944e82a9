import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMain } from '../check/run-main.ts';
import { show } from '../helpers/cli.ts';
import { suiteTempDir } from '../helpers/temp-dir.ts';
import { expectRefusedInOneLine } from '../helpers/errors.ts';

/**
 * The fifth hostile-input campaign of 2026-12-07, on what `--vary` values name: plan and sweep
 * --out no longer replace a report holding a file that only a knob's value names, and plan refuses
 * a fractional step over a field of whole numbers as sweep does. docs/hostile-inputs.md lists them.
 */
const tmp = suiteTempDir('fleetsim-hostile-vary-inputs-');

/**
 * An earlier sweep's output (replaceable, were it not for the inputs put in its points/ where
 * fleetsim writes a point's files: one at another path is refused as what fleetsim does not write,
 * outputs-tenth.test.ts) beside the scenario `scenario` copied from the repository.
 */
function reportBeside(name: string, scenario: string): { dir: string; report: string; file: string } {
  const dir = join(tmp.dir(), name);
  const report = join(dir, 'old-report');
  mkdirSync(join(report, 'points', '0000'), { recursive: true });
  mkdirSync(join(report, 'points', '0001'));
  writeFileSync(join(report, 'sweep.json'), '{"kind": "sweep", "fleetsim_version": "0.1.0", "points": 2}\n');
  const file = join(dir, 'scenario.yaml');
  writeFileSync(file, scenario);
  return { dir, report, file };
}

const refusal = (report: string, input: string) => `${report}: --out contains the input ${input}; refusing to overwrite an input (choose another --out)`;
/**
 * The input refused as one, or (since 2026-12-07) first as a file that is not fleetsim's by its
 * content (a trace is no timeseries.csv of fleetsim's, a model config no summary): either way kept.
 */
function expectInputRefused(stderr: string, report: string, input: string): void {
  if (stderr.trim() === refusal(report, input)) return;
  expect(stderr.trim()).toContain('refusing to replace a directory holding what fleetsim did not write: ');
  expect(stderr.trim()).toContain(`${input.slice(report.length + 1)} (not fleetsim's`);
}

describe('--out never replaces a file named only by a --vary value', () => {
  const traces = ['--vary', 'workload.arrivals.file=base.csv,old-report/points/0000/timeseries.csv'];
  const servers = (range: string) => ['--vary', `topology.stations.api.servers=${range}`];
  const planFlags = ['--slo', 'latency_ms.e2e.p99<=100000', '--minimize', 'topology.stations.api.servers'];
  const cases: [string, string[]][] = [
    ['plan, a knob naming traces', ['plan', ...traces, ...servers('10..14'), ...planFlags]],
    ['plan, a knob setting the arrivals whole', ['plan', '--vary', 'workload.arrivals={kind: poisson, rate_per_s: 9},{kind: trace, file: old-report/points/0000/timeseries.csv}', ...servers('10..14'), ...planFlags]],
    // the report's trace at points 64 to 127 only
    ['sweep, the trace past the 64th point', ['sweep', ...traces, ...servers('1..64')]],
  ];
  for (const [what, [command, ...knobs]] of cases) {
    it(`refuses a report holding a trace that only a knob names (it was emptied): ${what}`, async () => {
      const trace = readFileSync('scenarios/data/azure-llm-2023/conv.csv', 'utf8').split('\n').slice(0, 200).join('\n') + '\n';
      const scenario = readFileSync('scenarios/mmc-example.yaml', 'utf8').replace(/arrivals: \{[^}]*\}/, 'arrivals: { kind: trace, file: base.csv, loop: true }');
      expect(scenario).toContain('base.csv');
      const { dir, report, file } = reportBeside(what.replace(/\W+/g, '-'), scenario);
      writeFileSync(join(dir, 'base.csv'), trace);
      writeFileSync(join(report, 'points', '0000', 'timeseries.csv'), trace);
      const r = await runMain([command, file, ...knobs, '--set', 'duration_s=20', '--set', 'warmup_s=2', '--jobs', '1', '--quiet', '--out', report]);
      expect(r.code, show(r)).toBe(2);
      expectInputRefused(r.stderr, report, join(report, 'points', '0000', 'timeseries.csv'));
      expect(readFileSync(join(report, 'points', '0000', 'timeseries.csv'), 'utf8')).toBe(trace);
    });
  }

  it('plan refuses a report holding the model config.json or calibration profile that a knob names', async () => {
    const { report, file } = reportBeside('fleet', readFileSync('scenarios/spot-mix.yaml', 'utf8'));
    cpSync('scenarios/data/model-configs/llama-3.1-8b/config.json', join(report, 'points', '0000', 'summary.json'));
    cpSync('src/perf/profiles/vllm.json', join(report, 'points', '0001', 'summary.json'));
    const config = readFileSync(join(report, 'points', '0000', 'summary.json'), 'utf8');
    const profile = readFileSync(join(report, 'points', '0001', 'summary.json'), 'utf8');
    const plan = ['plan', file, '--slo', 'latency_ms.e2e.p99<=1e9', '--set', 'duration_s=300', '--set', 'warmup_s=30', '--jobs', '1', '--quiet', '--out', report];
    for (const [knob, input] of [
      ['fleet.models.llama.model=llama-3.1-8b,old-report/points/0000/summary.json', '0000/summary.json'],
      ['fleet.models.llama.calibration=old-report/points/0001/summary.json', '0001/summary.json'],
    ]) {
      const r = await runMain([...plan, '--vary', knob]);
      expect(r.code, show(r)).toBe(2);
      expectInputRefused(r.stderr, report, join(report, 'points', input));
    }
    expect(readFileSync(join(report, 'points', '0000', 'summary.json'), 'utf8')).toBe(config);
    expect(readFileSync(join(report, 'points', '0001', 'summary.json'), 'utf8')).toBe(profile);
  });
});

describe('plan over a fractional step', () => {
  const plan = ['plan', 'scenarios/mmc-example.yaml', '--slo', 'latency_ms.e2e.p99<=5000', '--set', 'duration_s=400', '--set', 'warmup_s=40', '--jobs', '1', '--quiet'];

  it('refuses one over a field of whole numbers, as sweep does (it bisected the refused halves as failing and answered 29)', async () => {
    const servers = ['--vary', 'topology.stations.api.servers=8..32:0.5'];
    const sweep = await runMain(['sweep', 'scenarios/mmc-example.yaml', ...servers, '--quiet']);
    expectRefusedInOneLine(sweep, /^--vary: at point \d+ \(topology\.stations\.api\.servers=8\.5\): scenarios\/mmc-example\.yaml: topology\.stations\.api\.servers: expected a positive integer, got 8\.5$/, show(sweep));
    const r = await runMain([...plan, ...servers, '--minimize', 'topology.stations.api.servers']);
    expectRefusedInOneLine(r, /^--vary: at point \d+ \(topology\.stations\.api\.servers=\d+\.5\): scenarios\/mmc-example\.yaml: topology\.stations\.api\.servers: expected a positive integer, got \d+\.5$/, show(r));
    expect(r.stdout).toBe('');
  });

  it('refuses a fractional value in a list over a field of whole numbers (8,8.5,9 read 8.5 as a rejected configuration)', async () => {
    const r = await runMain([...plan, '--vary', 'topology.stations.api.servers=8,8.5,9', '--minimize', 'topology.stations.api.servers']);
    expectRefusedInOneLine(r, /^--vary: at point 1 \(topology\.stations\.api\.servers=8\.5\): scenarios\/mmc-example\.yaml: topology\.stations\.api\.servers: expected a positive integer, got 8\.5$/, show(r));
    expect(r.stdout).toBe('');
  });

  it('plans over one of a field that takes fractions', async () => {
    const r = await runMain([...plan, '--vary', 'topology.stations.api.service_ms.mean=500..501:0.5', '--minimize', 'topology.stations.api.service_ms.mean']);
    expect(r.code, show(r)).toBe(0);
  });
});
