import type { Command } from 'commander';
import { fmt, table } from '../report/table.ts';
import { stationsCsv, timeseriesCsv } from '../report/csv.ts';
import { describePoint, formatValue } from '../experiment/grid.ts';
import { capJobs, withRunner } from '../experiment/parallel.ts';
import { runPlan, type Evaluation, type PlanResult } from '../experiment/plan.ts';
import { csvValue, figureHeader, headlineColumns, planSweep, pointDir, rowsCsv, setFigures, sweepInputs, type SweepRow } from '../experiment/sweep.ts';
import { paretoChart, renderCharts, type ChartFile } from '../experiment/sweep-charts.ts';
import { checkOutTarget, TreeWriter } from '../experiment/sweep-output.ts';
import { checkMemory } from '../experiment/memory.ts';
import { loadScenario } from '../scenario/load.ts';
import { inputFiles } from '../scenario/prepare.ts';
import { escapeControls } from '../util/excerpt.ts';
import { collect, nonNegIntArg, posIntArg, pathArg } from './options.ts';
import { fleetPlanCommand, type FleetPlanOptions } from './fleet-plan.ts';
import { UserError } from '../errors.ts';
import { parseStepTimeMargin, stepTimeMarginNote, stepTimeMarginSets } from '../experiment/step-time-margin.ts';

interface PlanOptions extends Partial<Omit<FleetPlanOptions, 'set' | 'constraint' | 'purchase'>> {
  fleet?: boolean;
  constraint: string[];
  purchase: string[];
  slo: string[];
  vary: string[];
  minimize: string;
  set: string[];
  seed?: number;
  replications?: number;
  jobs?: number;
  out?: string;
  json?: boolean;
  quiet?: boolean;
  stepTimeMargin?: string;
}

const figure = (x: number | null, ci?: [number, number]) => (x === null ? 'null' : ci ? `${fmt(x)} [${fmt(ci[0])}, ${fmt(ci[1])}]` : fmt(x));

function status(p: PlanResult, e: Evaluation): string {
  if (e === p.best) return 'CHOSEN: meets every SLO, cheapest';
  if (e.feasible) return `meets every SLO; ${p.minimize} ${fmt(e.objective)} is not the cheapest`;
  return `rejected: ${e.verdict}`;
}

/** The table of what was tried, in search order. */
export function triedRows(p: PlanResult): { header: string[]; rows: (string | number)[][] } {
  // Minimising a knob itself (servers): its column is already there.
  const own = p.knobs.some((k) => k.path === p.minimize);
  const header = ['#', 'point', ...p.knobs.map((k) => k.path), ...p.slos.map((s) => s.path), ...(own ? [] : [p.minimize]), 'tried because', 'outcome'];
  const rows = p.evaluations.map((e, n) => [
    n + 1,
    e.point,
    ...e.values.map(formatValue),
    ...e.checks.map((c) => figure(c.value, c.ci95)),
    ...(own ? [] : [fmt(e.objective)]),
    e.step,
    status(p, e),
  ]);
  return { header, rows };
}

/**
 * plan.csv: one row per configuration tried, in search order, of plain cells: knob values, each
 * SLO figure and its 95% CI (`_lo95`, `_hi95`), the objective, then the headline figures of
 * sweep.csv (per-model TTFT, TPOT and e2e among them), why it was tried and the outcome.
 */
export function planCsv(p: PlanResult): string {
  const cols = headlineColumns(p.evaluations.flatMap((e) => (e.summary ? [e.summary] : [])));
  const own = p.knobs.some((k) => k.path === p.minimize);
  const sloCols = p.slos.map((s) => s.path).filter((path, n, all) => all.indexOf(path) === n);
  const header = ['try', 'point', ...p.knobs.map((k) => k.path), 'complete', 'feasible', 'chosen', ...sloCols.flatMap((c) => [c, `${c}_lo95`, `${c}_hi95`]), ...(own ? [] : [p.minimize]), ...figureHeader(cols), 'tried_because', 'outcome'];
  const rows = p.evaluations.map((e, n) => {
    const row: SweepRow = { try: n + 1, point: e.point, complete: e.complete, feasible: e.feasible, chosen: e === p.best };
    p.knobs.forEach((k, j) => (row[k.path] = csvValue(e.values[j])));
    for (const c of sloCols) {
      const check = e.checks[p.slos.findIndex((s) => s.path === c)];
      row[c] = check.value;
      row[`${c}_lo95`] = check.ci95?.[0] ?? null;
      row[`${c}_hi95`] = check.ci95?.[1] ?? null;
    }
    if (!own) row[p.minimize] = e.objective;
    setFigures(row, cols, e.summary);
    row.tried_because = e.step;
    row.outcome = status(p, e);
    return row;
  });
  return rowsCsv(header, rows);
}

