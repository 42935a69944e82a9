import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runMain } from '../check/run-main.ts';
import { show } from '../helpers/cli.ts';
import { suiteTempDir } from '../helpers/temp-dir.ts';

/**
 * `check` gates the top-level `slo:`'s failure targets when the scenario writes them (mended
 * 2026-12-08): `slo.error_rate` and `slo.availability` were replay's window rules only, so a
 * scenario declaring `error_rate: 0.001` passed `check` with a fifth of its requests failing. Unset,
 * they stay replay's defaults (0.01, 0.999) and are not gated. The refusal tests failed on the code
 * before (exit 0, no such verdict).
 */
const tmp = suiteTempDir('fleetsim-hostile-slo-failure-');

/** The quickstart network for 60 s, half of its API calls failing for 20 of them (none with `faulty` false), with `slo` as given. */
function scenario(name: string, slo: string, faulty = true): string {
  const text = readFileSync('scenarios/quickstart.yaml', 'utf8').replace(/^duration_s: .*$/m, 'duration_s: 60').replace(/^warmup_s: .*$/m, 'warmup_s: 10');
  const fault = faulty ? 'faults: [{ kind: error-rate, target: api, at_s: 20, duration_s: 20, error_rate: 0.5 }]\n' : '';
  return tmp.write(`${name}.yaml`, `${text}\n${fault}${slo === '' ? '' : `slo: ${slo}\n`}`);
}

/** The whole run's error rate as summary.json gives it: what each target is held to. */
async function errorRate(file: string): Promise<number> {
  const out = `${tmp.dir()}/rate-${file.split('/').pop()}`;
  const r = await runMain(['run', file, '--out', out, '--quiet']);
  expect(r.code, show(r)).toBe(0);
  return JSON.parse(readFileSync(`${out}/summary.json`, 'utf8')).requests.error_rate as number;
}

describe("check gates the top-level slo's error_rate and availability when the scenario sets them", () => {
  it('an error_rate the run exceeds fails (exit 1), naming slo.error_rate; one above the run\'s rate passes', async () => {
    const rate = await errorRate(scenario('unset', ''));
    expect(rate).toBeGreaterThan(0.05); // a tenth of the measured time at half the calls failing
    const missed = await runMain(['check', scenario('tight', '{ error_rate: 0.001 }'), '--quiet']);
    expect(missed.code, show(missed)).toBe(1);
    expect(missed.stdout).toMatch(/\| \*\*FAIL\*\* \| `requests\.error_rate` \(SLO of the scenario\) \| <= 0\.001 \|/);
    expect(missed.stdout).toMatch(/1 run \(seed 1\), 60 s simulated, 1 SLO target of the scenario\./);
    // with the errors judged apart, the survivors' latency is conclusive: here both targets pass
    const both = await runMain(['check', scenario('both', `{ error_rate: ${Math.min(1, rate * 2)}, e2e_p99_ms: 600000 }`), '--quiet']);
    expect(both.code, show(both)).toBe(0);
    expect(both.stdout).toMatch(/2 passed, 0 failed, 0 inconclusive\./);
    const met = await runMain(['check', scenario('loose', `{ error_rate: ${Math.min(1, rate * 2)} }`), '--quiet']);
    expect(met.code, show(met)).toBe(0);
    expect(met.stdout).toMatch(/\| pass \| `requests\.error_rate` \(SLO of the scenario\)/);
  });

  it('an availability is a failure share of at most 1 - availability: 0.999 fails this run, one below 1 - its rate passes', async () => {
    const rate = await errorRate(scenario('unset-2', ''));
    const missed = await runMain(['check', scenario('three-nines', '{ availability: 0.999 }'), '--quiet']);
    expect(missed.code, show(missed)).toBe(1);
    expect(missed.stdout).toMatch(/- fail: `SLO of the scenario: requests\.error_rate <= 0\.001`/);
    const met = await runMain(['check', scenario('low', `{ availability: ${Math.max(0, 1 - rate * 2)} }`), '--quiet']);
    expect(met.code, show(met)).toBe(0);
  });

  it('unset, they are replay\'s defaults and not gated: a scenario with only a latency target checks that target alone', async () => {
    const r = await runMain(['check', scenario('latency-only', '{ e2e_p99_ms: 600000 }', false), '--quiet']);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toMatch(/1 SLO target of the scenario\./);
    expect(r.stdout).not.toMatch(/requests\.error_rate/);
  });
});
