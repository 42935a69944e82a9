import { describe, expect, it } from 'vitest';
import { runMain } from '../check/run-main.ts';
import { show } from '../helpers/cli.ts';
import { instanceHourlyUsd } from '../../src/cost/monthly.ts';
import { commitmentFractions } from '../../src/cost/purchase.ts';
import { HOURS_PER_MONTH } from '../../src/cost/prices.ts';
import type { Summary } from '../../src/results/summary.ts';

/**
 * The eleventh hostile-input campaign of 2026-12-07, on the bill and the energy of disaggregated
 * models and of purchase mixes: the failures mended that day, each failing on the code before and
 * each figure checked against its closed form (instances x price x 730 h, watts x busy share).
 * docs/hostile-inputs.md lists them.
 */
const S = 'scenarios/disaggregated.yaml';
/** p4de.24xlarge on-demand per hour at the scenario's price set (2024), 8 A100s an instance. */
const P4DE_USD_PER_H = instanceHourlyUsd('p4de.24xlarge', { priceSet: '2024' });
const P4DE_MONTH_USD = P4DE_USD_PER_H * HOURS_PER_MONTH;

/** A dollar figure of the summary (7 significant digits) against its closed form. */
function expectUsd(actual: number, expected: number): void {
  expect(Math.abs(actual - expected), `${actual} against ${expected}`).toBeLessThanOrEqual(expected * 1e-6 + 0.01);
}

async function run(sets: string[], duration = ['duration_s=20', 'warmup_s=5']): Promise<Summary> {
  const r = await runMain(['run', S, '--json', ...[...duration, ...sets].flatMap((s) => ['--set', s])]);
  expect(r.code, show(r)).toBe(0);
  return JSON.parse(r.stdout) as Summary;
}

describe('the energy of a disaggregated model', () => {
  it('counts both pools at their draw (every GPU counted idle: 52 W per GPU beside 281 W colocated)', async () => {
    const s = await run([], ['duration_s=40', 'warmup_s=5']);
    const e = s.energy!.by_model.disaggregated;
    const idle_w = e.idle_w_per_gpu;
    // the prefill pool is busy prefilling, the decode pool decoding; idle otherwise; 6 GPUs each
    const busy = (pool: string) => s.gpu![`disaggregated:${pool}`].busy_fraction;
    const prefillPool_w = idle_w * (1 - busy('prefill')) + e.prefill_w_per_gpu * busy('prefill');
    const decodePool_w = idle_w * (1 - busy('decode')) + e.decode_w_per_gpu * busy('decode');
    expect(e.power_w_per_gpu).toBeCloseTo((6 * prefillPool_w + 6 * decodePool_w) / 12, 1);
    expect(e.power_w_per_gpu).toBeGreaterThan(idle_w * 2);
    expect(e.gpu_power_w).toBeCloseTo(e.power_w_per_gpu * 12, 1);
    // 2 p4de nodes, each a quarter of its 8 GPUs' 400 W TDP
    expect(e.nodes).toBe(2);
    expect(e.node_overhead_w).toBeCloseTo(2 * 0.25 * 400 * 8, 6);
  });
});

describe('the instances of a disaggregated model', () => {
  it('packs both pools on one instance type once: 10 + 2 A100s are 2 p4de, as 6 + 6 (billed 3)', async () => {
    const s = await run(['fleet.models.disaggregated.disaggregation.prefill.gpus=10'], ['duration_s=6', 'warmup_s=1']);
    const c = s.cost!.by_component;
    expectUsd(c['gpu:disaggregated:prefill'], (2 * P4DE_MONTH_USD * 10) / 12);
    expectUsd(c['gpu:disaggregated:decode'], (2 * P4DE_MONTH_USD * 2) / 12);
    expectUsd(c['gpu:colocated'], 2 * P4DE_MONTH_USD);
    expect(s.energy!.by_model.disaggregated.nodes).toBe(2);
  });

  it('bills an 8-GPU model split 4 + 4 as one p4de, the node energy counts (billed 2)', async () => {
    const s = await run(['fleet.models.disaggregated.gpus=8', 'fleet.models.disaggregated.disaggregation.prefill.gpus=4'], ['duration_s=6', 'warmup_s=1']);
    const c = s.cost!.by_component;
    expectUsd(c['gpu:disaggregated:prefill'] + c['gpu:disaggregated:decode'], P4DE_MONTH_USD);
    expect(s.energy!.by_model.disaggregated.nodes).toBe(1);
    expect(s.energy!.by_model.disaggregated.node_overhead_w).toBeCloseTo(0.25 * 400 * 8, 6);
  });
});

