import { describe, expect, it } from 'vitest';
import { defaultWindowMs, simulate } from '../../src/experiment/simulate.ts';
import { summarizeRun, type Summary } from '../../src/results/summary.ts';
import { getGpu } from '../../src/perf/lookup.ts';
import { IDLE_SHARE_OF_TDP } from '../../src/perf/power.ts';
import type { Prepared } from '../../src/scenario/prepare.ts';
import { embedModel, smallFleet, smallModel } from '../helpers/fleet.ts';
import { userError } from '../helpers/errors.ts';

/**
 * The energy block of summary.json on a small fleet against closed forms: an idle fleet draws
 * idle power x GPUs (+ node overhead) x PUE; energy is power x 730 h; per-million-token figures
 * are energy / the tokens the bill divides by; emissions are energy x each region's intensity.
 */
function run(prep: Prepared, seed = 1): Summary {
  return summarizeRun(prep, simulate(prep, seed), defaultWindowMs(prep.scenario.duration_s, prep.scenario.window_s));
}

const idle = (gpu: 'a100-80gb' | 't4') => getGpu(gpu).tdp_w * IDLE_SHARE_OF_TDP[gpu];

describe('energy summary', () => {
  it('an idle fleet draws idle power x GPUs, plus node overhead, times PUE; a month is 730 h of it', () => {
    // one request in 1,000 s: the measured minute sees (almost surely) nothing
    const prep = smallFleet({ rate_per_s: 0.001, duration_s: 60, warmup_s: 0, fleet: { energy: { pue: 1.5, node_overhead_w: 1000 } } });
    const e = run(prep).energy!;
    const gpu_w = 4 * idle('a100-80gb') + 2 * idle('t4');
    expect(e.gpu_power_w).toBeCloseTo(gpu_w, 4);
    // one p4de (8 GPUs) holds the 4 A100s, one g4dn.12xlarge (4 GPUs) the 2 T4s
    expect(e.node_overhead_w).toBe(2000);
    expect(e.facility_power_w).toBeCloseTo((gpu_w + 2000) * 1.5, 3);
    expect(e.monthly_kwh).toBeCloseTo(e.facility_power_w * 730 / 1000, 0);
    expect(e.by_model.small.power_w_per_gpu).toBeCloseTo(idle('a100-80gb'), 6);
  });

  it('per-million-token and per-region figures agree with the totals and the bill', () => {
    const prep = smallFleet({
      rate_per_s: 12, duration_s: 60, warmup_s: 10,
      fleet: { regions: { a: { traffic_share: 0.5, capacity_share: 0.5, grid: 'france' }, b: { traffic_share: 0.5, capacity_share: 0.5, carbon_g_per_kwh: 500, pue: 1.4 } } },
    });
    const s = run(prep);
    const e = s.energy!;
    expect(e.gpu_power_w).toBeGreaterThan(4 * idle('a100-80gb') + 2 * idle('t4'));
    expect(e.gpu_power_w).toBeLessThan(4 * 400 + 2 * 70);
    // the bill's tokens per month: monthly_usd / usd_per_million_tokens
    const millionTokens = s.cost!.monthly_usd / s.cost!.usd_per_million_tokens;
    expect(e.monthly_kwh / e.kwh_per_million_tokens / millionTokens).toBeCloseTo(1, 5);
    // facility power: half the IT power at the default PUE 1.2, half at 1.4
    expect(e.facility_power_w / (e.it_power_w * (0.5 * 1.2 + 0.5 * 1.4))).toBeCloseTo(1, 6);
    const kg = (share: number, pue: number, g: number) => e.it_power_w * share * pue * 730 / 1000 * g / 1000;
    expect(e.by_region.a.g_co2e_per_kwh).toBe(56);
    expect(e.by_region.a.monthly_kg_co2e / kg(0.5, 1.2, 56)).toBeCloseTo(1, 5);
    expect(e.by_region.b.monthly_kg_co2e / kg(0.5, 1.4, 500)).toBeCloseTo(1, 5);
    expect(e.monthly_kg_co2e * 1000 / e.g_co2e_per_million_tokens / millionTokens).toBeCloseTo(1, 5);
    expect(e.assumptions.some((line) => line.startsWith('a: 56 g CO2e/kWh, grid france'))).toBe(true);
    // per request served (throughput_per_s, of the sample, over the month), not per request offered
    const servedPerMonth = s.requests.throughput_per_s / (s.fleet?.scale ?? 1) * 730 * 3600;
    expect(e.wh_per_request * servedPerMonth / (e.monthly_kwh * 1000)).toBeCloseTo(1, 3);
  });

  it('the power series integrates to the measured energy, and draws idle power where nothing runs', () => {
    const s = run(smallFleet({ rate_per_s: 12, duration_s: 60, warmup_s: 10 }));
    const e = s.energy!;
    const series = e.series!;
    expect(series.t_s.length).toBe(60);
    // windows of 1 s: the measured ones end after the warm-up (10 s)
    const measured = series.gpu_power_w.filter((_, i) => series.t_s[i] > 10);
    const mean = measured.reduce((a, w) => a + w, 0) / measured.length;
    // exact but for the clipping of compute-boundness at 1, which acts on each window's mean
    // utilisation here and on the whole period's there (docs/energy.md)
    expect(Math.abs(mean / e.gpu_power_w - 1)).toBeLessThan(1e-3);
    // facility power in every window: (GPU + node overhead) x PUE
    series.facility_power_w.forEach((w, i) => expect(w / ((series.gpu_power_w[i] + e.node_overhead_w) * 1.2)).toBeCloseTo(1, 6));
    const quiet = run(smallFleet({ rate_per_s: 0.001, duration_s: 20, warmup_s: 5 })).energy!.series!;
    quiet.gpu_power_w.forEach((w) => expect(w).toBeCloseTo(4 * idle('a100-80gb') + 2 * idle('t4'), 6));
  });

  it('a power-capped variant runs slower and draws less while busy', () => {
    const fleetOf = (cap?: number) => smallFleet({
      rate_per_s: 12, duration_s: 60, warmup_s: 10,
      fleet: { models: { small: { ...smallModel(), ...(cap ? { power_cap_w: cap } : {}) }, embed: embedModel() } },
    });
    const free = run(fleetOf());
    const capped = run(fleetOf(200));
    const p = (s: Summary) => s.energy!.by_model.small;
    expect(p(free).prefill_w_per_gpu).toBeGreaterThan(200);
    expect(p(capped).prefill_w_per_gpu).toBeLessThanOrEqual(200);
    expect(p(capped).decode_w_per_gpu).toBeLessThanOrEqual(200);
    expect(capped.by_model!.small.latency_ms.ttft.p50!).toBeGreaterThan(free.by_model!.small.latency_ms.ttft.p50!);
    expect(capped.by_model!.small.utilization).toBeGreaterThan(free.by_model!.small.utilization);
  });

  it('refuses an unknown grid with the field and the choices', () => {
    const msg = userError(() => smallFleet({ rate_per_s: 1, fleet: { regions: { main: { traffic_share: 1, capacity_share: 1, grid: 'franse' } } } }));
    expect(msg).toMatch(/fleet\.regions\.main\.grid/);
    expect(msg).toMatch(/expected a grid of data\/grid-carbon\.json: world, us, /);
  });
});
