import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMain } from '../check/run-main.ts';
import { show } from '../helpers/cli.ts';
import { suiteTempDir } from '../helpers/temp-dir.ts';
import { expectRefusedInOneLine } from '../helpers/errors.ts';

/**
 * The ninth hostile-input campaign of 2026-12-07: a fault hidden in the warm-up, an autoscaler's
 * large max, a looped trace with no period, a seed past 2^53 and subnormal service times and
 * routing shares. Each test failed on the code before its fix; docs/hostile-inputs.md lists them.
 */
const tmp = suiteTempDir('fleetsim-hostile-faults-ninth-');

/** quickstart's two stations (scenarios/quickstart.yaml), written out so the file stands alone. */
const TWO_TIERS = `seed: 1
workload:
  arrivals: { kind: poisson, rate_per_s: 80 }
topology:
  entry: api
  stations:
    api:
      servers: 16
      service_ms: { dist: lognormal, mean: 120, p99: 600 }
      queue_limit: 200
      timeout_ms: 2000
      next: [{ to: db, p: 0.4 }]
    db:
      servers: 4
      service_ms: { dist: exponential, mean: 25 }
`;

/** A latency fault at 10-55 s of a 60 s warm-up, with published figures to be held to. */
const IN_WARMUP = `name: in-warmup
${TWO_TIERS}duration_s: 200
warmup_s: 60
window_s: 10
incident:
  source: test
  reference: { recovery_s: 60, peak_error_rate: 0.05 }
faults:
  - { kind: latency, at_s: 10, duration_s: 45, target: api, factor: 20 }
`;

describe('a fault in the warm-up', () => {
  it('is marked not measured in the summary and warned of (it read as happened and recovered, 0% errors, no warning)', async () => {
    const file = tmp.write('in-warmup.yaml', IN_WARMUP);
    const out = join(tmp.dir(), 'run-in-warmup');
    const r = await runMain(['run', file, '--quiet', '--out', out]);
    expect(r.code, show(r)).toBe(0);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.faults[0].measured).toBe('no');
    const warning = summary.verdict.warnings.find((w: { code: string }) => w.code === 'fault_in_warmup');
    expect(warning?.message).toMatch(/faults\[0\] \(latency on api, 10-55 s\) ends in it: not measured/);
  });

  it('one that begins in the warm-up is partly measured', async () => {
    const file = tmp.write('part-warmup.yaml', IN_WARMUP.replace('at_s: 10', 'at_s: 40'));
    const out = join(tmp.dir(), 'run-part-warmup');
    const r = await runMain(['run', file, '--quiet', '--out', out]);
    expect(r.code, show(r)).toBe(0);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.faults[0].measured).toBe('partly');
    expect(summary.verdict.warnings.map((w: { message: string }) => w.message).join('\n')).toMatch(/faults\[0\] \(latency on api, 40-85 s\) begins in it: measured from 60 s on only/);
  });

  it('replay does not score it against the published figures (it read "0% (within)" and "45 s (within)")', async () => {
    const file = tmp.write('replay-in-warmup.yaml', IN_WARMUP);
    const r = await runMain(['replay', file, '--what-if', 'measured=faults.0.at_s=100']);
    expect(r.code, show(r)).toBe(0);
    const published = r.stdout.slice(r.stdout.indexOf('Published vs replayed'));
    expect(published).toMatch(/peak_error_rate .* not measured .*\(outside\)/);
    expect(published).toMatch(/recovery_s .* not measured /);
    expect(published).toMatch(/not measured, baseline: the fault ends in the warm-up \(warmup_s 60\)/);
    expect(r.stdout).toMatch(/baseline +not measured: the fault ends in the warm-up/);
  });
});

/** A scenario whose api tier scales up at once by up to 100 instances a second to `max` (a utilization target of 0.001: always above it). */
const eagerAutoscaler = (name: string, run: string, max: number): string => `name: ${name}
${TWO_TIERS}${run}control:
  interval_s: 1
  autoscalers:
    - { target: api, metric: utilization, target_value: 0.001, scale_up_window_s: 0, boot_s: 1, metrics_delay_s: 0, max_step_up: 100, max: ${max} }
`;

