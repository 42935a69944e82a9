import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import seedrandom from 'seedrandom';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, show, type CliResult } from '../helpers/cli.ts';
import { runAll } from '../check/run-main.ts';
import { loadScenario } from '../../src/scenario/load.ts';
import { prepare } from '../../src/scenario/prepare.ts';
import { defaultWindowMs, simulate } from '../../src/experiment/simulate.ts';
import { runReplications } from '../../src/experiment/replications.ts';
import { summarizeRun, type Summary } from '../../src/results/summary.ts';
import { growthTest } from '../../src/metrics/steady-state.ts';
import { FIRST_TOKEN_SHORT_LOAD, NEAR_CAPACITY_LOAD } from '../../src/perf/model-error.ts';
import { runWarnings, type VerdictInput } from '../../src/results/verdict.ts';
import { servedModelBiases, type CapacityLoads } from '../../src/results/capacity.ts';
import { knownDtypeBias, knownEngineBias, knownHardwareBias, knownModelBias } from '../../src/perf/model-error.ts';
import { GPUS } from '../../src/perf/hardware.ts';
import { MODELS } from '../../src/perf/models.ts';
import { loadHfConfig } from '../../src/perf/hf-config.ts';

/**
 * The verdict block: steady state on an M/M/10 queue offered 12/s of 1-s service (load 1.2, a
 * backlog growing at 2 requests/s) and on one offered 9/s (load 0.9, stable); censored latencies
 * against the closed form of a deterministic queue; `fleetsim check` on the overloaded run.
 */
const OVERLOADED = join(REPO, 'test/report/fixtures/mmc-overloaded.yaml');
const STABLE = join(REPO, 'test/report/fixtures/mmc-stable.yaml');

function runOnce(file: string, seed: number, overrides: string[] = []): Summary {
  const prep = prepare(loadScenario(file, overrides));
  return summarizeRun(prep, simulate(prep, seed), defaultWindowMs(prep.scenario.duration_s, prep.scenario.window_s));
}

describe('steady state', () => {
  it('an overloaded M/M/10 (12/s of 1 s service) is not at steady state, with a warning naming the capacity check', () => {
    const s = runOnce(OVERLOADED, 7);
    expect(s.verdict.steady_state.ok).toBe(false);
    expect(s.verdict.steady_state.reasons[0]).toMatch(/^requests in flight rose from [\d,]+ to [\d,]+ over 330-600 s/);
    // 10 busy servers end 10 of the 12 arriving each second: a served fraction of 10/12
    expect(s.verdict.steady_state.served_fraction!).toBeCloseTo(10 / 12, 1);
    const codes = s.verdict.warnings.map((w) => w.code);
    expect(codes).toContain('not_steady');
    expect(codes).toContain('over_capacity');
    expect(s.verdict.warnings.find((w) => w.code === 'over_capacity')!.message).toContain('api 120% (12/s offered, 10/s capacity)');
  });

  it('a stable M/M/10 (load 0.9) is at steady state, with no warning', () => {
    const s = runOnce(STABLE, 7);
    expect(s.verdict.steady_state).toMatchObject({ ok: true, reasons: [] });
    expect(Math.abs(s.verdict.steady_state.served_fraction! - 1)).toBeLessThan(0.02);
    expect(s.verdict.warnings).toEqual([]);
  });

  it('false alarms are rare and the backlog is always seen (20 seeds each)', () => {
    let falseAlarms = 0;
    let missed = 0;
    for (let seed = 100; seed < 120; seed++) {
      if (!runOnce(STABLE, seed).verdict.steady_state.ok) falseAlarms++;
      // A tenth of the load over capacity, on a shorter run, is still seen.
      if (runOnce(OVERLOADED, seed, ['workload.arrivals.rate_per_s=11', 'duration_s=400']).verdict.steady_state.ok) missed++;
    }
    // The rule is a one-sided test at about 2.5% or less (metrics/steady-state.ts).
    expect(falseAlarms).toBeLessThanOrEqual(1);
    expect(missed).toBe(0);
  });

  it('the in-flight count rises at arrival rate minus capacity (2 requests/s), as the time series samples it', () => {
    const prep = prepare(loadScenario(OVERLOADED));
    const slopes: number[] = [];
    for (let seed = 1; seed <= 8; seed++) {
      const rows = simulate(prep, seed).timeseries.rows().filter((r) => r.t_start_s >= 300);
      const t = rows.map((r) => r.t_start_s);
      const g = growthTest(t, rows.map((r) => r.in_flight), rows.reduce((a, r) => a + r.arrivals, 0))!;
      slopes.push(g.rise / (t[t.length - 1] - t[0]));
    }
    const mean = slopes.reduce((a, x) => a + x, 0) / slopes.length;
    // The count is a random walk with variance 22/s (12 arrivals, 10 departures a second): a
    // least-squares slope over 300 s has sd sqrt(6 x 22 / (5 x 300)) ~ 0.3/s, the mean of 8 ~ 0.1/s.
    expect(mean).toBeGreaterThan(1.7);
    expect(mean).toBeLessThan(2.3);
  });

  it('replications: not at steady state if any replication is not, naming its seed', () => {
    const exp = runReplications(prepare(loadScenario(OVERLOADED, ['duration_s=300'])), 7, 2);
    expect(exp.summary.verdict.steady_state.ok).toBe(false);
    expect(exp.summary.verdict.steady_state.reasons[0]).toBe('2 of 2 replications not at steady state');
    expect(exp.summary.verdict.steady_state.reasons[1]).toMatch(/^seed 7: requests in flight rose/);
    expect(exp.summary.verdict.warnings.filter((w) => w.code === 'not_steady')).toHaveLength(1);
  });
});

