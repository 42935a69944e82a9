import { describe, expect, it } from 'vitest';
import { closest, listMetricPaths, resolveMetric } from '../../src/results/metric-path.ts';
import { checkBudgetPaths, checkJunit, evaluateBudgets, outcome, parseBudgets, type Budget, type BudgetOp } from '../../src/report/budgets.ts';
import type { Summary } from '../../src/results/summary.ts';

/** The library side of `fleetsim check`: metric paths, budget files, verdicts, JUnit. */

const LAT = { p50: 10, p90: 20, p99: 30, p999: 40, mean: 12, max: 50 };

function summary(over: Partial<Summary> & Record<string, unknown> = {}): Summary {
  return {
    fleetsim_version: '0.1.0',
    scenario: 'unit',
    scenario_file: 'unit.yaml',
    seed: 1,
    replications: 1,
    complete: true,
    duration_s: 100,
    warmup_s: 10,
    window_s: 1,
    requests: { offered: 20000, completed: 20000, failed: 0, rejected: 0, timed_out: 0, in_flight_at_end: 0, error_rate: 0, throughput_per_s: 0.1 },
    latency_ms: { e2e: { ...LAT } },
    stations: {},
    engine: { events: 1, wall_s: 0.1, events_per_s: 10, stop_reason: 'until' },
    ...over,
  } as Summary;
}

describe('metric paths', () => {
  const doc = {
    by_model: {
      'gpt-3': { latency_ms: { ttft: { p99: 1 } } },
      'gpt-3.5': { latency_ms: { ttft: { p99: 2 } } },
      'gpt-3.5-turbo': { latency_ms: { ttft: { p99: 3, ci95: { p99: [2.5, 3.5] } } } },
    },
    requests: { error_rate: 0.01 },
  };

  it('model names with dots: the longest key that fits wins at every level', () => {
    expect(resolveMetric(doc, 'by_model.gpt-3.5-turbo.latency_ms.ttft.p99')).toMatchObject({ ok: true, value: 3, keys: ['by_model', 'gpt-3.5-turbo', 'latency_ms', 'ttft', 'p99'] });
    expect(resolveMetric(doc, 'by_model.gpt-3.5.latency_ms.ttft.p99')).toMatchObject({ ok: true, value: 2 });
    expect(resolveMetric(doc, 'by_model.gpt-3.latency_ms.ttft.p99')).toMatchObject({ ok: true, value: 1 });
  });

  it('finds the ci95 sibling of a figure', () => {
    expect(resolveMetric(doc, 'by_model.gpt-3.5-turbo.latency_ms.ttft.p99')).toMatchObject({ ci95: [2.5, 3.5] });
    expect(resolveMetric(doc, 'requests.error_rate')).not.toHaveProperty('ci95');
  });

  it('says where a path goes wrong, with a guess', () => {
    const r = resolveMetric(doc, 'by_model.gpt-4.latency_ms.ttft.p99');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toMatch(/no field "gpt-4" in by_model.*\(it has: gpt-3, gpt-3\.5, gpt-3\.5-turbo\)/);
    const typo = resolveMetric(doc, 'requests.eror_rate');
    expect(!typo.ok && typo.message).toMatch(/did you mean "requests\.error_rate"\?/);
    const deep = resolveMetric(doc, 'requests.error_rate.p99');
    expect(!deep.ok && deep.message).toMatch(/requests\.error_rate is a number figure, it has no field "p99"/);
    expect(closest('thrugput', ['throughput_per_s', 'error_rate'])).toBeUndefined();
    expect(closest('eror_rate', ['throughput_per_s', 'error_rate'])).toBe('error_rate');
  });

  it('lists every figure (for discovery), leaving out ci95 blocks', () => {
    expect(listMetricPaths(doc)).toEqual(['by_model.gpt-3.latency_ms.ttft.p99', 'by_model.gpt-3.5.latency_ms.ttft.p99', 'by_model.gpt-3.5-turbo.latency_ms.ttft.p99', 'requests.error_rate']);
  });
});

