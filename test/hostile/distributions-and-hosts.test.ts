import { describe, expect, it } from 'vitest';
import { runMain } from '../check/run-main.ts';
import { show } from '../helpers/cli.ts';
import { expectRefusedInOneLine } from '../helpers/errors.ts';
import { analyticalMean } from '../../src/engine/distribution-scale.ts';

/**
 * A sixth hostile campaign of 2026-12-07, its distributions and hardware: a gamma whose cv made
 * every draw NaN (exit 70 where validate had said valid), think times of infinite mean passed by a
 * bound that read a pareto's scale, and a tensor-parallel group billed as several one-GPU VMs but
 * timed as one host. Each test fails on the code before its mend; docs/hostile-inputs.md lists them.
 */
describe('distributions at their bounds', () => {
  it('a gamma cv outside 0.001-100 is refused by validate, naming the field (run failed with "cannot schedule at NaN ms", exit 70)', async () => {
    for (const cv of ['1e300', '1e-300']) {
      const r = await runMain(['validate', 'scenarios/quickstart.yaml', '--set', `topology.stations.api.service_ms={dist: gamma, mean: 120, cv: ${cv}}`]);
      expectRefusedInOneLine(r, /^scenarios\/quickstart\.yaml: topology\.stations\.api\.service_ms\.cv: expected a cv from 0\.001 to 100/, show(r));
    }
    const ok = await runMain(['validate', 'scenarios/quickstart.yaml', '--set', 'topology.stations.api.service_ms={dist: gamma, mean: 120, cv: 3}']);
    expect(ok.code, show(ok)).toBe(0);
  });

  it('a think time of infinite or undefined mean is refused (a pareto of shape 1e-300, a weibull of shape 1e-300 passed: the bound read their scale)', async () => {
    expect(analyticalMean({ dist: 'pareto', shape: 1e-300, scale: 1000 })).toBe(Infinity);
    expect(analyticalMean({ dist: 'pareto', shape: 3, scale: 1000 })).toBeCloseTo(1500, 9); // shape x scale / (shape - 1)
    expect(analyticalMean({ dist: 'empirical', samples: [...Array(100_000).fill(1000), 1e308] })).toBeGreaterThan(1e300);
    for (const d of ['{dist: pareto, shape: 1e-300, scale: 1000}', '{dist: weibull, shape: 1e-300, scale: 1000}']) {
      const r = await runMain(['validate', 'scenarios/chat-sessions.yaml', '--set', `fleet.models.chat.sessions.think_time_ms=${d}`]);
      expectRefusedInOneLine(r, /^scenarios\/chat-sessions\.yaml: fleet\.models\.chat\.sessions\.think_time_ms: expected a mean from 0 to 86,400,000 ms \(a day\) between turns/, show(r));
    }
  });
});

describe('a replica on instances smaller than its group', () => {
  const on = (gpu: string, instance: string, tp: number) =>
    runMain(['validate', 'scenarios/chat-prefix.yaml', '--set', 'fleet.models.chat.model=llama-3.1-8b', '--set', `fleet.models.chat.gpu=${gpu}`, '--set', `fleet.models.chat.instance=${instance}`, '--set', `fleet.models.chat.tp=${tp}`]);

  it('tp 4 on a one-card VM is refused, naming tp, the instance and what would hold it (it ran as four VMs timed as one host)', async () => {
    const r = await on('a100-80gb-pcie', 'Standard_NC24ads_A100_v4', 4);
    expectRefusedInOneLine(r, /^scenarios\/chat-prefix\.yaml: fleet\.models\.chat\.tp: a replica's 4 GPUs all-reduce within one host's pcie, but Standard_NC24ads_A100_v4 carries 1; expected a tp of at most 1/, show(r));
    const a10g = await on('a10g', 'g5.xlarge', 4);
    expectRefusedInOneLine(a10g, /fleet\.models\.chat\.tp: .* but g5\.xlarge carries 1; expected an instance of at least 4 \(g5\.12xlarge, g5\.48xlarge\)$/, show(a10g));
  });

  it('a group within one instance, and GB200 trays of 4 joined by their NVL72 rack, pass', async () => {
    expect((await on('a10g', 'g5.12xlarge', 4)).code).toBe(0);
    expect((await on('a100-80gb-pcie', 'Standard_NC24ads_A100_v4', 1)).code).toBe(0);
    expect((await on('gb200', 'gb200-4x', 8)).code).toBe(0);
  });
});