describe('growthTest', () => {
  const t = Array.from({ length: 50 }, (_, i) => i);
  const rng = seedrandom('growth');
  const noise = () => (rng() - 0.5) * 20;
  it('sees a rise well above the noise and a material share of arrivals', () => {
    const g = growthTest(t, t.map((x) => 100 + 2 * x + noise()), 5000)!;
    expect(g.rise).toBeGreaterThan(90);
    expect(g.rise).toBeLessThan(106);
    expect(g.growing).toBe(true);
  });
  it('not noise around a level, nor a rise that is a tiny share of the arrivals', () => {
    expect(growthTest(t, t.map(() => 100 + noise()), 5000)!.growing).toBe(false);
    // 98 more requests in flight out of a million arrivals: real, immaterial.
    expect(growthTest(t, t.map((x) => 100 + 2 * x), 1e6)!.growing).toBe(false);
  });
  it('says nothing on fewer than 8 samples', () => {
    expect(growthTest([1, 2, 3], [1, 2, 3], 10)).toBeNull();
  });
});

describe('latencies with requests in flight counted at their ages', () => {
  it('match the closed form of a deterministic queue fed twice as fast as it serves', () => {
    // Arrivals every 1 s (from t = 1), one server of constant 2 s: request k (arriving at k s)
    // finishes at 2k + 1 s, after k + 1 s. Measured from 20 s to 200 s: requests 20-99 complete
    // (latencies 21-100 s), requests 100-199 are in flight at ages 200 - k (1-100 s).
    const s = runOnce(join(REPO, 'test/experiment/fixtures/ddc.yaml'), 3, ['workload.arrivals.rate_per_s=1', 'topology.stations.api.service_ms.value=2000']);
    const completed = Array.from({ length: 80 }, (_, i) => 21 + i);
    const ages = Array.from({ length: 100 }, (_, i) => 1 + i);
    const both = [...completed, ...ages].sort((a, b) => a - b);
    const quantile = (xs: number[], q: number) => xs[Math.floor(q * (xs.length - 1))] * 1000;
    const lower = s.latency_ms.e2e_including_in_flight!;
    // Arrival gaps have a CV of 0.01, so counts can be off by one and figures by ~1%.
    expect(s.requests.completed + s.requests.in_flight_at_end).toBeGreaterThanOrEqual(179);
    expect(Math.abs(s.requests.in_flight_at_end - 100)).toBeLessThanOrEqual(1);
    for (const [q, key] of [[0.5, 'p50'], [0.9, 'p90'], [0.99, 'p99']] as const) {
      expect(lower[key]! / quantile(both, q), key).toBeCloseTo(1, 1);
      // The true latencies of the requests in flight are k + 1 s, 101-200 s: lower bounds indeed.
      const truth = [...completed, ...ages.map((a) => 201 - a)].sort((a, b) => a - b);
      expect(lower[key]!).toBeLessThanOrEqual(quantile(truth, q) * 1.01);
    }
    const mean = both.reduce((a, x) => a + x, 0) / both.length;
    expect(lower.mean! / (mean * 1000)).toBeCloseTo(1, 1);
    expect(s.verdict.warnings.map((w) => w.code)).toContain('not_steady');
  });
});

