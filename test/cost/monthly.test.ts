import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import {
  albMonthlyUsd, buildCostBreakdown, cdnMonthlyUsd, egressMonthlyUsd, instanceLine, instanceMonthlyUsd, parsePriceOverrides,
  storageMonthlyUsd,
} from '../../src/cost/monthly.ts';

describe('monthly cost', () => {
  it('p4de.24xlarge x N: price x 730 h x N', () => {
    // the doc's GPT-4 cluster: 25,000 A100-80GB = 3,125 p4de.24xlarge
    expect(instanceMonthlyUsd('p4de.24xlarge', 3125, { priceSet: '2024' })).toBeCloseTo(40.9657 * 730 * 3125, 4); // $93.45M
    expect(instanceMonthlyUsd('p4de.24xlarge', 3125)).toBeCloseTo(27.45 * 730 * 3125, 4);
    expect(instanceMonthlyUsd('p4de.24xlarge', 0)).toBe(0);
    expect(() => instanceMonthlyUsd('p4de.24xlarge', -1)).toThrow(UserError);
  });

  it('scenario overrides replace list prices and may price unlisted types', () => {
    const overrides = parsePriceOverrides({ 'p4de.24xlarge': 20, 'x9.metal': 3 }, 'scenario.cost.prices');
    expect(instanceMonthlyUsd('p4de.24xlarge', 10, { overrides })).toBeCloseTo(20 * 730 * 10, 9);
    expect(instanceMonthlyUsd('x9.metal', 2, { overrides })).toBeCloseTo(3 * 730 * 2, 9);
    expect(instanceMonthlyUsd('c6i.8xlarge', 1, { overrides })).toBeCloseTo(1.36 * 730, 9);
    expect(() => instanceMonthlyUsd('c6i.9xlarge', 1)).toThrow(/unknown instance type "c6i.9xlarge" \(did you mean "c6i.8xlarge"\?\)/);
  });

  it('invalid overrides are UserErrors with the path', () => {
    expect(() => parsePriceOverrides({ 'p4de.24xlarge': -5 }, 'scenario.cost.prices')).toThrow(/^scenario\.cost\.prices\.p4de\.24xlarge: expected a positive price/);
    expect(() => parsePriceOverrides({ 'p4de.24xlarge': 'cheap' }, 'prices')).toThrow(UserError);
    expect(() => parsePriceOverrides([1], 'prices')).toThrow(UserError);
  });

  it('tiered storage, egress and CDN charge each GB at its tier', () => {
    expect(storageMonthlyUsd(1000)).toBeCloseTo(23, 9);
    // 600 TB: 50 TB at 0.023, 450 TB at 0.022, 100 TB at 0.021
    expect(storageMonthlyUsd(600 * 1024)).toBeCloseTo(1024 * (50 * 0.023 + 450 * 0.022 + 100 * 0.021), 6);
    expect(egressMonthlyUsd(20 * 1024)).toBeCloseTo(1024 * (10 * 0.09 + 10 * 0.085), 6);
    expect(cdnMonthlyUsd(0)).toBe(0);
    expect(cdnMonthlyUsd(10 * 1024)).toBeCloseTo(10 * 1024 * 0.085, 6);
  });

  it('ALB: hourly charge plus LCUs of the dominant dimension', () => {
    expect(albMonthlyUsd(1, {})).toBeCloseTo(0.0225 * 730, 9);
    // 250 new connections/s = 10 LCU beats 5 GB/h = 5 LCU
    expect(albMonthlyUsd(2, { new_connections_per_s: 250, gb_per_hour: 5 })).toBeCloseTo(2 * 730 * (0.0225 + 10 * 0.008), 9);
  });

  it('a breakdown sums lines by plane and component; plane sums equal the total', () => {
    const b = buildCostBreakdown([
      instanceLine('api-gateway', 'edge', 'c6i.8xlarge', 100),
      instanceLine('chat-api', 'services', 'c6i.16xlarge', 2000),
      instanceLine('gpt-4', 'gpu', 'p4de.24xlarge', 3125, { priceSet: '2024' }),
      instanceLine('gpt-3.5', 'gpu', 'p3dn.24xlarge', 1250),
      instanceLine('redis', 'state', 'r6gd.16xlarge', 200),
      { component: 'model-weights', plane: 'state', monthly_usd: storageMonthlyUsd(50 * 1024 * 1024) },
      instanceLine('logging', 'control', 'i3en.24xlarge', 500),
      { component: 'redis', plane: 'state', monthly_usd: 1000 },
    ]);
    const planeSum = Object.values(b.by_plane).reduce((s, x) => s + x, 0);
    const compSum = Object.values(b.by_component).reduce((s, x) => s + x, 0);
    expect(planeSum).toBeCloseTo(b.monthly_usd, 6);
    expect(compSum).toBeCloseTo(b.monthly_usd, 6);
    expect(b.by_component.redis).toBeCloseTo(3.6864 * 730 * 200 + 1000, 6);
    expect(b.by_plane.gpu).toBeCloseTo(40.9657 * 730 * 3125 + 31.212 * 730 * 1250, 4);
    expect(b.lines.length).toBe(8);
    expect(() => buildCostBreakdown([{ component: 'x', plane: 'gpu', monthly_usd: Number.NaN }])).toThrow(UserError);
  });
});
