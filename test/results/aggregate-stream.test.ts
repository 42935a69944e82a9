import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/cli.ts';
import { loadScenario } from '../../src/scenario/load.ts';
import { prepare } from '../../src/scenario/prepare.ts';
import { runReplications, runReplicationsJobs } from '../../src/experiment/replications.ts';
import { runReplicationsSliced } from '../../src/cli/progress.ts';
import { aggregateSummaries, SummaryAggregator } from '../../src/results/aggregate.ts';
import { meanCi95, RunningMeanCi95 } from '../../src/metrics/ci.ts';
import { round } from '../../src/results/round.ts';
import type { Summary } from '../../src/results/summary.ts';
import { sloVerdict, type Verdict, type VerdictWarning } from '../../src/results/verdict.ts';

/**
 * Replications aggregated as they complete (SummaryAggregator: running sums and Welford's
 * variance) against the aggregate of all the summaries at once as fleetsim 0.2.0 computed it
 * (kept below as the slow reference: two-pass mean and variance over every replication's value).
 */

// ---- The reference: results/aggregate.ts of fleetsim 0.2.0, all summaries in memory. ----
type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
const DESCRIPTIVE = new Set(['fleetsim_version', 'scenario', 'scenario_file', 'seed', 'duration_s', 'warmup_s', 'window_s', 'servers']);

function referenceCombine(values: Json[], key: string): Json {
  const first = values[0];
  if (DESCRIPTIVE.has(key) || typeof first === 'string' || typeof first === 'boolean') return first;
  if (typeof first === 'number' || first === null) {
    const nums = values.filter((v): v is number => typeof v === 'number');
    return nums.length === 0 ? null : round(meanCi95(nums).mean);
  }
  if (Array.isArray(first)) return first;
  const out: { [k: string]: Json } = {};
  const ci: { [k: string]: Json } = {};
  for (const k of Object.keys(first)) {
    const vs = values.map((v) => (v as { [k: string]: Json })[k]);
    out[k] = referenceCombine(vs, k);
    if (typeof out[k] === 'number' && !DESCRIPTIVE.has(k)) {
      const nums = vs.filter((v): v is number => typeof v === 'number');
      const { ci95 } = meanCi95(nums);
      if (ci95) ci[k] = [round(ci95[0]), round(ci95[1])];
    }
  }
  if (Object.keys(ci).length > 0) out.ci95 = ci;
  return out;
}

function referenceAggregate(reps: Summary[]): Summary {
  if (reps.length === 1) return reps[0];
  const { engine: _e, verdict: _v, ...rest } = reps[0];
  const restAll = reps.map(({ engine: _x, verdict: _y, ...r }) => r as unknown as Json);
  const combined = referenceCombine(restAll, '') as unknown as typeof rest;
  const events = reps.reduce((a, r) => a + r.engine.events, 0);
  const wall_s = reps.reduce((a, r) => a + r.engine.wall_s, 0);
  return {
    verdict: referenceVerdict(reps, combined),
    ...combined,
    seed: reps[0].seed,
    replications: reps.length,
    complete: reps.every((r) => r.complete),
    engine: {
      events,
      wall_s: round(wall_s),
      events_per_s: round(wall_s > 0 ? events / wall_s : 0),
      stop_reason: reps.every((r) => r.engine.stop_reason === reps[0].engine.stop_reason) ? reps[0].engine.stop_reason : 'mixed',
    },
  };
}

function referenceVerdict(reps: Summary[], combined: Omit<Summary, 'verdict' | 'engine'>): Verdict {
  const slo: Verdict['slo'] = {};
  for (const [name, m] of Object.entries(combined.by_model ?? {})) {
    const ci = (metric: 'ttft' | 'e2e') => (m.latency_ms[metric] as { ci95?: Record<string, [number, number]> }).ci95?.p99;
    const v = m.slo ? sloVerdict(m.slo, m.latency_ms, ci) : undefined;
    if (v) slo[name] = v;
    if (v && m.slo) m.slo.met = v.met;
  }
  const unsteady = reps.map((r, i) => ({ r, seed: reps[0].seed + i })).filter((x) => !x.r.verdict.steady_state.ok);
  const reasons = unsteady.slice(0, 3).flatMap((x) => x.r.verdict.steady_state.reasons.map((why) => `seed ${x.seed}: ${why}`));
  if (unsteady.length > 0) reasons.unshift(`${unsteady.length} of ${reps.length} replications not at steady state`);
  const byCode = new Map<string, { first: VerdictWarning; runs: number }>();
  for (const r of reps) {
    for (const w of r.verdict.warnings) {
      const seen = byCode.get(w.code);
      if (seen) seen.runs++;
      else byCode.set(w.code, { first: w, runs: 1 });
    }
  }
  const warnings = [...byCode.values()].map(({ first, runs }) => ({
    code: first.code,
    message: runs === reps.length ? first.message : `${first.message} (in ${runs} of ${reps.length} replications; this is the first)`,
  }));
  const served = reps.map((r) => r.verdict.steady_state.served_fraction).filter((x): x is number => x != null);
  return { slo, steady_state: { ok: unsteady.length === 0, reasons, served_fraction: served.length ? Math.min(...served) : null }, warnings };
}
// ---- end of the reference ----

