import { version } from '../version.ts';
import { loadScenario } from '../scenario/load.ts';
import { inputFiles } from '../scenario/prepare.ts';
import { UserError } from '../errors.ts';
import { fmt, table } from '../report/table.ts';
import { stationsCsv } from '../report/csv.ts';
import { capJobs, withRunner } from '../experiment/parallel.ts';
import { runFleetPlan, type FleetPlanResult, type ModelPlan, type Trial } from '../experiment/fleet-plan.ts';
import { rowsCsv, type SweepRow } from '../experiment/sweep.ts';
import { paretoChart, renderCharts, type ChartFile } from '../experiment/sweep-charts.ts';
import { FLEET_FRONTIER_IDS, uniqueChartIds } from '../report/output-layout.ts';
import { checkOutTarget, TreeWriter } from '../experiment/sweep-output.ts';
import { escapeControls, excerpt } from '../util/excerpt.ts';
import { parseObjective } from '../experiment/fleet-plan-combine.ts';
import { MAX_PURCHASE_MIXES, mixLabel, parsePurchaseMix } from '../experiment/fleet-plan-purchase.ts';
import { parsePdRatios } from '../experiment/fleet-plan-disaggregation.ts';
import { stepTimeMarginNote } from '../experiment/step-time-margin.ts';

/** The flags of `plan --fleet` (the rest of `plan`'s flags are for the one-knob plan). */
export interface FleetPlanOptions {
  set: string[];
  seed?: number;
  jobs?: number;
  out?: string;
  json?: boolean;
  quiet?: boolean;
  gpus?: string;
  tp?: string;
  engines?: string;
  constraint: string[];
  maxOptions?: number;
  screenReplicas?: number;
  objective?: string;
  purchase: string[];
  spotInterruptionsPerMonth?: string;
  pdRatios?: string;
}

/** Most spot reclaims per instance a month --spot-interruptions-per-month takes (one every 20 minutes). */
const MAX_SPOT_INTERRUPTIONS_PER_MONTH = 2_190;

function spotRate(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x) || x <= 0 || x > MAX_SPOT_INTERRUPTIONS_PER_MONTH) throw new UserError(`--spot-interruptions-per-month ${excerpt(v)}: expected reclaims per instance a month, above 0 and at most ${MAX_SPOT_INTERRUPTIONS_PER_MONTH}`);
  return x;
}

const list = (flag: string, v: string | undefined): string[] | undefined => {
  if (v === undefined) return undefined;
  const items = v.split(',').map((x) => x.trim()).filter((x) => x !== '');
  if (items.length === 0) throw new UserError(`${flag} ${excerpt(v)}: expected a comma-separated list`);
  return items;
};

function tpList(v: string | undefined): number[] | undefined {
  return list('--tp', v)?.map((x) => {
    const n = Number(x);
    if (!Number.isInteger(n) || n < 1 || n > 72) throw new UserError(`--tp ${excerpt(v!)}: expected whole numbers from 1 to 72, got "${excerpt(x)}"`);
    return n;
  });
}

const usd = (x: number) => `$${Math.round(x).toLocaleString('en-US')}`;
const ms = (x: number | null) => (x === null ? 'null' : fmt(x));

function targetText(m: ModelPlan): string {
  return [m.slo.ttft_p99_ms !== undefined ? `TTFT p99 <= ${m.slo.ttft_p99_ms} ms` : '', m.slo.e2e_p99_ms !== undefined ? `e2e p99 <= ${m.slo.e2e_p99_ms} ms` : ''].filter((x) => x).join(', ');
}

function trialStatus(p: FleetPlanResult, m: ModelPlan, t: Trial): string {
  if (p.chosen?.picks.includes(t)) return 'CHOSEN';
  if (m.front.includes(t)) return 'front';
  return t.feasible ? 'meets, dominated' : `fails: ${t.verdict}`;
}

/** The screening runs, then the front's candidates bought another way than screened (not simulated on their own). */
function planRows(m: ModelPlan): Trial[] {
  return [...m.trials, ...m.front.filter((t) => !m.trials.includes(t))];
}

/** Reasons a tally names at most; the rest are counted. */
const TALLIED_REASONS = 3;

/**
 * Why a model's options were left out, for its line when none was simulated ("0 fit their GPUs"
 * said nothing of TensorRT-LLM not running on AMD GPUs): the one reason every option shares, or
 * the commonest few with their counts.
 */
