import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleetsim, REPO, show, type CliResult } from '../helpers/cli.ts';
import { loadScenario } from '../../src/scenario/load.ts';
import { prepare } from '../../src/scenario/prepare.ts';
import { runReplications } from '../../src/experiment/replications.ts';
import { runAll } from './run-main.ts';

/**
 * `fleetsim check` end to end: exit codes, the Markdown on stdout and the JUnit file for pass,
 * fail, inconclusive and bad input; budgets inside the scenario; the budgets shipped for the
 * default scenario hold today (gated alone, --budgets-only), on a run that is not at steady state (so inconclusive). Two cases run the real binary (a child process: exit codes 1 and
 * 2 as a CI system sees them); the others run `main()` in-process, which is the same code
 * without a second of TypeScript loading per call.
 */
const EXAMPLE = 'scenarios/mmc-example.yaml';
const SHORT = ['--set', 'duration_s=600', '--set', 'warmup_s=60'];

let tmp: string;
const r: Record<string, CliResult> = {};
const file = (name: string) => join(tmp, name);
const junit = (name: string) => readFileSync(file(`${name}.xml`), 'utf8');
/** The mean e2e p99 of 3 replications: a budget there has its CI straddling it. */
let p99Mean: number;

function yaml(name: string, lines: string[]): string {
  writeFileSync(file(name), `${lines.join('\n')}\n`);
  return file(name);
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'fleetsim-check-'));
  // The same runs the CLI makes (deterministic seeds), in-process: for a bound inside the CI.
  const exp = runReplications(prepare(loadScenario(join(REPO, EXAMPLE), ['duration_s=600', 'warmup_s=60'])), 7, 3);
  p99Mean = exp.summary.latency_ms.e2e.p99!;
  const pass = yaml('pass.yaml', [
    '# budgets the M/M/10 example meets',
    '- requests.error_rate <= 0.001',
    '- latency_ms.e2e.p99 <= 30000',
    '- { metric: stations.api.utilization, op: "<", value: 1, name: rho below 1 }',
    '- requests.throughput_per_s >= 5',
  ]);
  const fail = yaml('fail.yaml', ['- requests.error_rate <= 0.001', '- latency_ms.e2e.p99 <= 100']);
  const inconclusive = yaml('inconclusive.yaml', ['- requests.error_rate <= 0.001', `- latency_ms.e2e.p99 <= ${p99Mean}`]);
  const badOp = yaml('bad-op.yaml', ['- requests.error_rate <= 0.001', '- { metric: latency_ms.e2e.p99, op: "=<", value: 1 }']);
  const badMetric = yaml('bad-metric.yaml', ['- latency_ms.e2e.p98 <= 100']);
  const scenario = yaml('with-budgets.yaml', [readFileSync(join(REPO, EXAMPLE), 'utf8'), 'budgets:', '  - requests.error_rate <= 0.001', '  - latency_ms.e2e.p50 < 5000']);
  const spawned: Record<string, string[]> = {
    fail: ['check', EXAMPLE, ...SHORT, '--budgets', fail, '--junit', file('fail.xml'), '--quiet'],
    badOp: ['check', EXAMPLE, ...SHORT, '--budgets', badOp, '--junit', file('bad-op.xml')],
  };
  const names = Object.keys(spawned);
  const children = Promise.all(names.map((n) => fleetsim(spawned[n])));
  Object.assign(
    r,
    await runAll({
      pass: ['check', EXAMPLE, ...SHORT, '--budgets', pass, '--junit', file('pass.xml'), '--quiet'],
      inconclusive: ['check', EXAMPLE, ...SHORT, '--replications', '3', '--budgets', inconclusive, '--junit', file('inconclusive.xml'), '--quiet'],
      allowed: ['check', EXAMPLE, ...SHORT, '--replications', '3', '--budgets', inconclusive, '--allow-inconclusive', '--junit', file('allowed.xml'), '--quiet'],
      badMetric: ['check', EXAMPLE, ...SHORT, '--budgets', badMetric, '--junit', file('bad-metric.xml')],
      noFile: ['check', EXAMPLE, '--budgets', file('missing.yaml')],
      noBudgets: ['check', EXAMPLE],
      inScenario: ['check', scenario, ...SHORT, '--quiet'],
      // the scenario's own SLOs are missed (the budgets file says why): gated on the budgets alone
      shipped: ['check', 'scenarios/openai-2024.yaml', '--budgets', 'scenarios/budgets/openai-2024.yaml', '--budgets-only', '--junit', file('shipped.xml'), '--quiet'],
      junitInOut: ['check', EXAMPLE, ...SHORT, '--budgets', pass, '--out', file('rep'), '--junit', file('rep/j.xml'), '--quiet'],
      junitNoDir: ['check', EXAMPLE, ...SHORT, '--budgets', pass, '--junit', join(yaml('plain.txt', ['not a directory']), 'j.xml'), '--quiet'],
      junitNewDir: ['check', EXAMPLE, ...SHORT, '--budgets', pass, '--junit', file('new/dir/j.xml'), '--quiet'],
    }),
  );
  const results = await children;
  names.forEach((n, i) => (r[n] = results[i]));
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('fleetsim check', () => {
  it('all budgets pass: exit 0, a Markdown table on stdout, a JUnit file with no failure', () => {
    expect(r.pass.code, show(r.pass)).toBe(0);
    expect(r.pass.stdout).toMatch(/^## fleetsim check: mmc-example: PASS\n/);
    expect(r.pass.stdout).toContain('4 passed, 0 failed, 0 inconclusive. 1 run (seed 7)');
    expect(r.pass.stdout).toMatch(/\| pass \| `stations\.api\.utilization` \(rho below 1\) \| < 1 \| 0\.\d+ \|/);
    expect(r.pass.stderr).toBe('');
    const x = junit('pass');
    expect(x).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites name="fleetsim check" tests="4" failures="0" errors="0" skipped="0"/);
    expect((x.match(/<testcase /g) ?? []).length).toBe(4);
    expect(x).not.toMatch(/<failure|<error|<skipped/);
    expect(x).toContain('<property name="seed" value="7"/>');
  });

  it('a budget fails: exit 1, FAIL in the Markdown with the reason, a <failure> in the JUnit file', () => {
    expect(r.fail.code, show(r.fail)).toBe(1);
    expect(r.fail.stdout).toMatch(/^## fleetsim check: mmc-example: FAIL/);
    expect(r.fail.stdout).toMatch(/\| \*\*FAIL\*\* \| `latency_ms\.e2e\.p99` \| <= 100 \| [\d,]+ \|/);
    expect(r.fail.stdout).toMatch(/- fail: `latency_ms\.e2e\.p99 <= 100`: [\d,]+ is not <= 100/);
    const x = junit('fail');
    expect(x).toMatch(/tests="2" failures="1" errors="0" skipped="0"/);
    expect(x).toMatch(/<testcase classname="fleetsim\.check\.mmc-example" name="latency_ms\.e2e\.p99 &lt;= 100" time="0">\n\s*<failure type="budget" message="latency_ms\.e2e\.p99 = [\d,]+: /);
  });

  it('a CI that straddles the bound is inconclusive: exit 1, or 0 with --allow-inconclusive', () => {
    expect(r.inconclusive.code, show(r.inconclusive)).toBe(1);
    expect(r.inconclusive.stdout).toMatch(/^## fleetsim check: mmc-example: INCONCLUSIVE/);
    expect(r.inconclusive.stdout).toContain('1 passed, 0 failed, 1 inconclusive (not allowed: counts as a failure). 3 replications (seeds 7..9), verdicts on 95% CIs');
    expect(r.inconclusive.stdout).toMatch(/\| \*\*inconclusive\*\* \| `latency_ms\.e2e\.p99` \| <= [\d,]+ \| [\d,]+ \| \[[\d,]+, [\d,]+\] \|/);
    expect(junit('inconclusive')).toMatch(/tests="2" failures="1" errors="0" skipped="0"/);
    expect(junit('inconclusive')).toMatch(/<failure type="inconclusive" message="inconclusive: latency_ms\.e2e\.p99 = [\d,]+ \(95% CI/);
    expect(r.allowed.code, show(r.allowed)).toBe(0);
    expect(r.allowed.stdout).toContain('1 inconclusive (allowed)');
    expect(junit('allowed')).toMatch(/tests="2" failures="0" errors="0" skipped="1"/);
  });

  it('bad input: exit 2, one line naming the file and the path, a JUnit file with an <error>', () => {
    expect(r.badOp.code, show(r.badOp)).toBe(2);
    expect(r.badOp.stderr.trim()).toMatch(/^\S+bad-op\.yaml: \[1\]\.op: expected one of "<=", "<", ">=", ">", got "=<"$/);
    expect(r.badOp.stdout).toBe('');
    expect(junit('bad-op')).toMatch(/tests="1" failures="0" errors="1"[\s\S]*<error type="bad-input" message="\S+bad-op\.yaml: \[1\]\.op: expected one of &quot;&lt;=&quot;/);
    // A misspelt metric is caught before simulating, with a guess.
    expect(r.badMetric.code, show(r.badMetric)).toBe(2);
    expect(r.badMetric.stderr.trim()).toMatch(/bad-metric\.yaml: \[0\]\.metric: latency_ms\.e2e\.p98: no field "p98" in latency_ms\.e2e; did you mean "latency_ms\.e2e\.p9[09]"\?/);
    expect(r.badMetric.stderr).not.toContain('fleetsim check: 1 budget');
    expect(junit('bad-metric')).toMatch(/<error type="bad-input"/);
    expect(r.noFile.code, show(r.noFile)).toBe(2);
    expect(r.noFile.stderr).toMatch(/missing\.yaml: cannot read the file \(no such file\)/);
    expect(r.noBudgets.code, show(r.noBudgets)).toBe(2);
    expect(r.noBudgets.stderr).toMatch(/no budgets to check: give --budgets FILE, or a budgets: list in the scenario/);
    expect(existsSync(file('never.xml'))).toBe(false);
  });

  it('refuses a JUnit path inside --out, or under a file, before simulating (the file was lost, or refused after the run); makes the directories it names', () => {
    expect(r.junitInOut.code, show(r.junitInOut)).toBe(2);
    expect(r.junitInOut.stderr.trim()).toBe(`--junit ${file('rep/j.xml')}: inside --out ${file('rep')}, which the report replaces whole; write the JUnit file elsewhere`);
    expect(existsSync(file('rep'))).toBe(false);
    expect(r.junitNoDir.code, show(r.junitNoDir)).toBe(2);
    expect(r.junitNoDir.stderr.trim()).toBe(`--junit ${join(file('plain.txt'), 'j.xml')}: ${file('plain.txt')} is not a directory`);
    expect(r.junitNoDir.stdout).toBe(''); // no verdict: nothing was simulated
    expect(r.junitNewDir.code, show(r.junitNewDir)).toBe(0);
    expect(readFileSync(file('new/dir/j.xml'), 'utf8')).toMatch(/<testsuites /);
  });

  it('reads a budgets: list inside the scenario', () => {
    expect(r.inScenario.code, show(r.inScenario)).toBe(0);
    expect(r.inScenario.stdout).toContain('2 passed, 0 failed, 0 inconclusive');
    expect(r.inScenario.stdout).toMatch(/budgets from \S+with-budgets\.yaml \(budgets:\)/);
  });

  it('the budgets shipped for the default scenario hold (--budgets-only: its SLOs are missed), but its run is not at steady state: inconclusive, exit 1', () => {
    expect(r.shipped.code, show(r.shipped)).toBe(1);
    expect(r.shipped.stdout).toMatch(/^## fleetsim check: openai-2024: INCONCLUSIVE/);
    expect(r.shipped.stdout).toContain('0 passed, 0 failed, 18 inconclusive (the run is not at steady state: counts as a failure)');
    expect(r.shipped.stdout).toMatch(/\| \*\*inconclusive\*\* \| `by_model\.gpt-3\.5-turbo\.latency_ms\.tpot\.p99` \|/);
    expect(junit('shipped')).toMatch(/tests="18" failures="18" errors="0" skipped="0"/);
    expect(r.shipped.stdout).toContain("**Not gated:** the scenario's SLOs (--budgets-only); the run's verdict: SLO missed for");
  });
});
