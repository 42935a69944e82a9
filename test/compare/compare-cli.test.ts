import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleetsim, REPO, show, type CliResult } from '../helpers/cli.ts';
import { loadScenario } from '../../src/scenario/load.ts';
import { prepare } from '../../src/scenario/prepare.ts';
import { runReplications } from '../../src/experiment/replications.ts';
import { compareMarkdown, type Comparison } from '../../src/report/compare.ts';
import { runAll } from '../check/run-main.ts';

/**
 * `fleetsim compare` end to end: a real regression (one server fewer in the M/M/c example) is
 * flagged, seed noise (the same scenario on other seeds) is not; scenario inputs (run here on
 * common random numbers) and summary files (significance rebuilt from their CIs). The
 * regression case runs the real binary (its exit code is what CI sees); the others run `main()`
 * in-process (the same code, without a second of TypeScript loading per call).
 */
const EXAMPLE = 'scenarios/mmc-example.yaml';
// rho 0.8 on 10 servers; the candidate has 9 (rho 0.89): waits roughly triple.
const SETS = ['--set', 'workload.arrivals.rate_per_s=8', '--set', 'duration_s=4000', '--set', 'warmup_s=200'];
const FEWER = ['--candidate-set', 'topology.stations.api.servers=9'];

let tmp: string;
const r: Record<string, CliResult> = {};
const json = (res: CliResult) => JSON.parse(res.stdout) as Comparison;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'fleetsim-compare-'));
  // Summary files of replicated runs, as `run --replications 5 --out` writes them.
  const sets = ['workload.arrivals.rate_per_s=8', 'duration_s=4000', 'warmup_s=200'];
  const write = (name: string, overrides: string[], seed: number) => {
    const s = runReplications(prepare(loadScenario(join(REPO, EXAMPLE), [...sets, ...overrides])), seed, 5).summary;
    mkdirSync(join(tmp, name));
    writeFileSync(join(tmp, name, 'summary.json'), JSON.stringify(s));
    return join(tmp, name);
  };
  const baseDir = write('base', [], 7);
  const fewerDir = write('fewer', ['topology.stations.api.servers=9'], 7);
  const otherSeedsDir = write('other-seeds', [], 1007);
  const child = fleetsim(['compare', EXAMPLE, EXAMPLE, ...SETS, ...FEWER, '--replications', '5', '--json', '--fail-on-regression', '--quiet']);
  Object.assign(
    r,
    await runAll({
      noise: ['compare', EXAMPLE, EXAMPLE, ...SETS, '--candidate-seed', '1007', '--replications', '5', '--fail-on-regression', '--quiet'],
      filesRegression: ['compare', join(baseDir, 'summary.json'), fewerDir, '--json'],
      filesNoise: ['compare', baseDir, join(otherSeedsDir, 'summary.json'), '--fail-on-regression'],
      missing: ['compare', join(tmp, 'nope.json'), EXAMPLE],
    }),
  );
  r.regression = await child;
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('fleetsim compare', () => {
  it('flags a real regression (one server fewer) on common random numbers', () => {
    expect(r.regression.code, show(r.regression)).toBe(1);
    const c = json(r.regression);
    expect(c.method).toMatch(/^paired t-test on common random numbers/);
    expect(c.base.replications).toBe(5);
    for (const m of ['latency_ms.e2e.p50', 'latency_ms.e2e.mean', 'latency_ms.e2e.p99', 'stations.api.wait_ms.mean', 'stations.api.wait_ms.p99']) expect(c.regressions).toContain(m);
    expect(c.improvements).toEqual([]);
    // Utilisation rises too, but it is neither better nor worse; throughput is unchanged.
    expect(c.metrics.find((m) => m.metric === 'stations.api.utilization')!.verdict).toBe('changed');
    expect(c.metrics.find((m) => m.metric === 'requests.throughput_per_s')!.verdict).toBe('no significant change');
    const p99 = c.metrics.find((m) => m.metric === 'latency_ms.e2e.p99')!;
    expect(p99.change_rel!).toBeGreaterThan(0.1);
    expect(p99.p_value!).toBeLessThan(0.01);
  });

  it('does not flag seed noise: the same scenario on other seeds', () => {
    expect(r.noise.code, show(r.noise)).toBe(0);
    expect(r.noise.stdout).toContain("Welch's t-test per metric");
    expect(r.noise.stdout).toContain('No regression.');
    expect(r.noise.stdout).not.toMatch(/REGRESSION|improvement \|/);
    expect(r.noise.stdout).toMatch(/^## fleetsim compare: base scenarios\/mmc-example\.yaml -> candidate scenarios\/mmc-example\.yaml \(seed 1007\)/);
  });

  it('prints Markdown: every headline metric side by side, the change, p and the verdict', () => {
    // The Markdown the CLI prints without --json, from the same comparison.
    const md = compareMarkdown(json(r.regression));
    expect(md).toMatch(/^## fleetsim compare: base scenarios\/mmc-example\.yaml -> candidate scenarios\/mmc-example\.yaml \(topology\.stations\.api\.servers=9\)/);
    expect(md).toMatch(/\*\*\d+ regressions\*\*: `latency_ms\.e2e\.p50`/);
    expect(md).toContain('| metric | better | base | candidate | change | p (Holm) | verdict |');
    expect(md).toMatch(/\| `latency_ms\.e2e\.p99` \| lower \| [\d,]+ ±[\d,.]+ \| [\d,]+ ±[\d,.]+ \| \+[\d.]+% \| [<\d.]+ \| \*\*REGRESSION\*\* \|/);
  });

  it('compares summary files, with significance rebuilt from their confidence intervals', () => {
    expect(r.filesRegression.code, show(r.filesRegression)).toBe(0);
    const c = json(r.filesRegression);
    expect(c.method).toMatch(/^Welch's t-test/);
    expect(c.regressions).toContain('latency_ms.e2e.mean');
    expect(c.regressions).toContain('stations.api.wait_ms.mean');
    expect(c.improvements).toEqual([]);
    expect(r.filesNoise.code, show(r.filesNoise)).toBe(0);
    expect(r.filesNoise.stdout).toContain('No regression.');
  });

  it('bad input: exit 2 with one line', () => {
    expect(r.missing.code, show(r.missing)).toBe(2);
    expect(r.missing.stderr).toMatch(/nope\.json: cannot read the file \(no such file\)/);
  });
});
