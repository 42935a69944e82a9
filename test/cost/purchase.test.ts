import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fleetMonthlyCost } from '../../src/fleet/llm/cost.ts';
import { modelPurchaseBill } from '../../src/fleet/llm/gpu-bill.ts';
import { spotReclaimMonthlyUsd } from '../../src/cost/purchase.ts';
import { embedModel, smallFleet, smallModel } from '../helpers/fleet.ts';
import { fleetsim, show } from '../helpers/cli.ts';
import { suiteTempDir } from '../helpers/temp-dir.ts';

/** The small fleet with its 7B model on 64 A100s (8 p4de.24xlarge) bought by `purchase`. */
function fleetWith(purchase: object | undefined, extra: object = {}) {
  return smallFleet({ rate_per_s: 1, fleet: { models: { small: { ...smallModel(), gpus: 64, ...(purchase ? { purchase } : {}) }, embed: embedModel() }, ...extra } as never }).scenario.fleet!;
}

describe('the bill by commitment', () => {
  it('matches a hand computation: 8 p4de.24xlarge, half reserved 3 years, 30% on-demand, 20% spot', () => {
    // By hand: $40.9657/h (the 2024 on-demand price), 730 h, 8 instances; p4de's fractions of the
    // on-demand price in data/prices/purchase-options.json: reserved 3y 0.40, spot 0.45.
    const base = 8 * 40.9657 * 730; // 239,239.688 USD a month all on-demand
    const bill = modelPurchaseBill(fleetWith({ reserved_3y: 0.5, on_demand: 0.3, spot: 0.2 }), 'small');
    expect(bill.all_on_demand_monthly_usd).toBeCloseTo(239239.688, 2);
    expect(bill.by_commitment.reserved_3y).toBeCloseTo(0.5 * base * 0.4, 2);
    expect(bill.by_commitment.on_demand).toBeCloseTo(0.3 * base, 2);
    expect(bill.by_commitment.spot).toBeCloseTo(0.2 * base * 0.45, 2);
    expect(bill.by_commitment.reserved_1y + bill.by_commitment.savings_plan + bill.by_commitment.capacity_block).toBe(0);
    expect(bill.monthly_usd).toBeCloseTo(47847.9376 + 71771.9064 + 21531.5719, 2);
  });

  it('puts the mix in the fleet bill, and leaves a model without a mix all on-demand', () => {
    const mixed = fleetMonthlyCost(fleetWith({ reserved_1y: 1 }), 1);
    const plain = fleetMonthlyCost(fleetWith(undefined), 1);
    expect(plain.by_component['gpu:small']).toBeCloseTo(8 * 40.9657 * 730, 2);
    expect(mixed.by_component['gpu:small']).toBeCloseTo(8 * 40.9657 * 730 * 0.6, 2);
    expect(mixed.by_component['gpu:embed']).toBe(plain.by_component['gpu:embed']);
  });

  it('weighs region multipliers by capacity share', () => {
    const regions = { a: { traffic_share: 0.5, capacity_share: 0.25 }, b: { traffic_share: 0.5, capacity_share: 0.75 } };
    const f = fleetWith({ on_demand: 1 }, { regions, prices: { set: '2024', overrides: {}, region_multipliers: { b: 1.2 } } });
    expect(modelPurchaseBill(f, 'small').monthly_usd).toBeCloseTo(8 * 40.9657 * 730 * (0.25 * 1 + 0.75 * 1.2), 2);
  });

  it('rounds each region\'s share of the GPUs up to whole instances, each at its region\'s multiplier (no instance spans two regions)', () => {
    // 8 A100s at 0.5 / 0.5 are 4 in each region: one p4de.24xlarge (8 GPUs) each, two in all;
    // before 2026-12-08 the fleet's 8 GPUs were rounded once, one instance at the mean multiplier
    const regions = { a: { traffic_share: 0.5, capacity_share: 0.5 }, b: { traffic_share: 0.5, capacity_share: 0.5 } };
    const small = { ...smallModel(), gpus: 8 };
    const f = smallFleet({ rate_per_s: 1, fleet: { models: { small, embed: embedModel() }, regions, prices: { set: '2024', overrides: {}, region_multipliers: { b: 1.5 } } } as never }).scenario.fleet!;
    expect(modelPurchaseBill(f, 'small').monthly_usd).toBeCloseTo((1 * 1 + 1 * 1.5) * 40.9657 * 730, 2);
    // 25,000 GPUs at 0.5 / 0.3 / 0.2 are 1,562.5, 937.5 and 625 instances: 1,563 + 938 + 625
    const three = { a: { traffic_share: 0.5, capacity_share: 0.5 }, b: { traffic_share: 0.3, capacity_share: 0.3 }, c: { traffic_share: 0.2, capacity_share: 0.2 } };
    const big = smallFleet({ rate_per_s: 1, fleet: { models: { small: { ...smallModel(), gpus: 25000 }, embed: embedModel() }, regions: three } as never }).scenario.fleet!;
    expect(modelPurchaseBill(big, 'small').monthly_usd).toBeCloseTo(3126 * 40.9657 * 730, 1);
  });

  it('bills the replicas the simulator places in each region, not each region\'s share of the GPUs', () => {
    const fleet = (model: object, regions: object) => smallFleet({ rate_per_s: 1, fleet: { models: { small: { ...smallModel(), ...model }, embed: embedModel() }, regions } as never }).scenario.fleet!;
    const p4de_month = 40.9657 * 730;
    // 10 TP 8 replicas at 0.54 / 0.46 run 5 + 5 (round), one p4de each: 10, where 43.2 and 36.8
    // GPUs rounded up to instances made 6 + 5
    const two = { a: { traffic_share: 0.5, capacity_share: 0.54 }, b: { traffic_share: 0.5, capacity_share: 0.46 } };
    expect(modelPurchaseBill(fleet({ tp: 8, gpus: 80 }, two), 'small').monthly_usd).toBeCloseTo(10 * p4de_month, 2);
    // 10 TP 16 replicas at 0.998 / 0.001 / 0.001 run 10 + 1 + 1 (a region holds at least one):
    // 12 replicas of two p4de each, 24, where the GPUs' shares made 20 + 1 + 1
    const tiny = { a: { traffic_share: 0.998, capacity_share: 0.998 }, b: { traffic_share: 0.001, capacity_share: 0.001 }, c: { traffic_share: 0.001, capacity_share: 0.001 } };
    expect(modelPurchaseBill(fleet({ tp: 16, gpus: 160 }, tiny), 'small').monthly_usd).toBeCloseTo(24 * p4de_month, 2);
  });

  it('refuses, at validation, a commitment the instance type is not sold as and a multiplier of a region the fleet lacks', () => {
    const model = { ...smallModel(), instance: 'g5.xlarge', gpu: 'a10g', purchase: { capacity_block: 1 } };
    expect(() => smallFleet({ rate_per_s: 1, fleet: { models: { small: model, embed: embedModel() } } as never })).toThrow(/fleet\.models\.small\.purchase\.capacity_block: g5\.xlarge is not sold as capacity block.*got 1/);
    expect(() => fleetWith({ on_demand: 1 }, { prices: { set: '2024', overrides: {}, region_multipliers: { nowhere: 2 } } })).toThrow(/fleet\.prices\.region_multipliers\.nowhere: expected a region of fleet\.regions \(main\), got "nowhere"/);
  });

  it('prices reclaims by renewal: replaced on-demand costs the difference, waited out saves the spot hours', () => {
    // 10 spot instances, 0.01 reclaims per hour, 2 h away per reclaim: away 0.02 / 1.02 of the time.
    const o = { spotInstances: 10, rate_per_h: 0.01, away_h: 2, on_demand_usd_per_hour: 10, spot_fraction: 0.4, region_factor: 1 };
    const replaced = spotReclaimMonthlyUsd({ ...o, replace: 'on_demand' });
    expect(replaced.away_share).toBeCloseTo(0.02 / 1.02, 12);
    expect(replaced.usd).toBeCloseTo(10 * 730 * (0.02 / 1.02) * (10 - 4), 6);
    expect(spotReclaimMonthlyUsd({ ...o, replace: 'wait' }).usd).toBeCloseTo(-10 * 730 * (0.02 / 1.02) * 4, 6);
  });
});

describe('a purchase mix that does not sum to 1', () => {
  const tmp = suiteTempDir('fleetsim-purchase-');
  it('is one line naming the file and field, exit 2', async () => {
    const text = readFileSync('scenarios/spot-mix.yaml', 'utf8').replace(/purchase: \{[^}]*\}/, 'purchase: { reserved_3y: 0.5, on_demand: 0.3, spot: 0.3 }');
    const file = tmp.write('bad-mix.yaml', text);
    const r = await fleetsim(['validate', file]);
    expect(r.code, show(r)).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines, show(r)).toHaveLength(1);
    expect(lines[0]).toContain('bad-mix.yaml');
    expect(lines[0]).toMatch(/fleet\.models\.\w+\.purchase.*summing to 1.*these sum to 1\.1/);
    expect(r.stderr).not.toMatch(/\bat .*\.ts:\d+/);
  });
});