describe('fleetsim check on a run not at steady state', () => {
  let tmp: string;
  let r: Record<string, CliResult>;
  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'fleetsim-verdict-'));
    const budgets = join(tmp, 'budgets.yaml');
    // Budgets the overloaded run's figures meet: it is the run, not the figures, that is in doubt.
    writeFileSync(budgets, '- requests.error_rate <= 0.001\n- stations.api.utilization <= 1\n');
    const junit = join(tmp, 'check.xml');
    r = await runAll({
      overloaded: ['check', OVERLOADED, '--budgets', budgets, '--quiet'],
      allowed: ['check', OVERLOADED, '--budgets', budgets, '--allow-inconclusive', '--junit', junit, '--quiet'],
      stable: ['check', STABLE, '--budgets', budgets, '--quiet'],
    });
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('is inconclusive with exit 1, also with --allow-inconclusive; the stable run passes', () => {
    expect(r.overloaded.code, show(r.overloaded)).toBe(1);
    expect(r.overloaded.stdout).toMatch(/^## fleetsim check: mmc-overloaded: INCONCLUSIVE/);
    expect(r.overloaded.stdout).toContain('0 passed, 0 failed, 2 inconclusive (the run is not at steady state: counts as a failure)');
    expect(r.overloaded.stdout).toContain('**The run is not at steady state:** requests in flight rose');
    expect(r.allowed.code, show(r.allowed)).toBe(1);
    expect(r.stable.code, show(r.stable)).toBe(0);
    expect(r.stable.stdout).toMatch(/^## fleetsim check: mmc-stable: PASS/);
  });
});

describe('near capacity', () => {
  // a run with nothing else to warn about, so that the capacity loads alone decide
  const quiet: VerdictInput = {
    complete: true, stop_reason: 'duration', duration_s: 600, warmup_s: 60, requests: { offered: 1000, completed: 1000, in_flight_at_end: 0, error_rate: 0 },
    latency_ms: { e2e: { p50: 1, p90: 1, p95: 1, p99: 1, p999: 1, mean: 1, max: 1, count: 1000 } as VerdictInput['latency_ms']['e2e'] },
  };
  const steady = { ok: true, reasons: [], served_fraction: 1 };
  const loads = (tier: string, utilization: number, peak_utilization: number): CapacityLoads => ({
    mean_rate_per_s: 10, peak_rate_per_s: 10 * peak_utilization / utilization,
    loads: [{ tier, arrival_rate_per_s: 10 * utilization, capacity_per_s: 10, utilization, peak_utilization }],
  });
  const codes = (c: CapacityLoads) => runWarnings(quiet, c, steady).map((w) => w.code);

  it('a GPU tier from 1 / (1 + the step model\'s throughput error) to 100% load is near capacity; below it is not', () => {
    expect(codes(loads('gpu:gpt-4', NEAR_CAPACITY_LOAD, NEAR_CAPACITY_LOAD))).toEqual(['near_capacity']);
    expect(codes(loads('gpu:gpt-4', 0.9, 0.9))).toEqual(['near_capacity']);
    expect(codes(loads('gpu:gpt-4', 0.75, 0.85))).toEqual(['near_capacity']);
    expect(runWarnings(quiet, loads('gpu:gpt-4', 0.9, 0.95), steady)[0].message).toContain('gpu:gpt-4 90% at the mean rate, 95% at the peak');
  });

  it('a GPU tier from 70% load to near capacity has its first tokens warned of as likely short; below 70% nothing is said', () => {
    expect(codes(loads('gpu:gpt-4', FIRST_TOKEN_SHORT_LOAD, FIRST_TOKEN_SHORT_LOAD))).toEqual(['first_tokens_short']);
    expect(codes(loads('gpu:gpt-4', 0.75, 0.8))).toEqual(['first_tokens_short']);
    expect(codes(loads('gpu:gpt-4', 0.6, 0.75))).toEqual(['first_tokens_short']); // the peak counts
    expect(codes(loads('gpu:gpt-4', 0.69, 0.69))).toEqual([]);
    expect(codes(loads('gpu:gpt-4', 0.5, 0.5))).toEqual([]);
    expect(codes(loads('api', 0.75, 0.75))).toEqual([]); // a tier without the step model
    const [w] = runWarnings(quiet, loads('gpu:gpt-4', 0.72, 0.78), steady);
    expect(w.message).toContain('gpu:gpt-4 72% at the mean rate, 78% at the peak');
    expect(w.message).toContain('lower bound');
  });

  it('a served model fleetsim is known to misjudge is warned of after the capacity warnings', () => {
    const bias = 'fleet.models.chat: deepseek-v3: misjudged';
    expect(runWarnings(quiet, loads('gpu:gpt-4', 0.9, 0.9), steady, [bias]).map((w) => w.code)).toEqual(['near_capacity', 'known_model_bias']);
    expect(runWarnings(quiet, loads('gpu:gpt-4', 0.5, 0.5), steady, [bias])[0].message).toContain(bias);
  });

  it('over capacity is warned as such, not as near; a tier without a GPU model (no model error) never is near', () => {
    expect(codes(loads('gpu:gpt-4', 0.95, 1.1))).toEqual(['over_capacity_at_peak']);
    expect(codes(loads('gpu:gpt-4', 1.2, 1.3))).toEqual(['over_capacity']);
    expect(codes(loads('api', 0.95, 0.95))).toEqual([]);
  });
});

