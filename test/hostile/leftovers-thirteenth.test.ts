import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMain } from '../check/run-main.ts';
import { show } from '../helpers/cli.ts';
import { suiteTempDir } from '../helpers/temp-dir.ts';
import { oneModelFleetYaml } from '../helpers/fleet.ts';
import { loadScenario } from '../../src/scenario/load.ts';
import { prepare } from '../../src/scenario/prepare.ts';
import { runReplications } from '../../src/experiment/replications.ts';
import { sloBudgets, withSloRules } from '../../src/report/slo-budgets.ts';
import type { Summary } from '../../src/results/summary.ts';

/**
 * Leftovers of the earlier hostile-input campaigns, mended on 2026-12-07 (docs/hostile-inputs.md):
 * `check --budgets` passed a run whose scenario missed its own SLO, and `calibrate --measurements`
 * fitted Splitwise rows slower than any profile allows.
 */
const tmp = suiteTempDir('fleetsim-leftovers-13-');

describe("check gates the scenario's own SLOs", () => {
  // 10 requests/s on one A100 (about half its capacity) for 120 s: some 1,180 completed requests, at steady state
  const scenario = () => tmp.write('slo-gate.yaml', oneModelFleetYaml({
    name: 'slo-gate', rate_per_s: 10, duration_s: 120,
    model: '      slo: { ttft_p99_ms: 60000, e2e_p99_ms: 60000 }',
    classes: '  classes:\n    a: { share: 0.05, priority: 0 }\n    b: { share: 0.95, priority: 1, slo: { e2e_p99_ms: 60000 } }',
  }));
  // a budget the run meets, on a figure that has nothing to do with latency
  const budgets = () => tmp.write('budgets.yaml', '- requests.error_rate <= 0.5\n');
  const missed = ['--set', 'fleet.models.m.slo.ttft_p99_ms=1'];

  it('a model SLO the run misses fails the check, exit 1, in the Markdown and as a JUnit test case (it passed on the budgets, exit 0)', async () => {
    const junit = join(tmp.dir(), 'missed.xml');
    const r = await runMain(['check', scenario(), '--budgets', budgets(), ...missed, '--junit', junit, '--quiet']);
    expect(r.code, show(r)).toBe(1);
    expect(r.stdout).toMatch(/^## fleetsim check: slo-gate: FAIL/);
    expect(r.stdout).toMatch(/\| pass \| `requests\.error_rate` \|/);
    expect(r.stdout).toMatch(/\| \*\*FAIL\*\* \| `by_model\.m\.latency_ms\.ttft\.p99` \(SLO of model m\) \| <= 1 \|/);
    expect(r.stdout).toMatch(/budgets from .*budgets\.yaml and 3 SLO targets of the scenario/);
    const xml = readFileSync(junit, 'utf8');
    // the budget, the model's two targets and class b's one
    expect(xml).toMatch(/tests="4" failures="1" errors="0" skipped="0"/);
    expect(xml).toMatch(/<testcase classname="fleetsim\.check\.slo-gate" name="SLO of model m: by_model\.m\.latency_ms\.ttft\.p99 &lt;= 1" time="0">\n\s*<failure type="slo"/);
    expect(xml).toMatch(/name="SLO of class b: classes\.by_class\.b\.latency_ms\.e2e\.p99 &lt;= 60,000" time="0">\n\s*<system-out>/);
  });

  it('--budgets-only gates the budgets alone and says the SLOs are not gated, with the run\'s own verdict', async () => {
    const r = await runMain(['check', scenario(), '--budgets', budgets(), ...missed, '--budgets-only', '--quiet']);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toMatch(/^## fleetsim check: slo-gate: PASS/);
    expect(r.stdout).toContain("**Not gated:** the scenario's SLOs (--budgets-only); the run's verdict: SLO missed for 1 of 1 models");
    expect(r.stdout).not.toMatch(/SLO of model m/);
  });

  it('SLOs the run meets pass, and a scenario with SLOs and no budgets is checked on them alone (it was refused, exit 2)', async () => {
    const met = await runMain(['check', scenario(), '--budgets', budgets(), '--quiet']);
    expect(met.code, show(met)).toBe(0);
    expect(met.stdout).toMatch(/^## fleetsim check: slo-gate: PASS\n\n4 passed, 0 failed, 0 inconclusive\./);
    const alone = await runMain(['check', scenario(), '--set', 'fleet.classes.b.slo.e2e_p99_ms=1', '--quiet']);
    expect(alone.code, show(alone)).toBe(1);
    expect(alone.stdout).toMatch(/2 passed, 1 failed, 0 inconclusive\. 1 run \(seed 1\), 120 s simulated, 3 SLO targets of the scenario\./);
    expect(alone.stdout).toMatch(/- fail: `SLO of class b: classes\.by_class\.b\.latency_ms\.e2e\.p99 <= 1`: [\d,.]+ is not <= 1/);
    const none = await runMain(['check', scenario(), '--budgets-only']);
    expect(none.code, show(none)).toBe(2);
    expect(none.stderr).toMatch(/slo-gate\.yaml: no budgets to check: give --budgets FILE, or a budgets: list in the scenario \(--budgets-only leaves its SLOs out\)\n$/);
  });

  it('with replications an SLO target inside the 95% CI is inconclusive, let through by --allow-inconclusive as a budget is', async () => {
    const file = scenario();
    const p99_ms = runReplications(prepare(loadScenario(file, [])), 1, 3).summary.by_model!.m.latency_ms.ttft.p99!;
    const straddled = ['check', file, '--replications', '3', '--set', `fleet.models.m.slo.ttft_p99_ms=${p99_ms}`, '--quiet'];
    const r = await runMain(straddled);
    expect(r.code, show(r)).toBe(1);
    expect(r.stdout).toMatch(/^## fleetsim check: slo-gate: INCONCLUSIVE/);
    expect(r.stdout).toMatch(/- inconclusive: `SLO of model m: by_model\.m\.latency_ms\.ttft\.p99 <= [\d,.]+`: the 95% CI \[[\d,.]+, [\d,.]+\] straddles/);
    const allowed = await runMain([...straddled, '--allow-inconclusive']);
    expect(allowed.code, show(allowed)).toBe(0);
    expect(allowed.stdout).toMatch(/1 inconclusive \(allowed\)/);
  });
});

describe("check gates the scenario's top-level slo: as well", () => {
  // a network of stations has no model or class to carry an SLO: its top-level slo was not gated,
  // and check without budgets said the scenario "sets no SLO"
  const stations = (e2e_p99_ms: number) => {
    const text = readFileSync('scenarios/quickstart.yaml', 'utf8').replace(/^duration_s: .*$/m, 'duration_s: 60').replace(/^warmup_s: .*$/m, 'warmup_s: 10');
    return tmp.write(`stations-${e2e_p99_ms}.yaml`, `${text}\nslo: { e2e_p99_ms: ${e2e_p99_ms} }\n`);
  };

  it('a target the run misses fails (exit 1) naming slo.e2e_p99_ms; one it meets passes (exit 0); --budgets-only leaves it out', async () => {
    const missed = await runMain(['check', stations(1), '--quiet']);
    expect(missed.code, show(missed)).toBe(1);
    expect(missed.stdout).toMatch(/\| \*\*FAIL\*\* \| `latency_ms\.e2e\.p99` \(SLO of the scenario\) \| <= 1 \|/);
    const met = await runMain(['check', stations(600000), '--quiet']);
    expect(met.code, show(met)).toBe(0);
    expect(met.stdout).toMatch(/\| pass \| `latency_ms\.e2e\.p99` \(SLO of the scenario\)/);
    const budgets = tmp.write('stations-budgets.yaml', '- requests.error_rate <= 0.5\n');
    const only = await runMain(['check', stations(1), '--budgets', budgets, '--budgets-only', '--quiet']);
    expect(only.code, show(only)).toBe(0);
  });
});

describe("the verdict's own rules for an SLO target", () => {
  // the parts of a summary the rules read: a model's target and its p99s, a class without requests
  const summary = {
    scenario_file: 'fleet.yaml',
    by_model: { m: { slo: { ttft_p99_ms: 100, met: false }, latency_ms: { ttft_including_in_flight: { p99: 150 } } } },
    classes: { by_class: { quiet: { offered: 0, slo: { e2e_p99_ms: 2000 } } } },
  } as unknown as Summary;

  it('a p99 counting the requests still in flight over the target fails a target the completed requests meet; a class without requests is inconclusive', () => {
    const budgets = sloBudgets(summary);
    expect(budgets.map((b) => [b.metric, b.value, b.origin])).toEqual([
      ['by_model.m.latency_ms.ttft.p99', 100, 'fleet.yaml: fleet.models.m.slo.ttft_p99_ms'],
      ['classes.by_class.quiet.latency_ms.e2e.p99', 2000, 'fleet.yaml: fleet.classes.quiet.slo.e2e_p99_ms'],
    ]);
    const [model, quiet] = withSloRules([
      { budget: budgets[0], status: 'pass', value: 50, reason: '50 is <= 100' },
      { budget: budgets[1], status: 'fail', value: null, reason: 'no data' },
    ]);
    expect(model).toMatchObject({ kind: 'slo', status: 'fail', reason: expect.stringMatching(/in flight at the end, the p99 is at least 150 ms, over the target 100/) });
    expect(quiet).toMatchObject({ kind: 'slo', status: 'inconclusive', reason: expect.stringMatching(/received no requests/) });
  });
});

describe('calibrate --measurements screens runs slower than any profile allows, as --corpus screens rows', () => {
  // the first 30 runs of Splitwise's Llama-2-70B file (none faster than the roofline), then one of 1e9 ms
  const splitwise = readFileSync('scenarios/data/splitwise/llama2-70b-a100.csv', 'utf8').split('\n').slice(0, 31);
  const slowRun = 'llama2-70b,a100-80gb,512,1,128,1,0.7,1e9,1e9,1e9,2';

  it('leaves the run out, naming it on stderr and among the excluded, and fits the others (it was fitted: MAPE 1,599%, step_overhead_ms 2,300 ms)', async () => {
    const measurements = tmp.write('one-slow.csv', [...splitwise, slowRun].join('\n') + '\n');
    const r = await runMain(['calibrate', '--measurements', measurements, '--fit', 'step_overhead_ms', '--json']);
    expect(r.code, show(r)).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`^calibrate: 1 row left out, .*${measurements.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: line 32: slower than any profile allows \\(prefill 1000000000 ms, at most [\\d.e+]+ ms possible\\)`, 'm'));
    const fit = JSON.parse(r.stdout) as { excluded: string[]; mape_pct: number; profile: { fit: { points: number } } };
    expect(fit.excluded).toEqual([expect.stringMatching(/^line 32: slower than any profile allows/)]);
    // a prefill and a decode point for each of the plausible runs' configurations, none of the slow run's
    const plausible = await runMain(['calibrate', '--measurements', tmp.write('plausible.csv', splitwise.join('\n') + '\n'), '--fit', 'step_overhead_ms', '--json']);
    const alone = JSON.parse(plausible.stdout) as { mape_pct: number; profile: { fit: { points: number } } };
    expect(fit.profile.fit.points).toBe(alone.profile.fit.points);
    expect(fit.mape_pct).toBe(alone.mape_pct);
  });
});