function prunedTally(m: ModelPlan): string {
  const counts = new Map<string, number>();
  for (const o of m.options) if (o.pruned !== '') counts.set(o.pruned, (counts.get(o.pruned) ?? 0) + 1);
  if (counts.size === 0) return '';
  const [[only, n]] = counts;
  if (counts.size === 1) return `; ${n === m.options.length ? 'all ' : ''}${n} option${n === 1 ? '' : 's'}: ${escapeControls(only)}`;
  const ranked = [...counts].sort((a, b) => b[1] - a[1]);
  const shown = ranked.slice(0, TALLIED_REASONS).map(([reason, k]) => `${k} x ${escapeControls(reason)}`);
  const rest = ranked.length - shown.length;
  return `; left out: ${shown.join('; ')}${rest > 0 ? `; ${rest} other reason${rest === 1 ? '' : 's'}` : ''}`;
}

function renderModel(p: FleetPlanResult, m: ModelPlan): string[] {
  const runnable = m.options.filter((o) => !o.pruned.startsWith('cannot run') && !o.pruned.startsWith('no catalog')).length;
  const inTime = m.options.filter((o) => Number.isFinite(o.replicas_lower_bound) && !o.pruned.startsWith('a mean prompt')).length;
  const simulated = new Set(m.trials.map((t) => t.option)).size;
  const why = simulated === 0 ? prunedTally(m) : '';
  const out = [`${m.model} (${targetText(m)}; ${fmt(m.offered_rate_per_s)} requests/s): ${m.options.length} options, ${runnable} fit their GPUs, ${inTime} can prefill in time, ${simulated} simulated alone at fleet.scale ${fmt(m.screen_scale)} (why each other option was left out: plan.json, options[].pruned)${why}`];
  const rows = planRows(m).map((t) => [t.option, mixLabel(t.purchase), t.replicas, t.gpus, usd(t.monthly_usd), fmt(t.monthly_t_co2e ?? NaN), ms(t.ttft_p99_ms), ms(t.e2e_p99_ms), trialStatus(p, m, t)]);
  out.push(table(['option', 'bought', 'replicas', 'GPUs', 'monthly', 't CO2e/month', 'TTFT p99 ms', 'e2e p99 ms', 'outcome'], rows));
  return out;
}

export function renderFleetPlan(p: FleetPlanResult): string {
  const out = [`${p.scenario}: fleet plan minimising ${p.objective} subject to every model's SLO${p.constraints.length > 0 ? ` and ${p.constraints.join(', ')}` : ''} (seed ${p.seed} for every run)`];
  if (p.step_time_margin > 0) out.push(stepTimeMarginNote(p.step_time_margin));
  out.push('');
  for (const m of p.models) out.push(...renderModel(p, m), '');
  out.push(`fleet frontier (no other combination is cheaper, cleaner and nearer its targets at once; shared tiers ${usd(p.shared_monthly_usd)}/month):`);
  const points = [...p.fleet_points].sort((a, b) => a[p.objective] - b[p.objective] || a.slo_ratio - b.slo_ratio);
  out.push(table(['monthly', 'MWh/month', 't CO2e/month', 'worst p99 / target', 'fleet'], points.map((f) => [usd(f.monthly_usd), fmt(f.monthly_mwh), fmt(f.monthly_t_co2e), fmt(f.slo_ratio), f.picks.join('; ')])));
  out.push('');
  if (!p.chosen) out.push('no fleet tried meets every SLO within the constraints');
  else {
    out.push(`chosen fleet: ${usd(p.chosen.monthly_usd)}/month, ${fmt(p.chosen.monthly_mwh)} MWh/month, ${fmt(p.chosen.monthly_t_co2e)} t CO2e/month (served models' GPUs and nodes; docs/energy.md)`);
    for (const t of p.chosen.picks) out.push(`  ${t.model}: ${t.option} on ${p.models.find((m) => m.model === t.model)!.options.find((o) => o.label === t.option)!.instance}, ${t.replicas} replicas (${t.gpus} GPUs${t.spot_headroom_replicas > 0 ? `, ${t.spot_headroom_replicas} spare for spot reclaims` : ''}) bought ${mixLabel(t.purchase)}, ${usd(t.monthly_usd)}/month`);
    p.confirmations.forEach((c, i) => out.push(`confirmation ${i + 1} (the whole fleet at the scenario's scale): ${c.met ? 'every SLO met' : 'missed'}: ${c.by_model.map((b) => `${b.model} TTFT p99 ${ms(b.ttft_p99_ms)} ms, e2e p99 ${ms(b.e2e_p99_ms)} ms${b.met ? '' : ' (misses)'}`).join('; ')}`));
  }
  const runs = p.models.reduce((n, m) => n + m.trials.length, 0) + p.confirmations.length;
  out.push(`${runs} simulations${p.stopped_early ? ' (stopped by the wall time)' : ''}`);
  return out.join('\n');
}