/**
 * Known biases (src/perf/model-error.ts): every published first token of DeepSeek-V3/R1 (MLA) at
 * low load comes 23-91% later than fleetsim predicts (docs/fidelity.md, "Known biases"), so a fleet
 * serving one says so in its verdict, whether the model comes from the catalog or from its config.json.
 */
describe('known model biases', () => {
  it('MLA models carry one, from the catalog or a config.json; dense and other MoE models none', () => {
    expect(knownModelBias(MODELS['deepseek-v3'])).toMatch(/^deepseek-v3: fleetsim reads the first tokens of DeepSeek-style MLA models 23-91% short/);
    expect(knownModelBias(loadHfConfig(join(REPO, 'scenarios/data/model-configs/deepseek-v3/config.json'), 'ds'))).toMatch(/^ds: /);
    for (const id of ['llama-3.1-70b', 'mixtral-8x7b', 'qwen3-30b-a3b', 'gpt-oss-120b'] as const) expect(knownModelBias(MODELS[id]), id).toBeUndefined();
  });

  it('a fleet serving DeepSeek-V3 names the model in its verdict warning; one serving Llama does not', () => {
    const file = join(REPO, 'scenarios/kv-offload.yaml');
    expect(servedModelBiases(prepare(loadScenario(file, [])))).toEqual([]);
    const ds = prepare(loadScenario(file, ['fleet.models.chat.model=deepseek-v3', 'fleet.models.chat.gpu=h200', 'fleet.models.chat.tp=8', 'fleet.models.chat.dtype=fp8']));
    expect(servedModelBiases(ds)).toEqual([`fleet.models.chat: ${knownModelBias(MODELS['deepseek-v3'])}`]);
  });

  it('a fleet serving 4-bit weight-only models on A100 names the format in its verdict warning', () => {
    const int4 = prepare(loadScenario(join(REPO, 'scenarios/kv-offload.yaml'), ['fleet.models.chat.gpu=a100-80gb', 'fleet.models.chat.dtype=int4']));
    expect(servedModelBiases(int4)).toEqual([`fleet.models.chat: ${knownDtypeBias('int4', GPUS['a100-80gb'])}`]);
    expect(knownDtypeBias('int4', GPUS['a100-80gb'])).toMatch(/^int4 on a100-80gb: published 4-bit weight-only \(W4A16\) runs/);
  });

  it('a fleet served by the vLLM V0 profile on H200 names the engine in its verdict warning', () => {
    const v0 = prepare(loadScenario(join(REPO, 'scenarios/kv-offload.yaml'), ['fleet.models.chat.gpu=h200', 'fleet.models.chat.engine=vllm-v0']));
    expect(servedModelBiases(v0)).toEqual([`fleet.models.chat: ${knownEngineBias('vllm-v0', GPUS.h200)}`]);
    expect(knownEngineBias('vllm-v0', GPUS.h200)).toMatch(/^vllm-v0 on h200: published runs of vLLM's V0 engine/);
    expect(knownEngineBias('vllm', GPUS.h200)).toBeUndefined();
    expect(knownEngineBias('vllm-v0', GPUS['a100-80gb'])).toBeUndefined();
  });

  it('a fleet serving on Blackwell GPUs names the GPU in its verdict warning', () => {
    const b200 = prepare(loadScenario(join(REPO, 'scenarios/kv-offload.yaml'), ['fleet.models.chat.gpu=b200']));
    expect(servedModelBiases(b200)).toEqual([`fleet.models.chat: ${knownHardwareBias(GPUS.b200)}`]);
    expect(knownHardwareBias(GPUS.b200)).toMatch(/^b200: fleetsim reads Blackwell GPUs 1\.3-1\.6x faster/);
  });
});
