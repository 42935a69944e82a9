import { describe, expect, it } from 'vitest';
import { fleetsim, show } from '../helpers/cli.ts';
import type { Summary } from '../../src/results/summary.ts';

const SHORT = ['--set', 'duration_s=20', '--set', 'warmup_s=5'];

describe('the default scenario (openai-2024) end to end', () => {
  const runs = Promise.all([
    fleetsim(['run', 'scenarios/openai-2024.yaml', ...SHORT, '--json']),
    fleetsim(['run', 'scenarios/openai-2024.yaml', ...SHORT, '--json']),
    fleetsim(['validate', 'scenarios/openai-2024.yaml']),
  ]);

  it('runs, reports every fleet block, and is deterministic', async () => {
    const [a, b] = await runs;
    expect(a.code, show(a)).toBe(0);
    const s = JSON.parse(a.stdout) as Summary;
    expect(Object.keys(s.by_model!)).toEqual(['gpt-4', 'gpt-3.5-turbo', 'text-embedding-ada-002']);
    for (const k of ['e2e', 'ttft', 'tpot', 'itl'] as const) expect(s.latency_ms[k]!.p99, k).toBeGreaterThan(0);
    expect(Object.keys(s.by_stage!)).toContain('gpu_ttft');
    expect(s.gpu!['gpt-4'].replicas_full).toBe(3125);
    expect(s.fleet!.sampled).toBe(true);
    // The bill is of the full fleet: GPT-4's 25,000 A100s are 3,126 p4de.24xlarge at the 2024
    // price, each region's share (0.5 / 0.3 / 0.2: 1,562.5, 937.5, 625) rounded up to whole instances.
    expect(s.cost!.by_component['gpu:gpt-4']).toBeCloseTo(3126 * 40.9657 * 730, -2);
    expect(s.cost!.reference_monthly_usd!.total).toBe(183_000_000);
    const r = s.requests;
    expect(r.offered).toBe(r.completed + r.failed + r.rejected + r.timed_out + r.in_flight_at_end);
    const strip = (x: string) => {
      const j = JSON.parse(x);
      delete j.engine.wall_s;
      delete j.engine.events_per_s;
      return JSON.stringify(j);
    };
    expect(strip(b.stdout)).toBe(strip(a.stdout));
    // The capacity check went to stderr, so stdout is the JSON alone.
    expect(a.stderr).toContain('capacity check');
  });

  it('validate prints the analytical capacity check and flags the over-committed GPU tiers', async () => {
    const [, , v] = await runs;
    expect(v.code, show(v)).toBe(0);
    expect(v.stdout).toMatch(/gpu:gpt-4 .*WARNING: over capacity/);
    expect(v.stdout).toMatch(/gateway .*%/);
    expect(v.stdout).not.toMatch(/gpu:text-embedding-ada-002 .*WARNING/);
  });
});
