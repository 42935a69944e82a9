import { describe, expect, it } from 'vitest';
import { runPlan } from '../../src/experiment/plan.ts';
import type { Runner } from '../../src/experiment/parallel.ts';
import { resolveMetric } from '../../src/results/metric-path.ts';
import { loadScenario } from '../../src/scenario/load.ts';
import { userError } from '../helpers/errors.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const FILE = 'scenarios/openai-2024.yaml';

/** A runner that fails the test if anything is simulated. */
const noRuns: Runner = {
  jobs: 1,
  run: () => Promise.reject(new Error('nothing should be simulated')),
  stop: () => undefined,
  close: () => Promise.resolve(),
};

describe('messages that name what was meant', () => {
  it('every unknown key of one object has its own line, place and suggestion', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetsim-keys-'));
    const file = join(dir, 's.yaml');
    writeFileSync(file, [
      'name: keys',
      'duration_s: 10',
      'workload:',
      '  arrivals: { kind: poisson, rate_per_s: 1, rate_pr_s: 2, bar: 3 }',
      'topology:',
      '  entry: api',
      '  stations:',
      '    api: { servers: 1, service_ms: { dist: constant, value: 1 } }',
      '',
    ].join('\n'));
    let message = '';
    try {
      loadScenario(file);
    } catch (e) {
      message = (e as Error).message;
    }
    const lines = message.split('\n');
    expect(lines).toEqual([
      `${file}:4:45: workload.arrivals.rate_pr_s: unknown key "rate_pr_s" (did you mean "rate_per_s"?); expected one of: kind, rate_per_s, profile`,
      `${file}:4:59: workload.arrivals.bar: unknown key "bar"; expected one of: kind, rate_per_s, profile`,
    ]);
  });

  it('a misspelt model name under --set or --vary gets "did you mean gpt-4"', async () => {
    expect(userError(() => loadScenario(FILE, ['fleet.models.gtp-4.gpus=100']))).toBe(
      '--set fleet.models.gtp-4.gpus=100: fleet.models has no "gtp-4" (did you mean "gpt-4"?); to add a new one, set it whole: fleet.models.gtp-4={...}',
    );
    await expect(runPlan({ file: FILE, slos: ['cost.monthly_usd<=1'], vary: ['fleet.models.gpt4.gpus=8..16:8'] }, noRuns)).rejects.toThrow(
      '--vary fleet.models.gpt4.gpus=8..16:8: fleet.models has no "gpt4" (did you mean "gpt-4"?)',
    );
    // A new model set whole is still a new model (the schema then checks it like any other).
    expect(() => loadScenario(FILE, ['fleet.models.gpt-5={gpus: 8}'])).toThrow(/^scenarios\/openai-2024\.yaml: fleet\.models\.gpt-5\.model: expected a string, got nothing\n/);
    // A field far from every existing one is created as before (fields the file leaves to their defaults).
    expect(loadScenario(FILE, ['fleet.models.gpt-4.router.spill_waiting_per_replica=4']).scenario.fleet!.models['gpt-4'].router.spill_waiting_per_replica).toBe(4);
  });

  it('a percentile written with its decimal point is the summary\'s own, or refused naming the ones there are', () => {
    const summary = { latency_ms: { ttft: { p50: 1, p90: 2, p99: 3, p999: 4, mean: 2, max: 5, ci95: { p999: [3.5, 4.5] } } } };
    expect(resolveMetric(summary, 'latency_ms.ttft.p99.9')).toEqual({ ok: true, keys: ['latency_ms', 'ttft', 'p999'], value: 4, ci95: [3.5, 4.5] });
    expect(resolveMetric(summary, 'latency_ms.ttft.p999')).toMatchObject({ ok: true, value: 4 });
    expect(resolveMetric(summary, 'latency_ms.ttft.p99')).toMatchObject({ ok: true, value: 3 });
    expect(resolveMetric(summary, 'latency_ms.ttft.p99.5')).toEqual({
      ok: false,
      message: 'latency_ms.ttft.p99.5: no percentile p99.5 in latency_ms.ttft (it has: p50, p90, p99, p999; p99.9 is written p999 or p99.9)',
    });
  });

  it('plan --slo and --minimize suggest names before anything is simulated', async () => {
    const plan = (slo: string, minimize?: string) => runPlan({ file: FILE, slos: [slo], vary: ['fleet.models.gpt-4.gpus=8000..16000:8000'], minimize }, noRuns);
    await expect(plan('by_model.gtp-4.latency_ms.ttft.p99<=2000')).rejects.toThrow(
      '--slo by_model.gtp-4.latency_ms.ttft.p99<=2000: by_model.gtp-4.latency_ms.ttft.p99: no field "gtp-4" in by_model; did you mean "by_model.gpt-4"?',
    );
    await expect(plan('by_model.gpt-4.latency_ms.ttft.p99<=2000', 'cost.monthy_usd')).rejects.toThrow('--minimize cost.monthy_usd: cost.monthy_usd: no field "monthy_usd" in cost; did you mean "cost.monthly_usd"?');
    // Spelt right, the plan goes on to simulate (here: the runner that refuses).
    await expect(plan('by_model.gpt-4.latency_ms.ttft.p99.9<=2000')).rejects.toThrow('nothing should be simulated');
  });
});