export function renderPlan(p: PlanResult): string {
  const out: string[] = [];
  const reps = p.meta.replications > 1 ? `${p.meta.replications} replications per configuration (seeds ${p.meta.seed}..${p.meta.seed + p.meta.replications - 1}); an SLO is met when its whole 95% CI is within the bound` : `one run per configuration (seed ${p.meta.seed}); an SLO is met when the figure is within the bound`;
  out.push(`${p.meta.scenario}: plan minimising ${p.minimize} subject to ${p.slos.map((s) => s.text).join(', ')}`);
  out.push(reps);
  out.push('');
  const { header, rows } = triedRows(p);
  // The terminal table leaves out the long "tried because" column (plan.csv has it).
  const drop = header.indexOf('tried because');
  out.push(table(header.filter((_, i) => i !== drop), rows.map((r) => r.filter((_, i) => i !== drop))));
  out.push('');
  if (p.best) {
    out.push(`cheapest configuration meeting every SLO: ${escapeControls(describePoint(p.knobs, p.best.values))}  (${p.minimize} = ${fmt(p.best.objective)})`);
    for (const c of p.best.checks) out.push(`  ${c.slo}: ${figure(c.value, c.ci95)}`);
  } else {
    out.push('no configuration tried meets every SLO with confidence');
  }
  out.push(`${p.evaluations.length} configurations simulated`);
  return out.join('\n');
}

/** plan.json: the question, the answer and every evaluation (summaries are in points/). */
export function planJson(p: PlanResult): object {
  const brief = (e: Evaluation) => ({
    point: e.point,
    values: Object.fromEntries(p.knobs.map((k, j) => [k.path, e.values[j]])),
    objective: e.objective,
    feasible: e.feasible,
    complete: e.complete,
    checks: e.checks,
    step: e.step,
    verdict: e.verdict,
    dir: e.summary ? pointDir(e.point, p.meta.points) : null,
  });
  return {
    ...p.meta,
    kind: 'plan',
    slos: p.slos.map((s) => s.text),
    minimize: p.minimize,
    monotone_knobs: p.knobs.filter((k) => k.kind === 'range').map((k) => k.path),
    categorical_knobs: p.knobs.filter((k) => k.kind === 'list').map((k) => k.path),
    resolution: p.resolution,
    chosen: p.best ? brief(p.best) : null,
    warnings: p.warnings,
    evaluations: p.evaluations.map(brief),
  };
}

export function planCharts(p: PlanResult): ChartFile[] {
  const first = p.slos[0];
  const rows = p.evaluations
    .filter((e) => e.checks[0].value !== null && e.objective !== null)
    .map((e) => ({ x: e.checks[0].value!, y: e.objective!, label: describePoint(p.knobs, e.values), group: e === p.best ? 'chosen' : e.feasible ? 'meets every SLO' : 'rejected', eligible: e.feasible }));
  if (rows.length === 0) return [];
  return [paretoChart('pareto', `${p.minimize} against ${first.path} of every configuration tried (bound ${first.op} ${first.bound}; front among those meeting every SLO)`, first.path, p.minimize, rows)];
}

