import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { simulate } from '../../src/experiment/simulate.ts';
import { summarizeRun } from '../../src/results/summary.ts';
import { renderSummary } from '../../src/report/terminal.ts';
import { loadScenario } from '../../src/scenario/load.ts';
import { prepare } from '../../src/scenario/prepare.ts';
import { REPO } from '../helpers/cli.ts';
import { smallFleet } from '../helpers/fleet.ts';

const SPOT_MIX = join(REPO, 'scenarios/spot-mix.yaml');
const SEED = 1;

/** The shipped spot-mix scenario, shortened; `overrides` as --set would give them. */
function spotMix(overrides: string[]) {
  const prep = prepare(loadScenario(SPOT_MIX, ['duration_s=400', 'warmup_s=40', ...overrides]));
  return summarizeRun(prep, simulate(prep, SEED), 20_000);
}

describe('summary.json purchase block', () => {
  it('bills the shipped mix by hand: 4 p4de.24xlarge, 50% reserved 3y, 30% on-demand, 20% spot, plus the expected reclaims', () => {
    const s = spotMix(['faults=[]', 'duration_s=60', 'warmup_s=0']);
    const base = 4 * 40.9657 * 730; // all on-demand, 2024 price set
    // The expected reclaim cost: 0.8 spot instances, 0.175 reclaims per instance a month (band
    // 15-20%), an hour away each (back_after_s default), replaced on-demand at 1 - 0.45 of the price more.
    const x = (0.175 / 730) * 1;
    const reclaim = 0.8 * 730 * (x / (1 + x)) * 40.9657 * (1 - 0.45);
    const p = s.purchase!;
    expect(p.all_on_demand_monthly_usd).toBeCloseTo(base, 1);
    expect(p.by_model.llama.monthly_usd_by_commitment.reserved_3y).toBeCloseTo(base * 0.5 * 0.4, 1);
    expect(p.by_model.llama.monthly_usd_by_commitment.on_demand).toBeCloseTo(base * 0.3, 1);
    expect(p.by_model.llama.monthly_usd_by_commitment.spot).toBeCloseTo(base * 0.2 * 0.45, 1);
    expect(p.by_model.llama.spot!.expected_reclaim_monthly_usd).toBeCloseTo(reclaim, 3);
    expect(p.monthly_usd).toBeCloseTo(base * 0.59 + reclaim, 1);
    expect(p.saved_usd).toBeCloseTo(base * 0.41 - reclaim, 1);
    // The fleet's bill carries the mix on the model's GPU line, with the expected reclaims (as the purchase block).
    expect(s.cost!.by_component['gpu:llama']).toBeCloseTo(base * 0.59 + reclaim, 1);
    expect(s.purchase!.by_model.llama.spot!.reclaims_simulated).toBe(0);
    // The terminal summary's row: on-demand, reserved 3y and spot by hand (0.3, 0.2 and 0.09 of the base).
    const fmt = (x: number) => `$${Math.round(x).toLocaleString('en-US')}`;
    expect(renderSummary(s)).toContain(`llama    ${fmt(base * 0.3)}            -      ${fmt(base * 0.2)}`);
    expect(s.verdict.warnings.map((w) => w.code)).not.toContain('spot_reclaims');
  });

  it('reports the risk reclaims take: fewer requests within the SLO than the same run without them, and a verdict warning', () => {
    // 6 spot replicas reclaimed 20,000x faster than expected: several reclaims in 400 s.
    const withReclaims = spotMix(['faults.0.accelerate=20000']);
    const without = spotMix(['faults=[]']);
    const spot = withReclaims.purchase!.by_model.llama.spot!;
    expect(spot.reclaims_simulated, `seed ${SEED}`).toBeGreaterThan(0);
    expect(spot.slo_attainment!).toBeLessThan(without.purchase!.by_model.llama.spot!.slo_attainment!);
    const warning = withReclaims.verdict.warnings.find((w) => w.code === 'spot_reclaims');
    expect(warning?.message).toMatch(new RegExp(`llama: ${spot.reclaims_simulated} reclaims simulated \\(20,000x the expected rate\\)`));
  });

  it('is absent without a purchase mix', () => {
    const prep = smallFleet({ rate_per_s: 2, duration_s: 30, warmup_s: 0 });
    const s = summarizeRun(prep, simulate(prep, SEED), 10_000);
    expect(Object.keys(s)).not.toContain('purchase');
  });
});