describe('budget files', () => {
  it('take strings and objects, as a list or under budgets:', () => {
    const list = parseBudgets(['requests.error_rate <= 0.001', 'by_model.gpt-3.5-turbo.latency_ms.ttft.p99<2000', { metric: 'cost.monthly_usd', op: '<=', value: 1.9e8, name: 'bill' }, 'requests.throughput_per_s >= 1e3'], 'b.yaml');
    expect(list).toEqual([
      { metric: 'requests.error_rate', op: '<=', value: 0.001, origin: 'b.yaml: [0]' },
      { metric: 'by_model.gpt-3.5-turbo.latency_ms.ttft.p99', op: '<', value: 2000, origin: 'b.yaml: [1]' },
      { metric: 'cost.monthly_usd', op: '<=', value: 1.9e8, name: 'bill', origin: 'b.yaml: [2]' },
      { metric: 'requests.throughput_per_s', op: '>=', value: 1000, origin: 'b.yaml: [3]' },
    ]);
    expect(parseBudgets({ budgets: ['a.b > 1'] }, 's.yaml')[0].origin).toBe('s.yaml: budgets[0]');
  });

  it('reject bad input with the path of the problem', () => {
    const err = (doc: unknown) => {
      try {
        parseBudgets(doc, 'b.yaml');
      } catch (e) {
        return (e as Error).message;
      }
      return 'no error';
    };
    expect(err([{ metric: 'a.b', op: '=<', value: 1 }])).toMatch(/^b\.yaml: \[0\]\.op: expected one of "<=", "<", ">=", ">", got "=<"/);
    expect(err(['a.b <= 1', { metric: 'a.b', op: '<=', value: 'fast' }])).toMatch(/^b\.yaml: \[1\]\.value: expected a number, got "fast"/);
    expect(err(['a.b <= 1', { metric: 'a.b', op: '<=', value: 1, limit: 2 }])).toBe('b.yaml: [1].limit: unknown key "limit"');
    expect(err(['requests.error_rate == 0'])).toMatch(/^b\.yaml: \[0\]: expected "metric op value"/);
    expect(err(['requests.error_rate <= lots'])).toMatch(/^b\.yaml: \[0\]: expected "metric op value"/);
    expect(err([])).toMatch(/at least one budget/);
    expect(err('requests.error_rate <= 1')).toMatch(/expected a list of budgets/);
    // a list long enough to take gigabytes to evaluate and report (900,000: 2.1 GB, 29 s) is refused before it is read
    const many = Array.from({ length: 10_001 }, (_, i) => `latency_ms.e2e.p99 <= ${i}`);
    expect(err(many)).toBe('b.yaml: (top level): expected at most 10000 budgets, got 10001');
    expect(err({ budgets: many })).toBe('b.yaml: budgets: expected at most 10000 budgets, got 10001');
    expect(parseBudgets(many.slice(0, 10_000), 'b.yaml')).toHaveLength(10_000);
  });

  it('name a metric that is not in the summary, or not a number', () => {
    const s = summary();
    const check = (b: Budget) => () => checkBudgetPaths([b], s);
    expect(check({ metric: 'latency_ms.e2e.p98', op: '<=', value: 1, origin: 'b.yaml: [3]' })).toThrow(/^b\.yaml: \[3\]\.metric: latency_ms\.e2e\.p98: no field "p98" in latency_ms\.e2e; did you mean "latency_ms\.e2e\.p9[09]"\?/);
    expect(check({ metric: 'latency_ms.e2e', op: '<=', value: 1 })).toThrow(/latency_ms\.e2e is a block of figures, not a number \(its figures: p50, p90, p99/);
    expect(check({ metric: 'scenario', op: '<=', value: 1 })).toThrow(/scenario is a string, not a number/);
  });
});

describe('verdicts', () => {
  const b = (op: BudgetOp, value: number): Budget => ({ metric: 'latency_ms.e2e.p99', op, value });
  const one = (op: BudgetOp, value: number, s = summary()) => evaluateBudgets([b(op, value)], s)[0];

  it('one run: the figure against the bound', () => {
    expect(one('<=', 30).status).toBe('pass');
    expect(one('<', 30).status).toBe('fail');
    expect(one('>=', 30).status).toBe('pass');
    expect(one('>', 30).status).toBe('fail');
    expect(one('<=', 29.9).reason).toBe('30 is not <= 29.9');
  });

  it('replications: pass if the whole CI meets the bound, fail if it all violates it, else inconclusive', () => {
    const s = summary({ replications: 5, latency_ms: { e2e: { ...LAT, ci95: { p99: [28, 32] } } as never } });
    const cases: [BudgetOp, number, string][] = [
      ['<=', 32, 'pass'],
      ['<=', 31, 'inconclusive'],
      ['<=', 27, 'fail'],
      ['<', 32, 'inconclusive'],
      ['<', 32.1, 'pass'],
      ['<', 28, 'fail'],
      ['>=', 28, 'pass'],
      ['>=', 30, 'inconclusive'],
      ['>=', 33, 'fail'],
      ['>', 28, 'inconclusive'],
      ['>', 27.9, 'pass'],
      ['>', 32, 'fail'],
    ];
    for (const [op, v, want] of cases) expect(one(op, v, s).status, `${op} ${v}`).toBe(want);
    expect(one('<=', 31, s)).toMatchObject({ ci95: [28, 32], reason: 'the 95% CI [28, 32] straddles 31: more replications may decide' });
  });

  it('a null figure fails (nothing measured); an incomplete run cannot pass', () => {
    expect(one('<=', 100, summary({ latency_ms: { e2e: { ...LAT, p99: null } } })).status).toBe('fail');
    const partial = one('<=', 100, summary({ complete: false, engine: { events: 1, wall_s: 1, events_per_s: 1, stop_reason: 'stopped' } }));
    expect(partial.status).toBe('inconclusive');
    expect(partial.reason).toMatch(/incomplete \(stopped\)/);
  });

  it('a pass on a run stopped early, too short to judge its steady state, or sampled off its share is inconclusive, and --allow-inconclusive does not let it through', () => {
    const verdict = (warnings: { code: string; message: string }[]) => ({ steady_state: { ok: true, reasons: [], served_fraction: 1 }, warnings, slo: {} }) as never;
    const stopped = summary({ complete: false, engine: { events: 1, wall_s: 1, events_per_s: 1, stop_reason: 'max_events' } });
    const short = summary({ verdict: verdict([{ code: 'steady_state_unjudged', message: 'steady state not judged: the second half of the measured period has 2 whole windows' }]) });
    // 3 replicas simulated for 8 at scale 0.01: 37.5 times the capacity its load needs
    const sampled = summary({
      fleet: { scale: 0.01, sampled: true, users_simulated: 0, note: '' } as never,
      gpu: { embed: { replicas: 3, replicas_full: 8 } } as never,
      by_model: { embed: { latency_ms: { e2e: { ...LAT } } } } as never,
      verdict: verdict([]),
    });
    for (const [s, why] of [[stopped, /the run is incomplete \(max_events\)/], [short, /too short to tell whether it is at steady state \(the second half of the measured period has 2 whole windows\)/], [sampled, /sampled off its share \(embed: 3 replicas simulated for 0\.08 \(37\.5 times/]] as const) {
      const v = evaluateBudgets([{ metric: s === sampled ? 'by_model.embed.latency_ms.e2e.p99' : 'latency_ms.e2e.p99', op: '<=', value: 100 }], s);
      expect(v[0].status).toBe('inconclusive');
      expect(v[0].reason).toMatch(why);
      expect(outcome(v, true)).toMatchObject({ exitCode: 1, status: 'INCONCLUSIVE' });
      expect(checkJunit(outcome(v, true), s, { allowInconclusive: true, wall_s: 1 })).toMatch(/failures="1" errors="0" skipped="0"/);
    }
    // a figure of a tier the sampling did not distort still passes; a budget that fails stays a failure
    expect(evaluateBudgets([{ metric: 'requests.error_rate', op: '<=', value: 0.01 }], sampled)[0].status).toBe('pass');
    expect(evaluateBudgets([{ metric: 'latency_ms.e2e.p99', op: '<=', value: 1 }], short)[0].status).toBe('fail');
  });

  it('exit code and JUnit: inconclusive fails unless allowed, then it is skipped', () => {
    const s = summary({ replications: 3, latency_ms: { e2e: { ...LAT, ci95: { p99: [28, 32] } } as never } });
    const v = evaluateBudgets([b('<=', 100), b('<=', 31), b('<=', 1)], s);
    expect(outcome(v, false)).toMatchObject({ passed: 1, failed: 1, inconclusive: 1, exitCode: 1, status: 'FAIL' });
    const inc = evaluateBudgets([b('<=', 100), b('<=', 31)], s);
    expect(outcome(inc, false)).toMatchObject({ exitCode: 1, status: 'INCONCLUSIVE' });
    expect(outcome(inc, true)).toMatchObject({ exitCode: 0, status: 'INCONCLUSIVE' });
    const strict = checkJunit(outcome(inc, false), s, { allowInconclusive: false, wall_s: 1 });
    expect(strict).toMatch(/<testsuites name="fleetsim check" tests="2" failures="1" errors="0" skipped="0"/);
    expect(strict).toMatch(/<failure type="inconclusive" message="inconclusive: latency_ms\.e2e\.p99 = 30 \(95% CI \[28, 32\]\)/);
    const lenient = checkJunit(outcome(inc, true), s, { allowInconclusive: true, wall_s: 1 });
    expect(lenient).toMatch(/failures="0" errors="0" skipped="1"/);
    expect(lenient).toMatch(/<skipped message="inconclusive: /);
    expect(lenient).toContain('name="latency_ms.e2e.p99 &lt;= 100"');
  });
});
