import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { GPU_IDS } from '../../src/perf/hardware.ts';
import { HOURS_PER_MONTH, INSTANCES, gpuHourlyUsd, getInstance } from '../../src/cost/prices.ts';

describe('price table', () => {
  it('prices every instance type the architecture document names (p4de for its "p6id")', () => {
    for (const t of ['c6i.8xlarge', 'c6i.16xlarge', 'c6i.12xlarge', 'r6i.4xlarge', 'g5.2xlarge', 'p4de.24xlarge', 'p4d.24xlarge',
      'p3dn.24xlarge', 'g4dn.12xlarge', 'r6gd.16xlarge', 'db.r6g.16xlarge', 'm6i.8xlarge', 'i3en.24xlarge', 'p5.48xlarge', 'g6.xlarge', 'g5.xlarge']) {
      expect(getInstance(t).usd_per_hour_2024, t).toBeGreaterThan(0);
    }
    expect(() => getInstance('p6id.24xlarge')).toThrow(UserError);
  });

  it('has a priced instance for every catalog GPU', () => {
    for (const g of GPU_IDS) expect(gpuHourlyUsd(g), g).toBeGreaterThan(0);
  });

  it('GPU-hour price is the cheapest instance per GPU, per price set', () => {
    expect(gpuHourlyUsd('a100-80gb', '2024')).toBeCloseTo(40.9657 / 8, 6);
    expect(gpuHourlyUsd('a100-80gb', 'current')).toBeCloseTo(27.45 / 8, 6);
    // g4dn.xlarge ($0.526 for one T4) beats g4dn.12xlarge ($3.912 for four)
    expect(gpuHourlyUsd('t4')).toBe(0.526);
    expect(() => gpuHourlyUsd('mi300x')).toThrow(/no priced instance carries GPU "mi300x"/);
  });

  it('instance records are consistent: GPU instances name a GPU, CPU ones none', () => {
    for (const i of Object.values(INSTANCES)) {
      expect(i.gpus > 0, i.type).toBe(i.gpu !== undefined);
      if (i.usd_per_hour_current !== undefined) expect(i.usd_per_hour_current, i.type).toBeLessThan(i.usd_per_hour_2024);
    }
    expect(HOURS_PER_MONTH).toBe(730);
  });
});