describe('autoscaler', () => {
  it('a max of 200,000 instances runs in a bounded time (booting instances were an array entry and an event each: quadratic)', async () => {
    const yaml = eagerAutoscaler('big-max', 'duration_s: 40\nwarmup_s: 5\nlimits: { max_wall_s: 20 }\n', 200000);
    const out = join(tmp.dir(), 'big-max');
    const r = await runMain(['run', tmp.write('big-max.yaml', yaml), '--quiet', '--out', out]);
    expect(r.code, show(r)).toBe(0);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.complete).toBe(true);
    expect(summary.control.components.api.max_instances).toBe(200000);
  });

  it('a run stopped in the warm-up gives means that agree with its min and max (min_serving 741,380 beside mean_serving 0)', async () => {
    const yaml = eagerAutoscaler('stopped-early', 'duration_s: 100\nwarmup_s: 60\nlimits: { max_events: 9000 }\n', 5000);
    const out = join(tmp.dir(), 'stopped-early');
    const r = await runMain(['run', tmp.write('stopped-early.yaml', yaml), '--quiet', '--out', out]);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.complete, show(r)).toBe(false);
    expect(summary.duration_s, JSON.stringify(summary.engine)).toBeLessThan(60);
    const api = summary.control.components.api;
    expect(api.mean_serving).toBeGreaterThanOrEqual(api.min_serving);
    expect(api.mean_instances).toBeLessThanOrEqual(api.max_instances);
    expect(api.mean_instances).toBeGreaterThan(0);
  });
});

describe('autoscaler ceiling', () => {
  it('one held at its ceiling and asking for more all run says so (without max the ceiling is the configured count: it never scaled, silently)', async () => {
    const yaml = `name: no-max
${TWO_TIERS}duration_s: 30
warmup_s: 5
control:
  interval_s: 1
  autoscalers:
    - { target: api, metric: utilization, target_value: 0.001, scale_up_window_s: 0, boot_s: 1, metrics_delay_s: 0, max_step_up: 100 }
`;
    const out = join(tmp.dir(), 'no-max');
    const r = await runMain(['run', tmp.write('no-max.yaml', yaml), '--quiet', '--out', out]);
    expect(r.code, show(r)).toBe(0);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.control.note).toMatch(/api \(control\.autoscalers\[0\]\) was at its ceiling of 16 instances at every decision, its metric asking for more \(no max: the ceiling is the configured count\)/);
  });
});

describe('looped traces', () => {
  it('a looped trace whose timestamps span 0 s is refused (a 1 s cycle was invented: 3 rows at t = 0 arrived at 3/s)', async () => {
    const row = '{"timestamp": 0, "input_length": 5, "output_length": 5}\n';
    tmp.write('same-time.jsonl', row.repeat(3));
    const file = tmp.write('loop-zero.yaml', `name: loop-zero\n${TWO_TIERS.replace('{ kind: poisson, rate_per_s: 80 }', '{ kind: trace, file: same-time.jsonl, loop: true }')}duration_s: 20\nwarmup_s: 0\n`);
    const r = await runMain(['validate', file]);
    expectRefusedInOneLine(r, new RegExp(`^${file}: workload\\.arrivals\\.loop: expected a trace whose timestamps span some time to loop over; its 3 requests all have the same timestamp`), show(r));
  });
});

describe('numbers beyond what a double or a server holds', () => {
  it('a seed of 9007199254740993 is refused without showing the rounded 9007199254740992 as written', async () => {
    const file = tmp.write('seed.yaml', `name: seed\n${TWO_TIERS.replace('seed: 1', 'seed: 9007199254740993')}duration_s: 20\n`);
    const r = await runMain(['validate', file]);
    expectRefusedInOneLine(r, /seed: expected an integer in \[0, 2\^53\), got a number beyond 2\^53 - 1 \(read as 9007199254740992\)$/, show(r));
  });

  it('a service time of mean 5e-324 ms is refused (its capacity read "Infinity")', async () => {
    const r = await runMain(['validate', 'scenarios/quickstart.yaml', '--set', 'topology.stations.db.service_ms.mean=5e-324']);
    expectRefusedInOneLine(r, /^scenarios\/quickstart\.yaml:19:19: topology\.stations\.db\.service_ms: expected a mean of 0 or at least 0\.000001 ms \(1 ns\), got 5e-324$/, show(r));
    const ok = await runMain(['validate', 'scenarios/quickstart.yaml', '--set', 'topology.stations.db.service_ms.mean=0.000001']);
    expect(ok.code, show(ok)).toBe(0);
  });

  it('a routing share of 1e-320 is refused (it offered "8e-319/s"); 0 still turns a route off', async () => {
    const r = await runMain(['validate', 'scenarios/quickstart.yaml', '--set', 'topology.stations.api.next.0.p=1e-320']);
    expectRefusedInOneLine(r, /^scenarios\/quickstart\.yaml: topology\.stations\.api\.next\[0\]\.p: expected a probability of 0 or from 1e-12 to 1, got 1e-320$/, show(r));
    const off = await runMain(['validate', 'scenarios/quickstart.yaml', '--set', 'topology.stations.api.next.0.p=0']);
    expect(off.code, show(off)).toBe(0);
  });
});