export function registerPlan(program: Command): void {
  program
    .command('plan')
    .description('find the cheapest configuration that meets every SLO with confidence (bisection on range knobs, grid over list knobs)')
    .argument('<scenario>', 'scenario file (YAML or JSON)')
    .option('--slo <metric<=value>', "a service-level objective on a summary.json figure, e.g. 'latency_ms.e2e.p99<=2000' (repeatable; <=, <, >=, >)", collect, [])
    .option('--vary <path=values>', 'a knob: path=lo..hi:step (monotone: bisected) or path=v1,v2,... (categorical: every value tried) (repeatable)', collect, [])
    .option('--minimize <metric>', 'the summary.json figure to minimise (or a numeric --vary path)', 'cost.monthly_usd')
    .option('--replications <n>', 'independent runs per configuration; with 2 or more, SLOs must hold over the whole 95% CI', posIntArg)
    .option('--seed <n>', 'base random seed (overrides the scenario)', nonNegIntArg)
    .option('--jobs <n>', 'worker threads (default: every core)', posIntArg)
    .option('--set <path=value>', 'override a scenario field (repeatable)', collect, [])
    .option('--out <dir>', 'write plan.json, plan.csv, the chosen configuration (summary.json...), points/ and charts/', pathArg)
    .option('--json', 'print plan.json to stdout instead of the table')
    .option('--quiet', 'print nothing but errors and warnings (and the JSON with --json)')
    .option('--fleet', "plan the whole fleet at once: per served model its GPU and instance, tp (and ep), replicas and engine, under each model's fleet.models.<m>.slo, cheapest first (docs/planning.md)")
    .option('--gpus <list>', 'with --fleet: the GPUs to consider (default: every catalog GPU with a listed price)')
    .option('--tp <list>', 'with --fleet: the tensor-parallel degrees to consider (default 1,2,4,8, and 16 on two 8-GPU nodes for a model none of those fits; 16 or 32 may be given)')
    .option('--engines <list>', "with --fleet: the serving profiles to consider (default: each model's own)")
    .option('--constraint <metric<=value>', "with --fleet: a fleet-wide bound, e.g. 'monthly_usd<=150000000' (repeatable)", collect, [])
    .option('--max-options <n>', 'with --fleet: options simulated per model at most (default 6)', posIntArg)
    .option('--screen-replicas <n>', "with --fleet: simulated replicas of each model's cheapest option in its one-model screening runs (default 16)", posIntArg)
    .option('--objective <metric>', 'with --fleet: what the fleet plan minimises: cost, energy or carbon (default cost)')
    .option('--purchase <mix>', "with --fleet: a way to buy each model's replicas, e.g. 'reserved_1y=0.6,spot=0.3' (the rest on-demand; repeatable; default: each model's own)", collect, [])
    .option('--pd-ratios <list>', "with --fleet: prefill:decode ratios for the models the scenario disaggregates, e.g. 1:2,1:1 (default 1:3,1:2,1:1,2:1)")
    .option('--spot-interruptions-per-month <x>', "with --fleet: spot reclaims per instance a month for the spot headroom (default: each instance type's assumed band)")
    .option('--step-time-margin <fraction>', "plan for GPUs this much slower than the step model reads them: every served model's step_time_factor times 1 + fraction (0.22: the model's throughput error four times in five; docs/planning.md)")
    .action(async (file: string, opts: PlanOptions) => {
      const margin = parseStepTimeMargin(opts.stepTimeMargin);
      if (margin !== undefined) opts.set = [...opts.set, ...stepTimeMarginSets(file, opts.set, margin)];
      if (opts.fleet) return fleetPlanCommand(file, checkFleetFlags(opts), margin);
      checkOneKnobFlags(opts);
      if (opts.out) checkOutTarget(opts.out);
      const jobs = capJobs(opts.jobs, opts.quiet);
      // The base scenario must fit (each configuration tried is one point of a grid).
      const loaded = loadScenario(file, opts.set);
      const base = loaded.scenario;
      // A configuration's replications are all held until it is judged (plan.ts evaluate): their
      // summaries and series count, so --replications 100000 is refused, not run out of heap.
      const reps = opts.replications ?? base.replications;
      checkMemory(base, file, { runs: reps, parallel: Math.min(jobs, reps), threads: jobs > 1 ? jobs : 0, keptSeries: reps, keptSummaries: reps });
      // Opened now: an --out that cannot be written fails before the simulation, not after it.
      // The scenario, its traces and the files its knobs' values name: an earlier report at --out may hold one (never replaced).
      const out = opts.out ? new TreeWriter(opts.out, { inputs: [...inputFiles(loaded), ...sweepInputs(planSweep({ file, sets: opts.set, vary: opts.vary, search: 'bisect' }))], kind: 'plan' }) : undefined;
      try {
        await planAndReport(file, opts, jobs, out, margin);
      } finally {
        out?.abort();
      }
    });
}

