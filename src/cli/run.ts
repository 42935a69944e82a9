import type { Command } from 'commander';
import { loadScenario } from '../scenario/load.ts';
import { prepare, type Prepared } from '../experiment/prepare.ts';
import { runReplicationsJobs } from '../experiment/replications.ts';
import { defaultJobs } from '../experiment/parallel.ts';
import { checkReportTarget, writeReportDir } from '../report/write.ts';
import { stationsCsv, timeseriesCsv } from '../report/csv.ts';
import { renderSummary } from '../report/terminal.ts';
import { capacityCheck } from './capacity-check.ts';
import { collect, nonNegIntArg, posIntArg } from './options.ts';
import { buildReportFiles } from '../report/report-files.ts';
import { Interrupt, Progress, runReplicationsSliced } from './progress.ts';
import { fmt } from '../report/table.ts';

interface RunOptions {
  seed?: number;
  replications?: number;
  out?: string;
  json?: boolean;
  set: string[];
  quiet?: boolean;
  jobs?: number;
}

/** `runReplicationsJobs` with the progress bar advanced per finished replication. */
async function runReplicationsOnJobs(prep: Prepared, seed: number, reps: number, jobs: number, progress: Progress, signal: AbortSignal) {
  const duration_ms = prep.scenario.duration_s * 1000;
  let events = 0;
  progress.start(duration_ms * reps, `${Math.min(jobs, reps)} jobs`);
  try {
    return await runReplicationsJobs(prep, seed, reps, jobs, {
      signal,
      onDone: (i, done, s) => progress.update(done * duration_ms, duration_ms, duration_ms, done - 1, reps, (events += s.engine.events)),
    });
  } finally {
    progress.stop();
  }
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('simulate a scenario and report latencies, errors and utilisation')
    .argument('<scenario>', 'scenario file (YAML or JSON)')
    .option('--seed <n>', 'random seed (overrides the scenario)', nonNegIntArg)
    .option('--replications <n>', 'independent runs (seeds seed..seed+n-1), with 95% confidence intervals', posIntArg)
    .option('--set <path=value>', 'override a scenario field, e.g. topology.stations.api.servers=12 (repeatable)', collect, [])
    .option('--out <dir>', 'write summary.json, timeseries.csv, stations.csv, report.html, report.md and one SVG per chart into this directory')
    .option('--json', 'print summary.json to stdout instead of the table')
    .option('--quiet', 'print nothing but errors (and the JSON with --json); no progress bar')
    .option('--jobs <n>', 'worker threads for the replications (default: every core); results do not depend on it', posIntArg)
    .action(async (file: string, opts: RunOptions) => {
      if (opts.out) checkReportTarget(opts.out);
      const loaded = loadScenario(file, opts.set);
      const sc = loaded.scenario;
      const prep = prepare(loaded);
      const seed = opts.seed ?? sc.seed;
      const reps = opts.replications ?? sc.replications;
      const info = (s: string) => {
        if (opts.quiet) return;
        (opts.json ? process.stderr : process.stdout).write(`${s}\n`);
      };
      const check = capacityCheck(prep);
      info(check.text);
      info('');
      // Ctrl-C or SIGTERM stops the simulation at the end of its current slice; what was simulated is reported.
      const interrupt = new Interrupt();
      try {
        // --jobs (issue 6): replications on worker threads; the same result whatever the number of jobs.
        const jobs = opts.jobs ?? defaultJobs();
        const exp = jobs > 1 && reps > 1
          ? await runReplicationsOnJobs(prep, seed, reps, jobs, new Progress(!opts.quiet), interrupt.signal)
          : await runReplicationsSliced(prep, seed, reps, { progress: new Progress(!opts.quiet), signal: interrupt.signal });
        const summaryJson = `${JSON.stringify(exp.summary, null, 2)}\n`;
        if (opts.out) {
          const report = await buildReportFiles({ summary: exp.summary, timeseries: exp.timeseries, distributions: exp.distributions });
          writeReportDir(opts.out, {
            'summary.json': summaryJson,
            'timeseries.csv': timeseriesCsv(exp.timeseries, exp.summary.faults, exp.summary.window_s),
            'stations.csv': stationsCsv(exp.summary),
            ...report,
          });
        }
        if (opts.json) process.stdout.write(summaryJson);
        else info(renderSummary(exp.summary));
        if (opts.out) info(`\nreport written to ${opts.out}/ (open ${opts.out}/report.html)`);
        if (exp.interrupted) {
          const last = exp.runs[exp.runs.length - 1];
          const where = reps > 1 ? ` in replication ${exp.runs.length} of ${reps} (seed ${seed + exp.runs.length - 1})` : ` (seed ${seed})`;
          process.stderr.write(
            `fleetsim: stopped by ${interrupt.reason} after ${fmt(last.duration_s)} of ${fmt(sc.duration_s)} simulated seconds${where}; ${opts.out ? `the report in ${opts.out}/ covers` : 'the results cover'} the simulated part only and ${opts.out ? 'is' : 'are'} marked "complete": false\n`,
          );
          process.exitCode = interrupt.exitCode;
        } else if (!exp.summary.complete) {
          process.stderr.write(`fleetsim: the run stopped early (${exp.summary.engine.stop_reason}); results cover the simulated part only and are marked incomplete (seed ${seed})\n`);
          process.exitCode = 3;
        }
      } finally {
        interrupt.dispose();
      }
    });
}