/** plan.csv of a fleet plan: one row per one-model screening run, in search order per model, then the front's candidates bought another way. */
export function fleetPlanCsv(p: FleetPlanResult): string {
  const header = ['model', 'option', 'instance', 'replicas', 'gpus', 'simulated_replicas', 'monthly_usd', 'monthly_mwh', 'monthly_t_co2e', 'ttft_p99_ms', 'e2e_p99_ms', 'error_rate', 'slo_ratio', 'feasible', 'front', 'chosen', 'tried_because', 'outcome', 'purchase', 'spot_headroom_replicas'];
  const rows: SweepRow[] = p.models.flatMap((m) =>
    planRows(m).map((t) => ({
      model: t.model,
      option: t.option,
      instance: m.options.find((o) => o.label === t.option)!.instance,
      replicas: t.replicas,
      gpus: t.gpus,
      simulated_replicas: t.simulated_replicas,
      monthly_usd: t.monthly_usd,
      monthly_mwh: t.monthly_mwh,
      monthly_t_co2e: t.monthly_t_co2e,
      ttft_p99_ms: t.ttft_p99_ms,
      e2e_p99_ms: t.e2e_p99_ms,
      error_rate: t.error_rate,
      slo_ratio: Number.isFinite(t.slo_ratio) ? t.slo_ratio : null,
      feasible: t.feasible,
      front: m.front.includes(t),
      chosen: p.chosen?.picks.includes(t) ?? false,
      tried_because: t.tried_because,
      outcome: t.verdict,
      purchase: mixLabel(t.purchase),
      spot_headroom_replicas: t.spot_headroom_replicas,
    })),
  );
  return rowsCsv(header, rows);
}

/** plan.json of a fleet plan: everything but the confirmation's summary (written beside it). */
export function fleetPlanJson(p: FleetPlanResult): object {
  const { confirmation, ...rest } = p;
  const finite = (_k: string, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v);
  // fleetsim_version marks it as fleetsim's (output-layout.ts): a later plan may replace it
  return JSON.parse(JSON.stringify({ kind: 'fleet-plan', fleetsim_version: version, ...rest, confirmed: confirmation ? confirmation.met : null }, finite));
}

/** Cost against p99 TTFT (e2e for an embedding model) per model, and the fleet's cost against its worst SLO ratio. */
export function fleetPlanCharts(p: FleetPlanResult): ChartFile[] {
  const charts: ChartFile[] = [];
  const ids = uniqueChartIds('frontier-', p.models.map((m) => m.model), FLEET_FRONTIER_IDS);
  for (const [i, m] of p.models.entries()) {
    const metric = m.slo.ttft_p99_ms !== undefined ? 'ttft_p99_ms' : 'e2e_p99_ms';
    const rows = m.trials
      .filter((t) => t[metric] !== null)
      .map((t) => ({ x: t[metric]!, y: t.monthly_usd, label: `${t.option} x${t.replicas}`, group: p.chosen?.picks.includes(t) ? 'chosen' : t.feasible ? 'meets its SLO' : 'misses its SLO', eligible: t.feasible }));
    if (rows.length > 0) charts.push(paretoChart(ids[i], `${m.model}: monthly cost against ${metric.replace('_ms', '')} (target ${m.slo[metric]} ms) of every option and replica count simulated`, `${metric.replace('_ms', '')} (ms)`, 'monthly cost of its GPUs (USD)', rows));
  }
  const fleet = p.fleet_points.map((f) => ({ x: f.slo_ratio, y: f.monthly_usd, label: f.picks.join('; '), group: f.within_constraints ? 'within the constraints' : 'beyond a constraint', eligible: f.within_constraints }));
  if (fleet.length > 0) charts.push(paretoChart(FLEET_FRONTIER_IDS[0], 'Fleet: monthly cost against the worst p99 over its target, of the combinations of every model\'s frontier', 'worst p99 / target over the models', 'monthly cost of the fleet (USD)', fleet));
  const carbon = p.fleet_points.filter((f) => Number.isFinite(f.monthly_t_co2e)).map((f) => ({ x: f.monthly_t_co2e, y: f.monthly_usd, label: f.picks.join('; '), group: f.within_constraints ? 'within the constraints' : 'beyond a constraint', eligible: f.within_constraints }));
  if (carbon.length > 0) charts.push(paretoChart(FLEET_FRONTIER_IDS[1], "Fleet: monthly cost against monthly emissions, of the combinations of every model's frontier", 'emissions (t CO2e a month)', 'monthly cost of the fleet (USD)', carbon));
  return charts;
}

