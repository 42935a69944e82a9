import type { Command } from 'commander';
import { fmt, table } from '../report/table.ts';
import { describePoint, formatValue } from '../experiment/grid.ts';
import { capJobs, withRunner } from '../experiment/parallel.ts';
import { checkSweepMemory } from '../experiment/memory.ts';
import { VALIDATE_UPFRONT } from '../experiment/sweep.ts';
import { parseShard, runShard } from '../experiment/shard.ts';
import { checkPoints, planSweep, pointFiles, runSweep, steadyStateWord, sweepIndexFiles, sweepInputs, type PointResult, type SweepMeta } from '../experiment/sweep.ts';
import type { Knob } from '../experiment/grid.ts';
import { renderCharts, sweepCharts } from '../experiment/sweep-charts.ts';
import { checkOutTarget, TreeWriter } from '../experiment/sweep-output.ts';
import { UserError } from '../errors.ts';
import { escapeControls } from '../util/excerpt.ts';
import { collect, nonNegIntArg, posIntArg, pathArg } from './options.ts';

interface SweepOptions {
  vary: string[];
  set: string[];
  seed?: number;
  replications?: number;
  jobs?: number;
  shard?: string;
  out?: string;
  quiet?: boolean;
}

/** A progress line on a terminal (stderr), nothing when piped. */
export function progressLine(total: number, what: string, quiet?: boolean): { tick(): void; end(): void } {
  const live = !quiet && process.stderr.isTTY === true;
  let done = 0;
  return {
    tick() {
      done++;
      if (live) process.stderr.write(`\r${what}: ${done}/${total}`);
    },
    end() {
      if (live) process.stderr.write('\n');
    },
  };
}

const withCi = (x: unknown, ci: unknown) => {
  if (typeof x !== 'number') return '-';
  return Array.isArray(ci) ? `${fmt(x)} ±${fmt((ci[1] - ci[0]) / 2, 2)}` : fmt(x);
};

/** The compact table printed after a sweep (the CSV has every column). */
export function renderSweep(meta: SweepMeta, knobs: readonly Knob[], points: readonly PointResult[]): string {
  const hasTtft = points.some((p) => p.summary.latency_ms.ttft);
  const hasCost = points.some((p) => typeof p.summary.cost?.monthly_usd === 'number');
  const header = ['point', ...knobs.map((k) => k.path), 'e2e p99 ms', ...(hasTtft ? ['ttft p99 ms'] : []), 'error rate', 'per s', ...(hasCost ? ['$/month'] : [])];
  const rows = points.map((p) => {
    const s = p.summary;
    const e2e = s.latency_ms.e2e;
    const ttft = s.latency_ms.ttft;
    const req = s.requests;
    const steady = steadyStateWord(s);
    return [
      `${p.index}${s.complete ? '' : ' [incomplete]'}${steady === 'no' ? ' [not steady]' : steady === 'not judged' ? ' [too short to judge]' : ''}`,
      ...p.values.map(formatValue),
      withCi(e2e.p99, e2e.ci95?.p99),
      ...(hasTtft ? [withCi(ttft?.p99, ttft?.ci95?.p99)] : []),
      withCi(req.error_rate, req.ci95?.error_rate),
      withCi(req.throughput_per_s, req.ci95?.throughput_per_s),
      ...(hasCost ? [fmt(s.cost?.monthly_usd)] : []),
    ];
  });
  const reps = meta.replications > 1 ? `, ${meta.replications} replications per point (seeds ${meta.seed}..${meta.seed + meta.replications - 1}, mean ±95% CI)` : `, seed ${meta.seed}`;
  const shaky = points.some((p) => steadyStateWord(p.summary) === 'no' || steadyStateWord(p.summary) === 'not judged');
  const note = shaky ? '\n[not steady]: the backlog grows, so its latencies and counts describe the run\'s length; [too short to judge]: the run is too short to tell' : '';
  return `${escapeControls(meta.scenario)}: sweep of ${meta.points} point${meta.points === 1 ? '' : 's'}${reps}\n\n${table(header, rows)}${note}`;
}

