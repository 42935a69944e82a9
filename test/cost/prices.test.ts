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
    expect(() => gpuHourlyUsd('tpu-v5e')).toThrow(/no priced instance carries GPU "tpu-v5e"/);
  });

  it('prices the GPUs of 2024-25 at their published (or declared assumed) instance rates', () => {
    // AWS us-east-1 on-demand: p6-b200.48xlarge $113.9328 for 8 B200; g6e.xlarge $1.861 for one L40S
    // (cheaper per GPU than g6e.12xlarge $10.49264 / 4 and g6e.48xlarge $30.13118 / 8)
    expect(gpuHourlyUsd('b200')).toBeCloseTo(113.9328 / 8, 9);
    expect(gpuHourlyUsd('b200', '2024')).toBeCloseTo(113.9328 / 8, 9);
    expect(gpuHourlyUsd('l40s')).toBe(1.861);
    expect(1.861).toBeLessThan(Math.min(10.49264 / 4, 30.13118 / 8));
    // CoreWeave gb200-4x $42.00 for 4 GPUs; Azure ND MI300X v5 $6.00 per GPU
    expect(gpuHourlyUsd('gb200')).toBeCloseTo(42 / 4, 9);
    expect(gpuHourlyUsd('mi300x')).toBeCloseTo(6, 9);
    // the assumed ones say so in their name and note
    for (const gpu of ['mi325x', 'h20', 'h100-pcie']) {
      const carriers = Object.values(INSTANCES).filter((i) => i.gpu === gpu);
      expect(carriers.length, gpu).toBeGreaterThan(0);
      for (const i of carriers) {
        expect(i.type, gpu).toMatch(/\.assumed$/);
        expect(i.note, gpu).toMatch(/ASSUMED/);
      }
    }
    // What a plan warns of (price_basis): every price that is not an AWS list price says why, and no
    // AWS list price does (a plan warned of the T4s' "embeddings (doc)" note as if it were a caveat)
    for (const i of Object.values(INSTANCES)) {
      const notAws = i.type.endsWith('.assumed') || /not AWS|approximate/.test(i.note ?? '');
      expect(i.price_basis !== undefined, i.type).toBe(notAws);
    }
    expect(INSTANCES['g4dn.12xlarge'].price_basis).toBeUndefined();
    expect(INSTANCES['p6-b200.48xlarge'].price_basis).toBeUndefined();
    // H100 PCIe assumed at the p5 rate per GPU times Lambda's PCIe/SXM ratio (2.49 / 2.99), in both sets
    expect(gpuHourlyUsd('h100-pcie', '2024') / (98.32 / 8)).toBeCloseTo(2.49 / 2.99, 4);
    expect(gpuHourlyUsd('h100-pcie', 'current') / (55.04 / 8)).toBeCloseTo(2.49 / 2.99, 4);
    // H20 assumed at half the p5 rate per GPU, in both price sets
    expect(gpuHourlyUsd('h20', '2024') / (98.32 / 8)).toBeCloseTo(0.5, 9);
    expect(gpuHourlyUsd('h20', 'current') / (55.04 / 8)).toBeCloseTo(0.5, 9);
  });

  it('instance records are consistent: GPU instances name a GPU, CPU ones none', () => {
    for (const i of Object.values(INSTANCES)) {
      expect(i.gpus > 0, i.type).toBe(i.gpu !== undefined);
      if (i.usd_per_hour_current !== undefined) expect(i.usd_per_hour_current, i.type).toBeLessThan(i.usd_per_hour_2024);
    }
    expect(HOURS_PER_MONTH).toBe(730);
  });
});
