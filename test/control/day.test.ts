import { describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { loadScenario } from '../../src/scenario/load.ts';
import { prepare } from '../../src/scenario/prepare.ts';
import { compareDay } from '../../src/experiment/day.ts';
import { verdictText } from '../../src/report/verdict-text.ts';

describe('a simulated day', () => {
  it('costs less autoscaled than the fixed fleet, and says by how much and at what SLO cost', () => {
    const prep = prepare(loadScenario(resolve(import.meta.dirname, '../../scenarios/day-autoscaled.yaml')));
    const { autoscaled, fixed, fixed_slo_attainment } = compareDay(prep);
    const bill = autoscaled.control!.bill!;
    expect(bill.autoscaled_monthly_usd).toBeLessThan(bill.fixed_monthly_usd);
    expect(bill.saving_pct).toBeGreaterThan(10);
    expect(bill.fixed_monthly_usd).toBeCloseTo(fixed.cost!.monthly_usd, -2);
    expect(autoscaled.control!.cold_starts).toBeGreaterThan(0);
    expect(autoscaled.control!.events_total).toBeGreaterThan(0);
    const att = autoscaled.control!.slo_attainment!;
    for (const m of Object.keys(att)) expect(att[m].attainment).toBeGreaterThanOrEqual(0);
    // the verdict's bill is the autoscaled one, the fixed fleet's beside it (it led with the fixed bill)
    const billLine = verdictText(autoscaled).lines.find((l) => l.text.startsWith('monthly bill'))!.text;
    expect(billLine).toMatch(new RegExp(`^monthly bill \\(full fleet\\): \\$${Math.round(bill.autoscaled_monthly_usd).toLocaleString('en-US')} autoscaled \\(the fixed fleet: \\$`));
    // print the day's figures for the record
    console.log(JSON.stringify({ saving_pct: bill.saving_pct, fixed: bill.fixed_monthly_usd, autoscaled: bill.autoscaled_monthly_usd, slo_autoscaled: att, slo_fixed: fixed_slo_attainment, fixed_p99: Object.fromEntries(Object.entries(fixed.by_model!).map(([k, v]) => [k, v.latency_ms.e2e.p99])) }));
  }, 60_000);
});