export function registerSweep(program: Command): void {
  program
    .command('sweep')
    .description('run a grid of scenario variants (cartesian product of --vary knobs) with confidence intervals, a CSV and charts')
    .argument('<scenario>', 'scenario file (YAML or JSON)')
    .option('--vary <path=values>', 'a knob: path=v1,v2,... (values read as YAML) or path=lo..hi:step (repeatable; the grid is their product)', collect, [])
    .option('--replications <n>', 'independent runs per point (seeds seed..seed+n-1, the same at every point)', posIntArg)
    .option('--seed <n>', 'base random seed (overrides the scenario)', nonNegIntArg)
    .option('--jobs <n>', 'worker threads (default: every core)', posIntArg)
    .option('--shard <i/N>', "run only shard i of N (runs whose index mod N is i) and write it for `fleetsim merge`; needs --out")
    .option('--set <path=value>', 'override a scenario field for every point (repeatable)', collect, [])
    .option('--out <dir>', 'write sweep.json, sweep.csv, points/NNNN/ reports and charts/ (or, with --shard, the shard)', pathArg)
    .option('--quiet', 'print nothing but errors')
    .action(async (file: string, opts: SweepOptions) => {
      const shard = opts.shard !== undefined ? parseShard(opts.shard) : undefined;
      if (shard && !opts.out) throw new UserError('--shard: expected --out DIR too (the shard is written there for `fleetsim merge`)');
      if (opts.out) checkOutTarget(opts.out);
      const sw = planSweep({ file, sets: opts.set, vary: opts.vary, seed: opts.seed, replications: opts.replications });
      checkPoints(sw);
      const { meta } = sw;
      // more shards than runs are empty, and merge would have to list them all
      if (shard && shard.count > meta.points * meta.replications) {
        throw new UserError(`--shard ${opts.shard}: expected N at most the sweep's ${(meta.points * meta.replications).toLocaleString('en-US')} runs (points x replications), got ${shard.count.toLocaleString('en-US')}`);
      }
      const jobs = capJobs(opts.jobs, opts.quiet);
      checkSweepMemory(sw.scenario, meta.points, VALIDATE_UPFRONT, file, { runs: meta.points * meta.replications, jobs });
      const info = (s: string) => {
        if (!opts.quiet) process.stdout.write(`${s}\n`);
      };
      if (shard) {
        const total = Math.max(0, Math.ceil((meta.points * meta.replications - shard.index) / shard.count));
        const progress = progressLine(total, `shard ${shard.index}/${shard.count}`, opts.quiet);
        const m = await withRunner(Math.min(jobs, Math.max(1, total)), (runner) => runShard(sw, runner, shard, opts.out!, () => progress.tick(), sweepInputs(sw)));
        progress.end();
        info(`shard ${shard.index}/${shard.count} of ${meta.scenario} (${meta.points} points x ${meta.replications} replications): ${m.runs.length} runs written to ${opts.out}/`);
        if (!m.complete) {
          process.stderr.write('fleetsim: some runs stopped early at a limit; their results are marked incomplete\n');
          process.exitCode = 3;
        }
        return;
      }
      const total = meta.points * meta.replications;
      // Opened now: an --out that cannot be written fails before the simulation, not after it.
      const out = opts.out ? new TreeWriter(opts.out, { inputs: sweepInputs(sw), kind: 'sweep' }) : undefined;
      try {
        const progress = progressLine(total, 'sweep runs', opts.quiet);
        // Each point's files are written as it finishes, and its time series let go (memory.ts counts it so).
        const writePoint = (p: PointResult) => out?.writeAll(pointFiles(meta, p));
        const points = await withRunner(Math.min(jobs, total), (runner) => runSweep(sw, runner, () => progress.tick(), writePoint));
        progress.end();
        info(renderSweep(meta, sw.knobs, points));
        if (out) {
          out.writeAll({ ...sweepIndexFiles(meta, sw.knobs, points), ...(await renderCharts(sweepCharts(sw.knobs, points))) });
          out.commit();
          info(`\nsweep written to ${opts.out}/ (sweep.csv, sweep.json, points/, charts/)`);
        }
        reportIncomplete(points, sw.knobs);
      } finally {
        out?.abort();
      }
    });
}

/** Points that stopped at a limit: named on stderr, exit 3. */
function reportIncomplete(points: readonly PointResult[], knobs: readonly Knob[]): void {
  const incomplete = points.filter((p) => !p.summary.complete);
  if (incomplete.length > 0) {
    process.stderr.write(`fleetsim: ${incomplete.length} point(s) stopped early at a limit and are marked incomplete: ${escapeControls(incomplete.map((p) => describePoint(knobs, p.values) || `point ${p.index}`).join("; "))}\n`);
    process.exitCode = 3;
  }
}
