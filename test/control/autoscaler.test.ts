import { describe, expect, it } from 'vitest';
import { simulate } from '../../src/experiment/simulate.ts';
import { prepared } from '../helpers/scenario.ts';

// M/M/c station: service Exp(mean 100 ms) = mu 10/s per server. A step in load from 50/s to
// 150/s at t = 300 s. At a target utilisation of 0.6 queueing theory asks for
// c = ceil(lambda / (mu x 0.6)): 9 servers before the step, 25 after.
describe('HPA on a station tier', () => {
  const run = () =>
    simulate(
      prepared({
        name: 'hpa-step',
        seed: 3,
        duration_s: 900,
        warmup_s: 0,
        window_s: 10,
        workload: { arrivals: { kind: 'poisson', rate_per_s: 50, profile: { points: [[0, 1], [299.99, 1], [300, 3]] } } },
        topology: { entry: 'api', stations: { api: { servers: 10, service_ms: { dist: 'exponential', mean: 100 } } } },
        control: {
          interval_s: 15,
          autoscalers: [{ target: 'api', metric: 'utilization', target_value: 0.6, min: 1, max: 100, scale_down_window_s: 60, metrics_delay_s: 15, boot_s: 30 }],
        },
      }),
      3,
    );

  it('converges to the c that keeps utilisation at target, within its delays', () => {
    const r = run();
    const c = r.control!;
    const t = c.series.t_s;
    const serving = c.series.serving.api;
    const mean = (from: number, to: number) => {
      const xs = serving.filter((_, i) => t[i] >= from && t[i] < to);
      return xs.reduce((a, b) => a + b, 0) / xs.length;
    };
    const before = mean(200, 300);
    const after = mean(600, 900);
    // Within the HPA's tolerance band (10%): c in [lambda / (mu x 0.66), lambda / (mu x 0.54)].
    expect(before).toBeGreaterThanOrEqual(7.5);
    expect(before).toBeLessThanOrEqual(10.5);
    expect(after).toBeGreaterThanOrEqual(22.5);
    expect(after).toBeLessThanOrEqual(28.5);
    // Reaction: the first scale-up after the step comes after the metrics delay and one loop (and
    // no later than delay + two loops); the servers arrive one boot later.
    const up = c.events.find((e) => e.t_s >= 300 && e.to > e.from)!;
    expect(up.t_s).toBeGreaterThan(300);
    expect(up.t_s).toBeLessThanOrEqual(300 + 15 + 2 * 15 + 1e-6);
    const firstMore = t.findIndex((x, i) => x > 300 && serving[i] > 12);
    expect(t[firstMore]).toBeGreaterThanOrEqual(up.t_s + 30 - 10);
    // Converged within delay + a few loops + boots (the step-up limit doubles per decision).
    const reached = t.findIndex((x, i) => x > 300 && serving[i] >= 24);
    expect(t[reached]).toBeLessThan(300 + 15 + 4 * 15 + 2 * 30 + 10);
  });
});
