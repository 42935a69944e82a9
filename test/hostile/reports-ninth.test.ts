import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMain } from '../check/run-main.ts';
import { show } from '../helpers/cli.ts';
import { suiteTempDir } from '../helpers/temp-dir.ts';
import { expectRefusedInOneLine } from '../helpers/errors.ts';

/**
 * The ninth hostile-input campaign of 2026-12-07, on reports that mislead: figures that depend on
 * errors, on few requests, on an overloaded run or on a different load, given as if they described
 * the system. Each test fails on the code before its mend. docs/hostile-inputs.md lists them.
 */
const tmp = suiteTempDir('fleetsim-hostile-reports-');

const QUICKSTART = 'scenarios/quickstart.yaml';
/**
 * The quickstart's API refusing what it cannot serve at once: one server refuses about 90% of the
 * requests; 300 s leave the survivors enough for a p99.
 */
const REFUSING = ['--set', 'topology.stations.api.queue_limit=0', '--set', 'duration_s=300', '--set', 'warmup_s=10', '--set', 'window_s=5'];

const summaryOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));

describe('a latency met only by the requests that survived is not met', () => {
  it('check: a p99 budget on a station refusing 90% of its requests is inconclusive (exit 1), not PASS', async () => {
    const budgets = tmp.write('p99.yaml', '- latency_ms.e2e.p99 <= 700\n');
    const r = await runMain(['check', QUICKSTART, ...REFUSING, '--set', 'topology.stations.api.servers=1', '--budgets', budgets, '--quiet']);
    expect(r.code, show(r)).toBe(1);
    expect(r.stdout).toMatch(/: INCONCLUSIVE\n/);
    expect(r.stdout).toMatch(/of the requests that ended failed, timed out or were rejected, so the latency describes only those that survived/);
    // the verdict's warnings beside the verdict, where the reader looks first
    expect(r.stdout).toMatch(/\*\*Warnings:\*\* over capacity at the mean arrival rate/);
  });

  it('check: with a budget on the error rate the latency budget is judged on its own, and the warnings still show beside PASS', async () => {
    const budgets = tmp.write('p99-errors.yaml', '- latency_ms.e2e.p99 <= 700\n- requests.error_rate <= 0.95\n');
    const r = await runMain(['check', QUICKSTART, ...REFUSING, '--set', 'topology.stations.api.servers=1', '--budgets', budgets, '--quiet']);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toMatch(/: PASS\n/);
    expect(r.stdout).toMatch(/\*\*Warnings:\*\* .*% of the requests that ended failed/);
  });

  it('plan: a point whose errors reach 1% does not meet a latency SLO (servers=1, refusing 90%, was chosen)', async () => {
    const out = join(tmp.dir(), 'plan-refusing');
    const r = await runMain(['plan', QUICKSTART, ...REFUSING, '--slo', 'latency_ms.e2e.p99<=700', '--vary', 'topology.stations.api.servers=1..40:1', '--minimize', 'topology.stations.api.servers', '--out', out, '--quiet']);
    expect(r.code, show(r)).toBe(0);
    const plan = JSON.parse(readFileSync(join(out, 'plan.json'), 'utf8'));
    expect(plan.chosen, show(r)).toBeTruthy();
    expect(plan.chosen.values['topology.stations.api.servers']).toBeGreaterThan(1);
    expect(summaryOf(join(out, plan.chosen.dir)).requests.error_rate).toBeLessThan(0.01);
    const refused = plan.evaluations.filter((e: { verdict: string }) => /only those that survived/.test(e.verdict));
    expect(refused.length).toBeGreaterThan(0);
  });
});