describe('the purchase mix and the region prices', () => {
  it('buys a disaggregated model\'s pools by its mix (both lines stayed on-demand), the bill and the purchase block agreeing', async () => {
    const s = await run(['fleet.models.disaggregated.purchase={reserved_3y: 0.5, spot: 0.5}']);
    const fr = commitmentFractions('p4de.24xlarge');
    const p = s.purchase!.by_model.disaggregated;
    // one p4de per pool: half reserved 3y, half spot
    const poolMonth = P4DE_MONTH_USD * (0.5 * fr.reserved_3y! + 0.5 * fr.spot!);
    const reclaimPerPool = p.spot!.expected_reclaim_monthly_usd / 2;
    const c = s.cost!.by_component;
    expectUsd(c['gpu:disaggregated:prefill'], poolMonth + reclaimPerPool);
    expectUsd(c['gpu:disaggregated:decode'], poolMonth + reclaimPerPool);
    expectUsd(p.monthly_usd, c['gpu:disaggregated:prefill'] + c['gpu:disaggregated:decode']);
    expectUsd(p.all_on_demand_monthly_usd, 2 * P4DE_MONTH_USD);
  });

  it('counts a spot reclaim of a disaggregated pool among its model\'s reclaims, and warns of it', async () => {
    const s = await run([
      'fleet.models.disaggregated.purchase={reserved_3y: 0.5, spot: 0.5}',
      'faults=[{kind: spot-reclaim, at_s: 0, duration_s: 20, target: "gpu:disaggregated:decode", accelerate: 100000, notice_s: 1, replace: on_demand, replace_s: 1}]',
    ]);
    const spot = s.purchase!.by_model.disaggregated.spot!;
    expect(spot.reclaims_simulated).toBeGreaterThan(0);
    expect(spot.accelerate).toBe(100000);
    expect(s.verdict.warnings.find((w) => w.code === 'spot_reclaims')?.message).toMatch(/^spot reclaims in this run: disaggregated: \d+ reclaims simulated/);
  });

  it('prices a model without a purchase mix by the region multipliers (they reached only a model with one)', async () => {
    const s = await run(['fleet.prices.region_multipliers={main: 10}'], ['duration_s=6', 'warmup_s=1']);
    const c = s.cost!.by_component;
    expectUsd(c['gpu:colocated'], 2 * P4DE_MONTH_USD * 10);
    expectUsd(c['gpu:disaggregated:prefill'] + c['gpu:disaggregated:decode'], 2 * P4DE_MONTH_USD * 10);
  });

  it('bills a colocated spot model\'s expected reclaims on its line as in the purchase block (70,575.71 beside 70,578.86)', async () => {
    const s = await run(['fleet.models.colocated.purchase={on_demand: 0.5, spot: 0.5}'], ['duration_s=6', 'warmup_s=1']);
    const p = s.purchase!.by_model.colocated;
    const fr = commitmentFractions('p4de.24xlarge');
    const reclaim = p.spot!.expected_reclaim_monthly_usd;
    expect(reclaim).toBeGreaterThan(0);
    expectUsd(s.cost!.by_component['gpu:colocated'], 2 * P4DE_MONTH_USD * (0.5 + 0.5 * fr.spot!) + reclaim);
    expectUsd(s.cost!.by_component['gpu:colocated'], p.monthly_usd);
  });
});

describe('the autoscaled bill of a reserved share', () => {
  const control = (min: number) => `control={interval_s: 5, autoscalers: [{target: gpu:colocated, metric: kv, target_value: 0.6, min: ${min}, initial: ${min}, max: 16, boot_s: 5}]}`;
  const mix = ['fleet.models.colocated.gpus=16', 'fleet.models.colocated.purchase={reserved_3y: 0.5, on_demand: 0.5}'];

  it('keeps the reserved part when the autoscaler runs below it (an eighth of the fleet billed $5,233 against $11,962 reserved)', async () => {
    const s = await run([...mix, control(2)]);
    const line = s.control!.bill!.by_component['gpu:colocated'];
    const reserved = 2 * P4DE_MONTH_USD * 0.5 * commitmentFractions('p4de.24xlarge').reserved_3y!;
    expect(s.control!.components['gpu:colocated'].max_instances).toBeLessThanOrEqual(8);
    expectUsd(line.autoscaled_monthly_usd, reserved);
  });

  it('bills the on-demand instances running above the reserved ones at the on-demand price', async () => {
    const s = await run([...mix, control(12)]);
    const comp = s.control!.components['gpu:colocated'];
    expect(comp.min_serving).toBeGreaterThanOrEqual(8);
    const reserved = 2 * P4DE_MONTH_USD * 0.5 * commitmentFractions('p4de.24xlarge').reserved_3y!;
    // each instance above the 8 reserved replicas: a sixteenth of the fleet's 2 p4de on-demand
    const onDemand = ((comp.mean_instances - 8) / 16) * 2 * P4DE_MONTH_USD;
    // mean_instances is rounded to 4 decimals: within a part in 10,000
    const autoscaled = s.control!.bill!.by_component['gpu:colocated'].autoscaled_monthly_usd;
    expect(Math.abs(autoscaled - (reserved + onDemand))).toBeLessThan((reserved + onDemand) * 1e-4);
    expect(onDemand).toBeGreaterThan(0);
  });
});
