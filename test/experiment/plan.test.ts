import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRunner, withRunner, type Runner } from '../../src/experiment/parallel.ts';
import { runPlan, checkMonotonicity, type Evaluation } from '../../src/experiment/plan.ts';
import { parseKnobs } from '../../src/experiment/grid.ts';
import { mmcMeanWait } from '../helpers/queueing.ts';
import { REPO } from '../helpers/cli.ts';
import { parse } from 'csv-parse/sync';
import { planCsv } from '../../src/cli/plan.ts';
import { planSweep, runSweep, sweepCsv } from '../../src/experiment/sweep.ts';

const DDC = join(REPO, 'test/experiment/fixtures/ddc.yaml');
const MMC = join(REPO, 'test/experiment/fixtures/mmc-plan.yaml');
const SAMPLED = join(REPO, 'test/experiment/fixtures/sampled-fleet.yaml');
const noWall = (x: unknown) => JSON.stringify(x, (k, v) => (k === 'wall_s' || k === 'events_per_s' ? 0 : v));

let pool: Runner;
beforeAll(() => {
  pool = createRunner(2);
});
afterAll(async () => {
  await pool?.close();
});

describe('plan', () => {
  it('finds the exact optimum of a deterministic queue by bisection, for every categorical value', async () => {
    // 9.5 requests/s, constant service S: no wait needs c >= 9.5 x S/1000 servers, so the
    // fewest servers meeting p99 <= 1100 ms are 10 at S = 1000 and 5 at S = 500.
    const p = await withRunner(1, (r) =>
      runPlan(
        { file: DDC, slos: ['latency_ms.e2e.p99<=1100'], vary: ['topology.stations.api.servers=1..64:1', 'topology.stations.api.service_ms.value=1000,500'], minimize: 'stations.api.servers' },
        r,
      ),
    );
    const feasibleMin = (s: number) => Math.min(...p.evaluations.filter((e) => e.values[1] === s && e.feasible).map((e) => e.values[0] as number));
    const failMax = (s: number) => Math.max(...p.evaluations.filter((e) => e.values[1] === s && !e.feasible).map((e) => e.values[0] as number));
    expect([feasibleMin(1000), failMax(1000)]).toEqual([10, 9]);
    expect([feasibleMin(500), failMax(500)]).toEqual([5, 4]);
    expect(p.best?.values).toEqual([5, 500]);
    expect(p.best?.objective).toBe(5);
    // Bisection, not a scan: about log2(64) + 1 evaluations per service time.
    expect(p.evaluations.length).toBeLessThanOrEqual(2 * 8);
    expect(p.warnings).toEqual([]);
    const rejected = p.evaluations.find((e) => e.values[0] === 9 && e.values[1] === 1000)!;
    // 9 servers of 1 s each for 9.5 requests/s: the queue grows without bound, and the verdict says so after the missed bound
    expect(rejected.verdict).toMatch(/^latency_ms.e2e.p99 = \d+(\.\d+)?, not <= 1100; not steady: the queue grows, \d+\.\d% of arrivals served/);
    // The search order is deterministic: the categorical combinations in grid order.
    expect(p.evaluations[0]).toMatchObject({ values: [64, 1000], step: 'every monotone knob at its largest value' });
    expect(p.evaluations[1].step).toBe('bisection on topology.stations.api.servers between below 1 (fails) and 64 (meets)');
  });

  it('finds the fewest M/M/c servers whose mean wait meets the bound with confidence (Erlang C)', async () => {
    const bound = 180;
    const expected = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16].find((c) => c > 9 && mmcMeanWait(c, 9, 1) * 1000 <= bound);
    expect(expected).toBe(12);
    const input = { file: MMC, slos: [`stations.api.wait_ms.mean<=${bound}`], vary: ['topology.stations.api.servers=1..32:1'], minimize: 'topology.stations.api.servers', replications: 4 };
    const p = await runPlan(input, pool);
    expect(p.best?.values).toEqual([expected]);
    const at11 = p.evaluations.find((e) => e.values[0] === 11)!;
    expect(at11.feasible).toBe(false);
    expect(at11.checks[0].ci95).toBeDefined();
    // The chosen point's whole interval is under the bound.
    expect(p.best!.checks[0].ci95![1]).toBeLessThanOrEqual(bound);
    // The same plan on one thread: the same evaluations, in the same order, with the same figures.
    const q = await withRunner(1, (r) => runPlan(input, r));
    expect(noWall(q.evaluations.map((e) => [e.point, e.step, e.verdict, e.summary]))).toBe(noWall(p.evaluations.map((e) => [e.point, e.step, e.verdict, e.summary])));
  });

  it('reports when no configuration meets the SLOs, and why', async () => {
    const p = await withRunner(1, (r) => runPlan({ file: DDC, slos: ['latency_ms.e2e.p99<=900'], vary: ['topology.stations.api.servers=8..16:4'], minimize: 'stations.api.servers' }, r));
    expect(p.best).toBeUndefined();
    expect(p.evaluations).toHaveLength(1);
    expect(p.evaluations[0].verdict).toMatch(/not <= 900/);
  });

  it('does not take a run too short for the steady-state test as meeting an SLO', async () => {
    // 16 servers meet the bound in a run of the fixture's length; cut to a few windows, the same
    // configuration's figure meets it too, but nothing shows the queue is not growing
    const input = { file: DDC, slos: ['latency_ms.e2e.p99<=1100'], vary: ['topology.stations.api.servers=16'], minimize: 'stations.api.servers' };
    const long = await withRunner(1, (r) => runPlan(input, r));
    expect(long.best).toBeDefined();
    const short = await withRunner(1, (r) => runPlan({ ...input, sets: ['duration_s=12', 'warmup_s=2', 'window_s=1'] }, r));
    expect(short.best).toBeUndefined();
    expect(short.evaluations[0].checks[0].met).toBe(true);
    expect(short.evaluations[0].verdict).toMatch(/^too short to judge: the second half of the measured period has \d whole windows, too few to tell a trend from noise \(8 needed/);
  });

  it('rejects a configuration the scenario cannot take, and plans on', async () => {
    const p = await withRunner(1, (r) =>
      runPlan({ file: DDC, slos: ['latency_ms.e2e.p99<=1100'], vary: ['topology.stations.api.servers=1..16:1', 'topology.stations.api.service_ms.dist=constant,bogus'], minimize: 'stations.api.servers' }, r),
    );
    const bogus = p.evaluations.filter((e) => e.values[1] === 'bogus');
    expect(bogus).toHaveLength(1);
    expect(bogus[0].verdict).toMatch(/^invalid configuration: --vary: at point \d+ \(topology.stations.api.servers=16 topology.stations.api.service_ms.dist=bogus\): .*topology.stations.api.service_ms/);
    expect(p.best?.values).toEqual([10, 'constant']);
  });

  it('warns when evaluated points contradict the monotonicity assumption', async () => {
    // More arrivals make latency worse: "more of the knob" is not more capacity.
    const p = await withRunner(1, (r) =>
      runPlan({ file: DDC, slos: ['latency_ms.e2e.p99<=1100'], vary: ['workload.arrivals.rate_per_s=1..12:1', 'topology.stations.api.servers=1..12:1'], minimize: 'stations.api.servers' }, r),
    );
    expect(p.warnings.some((w) => w.startsWith('monotonicity: more of workload.arrivals.rate_per_s fails the SLOs where less meets them'))).toBe(true);
  });

  it('checkMonotonicity flags metric and cost moving the wrong way', () => {
    const knobs = parseKnobs(['n=1..4:1']);
    const ev = (n: number, p99: number, cost: number, feasible = true) =>
      ({ point: n - 1, values: [n], combo: 0, feasible, objective: cost, checks: [{ slo: 'x<=10', value: p99, met: feasible, reason: '' }], summary: {} }) as unknown as Evaluation;
    const slos = [{ text: 'x<=10', path: 'x', op: '<=' as const, bound: 10 }];
    expect(checkMonotonicity(knobs, [0], slos, [ev(1, 9, 1), ev(2, 8, 2)], 'cost')).toEqual([]);
    const w = checkMonotonicity(knobs, [0], slos, [ev(1, 5, 2), ev(3, 9, 1)], 'cost');
    expect(w).toHaveLength(2);
    expect(w[0]).toContain('x is worse with more of n (5 -> 9');
    expect(w[1]).toContain('cost falls as n grows');
  });

  it('bisects the distinct simulations of a sampled fleet, and says what the chosen GPU count stands for', async () => {
    // Fleet sampling simulates round(gpus / tp x scale) replicas (at least one): tp 2 at scale
    // 0.1 is one replica per 20 GPUs, and odd counts are refused (GPUs come in multiples of tp).
    const replicas = (g: number) => Math.max(1, Math.round((g / 2) * 0.1));
    const even = Array.from({ length: 291 }, (_, i) => 10 + i).filter((g) => g % 2 === 0);
    const slo = 'by_model.small.latency_ms.ttft.p99<=1500';
    const p = await runPlan({ file: SAMPLED, slos: [slo], vary: ['fleet.models.small.gpus=10..300'] }, pool);
    expect(p.resolution).toHaveLength(1);
    const note = p.resolution[0];
    expect(note).toMatchObject({ path: 'fleet.models.small.gpus', step: 1, values: 291, simulations: new Set(even.map(replicas)).size, resolved_step: 20 });
    // Every configuration tried is the value a whole number of sampled replicas stands for exactly.
    for (const e of p.evaluations) expect((e.values[0] as number) % 20).toBe(0);
    const chosen = p.best!.values[0] as number;
    const same = even.filter((g) => replicas(g) === replicas(chosen));
    expect(note.chosen).toMatchObject({ value: chosen, same_as: [same[0], same[same.length - 1]] });
    expect(p.warnings.some((w) => w.startsWith(`resolution: fleet.models.small.gpus is resolved in steps of about 20, not 1`))).toBe(true);
    // The ends of that range simulate exactly what the chosen count does; the range below fails.
    const below = even.filter((g) => replicas(g) === replicas(chosen) - 1);
    expect(note.chosen?.next_smaller).toEqual([below[0], below[below.length - 1]]);
    const ttft = async (g: number) => (await runPlan({ file: SAMPLED, slos: [slo], vary: [`fleet.models.small.gpus=${g}`] }, pool)).evaluations[0].checks[0];
    const [lo, hi, under] = await Promise.all([ttft(same[0]), ttft(same[same.length - 1]), ttft(below[below.length - 1])]);
    expect(lo.value).toBe(p.best!.checks[0].value);
    expect(hi.value).toBe(p.best!.checks[0].value);
    expect(under.met).toBe(false);
  });

  it.each([
    [{ slos: ['latency_ms.e2e.p99<=1100'], vary: [] }, '--vary: expected at least one knob'],
    [{ slos: [], vary: ['topology.stations.api.servers=1..4'] }, '--slo: expected at least one'],
    [{ slos: ['latency_ms.e2e.p42<=1'], vary: ['topology.stations.api.servers=9..10'] }, '--slo latency_ms.e2e.p42<=1: latency_ms.e2e.p42: no field "p42" in latency_ms.e2e'],
    [{ slos: ['latency_ms.e2e<=1'], vary: ['topology.stations.api.servers=9..10'] }, '--slo latency_ms.e2e<=1: latency_ms.e2e is a block of figures'],
    [{ slos: ['latency_ms.e2e.p99<=1100'], vary: ['topology.stations.api.servers=9..10'], minimize: 'cost.monthly_usd' }, '--minimize cost.monthly_usd: cost.monthly_usd: no field "cost"'],
  ])('bad input is a one-line user error: %j', async (opts, start) => {
    await expect(withRunner(1, (r) => runPlan({ file: DDC, ...opts }, r))).rejects.toThrow(start);
  });
});