const bytes = (s: Summary) => `${JSON.stringify(s, null, 2)}\n`;
const noWall = (x: unknown) => JSON.stringify(x, (k, v) => (k === 'wall_s' || k === 'events_per_s' ? 0 : v), 2);

describe('on real runs, the streaming aggregate is byte for byte the reference', () => {
  const station = () => prepare(loadScenario(join(REPO, 'scenarios/mmc-example.yaml'), ['duration_s=300', 'warmup_s=30']));
  const fleet = () => prepare(loadScenario(join(REPO, 'scenarios/openai-2024.yaml'), ['duration_s=8', 'warmup_s=2']));
  let fleetRuns: Summary[];
  let fleetSummary: string;

  beforeAll(() => {
    const exp = runReplications(fleet(), 3, 3, undefined, { keepRuns: true });
    fleetRuns = exp.runs!;
    fleetSummary = bytes(exp.summary);
  });

  it('a station network, 12 replications, in this thread and in slices (fleetsim run)', async () => {
    const exp = runReplications(station(), 7, 12, undefined, { keepRuns: true });
    expect(exp.runs).toHaveLength(12);
    const reference = bytes(referenceAggregate(exp.runs!));
    expect(bytes(exp.summary)).toBe(reference);
    expect((exp.summary as unknown as { requests: { ci95?: object } }).requests.ci95).toBeDefined();
    const sliced = await runReplicationsSliced(station(), 7, 12);
    expect(sliced.runs).toBeUndefined();
    expect(noWall(sliced.summary)).toBe(noWall(referenceAggregate(exp.runs!)));
    expect(sliced.last.seed).toBe(7 + 11);
  });

  it('an LLM fleet with SLOs, 3 replications, in this thread and on 2 worker threads', async () => {
    expect(fleetSummary).toBe(bytes(referenceAggregate(structuredClone(fleetRuns))));
    const exp = runReplications(fleet(), 3, 3);
    expect(exp.runs).toBeUndefined();
    expect(noWall(exp.summary)).toBe(noWall(referenceAggregate(structuredClone(fleetRuns))));
    expect(Object.keys(exp.summary.verdict.slo).length).toBeGreaterThan(0);
    const par = await runReplicationsJobs(fleet(), 3, 3, 2);
    expect(noWall(par.summary)).toBe(noWall(referenceAggregate(structuredClone(fleetRuns))));
    expect(par.last.seed).toBe(3 + 2);
  });

  it('the same summaries folded one at a time give the aggregate of the array', () => {
    const aggregator = new SummaryAggregator();
    for (const s of fleetRuns) aggregator.add(structuredClone(s));
    expect(bytes(aggregator.result())).toBe(bytes(aggregateSummaries(structuredClone(fleetRuns))));
    expect(aggregator.replications).toBe(3);
  });

  it('a block missing from a later replication is averaged over those that have it (0.2.0 threw a TypeError)', () => {
    const reps = structuredClone(fleetRuns);
    const [model] = Object.keys(reps[0].by_model!);
    delete (reps[1].by_model as Record<string, unknown>)[model];
    delete (reps[2].by_model as Record<string, unknown>)[model];
    expect(() => referenceAggregate(structuredClone(reps))).toThrow(TypeError);
    const latency = aggregateSummaries(reps).by_model![model].latency_ms as unknown as Record<string, Record<string, unknown>>;
    const only = fleetRuns[0].by_model![model].latency_ms as unknown as Record<string, Record<string, unknown>>;
    // The mean of one value is that value; no interval from one value.
    expect(latency.e2e.p99).toBe(only.e2e.p99);
    expect(latency.e2e.ci95).toBeUndefined();
    expect(aggregateSummaries(reps).requests).toEqual(aggregateSummaries(structuredClone(fleetRuns)).requests);
  });

  it('one replication is its own summary; none is an error', () => {
    expect(aggregateSummaries([fleetRuns[0]])).toBe(fleetRuns[0]);
    expect(() => new SummaryAggregator().result()).toThrow(/no replication/);
  });

  // Random replications shaped like a real fleet summary: every numeric figure replaced.
  it('random summaries: equal after rounding, or one unit apart in the seventh digit of a CI bound', () => {
    const template = fleetRuns[0];
    let figures = 0;
    let boundaryCases = 0;
    fc.assert(
      fc.property(
        fc.array(fc.record({ seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }), steady: fc.boolean(), warned: fc.subarray(['errors', 'censored', 'not_steady'] as const) }), { minLength: 2, maxLength: 9 }),
        fc.constantFrom(1, 1e-3, 1e-9),
        (reps, spread) => {
          const summaries = reps.map((r, i) => randomSummary(template, r.seed, spread, i, r.steady, [...r.warned]));
          const streamed = JSON.parse(bytes(aggregateSummaries(structuredClone(summaries)))) as Json;
          const reference = JSON.parse(bytes(referenceAggregate(structuredClone(summaries)))) as Json;
          const c = compareRounded(streamed, reference, '');
          figures += c.figures;
          boundaryCases += c.boundary;
        },
      ),
      { seed: 15, numRuns: 60 },
    );
    expect(figures).toBeGreaterThan(10_000);
    // At a rounding boundary the two may round apart; that is rare (a few ulps in 1e-7).
    expect(boundaryCases).toBeLessThan(figures / 1000);
  });
});