/** --fleet plans from the scenario's own SLOs: the one-knob flags do not apply, and the fleet flags need it. */
function checkFleetFlags(opts: PlanOptions): FleetPlanOptions {
  const oneKnob = [opts.slo.length > 0 ? '--slo' : '', opts.vary.length > 0 ? '--vary' : '', opts.minimize !== 'cost.monthly_usd' ? '--minimize' : '', opts.replications !== undefined ? '--replications' : ''].filter((x) => x);
  if (oneKnob.length > 0) throw new UserError(`plan --fleet: ${oneKnob.join(', ')} ${oneKnob.length === 1 ? 'belongs' : 'belong'} to the one-knob plan; the fleet plan takes each model's fleet.models.<m>.slo and minimises monthly_usd (use --constraint for fleet-wide bounds)`);
  return { ...opts, set: opts.set, constraint: opts.constraint, purchase: opts.purchase };
}

function checkOneKnobFlags(opts: PlanOptions): void {
  const fleetOnly = [opts.gpus !== undefined ? '--gpus' : '', opts.tp !== undefined ? '--tp' : '', opts.engines !== undefined ? '--engines' : '', opts.constraint.length > 0 ? '--constraint' : '', opts.maxOptions !== undefined ? '--max-options' : '', opts.screenReplicas !== undefined ? '--screen-replicas' : '', opts.objective !== undefined ? '--objective' : '', opts.purchase.length > 0 ? '--purchase' : '', opts.spotInterruptionsPerMonth !== undefined ? '--spot-interruptions-per-month' : '', opts.pdRatios !== undefined ? '--pd-ratios' : ''].filter((x) => x);
  if (fleetOnly.length > 0) throw new UserError(`plan: ${fleetOnly.join(', ')} ${fleetOnly.length === 1 ? 'needs' : 'need'} --fleet`);
  // a plan chooses a design; searching seeds picks the lucky one (11 servers "met" a p99 that seed 1 misses)
  const seedKnob = opts.vary.find((v) => v.trim().split('=')[0].trim() === 'seed');
  if (seedKnob !== undefined) throw new UserError(`--vary ${seedKnob.slice(0, 80)}: a plan searches a design, and the seed is not one (the search would pick a lucky seed); use --replications N to judge each design over several seeds`);
}

async function planAndReport(file: string, opts: PlanOptions, jobs: number, out: InstanceType<typeof TreeWriter> | undefined, margin: number | undefined): Promise<void> {

  const live = !opts.quiet && process.stderr.isTTY === true;
  let tried = 0;
  const p = await withRunner(jobs, (runner) =>
    runPlan({ file, sets: opts.set, vary: opts.vary, seed: opts.seed, replications: opts.replications, slos: opts.slo, minimize: opts.minimize }, runner, () => {
      tried++;
      if (live) process.stderr.write(`\rplan: ${tried} configurations simulated`);
    }),
  );
  if (live) process.stderr.write('\n');
  for (const w of p.warnings) process.stderr.write(`fleetsim: warning: ${escapeControls(w)}\n`);
  const pj = `${JSON.stringify({ ...planJson(p), step_time_margin: margin ?? 0 }, null, 2)}\n`;
  if (opts.json) process.stdout.write(pj);
  else if (!opts.quiet) process.stdout.write(`${margin ? `${stepTimeMarginNote(margin)}\n` : ''}${renderPlan(p)}\n`);
  if (out) {
    const files: Record<string, string> = { 'plan.json': pj, 'plan.csv': planCsv(p) };
    for (const e of p.evaluations) {
      if (!e.summary || !e.timeseries) continue;
      const d = pointDir(e.point, p.meta.points);
      files[`${d}/summary.json`] = `${JSON.stringify(e.summary, null, 2)}\n`;
      files[`${d}/timeseries.csv`] = timeseriesCsv(e.timeseries, e.summary.faults ?? [], e.summary.window_s);
      files[`${d}/stations.csv`] = stationsCsv(e.summary);
    }
    if (p.best?.summary && p.best.timeseries) {
      files['summary.json'] = `${JSON.stringify(p.best.summary, null, 2)}\n`;
      files['timeseries.csv'] = timeseriesCsv(p.best.timeseries, p.best.summary.faults ?? [], p.best.summary.window_s);
      files['stations.csv'] = stationsCsv(p.best.summary);
    }
    Object.assign(files, await renderCharts(planCharts(p)));
    out.writeAll(files);
    out.commit();
    if (!opts.quiet && !opts.json) process.stdout.write(`\nplan written to ${opts.out}/\n`);
  }
  if (!p.best) {
    process.stderr.write('fleetsim: no configuration tried meets every SLO with confidence (see the table for why each was rejected)\n');
    process.exitCode = 1;
  }
}