describe('plan.csv and sweep.csv: plain numbers, one column per figure', () => {
  type Row = Record<string, number | string>;
  const csvRows = (text: string) => parse(text, { columns: true, cast: true }) as Row[];

  it('sweep.csv has per-model TTFT, TPOT and e2e columns with their intervals, equal to summary.json', async () => {
    const sw = planSweep({ file: SAMPLED, vary: ['fleet.models.small.gpus=100,200'], replications: 2, sets: ['duration_s=15'] });
    const points = await runSweep(sw, pool);
    const rows = csvRows(sweepCsv(sw.knobs, points));
    rows.forEach((row, k) => {
      const lat = points[k].summary.by_model!.small.latency_ms as unknown as Record<string, Record<string, number> & { ci95: Record<string, [number, number]> }>;
      for (const kind of ['ttft', 'tpot', 'e2e']) {
        for (const q of ['p50', 'p99']) {
          const col = `${kind}_${q}_ms.small`;
          expect(typeof row[col], col).toBe('number');
          expect(row[col]).toBe(lat[kind][q]);
          expect([row[`${col}_lo95`], row[`${col}_hi95`]]).toEqual(lat[kind].ci95[q]);
        }
      }
    });
  });

  it('plan.csv holds each SLO figure, its interval and the objective as numbers, and marks the chosen row', async () => {
    const p = await runPlan({ file: MMC, slos: ['stations.api.wait_ms.mean<=180'], vary: ['topology.stations.api.servers=8..16:1'], minimize: 'topology.stations.api.servers', replications: 2 }, pool);
    const rows = csvRows(planCsv(p));
    expect(rows).toHaveLength(p.evaluations.length);
    const slo = 'stations.api.wait_ms.mean';
    rows.forEach((row, n) => {
      const e = p.evaluations[n];
      expect(row.try).toBe(n + 1);
      expect(row[slo]).toBe(e.checks[0].value);
      expect([row[`${slo}_lo95`], row[`${slo}_hi95`]]).toEqual(e.checks[0].ci95);
      for (const col of ['e2e_p99_ms', 'e2e_p99_ms_lo95', 'e2e_p99_ms_hi95', 'utilization.api']) expect(typeof row[col], col).toBe('number');
      expect(row.chosen).toBe(e === p.best ? 1 : 0);
      expect(row.feasible).toBe(e.feasible ? 1 : 0);
    });
  });
});