describe('RunningMeanCi95 against meanCi95 (two passes)', () => {
  it('the mean to the last bit, the interval within 1e-12, even for a tiny spread on a large offset', () => {
    fc.assert(
      fc.property(
        // Squares of deviations below the smallest normal double (1e-308) lose their bits either way: not figures of ours.
        fc.array(fc.double({ min: -1, max: 1, noNaN: true }).map((u) => (Math.abs(u) < 1e-9 ? 0 : u)), { minLength: 1, maxLength: 200 }),
        fc.constantFrom(0, 1, 1e9, -1e6),
        fc.constantFrom(1, 1e-6),
        (unit, offset, scale) => {
          const xs = unit.map((u) => offset + u * scale);
          const running = new RunningMeanCi95();
          for (const x of xs) running.add(x);
          const got = running.result();
          const want = meanCi95(xs);
          expect(Object.is(got.mean, want.mean)).toBe(true);
          if (want.ci95 === null) {
            expect(got.ci95).toBeNull();
            return;
          }
          const width = want.ci95[1] - want.ci95[0];
          // The bounds are mean -+ half-widths: compare the half-widths, which carry the variance.
          for (const k of [0, 1]) expect(Math.abs(got.ci95![k] - want.ci95[k])).toBeLessThanOrEqual(1e-12 * Math.abs(width) + 4 * Number.EPSILON * Math.abs(want.mean));
        },
      ),
      { seed: 3, numRuns: 300 },
    );
  });
});

/** A copy of `template` with every numeric figure drawn anew (some null, some negative), and a verdict of our choosing. */
function randomSummary(template: Summary, seed: number, spread: number, index: number, steady: boolean, warned: readonly VerdictWarning['code'][]): Summary {
  let state = seed >>> 0;
  const uniform = () => {
    // mulberry32: enough for test data.
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  let leaf = 0;
  const redraw = (v: Json, key: string): Json => {
    if (DESCRIPTIVE.has(key)) return v;
    if (typeof v === 'number' || v === null) {
      leaf++;
      const u = uniform();
      if (u < 0.05) return null;
      // Figures vary around a per-leaf level by `spread`, as replications of one scenario do.
      const level = (1 + (leaf % 97)) * 10 ** ((leaf % 13) - 6);
      const x = level * (1 + spread * (uniform() - 0.5));
      return leaf % 11 === 0 ? -x : leaf % 17 === 0 ? Math.round(x * 1e6) : x;
    }
    if (Array.isArray(v) || typeof v !== 'object') return v;
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, redraw(x, k)]));
  };
  const copy = redraw(structuredClone(template) as unknown as Json, '') as unknown as Summary;
  copy.seed = template.seed + index;
  copy.engine = { ...template.engine, events: 1000 + index };
  copy.verdict = {
    slo: template.verdict.slo,
    steady_state: { ok: steady, reasons: steady ? [] : [`reason ${index}`], served_fraction: index % 3 === 2 ? null : 1 - ((index * 7) % 5) / 100 },
    warnings: warned.map((code) => ({ code, message: `${code} in replication ${index}` })),
  };
  return copy;
}

/** Walks both; numbers must be equal, or CI bounds one unit apart in the seventh significant digit. */
function compareRounded(a: Json, b: Json, path: string): { figures: number; boundary: number } {
  if (typeof a === 'number' && typeof b === 'number') {
    if (Object.is(a, b)) return { figures: 1, boundary: 0 };
    const unit = 10 ** (Math.floor(Math.log10(Math.abs(b))) - 6);
    expect(path, `${path}: ${a} against ${b}`).toMatch(/\.ci95\./);
    expect(Math.abs(a - b), `${path}: ${a} against ${b}`).toBeLessThanOrEqual(unit * 1.000001);
    return { figures: 1, boundary: 1 };
  }
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') {
    expect(a, path).toEqual(b);
    return { figures: 0, boundary: 0 };
  }
  expect(Object.keys(a), path).toEqual(Object.keys(b));
  const total = { figures: 0, boundary: 0 };
  for (const k of Object.keys(a)) {
    const c = compareRounded((a as Record<string, Json>)[k], (b as Record<string, Json>)[k], `${path}.${k}`);
    total.figures += c.figures;
    total.boundary += c.boundary;
  }
  return total;
}