export async function fleetPlanCommand(file: string, opts: FleetPlanOptions, margin?: number): Promise<void> {
  if (opts.out) checkOutTarget(opts.out);
  const jobs = capJobs(opts.jobs, opts.quiet);
  if (opts.purchase.length > MAX_PURCHASE_MIXES) throw new UserError(`--purchase: at most ${MAX_PURCHASE_MIXES} mixes, got ${opts.purchase.length}`);
  const space = { gpus: list('--gpus', opts.gpus), tps: tpList(opts.tp), engines: list('--engines', opts.engines), purchase: opts.purchase.map(parsePurchaseMix), spot_interruptions_per_month: spotRate(opts.spotInterruptionsPerMonth), pd_ratios: opts.pdRatios === undefined ? undefined : parsePdRatios(opts.pdRatios) };
  const objective = opts.objective === undefined ? undefined : parseObjective(opts.objective);
  // The scenario and its traces: an earlier report at --out may hold a trace (never replaced).
  const out = opts.out ? new TreeWriter(opts.out, { inputs: inputFiles(loadScenario(file, opts.set)), kind: 'plan' }) : undefined;
  try {
    // a plan of many models runs for minutes: a line on a terminal says how far it is (nothing when piped)
    const live = !opts.quiet && process.stderr.isTTY === true;
    let simulated = 0;
    const onTrial = (what: string) => {
      simulated++;
      if (live) process.stderr.write(`\rplan --fleet: runs simulated: ${simulated} (the last: ${excerpt(what, 60)})\x1b[K`);
    };
    const p = await withRunner(jobs, (runner) => runFleetPlan({ file, sets: opts.set, step_time_margin: margin, seed: opts.seed, space, objective, constraints: opts.constraint, max_options_simulated: opts.maxOptions, screen_replicas: opts.screenReplicas }, runner, onTrial));
    if (live && simulated > 0) process.stderr.write('\n');
    for (const w of p.warnings) process.stderr.write(`fleetsim: warning: ${escapeControls(w)}\n`);
    const pj = `${JSON.stringify(fleetPlanJson(p), null, 2)}\n`;
    if (opts.json) process.stdout.write(pj);
    else if (!opts.quiet) process.stdout.write(`${renderFleetPlan(p)}\n`);
    if (out) {
      const files: Record<string, string> = { 'plan.json': pj, 'plan.csv': fleetPlanCsv(p) };
      const c = p.confirmation;
      if (c) {
        files['summary.json'] = `${JSON.stringify(c.summary, null, 2)}\n`;
        files['stations.csv'] = stationsCsv(c.summary);
      }
      Object.assign(files, await renderCharts(fleetPlanCharts(p)));
      out.writeAll(files);
      out.commit();
      if (!opts.quiet && !opts.json) process.stdout.write(`\nplan written to ${opts.out}/\n`);
    }
    if (!p.chosen || !p.confirmation?.met) {
      const why = p.stopped_early ? 'the wall time (limits.max_wall_s) ran out before a fleet was confirmed' : p.chosen ? 'the chosen fleet missed an SLO when simulated whole' : 'no fleet tried meets every SLO within the constraints';
      process.stderr.write(`fleetsim: ${why}\n`);
      process.exitCode = 1;
    }
  } finally {
    out?.abort();
  }
}