describe('percentiles resting on a handful of requests', () => {
  it('check: a p99.9 budget met by 11 requests is inconclusive (e2e slipped past the thin-percentile test: its name has a digit)', async () => {
    const budgets = tmp.write('p999.yaml', '- latency_ms.e2e.p999 <= 1000\n');
    const r = await runMain(['check', QUICKSTART, '--set', 'workload.arrivals.rate_per_s=0.02', '--budgets', budgets, '--quiet']);
    expect(r.code, show(r)).toBe(1);
    expect(r.stdout).toMatch(/: INCONCLUSIVE\n/);
    expect(r.stdout).toMatch(/its percentile rests on \d+ completed requests, fewer than the 10,000/);
  });

  it('report.md marks the thin percentiles and says why, as the terminal does', async () => {
    const out = join(tmp.dir(), 'thin-report');
    const r = await runMain(['run', QUICKSTART, '--set', 'workload.arrivals.rate_per_s=0.02', '--out', out, '--quiet']);
    expect(r.code, show(r)).toBe(0);
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    expect(md).toMatch(/\| e2e \| [\d,.]+\* \| [\d,.]+\* \| [\d,.]+\* \| [\d,.]+\* \|/);
    expect(md).toMatch(/\* from \d+ completed requests, fewer than 10 lie beyond p50, p90, p99, p99\.9: a rough figure, not a tail/);
  });
});

describe('run --format vllm', () => {
  it('an overloaded run carries its completeness, steady state and warnings, and writes the warnings to stderr', async () => {
    const r = await runMain(['run', 'scenarios/reasoning.yaml', '--set', 'duration_s=40', '--set', 'warmup_s=10', '--set', 'fleet.models.qwen3.gpus=2', '--format', 'vllm']);
    expect(r.code, show(r)).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(typeof result.request_throughput).toBe('number');
    expect(result.complete).toBe(true);
    expect(['yes', 'no', 'unjudged']).toContain(result.steady_state);
    expect(result.steady_state).not.toBe('yes');
    expect(result.fleetsim_warnings.some((w: string) => w.startsWith('over_capacity: '))).toBe(true);
    expect(r.stderr).toMatch(/^fleetsim: warning: over_capacity: over capacity at the mean arrival rate/m);
  });
});

describe('compare', () => {
  it('a higher offered load is warned of, and its throughput is not an improvement', async () => {
    const r = await runMain([
      'compare', QUICKSTART, QUICKSTART, '--candidate-set', 'workload.arrivals.rate_per_s=160', '--candidate-set', 'topology.stations.api.servers=40',
      '--set', 'duration_s=60', '--set', 'warmup_s=5', '--replications', '3', '--json', '--quiet',
    ]);
    expect(r.code, show(r)).toBe(0);
    const c = JSON.parse(r.stdout);
    const throughput = c.metrics.find((m: { metric: string }) => m.metric === 'requests.throughput_per_s');
    expect(throughput.significant).toBe(true);
    expect(throughput.verdict).toBe('changed');
    expect(c.improvements).not.toContain('requests.throughput_per_s');
    expect(c.warnings.join('\n')).toMatch(/the sides were offered different loads \([\d.,]+ and [\d.,]+ requests\/s after warm-up\)/);
  });

  it('different scenarios are warned of; a summary\'s control characters reach the terminal escaped', async () => {
    const out = join(tmp.dir(), 'base');
    const run = await runMain(['run', QUICKSTART, '--set', 'duration_s=30', '--set', 'warmup_s=5', '--out', out, '--quiet']);
    expect(run.code, show(run)).toBe(0);
    const other = { ...summaryOf(out), scenario: 'web-tier', fleetsim_version: '9.9.9\u001b[2J\u001b[31mHACKED\n' };
    const candidate = join(tmp.dir(), 'other.json');
    writeFileSync(candidate, JSON.stringify(other, null, 2));
    const r = await runMain(['compare', join(out, 'summary.json'), candidate]);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toMatch(/the sides are different scenarios \(quickstart and web-tier\)/);
    expect(r.stderr).toMatch(/from 9\.9\.9\\u001b\[2J\\u001b\[31mHACKED\\n:/);
    expect(r.stderr + r.stdout).not.toMatch(/\u001b/);
  });
});

describe('plan on a station network', () => {
  it('the refusal of the default --minimize suggests a figure the network has', async () => {
    const r = await runMain(['plan', QUICKSTART, '--slo', 'latency_ms.e2e.p99<=700', '--vary', 'topology.stations.api.servers=8..16:4', '--set', 'duration_s=30', '--set', 'warmup_s=5', '--out', join(tmp.dir(), 'no-minimize'), '--quiet']);
    expectRefusedInOneLine(r, /^--minimize cost\.monthly_usd: .*\(e\.g\. topology\.stations\.api\.servers\)$/, show(r));
  });
});
